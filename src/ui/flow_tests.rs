//! Snapshots of the message-flow pane from fixed events (fixed PIDs and times).

#![allow(
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

use serde_json::json;

use super::tests::{get, put, screen, send, spawn};
use crate::app::App;
use crate::lesson::Lang;
use crate::scenario;
use crate::trace::event::EventKind;

pub(super) fn run_of(id: &str, set: &[&str]) -> App {
    let spec = scenario::find(id).unwrap();
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let mut app = App::new(Vec::new(), Lang::En);
    let _ = app.open_run(spec, spec.params_from(&set).unwrap(), 1.0);
    app
}

#[test]
fn queue_with_a_blocked_producer() {
    let mut app = run_of("queue", &["consumers=1", "maxsize=4"]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "producer 0"));
    send(&mut app, 3, 1002, spawn(1000, "producer 1"));
    send(&mut app, 4, 1003, spawn(1000, "consumer 0"));
    send(
        &mut app,
        5,
        1003,
        EventKind::Blocked {
            on: "queue_empty".into(),
        },
    );
    send(&mut app, 200_000, 1001, put(0, 1));
    send(&mut app, 200_100, 1003, get(0, 0));
    for (i, item) in (1..=4).enumerate() {
        let pid = 1001 + (item % 2) as i32;
        send(
            &mut app,
            400_000 + i as u64 * 100,
            pid,
            put(item, i as i64 + 1),
        );
    }
    send(
        &mut app,
        700_000,
        1001,
        EventKind::Blocked {
            on: "queue_full".into(),
        },
    );
    send(&mut app, 900_000, 1003, get(1, 3));
    // The model: items 2..=4 waiting in order, producer 0 blocked on the full queue.
    let q = app.run.as_ref().unwrap().flow.queue.clone().unwrap();
    assert_eq!(q.items, [json!(2), json!(3), json!(4)]);
    assert_eq!((q.len, q.puts, q.gets), (3, 5, 2));
    assert_eq!(q.blocked, [(1001, "queue_full".to_string())]);
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("producer 0"), "{shown}");
    insta::assert_snapshot!("queue_flow", shown);
}

/// A queue with more slots than the pane can draw counts the rest as items and free
/// slots, never as a bare "+N" that reads like N more items.
#[test]
fn a_queue_wider_than_its_pane_counts_the_rest() {
    let mut app = run_of("queue", &["consumers=1", "maxsize=40"]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "producer 0"));
    for item in 0..3 {
        let put = EventKind::QueuePut {
            queue: "q".into(),
            item: json!(item),
            len: item + 1,
        };
        send(&mut app, 10 + item as u64, 1001, put);
    }
    let pane = screen(&app, 80, 24);
    let row = pane
        .lines()
        .find(|l| l.contains("[ 0│ 1│ 2│") || l.contains("[0│1│2│"))
        .unwrap_or_else(|| panic!("the slots:\n{pane}"));
    assert!(row.contains(" free"), "the rest is said to be free: {row}");
    assert!(!row.contains("more"), "no items are hidden: {row}");
}

#[test]
fn pipe_with_a_message_in_flight() {
    let mut app = run_of("pipe", &[]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "child"));
    send(&mut app, 3, 1001, EventKind::Blocked { on: "recv".into() });
    let s = |c: &str, m: &str| EventKind::Send {
        channel: c.into(),
        item: json!(m),
        repr: None,
    };
    let r = |c: &str, m: &str| EventKind::Recv {
        channel: c.into(),
        item: json!(m),
        repr: None,
    };
    send(&mut app, 10, 1000, s("parent_conn", "ping 0"));
    send(&mut app, 11, 1001, r("child_conn", "ping 0"));
    send(&mut app, 12, 1001, s("child_conn", "pong 0"));
    send(&mut app, 13, 1000, r("parent_conn", "pong 0"));
    send(&mut app, 20, 1000, s("parent_conn", "ping 1"));
    send(&mut app, 21, 1000, EventKind::Blocked { on: "recv".into() });
    let shown = screen(&app, 100, 30);
    // The pane writes messages as Python does, the same text as the event log.
    assert!(shown.contains("══▶ 'ping 1' ══▶"), "{shown}");
    // Who sent or got each, oldest first (the newest at the bottom, as in the log).
    assert!(
        shown.contains("│1000 main: parent_conn.send('ping 1')"),
        "{shown}"
    );
    assert!(
        shown.contains("│1001 child: child_conn.recv() → 'ping 0'"),
        "{shown}"
    );
    let at = |t: &str| shown.find(t).unwrap_or_else(|| panic!("{t} in {shown}"));
    assert!(at("main: parent_conn.send('ping 0')") < at("main: parent_conn.send('ping 1')"));
    assert!(
        shown.contains("1000 parent_conn.recv() → 'pong 0'"),
        "{shown}"
    );
    insta::assert_snapshot!("pipe_flow", shown);
}

