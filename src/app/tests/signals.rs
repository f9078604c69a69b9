//! The signal menu (`s`) and the log lines that tell what a signal did.
use super::*;
use nix::sys::signal::Signal;

/// A bare run: main 1000 with children 1001 and 1002, all sleeping.
fn family() -> App {
    let mut app = in_bare_run();
    update(&mut app, ev(1000, spawn(999, "main")));
    for (pid, label) in [(1001, "child 0"), (1002, "child 1")] {
        update(&mut app, ev(pid, spawn(1000, label)));
        update(&mut app, ev(pid, state("S", "sleeping (time.sleep)")));
    }
    app
}

fn send_signal(target: i32, signal: &str) -> EventKind {
    EventKind::SendSignal {
        target,
        signal: signal.into(),
    }
}

fn log_texts(app: &App) -> Vec<String> {
    run(app).log.iter().map(|e| e.text.to_string()).collect()
}

#[test]
fn s_opens_the_menu_for_the_selected_process_and_k_moves_up() {
    let mut app = family();
    update(&mut app, press(KeyCode::Char('j')));
    update(&mut app, press(KeyCode::Char('j')));
    assert_eq!(run(&app).selected_row().map(|p| p.pid), Some(1002));
    // k is "up" in a run as in the menus (vi): it selects, it opens nothing.
    assert!(update(&mut app, press(KeyCode::Char('k'))).is_empty());
    assert!(run(&app).signal_menu.is_none(), "k opened the signal menu");
    assert_eq!(run(&app).selected_row().map(|p| p.pid), Some(1001));
    assert!(update(&mut app, press(KeyCode::Char('s'))).is_empty());
    let menu = run(&app).signal_menu.as_ref().expect("the menu is open");
    assert_eq!((menu.pid, menu.label.as_str()), (1001, "child 0"));
    assert_eq!(menu.signal(), Signal::SIGTERM, "SIGTERM is preselected");
}

#[test]
fn enter_sends_the_chosen_signal_to_the_selected_pid() {
    let mut app = family();
    update(&mut app, press(KeyCode::Char('j')));
    update(&mut app, press(KeyCode::Char('s')));
    assert_eq!(
        update(&mut app, press(KeyCode::Enter)),
        vec![Command::Signal {
            pid: 1001,
            signal: Signal::SIGTERM
        }]
    );
    assert!(run(&app).signal_menu.is_none(), "sending closes the menu");

    // SIGSTOP is four down; in the menu j and k move, as do the arrows.
    update(&mut app, press(KeyCode::Char('s')));
    for _ in 0..5 {
        update(&mut app, press(KeyCode::Char('j')));
    }
    update(&mut app, press(KeyCode::Char('k')));
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Up));
    assert_eq!(
        update(&mut app, press(KeyCode::Enter)),
        vec![Command::Signal {
            pid: 1001,
            signal: Signal::SIGSTOP
        }]
    );
}

#[test]
fn the_menu_targets_the_drawn_line_not_the_spawn_order() {
    let mut app = family();
    // A grandchild of child 0, spawned last, is drawn on line 2 (before child 1).
    update(&mut app, ev(1003, spawn(1001, "child 0.1")));
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Char('s')));
    assert_eq!(run(&app).signal_menu.as_ref().unwrap().pid, 1003);
}

#[test]
fn a_reaped_process_is_refused_with_a_reason() {
    let mut app = family();
    update(&mut app, ev(1000, reap(1001, 0)));
    // The selection follows the reap, so the decoded status is on screen.
    assert_eq!(run(&app).selected_row().map(|p| p.pid), Some(1001));
    assert!(update(&mut app, press(KeyCode::Char('s'))).is_empty());
    assert!(run(&app).signal_menu.is_none());
    let last = run(&app).log.back().unwrap();
    assert_eq!(last.class, LogClass::Warning);
    assert_eq!(last.pid, 1001);
    assert!(
        last.text.to_string().contains("already reaped"),
        "{}",
        last.text
    );
    // Said in the key line too: a small screen has no log.
    let notice = app
        .notice
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(notice.to_string().contains("already reaped"), "{notice}");
}

#[test]
fn nothing_to_signal_before_the_first_spawn_or_after_the_end() {
    let mut app = in_bare_run();
    update(&mut app, press(KeyCode::Char('s')));
    assert!(run(&app).signal_menu.is_none());
    assert!(
        run(&app)
            .log
            .back()
            .unwrap()
            .text
            .to_string()
            .contains("no process")
    );

    let mut app = family();
    update(&mut app, Msg::RunEnded);
    update(&mut app, press(KeyCode::Char('s')));
    assert!(run(&app).signal_menu.is_none());
    assert!(
        run(&app)
            .log
            .back()
            .unwrap()
            .text
            .to_string()
            .contains("run has ended")
    );
}

