//! Snapshots of the message-flow pane from fixed events (fixed PIDs and times).

#![allow(
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

use serde_json::json;

use super::tests::{screen, send, spawn, state};
use crate::app::App;
use crate::lesson::Lang;
use crate::scenario;
use crate::trace::event::EventKind;

fn run_of(id: &str, set: &[&str]) -> App {
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
    let put = |item: i64, len| EventKind::QueuePut {
        queue: "q".into(),
        item: json!(item),
        len,
    };
    let get = |item: i64, len| EventKind::QueueGet {
        queue: "q".into(),
        item: json!(item),
        len,
    };
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

/// A real run of the speedup sweep (`proclab run pi --json --set sweep=true --set
/// workers=4 --set terms=100000000 --speed 1000`, recorded on a busy 2-core machine),
/// so the screen is fed what a run really says: workers forked, reported, exited and
/// reaped round after round, main's gates, the lesson clock.
const PI_SWEEP: &str = include_str!("../../tests/fixtures/pi-sweep-4.jsonl");

/// The speedup lesson mid-sweep (fed the recording up to round 3, its three workers
/// computing), in the narrow pane beside the narration: the table of finished rounds
/// first, then only the current round's gauges.
#[test]
fn speedup_sweep_in_the_lesson_pane() {
    use crate::app::{Action, Msg, update};
    use crate::trace::event::Event;
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    let at = lessons.iter().position(|l| l.id == "speedup").unwrap();
    let mut app = App::new(lessons, Lang::En);
    app.menu_selected = at;
    update(&mut app, Msg::Action(Action::Open));
    let events: Vec<Event> = PI_SWEEP
        .lines()
        .map(|l| serde_json::from_str(l).expect("a wire line"))
        .collect();
    // Up to round 3's fork gate and its workers' first progress reports.
    let round_3 = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Gate { name, .. } if name == "forked"))
        .nth(2)
        .map(|g| g.t_us)
        .expect("a third round");
    let mut fed = 0;
    let mut reported = std::collections::BTreeSet::new();
    for e in &events {
        if e.t_us > round_3 && matches!(e.kind, EventKind::Progress { .. }) {
            reported.insert(e.pid);
        }
        update(&mut app, Msg::Event(e.clone()));
        fed += 1;
        if reported.len() == 3 {
            break;
        }
    }
    assert!(fed < events.len(), "stopped mid-run");
    let run = app.run.as_ref().expect("a run");

    // The model: what the recording says at that moment.
    let live: Vec<&str> = run
        .procs
        .rows()
        .iter()
        .filter(|p| p.reaped.is_none())
        .map(|p| p.label.as_str())
        .collect();
    assert_eq!(live, ["main", "worker 0", "worker 1", "worker 2"]);
    let reaped = run
        .procs
        .rows()
        .iter()
        .filter(|p| p.reaped.is_some())
        .count();
    assert_eq!(reaped, 3, "round 1's worker and round 2's two");
    let result = |name: &str| {
        events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Result { name: n, value } if n == name => value.as_f64(),
                _ => None,
            })
            .unwrap()
    };
    let rounds: Vec<(u64, f64, f64)> = (1..=2)
        .map(|n| {
            (
                n,
                result(&format!("time_{n}")),
                result(&format!("speedup_{n}")),
            )
        })
        .collect();
    assert_eq!(
        run.work.sweep, rounds,
        "the rounds as the run reported them"
    );
    let lesson = &app.lessons[at];
    assert_eq!(run.step, lesson.step_for_gate("forked"));
    assert_eq!(
        run.now_us,
        events[..fed].iter().map(|e| e.t_us).max().unwrap()
    );

    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Processes 4 alive · 7 created"), "{shown}");
    assert!(shown.contains("Step 2/3 · round 3 of 4"), "{shown}");
    insta::assert_snapshot!("speedup_sweep", shown);
}

