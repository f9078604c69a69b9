//! The terminal front end: one main loop that selects over input, the run's messages
//! and quit signals, feeds them to the pure `update`, carries out the commands it
//! returns, and redraws only when something changed.

use std::io::IsTerminal;

use color_eyre::eyre::{Result, eyre};
use crossbeam_channel::{Receiver, never};

use crate::app::{App, Command, Msg};
use crate::supervise::session::{RunMsg, RunRequest, Session};
use crate::supervise::tracing::CommandFate;
use crate::term::Term;
use crate::trace::event::{Event, EventKind};
use crate::trace::record::{Recorder, Tape, local_stamp};

/// Most run messages applied between two frames, so input stays responsive.
const BATCH: usize = 2000;

pub fn ensure_terminal() -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(eyre!(
            "the lesson screens need a terminal, and stdin or stdout is not a TTY.\n\
             Without one, try: proclab list · proclab run fork-fanout --headless · proclab run fork-fanout --json"
        ));
    }
    Ok(())
}

pub fn run(app: App, initial: Vec<Command>, cap: u32, quit: Receiver<i32>) -> Result<()> {
    run_recording(app, initial, cap, quit, None)
}

/// `run`, writing every event of the run to `record` as it arrives (`--record`).
pub fn run_recording(
    app: App,
    initial: Vec<Command>,
    cap: u32,
    quit: Receiver<i32>,
    record: Option<Recorder>,
) -> Result<()> {
    screens(app, initial, cap, quit, record).map(drop)
}

/// `proclab trace` in the screens: returns what proclab exits with once the learner
/// quits: the command's exit code (128 + N for a death by signal N) if it ended,
/// `STOPPED_BY_PROCLAB` if quitting stopped it, 2 if it never started (the log said
/// why).
pub fn run_trace(app: App, initial: Vec<Command>, cap: u32, quit: Receiver<i32>) -> Result<u8> {
    screens(app, initial, cap, quit, None).map(|fate| fate.fate().exit_code())
}

/// The screens until the learner quits; returns how the last traced command ended.
fn screens(
    mut app: App,
    initial: Vec<Command>,
    cap: u32,
    quit: Receiver<i32>,
    record: Option<Recorder>,
) -> Result<CommandFate> {
    ensure_terminal()?;
    app.finished = crate::course::load_finished();
    let mut term = Term::open()?;
    let result = event_loop(&mut term, app, initial, cap, quit, Tape::new(record));
    term.close();
    result
}

/// A live run's feed: the session of real processes (or the traced command), the
/// recording of what it sent, and how the latest traced command ended.
struct Live {
    session: Option<Session>,
    cap: u32,
    tape: Tape,
    /// How the traced command of the latest trace ended (`proclab trace`'s exit code).
    fate: CommandFate,
}

impl crate::screens::Feed for Live {
    type Wake = RunMsg;

    fn waker(&self) -> Receiver<RunMsg> {
        self.session
            .as_ref()
            .map(|s| s.messages().clone())
            .unwrap_or_else(never)
    }

    fn woke(&mut self, first: RunMsg, pending: &mut Vec<Msg>) {
        push_msgs(pending, first);
        if let Some(s) = &self.session {
            for more in s.messages().try_iter().take(BATCH) {
                push_msgs(pending, more);
            }
        }
    }

    fn seen(&mut self, msg: &Msg, pending: &mut Vec<Msg>) {
        match msg {
            Msg::Event(e) => {
                self.fate.see(e);
                pending.extend(self.tape.push(e).map(|w| Msg::Warning(w.into())));
            }
            Msg::RunEnded => self.fate.run_over(),
            _ => {}
        }
    }

    fn carry_out(&mut self, cmd: Command, pending: &mut Vec<Msg>) {
        if matches!(cmd, Command::StartTrace { .. }) {
            self.fate = CommandFate::default();
        }
        if record_command(&cmd, &mut self.tape, pending) {
            execute(cmd, &mut self.session, self.cap, pending);
        }
    }

    fn applied(&mut self, pending: &mut Vec<Msg>) {
        // The run is stopped and its last reaps are in: the summary goes last.
        if self.session.is_none() && pending.is_empty() && self.tape.holds_summary() {
            pending.extend(self.tape.finish().map(|w| Msg::Warning(w.into())));
        }
        pending.extend(self.tape.flush().map(|w| Msg::Warning(w.into())));
    }
}

