//! The front ends without a terminal UI: `--json` prints the wire format, `--headless`
//! a readable log a teacher can paste into slides. Both end with the summary.

use std::collections::HashMap;
use std::io::Write;

use color_eyre::eyre::{Result, eyre};
use crossbeam_channel::{Receiver, select};

use crate::supervise::session::{RunMsg, RunRequest, Session};
use crate::supervise::tracing::{CommandFate, Fate};
use crate::trace::event::{Event, EventKind};
use crate::trace::record::Recorder;
use crate::visible::{escape, json_line};

// The event descriptions are shared with the TUI's log, the replay and the Chrome
// export, so they live below all of them (`crate::describe`); the old paths stay.
pub use crate::describe::{describe, readable};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Readable,
}

/// Runs one scenario to its end (or until a quit signal) and prints it, also writing
/// every line `--json` would print to `record` (if any) as it comes; returns
/// proclab's exit code: 0, or 128 + N when signal N interrupted it.
pub fn run_recorded(
    req: &RunRequest,
    format: Format,
    quit: &Receiver<i32>,
    record: Option<Recorder>,
) -> Result<u8> {
    run_lesson_recorded(req, &[], format, quit, record)
}

/// `run_recorded` for a lesson's scenario: `slowing` (gate, factor) are its steps'
/// slow motions, applied as main reaches each gate (a moment after it passed: the
/// run is not held), so the log shows the moments the lesson slows as the screens do.
pub fn run_lesson_recorded(
    req: &RunRequest,
    slowing: &[(String, f64)],
    format: Format,
    quit: &Receiver<i32>,
    record: Option<Recorder>,
) -> Result<u8> {
    let session = Session::start(req)?;
    let pacer = Pacer {
        base: req.speed,
        slowing,
        holds: req.step_mode,
    };
    let end = run_session_recorded(session, format, quit, record, &pacer)?;
    if let Some(sig) = end.interrupted {
        crate::term::eprintln_quietly(&format!("proclab: {}", interrupted(sig)));
        return Ok(128u8.saturating_add(u8::try_from(sig).unwrap_or(0)));
    }
    Ok(0)
}

/// The readable log's line where a lesson's slow motion starts or ends: the front
/// end's doing, said as such, so no time after it is read as the machine's pace.
fn slow_note(gate: &Event, factor: f64) -> String {
    #[allow(
        clippy::cast_precision_loss,
        reason = "microseconds of a run shown as seconds: far below 2^52"
    )]
    let t = gate.t_us as f64 / 1e6;
    let what = if factor < 1.0 {
        format!(
            "slow motion ×{} from gate '{}' on (the lesson's step): times after this measure the slowed run",
            crate::app::slow::factor_text(factor),
            gate_name(gate)
        )
    } else {
        format!(
            "the learner's speed again from gate '{}' on",
            gate_name(gate)
        )
    };
    format!("{t:>9.3}s  {:>7}  {:<10}  {what}", "", "proclab")
}

fn gate_name(e: &Event) -> &str {
    match &e.kind {
        EventKind::Gate { name, .. } => name,
        _ => "",
    }
}

/// "interrupted by SIGTERM; every process of the run was stopped".
fn interrupted(sig: i32) -> String {
    format!(
        "interrupted by {}; every process of the run was stopped",
        signal_name(sig)
    )
}

fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {sig}"))
}

/// Prints the session of `proclab trace` to its end (or until a quit signal); returns
/// what proclab exits with: the command's exit code, or 128 + N when signal N ended
/// it; `STOPPED_BY_PROCLAB` when a quit signal stopped it first.
pub fn run_trace(session: Session, format: Format, quit: &Receiver<i32>) -> Result<u8> {
    let pacer = Pacer {
        base: 1.0,
        slowing: &[],
        holds: false,
    };
    let end = run_session_recorded(session, format, quit, None, &pacer)?;
    if let Some(sig) = end.interrupted {
        crate::term::eprintln_quietly(&format!(
            "proclab: {} (the program by SIGKILL)",
            interrupted(sig)
        ));
        return Ok(end.fate.fate().exit_code());
    }
    match end.fate.fate() {
        Fate::Ended(code) => Ok(code),
        _ => Err(eyre!("the tracer did not tell how the command ended")),
    }
}

