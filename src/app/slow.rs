//! Slow motion a lesson asks for: a step's `speed` slows the run from the moment its
//! gate is passed (released in step mode, reached while playing) until a later
//! step's `speed` replaces it. The learner's own speed (`+`/`-`) stays what it was
//! and the slowing multiplies it, so the keys still work in slow motion.
//!
//! The speed goes to the control block before the permit that releases the gate, so
//! nothing after the gate ever runs at the old speed.

use super::{Command, RunView};
use crate::lesson::Lesson;

impl RunView {
    /// The speed the control block should have: the learner's, times the slowing.
    pub fn effective_speed(&self) -> f64 {
        self.speed * self.slow.unwrap_or(1.0)
    }
}

/// The lesson step whose gate main is held at now, if any (a gate without a step
/// holds too, and passing it changes nothing).
pub fn held_step(run: &RunView, lesson: Option<&Lesson>) -> Option<usize> {
    if !run.held() {
        return None;
    }
    lesson?.step_for_gate(run.gate.as_deref()?)
}

/// After `update`: if the step main was held at (`held_before`) was released by these
/// commands, its slowing applies from now on; `SetSpeed` goes before the permit.
pub fn on_release(
    run: &mut RunView,
    lesson: Option<&Lesson>,
    held_before: Option<usize>,
    cmds: &mut Vec<Command>,
) {
    let released = cmds
        .iter()
        .position(|c| matches!(c, Command::Permit | Command::SetStepMode(false)));
    if let (Some(step), Some(at)) = (held_before, released)
        && let Some(set) = pass(run, lesson, step)
    {
        cmds.insert(at, set);
    }
}

/// A step's gate reached while playing: passed at once, so its slowing applies now.
pub fn on_reached(run: &mut RunView, lesson: Option<&Lesson>, step: usize) -> Vec<Command> {
    if run.step_mode() {
        return Vec::new();
    }
    pass(run, lesson, step).into_iter().collect()
}

/// Step `step` passed: the `SetSpeed` its `speed` asks for, if it changes anything.
/// A replay and a traced program have no speed to set.
fn pass(run: &mut RunView, lesson: Option<&Lesson>, step: usize) -> Option<Command> {
    if run.replay || run.trace.is_some() {
        return None;
    }
    let asked = lesson?.steps.get(step)?.speed?;
    let slow = (asked < 1.0).then_some(asked);
    if slow == run.slow {
        return None;
    }
    run.slow = slow;
    Some(Command::SetSpeed(run.effective_speed()))
}

/// A slowing as people say it: `1/20000` rather than `0.00005` when it is one over a
/// whole number, else the decimal (`0.3`).
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "1/factor for a factor in SLOWEST..1: a positive whole number below 10^5"
)]
pub fn factor_text(factor: f64) -> String {
    let over = 1.0 / factor;
    if factor > 0.0 && over >= 2.0 && (over - over.round()).abs() < 1e-6 * over {
        format!("1/{}", over.round() as u64)
    } else {
        format!("{factor}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn factors_read_as_fractions() {
        assert_eq!(super::factor_text(0.2), "1/5");
        assert_eq!(super::factor_text(0.00005), "1/20000");
        assert_eq!(super::factor_text(0.3), "0.3");
    }
}
