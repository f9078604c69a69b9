//! Loading lessons from TOML: parse with spans, validate against the scenario, and
//! report every problem as `file:line:col: message`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::model::{Lang, Lesson, Runtime, Step, Text};
use crate::scenario::{self, params};
use crate::trace::steps::{OnEvent, StepOn};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/lessons.rs"));
}

#[derive(Debug, Clone, PartialEq)]
pub struct LessonError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message may quote the lesson file: shown, never obeyed, and a huge
        // string cut (`crate::visible`).
        let message = crate::visible::cut_long_words(&self.message);
        write!(
            f,
            "{}:{}:{}: {}",
            crate::visible::escape(&self.file),
            self.line,
            self.col,
            crate::visible::escape_lines(&message)
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLesson {
    id: Spanned<String>,
    /// `"python"`: the program runs under CPython, traced. Absent: compiled.
    runtime: Option<Spanned<String>>,
    scenario: Option<Spanned<String>>,
    minutes: u32,
    title: Spanned<Text>,
    summary: Spanned<Text>,
    params: Option<Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>>,
    python: Spanned<String>,
    steps: Spanned<Vec<RawStep>>,
    process_lines: Option<BTreeMap<Spanned<String>, Spanned<usize>>>,
    /// Python lessons: a process's label by the function it runs.
    labels: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    /// Python lessons: the pane beside the tree (`"cores"`); a scenario has its own.
    pane: Option<Spanned<String>>,
    /// The same lesson with other parameters, offered in the screens (`v`).
    variants: Option<Vec<Spanned<variants::RawVariant>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    gate: Spanned<String>,
    on: Option<Spanned<RawOn>>,
    /// The marked line; with `lines` it may be left out (then the range's first).
    line: Option<Spanned<usize>>,
    /// `[first, last]`: the lines the step is about.
    lines: Option<Spanned<Vec<Spanned<usize>>>>,
    title: Spanned<Text>,
    text: Spanned<Text>,
    quiz: Option<Spanned<quiz::RawQuiz>>,
    #[serde(default)]
    keep_running: bool,
    speed: Option<Spanned<f64>>,
    /// The integer parameter that counts the rounds in which this step's gate is
    /// reached again (a loop): the narration's header then says which round it is.
    rounds: Option<Spanned<String>>,
}

/// The slowest a lesson may slow its run: a ten-thousandth stretches 0.1 ms of
/// compiled work (about a chunk of pi's series) to a second.
pub const SLOWEST: f64 = 0.0001;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOn {
    event: Spanned<String>,
    n: Option<Spanned<i64>>,
    process: Option<Spanned<String>>,
    signal: Option<Spanned<String>>,
    text: Option<Spanned<String>>,
}

/// 1-based line and column of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Reporter<'a> {
    file: &'a str,
    src: &'a str,
    errors: Vec<LessonError>,
    /// Languages some text was not written in: where first, how many texts.
    missing: BTreeMap<Lang, (Range<usize>, usize)>,
}

impl Reporter<'_> {
    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, col) = line_col(self.src, span.start);
        self.errors.push(LessonError {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        });
    }

    /// A text must say something in one language at least; a language it lacks is
    /// counted for a note (the screens fall back), never an error.
    fn text(&mut self, span: Range<usize>, what: &str, text: &Text) {
        if text.is_blank() {
            let codes: Vec<&str> = Lang::all().map(Lang::code).collect();
            self.at(
                span,
                format!(
                    "{what} is empty: write it in one language at least ({})",
                    codes.join(", ")
                ),
            );
            return;
        }
        for lang in text.missing() {
            let seen = self.missing.entry(lang).or_insert((span.clone(), 0));
            // The note points at the first such text in the file, whatever the order
            // of the checks.
            if span.start < seen.0.start {
                seen.0 = span.clone();
            }
            seen.1 += 1;
        }
    }

    /// One note per language the lesson is not (fully) written in.
    fn notes(&self) -> Vec<LessonError> {
        self.missing
            .iter()
            .map(|(lang, (span, n))| {
                let (line, col) = line_col(self.src, span.start);
                let texts = if *n == 1 { "text" } else { "texts" };
                LessonError {
                    file: self.file.to_string(),
                    line,
                    col,
                    message: format!(
                        "note: {n} {texts} without {code} (the first here): a learner reading {code} sees them in English, or in the language written",
                        code = lang.code()
                    ),
                }
            })
            .collect()
    }
}

