//! Moving through a lesson as a class does: the next step, the previous one, the
//! first, any step from the outline; and leaving a live run only once asked twice.
//!
//! A real run cannot go back. Going back (or to a step already passed) runs the
//! lesson again from its start and releases every step before the one asked for as
//! soon as it holds: new processes, new PIDs, and the log says so. Going forward
//! releases the held step and every one after it up to the one asked for.

use super::keymap::Action;
use super::phase::Phase;
use super::{App, Command, LogClass, RunView};
use crate::said;

/// What leaving a live run was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// Esc, h or Backspace: back to the menu.
    ToMenu,
    /// q: quit proclab.
    Quit,
}

/// Whether leaving now would stop processes that still run (so it is asked first):
/// a live run that has not ended. A replay has none; an ended run has none left.
pub fn leaving_stops_processes(app: &App) -> bool {
    app.run.as_ref().is_some_and(|r| !r.replay && !r.ended())
}

/// The answer to "leave this run?": Enter, or the same key again, confirms; any
/// other key stays. Returns whether to go on leaving.
pub fn confirmed(asked: Leave, action: Action) -> bool {
    matches!(
        (asked, action),
        (_, Action::Open) | (Leave::ToMenu, Action::Back) | (Leave::Quit, Action::Quit)
    )
}

/// The step the learner is on (`None` before the first gate).
fn current(run: &RunView) -> Option<usize> {
    run.step
}

/// Goes to step `target` of the lesson: forward by releasing, back by running the
/// lesson again up to it. Nothing for a run without a lesson or a target past the
/// last step.
pub fn jump_to(app: &mut App, target: usize) -> Vec<Command> {
    let Some(run) = app.run.as_mut() else {
        return Vec::new();
    };
    let Some(steps) = run
        .lesson
        .and_then(|i| app.lessons.get(i))
        .map(|l| l.steps.len())
    else {
        return Vec::new();
    };
    if target >= steps {
        return Vec::new();
    }
    match current(run) {
        Some(now) if target == now => Vec::new(),
        Some(now) if target > now && !run.ended() => {
            run.skip_to = Some(target);
            release_towards(run)
        }
        // Back, or a step the ended run passed: only a new run gets there.
        _ => {
            let cmds = rerun(app);
            if let Some(fresh) = app.run.as_mut() {
                fresh.skip_to = (target > 0).then_some(target);
                let at = (0, 0);
                super::ingest::log_for(
                    fresh,
                    at,
                    said!("log.rerun_to", step = target + 1),
                    LogClass::Gate,
                );
            }
            app.notice = Some(said!("notice.rerun_to", step = target + 1));
            cmds
        }
    }
}

/// After an event: a step before the one jumped to is released as soon as it holds;
/// the jump is over once that step is reached or the run ends.
pub fn release_towards(run: &mut RunView) -> Vec<Command> {
    let Some(target) = run.skip_to else {
        return Vec::new();
    };
    if run.ended() || current(run).is_some_and(|s| s >= target) {
        run.skip_to = None;
        return Vec::new();
    }
    if run.phase.release() {
        vec![Command::Permit]
    } else {
        Vec::new()
    }
}

/// The same lesson, scenario or trace started again from the beginning (`r`, and a
/// jump back): nothing of the old run reaches the new view.
pub fn rerun(app: &mut App) -> Vec<Command> {
    let Some(run) = app.run.as_ref() else {
        return Vec::new();
    };
    let stepping = run.trace.as_ref().is_some_and(|t| t.steps());
    let mut fresh = RunView::new(
        run.lesson,
        run.scenario,
        run.params.clone(),
        (run.lesson.is_some() || stepping) && !run.replay,
        run.speed,
    );
    // A replay starts over as it is being watched.
    if run.replay {
        fresh.replay = true;
        fresh.phase = Phase::start(run.step_mode());
    }
    fresh.trace = run.trace.clone();
    fresh.variant = run.variant;
    app.start(fresh)
}

/// A key while the outline is open: ↑↓ (and k, j) move, a digit picks a step by its
/// number, Enter goes there, Esc or o closes it.
pub fn on_outline(app: &mut App, action: Action) -> Vec<Command> {
    let Some(run) = app.run.as_mut() else {
        return Vec::new();
    };
    let steps = run
        .lesson
        .and_then(|i| app.lessons.get(i))
        .map_or(0, |l| l.steps.len());
    let Some(at) = run.outline else {
        return Vec::new();
    };
    match action {
        Action::Up => run.outline = Some(at.saturating_sub(1)),
        Action::Down => run.outline = Some((at + 1).min(steps.saturating_sub(1))),
        Action::Answer(d) if (1..=steps).contains(&usize::from(d)) => {
            run.outline = Some(usize::from(d) - 1);
        }
        Action::Open | Action::Step => {
            run.outline = None;
            return jump_to(app, at);
        }
        Action::Back | Action::Outline | Action::Quit => run.outline = None,
        _ => {}
    }
    Vec::new()
}

/// `o`: the outline opens on the current step (the first before any).
pub fn open_outline(app: &mut App) {
    let has_steps = app.lesson().is_some_and(|l| !l.steps.is_empty());
    if let Some(run) = app.run.as_mut()
        && has_steps
    {
        run.outline = Some(current(run).unwrap_or(0));
    }
}

/// `v`: the lesson's variants (the first entry is the lesson as written), the cursor
/// on the one playing. Nothing for a lesson without variants.
pub fn open_picker(app: &mut App) {
    let has = app.lesson().is_some_and(|l| !l.variants.is_empty());
    if let Some(run) = app.run.as_mut()
        && has
        && !run.replay
    {
        run.picker = Some(run.variant.map_or(0, |v| v + 1));
    }
}

/// A key while the variant picker is open: ↑↓ move, a digit picks, Enter runs the
/// lesson again as that variant (new processes), Esc or v closes.
pub fn on_picker(app: &mut App, action: Action) -> Vec<Command> {
    let Some(run) = app.run.as_mut() else {
        return Vec::new();
    };
    let (Some(at), Some(index)) = (run.picker, run.lesson) else {
        return Vec::new();
    };
    let entries = app.lessons.get(index).map_or(1, |l| l.variants.len() + 1);
    match action {
        Action::Up => run.picker = Some(at.saturating_sub(1)),
        Action::Down => run.picker = Some((at + 1).min(entries - 1)),
        Action::Answer(d) if (1..=entries).contains(&usize::from(d)) => {
            run.picker = Some(usize::from(d) - 1);
        }
        Action::Open | Action::Step => {
            run.picker = None;
            let variant = at.checked_sub(1);
            let cmds = app.open_lesson_variant(index, variant);
            if let Some(fresh) = app.run.as_mut() {
                let name = variant
                    .and_then(|v| app.lessons[index].variants.get(v))
                    .map(|v| crate::i18n::Said::Text(v.name.clone()))
                    .unwrap_or_else(|| said!("variant.as_written"));
                super::ingest::log_for(
                    fresh,
                    (0, 0),
                    said!("log.variant", name = name),
                    LogClass::Gate,
                );
            }
            return cmds;
        }
        Action::Back | Action::Variants | Action::Quit => run.picker = None,
        _ => {}
    }
    Vec::new()
}
