//! What an event says, in words: the readable log line (`--headless`, replay) and the
//! description the TUI's event log, the headless log and the Chrome export share.
//! Pure text from the wire, below every front end that shows it.

use std::collections::HashMap;

use crate::i18n::{Lang, Said};
use crate::said;
use crate::trace::event::{Event, EventKind, item_text, py_repr};
use crate::visible::escape;

/// One event as a line of text: time, PID, who, what; safe on a terminal (labels and
/// texts come from the run, a trace file or a traced program: `crate::visible`).
/// In English: the readable logs are for scripts, greps and bug reports too.
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

/// What an event says, in English words (the headless log, replay's log, the Chrome
/// export), its control characters escaped visibly.
pub fn describe(kind: &EventKind) -> String {
    describe_in(kind, Lang::En)
}

/// What an event says in `lang`, escaped visibly (the screens' log: `said`, drawn).
pub fn describe_in(kind: &EventKind, lang: Lang) -> String {
    visible(said(kind).text(lang))
}

/// Control characters escaped visibly (`crate::visible`).
pub fn visible(said: String) -> String {
    match escape(&said) {
        std::borrow::Cow::Borrowed(_) => said,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

/// A method call on a named object (`parent_conn.recv()`, or `recv() on worker 9`:
/// `i18n::Said::Call`).
fn call_said(name: &str, method: String) -> Said {
    Said::Call(name.to_string(), method)
}

/// What an event says, to be put in words in the screen's language.
#[allow(
    clippy::cast_precision_loss,
    reason = "a time or count of the run shown with a few decimals: far below 2^52, where an f64 is exact"
)]
pub fn said(kind: &EventKind) -> Said {
    match kind {
        EventKind::Spawn { ppid, label, .. } => said!("log.spawn", label = label, ppid = *ppid),
        EventKind::Print { text } => said!("log.print", text = text),
        EventKind::Exit { code } => said!("log.exit", code = *code),
        EventKind::State { state, reason, .. } => {
            let letter = state.chars().next().unwrap_or('?');
            said!(
                "log.state",
                state = state,
                word = Said::State(letter),
                reason = Said::Reason(reason.clone())
            )
        }
        EventKind::Reap {
            child,
            status,
            code,
            signal,
        } => match (code, signal) {
            (Some(c), _) => said!("log.reap_exit", child = *child, status = *status, code = *c),
            (_, Some(s)) => said!(
                "log.reap_signal",
                child = *child,
                status = *status,
                signal = s
            ),
            _ => said!("log.reap", child = *child, status = *status),
        },
        EventKind::SendSignal { target, signal } => match *target {
            -1 => said!("log.send_all", signal = signal),
            t if t < 0 => said!("log.send_group", signal = signal, group = -t),
            t => said!("log.send", signal = signal, target = t),
        },
        EventKind::HandleSignal {
            signal,
            action,
            sender,
            cause,
        } => {
            let action = Said::Wire(action.clone());
            match (sender, cause) {
                (Some(from), _) => {
                    said!(
                        "log.signal_from",
                        signal = signal,
                        from = *from,
                        action = action
                    )
                }
                (None, Some(why)) => {
                    said!(
                        "log.signal_kernel",
                        signal = signal,
                        why = Said::Wire(why.clone()),
                        action = action
                    )
                }
                (None, None) => said!("log.signal", signal = signal, action = action),
            }
        }
        EventKind::Released {
            parent,
            status,
            code,
            signal,
            why,
        } => {
            let how = match (code, signal) {
                (Some(c), _) => said!("log.how_exit", code = *c),
                (_, Some(s)) => said!("log.how_killed", signal = s),
                _ => said!("log.how_status", status = *status),
            };
            said!(
                "log.released",
                parent = *parent,
                how = how,
                why = Said::Wire(why.clone())
            )
        }
        EventKind::CapKill { target, held, cap } => {
            said!("log.cap_kill", target = *target, held = *held, cap = *cap)
        }
        EventKind::Reparent { old_ppid, ppid } => {
            said!("log.reparent", old = *old_ppid, new = *ppid)
        }
        EventKind::Blocked { on } => match on.as_str() {
            "queue_full" => said!("log.blocked_queue_full"),
            "queue_empty" => said!("log.blocked_queue_empty"),
            "lock" => said!("log.blocked_lock"),
            "semaphore" => said!("log.blocked_semaphore"),
            "event" => said!("log.blocked_event"),
            "recv" => said!("log.blocked_recv"),
            other => said!("log.blocked", on = other),
        },
        EventKind::Cpu { cores } => {
            let each: Vec<String> = cores.iter().map(|c| format!("{c:.0}%")).collect();
            said!("log.cpu", cores = each.join(" "))
        }
        EventKind::QueuePut { queue, item, len } => said!(
            "log.put",
            call = call_said(queue, format!("put({})", py_repr(item))),
            len = *len
        ),
        EventKind::QueueGet { queue, item, len } => said!(
            "log.get",
            call = call_said(queue, "get()".into()),
            item = py_repr(item),
            len = *len
        ),
        EventKind::LockAcquire { lock, waited_us } => match waited_us {
            0 => call_said(lock, "acquire()".into()),
            w => said!(
                "log.acquire_after",
                call = call_said(lock, "acquire()".into()),
                ms = format!("{:.1}", *w as f64 / 1000.0)
            ),
        },
        EventKind::LockRelease { lock, held_us, .. } => said!(
            "log.release_after",
            call = call_said(lock, "release()".into()),
            ms = format!("{:.1}", *held_us as f64 / 1000.0)
        ),
        EventKind::Send {
            channel,
            item,
            repr,
        } => call_said(
            channel,
            format!("send({})", item_text(item, repr.as_deref())),
        ),
        EventKind::Recv {
            channel,
            item,
            repr,
        } => said!(
            "log.recv",
            call = call_said(channel, "recv()".into()),
            item = item_text(item, repr.as_deref())
        ),
        EventKind::Value { name, value } => Said::Raw(format!("{name} = {}", py_repr(value))),
        EventKind::Progress { done, total } => {
            said!("log.progress", done = *done, total = *total)
        }
        EventKind::Result { name, value } => {
            said!("log.result", name = name, value = py_repr(value))
        }
        EventKind::Gate {
            name,
            slot: Some(_),
        } => said!("log.slot_gate", name = name),
        EventKind::Gate { name, slot: None } => said!("log.gate", name = name),
        EventKind::Hold { on: true, .. } => said!("log.hold"),
        EventKind::Hold { on: false, .. } => said!("log.moves_on"),
        EventKind::ForkFailed {
            label,
            error,
            cap,
            held,
            errno,
        } => match (cap, held, errno) {
            (Some(cap), Some(held), _) => said!(
                "log.fork_refused_held",
                label = label,
                held = *held,
                cap = *cap
            ),
            (Some(cap), None, _) => said!("log.fork_refused_cap", label = label, cap = *cap),
            (None, _, Some(errno)) => said!("log.fork_failed_errno", label = label, errno = errno),
            // An older trace: its English words as they came.
            _ => said!("log.fork_failed", label = label, error = error),
        },
        EventKind::Run {
            scenario,
            params,
            lesson: Some(lesson),
        } if params.is_empty() => said!("log.run_lesson", lesson = lesson, scenario = scenario),
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
            // No parameters: no empty parentheses.
            if each.is_empty() {
                said!("log.run_bare", scenario = scenario)
            } else {
                said!("log.run", scenario = scenario, params = each.join(", "))
            }
        }
        EventKind::Exec { program, argv } => {
            Said::Raw(format!("exec {program} {}", argv.join(" ")))
        }
        EventKind::Where {
            file,
            line,
            function,
        } => said!("log.where", function = function, file = file, line = *line),
        EventKind::Summary {
            processes,
            leaked,
            duration_us,
            results,
        } => {
            let mut more = String::new();
            for (k, v) in results {
                more.push_str(&format!(", {k} = {v}"));
            }
            said!(
                "log.summary",
                processes = *processes,
                leaked = *leaked,
                seconds = format!("{:.3}", *duration_us as f64 / 1e6),
                more = more
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn refused(cap: Option<u32>, held: Option<u32>, errno: Option<&str>) -> EventKind {
        EventKind::ForkFailed {
            label: "child".into(),
            error: "the words on the wire".into(),
            cap,
            held,
            errno: errno.map(str::to_string),
        }
    }

    /// A refused fork is said from its fields, so a Chinese screen has no English
    /// sentence in it; an older trace (only `error`) keeps its words.
    #[test]
    fn a_refused_fork_in_each_language() {
        let traced = said(&refused(Some(5), Some(5), Some("EAGAIN")));
        let en = traced.text(Lang::En);
        assert!(
            en.contains(
                "the run holds 5 processes, proclab's cap (--cap 5); the kernel made nothing"
            ),
            "{en}"
        );
        let zh = traced.text(Lang::Zh);
        assert!(
            zh.contains("已有 5 个进程") && zh.contains("--cap 5"),
            "{zh}"
        );
        assert!(!zh.contains("the run holds"), "{zh}");
        let cap = said(&refused(Some(8), None, None));
        assert!(
            cap.text(Lang::En)
                .contains("process cap of 8 live processes reached")
        );
        assert!(cap.text(Lang::Zh).contains("8 个存活进程的上限"));
        let errno = said(&refused(None, None, Some("ENOMEM")));
        assert!(errno.text(Lang::En).contains("fork failed: ENOMEM"));
        assert!(errno.text(Lang::Zh).contains("ENOMEM"));
        let old = said(&refused(None, None, None));
        assert!(old.text(Lang::Zh).contains("the words on the wire"));
    }
}
