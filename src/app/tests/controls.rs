//! Run controls: step, play, pause, speed, restart, back, quit.

#![allow(
    clippy::float_cmp,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]
use super::*;

// ---- run controls -------------------------------------------------------------

#[test]
fn space_in_step_mode_permits_only_a_held_gate() {
    let mut app = in_lesson();
    for gate in ["start", "first-fork", "forked-all"] {
        update(
            &mut app,
            ev(
                1000,
                EventKind::Gate {
                    name: gate.into(),
                    slot: None,
                },
            ),
        );
        assert_eq!(
            update(&mut app, press(KeyCode::Char(' '))),
            vec![Command::Permit]
        );
        // Between gates, Space grants nothing ahead: the screen must never say "held"
        // while the run has already passed the gate.
        assert!(update(&mut app, press(KeyCode::Char(' '))).is_empty());
    }
    assert!(!run(&app).paused(), "in step mode Space never pauses");
}

#[test]
fn p_toggles_between_stepping_and_playing() {
    let mut app = in_lesson();
    update(
        &mut app,
        ev(
            1000,
            EventKind::Gate {
                name: "start".into(),
                slot: None,
            },
        ),
    );
    assert!(run(&app).held());
    assert_eq!(
        update(&mut app, press(KeyCode::Char('p'))),
        vec![Command::SetStepMode(false)]
    );
    assert!(!run(&app).step_mode());
    assert!(!run(&app).held(), "playing releases the held gate");
    assert_eq!(
        update(&mut app, press(KeyCode::Char('p'))),
        vec![Command::SetStepMode(true)]
    );
    assert!(run(&app).step_mode());
}

#[test]
fn p_lifts_a_pause_either_way() {
    // Playing, paused with Space, back to step mode with p: the pause is lifted.
    let mut app = in_bare_run();
    update(&mut app, press(KeyCode::Char(' ')));
    assert!(run(&app).paused());
    assert_eq!(
        update(&mut app, press(KeyCode::Char('p'))),
        vec![Command::SetStepMode(true), Command::SetPaused(false)]
    );
    assert!(!run(&app).paused() && run(&app).step_mode());
    // p again: playing, nothing to lift.
    assert_eq!(
        update(&mut app, press(KeyCode::Char('p'))),
        vec![Command::SetStepMode(false)]
    );
    assert!(!run(&app).paused() && !run(&app).step_mode());
}

#[test]
fn space_while_playing_pauses_and_resumes() {
    let mut app = in_bare_run();
    assert!(!run(&app).step_mode());
    assert_eq!(
        update(&mut app, press(KeyCode::Char(' '))),
        vec![Command::SetPaused(true)]
    );
    assert!(run(&app).paused());
    assert_eq!(
        update(&mut app, press(KeyCode::Right)),
        vec![Command::SetPaused(false)]
    );
    assert!(!run(&app).paused());
}

/// Playing, paused with Space, then `p` back to step mode: the run stays paused, and
/// in step mode Space only grants permits, so nothing the status bar offers resumes
/// it (the gate is passed, then `wait_while_paused` blocks). Only `p` twice does.
#[test]

fn entering_step_mode_while_paused_does_not_leave_the_run_stuck() {
    let mut app = in_bare_run();
    update(&mut app, press(KeyCode::Char(' '))); // pause
    update(&mut app, press(KeyCode::Char('p'))); // step mode
    let cmds = update(&mut app, press(KeyCode::Char(' ')));
    assert!(
        !run(&app).paused() || cmds.contains(&Command::SetPaused(false)),
        "after Space in step mode the run must not still be paused: {cmds:?}"
    );
}

#[test]
fn space_after_the_end_does_nothing() {
    let mut app = in_lesson();
    update(&mut app, Msg::RunEnded);
    assert!(update(&mut app, press(KeyCode::Char(' '))).is_empty());
    let mut app = in_bare_run();
    update(&mut app, Msg::RunEnded);
    assert!(update(&mut app, press(KeyCode::Char(' '))).is_empty());
    assert!(!run(&app).paused());
}

