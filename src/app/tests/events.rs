//! Help, language, and how events change the state.

#![allow(
    clippy::float_cmp,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]
use super::*;

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
        assert!(
            update(&mut app, press(code)).is_empty(),
            "{code:?} acted under the help"
        );
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
    assert_eq!(
        app.screen,
        Screen::Menu,
        "Enter closed the help without opening a lesson"
    );
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
    update(
        &mut app,
        ev_at(300, 1001, state("S", "sleeping in time.sleep")),
    );
    update(
        &mut app,
        ev_at(
            310,
            1000,
            EventKind::State {
                state: "R".into(),
                reason: "on a CPU".into(),
                cpu: Some(97.0),
                ignored: Vec::new(),
                caught: Vec::new(),
                core: None,
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
    update(
        &mut app,
        ev_at(410, 1001, state("Z", "exited, waiting for its parent")),
    );
    let child = run(&app).procs.get(1001).unwrap();
    assert_eq!(child.exit_code, Some(3));
    assert_eq!(child.state, Some('Z'));
    assert!(!child.is_ghost());
    // A zombie is dead, not alive: counted apart until it is reaped.
    assert_eq!(run(&app).procs.alive(), 1);
    assert_eq!(run(&app).procs.zombies(), 1);
}

#[test]
fn state_carries_the_signal_dispositions() {
    let mut app = in_lesson();
    update(&mut app, ev_at(100, 1000, spawn(999, "main")));
    let with = |ignored: &[&str], caught: &[&str]| EventKind::State {
        state: "S".into(),
        reason: "x".into(),
        cpu: None,
        ignored: ignored.iter().map(|s| s.to_string()).collect(),
        caught: caught.iter().map(|s| s.to_string()).collect(),
        core: None,
    };
    update(&mut app, ev_at(200, 1000, with(&["SIGPIPE"], &[])));
    let p = run(&app).procs.get(1000).unwrap();
    assert_eq!(
        (p.ignored.clone(), p.caught.clone()),
        (vec!["SIGPIPE".to_string()], vec![])
    );
    // A handler installed later: the next state event says so.
    update(&mut app, ev_at(300, 1000, with(&["SIGPIPE"], &["SIGTERM"])));
    assert_eq!(run(&app).procs.get(1000).unwrap().caught, ["SIGTERM"]);
}

#[test]
fn events_for_unknown_pids_are_logged_but_add_no_row() {
    let mut app = in_lesson();
    update(&mut app, ev(4242, state("S", "x")));
    update(&mut app, ev(4242, EventKind::Exit { code: 0 }));
    update(&mut app, ev(4242, reap(4243, 0)));
    assert!(run(&app).procs.is_empty());
    assert_eq!(
        run(&app).log.len(),
        2,
        "exit and reap are logged, state is not"
    );
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
    assert_eq!(
        (c0.state, c0.reason.as_str()),
        (None, ""),
        "a ghost has no state"
    );
    let c1 = procs.get(1002).unwrap();
    assert_eq!(c1.reaped, Some((9, WaitOutcome::Signaled(9))));
    assert_eq!(procs.get(1000).unwrap().reaped, None);
    assert_eq!(procs.alive(), 1);
    assert_eq!(procs.len(), 3, "ghost rows stay");

    update(&mut app, ev(1000, reap(1003, 1 << 8)));
    assert_eq!(
        run(&app).procs.len(),
        3,
        "reaping an unknown child adds nothing"
    );
}

#[test]
fn reparent_moves_the_row() {
    let mut app = in_lesson();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    update(
        &mut app,
        ev(
            1001,
            EventKind::Reparent {
                old_ppid: 1000,
                ppid: 1,
            },
        ),
    );
    assert_eq!(run(&app).procs.get(1001).unwrap().ppid, 1);
}

#[test]
fn gate_sets_the_lessons_step_and_holds_only_in_step_mode() {
    let mut app = in_lesson();
    let steps: Vec<String> = app.lessons[0]
        .steps
        .iter()
        .map(|s| s.gate.clone())
        .collect();
    assert_eq!(steps, ["start", "first-fork", "forked-all", "reaped-all"]);
    for (i, gate) in steps.iter().enumerate() {
        update(
            &mut app,
            ev(
                1000,
                EventKind::Gate {
                    name: gate.clone(),
                    slot: None,
                },
            ),
        );
        let r = run(&app);
        assert_eq!(r.step, Some(i), "{gate}");
        assert_eq!(r.gate.as_deref(), Some(gate.as_str()));
        assert_eq!(r.gate_pid, Some(1000));
        assert!(r.held());
        update(&mut app, press(KeyCode::Char(' ')));
        assert!(!run(&app).held());
    }
    // A gate the lesson has no step for keeps the last step.
    update(
        &mut app,
        ev(
            1000,
            EventKind::Gate {
                name: "elsewhere".into(),
                slot: None,
            },
        ),
    );
    assert_eq!(run(&app).step, Some(3));
    assert_eq!(run(&app).gate.as_deref(), Some("elsewhere"));

    // Playing: gates still move the step on, but nothing is held.
    let mut app = in_lesson();
    update(&mut app, press(KeyCode::Char('p')));
    update(
        &mut app,
        ev(
            1000,
            EventKind::Gate {
                name: "forked-all".into(),
                slot: None,
            },
        ),
    );
    assert_eq!(run(&app).step, Some(2));
    assert!(!run(&app).held());
}

#[test]
fn gate_in_a_bare_run_has_no_step() {
    let mut app = in_bare_run();
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
    let r = run(&app);
    assert_eq!(r.step, None);
    assert_eq!(r.gate.as_deref(), Some("start"));
    assert!(!r.held());
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
    assert!(!run(&app).ended(), "the summary alone does not end the run");
}

#[test]
fn run_ended_stops_once() {
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
    assert_eq!(update(&mut app, Msg::RunEnded), vec![Command::StopRun]);
    assert!(run(&app).ended());
    assert!(!run(&app).held(), "nothing is held after the end");
    assert!(update(&mut app, Msg::RunEnded).is_empty());
    assert!(run(&app).ended());

    let mut menu = lesson_app();
    assert!(
        update(&mut menu, Msg::RunEnded).is_empty(),
        "no run: nothing to stop"
    );
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
            ev_at(
                i as u64,
                1000,
                EventKind::Print {
                    text: format!("line {i}"),
                },
            ),
        );
    }
    let log = &run(&app).log;
    assert_eq!(log.len(), LOG_KEEP);
    assert_eq!(log.front().unwrap().text.to_string(), "line 25");
    assert_eq!(
        log.back().unwrap().text.to_string(),
        format!("line {}", total - 1)
    );
    assert!(
        log.iter()
            .all(|e| e.class == LogClass::Print && e.pid == 1000)
    );
}