/// Parses and validates one lesson file; `cap` is the live-process cap to check
/// the lesson's params against.
pub fn parse(file: &str, src: &str, cap: u32) -> Result<Lesson, Vec<LessonError>> {
    let mut rep = Reporter {
        file,
        src,
        errors: Vec::new(),
        missing: BTreeMap::new(),
    };
    let mut raw: RawLesson = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let message = e.message().trim().to_string();
            rep.at(e.span().unwrap_or(0..0), message);
            return Err(rep.errors);
        }
    };
    let python_runtime = match &raw.runtime {
        None => false,
        Some(r) if r.get_ref() == "python" => true,
        Some(r) if r.get_ref() == "compiled" => false,
        Some(r) => {
            rep.at(
                r.span(),
                format!(
                    "unknown runtime '{}': \"python\" (the program runs under CPython) or \"compiled\" (a scenario, the default)",
                    r.get_ref()
                ),
            );
            return Err(rep.errors);
        }
    };
    let spec = if python_runtime {
        python_only_fields(&mut rep, &raw);
        &crate::ptrace::TRACED
    } else {
        let Some(name) = &raw.scenario else {
            rep.at(
                raw.id.span(),
                "a lesson names its scenario (scenario = \"…\"), or says runtime = \"python\" to run its own program",
            );
            return Err(rep.errors);
        };
        let Some(spec) = scenario::find(name.get_ref()) else {
            rep.at(name.span(), scenario::unknown(name.get_ref()));
            return Err(rep.errors);
        };
        if let Some(labels) = &raw.labels {
            rep.at(
                labels.span(),
                "[labels] is for python lessons (runtime = \"python\"): a scenario labels its own processes",
            );
        }
        if let Some(pane) = &raw.pane {
            rep.at(
                pane.span(),
                format!(
                    "pane is for python lessons (runtime = \"python\"): scenario '{}' shows its own",
                    spec.id
                ),
            );
        }
        spec
    };
    if raw.id.get_ref().trim().is_empty() {
        rep.at(raw.id.span(), "id must not be empty");
    }

    let mut params = params::Params::defaults(spec.params);
    let params_span = raw.params.as_ref().map_or(0..0, |p| p.span());
    for (key, value) in raw.params.iter().flat_map(|p| p.get_ref()) {
        match params::parse_toml(spec.params, spec.id, key.get_ref(), value.get_ref()) {
            Ok(v) => params.set(key.get_ref(), v),
            Err(e) => rep.at(key.span(), e.message),
        }
    }
    // Over the cap is not a broken file: the lesson stays in the course, marked, so a
    // lowered `--cap` closes only the lessons that need more (check-lessons still
    // reports it as a problem). A Python program's peak is not known before it runs:
    // the tracer's cap holds it.
    let over_cap = if rep.errors.is_empty()
        && !python_runtime
        && let Err(message) = spec.check_cap(&params, cap)
    {
        let (line, col) = line_col(src, params_span.start);
        Some(LessonError {
            file: file.to_string(),
            line,
            col,
            message,
        })
    } else {
        None
    };

    let python_lines = raw.python.get_ref().lines().count();
    if python_lines == 0 {
        rep.at(raw.python.span(), "python must hold the lesson's program");
    }
    if raw.steps.get_ref().is_empty() {
        rep.at(raw.steps.span(), "a lesson needs at least one [[steps]]");
    }
    let mut steps: Vec<Step> = Vec::new();
    let raw_steps = std::mem::take(raw.steps.get_mut());
    for s in raw_steps {
        let on = if python_runtime {
            step_on(&mut rep, &s)
        } else {
            if let Some(on) = &s.on {
                rep.at(
                    on.span(),
                    format!(
                        "'on' is for python lessons; a step of scenario '{}' is reached at its gate",
                        spec.id
                    ),
                );
            } else if !spec.gates.contains(&s.gate.get_ref().as_str()) {
                rep.at(
                    s.gate.span(),
                    format!(
                        "scenario '{}' has no gate '{}'; its gates are: {}",
                        spec.id,
                        s.gate.get_ref(),
                        spec.gates.join(", ")
                    ),
                );
            }
            None
        };
        if python_runtime && steps.iter().any(|k| k.gate == *s.gate.get_ref()) {
            rep.at(
                s.gate.span(),
                format!(
                    "another step is already named '{}': a python lesson's steps need names of their own",
                    s.gate.get_ref()
                ),
            );
        }
        let (line, lines) = step_lines(&mut rep, &s, python_lines);
        for (which, text) in [("step title", &s.title), ("step text", &s.text)] {
            rep.text(text.span(), which, text.get_ref());
        }
        let speed = s.speed.as_ref().map(|v| *v.get_ref());
        if let Some(v) = &s.speed {
            step_speed(&mut rep, v, python_runtime);
        }
        if let Some(r) = &s.rounds
            && params.get_int(r.get_ref()).is_none_or(|n| n < 1)
        {
            rep.at(
                r.span(),
                format!(
                    "rounds = '{}' must name an integer parameter of at least 1 (the number of rounds)",
                    r.get_ref()
                ),
            );
        }
        let rounds = s.rounds.map(Spanned::into_inner);
        let quiz = s.quiz.and_then(|q| quiz::quiz(&mut rep, spec, q));
        steps.push(Step {
            gate: s.gate.into_inner(),
            line,
            lines,
            title: s.title.into_inner(),
            text: s.text.into_inner(),
            quiz,
            keep_running: s.keep_running,
            speed,
            on,
            rounds,
        });
    }
    let mut process_lines = BTreeMap::new();
    for (gate, line) in raw.process_lines.iter().flatten() {
        if !spec.process_gates.contains(&gate.get_ref().as_str()) {
            let known = if spec.process_gates.is_empty() {
                "none".to_string()
            } else {
                spec.process_gates.join(", ")
            };
            rep.at(
                gate.span(),
                format!(
                    "scenario '{}' has no per-process gate '{}'; its per-process gates: {known}",
                    spec.id,
                    gate.get_ref()
                ),
            );
        }
        let n = *line.get_ref();
        if n == 0 || n > python_lines {
            rep.at(
                line.span(),
                format!("line {n} is outside the python program (1..={python_lines})"),
            );
        }
        process_lines.insert(gate.get_ref().clone(), n);
    }
    let runtime = if python_runtime {
        let labels = raw
            .labels
            .map(|l| {
                l.into_inner()
                    .into_iter()
                    .map(|(k, v)| (k.into_inner(), v.into_inner()))
                    .collect()
            })
            .unwrap_or_default();
        Runtime::Python {
            labels,
            view: python_view(&mut rep, raw.pane.as_ref()),
        }
    } else {
        Runtime::Compiled
    };
    rep.text(raw.title.span(), "title", raw.title.get_ref());
    rep.text(raw.summary.span(), "summary", raw.summary.get_ref());
    let gates: Vec<String> = steps.iter().map(|s| s.gate.clone()).collect();
    let variants = variants::check(
        &mut rep,
        spec,
        &params,
        raw.variants,
        raw.python.get_ref(),
        &gates,
        cap,
    );
    if !rep.errors.is_empty() {
        return Err(rep.errors);
    }
    let notes = rep.notes();
    Ok(Lesson {
        variants,
        id: raw.id.into_inner(),
        scenario: spec.id,
        runtime,
        minutes: raw.minutes,
        title: raw.title.into_inner(),
        summary: raw.summary.into_inner(),
        params,
        python: raw.python.into_inner().trim_start_matches('\n').to_string(),
        steps,
        process_lines,
        source: file.to_string(),
        over_cap,
        notes,
    })
}

