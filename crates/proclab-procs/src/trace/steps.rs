//! Steps keyed by observed events: what a Python lesson's step (or `trace --step`)
//! waits for, and the matcher the tracer runs over the events it emits. A step is
//! reached by an event the tracer has just seen — never by a guess of what the
//! program will do next.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::{Event, EventKind};

/// The kinds of event a step may wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnEvent {
    /// A process forked: counted for the parent (the new process is `child`).
    Fork,
    /// A process replaced its program (`execve`).
    Exec,
    /// A process called exit (a death by a signal has no exit: its `reap` tells it).
    Exit,
    /// A process's wait returned a child's end.
    Reap,
    /// A process sent a signal (kill, tkill, tgkill, sigqueue, pidfd_send_signal).
    Signal,
    /// A process printed a line (stdout or stderr).
    Print,
    /// A whole message written to a pipe or socket.
    Send,
    /// A whole message read from a pipe or socket.
    Recv,
    /// The program is over: every process of it has ended (told by the tracer).
    End,
}

impl OnEvent {
    pub const ALL: &[OnEvent] = &[
        OnEvent::Fork,
        OnEvent::Exec,
        OnEvent::Exit,
        OnEvent::Reap,
        OnEvent::Signal,
        OnEvent::Print,
        OnEvent::Send,
        OnEvent::Recv,
        OnEvent::End,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OnEvent::Fork => "fork",
            OnEvent::Exec => "exec",
            OnEvent::Exit => "exit",
            OnEvent::Reap => "reap",
            OnEvent::Signal => "signal",
            OnEvent::Print => "print",
            OnEvent::Send => "send",
            OnEvent::Recv => "recv",
            OnEvent::End => "end",
        }
    }

    pub fn parse(s: &str) -> Option<OnEvent> {
        OnEvent::ALL.iter().copied().find(|e| e.name() == s)
    }
}

/// What reaches one step: the `n`-th event of a kind (counted from the previous step),
/// optionally of one process (by label), a signal's name, a printed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOn {
    pub event: OnEvent,
    #[serde(default = "one")]
    pub n: u32,
    /// The label of the process the event is of (for `fork` the parent, for `reap`
    /// the reaper, for `signal` the sender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// `signal`: which one (`SIGTERM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// `print`: text the line contains; `exec`: text the command line contains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

fn one() -> u32 {
    1
}

/// A step as the tracer gets it: its name (the `gate` event's) and what reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSpec {
    pub gate: String,
    pub on: StepOn,
}

/// Walks the steps in order over the run's events: each step is armed once the one
/// before it was reached, and counts its matching events from then on.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    steps: Vec<StepSpec>,
    /// The step armed now (== `steps.len()`: all reached).
    next: usize,
    /// Matching events seen since it was armed.
    seen: u32,
    /// Every event of these kinds is a step (`trace --step`), after the listed ones.
    every: bool,
    /// The run's processes by PID: their label, and the command's own process.
    labels: BTreeMap<i32, String>,
    root: Option<i32>,
    tracer: Option<i32>,
}

/// A step reached: the `gate` to emit, by which process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub gate: String,
    pub pid: i32,
}

impl Matcher {
    pub fn new(steps: Vec<StepSpec>) -> Matcher {
        Matcher {
            steps,
            ..Matcher::default()
        }
    }

    /// Every fork, exec, exit, reap, signal and message is a step (`trace --step`).
    pub fn every_event() -> Matcher {
        Matcher {
            every: true,
            ..Matcher::default()
        }
    }

    /// Whether a step can still be reached.
    pub fn armed(&self) -> bool {
        self.every || self.next < self.steps.len()
    }

    /// Names `pid` (a process of the run) for the steps that name processes.
    pub fn label(&mut self, pid: i32, label: &str) {
        self.labels.insert(pid, label.to_string());
    }

    /// Takes note of one event the tracer emitted; returns the step it reaches, if any.
    pub fn see(&mut self, e: &Event) -> Option<Reached> {
        self.follow(e);
        let (kind, pid) = self.kind_of(e)?;
        if self.every {
            return Some(Reached {
                gate: every_gate(kind, e),
                pid,
            });
        }
        let step = self.steps.get(self.next)?;
        if step.on.event != kind || !self.fits(&step.on, pid, e) {
            return None;
        }
        self.seen += 1;
        if self.seen < step.on.n.max(1) {
            return None;
        }
        let gate = step.gate.clone();
        self.next += 1;
        self.seen = 0;
        Some(Reached { gate, pid })
    }

