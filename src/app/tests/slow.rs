//! A lesson step's slow motion (`speed`): when it starts, what it sends, and that
//! the learner's keys still scale it.

#![allow(
    clippy::float_cmp,
    reason = "speeds here are exact binary fractions or copied values, compared exactly"
)]
use super::*;

/// The pool lesson open in step mode (its `submitted` step slows the run to 1/5).
fn in_pool() -> App {
    let mut app = lesson_app();
    let i = app.lessons.iter().position(|l| l.id == "pool").unwrap();
    update(&mut app, Msg::Action(Action::Select(i)));
    update(&mut app, Msg::Action(Action::Open));
    app
}

fn pool_slowing(app: &App) -> f64 {
    let lesson = app.lessons.iter().find(|l| l.id == "pool").unwrap();
    let step = lesson.step_for_gate("submitted").unwrap();
    lesson.steps[step].speed.unwrap()
}

#[test]
fn releasing_a_slow_step_sets_the_speed_before_the_permit() {
    let mut app = in_pool();
    let slow = pool_slowing(&app);
    assert!(slow < 1.0, "the pool lesson slows its submitted step");
    update(&mut app, main_gate("start"));
    // A step without a speed is released as ever.
    assert_eq!(
        update(&mut app, press(KeyCode::Char(' '))),
        vec![Command::Permit]
    );
    update(&mut app, main_gate("submitted"));
    // Reaching the gate changes nothing yet: the step on screen is still at full speed.
    assert_eq!(run(&app).slow, None);
    let cmds = update(&mut app, press(KeyCode::Char(' ')));
    assert_eq!(cmds, vec![Command::SetSpeed(slow), Command::Permit]);
    assert_eq!(run(&app).slow, Some(slow));
    // The header says so.
    let screen = crate::ui::tests::screen(&app, 120, 40);
    assert!(screen.contains("slow ×1/5"), "{screen}");
}

#[test]
fn playing_a_slow_step_slows_the_run_as_its_gate_is_reached() {
    let mut app = in_pool();
    let slow = pool_slowing(&app);
    update(&mut app, press(KeyCode::Char('p')));
    assert!(!run(&app).step_mode());
    assert!(update(&mut app, main_gate("start")).is_empty());
    assert_eq!(
        update(&mut app, main_gate("submitted")),
        vec![Command::SetSpeed(slow)]
    );
    // Reached again (it is not: one gate, one slowing) sends nothing more.
    assert!(update(&mut app, main_gate("submitted")).is_empty());
}

#[test]
fn plus_and_minus_scale_the_slow_motion_too() {
    let mut app = in_pool();
    let slow = pool_slowing(&app);
    update(&mut app, main_gate("start"));
    update(&mut app, press(KeyCode::Char(' ')));
    update(&mut app, main_gate("submitted"));
    update(&mut app, press(KeyCode::Char(' ')));
    assert_eq!(
        update(&mut app, press(KeyCode::Char('+'))),
        vec![Command::SetSpeed(2.0 * slow)]
    );
    assert_eq!(run(&app).speed, 2.0, "the learner's own speed doubled");
    assert_eq!(run(&app).slow, Some(slow), "still in slow motion");
}

#[test]
fn a_restart_runs_at_the_learners_speed_again() {
    let mut app = in_pool();
    update(&mut app, main_gate("start"));
    update(&mut app, press(KeyCode::Char(' ')));
    update(&mut app, main_gate("submitted"));
    update(&mut app, press(KeyCode::Char(' ')));
    let cmds = update(&mut app, press(KeyCode::Char('r')));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::StartRun { speed, .. } if *speed == 1.0)),
        "{cmds:?}"
    );
    assert_eq!(run(&app).slow, None);
}