/// A Python lesson runs its own program: what only a scenario has is refused where
/// it is written, and its labels must be names.
fn python_only_fields(rep: &mut Reporter, raw: &RawLesson) {
    if let Some(s) = &raw.scenario {
        rep.at(
            s.span(),
            "a python lesson (runtime = \"python\") runs its own program: remove scenario",
        );
    }
    if let Some(p) = &raw.params {
        rep.at(
            p.span(),
            "a python lesson has no [params]: its program is what runs",
        );
    }
    if let Some((gate, _)) = raw.process_lines.iter().flatten().next() {
        rep.at(
            gate.span(),
            "[process_lines] is for a scenario's per-process gates, not a python lesson",
        );
    }
    for (function, label) in raw.labels.iter().flat_map(|l| l.get_ref()) {
        if !is_python_name(function.get_ref()) {
            rep.at(
                function.span(),
                format!(
                    "'{}' is not a Python function name (letters, digits, _)",
                    function.get_ref()
                ),
            );
        }
        if label.get_ref().trim().is_empty() || label.get_ref().chars().any(char::is_control) {
            rep.at(label.span(), "a label is a short name on one line");
        }
    }
}

/// The pane a Python lesson asks for beside the tree: by default the tree alone (the
/// messages pane appears once a message passes); `"cores"`: each core's load over
/// time, sampled while the program runs, and what it printed.
fn python_view(rep: &mut Reporter, pane: Option<&Spanned<String>>) -> scenario::View {
    match pane.map(|p| (p.get_ref().as_str(), p.span())) {
        None => scenario::View::TREE,
        Some(("cores", _)) => scenario::View::CORES,
        Some((other, span)) => {
            rep.at(
                span,
                format!(
                    "unknown pane '{other}': \"cores\" (each core's load over time, and what the program printed); without pane, the tree alone, and the messages pane once a message passes"
                ),
            );
            scenario::View::TREE
        }
    }
}

