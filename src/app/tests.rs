//! Unit tests of the pure `update`.
use super::*;
use crate::trace::event::{Event, EventKind};

fn ev(pid: i32, kind: EventKind) -> Msg {
    Msg::Event(Event { t_us: 1, pid, kind })
}

fn lesson_app() -> App {
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    App::new(lessons, Lang::En)
}

#[test]
fn enter_opens_a_lesson_in_step_mode() {
    let mut app = lesson_app();
    let cmds = update(&mut app, Msg::Action(Action::Open));
    assert!(matches!(&cmds[..], [Command::StartRun { step_mode: true, .. }]));
    assert_eq!(app.screen, Screen::Run);
}

#[test]
fn gate_holds_and_space_grants_a_permit() {
    let mut app = lesson_app();
    update(&mut app, Msg::Action(Action::Open));
    update(&mut app, ev(10, EventKind::Gate { name: "first-fork".into() }));
    let run = app.run.as_ref().unwrap();
    assert!(run.held);
    assert_eq!(run.step, Some(1));
    let cmds = update(&mut app, Msg::Action(Action::Step));
    assert_eq!(cmds, vec![Command::Permit]);
    assert!(!app.run.as_ref().unwrap().held);
}

// ---- helpers ------------------------------------------------------------------

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::trace::event::WaitOutcome;

fn ev_at(t_us: u64, pid: i32, kind: EventKind) -> Msg {
    Msg::Event(Event { t_us, pid, kind })
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// The message a key press becomes, as the main loop does it.
fn press(code: KeyCode) -> Msg {
    Msg::Action(keymap::action_for(key(code)).unwrap_or_else(|| panic!("{code:?} has no action")))
}

fn act(app: &mut App, a: Action) -> Vec<Command> {
    update(app, Msg::Action(a))
}

/// Three copies of the built-in lesson, so the menu has room to move.
fn three_lesson_app() -> App {
    let one = crate::lesson::loader::load(None, 64).unwrap().remove(0);
    let lessons = (0..3)
        .map(|i| Lesson {
            id: format!("{}-{i}", one.id),
            ..one.clone()
        })
        .collect();
    App::new(lessons, Lang::En)
}

fn fanout() -> &'static crate::scenario::Scenario {
    crate::scenario::find("fork-fanout").unwrap()
}

/// A lesson opened (step mode, speed 1).
fn in_lesson() -> App {
    let mut app = lesson_app();
    update(&mut app, press(KeyCode::Enter));
    app
}

/// A bare scenario run (playing, no lesson).
fn in_bare_run() -> App {
    let mut app = lesson_app();
    let params = crate::scenario::params::Params::defaults(fanout().params);
    app.open_run(fanout(), params, 1.0);
    app
}

fn run(app: &App) -> &RunView {
    app.run.as_ref().expect("a run is open")
}

fn spawn(ppid: i32, label: &str) -> EventKind {
    EventKind::Spawn {
        ppid,
        label: label.into(),
    }
}

fn state(letter: &str, reason: &str) -> EventKind {
    EventKind::State {
        state: letter.into(),
        reason: reason.into(),
        cpu: None,
    }
}

fn reap(child: i32, status: i32) -> EventKind {
    EventKind::Reap {
        child,
        status,
        code: None,
        signal: None,
    }
}

// ---- keymap -------------------------------------------------------------------