    /// Keeps the PID → label map and the command's PID up to date.
    fn follow(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Spawn { label, ppid, .. } => {
                if label == "tracer" && self.tracer.is_none() {
                    self.tracer = Some(e.pid);
                } else if self.root.is_none() && self.tracer == Some(*ppid) {
                    self.root = Some(e.pid);
                }
                self.labels.entry(e.pid).or_insert_with(|| label.clone());
            }
            EventKind::Value { name, value } if name == "label" || name == "role" => {
                if let Some(s) = value.as_str() {
                    self.labels.insert(e.pid, s.to_string());
                }
            }
            _ => {}
        }
    }

    /// The step kind `e` is an instance of, and the process it counts for.
    fn kind_of(&self, e: &Event) -> Option<(OnEvent, i32)> {
        let kind = match &e.kind {
            // The tracer's own spawn and the command's are not forks of the program.
            EventKind::Spawn { ppid, .. } => {
                if Some(e.pid) == self.tracer || Some(e.pid) == self.root {
                    return None;
                }
                return Some((OnEvent::Fork, *ppid));
            }
            EventKind::Exec { .. } => OnEvent::Exec,
            // The tracer ends last, once every process of the program is gone.
            EventKind::Exit { .. } if Some(e.pid) == self.tracer => OnEvent::End,
            EventKind::Exit { .. } => OnEvent::Exit,
            EventKind::Reap { .. } if Some(e.pid) == self.tracer => return None,
            EventKind::Reap { .. } => OnEvent::Reap,
            EventKind::SendSignal { .. } => OnEvent::Signal,
            EventKind::Print { .. } => OnEvent::Print,
            EventKind::Send { .. } => OnEvent::Send,
            EventKind::Recv { .. } => OnEvent::Recv,
            _ => return None,
        };
        // `trace --step` holds at what the program does, not at every line it prints
        // (nor at its end, where nothing is left to hold).
        if self.every && matches!(kind, OnEvent::Print | OnEvent::End) {
            return None;
        }
        Some((kind, e.pid))
    }

    fn fits(&self, on: &StepOn, pid: i32, e: &Event) -> bool {
        if let Some(want) = &on.process
            && self.labels.get(&pid) != Some(want)
        {
            return false;
        }
        match &e.kind {
            EventKind::SendSignal { signal, .. } => on.signal.as_ref().is_none_or(|s| s == signal),
            EventKind::Print { text } => on.text.as_ref().is_none_or(|t| text.contains(t.as_str())),
            EventKind::Exec { argv, program } => on.text.as_ref().is_none_or(|t| {
                program.contains(t.as_str()) || argv.iter().any(|a| a.contains(t.as_str()))
            }),
            _ => true,
        }
    }
}

