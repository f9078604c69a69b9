//! The front end's side of `proclab trace`: spawn `proclab __tracer` like the runner
//! (own process group, PDEATHSIG, control block on fd 3 for the shared clock) and read
//! its stdout as the wire. Everything after the spawn — reading, observing announced
//! PIDs, pidfds for the signal menu, stopping with killpg and reaping — is the same
//! `Session` as a lesson's run.

use std::process::Stdio;

use color_eyre::eyre::{Result, WrapErr, eyre};
use nix::sys::signal::Signal;

use super::control::{Control, Settings};
use super::scratch::ScratchDir;
use super::session::Session;
use crate::trace::event::{Event, EventKind, WaitOutcome};

// What to trace is the tracer's command line, so it is defined beside the parser of
// that line (in `proclab-procs`); the app's state holds it without reaching up here.
pub use proclab_procs::ptrace::tracer::TraceRequest;

impl Session {
    /// Starts the tracer; `cpu_cores`: report each core's load (the screens draw it,
    /// the logs leave it out). A Python lesson's program is written to a private
    /// folder first (removed with the session), run by the interpreter itself.
    pub fn start_trace(req: &TraceRequest, cpu_cores: bool) -> Result<Session> {
        let mut req = req.clone();
        let mut scratch = None;
        if let Some(lesson) = &req.lesson {
            // The interpreter itself, not a wrapper script that would run first.
            if let Some(python) = req.argv.first_mut() {
                let real = crate::python::resolve(std::path::Path::new(python.as_str()))
                    .map_err(|why| eyre!("{why}"))?;
                *python = real.display().to_string();
            }
            let (dir, file) =
                ScratchDir::with_program(&format!("{}.py", lesson.id), &lesson.program)
                    .wrap_err("writing the lesson's program for python")?;
            req.argv.truncate(1);
            req.argv.push(file.display().to_string());
            scratch = Some(dir);
        }
        // Made now, after the interpreter was asked where it is, so the run's clock
        // starts with the run. The tracer reads the clock, and for a lesson or
        // `--step` the step permits and the pause; speed means nothing to a program
        // proclab did not write.
        let control = Control::create(&Settings {
            speed: 1.0,
            step_mode: req.steps(),
            cap: req.cap,
            run_on: req.lesson.as_ref().map_or(0, |l| l.run_on),
        })?;
        let args = req.tracer_args(std::process::id());
        let stdin = if req.stdin {
            Stdio::inherit()
        } else {
            Stdio::null()
        };
        // What ran: a trace, and the Python lesson whose program it is (a replay shows
        // its steps).
        let announce =
            crate::trace::record::trace_run_event(req.lesson.as_ref().map(|l| l.id.as_str()));
        let mut session = Session::launch(args, stdin, control, (cpu_cores, true), Some(announce))
            .wrap_err("starting the tracer")?;
        session.scratch = scratch;
        Ok(session)
    }
}

/// What `proclab trace` exits with when proclab stopped the program itself (`q` in the
/// screens, Ctrl-C, SIGTERM or SIGHUP to proclab) before it ended: every process of
/// the run is killed with SIGKILL, so the command ends by SIGKILL, 128 + 9, as a shell
/// (or `strace`, or `timeout --preserve-status -s KILL`) reports such a death.
pub const STOPPED_BY_PROCLAB: u8 = 128 + 9;

/// How the traced command ended, followed on the wire as the events come: the tracer
/// (the `spawn` labelled `tracer`), its one child (the command), the command's `reap`,
/// and the tracer's `summary`, whose `results` (`exit_code` or `signal`) have the
/// last word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandFate {
    tracer: Option<i32>,
    command: Option<i32>,
    /// The command's status as a shell gives it: the exit code, or 128 + N.
    status: Option<u8>,
    /// The wire reached its end (EOF): the tracer is gone.
    over: bool,
}

/// What the front end knows of the command at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It ended: its exit code, or 128 + N for a death by signal N.
    Ended(u8),
    /// Still running when proclab stopped the run (and with it the command).
    Stopped,
    /// The run is over and nothing says how the command ended (it never started, or
    /// the tracer failed): an error of proclab's, said on stderr or in the log.
    Unknown,
}

impl Fate {
    /// The exit code: the command's, `STOPPED_BY_PROCLAB`, or 2 (proclab's own error).
    pub fn exit_code(self) -> u8 {
        match self {
            Fate::Ended(code) => code,
            Fate::Stopped => STOPPED_BY_PROCLAB,
            Fate::Unknown => 2,
        }
    }
}

impl CommandFate {
    /// Takes note of one event of the trace, in wire order.
    pub fn see(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Spawn { label, .. } if self.tracer.is_none() && label == "tracer" => {
                self.tracer = Some(e.pid);
            }
            EventKind::Spawn { ppid, .. }
                if self.command.is_none() && self.tracer == Some(*ppid) =>
            {
                self.command = Some(e.pid);
            }
            EventKind::Reap { child, status, .. } if self.command == Some(*child) => {
                self.status = self.status.or(shell_status(*status));
            }
            EventKind::Summary { results, .. } if self.tracer == Some(e.pid) => {
                if let Some(code) = status_of_results(results) {
                    self.status = Some(code);
                }
            }
            _ => {}
        }
    }

    /// The wire reached its end: the tracer and every traced process are gone.
    pub fn run_over(&mut self) {
        self.over = true;
    }

    pub fn fate(&self) -> Fate {
        match (self.status, self.over) {
            (Some(code), _) => Fate::Ended(code),
            (None, false) => Fate::Stopped,
            (None, true) => Fate::Unknown,
        }
    }
}