#[test]
fn a_decoded_pickle_shows_its_repr_in_pane_and_log() {
    let mut app = run_of("pipe", &[]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "child"));
    // What the tracer makes of `conn.send((1, 'a', b'\x00'))`: JSON has no tuple or
    // bytes, the repr has.
    let item = json!([1, "a", "b'\\x00'"]);
    let repr = Some("(1, 'a', b'\\x00')".to_string());
    send(
        &mut app,
        10,
        1000,
        EventKind::Send {
            channel: "parent_conn".into(),
            item: item.clone(),
            repr: repr.clone(),
        },
    );
    send(
        &mut app,
        11,
        1001,
        EventKind::Recv {
            channel: "child_conn".into(),
            item,
            repr,
        },
    );
    let shown = screen(&app, 100, 30);
    for line in [
        ": parent_conn.send((1, 'a', b'\\x00'))",
        ": child_conn.recv() → (1, 'a', b'\\x00')",
        "1000 parent_conn.send((1, 'a', b'\\x00'))",
        "1001 child_conn.recv() → (1, 'a', b'\\x00')",
    ] {
        assert!(shown.contains(line), "{line} not in\n{shown}");
    }
}

#[test]
fn lock_pane_with_a_holder_and_a_queue() {
    let mut app = run_of("lock", &["increments=5", "hold_ms=300"]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    for (pid, i) in [(1001, 0), (1002, 1), (1003, 2)] {
        send(&mut app, 2, pid, spawn(1000, &format!("worker {i}")));
    }
    let acquire = |waited_us| EventKind::LockAcquire {
        lock: "lock".into(),
        waited_us,
    };
    let release = |held_us| EventKind::LockRelease {
        lock: "lock".into(),
        waited_us: 0,
        held_us,
    };
    send(&mut app, 10, 1001, acquire(0));
    send(&mut app, 11, 1002, EventKind::Blocked { on: "lock".into() });
    send(&mut app, 12, 1003, EventKind::Blocked { on: "lock".into() });
    send(&mut app, 300_010, 1001, release(300_000));
    send(&mut app, 300_020, 1002, acquire(300_009));
    // The model: worker 1 holds it after waiting, worker 2 still waits, worker 0 held
    // it 300 ms.
    let l = &app.run.as_ref().unwrap().locks.locks[0];
    assert_eq!(
        (l.holders.as_slice(), l.waiting.as_slice()),
        (&[1002][..], &[1003][..])
    );
    assert_eq!(l.stats[&1001].held_us, 300_000);
    assert_eq!(l.stats[&1002].waited_us, 300_009);
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("worker 1"), "{shown}");
    insta::assert_snapshot!("lock_pane", shown);
}

/// The race without a lock: before anything is counted the pane says there is no
/// lock; afterwards main's counter, then what the run reported it expected and lost.
#[test]
fn race_pane_says_no_lock_then_counts_the_loss() {
    let mut app = run_of(
        "lock",
        &["use_lock=false", "workers=4", "increments=100000"],
    );
    send(&mut app, 1, 1000, spawn(999, "main"));
    let pane = screen(&app, 120, 40);
    assert!(pane.contains("No lock in this run"), "{pane}");
    let counter = EventKind::Value {
        name: "counter".into(),
        value: json!(365_319),
    };
    send(&mut app, 50, 1000, counter);
    // Nothing worked out from the parameters: until the run reports its numbers, the
    // counter stands alone.
    let pane = screen(&app, 120, 40);
    assert!(pane.contains("counter = 365319"), "{pane}");
    assert!(!pane.contains("expected"), "{pane}");
    // The run's own results, even ones the parameters would not give (a run that
    // counted otherwise must be shown as it counted).
    let result = |name: &str, n: i64| EventKind::Result {
        name: name.into(),
        value: json!(n),
    };
    send(&mut app, 51, 1000, result("counter", 365_319));
    send(&mut app, 52, 1000, result("expected", 399_999));
    send(&mut app, 53, 1000, result("lost", 34_680));
    let pane = screen(&app, 120, 40);
    assert!(
        pane.contains("counter = 365319 · expected 399999 · lost 34680"),
        "{pane}"
    );
}

