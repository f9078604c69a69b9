//! The application state and its messages. `update` (in `update.rs`) is pure: it
//! changes `App` and returns `Command`s for the main loop to carry out; nothing here
//! does I/O, and drawing only reads.

pub mod flow;
mod ingest;
pub mod keymap;
pub mod locks;
pub mod navigate;
pub mod phase;
pub mod procs;
pub mod quiz;
pub mod signals;
pub mod slow;
pub mod stall;
mod update;
pub mod waitstatus;
pub mod work;

use std::collections::{BTreeMap, VecDeque};

use crate::lesson::{Lang, Lesson};
use crate::scenario::{Scenario, params::Params};
use crate::trace::event::Event;

pub use keymap::Action;
pub use update::update;

/// How many event-log lines are kept.
pub const LOG_KEEP: usize = 400;
pub const MIN_SPEED: f64 = 0.25;
pub const MAX_SPEED: f64 = 64.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Menu,
    Run,
}

#[derive(Debug)]
pub enum Msg {
    Action(Action),
    Event(Event),
    /// A bad line on the wire or a line on stderr: shown in the log, never fatal.
    Warning(crate::i18n::Said),
    /// Something the front end did for the learner (a trace saved): a line in the log.
    Note(crate::i18n::Said),
    RunEnded,
    /// The wall clock, in ms since the front end started: sent once a second while
    /// something on screen depends on it (presenter timer, auto-advance).
    Tick(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Start a run, first stopping the current one (its last messages are dropped).
    StartRun {
        scenario: &'static Scenario,
        params: Params,
        speed: f64,
        step_mode: bool,
        /// Gates at which the run's other processes keep running (bits by index in
        /// the scenario's gates); at the others the whole run stands still.
        run_on: u64,
    },
    StopRun,
    Permit,
    /// Let the process at this slot take its next step ("be the scheduler").
    PermitSlot(u32),
    SetStepMode(bool),
    SetPaused(bool),
    SetSpeed(f64),
    /// Start tracing a learner's own program (`proclab trace`) or a Python lesson's,
    /// replacing any run; `cores`: each core's load is sampled (the run's view says so).
    StartTrace {
        req: crate::ptrace::tracer::TraceRequest,
        cores: bool,
    },
    /// Send `signal` to `pid`, a live process of the current run (through its pidfd).
    Signal {
        pid: i32,
        signal: nix::sys::signal::Signal,
    },
    Quit,
    /// Remember these lessons as finished (the front end writes the state file).
    SaveFinished(Vec<String>),
    /// `w`: save the current run's trace so far (the main loop picks the file name).
    SaveTrace {
        scenario: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub t_us: u64,
    pub pid: i32,
    /// Put in words when drawn, so `L` changes the lines already there.
    pub text: crate::i18n::Said,
    pub class: LogClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogClass {
    Print,
    Lifecycle,
    Gate,
    Warning,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub processes: u32,
    pub leaked: u32,
    pub duration_us: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    pub lesson: Option<usize>,
    pub scenario: &'static Scenario,
    /// How the screens show it: the scenario's view, or a Python lesson's `pane`.
    pub view: crate::scenario::View,
    pub params: Params,
    pub procs: procs::ProcTable,
    /// Messages through queues and pipes, for the flow pane.
    pub flow: flow::Flow,
    /// Progress, CPU per core and results, for the work pane.
    pub work: work::Work,
    /// Holders, waiters and times of locks, semaphores and events.
    pub locks: locks::Locks,
    pub log: VecDeque<LogEntry>,
    /// The last gate the main process reached, and the lesson step it opens.
    pub gate: Option<String>,
    pub step: Option<usize>,
    /// Quizzes asked so far in this run, in order; the last may still be open.
    pub quizzes: Vec<quiz::QuizRun>,
    /// Lines the narration is scrolled down (n); back to 0 at each new step.
    pub narration_scroll: u16,
    /// Lines the code pane is moved by hand (J down, K up) from where the step puts
    /// it; back to 0 at each new step.
    pub code_scroll: i16,
    /// How many of the newest log entries are scrolled out of view below (`[`/`]`);
    /// 0 follows the newest.
    pub log_scroll: usize,
    /// Playing, paused, stepping, held at a step, or over (`phase.rs`).
    pub phase: phase::Phase,
    /// Which process reached the last gate.
    pub gate_pid: Option<i32>,
    /// How many times the run has reached the current step's gate (a step in a loop
    /// comes back once per round); 0 before any step.
    pub gate_passes: u32,
    /// Processes waiting at their own gate for the learner to pick them: pid → (slot,
    /// gate name).
    pub slot_held: BTreeMap<i32, (u32, String)>,
    pub speed: f64,
    /// A lesson step's slow motion in force (`slow.rs`): the run goes at `speed`
    /// times this. `None`: at the learner's speed.
    pub slow: Option<f64>,
    pub now_us: u64,
    /// The selected process, as an index into `procs.rows()` (rows never move, so a
    /// spawn or an adoption that reorders the drawn tree costs nothing here).
    /// `None`: the first row.
    pub selected: Option<usize>,
    /// The selection follows the latest reap (so its status is decoded under the
    /// tree) until the learner moves it by hand.
    pub follow: bool,
    pub summary: Option<Summary>,
    /// The signal menu (`s`), when open.
    pub signal_menu: Option<signals::SignalMenu>,
    /// Signals sent (by the learner or the scenario) whose outcome the log will tell
    /// when the target's next telling state change or its reap arrives.
    pub signalled: BTreeMap<i32, signals::Sent>,
    /// The learner sent a signal in this run: it may no longer be the run the
    /// narration describes (a restart clears it).
    pub learner_signalled: bool,
    /// A recorded trace played back (`proclab replay`): no process is live.
    pub replay: bool,
    /// A traced program (`proclab trace`) instead of a scenario: what to start again.
    pub trace: Option<crate::ptrace::tracer::TraceRequest>,
    /// A step the learner jumped to that the run has not reached yet: every step
    /// before it is released as soon as it holds (`navigate`).
    pub skip_to: Option<usize>,
    /// The outline of the lesson's steps (`o`), when open: the step under the cursor.
    pub outline: Option<usize>,
    /// The lesson's variant this run plays (`None`: as written), `v` to choose.
    pub variant: Option<usize>,
    /// The variant picker (`v`), when open: the entry under the cursor (0: as written).
    pub picker: Option<usize>,
    /// The front end's own PID (`App::me`): a signal it sends is the learner's, and
    /// the log says "you" instead of a PID that is in no tree.
    pub front_end: Option<i32>,
    /// The app clock at the last event, and at the last one that showed the run
    /// moving (`stall::shows_progress`).
    pub seen_ms: u64,
    pub progress_ms: u64,
    /// The run stands still by itself (`stall::check`, at each tick).
    pub stall: Option<stall::Stall>,
}

impl RunView {
    pub fn new(
        lesson: Option<usize>,
        scenario: &'static Scenario,
        params: Params,
        step_mode: bool,
        speed: f64,
    ) -> RunView {
        RunView {
            lesson,
            scenario,
            view: scenario.view,
            params,
            procs: procs::ProcTable::default(),
            flow: flow::Flow::default(),
            work: work::Work::default(),
            locks: locks::Locks::default(),
            log: VecDeque::new(),
            gate: None,
            step: None,
            narration_scroll: 0,
            code_scroll: 0,
            log_scroll: 0,
            quizzes: Vec::new(),
            phase: phase::Phase::start(step_mode),
            gate_pid: None,
            gate_passes: 0,
            slot_held: BTreeMap::new(),
            speed,
            slow: None,
            now_us: 0,
            selected: None,
            follow: true,
            summary: None,
            signal_menu: None,
            signalled: BTreeMap::new(),
            learner_signalled: false,
            replay: false,
            trace: None,
            skip_to: None,
            outline: None,
            variant: None,
            picker: None,
            front_end: None,
            seen_ms: 0,
            progress_ms: 0,
            stall: None,
        }
    }
}

impl RunView {
    /// Main is held at the gate of a step until the learner releases it.
    pub fn held(&self) -> bool {
        self.phase.held()
    }

    pub fn paused(&self) -> bool {
        self.phase.paused()
    }

    pub fn step_mode(&self) -> bool {
        self.phase.step_mode()
    }

    pub fn ended(&self) -> bool {
        self.phase.ended()
    }

    /// The step's question still waits for the class's answer (a pace waits with it).
    pub fn question_open(&self) -> bool {
        self.quizzes.last().is_some_and(|q| {
            Some(q.step) == self.step && q.chosen.is_none() && q.reported.is_none()
        })
    }

    /// The selected process (the first row until the learner or a reap moves it).
    pub fn selected_row(&self) -> Option<&procs::ProcRow> {
        self.selected_index().map(|i| &self.procs.rows()[i])
    }

    /// The selected process as an index into `procs.rows()`.
    pub fn selected_index(&self) -> Option<usize> {
        let rows = self.procs.len();
        match self.selected {
            Some(i) if i < rows => Some(i),
            _ => (rows > 0).then_some(0),
        }
    }

    pub fn select_index(&mut self, row: usize) {
        self.selected = Some(row);
    }

    /// Where the selection is in the drawn tree (parents before their children).
    pub fn selected_line(&self) -> usize {
        let Some(row) = self.selected_index() else {
            return 0;
        };
        self.procs
            .tree()
            .iter()
            .position(|l| l.row == row)
            .unwrap_or(0)
    }

    /// Moves the selection `delta` lines up or down the drawn tree, clamped.
    pub fn move_selection(&mut self, delta: isize) {
        let lines = self.procs.tree();
        if lines.is_empty() {
            return;
        }
        let now = self.selected_line();
        let at = if delta < 0 {
            now.saturating_sub(delta.unsigned_abs())
        } else {
            now.saturating_add(delta.unsigned_abs())
        };
        let at = at.min(lines.len() - 1);
        self.selected = Some(lines[at].row);
    }
}

/// Presenter mode's own state: when the class started and the theme to go back to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Presenter {
    /// Filled in by the first `Tick` after `P` (the clock is not kept between ticks).
    pub since_ms: Option<u64>,
    pub theme_before: crate::theme::Theme,
    /// `c`: the program big, where the tree was (the step's lines marked).
    pub code: bool,
}

#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent switches of the screens (help shown, log shown, quit asked, the course loaded): no two are states of one thing"
)]
pub struct App {
    pub lessons: Vec<Lesson>,
    pub lang: Lang,
    pub screen: Screen,
    pub menu_selected: usize,
    pub run: Option<RunView>,
    pub help: bool,
    /// Tab: the event log instead of the scenario's own pane (locks, flow, work).
    pub show_log: bool,
    /// Ids of the lessons the learner has played to the end (kept across sessions).
    pub finished: std::collections::BTreeSet<String>,
    /// Colours in use; `T` cycles them.
    pub theme: crate::theme::Theme,
    /// Presenter mode (`--present` or `P`): big headline, fewer panes, high contrast.
    pub present: Option<Presenter>,
    /// Auto-advance: a step held this many seconds is released by itself.
    pub pace_s: Option<f64>,
    /// The last `Tick`, in ms.
    pub clock_ms: u64,
    /// The speed lessons start at (`lesson --speed`).
    pub lesson_speed: f64,
    pub quit: bool,
    /// Opened straight into a run (`proclab run` / `proclab lesson`): leaving it quits.
    pub direct: bool,
    /// A short line about what a key just did (theme, saved trace), shown in place of
    /// the key line until the next key.
    pub notice: Option<crate::i18n::Said>,
    /// The menu's last digit, while a second one could make a lesson number of two
    /// ("1" then "6": lesson 16).
    pub menu_digit: Option<u8>,
    /// The CPython that runs Python lessons, or why there is none (the menu closes
    /// those lessons with the reason; compiled ones still run).
    pub python: Result<std::path::PathBuf, crate::python::NoPython>,
    /// The process cap runs and traces get (`--cap`).
    pub cap: u32,
    /// B: the screen is blank (a presenter's pause); any key brings it back.
    pub blank: bool,
    /// Leaving a live run was asked for: it waits for a confirmation (`navigate`).
    pub leave: Option<navigate::Leave>,
    /// proclab's own PID, given by `main` (the app itself reads no system state).
    pub me: Option<i32>,
}