#[test]
fn speed_doubles_and_halves_within_limits() {
    let mut app = in_lesson();
    let mut seen = Vec::new();
    for _ in 0..8 {
        seen.extend(update(&mut app, press(KeyCode::Char('+'))));
    }
    let want: Vec<Command> = [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 64.0, 64.0]
        .into_iter()
        .map(Command::SetSpeed)
        .collect();
    assert_eq!(seen, want);
    assert_eq!(run(&app).speed, MAX_SPEED);

    let mut seen = Vec::new();
    for _ in 0..10 {
        seen.extend(update(&mut app, press(KeyCode::Char('-'))));
    }
    let want: Vec<Command> = [32.0, 16.0, 8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.25, 0.25]
        .into_iter()
        .map(Command::SetSpeed)
        .collect();
    assert_eq!(seen, want);
    assert_eq!(run(&app).speed, MIN_SPEED);
}

#[test]
fn r_restarts_with_a_fresh_view_and_the_same_speed() {
    let mut app = in_lesson();
    update(&mut app, press(KeyCode::Char('+')));
    update(&mut app, ev_at(500, 1000, spawn(999, "main")));
    update(
        &mut app,
        ev_at(
            900,
            1000,
            EventKind::Gate {
                name: "first-fork".into(),
                slot: None,
            },
        ),
    );
    update(&mut app, press(KeyCode::Char('p')));
    update(&mut app, Msg::RunEnded);
    assert_eq!(run(&app).procs.len(), 1);

    let cmds = update(&mut app, press(KeyCode::Char('r')));
    assert_eq!(
        cmds,
        vec![Command::StartRun {
            scenario: fanout(),
            params: app.lessons[0].params.clone(),
            speed: 2.0,
            step_mode: true,
            run_on: 0,
        }]
    );
    let fresh = run(&app);
    assert!(fresh.procs.is_empty());
    assert!(fresh.log.is_empty());
    assert_eq!(
        (fresh.gate.as_deref(), fresh.step, fresh.gate_pid),
        (None, None, None)
    );
    assert!(fresh.step_mode(), "a lesson restarts in step mode");
    assert!(!fresh.ended() && !fresh.held() && !fresh.paused());
    assert_eq!(fresh.now_us, 0);
    assert_eq!(fresh.lesson, Some(0));
    assert_eq!(app.screen, Screen::Run);
}

#[test]
fn r_in_a_bare_run_restarts_playing() {
    let mut app = in_bare_run();
    let cmds = update(&mut app, press(KeyCode::Char('r')));
    assert!(matches!(
        &cmds[..],
        [Command::StartRun { step_mode: false, speed, .. }] if *speed == 1.0
    ));
    assert_eq!(run(&app).lesson, None);
}

#[test]
fn esc_leaves_the_run_for_the_menu() {
    let mut app = in_lesson();
    // A live run asks first; any other key stays.
    assert!(update(&mut app, press(KeyCode::Esc)).is_empty());
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.contains("leave this run?"))
    );
    assert!(update(&mut app, press(KeyCode::Down)).is_empty());
    assert_eq!(app.screen, Screen::Run, "another key stays");
    assert!(update(&mut app, press(KeyCode::Esc)).is_empty());
    assert_eq!(
        update(&mut app, press(KeyCode::Esc)),
        vec![Command::StopRun]
    );
    assert_eq!(app.screen, Screen::Menu);
    assert!(app.run.is_none());
    assert!(!app.quit);
    // and the menu works again
    assert!(matches!(
        &update(&mut app, press(KeyCode::Enter))[..],
        [Command::StartRun { .. }]
    ));
}

#[test]
fn esc_quits_a_direct_bare_run() {
    let mut app = in_bare_run();
    app.direct = true;
    assert!(
        update(&mut app, press(KeyCode::Esc)).is_empty(),
        "asked first"
    );
    assert_eq!(
        update(&mut app, press(KeyCode::Enter)),
        vec![Command::StopRun, Command::Quit]
    );
    assert!(app.quit);
}

#[test]
fn esc_from_a_direct_lesson_goes_to_the_menu_then_quits() {
    let mut app = in_lesson();
    app.direct = true;
    update(&mut app, press(KeyCode::Esc));
    assert_eq!(
        update(&mut app, press(KeyCode::Esc)),
        vec![Command::StopRun]
    );
    assert!(!app.quit);
    assert_eq!(app.screen, Screen::Menu);
    assert_eq!(update(&mut app, press(KeyCode::Esc)), vec![Command::Quit]);
    assert!(app.quit);
}