#[test]
fn keymap_letters_arrows_and_ctrl() {
    use KeyCode::*;
    let cases = [
        (Char('k'), Action::Up),
        (Up, Action::Up),
        (Char('j'), Action::Down),
        (Down, Action::Down),
        (Enter, Action::Open),
        (Char(' '), Action::Step),
        (Right, Action::Step),
        (Char('l'), Action::Step),
        (Esc, Action::Back),
        (Left, Action::Back),
        (Char('h'), Action::Back),
        (Char('q'), Action::Quit),
        (Char('?'), Action::Help),
        (Char('p'), Action::Play),
        (Char('+'), Action::Faster),
        (Char('='), Action::Faster),
        (Char('-'), Action::Slower),
        (Char('r'), Action::Restart),
        (Char('L'), Action::Lang),
    ];
    for (code, want) in cases {
        assert_eq!(keymap::action_for(key(code)), Some(want), "{code:?}");
    }
    assert_eq!(keymap::action_for(key(Char('x'))), None);
    assert_eq!(
        keymap::action_for(KeyEvent::new(Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Quit),
        "Ctrl-C quits"
    );
    assert_eq!(
        keymap::action_for(KeyEvent::new(Char('q'), KeyModifiers::CONTROL)),
        Some(Action::Quit)
    );
    assert_eq!(
        keymap::action_for(KeyEvent::new(Char('j'), KeyModifiers::CONTROL)),
        None,
        "Ctrl with another key does nothing, not a plain j"
    );
    let mut release = key(Char('q'));
    release.kind = KeyEventKind::Release;
    assert_eq!(keymap::action_for(release), None, "key releases are ignored");
}

#[test]
fn ctrl_c_quits_from_a_run() {
    let mut app = in_lesson();
    let a = keymap::action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)).unwrap();
    assert_eq!(update(&mut app, Msg::Action(a)), vec![Command::StopRun, Command::Quit]);
    assert!(app.quit);
}

// ---- menu ---------------------------------------------------------------------

#[test]
fn menu_moves_with_j_k_and_clamps_at_both_ends() {
    let mut app = three_lesson_app();
    assert_eq!(app.menu_selected, 0);
    assert!(update(&mut app, press(KeyCode::Char('k'))).is_empty());
    assert_eq!(app.menu_selected, 0, "Up at the top stays");
    update(&mut app, press(KeyCode::Char('j')));
    assert_eq!(app.menu_selected, 1);
    update(&mut app, press(KeyCode::Down));
    assert_eq!(app.menu_selected, 2);
    assert!(update(&mut app, press(KeyCode::Char('j'))).is_empty());
    assert_eq!(app.menu_selected, 2, "Down at the bottom stays");
    update(&mut app, press(KeyCode::Up));
    assert_eq!(app.menu_selected, 1);
    assert_eq!(app.screen, Screen::Menu);
    assert!(app.run.is_none());
}

#[test]
fn menu_with_no_lessons_does_not_move_or_open() {
    let mut app = App::new(Vec::new(), Lang::En);
    assert!(act(&mut app, Action::Down).is_empty());
    assert!(act(&mut app, Action::Up).is_empty());
    assert_eq!(app.menu_selected, 0);
    assert!(act(&mut app, Action::Open).is_empty());
    assert_eq!(app.screen, Screen::Menu);
}

#[test]
fn enter_starts_the_selected_lesson_at_its_first_gate() {
    let mut app = three_lesson_app();
    update(&mut app, press(KeyCode::Down));
    let cmds = update(&mut app, press(KeyCode::Enter));
    assert_eq!(
        cmds,
        vec![Command::StartRun {
            scenario: fanout(),
            params: app.lessons[1].params.clone(),
            speed: 1.0,
            step_mode: true,
        }]
    );
    let run = run(&app);
    assert_eq!(run.lesson, Some(1));
    assert!(run.step_mode);
    assert!(!run.paused && !run.held && !run.ended);
    assert!(run.procs.is_empty());
    assert_eq!(app.lesson().unwrap().id, app.lessons[1].id);
}

#[test]
fn space_in_the_menu_also_opens() {
    let mut app = lesson_app();
    let cmds = update(&mut app, press(KeyCode::Char(' ')));
    assert!(matches!(&cmds[..], [Command::StartRun { step_mode: true, .. }]));
    assert_eq!(app.screen, Screen::Run);
}

#[test]
fn esc_in_the_menu_quits_without_a_stop() {
    let mut app = lesson_app();
    assert_eq!(update(&mut app, press(KeyCode::Esc)), vec![Command::Quit]);
    assert!(app.quit);
}