/// The gate name of a `trace --step` hold: what happened, said short.
fn every_gate(kind: OnEvent, e: &Event) -> String {
    match &e.kind {
        EventKind::Spawn { ppid, .. } => format!("fork: {ppid} made {}", e.pid),
        EventKind::Exec { argv, program } => {
            let what = argv.first().unwrap_or(program);
            format!("exec: {what}")
        }
        EventKind::Exit { code } => format!("exit: {} ended ({code})", e.pid),
        EventKind::Reap { child, .. } => format!("reap: {} collected {child}", e.pid),
        EventKind::SendSignal { target, signal } => format!("signal: {signal} to {target}"),
        EventKind::Send { channel, .. } => format!("send: on {channel}"),
        EventKind::Recv { channel, .. } => format!("recv: on {channel}"),
        _ => kind.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    fn on(event: OnEvent) -> StepOn {
        StepOn {
            event,
            n: 1,
            process: None,
            signal: None,
            text: None,
        }
    }

    fn step(gate: &str, on: StepOn) -> StepSpec {
        StepSpec {
            gate: gate.into(),
            on,
        }
    }

    /// The tracer (1), the command (10, labelled main): the start of every trace.
    fn started(m: &mut Matcher) {
        assert_eq!(m.see(&spawn(1, 0, "tracer")), None);
        assert_eq!(m.see(&spawn(10, 1, "main")), None, "the command is no fork");
    }

    #[test]
    fn steps_are_reached_in_order_counting_from_the_previous_one() {
        let mut m = Matcher::new(vec![
            step("first", on(OnEvent::Print)),
            step(
                "second-fork",
                StepOn {
                    n: 2,
                    ..on(OnEvent::Fork)
                },
            ),
        ]);
        started(&mut m);
        // A fork before the first step is reached is not counted for the second.
        assert_eq!(m.see(&spawn(11, 10, "python3")), None);
        let print = ev(10, EventKind::Print { text: "hi".into() });
        assert_eq!(
            m.see(&print),
            Some(Reached {
                gate: "first".into(),
                pid: 10
            })
        );
        assert_eq!(m.see(&spawn(12, 10, "python3")), None);
        assert_eq!(
            m.see(&spawn(13, 10, "python3")),
            Some(Reached {
                gate: "second-fork".into(),
                pid: 10
            }),
            "a fork counts for its parent"
        );
        assert!(!m.armed());
        assert_eq!(m.see(&spawn(14, 10, "python3")), None);
    }

    #[test]
    fn process_signal_and_text_narrow_the_match() {
        let mut m = Matcher::new(vec![
            step(
                "term",
                StepOn {
                    signal: Some("SIGTERM".into()),
                    process: Some("main".into()),
                    ..on(OnEvent::Signal)
                },
            ),
            step(
                "said",
                StepOn {
                    text: Some("done".into()),
                    ..on(OnEvent::Print)
                },
            ),
        ]);
        started(&mut m);
        assert_eq!(m.see(&spawn(11, 10, "python3")), None);
        let sig = |pid, signal: &str| {
            ev(
                pid,
                EventKind::SendSignal {
                    target: 11,
                    signal: signal.into(),
                },
            )
        };
        assert_eq!(m.see(&sig(10, "SIGKILL")), None, "another signal");
        assert_eq!(m.see(&sig(11, "SIGTERM")), None, "another process");
        assert_eq!(
            m.see(&sig(10, "SIGTERM")).map(|r| r.gate),
            Some("term".into())
        );
        let print = |text: &str| ev(11, EventKind::Print { text: text.into() });
        assert_eq!(m.see(&print("working")), None);
        assert_eq!(m.see(&print("all done")).map(|r| r.pid), Some(11));
    }

    #[test]
    fn labels_follow_values_from_the_program() {
        let mut m = Matcher::new(vec![step(
            "producer-out",
            StepOn {
                process: Some("producer".into()),
                ..on(OnEvent::Exit)
            },
        )]);
        started(&mut m);
        assert_eq!(m.see(&spawn(11, 10, "python3")), None);
        assert_eq!(
            m.see(&ev(11, EventKind::Exit { code: 0 })),
            None,
            "not named yet"
        );
        let mut m = Matcher::new(m.steps.clone());
        started(&mut m);
        m.see(&spawn(11, 10, "python3"));
        m.see(&ev(
            11,
            EventKind::Value {
                name: "label".into(),
                value: json!("producer"),
            },
        ));
        assert_eq!(
            m.see(&ev(11, EventKind::Exit { code: 0 })).map(|r| r.pid),
            Some(11)
        );
    }

    #[test]
    fn the_end_is_the_tracers_exit_after_every_process() {
        let mut m = Matcher::new(vec![
            step("child-out", on(OnEvent::Exit)),
            step("over", on(OnEvent::End)),
        ]);
        started(&mut m);
        m.see(&spawn(11, 10, "python3"));
        assert_eq!(
            m.see(&ev(11, EventKind::Exit { code: 0 })).map(|r| r.gate),
            Some("child-out".into())
        );
        assert_eq!(
            m.see(&ev(10, EventKind::Exit { code: 0 })),
            None,
            "main's is an exit"
        );
        assert_eq!(
            m.see(&ev(1, EventKind::Exit { code: 0 })).map(|r| r.gate),
            Some("over".into())
        );
    }

    #[test]
    fn every_event_steps_at_what_the_program_does_but_not_its_prints() {
        let mut m = Matcher::every_event();
        started(&mut m);
        assert_eq!(
            m.see(&spawn(11, 10, "python3")).map(|r| r.gate),
            Some("fork: 10 made 11".into())
        );
        assert_eq!(m.see(&ev(10, EventKind::Print { text: "x".into() })), None);
        let reap = ev(10, EventKind::reap(11, 0));
        assert_eq!(
            m.see(&reap).map(|r| r.gate),
            Some("reap: 10 collected 11".into())
        );
        assert!(m.armed());
    }

    #[test]
    fn step_specs_read_as_json_with_n_defaulting_to_one() {
        let s: StepOn = serde_json::from_str(r#"{"event":"fork"}"#).unwrap();
        assert_eq!(s, on(OnEvent::Fork));
        let back: StepOn = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        for e in OnEvent::ALL {
            assert_eq!(OnEvent::parse(e.name()), Some(*e));
        }
        assert_eq!(OnEvent::parse("forks"), None);
    }
}