#[test]
fn q_quits_from_menu_run_and_help() {
    for setup in [lesson_app as fn() -> App, in_lesson, in_bare_run] {
        let mut app = setup();
        // A live run asks first: q again (or Enter) quits.
        if app.run.is_some() {
            assert!(update(&mut app, press(KeyCode::Char('q'))).is_empty());
            assert!(!app.quit);
            assert!(
                app.notice
                    .as_ref()
                    .is_some_and(|n| n.contains("quit proclab?"))
            );
        }
        assert_eq!(
            update(&mut app, press(KeyCode::Char('q'))),
            vec![Command::StopRun, Command::Quit]
        );
        assert!(app.quit);
    }
    // An ended run has nothing left to stop: q quits at once.
    let mut app = in_lesson();
    update(&mut app, Msg::RunEnded);
    assert_eq!(
        update(&mut app, press(KeyCode::Char('q'))),
        vec![Command::StopRun, Command::Quit]
    );
    let mut app = in_lesson();
    update(&mut app, press(KeyCode::Char('?')));
    assert_eq!(
        update(&mut app, press(KeyCode::Char('q'))),
        vec![Command::StopRun, Command::Quit]
    );
    assert!(app.quit, "q works with the help open");
}

#[test]
fn run_selection_clamps_to_the_process_rows() {
    let mut app = in_lesson();
    update(&mut app, press(KeyCode::Down));
    assert_eq!(run(&app).selected_line(), 0, "no rows: stays at 0");
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    for _ in 0..5 {
        update(&mut app, press(KeyCode::Char('j')));
    }
    assert_eq!(run(&app).selected_line(), 1);
    for _ in 0..5 {
        update(&mut app, press(KeyCode::Up));
    }
    assert_eq!(run(&app).selected_line(), 0);
}

#[test]
fn selection_follows_the_drawn_tree_and_stays_on_its_process() {
    let mut app = in_bare_run();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    update(&mut app, ev(1002, spawn(1000, "child 1")));
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Down));
    assert_eq!(run(&app).selected_row().unwrap().pid, 1002);
    // A grandchild under child 0 is drawn above child 1: the selection moves with it.
    update(&mut app, ev(1003, spawn(1001, "child 0.1")));
    assert_eq!(run(&app).selected_line(), 3);
    assert_eq!(run(&app).selected_row().unwrap().pid, 1002);
    // Drawn order, not spawn order: line 2 is the grandchild (spawned last).
    update(&mut app, press(KeyCode::Up));
    assert_eq!(run(&app).selected_row().unwrap().pid, 1003);
}

/// "Be the scheduler": per-process gates wait for the learner to pick the process.
#[test]
fn space_runs_the_selected_process_at_its_own_gate() {
    let mut app = in_lesson();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "worker 0")));
    update(&mut app, ev(1002, spawn(1000, "worker 1")));
    let gate = |name: &str, slot| EventKind::Gate {
        name: name.into(),
        slot: Some(slot),
    };
    update(&mut app, ev(1001, gate("read", 0)));
    update(&mut app, ev(1002, gate("read", 1)));
    assert_eq!(run(&app).slot_held.len(), 2);
    assert!(
        !run(&app).held(),
        "a worker's gate is not the lesson's step"
    );
    // main is selected: nothing of its own to run, so a hint and no permit.
    assert!(update(&mut app, press(KeyCode::Char(' '))).is_empty());
    assert!(
        run(&app)
            .log
            .back()
            .unwrap()
            .text
            .to_string()
            .contains("scheduler")
    );
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Down));
    assert_eq!(
        update(&mut app, press(KeyCode::Char(' '))),
        vec![Command::PermitSlot(1)]
    );
    assert!(!run(&app).slot_held.contains_key(&1002));
    assert!(run(&app).slot_held.contains_key(&1001));
    // Playing on releases every per-process gate.
    update(&mut app, press(KeyCode::Char('p')));
    assert!(run(&app).slot_held.is_empty());
}