// ---- run controls -------------------------------------------------------------

#[test]
fn space_in_step_mode_permits_every_time() {
    let mut app = in_lesson();
    for _ in 0..3 {
        assert_eq!(update(&mut app, press(KeyCode::Char(' '))), vec![Command::Permit]);
    }
    assert!(!run(&app).paused, "in step mode Space never pauses");
}

#[test]
fn p_toggles_between_stepping_and_playing() {
    let mut app = in_lesson();
    update(&mut app, ev(1000, EventKind::Gate { name: "start".into() }));
    assert!(run(&app).held);
    assert_eq!(update(&mut app, press(KeyCode::Char('p'))), vec![Command::SetStepMode(false)]);
    assert!(!run(&app).step_mode);
    assert!(!run(&app).held, "playing releases the held gate");
    assert_eq!(update(&mut app, press(KeyCode::Char('p'))), vec![Command::SetStepMode(true)]);
    assert!(run(&app).step_mode);
}

#[test]
fn p_lifts_a_pause_either_way() {
    // Playing, paused with Space, back to step mode with p: the pause is lifted.
    let mut app = in_bare_run();
    update(&mut app, press(KeyCode::Char(' ')));
    assert!(run(&app).paused);
    assert_eq!(
        update(&mut app, press(KeyCode::Char('p'))),
        vec![Command::SetStepMode(true), Command::SetPaused(false)]
    );
    assert!(!run(&app).paused && run(&app).step_mode);
    // p again: playing, nothing to lift.
    assert_eq!(update(&mut app, press(KeyCode::Char('p'))), vec![Command::SetStepMode(false)]);
    assert!(!run(&app).paused && !run(&app).step_mode);
}

#[test]
fn space_while_playing_pauses_and_resumes() {
    let mut app = in_bare_run();
    assert!(!run(&app).step_mode);
    assert_eq!(update(&mut app, press(KeyCode::Char(' '))), vec![Command::SetPaused(true)]);
    assert!(run(&app).paused);
    assert_eq!(update(&mut app, press(KeyCode::Right)), vec![Command::SetPaused(false)]);
    assert!(!run(&app).paused);
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
        !run(&app).paused || cmds.contains(&Command::SetPaused(false)),
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
    assert!(!run(&app).paused);
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
    update(&mut app, ev_at(900, 1000, EventKind::Gate { name: "first-fork".into() }));
    update(&mut app, press(KeyCode::Char('p')));
    update(&mut app, Msg::RunEnded);
    assert_eq!(run(&app).procs.len(), 1);

    let cmds = update(&mut app, press(KeyCode::Char('r')));
    assert_eq!(
        cmds,
        vec![
            Command::StartRun {
                scenario: fanout(),
                params: app.lessons[0].params.clone(),
                speed: 2.0,
                step_mode: true,
            }
        ]
    );
    let fresh = run(&app);
    assert!(fresh.procs.is_empty());
    assert!(fresh.log.is_empty());
    assert_eq!((fresh.gate.as_deref(), fresh.step, fresh.gate_pid), (None, None, None));
    assert!(fresh.step_mode, "a lesson restarts in step mode");
    assert!(!fresh.ended && !fresh.held && !fresh.paused);
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
    assert_eq!(update(&mut app, press(KeyCode::Esc)), vec![Command::StopRun]);
    assert_eq!(app.screen, Screen::Menu);
    assert!(app.run.is_none());
    assert!(!app.quit);
    // and the menu works again
    assert!(matches!(&update(&mut app, press(KeyCode::Enter))[..], [Command::StartRun { .. }]));
}

#[test]
fn esc_quits_a_direct_run() {
    let mut app = in_lesson();
    app.direct = true;
    assert_eq!(update(&mut app, press(KeyCode::Left)), vec![Command::StopRun, Command::Quit]);
    assert!(app.quit);
}

