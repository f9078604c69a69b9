//! The wire format: one JSON object per line, shared by every scenario process, the
//! observer, `--json` output and recorded traces. Fields are only ever added, never
//! renamed (see `ARCHITECTURE.md`): tests and outside tools read these lines.
//!
//! `proclab trace` (a learner's own program under ptrace, `ptrace/`) speaks the same
//! wire, every event from what the kernel did: `spawn` (label: the program name),
//! `exec` (added for it), `exit`, `reap` (a wait4/waitid that returned, by the process
//! that called it; by the tracer for the command and adopted orphans), `released` (no
//! wait: the kernel released the child), `reparent`, `send_signal` (a kill-family call
//! that returned 0, by its caller) and `handle_signal` (`action`: `handler`, `ignored`
//! or `default (…)`; `sender` or the kernel's `cause`), `cap_kill`, a `value` named
//! `threads` when a process's thread count changes (and `role` for a Manager's server),
//! `print` for each line of the program's stdout/stderr (by the process that wrote
//! it), and `send` / `recv` for each whole message through a pipe or socket
//! (`channel`: `pipe <inode> write` / `pipe <inode> read` / `socket <inode>`; `repr`:
//! how Python writes a decoded message, which JSON's `item` can only approximate).

use serde::{Deserialize, Serialize};

