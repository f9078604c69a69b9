//! What the run screens say about the run's state, checked as text: a process
//! standing still with the run, a stopped main, a small screen's hidden rows and
//! Tab, and the event log scrolled back. (Screens as snapshots are in `tests.rs`.)

#![allow(
    clippy::cast_possible_truncation,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

use super::tests::{
    H, W, fanout_at_forked_all, fixed, lessons_app, print, screen, send, spawn, state,
};
use crate::app::{Action, Msg, update};
use crate::lesson::Lang;
use crate::trace::event::EventKind;

/// A process that stopped at a checkpoint because main is held at a step says so,
/// instead of the futex wait the observer reads (proclab's, not the lesson's); when it
/// moves on, the observer's reason is back.
#[test]
fn a_process_standing_still_with_the_run_says_why() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    send(&mut app, fixed(90), 1003, state('S', "futex_do_wait"));
    let hold = |on: bool| EventKind::Hold {
        on,
        during: on.then(|| "sleep".to_string()),
    };
    send(&mut app, fixed(91), 1003, hold(true));
    let held = screen(&app, W, H);
    let row = held
        .lines()
        .find(|l| l.contains("child 2"))
        .unwrap_or_default();
    assert!(row.contains("sleeping (time.sleep) · run held"), "{held}");
    send(&mut app, fixed(92), 1003, hold(false));
    let moved = screen(&app, W, H);
    let row = moved
        .lines()
        .find(|l| l.contains("child 2"))
        .unwrap_or_default();
    assert!(row.contains("waiting on a lock"), "{moved}");
}

/// Stopped by SIGSTOP while it stood with the run: the row says stopped, with no
/// "run held" left from the hold before.
#[test]
fn a_process_stopped_while_it_stood_says_stopped() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    let hold = EventKind::Hold {
        on: true,
        during: Some("sleep".to_string()),
    };
    send(&mut app, fixed(90), 1003, hold);
    send(&mut app, fixed(91), 1003, state('T', "stopped by a signal"));
    let shown = screen(&app, W, H);
    let row = shown
        .lines()
        .find(|l| l.contains("child 2"))
        .unwrap_or_default();
    assert!(row.contains("stopped by a signal"), "{shown}");
    assert!(!row.contains("run held"), "{shown}");
}

/// At a lock handover the tree says what the lock pane says: the new holder's row
/// tells its acquire, not the futex wait read before it.
#[test]
fn the_tree_agrees_with_the_lock_pane_at_a_handover() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    send(
        &mut app,
        fixed(90),
        1003,
        state('S', "waiting on a lock (futex)"),
    );
    let acquire = EventKind::LockAcquire {
        lock: "lock".into(),
        waited_us: 300_000,
    };
    send(&mut app, fixed(91), 1003, acquire);
    let shown = screen(&app, W, H);
    let row = shown
        .lines()
        .find(|l| l.contains("child 2"))
        .unwrap_or_default();
    assert!(row.contains("just took the lock"), "{shown}");
    assert!(!row.contains("waiting on a lock"), "{shown}");
}

/// Main stopped with SIGSTOP: the header says nothing will move until SIGCONT.
#[test]
fn a_stopped_main_is_said_in_the_header() {
    let mut app = lessons_app(Lang::En);
    let spec = crate::scenario::find("zombie").unwrap();
    app.open_run(spec, spec.params_from(&[]).unwrap(), 1.0);
    send(&mut app, 1_000, 2000, spawn(1999, "main"));
    send(&mut app, 2_000, 2000, state('T', "do_signal_stop"));
    let top = screen(&app, W, H);
    let header = top.lines().next().unwrap_or_default();
    assert!(
        header.contains("main STOPPED (SIGSTOP) · s → SIGCONT"),
        "{top}"
    );
    send(&mut app, 3_000, 2000, state('S', "hrtimer_nanosleep"));
    let header = screen(&app, W, H);
    assert!(
        !header
            .lines()
            .next()
            .unwrap_or_default()
            .contains("STOPPED")
    );
}

/// 80×24: a tree taller than its pane counts the hidden rows on its border, and Tab
/// shows the event log in the code's place (there is no room for both).
#[test]
fn small_screen_counts_hidden_rows_and_tab_shows_the_log() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    send(&mut app, 1, 1000, spawn(999, "main"));
    for k in 0..10 {
        send(
            &mut app,
            10 + k,
            1001 + k as i32,
            spawn(1000, &format!("child {k}")),
        );
    }
    let small = screen(&app, 80, 24);
    assert!(small.contains("more (↑↓)"), "{small}");
    assert!(small.contains("Tab  log"), "{small}");
    update(&mut app, Msg::Action(Action::SwapPane));
    let swapped = screen(&app, 80, 24);
    assert!(swapped.contains("┌ Event log"), "{swapped}");
    assert!(!swapped.contains("┌ Python"), "{swapped}");
    assert!(swapped.contains("Tab  code"), "{swapped}");
}

/// `[` scrolls the event log back: older lines show and the border says how many
/// newer ones are below.
#[test]
fn the_event_log_scrolls_back_with_a_bracket() {
    let mut app = lessons_app(Lang::En);
    let spec = crate::scenario::find("fork-fanout").unwrap();
    app.open_run(spec, spec.params_from(&[]).unwrap(), 1.0);
    send(&mut app, 1, 2000, spawn(1999, "main"));
    for i in 0..40 {
        send(&mut app, 10 + i, 2000, print(&format!("line {i}")));
    }
    let newest = screen(&app, W, H);
    assert!(
        newest.contains("line 39") && newest.contains("[ older"),
        "{newest}"
    );
    update(&mut app, Msg::Action(Action::LogOlder));
    let older = screen(&app, W, H);
    assert!(!older.contains("line 39"), "{older}");
    assert!(
        older.contains("line 34") && older.contains("↓ 5 newer"),
        "{older}"
    );
}