#[test]
fn q_quits_from_menu_run_and_help() {
    for setup in [lesson_app as fn() -> App, in_lesson, in_bare_run] {
        let mut app = setup();
        assert_eq!(update(&mut app, press(KeyCode::Char('q'))), vec![Command::StopRun, Command::Quit]);
        assert!(app.quit);
    }
    let mut app = in_lesson();
    update(&mut app, press(KeyCode::Char('?')));
    assert_eq!(update(&mut app, press(KeyCode::Char('q'))), vec![Command::StopRun, Command::Quit]);
    assert!(app.quit, "q works with the help open");
}

#[test]
fn run_selection_clamps_to_the_process_rows() {
    let mut app = in_lesson();
    update(&mut app, press(KeyCode::Down));
    assert_eq!(run(&app).selected, 0, "no rows: stays at 0");
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    for _ in 0..5 {
        update(&mut app, press(KeyCode::Char('j')));
    }
    assert_eq!(run(&app).selected, 1);
    for _ in 0..5 {
        update(&mut app, press(KeyCode::Char('k')));
    }
    assert_eq!(run(&app).selected, 0);
}

// ---- help and language --------------------------------------------------------

#[test]
fn help_opens_blocks_other_keys_and_closes() {
    let mut app = in_lesson();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    assert!(update(&mut app, press(KeyCode::Char('?'))).is_empty());
    assert!(app.help);
    let before = app.clone();
    for code in [
        KeyCode::Char(' '),
        KeyCode::Char('p'),
        KeyCode::Char('+'),
        KeyCode::Char('-'),
        KeyCode::Char('r'),
        KeyCode::Char('j'),
        KeyCode::Char('L'),
    ] {
        assert!(update(&mut app, press(code)).is_empty(), "{code:?} acted under the help");
    }
    assert_eq!(app, before, "nothing changed while the help was open");
    assert!(update(&mut app, press(KeyCode::Esc)).is_empty());
    assert!(!app.help);
    assert_eq!(app.screen, Screen::Run, "Esc closed the help, not the run");
    assert!(app.run.is_some());
}

#[test]
fn help_closes_with_question_mark_and_enter() {
    let mut app = lesson_app();
    update(&mut app, press(KeyCode::Char('?')));
    update(&mut app, press(KeyCode::Char('?')));
    assert!(!app.help);
    update(&mut app, press(KeyCode::F(1)));
    assert!(app.help);
    assert!(update(&mut app, press(KeyCode::Enter)).is_empty());
    assert!(!app.help);
    assert_eq!(app.screen, Screen::Menu, "Enter closed the help without opening a lesson");
}

#[test]
fn capital_l_toggles_the_language_anywhere() {
    let mut app = lesson_app();
    update(&mut app, press(KeyCode::Char('L')));
    assert_eq!(app.lang, Lang::Zh);
    update(&mut app, press(KeyCode::Enter));
    update(&mut app, press(KeyCode::Char('L')));
    assert_eq!(app.lang, Lang::En);
    assert_eq!(app.screen, Screen::Run);
}

// ---- events -------------------------------------------------------------------

#[test]
fn spawn_state_and_exit_fill_the_rows() {
    let mut app = in_lesson();
    update(&mut app, ev_at(100, 1000, spawn(999, "main")));
    update(&mut app, ev_at(200, 1001, spawn(1000, "child 0")));
    update(&mut app, ev_at(300, 1001, state("S", "sleeping in time.sleep")));
    update(
        &mut app,
        ev_at(
            310,
            1000,
            EventKind::State {
                state: "R".into(),
                reason: "on a CPU".into(),
                cpu: Some(97.0),
            },
        ),
    );
    let run1 = run(&app);
    assert_eq!(run1.procs.len(), 2);
    let child = run1.procs.get(1001).unwrap();
    assert_eq!((child.ppid, child.label.as_str()), (1000, "child 0"));
    assert_eq!(child.state, Some('S'));
    assert_eq!(child.reason, "sleeping in time.sleep");
    assert_eq!(child.cpu, 0.0);
    assert_eq!(run1.procs.get(1000).unwrap().cpu, 97.0);
    assert_eq!(run1.now_us, 310);

    update(&mut app, ev_at(400, 1001, EventKind::Exit { code: 3 }));
    update(&mut app, ev_at(410, 1001, state("Z", "exited, waiting for its parent")));
    let child = run(&app).procs.get(1001).unwrap();
    assert_eq!(child.exit_code, Some(3));
    assert_eq!(child.state, Some('Z'));
    assert!(!child.is_ghost());
    assert_eq!(run(&app).procs.alive(), 2);
}

