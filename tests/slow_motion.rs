//! A lesson's slow motion, run for real: `proclab lesson X --json` applies each step's
//! `speed` as main reaches its gate, and the moment the lesson slows lasts seconds on
//! the run's own clock (the events' timestamps), while the same scenario without the
//! lesson still runs at full speed.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(60);
/// How long a slowed moment must last on the run's clock to be seen in class.
const SEEN_US: u64 = 2_000_000;

fn lesson_json(test: &str, id: &str) -> Vec<Value> {
    let tag = unique_tag(test);
    let f = run_proclab(&tag, &["lesson", id, "--json"], TIMEOUT);
    assert!(f.status.success(), "{}: {}", id, f.stderr);
    assert_no_tagged_left(&tag);
    parse_wire(&f.stdout)
}

/// The first event of `kind` for which `pred` holds.
fn first<'a>(events: &'a [Value], kind: &str, pred: impl Fn(&Value) -> bool) -> Option<&'a Value> {
    events.iter().find(|e| e["kind"] == kind && pred(e))
}

#[test]
fn pool_holds_back_task_1s_result_for_seconds() {
    let events = lesson_json("slow_pool", "pool");
    // The worker's own word that task 1 is done: its send on the result queue.
    let sent = first(&events, "send", |e| {
        e["channel"] == "results" && e["item"]["index"] == 1
    })
    .expect("a worker sent task 1's result");
    // The caller's word that it received it.
    let received = first(&events, "result", |e| {
        e["name"] == "task" && e["value"]["index"] == 1
    })
    .expect("the caller received task 1");
    let held = event_t_us(received) - event_t_us(sent);
    assert!(
        held >= SEEN_US,
        "task 1's result was held back {held} µs, less than {SEEN_US}"
    );
    // Received in submission order: task 0 first.
    let task0 = first(&events, "result", |e| {
        e["name"] == "task" && e["value"]["index"] == 0
    })
    .expect("task 0");
    assert!(event_t_us(task0) <= event_t_us(received));
}

/// Spawn to exit of every process but main, on the run's clock.
fn worker_lives(events: &[Value]) -> Vec<(i64, u64)> {
    let main = first(events, "spawn", |_| true).map(event_pid);
    events
        .iter()
        .filter(|e| e["kind"] == "spawn" && Some(event_pid(e)) != main)
        .filter_map(|s| {
            let pid = event_pid(s);
            let exit = first(events, "exit", |e| event_pid(e) == pid)?;
            Some((pid, event_t_us(exit) - event_t_us(s)))
        })
        .collect()
}

#[test]
fn pi_workers_compute_for_seconds_and_the_time_is_said_to_be_slowed() {
    let events = lesson_json("slow_pi", "pi");
    let lives = worker_lives(&events);
    assert_eq!(lives.len(), 10, "ten workers: {lives:?}");
    // Computing, not only alive: each one's gauge moves over the seconds it lives.
    for (pid, life) in &lives {
        assert!(*life >= SEEN_US, "worker {pid} lived {life} µs");
        let moves = events
            .iter()
            .filter(|e| e["kind"] == "progress" && event_pid(e) == *pid)
            .count();
        assert!(moves > 3, "worker {pid} reported progress {moves} times");
    }
    let said = events.iter().any(|e| {
        e["kind"] == "print"
            && e["text"]
                .as_str()
                .is_some_and(|t| t.contains("slow motion"))
    });
    assert!(said, "the slowed time is said to be the slow motion's");
}

#[test]
fn race_workers_add_for_seconds_and_say_how_far() {
    let events = lesson_json("slow_race", "race");
    let lives = worker_lives(&events);
    assert_eq!(lives.len(), 4);
    for (pid, life) in &lives {
        assert!(*life >= SEEN_US, "worker {pid} lived {life} µs");
    }
    let saw = events
        .iter()
        .filter(|e| e["kind"] == "value" && e["name"] == "saw")
        .count();
    assert!(saw > 10, "workers report the counter they read: {saw}");
}

#[test]
fn the_scenario_alone_is_not_slowed() {
    let tag = unique_tag("slow_none");
    let f = run_proclab(&tag, &["run", "pi", "--json"], TIMEOUT);
    assert!(f.status.success(), "{}", f.stderr);
    let events = parse_wire(&f.stdout);
    assert!(
        !events.iter().any(|e| e["kind"] == "print"
            && e["text"]
                .as_str()
                .is_some_and(|t| t.contains("slow motion"))),
        "no slow motion without a lesson"
    );
    assert!(
        worker_lives(&events)
            .iter()
            .all(|(_, life)| *life < SEEN_US)
    );
}