fn event_loop(
    term: &mut Term,
    mut app: App,
    initial: Vec<Command>,
    cap: u32,
    quit: Receiver<i32>,
    tape: Tape,
) -> Result<CommandFate> {
    let mut live = Live {
        session: None,
        cap,
        tape,
        fate: CommandFate::default(),
    };
    let mut pending = Vec::new();
    for cmd in initial {
        crate::screens::Feed::carry_out(&mut live, cmd, &mut pending);
    }
    // What starting the run said (a failure) is applied in the loop's first turn.
    let result = crate::screens::drive(term, &mut app, &mut live, &quit, pending);
    // Every exit path, an error from drawing included, stops the run.
    if let Some(mut s) = live.session.take() {
        s.stop();
    }
    result.map(|()| live.fate)
}

/// What a command means for the recording: a new run starts the tape over, `w` saves
/// it (a log line says where). Returns whether the command still has to be executed.
fn record_command(cmd: &Command, tape: &mut Tape, feedback: &mut Vec<Msg>) -> bool {
    match cmd {
        Command::StartRun { .. } => {
            feedback.extend(tape.restart().map(|w| Msg::Warning(w.into())));
            true
        }
        Command::SaveTrace { scenario } => {
            feedback.push(save_trace(tape, scenario));
            false
        }
        _ => true,
    }
}

/// `w`: the trace so far, to `proclab-<scenario>-<YYYYmmdd-HHMMSS>.jsonl` here.
pub(crate) fn save_trace(tape: &Tape, scenario: &str) -> Msg {
    match tape.save(std::path::Path::new("."), scenario, &local_stamp()) {
        Ok(path) => {
            // The full path: the learner may not know which folder proclab runs in.
            let shown = std::env::current_dir()
                .map(|cwd| cwd.join(path.strip_prefix(".").unwrap_or(&path)))
                .unwrap_or(path);
            Msg::Note(crate::said!(
                "notice.trace_saved",
                path = shown.display().to_string()
            ))
        }
        Err(e) => Msg::Warning(e.into()),
    }
}

/// Appends what a run message says, a batch unpacked in order.
fn push_msgs(pending: &mut Vec<Msg>, m: RunMsg) {
    match m {
        RunMsg::Batch(all) => {
            for one in all {
                push_msgs(pending, one);
            }
        }
        one => pending.push(to_msg(one)),
    }
}

fn to_msg(m: RunMsg) -> Msg {
    match m {
        RunMsg::Batch(_) => Msg::Warning("nested batch".into()),
        RunMsg::Event(e) | RunMsg::Wire(e, _) => Msg::Event(e),
        RunMsg::Malformed { line, error } => {
            Msg::Warning(crate::said!("warn.malformed", error = error, line = line))
        }
        RunMsg::Stderr(line) => Msg::Warning(line.into()),
        RunMsg::Ended => Msg::RunEnded,
    }
}

