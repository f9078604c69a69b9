//! Moving through a lesson as a class does: next, previous, first, the outline; the
//! blank screen; leaving a live run only when confirmed.
use super::*;

/// In the fork-fanout lesson, held at its step `gate` (steps: start, first-fork,
/// forked-all, reaped-all).
fn held_at(gate: &str) -> App {
    let mut app = in_lesson();
    update(&mut app, main_gate(gate));
    assert!(run(&app).held());
    app
}

#[test]
fn page_down_is_a_clicker_s_next_step() {
    let mut app = held_at("start");
    assert_eq!(
        update(&mut app, press(KeyCode::PageDown)),
        vec![Command::Permit]
    );
}

#[test]
fn back_runs_the_lesson_again_and_releases_it_up_to_the_previous_step() {
    let mut app = held_at("forked-all");
    assert_eq!(run(&app).step, Some(2));
    let cmds = update(&mut app, press(KeyCode::Left));
    assert!(
        matches!(
            &cmds[..],
            [Command::StartRun {
                step_mode: true,
                ..
            }]
        ),
        "a new run: {cmds:?}"
    );
    assert_eq!(run(&app).step, None, "nothing of the old run");
    assert_eq!(run(&app).skip_to, Some(1));
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.contains("again up to step 2") && n.contains("new PIDs"))
    );
    assert!(
        run(&app)
            .log
            .iter()
            .any(|l| l.text.contains("cannot go back")),
        "the log says why the PIDs change"
    );
    // The new run's first step is released as soon as it holds; the one asked for
    // holds.
    assert_eq!(update(&mut app, main_gate("start")), vec![Command::Permit]);
    assert!(update(&mut app, main_gate("first-fork")).is_empty());
    assert!(run(&app).held());
    assert_eq!(run(&app).step, Some(1));
    assert_eq!(run(&app).skip_to, None);
}

#[test]
fn home_runs_the_lesson_again_to_its_first_step() {
    let mut app = held_at("first-fork");
    let cmds = update(&mut app, press(KeyCode::Home));
    assert!(matches!(&cmds[..], [Command::StartRun { .. }]));
    assert_eq!(run(&app).skip_to, None, "the first step holds by itself");
    assert!(update(&mut app, main_gate("start")).is_empty());
    assert!(run(&app).held());
    // Back from the first step: there is none before it.
    assert!(update(&mut app, press(KeyCode::Left)).is_empty());
    assert!(update(&mut app, press(KeyCode::PageUp)).is_empty());
}

#[test]
fn the_outline_jumps_forward_releasing_every_step_on_the_way() {
    let mut app = held_at("start");
    assert!(update(&mut app, press(KeyCode::Char('o'))).is_empty());
    assert_eq!(run(&app).outline, Some(0), "opens on the current step");
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Down));
    assert_eq!(run(&app).outline, Some(3), "stops at the last step");
    update(&mut app, press(KeyCode::Char('3')));
    assert_eq!(run(&app).outline, Some(2), "a digit picks a step by number");
    // While open, keys move its cursor, not the run.
    assert!(update(&mut app, press(KeyCode::Char('p'))).is_empty());
    assert!(run(&app).step_mode());
    assert_eq!(
        update(&mut app, press(KeyCode::Enter)),
        vec![Command::Permit]
    );
    assert_eq!(run(&app).outline, None);
    assert_eq!(run(&app).skip_to, Some(2));
    assert_eq!(
        update(&mut app, main_gate("first-fork")),
        vec![Command::Permit],
        "a step on the way is released as it holds"
    );
    assert!(update(&mut app, main_gate("forked-all")).is_empty());
    assert_eq!(run(&app).step, Some(2));
    assert!(run(&app).held());
    assert_eq!(run(&app).skip_to, None);
}

#[test]
fn the_outline_closes_with_esc_without_leaving() {
    let mut app = held_at("start");
    update(&mut app, press(KeyCode::Char('o')));
    assert!(update(&mut app, press(KeyCode::Esc)).is_empty());
    assert_eq!(run(&app).outline, None);
    assert_eq!(app.screen, Screen::Run);
    assert_eq!(app.leave, None, "Esc closed the outline, it asked nothing");
    // The current step chosen: nothing to do.
    update(&mut app, press(KeyCode::Char('o')));
    assert!(update(&mut app, press(KeyCode::Enter)).is_empty());
}