#[test]
fn semaphore_and_event_panes() {
    let mut app = run_of("semaphore", &[]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    for (pid, i) in [(1001, 0), (1002, 1), (1003, 2)] {
        send(&mut app, 2, pid, spawn(1000, &format!("worker {i}")));
    }
    let acquire = |waited_us| EventKind::LockAcquire {
        lock: "semaphore".into(),
        waited_us,
    };
    send(&mut app, 10, 1001, acquire(0));
    send(&mut app, 11, 1002, acquire(0));
    send(
        &mut app,
        12,
        1003,
        EventKind::Blocked {
            on: "semaphore".into(),
        },
    );
    let l = &app.run.as_ref().unwrap().locks.locks[0];
    assert_eq!(
        (l.holders.as_slice(), l.waiting.as_slice()),
        (&[1001, 1002][..], &[1003][..])
    );
    assert_eq!(l.peak, 2);
    insta::assert_snapshot!("semaphore_pane", screen(&app, 100, 30));

    let mut app = run_of("event", &[]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "waiter 0"));
    send(&mut app, 3, 1002, spawn(1000, "setter"));
    send(&mut app, 4, 1001, EventKind::Blocked { on: "event".into() });
    send(
        &mut app,
        3_000_000,
        1002,
        EventKind::Value {
            name: "event".into(),
            value: json!(1),
        },
    );
    let locks = &app.run.as_ref().unwrap().locks;
    assert_eq!(locks.event_waiters, [1001]);
    assert_eq!(locks.event_set_by, Some((1002, 3_000_000)));
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("set by"), "{shown}");
    insta::assert_snapshot!("event_pane", shown);
}

/// "Be the scheduler": both workers read 0, then both write 1 — one addition lost.
#[test]
fn scheduler_builds_a_lost_update() {
    let mut app = run_of(
        "lock",
        &[
            "workers=2",
            "increments=2",
            "use_lock=false",
            "schedule=true",
        ],
    );
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "worker 0"));
    send(&mut app, 3, 1002, spawn(1000, "worker 1"));
    let value = |name: &str, v: i64| EventKind::Value {
        name: name.into(),
        value: json!(v),
    };
    let gate = |slot: u32, name: &str| EventKind::Gate {
        name: name.into(),
        slot: Some(slot),
    };
    send(&mut app, 10, 1001, value("read", 0));
    send(&mut app, 11, 1002, value("read", 0));
    send(&mut app, 12, 1001, value("wrote", 1));
    send(&mut app, 13, 1002, value("wrote", 1));
    send(&mut app, 14, 1001, gate(0, "read"));
    send(&mut app, 15, 1002, gate(1, "read"));
    // Two additions written, memory holds 1: one lost.
    let locks = &app.run.as_ref().unwrap().locks;
    assert_eq!((locks.writes, locks.last_write), (2, Some((1002, 1))));
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("shared counter = 1"), "{shown}");
    assert!(shown.contains("2 additions written · 1 lost"), "{shown}");
    insta::assert_snapshot!("scheduler_lost_update", shown);
}

