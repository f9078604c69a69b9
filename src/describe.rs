//! What an event says, in words: the readable log line (`--headless`, replay) and the
//! description the TUI's event log, the headless log and the Chrome export share.
//! Pure text from the wire, below every front end that shows it.

use std::collections::HashMap;

use crate::trace::event::{Event, EventKind, item_text, py_repr};
use crate::visible::escape;

/// One event as a line of text: time, PID, who, what; safe on a terminal (labels and
/// texts come from the run, a trace file or a traced program: `crate::visible`).
#[allow(
    clippy::cast_precision_loss,
    reason = "a time or count of the run shown with a few decimals: far below 2^52, where an f64 is exact"
)]
pub fn readable(e: &Event, labels: &HashMap<i32, String>) -> String {
    let who = labels.get(&e.pid).map(String::as_str).unwrap_or("");
    let what = describe(&e.kind);
    format!(
        "{:>9.3}s  {:>7}  {:<10}  {what}",
        e.t_us as f64 / 1e6,
        e.pid,
        escape(who)
    )
}

/// What an event says, in words (shared by the headless log and the TUI's event log),
/// its control characters escaped visibly.
pub fn describe(kind: &EventKind) -> String {
    let said = say(kind);
    match escape(&said) {
        std::borrow::Cow::Borrowed(_) => said,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "a time or count of the run shown with a few decimals: far below 2^52, where an f64 is exact"
)]
fn say(kind: &EventKind) -> String {
    match kind {
        EventKind::Spawn { ppid, label, .. } => format!("spawned as '{label}' by {ppid}"),
        EventKind::Print { text } => format!("print: {text}"),
        EventKind::Exit { code } => format!("exit({code})"),
        EventKind::State { state, reason, .. } => {
            let letter = state.chars().next().unwrap_or('?');
            format!(
                "state {state} ({}): {reason}",
                crate::observe::procfs::state_word(letter)
            )
        }
        EventKind::Reap {
            child,
            status,
            code,
            signal,
        } => match (code, signal) {
            (Some(c), _) => format!("waitpid → child {child} status {status} (exit code {c})"),
            (_, Some(s)) => format!("waitpid → child {child} status {status} (killed by {s})"),
            _ => format!("waitpid → child {child} status {status}"),
        },
        EventKind::SendSignal { target, signal } => match *target {
            -1 => format!("sends {signal} to every process it may signal (kill -1)"),
            t if t < 0 => format!("sends {signal} to process group {}", -t),
            t => format!("sends {signal} to {t}"),
        },
        EventKind::HandleSignal {
            signal,
            action,
            sender,
            cause,
        } => match (sender, cause) {
            (Some(from), _) => format!("{signal} from {from}: {action}"),
            (None, Some(why)) => format!("{signal} raised by the kernel, {why}: {action}"),
            (None, None) => format!("{signal}: {action}"),
        },
        EventKind::Released {
            parent,
            status,
            code,
            signal,
            why,
        } => {
            let how = match (code, signal) {
                (Some(c), _) => format!("exit code {c}"),
                (_, Some(s)) => format!("killed by {s}"),
                _ => format!("status {status}"),
            };
            format!("released without a wait by its parent {parent} ({how}): {why}")
        }
        EventKind::CapKill { target, held, cap } => format!(
            "proclab killed {target} (SIGKILL) before it ran: it would make {held} processes, \
             over the cap of {cap} (--cap)"
        ),
        EventKind::Reparent { old_ppid, ppid } => format!("adopted: parent {old_ppid} → {ppid}"),
        EventKind::Blocked { on } => format!("blocked on {on}"),
        EventKind::Cpu { cores } => {
            let each: Vec<String> = cores.iter().map(|c| format!("{c:.0}%")).collect();
            format!("cpu cores: {}", each.join(" "))
        }
        EventKind::QueuePut { queue, item, len } => {
            format!("{queue}.put({}) → len {len}", py_repr(item))
        }
        EventKind::QueueGet { queue, item, len } => {
            format!("{queue}.get() → {}, len {len}", py_repr(item))
        }
        EventKind::LockAcquire { lock, waited_us } => match waited_us {
            0 => format!("{lock}.acquire()"),
            w => format!(
                "{lock}.acquire() after waiting {:.1} ms",
                *w as f64 / 1000.0
            ),
        },
        EventKind::LockRelease { lock, held_us, .. } => {
            format!(
                "{lock}.release() after holding {:.1} ms",
                *held_us as f64 / 1000.0
            )
        }
        EventKind::Send {
            channel,
            item,
            repr,
        } => format!("{channel}.send({})", item_text(item, repr.as_deref())),
        EventKind::Recv {
            channel,
            item,
            repr,
        } => format!("{channel}.recv() → {}", item_text(item, repr.as_deref())),
        EventKind::Value { name, value } => format!("{name} = {}", py_repr(value)),
        EventKind::Progress { done, total } => format!("progress {done}/{total}"),
        EventKind::Result { name, value } => format!("result {name} = {}", py_repr(value)),
        EventKind::Gate {
            name,
            slot: Some(_),
        } => format!("waits at its own gate '{name}'"),
        EventKind::Gate { name, slot: None } => format!("gate '{name}'"),
        EventKind::Hold { on: true, .. } => {
            "holds still: the run stands at a step or is paused".into()
        }
        EventKind::Hold { on: false, .. } => "moves on".into(),
        EventKind::ForkFailed { label, error } => format!("fork of '{label}' refused: {error}"),
        EventKind::Run {
            scenario,
            params,
            lesson: Some(lesson),
        } if params.is_empty() => format!("runs lesson {lesson} ({scenario})"),
        EventKind::Run {
            scenario, params, ..
        } => {
            let each: Vec<String> = params
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    v => format!("{k}={v}"),
                })
                .collect();
            format!("runs {scenario} ({})", each.join(", "))
        }
        EventKind::Where {
            file,
            line,
            function,
        } => format!("at {function} ({file}:{line})"),
        EventKind::Exec { program, argv } => format!("exec {program} {}", argv.join(" ")),
        EventKind::Summary {
            processes,
            leaked,
            duration_us,
            results,
        } => {
            let mut s = format!(
                "summary: {processes} processes, {leaked} leaked, {:.3}s",
                *duration_us as f64 / 1e6
            );
            for (k, v) in results {
                s.push_str(&format!(", {k} = {v}"));
            }
            s
        }
    }
}
