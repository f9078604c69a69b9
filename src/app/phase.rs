//! Where a run is in its life, as the learner drives it: playing, paused, stepping,
//! held at a step, over.
//!
//! One enum instead of the bools it replaces (`held`, `paused`, `ended`, `step_mode`
//! and the time a hold was first seen), which had to be reset by hand on every
//! change and could say impossible things: held after the end, held while not in
//! step mode, paused in step mode (where Space means "next step", so that pause
//! could never be lifted). Each transition is a method here, so `update` and
//! `ingest` cannot leave a half-changed state behind.
//!
//! What stays a `bool` in `RunView` is not part of this life: `follow` (whether the
//! selection follows reaps), `learner_signalled` (something that happened once) and
//! `replay` (where the events come from, fixed for the run).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Running freely; Space pauses.
    Playing,
    /// Paused by the learner; Space plays on.
    Paused,
    /// Step mode, running to the next step.
    Stepping,
    /// Step mode, main held at the gate of a step until Space (or the pace) releases
    /// it. `since_ms`: when the app clock first saw this hold (the pace counts from
    /// there; `None` until the next tick).
    Held { since_ms: Option<u64> },
    /// Over: every process of the run gone or stopped. `stepping`: the mode the
    /// learner chose, which the key bar names, `p` still switches and a replay's
    /// restart keeps.
    Ended { stepping: bool },
}

impl Phase {
    /// A run as it starts: stepping or playing.
    pub fn start(step_mode: bool) -> Phase {
        if step_mode {
            Phase::Stepping
        } else {
            Phase::Playing
        }
    }

    pub fn step_mode(self) -> bool {
        matches!(
            self,
            Phase::Stepping | Phase::Held { .. } | Phase::Ended { stepping: true }
        )
    }

    pub fn held(self) -> bool {
        matches!(self, Phase::Held { .. })
    }

    pub fn paused(self) -> bool {
        self == Phase::Paused
    }

    pub fn ended(self) -> bool {
        matches!(self, Phase::Ended { .. })
    }

    /// The run is over: nothing is held or paused any more; the mode is kept.
    pub fn end(&mut self) {
        *self = Phase::Ended {
            stepping: self.step_mode(),
        };
    }

    /// Main reached the gate of a step. In step mode it is held there, unless
    /// `runs_on` (a step that lets the program go on holds nothing); a new hold's
    /// pace starts again. Outside step mode, and after the end, nothing changes.
    pub fn reach_gate(&mut self, runs_on: bool) {
        if matches!(self, Phase::Stepping | Phase::Held { .. }) {
            *self = if runs_on {
                Phase::Stepping
            } else {
                Phase::Held { since_ms: None }
            };
        }
    }

    /// Lets a held run go on to its next step; whether it was held (and so whether
    /// a permit is due).
    pub fn release(&mut self) -> bool {
        let held = self.held();
        if held {
            *self = Phase::Stepping;
        }
        held
    }

    /// Space outside step mode: pauses or plays on. The new pause state, or `None`
    /// where Space means something else (step mode, the end).
    pub fn toggle_pause(&mut self) -> Option<bool> {
        *self = match self {
            Phase::Playing => Phase::Paused,
            Phase::Paused => Phase::Playing,
            _ => return None,
        };
        Some(self.paused())
    }

    /// `p`: step mode on or off. Returns the new mode and whether a pause was lifted
    /// on the way (in step mode Space means "next step", so a pause left behind
    /// could never be undone with it). Leaving step mode releases a hold.
    pub fn toggle_step_mode(&mut self) -> (bool, bool) {
        let was_paused = self.paused();
        *self = match *self {
            Phase::Playing | Phase::Paused => Phase::Stepping,
            Phase::Stepping | Phase::Held { .. } => Phase::Playing,
            Phase::Ended { stepping } => Phase::Ended {
                stepping: !stepping,
            },
        };
        (self.step_mode(), was_paused)
    }

    /// When the current hold was first seen, the app clock being at `now_ms` (which
    /// becomes that time if none was noted yet); `None` when nothing is held.
    pub fn held_since(&mut self, now_ms: u64) -> Option<u64> {
        match self {
            Phase::Held { since_ms } => Some(*since_ms.get_or_insert(now_ms)),
            _ => None,
        }
    }

    /// The pace of a hold starts again from now (the learner answered its question).
    pub fn restart_pace(&mut self) {
        if let Phase::Held { since_ms } = self {
            *since_ms = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Phase;

    const ALL: [Phase; 7] = [
        Phase::Playing,
        Phase::Paused,
        Phase::Stepping,
        Phase::Held { since_ms: None },
        Phase::Held { since_ms: Some(5) },
        Phase::Ended { stepping: false },
        Phase::Ended { stepping: true },
    ];

    /// The combinations the bools allowed and no run can be in.
    fn possible(p: Phase) -> bool {
        !(p.held() && (p.paused() || p.ended() || !p.step_mode())
            || p.paused() && (p.step_mode() || p.ended()))
    }

    #[test]
    fn every_transition_from_every_phase_stays_possible() {
        let moves: [fn(&mut Phase); 8] = [
            Phase::end,
            |p| p.reach_gate(false),
            |p| p.reach_gate(true),
            |p| {
                p.release();
            },
            |p| {
                p.toggle_pause();
            },
            |p| {
                p.toggle_step_mode();
            },
            |p| {
                p.held_since(7);
            },
            Phase::restart_pace,
        ];
        for from in ALL {
            assert!(possible(from), "{from:?}");
            for (i, m) in moves.iter().enumerate() {
                let mut p = from;
                m(&mut p);
                assert!(possible(p), "move {i} from {from:?} gave {p:?}");
            }
        }
    }

    #[test]
    fn a_step_holds_releases_and_ends() {
        let mut p = Phase::start(true);
        p.reach_gate(false);
        assert_eq!(p.held_since(100), Some(100));
        assert_eq!(p.held_since(900), Some(100), "the first sight counts");
        p.restart_pace();
        assert_eq!(p.held_since(900), Some(900));
        assert!(p.release() && p == Phase::Stepping);
        assert!(!p.release(), "nothing held, no permit");
        p.reach_gate(true);
        assert_eq!(p, Phase::Stepping, "a step that runs on holds nothing");
        p.reach_gate(false);
        p.end();
        assert_eq!(p, Phase::Ended { stepping: true });
        p.reach_gate(false);
        assert!(p.ended(), "no gate holds an ended run");
    }

    #[test]
    fn space_pauses_only_outside_step_mode_and_p_lifts_a_pause() {
        let mut p = Phase::start(false);
        assert_eq!(p.toggle_pause(), Some(true));
        assert_eq!(p.toggle_step_mode(), (true, true), "the pause is lifted");
        assert_eq!(p.toggle_pause(), None);
        p.reach_gate(false);
        assert_eq!(p.toggle_step_mode(), (false, false));
        assert_eq!(p, Phase::Playing, "leaving step mode releases the hold");
        p.end();
        assert_eq!(p.toggle_pause(), None);
        assert_eq!(p.toggle_step_mode(), (true, false));
        assert!(p.ended());
    }
}
