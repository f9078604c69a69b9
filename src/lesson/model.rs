//! A lesson as the app uses it: validated, with both languages present.

use std::collections::BTreeMap;

use crate::scenario::params::Params;

// Both live below `lesson`: the log and the screens say lesson texts too.
pub use crate::i18n::{Lang, Text};

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub gate: String,
    /// 1-based line of `Lesson::python` this step highlights.
    pub line: usize,
    /// The lines this step is about (a function, a loop), first and last, 1-based
    /// and inclusive: the code pane keeps them in view and marks them. Without
    /// `lines` in the file, the step's `line` alone.
    pub lines: (usize, usize),
    pub title: Text,
    pub text: Text,
    /// Predict, then run: asked when the run stops at this step's gate.
    pub quiz: Option<super::quiz::Quiz>,
    /// While main is held at this step, the other processes keep running (a step
    /// that shows work going on). Otherwise the whole run stands still.
    pub keep_running: bool,
    /// Slow motion: from the moment this step's gate is passed (released in step
    /// mode, reached while playing) the run goes at this fraction of the learner's
    /// speed, until a later step's `speed` replaces it (1: the learner's own again).
    /// Sleeps and the scenario's paced work honour it (`Ctx::keep_pace`).
    pub speed: Option<f64>,
    /// A Python lesson's step: the observed event that reaches it (a compiled
    /// lesson's step is reached at its scenario's gate).
    pub on: Option<crate::trace::steps::StepOn>,
    /// The parameter counting the rounds in which this step's gate comes back (pi's
    /// sweep: `workers`); the header says "round k of n", k counted from the run's
    /// own arrivals at the gate.
    pub rounds: Option<String>,
}

/// What runs a lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// A scenario compiled into proclab re-enacts the program (no Python needed).
    Compiled,
    /// The lesson's `python` program runs under a real CPython, traced; its steps are
    /// keyed by events the tracer observes.
    Python {
        /// Labels by the Python function a process runs (`Process(target=…)`).
        labels: BTreeMap<String, String>,
        /// How the screens show the run: the pane beside the tree (the lesson's
        /// `pane`), and whether each core's load is sampled for it.
        view: crate::scenario::View,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub id: String,
    /// The compiled scenario, or `trace` for a Python lesson.
    pub scenario: &'static str,
    pub runtime: Runtime,
    pub minutes: u32,
    pub title: Text,
    pub summary: Text,
    pub params: Params,
    pub python: String,
    pub steps: Vec<Step>,
    /// Where a process held at a per-process gate ("be the scheduler") stands in
    /// the program: gate name → 1-based line.
    pub process_lines: BTreeMap<String, usize>,
    /// Where it came from, for messages.
    pub source: String,
    /// Why it cannot run under the `--cap` it was loaded with (file:line:col and the
    /// arithmetic), if it cannot.
    pub over_cap: Option<super::loader::LessonError>,
    /// What `check-lessons` notes without failing: a language some text lacks.
    pub notes: Vec<super::loader::LessonError>,
    /// The same lesson with other parameters (`[[variants]]`), in the order written.
    pub variants: Vec<Variant>,
}

/// A lesson run with other parameters, its program changed to match.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub id: String,
    pub name: Text,
    /// `key=value` as `--set` takes them: what differs from the lesson's `[params]`.
    pub set: Vec<(String, String)>,
    /// The lesson's params with `set` over them.
    pub params: Params,
    /// Program lines replaced: `(from, to)`.
    pub code: Vec<(String, String)>,
    /// The variant's own words for some steps (by step index), where the lesson's
    /// would say what this run does not show.
    pub steps: BTreeMap<usize, StepWords>,
}

/// A step's title and text as a variant says them (`None`: the lesson's).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepWords {
    pub title: Option<Text>,
    pub text: Option<Text>,
    pub quiz: Option<super::quiz::Quiz>,
}