fn is_python_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// A step's `speed`: a slowing of a compiled run, between `SLOWEST` and 1.
fn step_speed(rep: &mut Reporter, v: &Spanned<f64>, python_runtime: bool) {
    let speed = *v.get_ref();
    if python_runtime {
        rep.at(
            v.span(),
            "'speed' is for compiled lessons: a traced program runs at its own pace",
        );
    } else if !(SLOWEST..=1.0).contains(&speed) {
        rep.at(
            v.span(),
            format!(
                "speed {speed} is outside {SLOWEST}..=1: a step can slow the run (0.1 is ten times slower) or give back the learner's speed (1)"
            ),
        );
    }
}

/// A Python lesson's step: the event that reaches it, checked field by field.
fn step_on(rep: &mut Reporter, s: &RawStep) -> Option<StepOn> {
    let Some(on) = &s.on else {
        rep.at(
            s.gate.span(),
            format!(
                "step '{}' needs on = {{ event = \"…\" }}: the event that reaches it ({})",
                s.gate.get_ref(),
                event_names()
            ),
        );
        return None;
    };
    let raw = on.get_ref();
    let Some(event) = OnEvent::parse(raw.event.get_ref()) else {
        rep.at(
            raw.event.span(),
            format!(
                "unknown event '{}'; a step is reached by one of: {}",
                raw.event.get_ref(),
                event_names()
            ),
        );
        return None;
    };
    let before = rep.errors.len();
    let n = match &raw.n {
        None => 1,
        Some(n) => match u32::try_from(*n.get_ref()) {
            Ok(v) if v >= 1 => v,
            _ => {
                rep.at(
                    n.span(),
                    format!(
                        "n counts events from the previous step: 1 or more, not {}",
                        n.get_ref()
                    ),
                );
                1
            }
        },
    };
    if let Some(sig) = &raw.signal {
        if event != OnEvent::Signal {
            rep.at(sig.span(), "signal = … narrows only an event = \"signal\"");
        } else if sig.get_ref().parse::<nix::sys::signal::Signal>().is_err() {
            rep.at(
                sig.span(),
                format!(
                    "'{}' is not a signal name (SIGTERM, SIGKILL, SIGINT, …)",
                    sig.get_ref()
                ),
            );
        }
    }
    if let Some(text) = &raw.text
        && !matches!(event, OnEvent::Print | OnEvent::Exec)
    {
        rep.at(
            text.span(),
            "text = … narrows only an event = \"print\" (the line) or \"exec\" (the command)",
        );
    }
    if let Some(p) = &raw.process
        && (event == OnEvent::End || p.get_ref().trim().is_empty())
    {
        rep.at(
            p.span(),
            "process = … names a process's label (main, or one of [labels]); the end is no process's",
        );
    }
    if rep.errors.len() > before {
        return None;
    }
    Some(StepOn {
        event,
        n,
        process: raw.process.as_ref().map(|p| p.get_ref().clone()),
        signal: raw.signal.as_ref().map(|p| p.get_ref().clone()),
        text: raw.text.as_ref().map(|p| p.get_ref().clone()),
    })
}