#[test]
fn a_target_reaped_while_the_menu_is_open_gets_nothing() {
    let mut app = family();
    update(&mut app, press(KeyCode::Char('j')));
    update(&mut app, press(KeyCode::Char('s')));
    update(&mut app, ev(1000, reap(1001, 0)));
    assert!(run(&app).signal_menu.is_none(), "its reap closes the menu");
    assert!(update(&mut app, press(KeyCode::Enter)).is_empty());
}

#[test]
fn q_and_esc_close_the_menu_without_quitting() {
    let mut app = family();
    for close in [KeyCode::Char('q'), KeyCode::Esc] {
        update(&mut app, press(KeyCode::Char('s')));
        assert!(update(&mut app, press(close)).is_empty());
        assert!(run(&app).signal_menu.is_none(), "{close:?} closes the menu");
        assert!(!app.quit);
        assert_eq!(app.screen, Screen::Run);
    }
    // Other run keys do not reach the run while the menu is open.
    update(&mut app, press(KeyCode::Char('s')));
    assert!(update(&mut app, press(KeyCode::Char(' '))).is_empty());
    assert!(update(&mut app, press(KeyCode::Char('r'))).is_empty());
    assert!(!run(&app).paused());
    // Ctrl-C still quits at once.
    let ctrl_c = keymap::action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(
        update(&mut app, Msg::Action(ctrl_c.unwrap())),
        vec![Command::StopRun, Command::Quit]
    );
}

#[test]
fn sigstop_then_sigcont_are_told_in_the_log() {
    let mut app = family();
    update(&mut app, ev(4242, send_signal(1001, "SIGSTOP")));
    update(&mut app, ev(1001, state("T", "stopped by a signal")));
    update(&mut app, ev(4242, send_signal(1001, "SIGCONT")));
    update(&mut app, ev(1001, state("S", "sleeping (time.sleep)")));
    let log = log_texts(&app);
    let tail: Vec<&str> = log.iter().rev().take(4).rev().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "sends SIGSTOP to 1001 (child 0)",
            "SIGSTOP → 1001 stopped (state T)",
            "sends SIGCONT to 1001 (child 0)",
            "SIGCONT → 1001 resumed (state S sleeping)",
        ]
    );
    assert!(run(&app).signalled.is_empty());
}

#[test]
fn a_killed_process_is_told_at_its_reap() {
    let mut app = family();
    update(&mut app, ev(4242, send_signal(1002, "SIGTERM")));
    update(&mut app, ev(1002, state("Z", "")));
    update(&mut app, ev(1000, reap(1002, 15)));
    let log = log_texts(&app);
    let tail: Vec<&str> = log.iter().rev().take(4).rev().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "sends SIGTERM to 1002 (child 1)",
            "SIGTERM → 1002 ended: a zombie (state Z) until its parent calls waitpid",
            "waitpid → child 1002 status 15",
            "SIGTERM → 1002 killed by SIGTERM; 1000 (main) reaped it: status 15",
        ]
    );
}

fn masks(ignored: &[&str], caught: &[&str]) -> EventKind {
    EventKind::State {
        state: "S".into(),
        reason: "x".into(),
        cpu: None,
        ignored: ignored.iter().map(|s| s.to_string()).collect(),
        caught: caught.iter().map(|s| s.to_string()).collect(),
        core: None,
    }
}

#[test]
fn what_the_masks_say_is_a_prediction() {
    let mut app = family();
    update(
        &mut app,
        ev(1001, masks(&["SIGPIPE", "SIGUSR1"], &["SIGTERM"])),
    );
    update(&mut app, ev(4242, send_signal(1001, "SIGUSR1")));
    assert_eq!(
        log_texts(&app).last().unwrap(),
        "expect nothing: 1001 ignored SIGUSR1 when last read (SigIgn in /proc/1001/status)"
    );
    update(&mut app, ev(4242, send_signal(1001, "SIGCONT")));
    assert!(
        log_texts(&app)
            .last()
            .unwrap()
            .contains("was not stopped when last read")
    );
    update(&mut app, ev(4242, send_signal(1001, "SIGTERM")));
    assert!(
        log_texts(&app)
            .last()
            .unwrap()
            .contains("caught SIGTERM when last read")
    );
    // It handled SIGTERM and exited: the reap says so.
    update(&mut app, ev(1000, reap(1001, 0)));
    assert_eq!(
        log_texts(&app).last().unwrap(),
        "SIGTERM → 1001 exited with code 0; 1000 (main) reaped it: status 0"
    );
    assert!(run(&app).signalled.is_empty());
}