#[test]
fn events_for_unknown_pids_are_logged_but_add_no_row() {
    let mut app = in_lesson();
    update(&mut app, ev(4242, state("S", "x")));
    update(&mut app, ev(4242, EventKind::Exit { code: 0 }));
    update(&mut app, ev(4242, reap(4243, 0)));
    assert!(run(&app).procs.is_empty());
    assert_eq!(run(&app).log.len(), 2, "exit and reap are logged, state is not");
}

#[test]
fn reap_turns_the_row_into_a_ghost() {
    let mut app = in_lesson();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    update(&mut app, ev(1002, spawn(1000, "child 1")));
    update(&mut app, ev(1001, state("Z", "exited")));
    update(&mut app, ev(1000, reap(1001, 0)));
    update(&mut app, ev(1000, reap(1002, 9)));

    let procs = &run(&app).procs;
    let c0 = procs.get(1001).unwrap();
    assert!(c0.is_ghost());
    assert_eq!(c0.reaped, Some((0, WaitOutcome::Exited(0))));
    assert_eq!((c0.state, c0.reason.as_str()), (None, ""), "a ghost has no state");
    let c1 = procs.get(1002).unwrap();
    assert_eq!(c1.reaped, Some((9, WaitOutcome::Signaled(9))));
    assert_eq!(procs.get(1000).unwrap().reaped, None);
    assert_eq!(procs.alive(), 1);
    assert_eq!(procs.len(), 3, "ghost rows stay");

    update(&mut app, ev(1000, reap(1003, 1 << 8)));
    assert_eq!(run(&app).procs.len(), 3, "reaping an unknown child adds nothing");
}

#[test]
fn reparent_moves_the_row() {
    let mut app = in_lesson();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    update(&mut app, ev(1001, EventKind::Reparent { old_ppid: 1000, ppid: 1 }));
    assert_eq!(run(&app).procs.get(1001).unwrap().ppid, 1);
}

#[test]
fn gate_sets_the_lessons_step_and_holds_only_in_step_mode() {
    let mut app = in_lesson();
    let steps: Vec<String> = app.lessons[0].steps.iter().map(|s| s.gate.clone()).collect();
    assert_eq!(steps, ["start", "first-fork", "forked-all", "reaped-all"]);
    for (i, gate) in steps.iter().enumerate() {
        update(&mut app, ev(1000, EventKind::Gate { name: gate.clone() }));
        let r = run(&app);
        assert_eq!(r.step, Some(i), "{gate}");
        assert_eq!(r.gate.as_deref(), Some(gate.as_str()));
        assert_eq!(r.gate_pid, Some(1000));
        assert!(r.held);
        update(&mut app, press(KeyCode::Char(' ')));
        assert!(!run(&app).held);
    }
    // A gate the lesson has no step for keeps the last step.
    update(&mut app, ev(1000, EventKind::Gate { name: "elsewhere".into() }));
    assert_eq!(run(&app).step, Some(3));
    assert_eq!(run(&app).gate.as_deref(), Some("elsewhere"));

    // Playing: gates still move the step on, but nothing is held.
    let mut app = in_lesson();
    update(&mut app, press(KeyCode::Char('p')));
    update(&mut app, ev(1000, EventKind::Gate { name: "forked-all".into() }));
    assert_eq!(run(&app).step, Some(2));
    assert!(!run(&app).held);
}