/// The speedup lesson's round step comes back once per round: its header counts the
/// run's own arrivals at the gate (the recording's four), never "Step 2/3" alone;
/// the steps before and after it have no round.
#[test]
fn speedup_header_says_which_round() {
    use crate::app::{Action, Msg, update};
    use crate::trace::event::Event;
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    let at = lessons.iter().position(|l| l.id == "speedup").unwrap();
    let mut app = App::new(lessons, Lang::En);
    app.menu_selected = at;
    update(&mut app, Msg::Action(Action::Open));
    let mut headers = Vec::new();
    for line in PI_SWEEP.lines() {
        let e: Event = serde_json::from_str(line).expect("a wire line");
        let gate = matches!(&e.kind, EventKind::Gate { slot: None, .. });
        update(&mut app, Msg::Event(e));
        if gate {
            let shown = screen(&app, 120, 40);
            let header = shown
                .lines()
                .find(|l| l.contains("Step "))
                .unwrap_or_default()
                .to_string();
            headers.push(header);
        }
    }
    let said: Vec<bool> = (1..=4)
        .map(|k| {
            headers
                .iter()
                .any(|h| h.contains(&format!("Step 2/3 · round {k} of 4")))
        })
        .collect();
    assert_eq!(said, [true; 4], "{headers:#?}");
    assert!(
        headers
            .iter()
            .all(|h| h.contains("Step 2/3 ·") || !h.contains("Step 2/3")),
        "{headers:#?}"
    );
    assert!(
        headers
            .iter()
            .any(|h| h.contains("Step 3/3") && !h.contains("round")),
        "{headers:#?}"
    );
}

/// The Work pane says when other programs take the cores: the cores' load minus what
/// the run's own processes use (here 150% busy, the worker 97%: others ~53%).
#[test]
fn work_pane_says_when_other_programs_take_the_cores() {
    let mut app = run_of("pi", &["workers=1", "terms=1000"]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "worker 0"));
    send(
        &mut app,
        3,
        1001,
        EventKind::Progress {
            done: 10,
            total: 1000,
        },
    );
    let quiet = screen(&app, 120, 40);
    assert!(!quiet.contains("other programs"), "{quiet}");
    let running = EventKind::State {
        state: "R".into(),
        reason: "running".into(),
        cpu: Some(97.0),
        ignored: vec![],
        caught: vec![],
        core: Some(0),
    };
    send(&mut app, 4, 1001, running);
    let cpu = || EventKind::Cpu {
        cores: vec![100.0, 50.0],
    };
    // One reading is not enough (a worker that just exited looks like another program).
    send(&mut app, 5, 0, cpu());
    assert!(!screen(&app, 120, 40).contains("other programs"));
    send(&mut app, 6, 0, cpu());
    send(&mut app, 7, 0, cpu());
    let busy = screen(&app, 120, 40);
    assert!(busy.contains("other programs use ~53% CPU"), "{busy}");
}