/// One event: when (`t_us` since the run started), who (`pid`) and what (`kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub t_us: u64,
    pub pid: i32,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A process came to life (emitted by the new process itself).
    Spawn {
        ppid: i32,
        label: String,
        /// When it started, in clock ticks since boot (field 22 of /proc/PID/stat),
        /// read by the process itself (or by the tracer while the new process is held
        /// stopped): it cannot have been reaped yet, so this names this very process
        /// even if its PID is reused before the line is read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<u64>,
    },
    /// What the equivalent Python program would print.
    Print {
        text: String,
    },
    /// Self-reported just before `_exit(code)`.
    Exit {
        code: i32,
    },
    /// From the observer: the kernel's state letter and why the process waits; also
    /// sent when the process's signal dispositions change.
    State {
        state: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cpu: Option<f32>,
        /// Signals the process ignores (`SigIgn` in /proc/PID/status), e.g. `SIGPIPE`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ignored: Vec<String>,
        /// Signals the process has a handler for (`SigCgt`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        caught: Vec<String>,
        /// The CPU core a running process is on (from /proc/PID/stat).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        core: Option<u32>,
    },
    /// From the observer (front end's pid): busy share of each core, in percent.
    Cpu {
        cores: Vec<f32>,
    },
    /// A parent collected a child's status with `waitpid`.
    Reap {
        child: i32,
        /// The raw status as Python's `os.waitpid` returns it.
        status: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
    },
    SendSignal {
        target: i32,
        signal: String,
    },
    HandleSignal {
        signal: String,
        action: String,
        /// `proclab trace`: who sent it, from the signal's siginfo (`si_pid`, for a
        /// signal a process sent with kill, tkill, tgkill or sigqueue).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sender: Option<i32>,
        /// `proclab trace`: why the kernel raised it itself (`si_code` > 0), e.g.
        /// `SEGV_MAPERR (address not mapped)` for a fault, so a bad access is told
        /// apart from a SIGSEGV some process sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
    Reparent {
        old_ppid: i32,
        ppid: i32,
    },
    /// The process is about to wait for real: `queue_full`, `queue_empty`, `lock`,
    /// `semaphore`, `event`, `recv`.
    Blocked {
        on: String,
    },
    /// An item went into a queue; `len` is the queue's length right after.
    QueuePut {
        queue: String,
        item: serde_json::Value,
        len: i64,
    },
    /// An item came out of a queue; `len` is the queue's length right after.
    QueueGet {
        queue: String,
        item: serde_json::Value,
        len: i64,
    },
    /// A lock (or a semaphore's permit) taken; `waited_us` is how long it waited.
    LockAcquire {
        lock: String,
        waited_us: u64,
    },
    /// Given back; reported before the release, with how long it was held.
    LockRelease {
        lock: String,
        #[serde(default)]
        waited_us: u64,
        #[serde(default)]
        held_us: u64,
    },
    /// A message sent on one end of a Pipe (`channel` names the end).
    Send {
        channel: String,
        item: serde_json::Value,
        /// How Python's `repr()` writes the item, when `item` (JSON) cannot say it:
        /// a decoded pickle's tuples, sets, bytes, big ints, instances.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repr: Option<String>,
    },
    /// A message received on one end of a Pipe.
    Recv {
        channel: String,
        item: serde_json::Value,
        /// How Python's `repr()` writes the item, when `item` (JSON) cannot say it:
        /// a decoded pickle's tuples, sets, bytes, big ints, instances.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repr: Option<String>,
    },
    Value {
        name: String,
        value: serde_json::Value,
    },
    Progress {
        done: u64,
        total: u64,
    },
    Result {
        name: String,
        value: serde_json::Value,
    },
    /// A named step point; in step mode the process waits here for a permit.
    /// A named step point; in step mode the process waits here for a permit. With a
    /// `slot`, a per-process gate: only a permit for that slot lets it pass.
    Gate {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slot: Option<u32>,
    },
    /// The process stops at a checkpoint because the run stands still (`on: true`:
    /// main is held at a step that stops the run, or the learner paused it), and goes
    /// on (`on: false`). Its kernel wait meanwhile is proclab's, not the lesson's.
    Hold {
        on: bool,
        /// What the process was doing when it stopped: `sleep` (inside time.sleep) or
        /// `work` (a computation).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        during: Option<String>,
    },
    /// A fork was refused (cap reached or the kernel said EAGAIN).
    ForkFailed {
        label: String,
        /// In English, for a reader of the wire; the fields below say the same so a
        /// screen can put it in its own language.
        error: String,
        /// The cap in force when proclab refused the fork itself.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<u32>,
        /// `proclab trace`: the processes the kernel held for the run at the refusal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        held: Option<u32>,
        /// The errno's name (`EAGAIN`) when the kernel or proclab made the call fail.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// From the front end, right after main's `spawn`: what ran (the scenario and
    /// every parameter's value), so a recorded trace can be replayed on the right
    /// screen.
    Run {
        scenario: String,
        #[serde(default)]
        params: serde_json::Map<String, serde_json::Value>,
        /// A Python lesson's id (its `scenario` is `trace`): the lesson whose program
        /// ran, so a replay shows its steps and narration.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lesson: Option<String>,
    },
    /// `proclab trace` of a CPython program: where the process is in it, read from its
    /// frames (the innermost one in the lesson's program, else the innermost), when
    /// read and changed: at each hold, and sampled while it runs in a lesson.
    Where {
        file: String,
        line: u32,
        function: String,
    },
    /// `proclab trace` only: the process replaced its program with `execve`. `program`
    /// is the executable's path (from /proc/PID/exe), `argv` its new command line.
    Exec {
        program: String,
        argv: Vec<String>,
    },
    /// `proclab trace` only: a child's process-table entry was released without a
    /// wait that returned it (emitted under the child's PID): the kernel did it at once
    /// because its parent ignores SIGCHLD or set SA_NOCLDWAIT, or proclab did not see
    /// how (`why` says which). No reaper is named: none called wait.
    Released {
        parent: i32,
        status: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
        why: String,
    },
    /// `proclab trace` only, from the tracer: it killed a new process (SIGKILL) before
    /// the process ran any code of its own, because it would have made more than `cap`
    /// processes the kernel holds for the run (alive or not yet reaped, the tracer
    /// included). The fork itself had succeeded.
    CapKill {
        target: i32,
        held: u32,
        cap: u32,
    },
    /// The last line of a run.
    Summary {
        processes: u32,
        leaked: u32,
        duration_us: u64,
        #[serde(default)]
        results: serde_json::Map<String, serde_json::Value>,
    },
}

impl EventKind {
    /// A `reap` of `child` with its raw status, decoded into `code` or `signal`.
    pub fn reap(child: i32, status: i32) -> EventKind {
        let (code, signal) = WaitOutcome::from_raw(status).fields();
        EventKind::Reap {
            child,
            status,
            code,
            signal,
        }
    }

    /// The wire name of this kind (the `kind` field).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Spawn { .. } => "spawn",
            EventKind::Print { .. } => "print",
            EventKind::Exit { .. } => "exit",
            EventKind::State { .. } => "state",
            EventKind::Cpu { .. } => "cpu",
            EventKind::Reap { .. } => "reap",
            EventKind::SendSignal { .. } => "send_signal",
            EventKind::HandleSignal { .. } => "handle_signal",
            EventKind::Reparent { .. } => "reparent",
            EventKind::Blocked { .. } => "blocked",
            EventKind::QueuePut { .. } => "queue_put",
            EventKind::QueueGet { .. } => "queue_get",
            EventKind::LockAcquire { .. } => "lock_acquire",
            EventKind::LockRelease { .. } => "lock_release",
            EventKind::Send { .. } => "send",
            EventKind::Recv { .. } => "recv",
            EventKind::Value { .. } => "value",
            EventKind::Progress { .. } => "progress",
            EventKind::Result { .. } => "result",
            EventKind::Gate { .. } => "gate",
            EventKind::Hold { .. } => "hold",
            EventKind::ForkFailed { .. } => "fork_failed",
            EventKind::Run { .. } => "run",
            EventKind::Exec { .. } => "exec",
            EventKind::Where { .. } => "where",
            EventKind::Released { .. } => "released",
            EventKind::CapKill { .. } => "cap_kill",
            EventKind::Summary { .. } => "summary",
        }
    }
}