#[test]
fn gate_in_a_bare_run_has_no_step() {
    let mut app = in_bare_run();
    update(&mut app, ev(1000, EventKind::Gate { name: "start".into() }));
    let r = run(&app);
    assert_eq!(r.step, None);
    assert_eq!(r.gate.as_deref(), Some("start"));
    assert!(!r.held);
    assert_eq!(r.log.back().unwrap().class, LogClass::Gate);
}

#[test]
fn summary_is_kept() {
    let mut app = in_lesson();
    let summary = EventKind::Summary {
        processes: 11,
        leaked: 0,
        duration_us: 5_250_000,
        results: Default::default(),
    };
    update(&mut app, ev_at(5_250_000, 1000, summary));
    assert_eq!(
        run(&app).summary,
        Some(Summary {
            processes: 11,
            leaked: 0,
            duration_us: 5_250_000
        })
    );
    assert!(!run(&app).ended, "the summary alone does not end the run");
}

#[test]
fn run_ended_stops_once() {
    let mut app = in_lesson();
    update(&mut app, ev(1000, EventKind::Gate { name: "start".into() }));
    assert_eq!(update(&mut app, Msg::RunEnded), vec![Command::StopRun]);
    assert!(run(&app).ended);
    assert!(!run(&app).held, "nothing is held after the end");
    assert!(update(&mut app, Msg::RunEnded).is_empty());
    assert!(run(&app).ended);

    let mut menu = lesson_app();
    assert!(update(&mut menu, Msg::RunEnded).is_empty(), "no run: nothing to stop");
}

#[test]
fn events_and_warnings_without_a_run_are_dropped() {
    let mut app = lesson_app();
    let before = app.clone();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, Msg::Warning("stray".into()));
    assert_eq!(app, before);
}

#[test]
fn the_log_keeps_the_newest_entries() {
    let mut app = in_lesson();
    let total = LOG_KEEP + 25;
    for i in 0..total {
        update(
            &mut app,
            ev_at(i as u64, 1000, EventKind::Print { text: format!("line {i}") }),
        );
    }
    let log = &run(&app).log;
    assert_eq!(log.len(), LOG_KEEP);
    assert_eq!(log.front().unwrap().text, "print: line 25");
    assert_eq!(log.back().unwrap().text, format!("print: line {}", total - 1));
    assert!(log.iter().all(|e| e.class == LogClass::Print && e.pid == 1000));
}

#[test]
fn state_events_are_not_logged_but_others_are_classed() {
    let mut app = in_lesson();
    update(&mut app, ev_at(10, 1000, spawn(999, "main")));
    for t in 0..50 {
        update(&mut app, ev_at(20 + t, 1000, state("S", "sleeping")));
    }
    update(&mut app, ev_at(80, 1000, EventKind::Print { text: "hi".into() }));
    update(
        &mut app,
        ev_at(
            90,
            1000,
            EventKind::ForkFailed {
                label: "child 9".into(),
                error: "cap reached".into(),
            },
        ),
    );
    update(&mut app, Msg::Warning("malformed line".into()));
    let log: Vec<(u64, i32, &str, LogClass)> = run(&app)
        .log
        .iter()
        .map(|e| (e.t_us, e.pid, e.text.as_str(), e.class))
        .collect();
    assert_eq!(
        log,
        vec![
            (10, 1000, "spawned as 'main' by 999", LogClass::Lifecycle),
            (80, 1000, "print: hi", LogClass::Print),
            (90, 1000, "fork of 'child 9' refused: cap reached", LogClass::Warning),
            (90, 0, "malformed line", LogClass::Warning),
        ]
    );
}

#[test]
fn the_clock_never_goes_back() {
    let mut app = in_lesson();
    update(&mut app, ev_at(2_000, 1000, EventKind::Print { text: "late".into() }));
    update(&mut app, ev_at(1_000, 1001, EventKind::Print { text: "early".into() }));
    assert_eq!(run(&app).now_us, 2_000);
}