#[test]
fn n_scrolls_the_narration_and_a_new_step_starts_at_its_top() {
    let mut app = in_lesson();
    update(&mut app, main_gate("start"));
    update(&mut app, press(KeyCode::Char('n')));
    update(&mut app, press(KeyCode::Char('n')));
    assert_eq!(run(&app).narration_scroll, 8);
    update(&mut app, press(KeyCode::Char('N')));
    assert_eq!(run(&app).narration_scroll, 0);
    update(&mut app, press(KeyCode::Char('n')));
    // The same step again (a repeated gate) keeps the place; a new step resets it.
    update(&mut app, main_gate("start"));
    assert_eq!(run(&app).narration_scroll, 4);
    update(&mut app, main_gate("first-fork"));
    assert_eq!(run(&app).narration_scroll, 0);
}

#[test]
fn a_lesson_played_to_its_summary_is_remembered_once() {
    let mut app = in_lesson();
    let summary = EventKind::Summary {
        processes: 11,
        leaked: 0,
        duration_us: 1,
        results: Default::default(),
    };
    update(&mut app, ev(1000, summary));
    let cmds = update(&mut app, Msg::RunEnded);
    assert_eq!(
        cmds,
        vec![
            Command::StopRun,
            Command::SaveFinished(vec!["fork-fanout".into()])
        ]
    );
    assert!(app.finished.contains("fork-fanout"));
    // Played again: already known, nothing to save.
    update(&mut app, press(KeyCode::Char('r')));
    update(
        &mut app,
        ev(
            1000,
            EventKind::Summary {
                processes: 11,
                leaked: 0,
                duration_us: 1,
                results: Default::default(),
            },
        ),
    );
    assert_eq!(update(&mut app, Msg::RunEnded), vec![Command::StopRun]);
}

#[test]
fn a_run_cut_short_is_not_finished() {
    let mut app = in_lesson();
    assert_eq!(update(&mut app, Msg::RunEnded), vec![Command::StopRun]);
    assert!(app.finished.is_empty());
}

#[test]
fn with_a_pace_a_held_step_is_released_by_itself_but_a_question_waits() {
    let mut app = in_lesson();
    app.pace_s = Some(2.0);
    // fork-fanout's first step asks a question: the pace waits for the answer.
    update(&mut app, Msg::Tick(1_000));
    update(&mut app, main_gate("start"));
    assert!(update(&mut app, Msg::Tick(2_000)).is_empty());
    assert!(
        update(&mut app, Msg::Tick(9_000)).is_empty(),
        "no answer yet"
    );
    // The answer restarts the pace: a whole pace to talk about it.
    update(&mut app, press(KeyCode::Char('2')));
    assert!(update(&mut app, Msg::Tick(9_500)).is_empty());
    assert!(update(&mut app, Msg::Tick(11_000)).is_empty());
    assert_eq!(update(&mut app, Msg::Tick(11_500)), vec![Command::Permit]);
    assert!(!run(&app).held());
    // A step without a question: released two seconds after it was first seen held.
    update(&mut app, main_gate("first-fork"));
    assert!(update(&mut app, Msg::Tick(12_000)).is_empty());
    assert!(update(&mut app, Msg::Tick(13_500)).is_empty());
    assert_eq!(update(&mut app, Msg::Tick(14_000)), vec![Command::Permit]);
}

#[test]
fn presenter_mode_switches_to_high_contrast_and_back() {
    use crate::theme::Theme;
    let mut app = in_lesson();
    app.theme = Theme::Light;
    // Ten minutes without presenter mode: no ticks came, the clock is stale.
    update(&mut app, Msg::Tick(5_000));
    update(&mut app, press(KeyCode::Char('P')));
    assert_eq!(app.theme, Theme::HighContrast);
    assert_eq!(app.present.map(|p| p.since_ms), Some(None));
    // The class timer starts at the first tick after P, not at the stale clock.
    update(&mut app, Msg::Tick(605_000));
    assert_eq!(app.present.map(|p| p.since_ms), Some(Some(605_000)));
    update(&mut app, Msg::Tick(606_000));
    assert_eq!(app.present.map(|p| p.since_ms), Some(Some(605_000)));
    update(&mut app, press(KeyCode::Char('P')));
    assert_eq!((app.theme, app.present), (Theme::Light, None));
    update(&mut app, press(KeyCode::Char('T')));
    assert_eq!(app.theme, Theme::HighContrast);
}