/// A JSON value written as Python writes it (`repr`): None, True, False, 'text',
/// [1, 2], {'k': 1}, 1.0, so the screens quote the lesson's program, not JSON.
pub fn py_repr(v: &serde_json::Value) -> String {
    use crate::pyrepr::{float_repr, str_repr};
    use serde_json::Value;
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => float_repr(f),
            _ => n.to_string(),
        },
        Value::String(s) => str_repr(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", str_repr(k), py_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// A message's item as the screens and the log write it, in Python's notation: the
/// repr the tracer decoded from the pickle when there is one (a tuple, a set, bytes,
/// an instance: what JSON cannot say), else `py_repr` of the item.
pub fn item_text(item: &serde_json::Value, repr: Option<&str>) -> String {
    repr.map_or_else(|| py_repr(item), str::to_string)
}

/// Like `py_repr`, but a string as `print` shows it (no quotes).
pub fn py_str(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Decodes a raw wait status the way Python's `os.WIF*` helpers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    Exited(i32),
    Signaled(i32),
    Other(i32),
}

impl WaitOutcome {
    /// The raw status again (`code << 8` for an exit, the signal number for a kill).
    pub fn raw(self) -> i32 {
        match self {
            WaitOutcome::Exited(c) => c << 8,
            WaitOutcome::Signaled(s) => s,
            WaitOutcome::Other(raw) => raw,
        }
    }

    pub fn from_raw(status: i32) -> Self {
        if libc::WIFEXITED(status) {
            WaitOutcome::Exited(libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            WaitOutcome::Signaled(libc::WTERMSIG(status))
        } else {
            WaitOutcome::Other(status)
        }
    }

    /// The `code` and `signal` fields of a `reap` (or `released`): the exit code of
    /// a process that exited, the name of the signal that killed one.
    pub fn fields(self) -> (Option<i32>, Option<String>) {
        match self {
            WaitOutcome::Exited(c) => (Some(c), None),
            WaitOutcome::Signaled(s) => (None, Some(signal_name(s))),
            WaitOutcome::Other(_) => (None, None),
        }
    }
}

/// `SIGKILL` for 9, or `signal 70` for numbers without a name.
pub fn signal_name(signo: i32) -> String {
    nix::sys::signal::Signal::try_from(signo)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signo}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_flat_with_tag() {
        let e = Event {
            t_us: 5,
            pid: 42,
            kind: EventKind::Spawn {
                ppid: 1,
                label: "child 0".into(),
                start: None,
            },
        };
        let line = serde_json::to_string(&e).unwrap();
        assert_eq!(
            line,
            r#"{"t_us":5,"pid":42,"kind":"spawn","ppid":1,"label":"child 0"}"#
        );
        let back: Event = serde_json::from_str(&line).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.kind.name(), "spawn");
    }

    #[test]
    fn values_read_as_python_writes_them() {
        use serde_json::json;
        assert_eq!(py_repr(&json!(null)), "None");
        assert_eq!(
            py_repr(&json!([true, false, 3, "a'b", "\"'", 1.0])),
            r#"[True, False, 3, "a'b", '"\'', 1.0]"#
        );
        assert_eq!(
            py_repr(&json!({"index": 0, "n": 20})),
            "{'index': 0, 'n': 20}"
        );
        assert_eq!(py_str(&json!("done")), "done");
        assert_eq!(item_text(&json!([1, "a"]), None), "[1, 'a']");
        assert_eq!(item_text(&json!([1, "a"]), Some("(1, 'a')")), "(1, 'a')");
    }

    #[test]
    fn spawn_start_is_optional_and_kept_when_given() {
        let with = r#"{"t_us":5,"pid":42,"kind":"spawn","ppid":1,"label":"main","start":12345}"#;
        let e: Event = serde_json::from_str(with).unwrap();
        assert!(matches!(
            e.kind,
            EventKind::Spawn {
                start: Some(12345),
                ..
            }
        ));
        assert_eq!(serde_json::to_string(&e).unwrap(), with);
    }

    #[test]
    fn state_dispositions_are_optional_on_the_wire() {
        let old = r#"{"t_us":1,"pid":7,"kind":"state","state":"S","reason":"x"}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        let EventKind::State {
            ignored, caught, ..
        } = &e.kind
        else {
            panic!("{e:?}")
        };
        assert!(ignored.is_empty() && caught.is_empty());
        assert_eq!(serde_json::to_string(&e).unwrap(), old);
        let with = Event {
            kind: EventKind::State {
                state: "S".into(),
                reason: "x".into(),
                cpu: None,
                ignored: vec!["SIGPIPE".into()],
                caught: vec!["SIGTERM".into()],
                core: None,
            },
            ..e
        };
        assert_eq!(
            serde_json::to_string(&with).unwrap(),
            r#"{"t_us":1,"pid":7,"kind":"state","state":"S","reason":"x","ignored":["SIGPIPE"],"caught":["SIGTERM"]}"#
        );
    }

    #[test]
    fn send_repr_is_optional_on_the_wire() {
        let old = r#"{"t_us":1,"pid":7,"kind":"send","channel":"c","item":[1,"a"]}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        assert!(matches!(&e.kind, EventKind::Send { repr: None, .. }));
        assert_eq!(serde_json::to_string(&e).unwrap(), old);
        let with =
            r#"{"t_us":1,"pid":7,"kind":"recv","channel":"c","item":[1,"a"],"repr":"(1, 'a')"}"#;
        let e: Event = serde_json::from_str(with).unwrap();
        assert!(matches!(&e.kind, EventKind::Recv { repr: Some(r), .. } if r == "(1, 'a')"));
        assert_eq!(serde_json::to_string(&e).unwrap(), with);
    }

    #[test]
    fn exec_is_an_added_kind() {
        let line = r#"{"t_us":3,"pid":9,"kind":"exec","program":"/usr/bin/wc","argv":["wc","-l"]}"#;
        let e: Event = serde_json::from_str(line).unwrap();
        assert_eq!(e.kind.name(), "exec");
        assert_eq!(serde_json::to_string(&e).unwrap(), line);
    }

    #[test]
    fn raw_status_decodes_like_python() {
        assert_eq!(WaitOutcome::from_raw(0), WaitOutcome::Exited(0));
        assert_eq!(WaitOutcome::from_raw(1 << 8), WaitOutcome::Exited(1));
        assert_eq!(WaitOutcome::from_raw(9), WaitOutcome::Signaled(9));
        assert_eq!(signal_name(15), "SIGTERM");
    }
}
