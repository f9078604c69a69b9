//! The signal menu (`s` in a run) and what the log says about a signal's outcome.
//! Pure: the menu's state and the words; sending is a `Command::Signal` the main loop
//! carries out through a pidfd (see `supervise::session`).

use nix::sys::signal::Signal;

use super::procs::ProcRow;
use crate::i18n::Said;
use crate::said;

/// The signals the menu offers, in its order, with the key of what each does by
/// default (`assets/i18n`).
pub const CHOICES: &[(Signal, &str)] = &[
    (Signal::SIGTERM, "signal.what_term"),
    (Signal::SIGKILL, "signal.what_kill"),
    (Signal::SIGINT, "signal.what_int"),
    (Signal::SIGHUP, "signal.what_hup"),
    (Signal::SIGSTOP, "signal.what_stop"),
    (Signal::SIGCONT, "signal.what_cont"),
    (Signal::SIGUSR1, "signal.what_usr"),
    (Signal::SIGUSR2, "signal.what_usr"),
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
pub fn refusal(row: Option<&ProcRow>, run_ended: bool) -> Option<Said> {
    if run_ended {
        return Some(said!("signal.run_ended"));
    }
    match row {
        None => Some(said!("signal.none_selected")),
        Some(p) if p.is_ghost() => Some(said!(
            "signal.already_reaped",
            pid = p.pid,
            label = &p.label
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
pub fn on_send(target: Option<&ProcRow>, signal: &str) -> (Option<Said>, Option<Sent>) {
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
        return (Some(said!("signal.zombie", pid = pid)), None);
    }
    if !unstoppable && p.ignored.iter().any(|s| s == signal) {
        return (
            Some(said!("signal.ignores", pid = pid, signal = signal)),
            sent(true),
        );
    }
    if !unstoppable && p.caught.iter().any(|s| s == signal) {
        return (
            Some(said!("signal.catches", pid = pid, signal = signal)),
            sent(false),
        );
    }
    if signal == "SIGCONT" && !stopped {
        return (Some(said!("signal.not_stopped", pid = pid)), sent(true));
    }
    if signal == "SIGSTOP" && stopped {
        return (Some(said!("signal.already_stopped", pid = pid)), sent(true));
    }
    (None, sent(false))
}

/// The head of an outcome line: `SIGTERM → 1001` when the change is the one a signal
/// makes, `after SIGTERM (predicted to change nothing), 1001` when the last reading
/// said it would make none.
pub fn outcome_head(sent: &Sent, pid: i32) -> Said {
    if sent.predicted_nothing {
        said!("signal.head_unpredicted", signal = &sent.signal, pid = pid)
    } else {
        said!("signal.head", signal = &sent.signal, pid = pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
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
            sampled_us: 0,
            lock_news: None,
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
                .text(Lang::En)
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
        let note = note.unwrap().text(Lang::En);
        // A prediction from a reading, never "nothing happens" as a fact.
        assert!(
            note.starts_with("expect nothing") && note.contains("when last read"),
            "{note}"
        );
        assert_eq!(sent, pending("SIGUSR1", true), "the outcome is still told");
        let (note, sent) = on_send(Some(&r), "SIGTERM");
        assert!(
            note.unwrap()
                .text(Lang::En)
                .contains("caught SIGTERM when last read")
        );
        assert_eq!(sent, pending("SIGTERM", false));
        assert!(
            on_send(Some(&r), "SIGCONT")
                .0
                .unwrap()
                .text(Lang::En)
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
        assert!(note.unwrap().text(Lang::En).contains("zombie"));
        assert_eq!(sent, None, "an earlier signal's outcome stays pending");
        assert_eq!(on_send(None, "SIGTERM"), (None, None));
        // A change after a signal predicted to change nothing is not said to be caused by it.
        let head = outcome_head(
            &Sent {
                signal: "SIGUSR1".into(),
                predicted_nothing: true,
            },
            7,
        );
        assert!(head.text(Lang::En).contains("predicted to change nothing"));
    }
}