/// The lock lesson: the Locks pane beside the narration, in its narrow form; Tab
/// swaps it for the event log and back.
#[test]
fn lock_lesson_pane_and_tab_to_the_log() {
    use crate::app::{Action, Msg, update};
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    let at = lessons.iter().position(|l| l.id == "lock").unwrap();
    let mut app = App::new(lessons, Lang::En);
    app.menu_selected = at;
    update(&mut app, Msg::Action(Action::Open));
    send(&mut app, 1, 1000, spawn(999, "main"));
    for (pid, i) in [(1001, 0), (1002, 1)] {
        send(&mut app, 2, pid, spawn(1000, &format!("worker {i}")));
    }
    send(
        &mut app,
        10,
        1001,
        EventKind::LockAcquire {
            lock: "lock".into(),
            waited_us: 0,
        },
    );
    send(&mut app, 11, 1002, EventKind::Blocked { on: "lock".into() });
    send(
        &mut app,
        300_010,
        1001,
        EventKind::LockRelease {
            lock: "lock".into(),
            waited_us: 0,
            held_us: 300_000,
        },
    );
    send(
        &mut app,
        300_020,
        1002,
        EventKind::LockAcquire {
            lock: "lock".into(),
            waited_us: 300_009,
        },
    );
    insta::assert_snapshot!("lock_lesson", screen(&app, 120, 40));
    update(&mut app, Msg::Action(Action::SwapPane));
    let log = screen(&app, 120, 40);
    assert!(
        log.contains("┌ Event log") && !log.contains("┌ Locks"),
        "{log}"
    );
    assert!(log.contains("Tab  pane"), "{log}");
    update(&mut app, Msg::Action(Action::SwapPane));
    assert!(screen(&app, 120, 40).contains("┌ Locks"));
}

/// Predict, then run: the question at its gate with the learner's choice, then the
/// verdict once the run has reported main's num.
#[test]
fn quiz_asked_then_graded() {
    use crate::app::{Action, Msg, update};
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    let at = lessons.iter().position(|l| l.id == "isolation").unwrap();
    let mut app = App::new(lessons, Lang::En);
    app.menu_selected = at;
    update(&mut app, Msg::Action(Action::Open));
    send(&mut app, 1, 1000, spawn(999, "main"));
    let gate = |name: &str| EventKind::Gate {
        name: name.into(),
        slot: None,
    };
    let num = |v: i64| EventKind::Value {
        name: "num".into(),
        value: json!(v),
    };
    send(&mut app, 2, 1000, num(10));
    send(&mut app, 3, 1000, gate("start"));
    send(&mut app, 4, 1000, gate("forked"));
    update(&mut app, Msg::Action(Action::Answer(2)));
    let asked = &app.run.as_ref().unwrap().quizzes;
    assert_eq!(asked.len(), 1);
    // Key 2: the second choice; nothing reported yet.
    assert_eq!(
        (asked[0].chosen, asked[0].reported.clone()),
        (Some(1), None)
    );
    insta::assert_snapshot!("quiz_asked", screen(&app, 120, 40));
    send(&mut app, 5, 1001, spawn(1000, "child +5"));
    send(&mut app, 6, 1001, num(15));
    send(&mut app, 7, 1000, num(10));
    // Graded by main's num after the gate (the child's 15 is not main's answer).
    let run = app.run.as_ref().unwrap();
    let asked = &run.quizzes[0];
    assert_eq!(asked.reported, Some(json!(10)));
    let quiz = app.lessons[at].steps[asked.step].quiz.as_ref().unwrap();
    let graded = run
        .log
        .iter()
        .rev()
        .map(|l| l.text.text(Lang::En))
        .find(|l| l.starts_with("prediction:"));
    let verdict = asked.verdict(quiz);
    assert!(verdict.is_some());
    let graded = graded.unwrap_or_default();
    assert!(graded.contains("this run reported 10"), "{graded}");
    insta::assert_snapshot!("quiz_graded", screen(&app, 120, 40));
    // The next step keeps the answer in view: the run decided it on the way there.
    let quiz_step = asked.step;
    let next = app.lessons[at].steps[quiz_step + 1].gate.clone();
    let question: String = quiz.question.get(Lang::En).chars().take(30).collect();
    send(&mut app, 8, 1000, gate(&next));
    let shown = screen(&app, 120, 40);
    let head = format!("Step {}'s question,", quiz_step + 1);
    assert!(shown.contains(&head), "{shown}");
    assert!(shown.contains(&question), "{question}\n{shown}");
    assert!(shown.contains("This run reported 10"), "{shown}");
    // And not two steps later.
    if let Some(after) = app.lessons[at].steps.get(quiz_step + 2) {
        let after = after.gate.clone();
        send(&mut app, 9, 1000, gate(&after));
        assert!(!screen(&app, 120, 40).contains(&head));
    }
}
