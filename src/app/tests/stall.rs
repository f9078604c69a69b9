//! A run that stands still by itself is said to, with what each process waits for;
//! a hold, a pause, a timer or a single event of progress is not a stall.
use super::*;

/// A bare lock run: main waits for its children, worker 0 took the lock and was then
/// reaped (died holding it), worker 1 waits on the lock.
fn lock_run_with_a_dead_holder() -> App {
    let mut app = lesson_app();
    let lock = crate::scenario::find("lock").unwrap();
    app.open_run(
        lock,
        crate::scenario::params::Params::defaults(lock.params),
        1.0,
    );
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, ev(1001, spawn(1000, "worker 0")));
    update(&mut app, ev(1002, spawn(1000, "worker 1")));
    update(
        &mut app,
        ev(
            1001,
            EventKind::LockAcquire {
                lock: "lock".into(),
                waited_us: 0,
            },
        ),
    );
    // Killed while holding it: a zombie, which waits for nothing.
    update(
        &mut app,
        ev(1001, state("Z", "exited; parent hasn't called waitpid")),
    );
    update(
        &mut app,
        ev(1000, state("S", "waiting for a child (waitpid)")),
    );
    update(&mut app, ev(1002, state("S", "waiting on a lock (futex)")));
    app
}

#[test]
fn a_run_where_every_process_is_blocked_and_nothing_moves_stands_still() {
    let mut app = lock_run_with_a_dead_holder();
    update(&mut app, Msg::Tick(4_000));
    assert_eq!(run(&app).stall, None, "under five quiet seconds: not yet");
    update(&mut app, Msg::Tick(6_000));
    let stall = run(&app).stall.clone().expect("a stall");
    assert_eq!(stall.quiet_ms, 6_000);
    assert_eq!(
        stall.waits,
        vec![
            (1000, "main".into(), "waiting for a child (waitpid)".into()),
            (1002, "worker 1".into(), "waiting on a lock (futex)".into()),
        ]
    );
    assert_eq!(stall.died_holding, Vec::<i32>::new(), "not reaped yet");
    assert_eq!(
        run(&app)
            .log
            .iter()
            .filter(|l| l.text.contains("stands still"))
            .count(),
        1,
        "said once in the log"
    );
    update(&mut app, Msg::Tick(6_500));
    assert!(run(&app).stall.is_some());
    // Once reaped, the lock it held is named as never given back (the reap itself
    // is something happening: the quiet time starts again).
    update(&mut app, ev(1000, reap(1001, 9)));
    update(
        &mut app,
        ev(1000, state("S", "waiting for a child (waitpid)")),
    );
    update(&mut app, Msg::Tick(12_000));
    assert_eq!(
        run(&app).stall.as_ref().map(|s| s.died_holding.clone()),
        Some(vec![1001])
    );
    // Anything the run does ends it.
    update(&mut app, ev(1002, state("R", "on a CPU or ready to run")));
    assert_eq!(run(&app).stall, None);
}

#[test]
fn a_timer_a_hold_or_a_pause_is_not_a_stall() {
    let mut app = lock_run_with_a_dead_holder();
    update(&mut app, ev(1002, state("S", "sleeping (time.sleep)")));
    update(&mut app, Msg::Tick(60_000));
    assert_eq!(run(&app).stall, None, "a sleeping process wakes by itself");

    let mut app = in_lesson();
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, main_gate("start"));
    update(&mut app, ev(1000, state("S", "waiting on a lock (futex)")));
    update(&mut app, Msg::Tick(60_000));
    assert_eq!(run(&app).stall, None, "held at a step");
    // Released after a long hold: the quiet time starts again.
    update(&mut app, press(KeyCode::Char(' ')));
    update(&mut app, Msg::Tick(61_000));
    assert_eq!(run(&app).stall, None, "the hold's minute does not count");
}