impl App {
    pub fn new(lessons: Vec<Lesson>, lang: Lang) -> App {
        App {
            lessons,
            lang,
            screen: Screen::Menu,
            menu_selected: 0,
            run: None,
            help: false,
            show_log: false,
            finished: Default::default(),
            theme: Default::default(),
            present: None,
            pace_s: None,
            clock_ms: 0,
            lesson_speed: 1.0,
            quit: false,
            direct: false,
            notice: None,
            menu_digit: None,
            python: Err(crate::python::NoPython::NotLookedFor),
            cap: 64,
            blank: false,
            leave: None,
            me: None,
        }
    }

    /// Opens a lesson (starts paused at its first gate); returns the start command,
    /// none for a lesson over the process cap.
    pub fn open_lesson(&mut self, index: usize) -> Vec<Command> {
        self.open_lesson_variant(index, None)
    }

    /// Opens a lesson as one of its variants (`None`: as written).
    pub fn open_lesson_variant(&mut self, index: usize, variant: Option<usize>) -> Vec<Command> {
        let Some(lesson) = self.lessons.get(index) else {
            return Vec::new();
        };
        // The menu says why (the arithmetic); a notice says it again where the keys
        // are. Nothing starts.
        if let Some(e) = &lesson.over_cap {
            self.notice = Some(crate::said!(
                "notice.closed",
                why = crate::i18n::Said::CapRefusal(e.message.clone())
            ));
            return Vec::new();
        }
        // Each lesson opens on its own pane (its narration names it), not on the log
        // an earlier lesson left on screen.
        self.show_log = false;
        if lesson.is_python() {
            let python = match &self.python {
                Ok(p) => p.clone(),
                Err(why) => {
                    self.notice = Some(crate::said!("notice.closed", why = why.said()));
                    return Vec::new();
                }
            };
            let req = lesson.trace_request(&python, self.cap, true);
            let mut run = RunView::new(
                Some(index),
                &crate::ptrace::TRACED,
                Params::default(),
                true,
                1.0,
            );
            run.trace = req;
            return self.start(run);
        }
        let Some(scenario) = crate::scenario::find(lesson.scenario) else {
            return Vec::new();
        };
        let mut run = RunView::new(
            Some(index),
            scenario,
            lesson.params_for(variant).clone(),
            true,
            self.lesson_speed,
        );
        run.variant = variant.filter(|v| *v < lesson.variants.len());
        self.start(run)
    }

