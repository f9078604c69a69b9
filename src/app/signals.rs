//! The signal menu (`k` in a run) and what the log says about a signal's outcome.
//! Pure: the menu's state and the words; sending is a `Command::Signal` the main loop
//! carries out through a pidfd (see `supervise::session`).

use nix::sys::signal::Signal;

use super::procs::ProcRow;

/// The signals the menu offers, in its order, with what each does by default.
pub const CHOICES: &[(Signal, &str)] = &[
    (Signal::SIGTERM, "please end (default: terminate)"),
    (Signal::SIGKILL, "end now: can't be caught or ignored"),
    (Signal::SIGINT, "Ctrl-C: Python's KeyboardInterrupt"),
    (Signal::SIGHUP, "terminal hung up (default: terminate)"),
    (Signal::SIGSTOP, "freeze it: state T, can't be caught"),
    (Signal::SIGCONT, "resume a stopped process"),
    (Signal::SIGUSR1, "for the program (default: terminate)"),
    (Signal::SIGUSR2, "for the program (default: terminate)"),
];

/// The open menu: whom it is for (fixed when it opened, whatever the tree does
/// meanwhile) and which signal is chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalMenu {
    pub pid: i32,
    pub label: String,
    pub choice: usize,
}

impl SignalMenu {
    pub fn new(row: &ProcRow) -> SignalMenu {
        SignalMenu {
            pid: row.pid,
            label: row.label.clone(),
            choice: 0,
        }
    }

    pub fn up(&mut self) {
        self.choice = self.choice.saturating_sub(1);
    }

    pub fn down(&mut self) {
        self.choice = (self.choice + 1).min(CHOICES.len() - 1);
    }

    pub fn signal(&self) -> Signal {
        CHOICES[self.choice.min(CHOICES.len() - 1)].0
    }
}

/// Why a signal cannot be sent to this row, if it cannot.
pub fn refusal(row: Option<&ProcRow>, run_ended: bool) -> Option<String> {
    if run_ended {
        return Some("the run has ended, and no process of it is left to signal".into());
    }
    match row {
        None => Some("no process of this run is selected".into()),
        Some(p) if p.is_ghost() => Some(format!(
            "{} ({}) is already reaped; its PID may name another process now",
            p.pid, p.label
        )),
        Some(_) => None,
    }
}

/// A signal sent whose outcome the log still has to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub signal: String,
    /// The observer's last reading said nothing would happen (the signal ignored, a
    /// SIGCONT to a running process, a SIGSTOP to a stopped one). A change that comes
    /// anyway is told as following the signal, not as caused by it as predicted.
    pub predicted_nothing: bool,
}

/// What the learner may expect when `signal` is sent to `target`, from what the
/// observer last read (up to one sampling period old, so said as a prediction, never as
/// what happened): `(prediction, pending)`. `pending`: what to remember so the log
/// tells what really happened when the target's next telling state change or its reap
/// arrives; `None` for a zombie, which no signal changes (an earlier signal's outcome
/// stays pending).
pub fn on_send(target: Option<&ProcRow>, signal: &str) -> (Option<String>, Option<Sent>) {
    let Some(p) = target.filter(|p| !p.is_ghost()) else {
        return (None, None);
    };
    let pid = p.pid;
    let stopped = matches!(p.state, Some('T' | 't'));
    let unstoppable = matches!(signal, "SIGKILL" | "SIGSTOP");
    let sent = |predicted_nothing| {
        Some(Sent {
            signal: signal.to_string(),
            predicted_nothing,
        })
    };
    if p.state == Some('Z') {
        // A zombie stays one until its parent's waitpid: this is no guess.
        return (
            Some(format!(
                "{pid} is a zombie: it has already exited, no signal changes it; only its parent's waitpid removes it"
            )),
            None,
        );
    }
    if !unstoppable && p.ignored.iter().any(|s| s == signal) {
        return (
            Some(format!(
                "expect nothing: {pid} ignored {signal} when last read (SigIgn in /proc/{pid}/status)"
            )),
            sent(true),
        );
    }
    if !unstoppable && p.caught.iter().any(|s| s == signal) {
        return (
            Some(format!(
                "expect its handler: {pid} caught {signal} when last read (SigCgt), so the handler runs instead of the default action"
            )),
            sent(false),
        );
    }
    if signal == "SIGCONT" && !stopped {
        return (
            Some(format!(
                "expect nothing: {pid} was not stopped when last read, and SIGCONT only resumes"
            )),
            sent(true),
        );
    }
    if signal == "SIGSTOP" && stopped {
        return (
            Some(format!(
                "expect nothing: {pid} was already stopped when last read"
            )),
            sent(true),
        );
    }
    (None, sent(false))
}