/// Carries out one command; failures come back as messages for the log.
fn execute(cmd: Command, session: &mut Option<Session>, cap: u32, feedback: &mut Vec<Msg>) {
    match cmd {
        Command::StartRun {
            scenario,
            params,
            speed,
            step_mode,
            run_on,
        } => {
            if let Some(mut old) = session.take() {
                old.stop();
            }
            let req = RunRequest {
                // Per-core load is drawn only in the work pane (pi, pool): elsewhere
                // sampling it would wake the loop and redraw 5 times a second for nothing.
                cpu_cores: scenario.view.samples_cores,
                scenario,
                params,
                speed,
                step_mode,
                cap,
                run_on,
            };
            match Session::start(&req) {
                Ok(s) => *session = Some(s),
                Err(e) => feedback.push(Msg::Warning(crate::said!(
                    "warn.start_run",
                    error = format!("{e:#}")
                ))),
            }
        }
        Command::StartTrace { req, cores } => {
            if let Some(mut old) = session.take() {
                old.stop();
            }
            // Per-core load only for a view that draws it (a Python lesson's `pane`).
            match Session::start_trace(&req, cores) {
                Ok(s) => *session = Some(s),
                Err(e) => feedback.push(Msg::Warning(crate::said!(
                    "warn.start_trace",
                    error = format!("{e:#}")
                ))),
            }
        }
        Command::StopRun => {
            if let Some(mut s) = session.take() {
                let report = s.stop();
                feedback.extend(report.runner_reap.map(Msg::Event));
                feedback.extend(report.adopted_reaps.into_iter().map(Msg::Event));
                if report.leaked > 0 {
                    feedback.push(Msg::Warning(crate::said!("warn.leaked", n = report.leaked)));
                }
            }
        }
        Command::Quit => {}
        Command::SaveFinished(ids) => {
            if let Err(e) = crate::course::save_finished(&ids.into_iter().collect()) {
                feedback.push(Msg::Warning(crate::said!(
                    "warn.finished",
                    error = e.to_string()
                )));
            }
        }
        Command::Signal { pid, signal } => {
            let Some(s) = session.as_ref() else {
                feedback.push(Msg::Warning(crate::said!(
                    "signal.not_sent_named",
                    signal = signal.as_str(),
                    why = crate::said!("warn.no_run")
                )));
                return;
            };
            match s.signal(pid, signal) {
                // What happened is a real event, like the reap of the runner: the
                // front end (this PID) sent it. The outcome shows itself through the
                // observer (state T, …) and the parent's reap.
                Ok(()) => feedback.push(Msg::Event(Event {
                    t_us: s.control().now_us(),
                    pid: nix::unistd::getpid().as_raw(),
                    kind: EventKind::SendSignal {
                        target: pid,
                        signal: signal.as_str().to_string(),
                    },
                })),
                Err(e) => feedback.push(Msg::Warning(crate::said!(
                    "signal.not_sent_named",
                    signal = signal.as_str(),
                    why = format!("{e:#}")
                ))),
            }
        }
        control => {
            let Some(c) = session.as_ref().map(|s| s.control()) else {
                return;
            };
            match control {
                Command::Permit => c.grant_permit(),
                Command::PermitSlot(slot) => c.grant_slot_permit(slot as usize),
                Command::SetStepMode(on) => c.set_step_mode(on),
                Command::SetPaused(p) => c.set_paused(p),
                Command::SetSpeed(s) => c.set_speed(s),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Action, LogClass, update};
    use crate::trace::reader::{Line, for_each_line};

    /// Garbage on the wire (a cut line, bytes that are not UTF-8, a line that is not an
    /// event) shows up in the run's log as warnings; the events around it still count
    /// and nothing quits.
    #[test]
    fn a_malformed_wire_line_is_a_warning_in_the_log_not_fatal() {
        let lessons = crate::lesson::loader::load(None, 64).expect("built-in lessons");
        let mut app = App::new(lessons, crate::lesson::Lang::En);
        let _ = update(&mut app, Msg::Action(Action::Open));
        let wire: &[u8] =
            b"{\"t_us\":1,\"pid\":7,\"kind\":\"spawn\",\"ppid\":1,\"label\":\"main\"}\n\
            {\"t_us\":2,\"pid\":7,\"kind\":\n\
            \xff\xfe not utf-8\n\
            {\"t_us\":3,\"pid\":7,\"kind\":\"no-such-kind\"}\n\
            {\"t_us\":4,\"pid\":7,\"kind\":\"print\",\"text\":\"still here\"}\n";
        let mut batch = Vec::new();
        for_each_line(
            wire,
            |line, raw| {
                batch.push(match line {
                    Line::Event(e) => RunMsg::Wire(e, raw.to_string()),
                    Line::Malformed { line, error } => RunMsg::Malformed { line, error },
                })
            },
            || {},
        );
        let mut pending = Vec::new();
        push_msgs(&mut pending, RunMsg::Batch(batch));
        for msg in pending {
            update(&mut app, msg);
        }
        assert!(!app.quit);
        let run = app.run.as_ref().expect("the lesson's run");
        let warnings = run
            .log
            .iter()
            .filter(|e| e.class == LogClass::Warning && e.text.contains("malformed line"))
            .count();
        assert_eq!(warnings, 3, "{:?}", run.log);
        assert!(run.log.iter().any(|e| e.text.contains("still here")));
    }
}