#[test]
fn state_events_are_not_logged_but_others_are_classed() {
    let mut app = in_lesson();
    update(&mut app, ev_at(10, 1000, spawn(999, "main")));
    for t in 0..50 {
        update(&mut app, ev_at(20 + t, 1000, state("S", "sleeping")));
    }
    update(
        &mut app,
        ev_at(80, 1000, EventKind::Print { text: "hi".into() }),
    );
    update(
        &mut app,
        ev_at(
            90,
            1000,
            EventKind::ForkFailed {
                label: "child 9".into(),
                error: "cap reached".into(),
                cap: None,
                held: None,
                errno: None,
            },
        ),
    );
    update(&mut app, Msg::Warning("malformed line".into()));
    let log: Vec<(u64, i32, String, LogClass)> = run(&app)
        .log
        .iter()
        .map(|e| (e.t_us, e.pid, e.text.to_string(), e.class))
        .collect();
    let log: Vec<(u64, i32, &str, LogClass)> = log
        .iter()
        .map(|(t, p, s, c)| (*t, *p, s.as_str(), *c))
        .collect();
    assert_eq!(
        log,
        vec![
            (10, 1000, "spawned as 'main' by 999", LogClass::Lifecycle),
            (80, 1000, "hi", LogClass::Print),
            (
                90,
                1000,
                "fork of 'child 9' refused: cap reached",
                LogClass::Warning
            ),
            (90, 0, "malformed line", LogClass::Warning),
        ]
    );
}