    /// Opens a bare scenario run that plays at once.
    pub fn open_run(
        &mut self,
        scenario: &'static Scenario,
        params: Params,
        speed: f64,
    ) -> Vec<Command> {
        self.start(RunView::new(None, scenario, params, false, speed))
    }

    /// Opens a bare scenario run in step mode: it waits at its first gate, and every
    /// per-process gate waits for the learner ("be the scheduler").
    pub fn open_run_stepping(
        &mut self,
        scenario: &'static Scenario,
        params: Params,
        speed: f64,
    ) -> Vec<Command> {
        self.start(RunView::new(None, scenario, params, true, speed))
    }

    /// Opens a traced program (`proclab trace`): its processes as they come.
    pub fn open_trace(&mut self, req: crate::ptrace::tracer::TraceRequest) -> Vec<Command> {
        let step_mode = req.steps();
        let mut run = RunView::new(
            None,
            &crate::ptrace::TRACED,
            Params::default(),
            step_mode,
            1.0,
        );
        run.trace = Some(req);
        self.start(run)
    }

    /// Shows `run` and returns the command that starts it (replacing any run).
    pub(crate) fn start(&mut self, mut run: RunView) -> Vec<Command> {
        // A replay's signals were sent by another proclab: not "you".
        if !run.replay {
            run.front_end = self.me;
        }
        (run.seen_ms, run.progress_ms) = (self.clock_ms, self.clock_ms);
        // A lesson's view: a Python lesson asks for its pane (`pane`).
        if let Some(lesson) = run.lesson.and_then(|i| self.lessons.get(i)) {
            run.view = lesson.view();
        }
        if let Some(req) = &run.trace {
            let cmd = Command::StartTrace {
                req: req.clone(),
                cores: run.view.samples_cores,
            };
            self.run = Some(run);
            self.screen = Screen::Run;
            return vec![cmd];
        }
        let run_on = run
            .lesson
            .and_then(|i| self.lessons.get(i))
            .map_or(0, |l| l.run_on_mask(run.scenario.gates));
        let cmd = Command::StartRun {
            scenario: run.scenario,
            params: run.params.clone(),
            speed: run.speed,
            step_mode: run.step_mode(),
            run_on,
        };
        self.run = Some(run);
        self.screen = Screen::Run;
        vec![cmd]
    }

    pub fn lesson(&self) -> Option<&Lesson> {
        self.run.as_ref()?.lesson.and_then(|i| self.lessons.get(i))
    }
}

#[cfg(test)]
mod tests;