/// How a session printed to its end finished.
struct End {
    /// The quit signal that ended it early.
    interrupted: Option<i32>,
    /// The traced command's end, if this was `proclab trace`.
    fate: CommandFate,
}

/// A lesson's slow motions for a run that is not held: the speed the learner asked
/// for, and the factor each step's gate sets (1 gives the learner's speed back).
struct Pacer<'a> {
    base: f64,
    slowing: &'a [(String, f64)],
    /// The run waits at each gate for a permit (step mode): given once the gate's
    /// speed is set.
    holds: bool,
}

impl Pacer<'_> {
    /// The speed to set when main reaches `gate`, if a step there sets one.
    fn at(&self, gate: &str) -> Option<(f64, f64)> {
        let (_, factor) = self.slowing.iter().find(|(g, _)| g == gate)?;
        Some((*factor, self.base * factor))
    }
}

fn run_session_recorded(
    mut session: Session,
    format: Format,
    quit: &Receiver<i32>,
    record: Option<Recorder>,
    pacer: &Pacer,
) -> Result<End> {
    let mut fate = CommandFate::default();
    let mut record = record;
    // Buffered: one write per line would cost a syscall per event on a busy run.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let mut labels: HashMap<i32, String> =
        HashMap::from([(nix::unistd::getpid().as_raw(), "proclab".to_string())]);
    let mut summary: Option<Event> = None;
    let mut interrupted = None;
    // For the summary of an interrupted run: the processes seen and the time reached.
    let mut spawned: std::collections::HashSet<i32> = std::collections::HashSet::new();
    let mut last_t_us = 0u64;
    let panic_at = crate::debug::panic_timer();
    'run: loop {
        let msg = select! {
            recv(session.messages()) -> m => m.unwrap_or(RunMsg::Ended),
            recv(quit) -> sig => { interrupted = Some(sig.unwrap_or(libc::SIGTERM)); break; }
            recv(panic_at) -> _ => crate::debug::deliberate_panic(),
        };
        let msgs = match msg {
            RunMsg::Batch(all) => all,
            one => vec![one],
        };
        for msg in msgs {
            if let RunMsg::Event(e) | RunMsg::Wire(e, _) = &msg {
                fate.see(e);
                last_t_us = last_t_us.max(e.t_us);
                if matches!(e.kind, EventKind::Spawn { .. }) {
                    spawned.insert(e.pid);
                }
            }
            match msg {
                RunMsg::Ended => {
                    fate.run_over();
                    break 'run;
                }
                RunMsg::Batch(_) => {}
                RunMsg::Event(e) | RunMsg::Wire(e, _)
                    if matches!(e.kind, EventKind::Summary { .. }) =>
                {
                    summary = Some(e)
                }
                RunMsg::Wire(e, raw) => {
                    match &e.kind {
                        EventKind::Spawn { label, .. } => {
                            labels.insert(e.pid, label.clone());
                        }
                        // A traced process is named by what it runs now.
                        EventKind::Exec { program, argv } => {
                            labels.insert(e.pid, crate::ptrace::exec_label(program, argv));
                        }
                        _ => {}
                    }
                    keep(&mut record, &raw);
                    if let EventKind::Gate { name, slot: None } = &e.kind {
                        if let Some((factor, speed)) = pacer.at(name) {
                            session.control().set_speed(speed);
                            if format == Format::Readable {
                                writeln!(out, "{}", slow_note(&e, factor))?;
                            }
                        }
                        // A lesson with slow motion runs held at each gate (main.rs):
                        // its speed is set, now it goes on.
                        if pacer.holds {
                            session.control().grant_permit();
                        }
                    }
                    // The line exactly as the process wrote it: no second serialisation.
                    match format {
                        Format::Json => writeln!(out, "{}", json_line(&raw))?,
                        // A worker's progress reports are for gauges: the readable log
                        // (for slides) keeps its start and its end.
                        Format::Readable
                            if matches!(e.kind, EventKind::Progress { done, total }
                                if done != 0 && done != total) => {}
                        Format::Readable => writeln!(out, "{}", readable(&e, &labels))?,
                    }
                }
                RunMsg::Event(e) => {
                    keep(&mut record, &serde_json::to_string(&e)?);
                    writeln!(out, "{}", line_for(&e, format, &labels)?)?
                }
                RunMsg::Malformed { line, error } => crate::term::eprintln_quietly(&format!(
                    "proclab: malformed line on the wire ({}): {}",
                    escape(&error),
                    escape(&line)
                )),
                RunMsg::Stderr(line) => crate::term::eprintln_quietly(&escape(&line)),
            }
        }
        // Live output when the run is calm, one write per buffer when it is busy.
        if session.messages().is_empty() {
            out.flush()?;
            if let Some(Err(e)) = record.as_mut().map(Recorder::flush) {
                stop_recording(&mut record, e);
            }
        }
    }
    let report = session.stop();
    // The front end's own waitpid of the runner: how main really ended, even when it
    // was killed before it could write its summary.
    if let Some(reap) = &report.runner_reap {
        keep(&mut record, &serde_json::to_string(reap)?);
        writeln!(out, "{}", line_for(reap, format, &labels)?)?;
    }
    // Interrupted: the run's own summary never came; the front end says what it saw,
    // and that it was interrupted, so the log still ends with one.
    let summary = match (summary, interrupted) {
        (_, Some(sig)) => Some(Event {
            t_us: last_t_us,
            pid: nix::unistd::getpid().as_raw(),
            kind: EventKind::Summary {
                processes: u32::try_from(spawned.len()).unwrap_or(u32::MAX),
                leaked: 0,
                duration_us: last_t_us,
                results: serde_json::Map::from_iter([(
                    "interrupted".to_string(),
                    serde_json::Value::from(signal_name(sig)),
                )]),
            },
        }),
        (s, None) => s,
    };
    let Some(mut summary) = summary else {
        out.flush()?;
        return Err(eyre!("the runner (or tracer) ended without a summary"));
    };
    // The summary stays last in time too, not only in line order.
    summary.t_us = summary.t_us.max(report.runner_reap.map_or(0, |r| r.t_us));
    if let EventKind::Summary { leaked, .. } = &mut summary.kind {
        *leaked = (*leaked).max(report.leaked);
    }
    keep(&mut record, &serde_json::to_string(&summary)?);
    writeln!(out, "{}", line_for(&summary, format, &labels)?)?;
    out.flush()?;
    if let Some(Err(e)) = record.as_mut().map(Recorder::flush) {
        stop_recording(&mut record, e);
    }
    Ok(End { interrupted, fate })
}

/// Writes one wire line to the recording, if there is one; a failure ends the
/// recording (said on stderr), never the run.
fn keep(record: &mut Option<Recorder>, line: &str) {
    if let Some(Err(e)) = record.as_mut().map(|r| r.line(line)) {
        stop_recording(record, e);
    }
}

fn stop_recording(record: &mut Option<Recorder>, e: std::io::Error) {
    if let Some(r) = record.take() {
        eprintln!("proclab: recording to {} stopped: {e}", r.path().display());
    }
}

fn line_for(e: &Event, format: Format, labels: &HashMap<i32, String>) -> Result<String> {
    Ok(match format {
        Format::Json => json_line(&serde_json::to_string(e)?).into_owned(),
        Format::Readable => readable(e, labels),
    })
}