#[test]
fn the_clock_never_goes_back() {
    let mut app = in_lesson();
    update(
        &mut app,
        ev_at(
            2_000,
            1000,
            EventKind::Print {
                text: "late".into(),
            },
        ),
    );
    update(
        &mut app,
        ev_at(
            1_000,
            1001,
            EventKind::Print {
                text: "early".into(),
            },
        ),
    );
    assert_eq!(run(&app).now_us, 2_000);
}

#[test]
fn each_process_keeps_its_own_copy_of_a_value() {
    let mut app = in_bare_run();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child +5")));
    let value = |name: &str, v: serde_json::Value| EventKind::Value {
        name: name.into(),
        value: v,
    };
    update(&mut app, ev(1000, value("num", 10.into())));
    update(&mut app, ev(1001, value("num", 15.into())));
    update(&mut app, ev(1001, value("&num", "0x7ffd10".into())));
    update(&mut app, ev(1000, value("num", 10.into())));
    let procs = &run(&app).procs;
    assert_eq!(procs.get(1000).unwrap().values_text(), "num = 10");
    assert_eq!(
        procs.get(1001).unwrap().values_text(),
        "num = 15 · &num = 0x7ffd10"
    );
}

#[test]
fn the_selection_follows_reaps_until_moved_by_hand() {
    let mut app = in_bare_run();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "child 0")));
    update(&mut app, ev(1002, spawn(1000, "child 1")));
    update(&mut app, ev(1000, reap(1002, 9)));
    assert_eq!(run(&app).selected_row().unwrap().pid, 1002);
    // The front end's reap of main (pid 999 is not in the run) does not move it.
    update(&mut app, ev(999, reap(1000, 0)));
    assert_eq!(run(&app).selected_row().unwrap().pid, 1002);
    update(&mut app, press(KeyCode::Up));
    update(&mut app, press(KeyCode::Up));
    assert_eq!(run(&app).selected_row().unwrap().pid, 1000);
    update(&mut app, ev(1000, reap(1001, 0)));
    assert_eq!(
        run(&app).selected_row().unwrap().pid,
        1000,
        "moved by hand: stays"
    );
}

// ---- a process standing still with the run ------------------------------------

fn holding(app: &App, pid: i32) -> Option<String> {
    run(app)
        .procs
        .get(pid)
        .and_then(|p| p.standing_with_run().map(str::to_string))
}

fn hold(on: bool) -> EventKind {
    EventKind::Hold {
        on,
        during: on.then(|| "sleep".to_string()),
    }
}

/// Stopped by SIGSTOP while it stood with the run: the stop is its reason, not the
/// older hold; continued while the run still stands, it is back in proclab's wait.
#[test]
fn a_stop_by_signal_hides_an_older_hold() {
    let mut app = in_lesson();
    update(&mut app, ev_at(1, 1000, spawn(999, "main")));
    update(&mut app, ev_at(2, 1001, spawn(1000, "child 0")));
    update(&mut app, ev_at(3, 1001, hold(true)));
    update(
        &mut app,
        ev_at(4, 1001, state("S", "waiting on a lock (futex)")),
    );
    assert_eq!(holding(&app, 1001).as_deref(), Some("sleep"));
    update(&mut app, ev_at(5, 1001, state("T", "stopped by a signal")));
    assert_eq!(holding(&app, 1001), None, "stopped: its own reason");
    update(
        &mut app,
        ev_at(6, 1001, state("S", "waiting on a lock (futex)")),
    );
    assert_eq!(
        holding(&app, 1001).as_deref(),
        Some("sleep"),
        "continued, no hold off seen: it still stands with the run"
    );
    update(&mut app, ev_at(7, 1001, hold(false)));
    assert_eq!(holding(&app, 1001), None);
}