fn event_names() -> String {
    OnEvent::ALL
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Loads the lessons built into the binary, or every `*.toml` in `dir`, in file-name
/// order (file names start with the course position: `01-…`).
pub fn load(dir: Option<&Path>, cap: u32) -> Result<Vec<Lesson>, Vec<LessonError>> {
    let files: Vec<(String, String)> = match dir {
        None => builtin::BUILTIN
            .iter()
            .map(|(name, src)| (format!("lessons/{name}"), src.to_string()))
            .collect(),
        Some(dir) => read_dir(dir)?,
    };
    let mut lessons = Vec::new();
    let mut errors = Vec::new();
    for (name, src) in &files {
        match parse(name, src, cap) {
            Ok(l) => lessons.push(l),
            Err(mut e) => errors.append(&mut e),
        }
    }
    let mut ids = BTreeMap::new();
    for l in &lessons {
        if let Some(first) = ids.insert(l.id.clone(), l.source.clone()) {
            errors.push(LessonError {
                file: l.source.clone(),
                line: 1,
                col: 1,
                message: format!("lesson id '{}' is also used by {first}", l.id),
            });
        }
    }
    if errors.is_empty() {
        Ok(lessons)
    } else {
        Err(errors)
    }
}

/// A step's marked line and the range it is about, both inside the program:
/// `line` alone (the range is that line), `lines = [first, last]` alone (the line is
/// the first), or both: main's line may lie elsewhere (at `p.join()` while the step
/// is about the function its children run).
fn step_lines(rep: &mut Reporter, s: &RawStep, python_lines: usize) -> (usize, (usize, usize)) {
    let outside = |n: usize| n == 0 || n > python_lines;
    let range = match &s.lines {
        None => None,
        Some(lines) => match lines.get_ref().as_slice() {
            [first, last] => {
                let (a, b) = (*first.get_ref(), *last.get_ref());
                for n in [first, last] {
                    if outside(*n.get_ref()) {
                        rep.at(
                            n.span(),
                            format!(
                                "line {} is outside the python program (1..={python_lines})",
                                n.get_ref()
                            ),
                        );
                    }
                }
                if a > b {
                    rep.at(
                        lines.span(),
                        format!("lines = [{a}, {b}]: the first line must not come after the last"),
                    );
                }
                Some((a, b))
            }
            _ => {
                rep.at(
                    lines.span(),
                    "lines is [first, last]: two line numbers of the program",
                );
                None
            }
        },
    };
    let line = match (&s.line, range) {
        (Some(line), _) => {
            let n = *line.get_ref();
            if outside(n) {
                rep.at(
                    line.span(),
                    format!("line {n} is outside the python program (1..={python_lines})"),
                );
            }
            n
        }
        (None, Some((a, _))) => a,
        (None, None) => {
            rep.at(
                s.gate.span(),
                "a step needs line = N or lines = [first, last]",
            );
            1
        }
    };
    (line, range.unwrap_or((line, line)))
}

fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, Vec<LessonError>> {
    let fail = |message: String| {
        vec![LessonError {
            file: dir.display().to_string(),
            line: 1,
            col: 1,
            message,
        }]
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| fail(format!("cannot read the folder: {e}")))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(fail("no *.toml lesson files in this folder".into()));
    }
    let mut files = Vec::new();
    for p in paths {
        let src = std::fs::read_to_string(&p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
        files.push((p.display().to_string(), src));
    }
    Ok(files)
}

mod quiz;
mod variants;

#[cfg(test)]
mod tests;