impl Lesson {
    /// The program as the variant runs it (`None`: as written, borrowed: the code
    /// pane asks for it at every frame).
    pub fn program(&self, variant: Option<usize>) -> std::borrow::Cow<'_, str> {
        let code = variant
            .and_then(|v| self.variants.get(v))
            .map_or(&[][..], |v| &v.code[..]);
        if code.is_empty() {
            return std::borrow::Cow::Borrowed(&self.python);
        }
        let mut program = self.python.clone();
        for (from, to) in code {
            program = program.replacen(from.as_str(), to, 1);
        }
        std::borrow::Cow::Owned(program)
    }

    /// Step `i`'s title as the variant says it (`None`: the lesson's own).
    pub fn step_title(&self, i: usize, variant: Option<usize>) -> Option<&Text> {
        let own = &self.steps.get(i)?.title;
        Some(
            self.variant_words(i, variant)
                .and_then(|w| w.title.as_ref())
                .unwrap_or(own),
        )
    }

    /// Step `i`'s narration as the variant says it (`None`: the lesson's own).
    pub fn step_text(&self, i: usize, variant: Option<usize>) -> Option<&Text> {
        let own = &self.steps.get(i)?.text;
        Some(
            self.variant_words(i, variant)
                .and_then(|w| w.text.as_ref())
                .unwrap_or(own),
        )
    }

    /// Step `i`'s question as the variant asks it (`None`: no question there).
    pub fn step_quiz(&self, i: usize, variant: Option<usize>) -> Option<&super::quiz::Quiz> {
        self.variant_words(i, variant)
            .and_then(|w| w.quiz.as_ref())
            .or(self.steps.get(i)?.quiz.as_ref())
    }

    fn variant_words(&self, i: usize, variant: Option<usize>) -> Option<&StepWords> {
        self.variants.get(variant?)?.steps.get(&i)
    }

    /// The parameters the variant runs with (`None`: the lesson's).
    pub fn params_for(&self, variant: Option<usize>) -> &Params {
        variant
            .and_then(|v| self.variants.get(v))
            .map_or(&self.params, |v| &v.params)
    }

    pub fn is_python(&self) -> bool {
        matches!(self.runtime, Runtime::Python { .. })
    }

    /// How the screens show this lesson's run: a Python lesson's `pane`, else its
    /// scenario's own view.
    pub fn view(&self) -> crate::scenario::View {
        match &self.runtime {
            Runtime::Python { view, .. } => *view,
            Runtime::Compiled => {
                crate::scenario::find(self.scenario).map_or(crate::scenario::View::TREE, |s| s.view)
            }
        }
    }

    /// A Python lesson's run: `python` runs its program, traced, holding at its steps
    /// if `hold`. None for a compiled lesson.
    pub fn trace_request(
        &self,
        python: &std::path::Path,
        cap: u32,
        hold: bool,
    ) -> Option<crate::ptrace::tracer::TraceRequest> {
        use crate::ptrace::tracer::{LessonTrace, TraceRequest};
        let Runtime::Python { labels, .. } = &self.runtime else {
            return None;
        };
        Some(TraceRequest {
            lesson: Some(LessonTrace {
                id: self.id.clone(),
                program: self.python.clone(),
                steps: self.step_specs(),
                run_on: self.python_run_on_mask(),
                labels: labels.clone(),
            }),
            hold,
            ..TraceRequest::command(vec![python.display().to_string()], cap)
        })
    }

    /// A Python lesson's steps as the tracer takes them: name and event, in order.
    pub fn step_specs(&self) -> Vec<crate::trace::steps::StepSpec> {
        self.steps
            .iter()
            .filter_map(|s| {
                s.on.clone().map(|on| crate::trace::steps::StepSpec {
                    gate: s.gate.clone(),
                    on,
                })
            })
            .collect()
    }

    /// A Python lesson's run-on mask: a bit for each step (by index) at which the
    /// program keeps running.
    pub fn python_run_on_mask(&self) -> u64 {
        self.steps
            .iter()
            .enumerate()
            .filter(|(i, s)| s.keep_running && *i < 64)
            .fold(0, |mask, (i, _)| mask | 1 << i)
    }

    /// Each step's slow motion, by gate (`Step::speed`), for a run that is not held.
    pub fn slowing(&self) -> Vec<(String, f64)> {
        self.steps
            .iter()
            .filter_map(|s| Some((s.gate.clone(), s.speed?)))
            .collect()
    }

    pub fn step_for_gate(&self, gate: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.gate == gate)
    }

    /// The control block's run-on mask: a bit (by index in `gates`, the scenario's
    /// gate list) for each step whose processes keep running.
    pub fn run_on_mask(&self, gates: &[&str]) -> u64 {
        self.steps
            .iter()
            .filter(|s| s.keep_running)
            .filter_map(|s| gates.iter().position(|g| *g == s.gate))
            .filter(|i| *i < 64)
            .fold(0, |mask, i| mask | 1 << i)
    }
}