/// Its own next event ends a hold whose `hold` off never came; a zombie or a reaped
/// process stands with nothing.
#[test]
fn its_own_event_a_zombie_or_a_reap_ends_a_hold() {
    let mut app = in_lesson();
    update(&mut app, ev_at(1, 1000, spawn(999, "main")));
    update(&mut app, ev_at(2, 1001, spawn(1000, "child 0")));
    update(&mut app, ev_at(3, 1002, spawn(1000, "child 1")));
    for pid in [1001, 1002] {
        update(&mut app, ev_at(4, pid, hold(true)));
        update(
            &mut app,
            ev_at(5, pid, state("S", "waiting on a lock (futex)")),
        );
        assert!(holding(&app, pid).is_some());
    }
    let acquire = EventKind::LockAcquire {
        lock: "lock".into(),
        waited_us: 0,
    };
    update(&mut app, ev_at(6, 1001, acquire));
    assert_eq!(holding(&app, 1001), None, "it moved: the hold is over");
    assert!(
        holding(&app, 1002).is_some(),
        "another's event ends no hold"
    );
    // Killed while it stood: a zombie, then reaped.
    update(
        &mut app,
        ev_at(7, 1002, state("Z", "exited, not yet reaped")),
    );
    assert_eq!(holding(&app, 1002), None, "a zombie stands with nothing");
    update(&mut app, ev_at(8, 1000, reap(1002, 9)));
    assert_eq!(holding(&app, 1002), None);
    assert_eq!(
        run(&app).procs.get(1002).and_then(|p| p.holding.clone()),
        None,
        "the reap forgets the hold"
    );
}

// ---- the tree and the lock pane at a handover ---------------------------------

fn news(app: &App, pid: i32) -> Option<crate::app::procs::LockStep> {
    let r = run(app);
    r.procs
        .get(pid)
        .and_then(|p| p.fresh_lock_news(r.now_us).map(|n| n.step))
}

fn acquire() -> EventKind {
    EventKind::LockAcquire {
        lock: "lock".into(),
        waited_us: 300_000,
    }
}

fn release() -> EventKind {
    EventKind::LockRelease {
        lock: "lock".into(),
        waited_us: 0,
        held_us: 200_000,
    }
}

/// The sample read before the acquire, then the acquire: the event is newer, the
/// tree says it (as the lock pane does) until a state read after it comes.
#[test]
fn a_lock_event_after_the_sample_outranks_it() {
    use crate::app::procs::LockStep;
    let mut app = in_lesson();
    update(&mut app, ev_at(1, 1000, spawn(999, "main")));
    update(&mut app, ev_at(2, 1001, spawn(1000, "worker 0")));
    update(&mut app, ev_at(3, 1002, spawn(1000, "worker 1")));
    update(
        &mut app,
        ev_at(100, 1001, state("S", "sleeping (time.sleep)")),
    );
    update(
        &mut app,
        ev_at(100, 1002, state("S", "waiting on a lock (futex)")),
    );
    assert_eq!(news(&app, 1002), None);
    update(&mut app, ev_at(150, 1001, release()));
    update(&mut app, ev_at(160, 1002, acquire()));
    assert_eq!(news(&app, 1001), Some(LockStep::Gave));
    assert_eq!(news(&app, 1002), Some(LockStep::Took));
    assert_eq!(run(&app).locks.locks[0].holders, vec![1002]);
    // A state read after the event: the observer knows better now.
    update(
        &mut app,
        ev_at(300, 1002, state("S", "sleeping (time.sleep)")),
    );
    assert_eq!(news(&app, 1002), None);
    assert_eq!(news(&app, 1001), Some(LockStep::Gave), "not read since");
}

/// The acquire arrives first, then a sample stamped before it (read before the
/// event happened, delivered after): the older sample must not override the event.
#[test]
fn a_sample_taken_before_the_event_does_not_override_it() {
    use crate::app::procs::LockStep;
    let mut app = in_lesson();
    update(&mut app, ev_at(1, 1000, spawn(999, "main")));
    update(&mut app, ev_at(2, 1002, spawn(1000, "worker 1")));
    update(&mut app, ev_at(160, 1002, acquire()));
    update(
        &mut app,
        ev_at(120, 1002, state("S", "waiting on a lock (futex)")),
    );
    assert_eq!(news(&app, 1002), Some(LockStep::Took));
    // Stamped at the same microsecond: read before it was stamped, so before the event.
    update(
        &mut app,
        ev_at(160, 1002, state("S", "waiting on a lock (futex)")),
    );
    assert_eq!(news(&app, 1002), Some(LockStep::Took));
    // Long after, with no state change read: the state read before still holds.
    let later = 160 + crate::app::procs::NEWS_KEEP_US;
    update(
        &mut app,
        ev_at(later, 1000, EventKind::Cpu { cores: vec![] }),
    );
    assert_eq!(news(&app, 1002), None);
}