/// The masks were read up to a sampling period before the signal: the child set its
/// disposition back to the default meanwhile, and SIGUSR1 killed it. The log predicted
/// nothing and then tells what happened, without claiming it was foreseen.
#[test]
fn a_stale_mask_is_followed_by_what_happened() {
    let mut app = family();
    update(&mut app, ev(1001, masks(&["SIGUSR1"], &[])));
    update(&mut app, ev(4242, send_signal(1001, "SIGUSR1")));
    assert!(
        run(&app).signalled.contains_key(&1001),
        "the outcome is awaited"
    );
    update(&mut app, ev(1001, state("Z", "")));
    update(&mut app, ev(1000, reap(1001, 10)));
    let log = log_texts(&app);
    let tail: Vec<&str> = log.iter().rev().take(5).rev().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "sends SIGUSR1 to 1001 (child 0)",
            "expect nothing: 1001 ignored SIGUSR1 when last read (SigIgn in /proc/1001/status)",
            "after SIGUSR1 (predicted to change nothing), 1001 ended: a zombie (state Z) until its parent calls waitpid",
            "waitpid → child 1001 status 10",
            "after SIGUSR1 (predicted to change nothing), 1001 killed by SIGUSR1; 1000 (main) reaped it: status 10",
        ]
    );
}

/// In a trace the tracer sees the delivery of an ignored signal: that line is the
/// outcome, and nothing stays pending.
#[test]
fn an_ignored_delivery_seen_ends_the_wait() {
    let mut app = family();
    update(&mut app, ev(1001, masks(&["SIGUSR1"], &[])));
    update(&mut app, ev(4242, send_signal(1001, "SIGUSR1")));
    let handled = EventKind::HandleSignal {
        signal: "SIGUSR1".into(),
        action: "ignored".into(),
        sender: Some(4242),
        cause: None,
    };
    update(&mut app, ev(1001, handled));
    assert!(run(&app).signalled.is_empty());
    assert_eq!(
        log_texts(&app).last().unwrap(),
        "SIGUSR1 from 4242: ignored"
    );
}

#[test]
fn stops_resumes_and_zombies_are_logged_other_states_not() {
    let mut app = family();
    let before = run(&app).log.len();
    update(&mut app, ev(1001, state("R", "on a CPU")));
    update(&mut app, ev(1001, state("S", "x")));
    assert_eq!(run(&app).log.len(), before, "S ↔ R stays out of the log");
    update(&mut app, ev(1001, state("T", "stopped by a signal")));
    update(&mut app, ev(1001, state("S", "x")));
    update(
        &mut app,
        ev(1001, state("Z", "exited; parent hasn't called waitpid")),
    );
    let log = log_texts(&app);
    let tail: Vec<&str> = log.iter().rev().take(3).rev().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "state S → T (stopped): stopped by a signal",
            "state T → S (sleeping): resumed",
            "state S → Z (zombie): exited; parent hasn't called waitpid",
        ]
    );
}

#[test]
fn a_signal_to_a_zombie_keeps_the_earlier_outcome_pending() {
    // The learner's SIGTERM is handled, the child exits; then the scenario's own
    // SIGTERM reaches only a zombie. The reap still tells the first one's outcome.
    let mut app = family();
    update(&mut app, ev(4242, send_signal(1001, "SIGTERM")));
    update(&mut app, ev(1001, state("Z", "")));
    update(&mut app, ev(1000, send_signal(1001, "SIGTERM")));
    assert!(log_texts(&app).last().unwrap().contains("is a zombie"));
    update(&mut app, ev(1000, reap(1001, 0)));
    assert_eq!(
        log_texts(&app).last().unwrap(),
        "SIGTERM → 1001 exited with code 0; 1000 (main) reaped it: status 0"
    );
}

/// A signal the learner sent through the menu comes from proclab itself, a PID in no
/// tree: the log says "you", naming the target; another process's send keeps its PID.
#[test]
fn the_learner_s_signal_is_said_to_be_yours() {
    let mut app = lesson_app();
    app.me = Some(4242);
    let params = crate::scenario::params::Params::defaults(fanout().params);
    app.open_run(fanout(), params, 1.0);
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    update(&mut app, ev(4242, send_signal(1001, "SIGTERM")));
    update(&mut app, ev(1000, send_signal(1001, "SIGKILL")));
    let log = log_texts(&app);
    assert!(
        log.iter()
            .any(|l| l == "you (through proclab) send SIGTERM to 1001 (child 0)"),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l == "sends SIGKILL to 1001 (child 0)"),
        "{log:?}"
    );
    // A replay's signals were another proclab's: no "you".
    let mut replay = lesson_app();
    replay.me = Some(4242);
    let mut view = crate::app::RunView::new(
        None,
        fanout(),
        crate::scenario::params::Params::defaults(fanout().params),
        false,
        1.0,
    );
    view.replay = true;
    replay.start(view);
    update(&mut replay, ev(4242, send_signal(1001, "SIGTERM")));
    assert!(!log_texts(&replay).iter().any(|l| l.starts_with("you")));
}