/// The head of an outcome line: `SIGTERM → 1001` when the change is the one a signal
/// makes, `after SIGTERM (predicted to change nothing), 1001` when the last reading
/// said it would make none.
pub fn outcome_head(sent: &Sent, pid: i32) -> String {
    if sent.predicted_nothing {
        format!("after {} (predicted to change nothing), {pid}", sent.signal)
    } else {
        format!("{} → {pid}", sent.signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::WaitOutcome;

    fn row(state: char) -> ProcRow {
        ProcRow {
            pid: 7,
            ppid: 1,
            label: "child".into(),
            state: Some(state),
            reason: String::new(),
            cpu: 0.0,
            ignored: vec!["SIGPIPE".into(), "SIGUSR1".into()],
            caught: vec!["SIGTERM".into()],
            exit_code: None,
            reaped: None,
            released: None,
            values: Vec::new(),
            core: None,
            holding: None,
            at: None,
        }
    }

    #[test]
    fn menu_moves_within_the_choices() {
        let mut m = SignalMenu::new(&row('S'));
        assert_eq!(m.signal(), Signal::SIGTERM, "SIGTERM is preselected");
        m.up();
        assert_eq!(m.choice, 0);
        for _ in 0..20 {
            m.down();
        }
        assert_eq!(m.signal(), Signal::SIGUSR2);
    }

    #[test]
    fn refusals() {
        assert!(refusal(Some(&row('S')), false).is_none());
        assert!(refusal(Some(&row('S')), true).is_some());
        assert!(refusal(None, false).is_some());
        let mut ghost = row('S');
        ghost.reaped = Some((0, WaitOutcome::Exited(0)));
        assert!(
            refusal(Some(&ghost), false)
                .unwrap()
                .contains("already reaped")
        );
    }

    #[test]
    fn what_to_expect() {
        let r = row('S');
        let pending = |signal: &str, predicted_nothing| {
            Some(Sent {
                signal: signal.into(),
                predicted_nothing,
            })
        };
        assert_eq!(
            on_send(Some(&r), "SIGSTOP"),
            (None, pending("SIGSTOP", false))
        );
        let (note, sent) = on_send(Some(&r), "SIGUSR1");
        let note = note.unwrap();
        // A prediction from a reading, never "nothing happens" as a fact.
        assert!(
            note.starts_with("expect nothing") && note.contains("when last read"),
            "{note}"
        );
        assert_eq!(sent, pending("SIGUSR1", true), "the outcome is still told");
        let (note, sent) = on_send(Some(&r), "SIGTERM");
        assert!(note.unwrap().contains("caught SIGTERM when last read"));
        assert_eq!(sent, pending("SIGTERM", false));
        assert!(
            on_send(Some(&r), "SIGCONT")
                .0
                .unwrap()
                .contains("was not stopped when last read")
        );
        // SIGKILL and SIGSTOP cannot be ignored, whatever the masks say.
        let mut odd = row('S');
        odd.ignored.push("SIGKILL".into());
        assert_eq!(
            on_send(Some(&odd), "SIGKILL"),
            (None, pending("SIGKILL", false))
        );
        assert_eq!(
            on_send(Some(&row('T')), "SIGCONT"),
            (None, pending("SIGCONT", false))
        );
        let (note, sent) = on_send(Some(&row('Z')), "SIGKILL");
        assert!(note.unwrap().contains("zombie"));
        assert_eq!(sent, None, "an earlier signal's outcome stays pending");
        assert_eq!(on_send(None, "SIGTERM"), (None, None));
    }
}