/// A raw wait status as a shell's `$?`: the exit code, or 128 + N for signal N.
pub fn shell_status(raw: i32) -> Option<u8> {
    match WaitOutcome::from_raw(raw) {
        WaitOutcome::Exited(code) => u8::try_from(code).ok(),
        WaitOutcome::Signaled(sig) => u8::try_from(128 + sig).ok(),
        WaitOutcome::Other(_) => None,
    }
}

/// The tracer's `summary` results as a shell's `$?`: `exit_code`, or 128 + the number
/// of `signal` (`SIGKILL`, or `signal 70` for a number without a name).
fn status_of_results(results: &serde_json::Map<String, serde_json::Value>) -> Option<u8> {
    if let Some(code) = results.get("exit_code").and_then(serde_json::Value::as_u64) {
        return u8::try_from(code).ok();
    }
    let name = results.get("signal")?.as_str()?;
    let number = match name.strip_prefix("signal ") {
        Some(n) => n.trim().parse::<i32>().ok()?,
        None => name.parse::<Signal>().ok()? as i32,
    };
    u8::try_from(128 + number).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pid: i32, kind: EventKind) -> Event {
        Event { t_us: 0, pid, kind }
    }

    fn spawn(pid: i32, ppid: i32, label: &str) -> Event {
        ev(
            pid,
            EventKind::Spawn {
                ppid,
                label: label.into(),
                start: None,
            },
        )
    }

    fn reap(by: i32, child: i32, status: i32) -> Event {
        ev(
            by,
            EventKind::Reap {
                child,
                status,
                code: None,
                signal: None,
            },
        )
    }

    fn summary(pid: i32, results: serde_json::Value) -> Event {
        let serde_json::Value::Object(results) = results else {
            panic!("results are an object")
        };
        ev(
            pid,
            EventKind::Summary {
                processes: 2,
                leaked: 0,
                duration_us: 1,
                results,
            },
        )
    }

    /// The tracer 10 (spawned by the front end 1) runs the command 11, which forks 12.
    fn started() -> CommandFate {
        let mut f = CommandFate::default();
        for e in [
            spawn(10, 1, "tracer"),
            spawn(11, 10, "sh"),
            spawn(12, 11, "sh"),
        ] {
            f.see(&e);
        }
        f
    }

    #[test]
    fn the_summary_says_how_the_command_ended() {
        for (results, code) in [
            (serde_json::json!({"exit_code": 3}), 3),
            (serde_json::json!({"exit_code": 0}), 0),
            (serde_json::json!({"signal": "SIGKILL"}), 137),
            (serde_json::json!({"signal": "SIGTERM"}), 143),
            (serde_json::json!({"signal": "signal 40"}), 168),
        ] {
            let mut f = started();
            f.see(&summary(10, results.clone()));
            f.run_over();
            assert_eq!(f.fate(), Fate::Ended(code), "{results}");
        }
    }

    #[test]
    fn the_command_s_reap_counts_and_other_reaps_do_not() {
        let mut f = started();
        f.see(&reap(11, 12, 7 << 8));
        assert_eq!(
            f.fate(),
            Fate::Stopped,
            "a grandchild's end is not the command's"
        );
        // The command exited 4 while an orphan of it runs on: quitting now reports 4.
        f.see(&reap(10, 11, 4 << 8));
        assert_eq!(f.fate(), Fate::Ended(4));
        let mut f = started();
        f.see(&reap(10, 11, libc::SIGSEGV | 0x80));
        assert_eq!(f.fate(), Fate::Ended(128 + 11), "core dumped or not");
        // A summary from someone else than the tracer says nothing of the command.
        let mut f = started();
        f.see(&summary(12, serde_json::json!({"exit_code": 9})));
        assert_eq!(f.fate(), Fate::Stopped);
    }

    #[test]
    fn stopped_before_the_end_or_never_started() {
        assert_eq!(started().fate(), Fate::Stopped);
        assert_eq!(Fate::Stopped.exit_code(), 137);
        let mut f = CommandFate::default();
        f.see(&spawn(10, 1, "tracer"));
        f.run_over();
        assert_eq!(f.fate(), Fate::Unknown);
        assert_eq!(Fate::Unknown.exit_code(), 2);
    }

    #[test]
    fn shell_statuses() {
        assert_eq!(shell_status(0), Some(0));
        assert_eq!(shell_status(255 << 8), Some(255));
        assert_eq!(shell_status(libc::SIGKILL), Some(137));
        assert_eq!(shell_status(0x137f), None, "stopped is no end");
    }
}