/// `c` in presenter mode puts the code big in the tree's place and back; outside it
/// says where it works (the normal screens always show the code), and leaving
/// presenter mode forgets it.
#[test]
fn c_toggles_the_big_code_in_presenter_mode_only() {
    let mut app = in_lesson();
    assert!(update(&mut app, press(KeyCode::Char('c'))).is_empty());
    assert!(app.present.is_none());
    assert_eq!(
        app.notice.as_ref().map(|n| n.text(crate::lesson::Lang::En)),
        Some(
            "c shows the code big in presenter mode (P); here the code pane is always on screen"
                .to_string()
        )
    );
    update(&mut app, press(KeyCode::Char('P')));
    assert_eq!(app.present.map(|p| p.code), Some(false));
    assert!(update(&mut app, press(KeyCode::Char('c'))).is_empty());
    assert_eq!(app.present.map(|p| p.code), Some(true));
    update(&mut app, press(KeyCode::Char('c')));
    assert_eq!(app.present.map(|p| p.code), Some(false));
    update(&mut app, press(KeyCode::Char('c')));
    update(&mut app, press(KeyCode::Char('P')));
    update(&mut app, press(KeyCode::Char('P')));
    assert_eq!(app.present.map(|p| p.code), Some(false));
}

/// A new hold gets a whole pace of its own, even when the step before was released
/// between two ticks.
#[test]
fn pace_counts_each_hold_from_its_own_start() {
    let mut app = in_lesson();
    app.pace_s = Some(2.0);
    update(&mut app, main_gate("start"));
    update(&mut app, press(KeyCode::Char('2')));
    update(&mut app, Msg::Tick(1_000));
    // Released by hand before the pace ran out; the next gate comes before a tick.
    assert_eq!(
        update(&mut app, press(KeyCode::Char(' '))),
        vec![Command::Permit]
    );
    update(&mut app, main_gate("first-fork"));
    assert!(update(&mut app, Msg::Tick(1_500)).is_empty());
    assert!(
        update(&mut app, Msg::Tick(3_000)).is_empty(),
        "only 1.5 s held"
    );
    assert_eq!(update(&mut app, Msg::Tick(3_500)), vec![Command::Permit]);
}

#[test]
fn t_names_the_theme_it_chose_until_the_next_key() {
    let mut app = in_lesson();
    let before = app.theme;
    update(&mut app, press(KeyCode::Char('T')));
    assert_ne!(app.theme, before);
    let notice = app.notice.clone().expect("a notice");
    assert!(notice.to_string().contains(app.theme.name()), "{notice}");
    update(&mut app, press(KeyCode::Char('?')));
    assert_eq!(app.notice, None);
}

#[test]
fn a_lesson_opens_on_its_own_pane_not_the_log_left_by_the_last() {
    let mut app = in_lesson();
    update(&mut app, press(KeyCode::Tab));
    assert!(app.show_log);
    update(&mut app, press(KeyCode::Esc));
    update(&mut app, press(KeyCode::Esc));
    update(&mut app, press(KeyCode::Enter));
    assert!(
        !app.show_log,
        "Tab's choice must not carry over to the next lesson"
    );
}

#[test]
fn brackets_scroll_the_event_log_and_it_stays_on_what_is_read() {
    let mut app = in_lesson();
    for i in 0..30 {
        update(
            &mut app,
            ev(
                1000 + i,
                EventKind::Print {
                    text: format!("line {i}"),
                },
            ),
        );
    }
    update(&mut app, press(KeyCode::Char('[')));
    assert_eq!(run(&app).log_scroll, 5);
    // A new line arrives while the learner reads older ones: the view stays.
    update(&mut app, ev(2000, EventKind::Print { text: "new".into() }));
    assert_eq!(run(&app).log_scroll, 6);
    update(&mut app, press(KeyCode::Char(']')));
    update(&mut app, press(KeyCode::Char(']')));
    assert_eq!(run(&app).log_scroll, 0, "back to following the newest");
}