/// A Python lesson with `pane = "cores"` (threads-vs-processes): each core's load
/// over time from the observer's readings, and the program's printed lines below;
/// cores that do not fit are counted, never dropped silently.
#[test]
fn cores_pane_of_a_python_lesson() {
    let mut app = super::tests::lessons_app(Lang::En);
    app.python = Ok("/usr/bin/python3".into());
    let lesson = app
        .lessons
        .iter()
        .position(|l| l.id == "threads-vs-processes")
        .expect("lesson 20");
    let _ = app.open_lesson(lesson);
    send(&mut app, 1, 1000, spawn(999, "tracer"));
    send(&mut app, 2, 1001, spawn(1000, "main"));
    let print = |text: &str| EventKind::Print { text: text.into() };
    send(&mut app, 3, 1001, print("cores: 2"));
    let before = screen(&app, 120, 40);
    assert!(before.contains(" Cores "), "{before}");
    assert!(
        !before.contains("0 cores"),
        "no count before a reading: {before}"
    );
    assert!(before.contains("the program printed:"), "{before}");
    for (t, busy) in [(4, 100.0), (5, 100.0), (6, 40.0)] {
        send(
            &mut app,
            t,
            0,
            EventKind::Cpu {
                cores: vec![busy, 30.0],
            },
        );
    }
    send(&mut app, 7, 1001, print("burn threads: 2.06 s on 1.0 CPUs"));
    let shown = screen(&app, 120, 40);
    for text in [
        "Cores 2 cores",
        "each core's load while the program runs",
        "core 0  40% ██▃",
        "core 1  30% ▂▂▂",
        "the program printed:",
        "cores: 2",
        "burn threads: 2.06 s on 1.0 CPUs",
    ] {
        assert!(shown.contains(text), "{text:?} in {shown}");
    }
    insta::assert_snapshot!("cores_pane", shown);

    // Twelve cores: the pane takes the rows they need from the narration.
    send(
        &mut app,
        8,
        0,
        EventKind::Cpu {
            cores: vec![50.0; 12],
        },
    );
    let many = screen(&app, 120, 40);
    assert!(many.contains("Cores 12 cores"), "{many}");
    assert!(many.contains("core 11 "), "{many}");
    // More cores than rows: the first ones drawn, the rest counted.
    send(
        &mut app,
        9,
        0,
        EventKind::Cpu {
            cores: vec![50.0; 40],
        },
    );
    let many = screen(&app, 120, 40);
    assert!(many.contains("Cores 40 cores"), "{many}");
    // 21 rows inside the pane (the narration keeps its 8): the caption, 16 cores, a
    // blank, the heading, 2 lines.
    assert!(
        many.contains("24 more cores: a taller terminal shows them"),
        "{many}"
    );
    assert!(
        many.contains("core 15 ") && !many.contains("core 16"),
        "{many}"
    );
    assert!(
        many.contains("burn threads: 2.06 s"),
        "the printed lines stay: {many}"
    );

    app.lang = Lang::Zh;
    let zh = screen(&app, 120, 40);
    for text in [
        "核心 40 个核心",
        "另有 24 个核心放不下",
        "核心 0  50%",
        "程序打印了：",
    ] {
        assert!(zh.contains(text), "{text:?} in {zh}");
    }
}

/// A finished pi worker, a zombie until main joins it, at 80×24: its reason in the
/// Work pane ends with "…" where the pane is too narrow (before: "exited; parent
/// hasn'" and the border), and the pane's title says no "0 cores" before the first
/// reading of the cores.
#[test]
fn work_pane_marks_a_cut_reason_and_counts_no_cores_unread() {
    use crate::app::{Action, Msg, update};
    let mut app = run_of("pi", &["workers=2", "terms=1000"]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    for (pid, label) in [(1001, "worker 0"), (1002, "worker 1")] {
        send(&mut app, 2, pid, spawn(1000, label));
        send(
            &mut app,
            3,
            pid,
            EventKind::Progress {
                done: 500,
                total: 500,
            },
        );
    }
    send(&mut app, 4, 1001, EventKind::Exit { code: 0 });
    send(&mut app, 5, 1001, state('Z', ""));
    let shown = screen(&app, 80, 24);
    let row = shown
        .lines()
        .find(|l| l.contains("worker 0 [") && l.contains("100%"))
        .unwrap_or_else(|| panic!("worker 0's gauge\n{shown}"));
    // The bars give way to the words: the reason whole.
    assert!(
        row.ends_with("exited; parent hasn't called waitpid│\""),
        "{row}"
    );
    assert!(shown.contains("┌ Work ─"), "{shown}");
    assert!(!shown.contains("0 cores"), "{shown}");
    insta::assert_snapshot!("work_pane_zombie_80x24", shown);
    // In presenter mode the pane is under half the width: the reason ends with "…".
    update(&mut app, Msg::Action(Action::Present));
    let shown = screen(&app, 100, 30);
    let row = shown
        .lines()
        .find(|l| l.contains("worker 0 [") && l.contains("100%"))
        .unwrap_or_else(|| panic!("worker 0's gauge\n{shown}"));
    assert!(row.contains("exited; parent"), "{row}");
    assert!(row.ends_with("…│\""), "{row}");
    insta::assert_snapshot!("work_pane_zombie_present_100x30", shown);
}