#[test]
fn b_blanks_the_screen_and_the_next_key_only_brings_it_back() {
    let mut app = held_at("start");
    update(&mut app, press(KeyCode::Char('B')));
    assert!(app.blank);
    assert!(
        update(&mut app, press(KeyCode::Char(' '))).is_empty(),
        "the key that brings the screen back does nothing else"
    );
    assert!(!app.blank);
    assert!(run(&app).held());
    assert_eq!(
        update(&mut app, press(KeyCode::Char(' '))),
        vec![Command::Permit]
    );
}

#[test]
fn leaving_a_finished_lesson_asks_nothing_and_the_menu_moves_to_the_next() {
    let mut app = held_at("start");
    update(&mut app, Msg::RunEnded);
    assert_eq!(
        update(&mut app, press(KeyCode::Esc)),
        vec![Command::StopRun]
    );
    assert_eq!(app.screen, Screen::Menu);
    assert_eq!(app.menu_selected, 1, "the next lesson is under the cursor");
}

#[test]
fn a_replay_is_left_without_asking() {
    let mut app = held_at("start");
    app.run.as_mut().unwrap().replay = true;
    assert_eq!(
        update(&mut app, press(KeyCode::Esc)),
        vec![Command::StopRun]
    );
}

/// `v` in a lesson with variants: the list opens on the one playing; Enter runs the
/// lesson again as the chosen one, with its parameters, and the log says so.
#[test]
fn v_runs_the_lesson_again_as_a_variant() {
    let mut app = lesson_app();
    app.menu_selected = app.lessons.iter().position(|l| l.id == "signals").unwrap();
    update(&mut app, press(KeyCode::Enter));
    update(&mut app, main_gate("start"));
    assert!(update(&mut app, press(KeyCode::Char('v'))).is_empty());
    assert_eq!(
        run(&app).picker,
        Some(0),
        "the lesson as written is playing"
    );
    update(&mut app, press(KeyCode::Down));
    let cmds = update(&mut app, press(KeyCode::Enter));
    let [Command::StartRun { params, .. }] = &cmds[..] else {
        panic!("a new run: {cmds:?}");
    };
    assert_eq!(
        params
            .get("disposition")
            .map(ToString::to_string)
            .as_deref(),
        Some("ignore")
    );
    assert_eq!(run(&app).variant, Some(0));
    assert_eq!(run(&app).picker, None);
    assert!(
        run(&app)
            .log
            .iter()
            .any(|l| l.text.contains("as a variant: SIGTERM ignored"))
    );
    // r keeps the variant; the picker opens on it; Esc closes it, nothing else.
    let cmds = update(&mut app, press(KeyCode::Char('r')));
    assert!(matches!(&cmds[..], [Command::StartRun { params, .. }]
        if params.get("disposition").map(ToString::to_string).as_deref() == Some("ignore")));
    update(&mut app, press(KeyCode::Char('v')));
    assert_eq!(run(&app).picker, Some(1));
    assert!(update(&mut app, press(KeyCode::Esc)).is_empty());
    assert_eq!((run(&app).picker, app.leave), (None, None));
    // A lesson without variants: v does nothing.
    let mut plain = lesson_app();
    plain.menu_selected = plain.lessons.iter().position(|l| l.id == "orphan").unwrap();
    update(&mut plain, press(KeyCode::Enter));
    update(&mut plain, main_gate("start"));
    assert!(plain.lesson().is_some_and(|l| l.variants.is_empty()));
    update(&mut plain, press(KeyCode::Char('v')));
    assert_eq!(run(&plain).picker, None);
}

/// J and K move the code pane by hand; the next step puts it back where the step is.
#[test]
fn j_and_k_move_the_code_and_a_new_step_puts_it_back() {
    let mut app = held_at("start");
    update(&mut app, press(KeyCode::Char('J')));
    update(&mut app, press(KeyCode::Char('J')));
    update(&mut app, press(KeyCode::Char('K')));
    assert_eq!(run(&app).code_scroll, 5);
    update(&mut app, press(KeyCode::Char(' ')));
    update(&mut app, main_gate("first-fork"));
    assert_eq!(run(&app).code_scroll, 0);
}
