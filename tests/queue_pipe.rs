//! The `queue` and `pipe` scenarios run for real: producers and consumers through a
//! `Queue(maxsize)` built as CPython builds it (a pipe, two locks and a bounded
//! semaphore, all in shared memory), and two processes talking both ways over a
//! `Pipe()` (a socketpair). Each run is `proclab run <scenario> --json --speed N
//! --set …`, tagged through the environment; the tests assert what the events say
//! (every item put is got exactly once, lengths stay within `maxsize`, who blocked on
//! what, what the kernel showed while they waited) and that nothing outlives a run.
//!
//! Variants run on parallel threads (each drives its own proclab through
//! `std::process::Command`; nothing forks in the test process). The observer samples
//! /proc every 100 ms and reports a process's state only when it changes, so a wait the
//! tests want it to see lasts at least ~500 ms of real time.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use proptest::prelude::*;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(20);

/// A `state` event's `t_us` and the moment the observer read that process's /proc
/// files differ by a little (the stamp is taken just after the read; earlier versions
/// took it at the start of the pass over all PIDs); this is the slack allowed for that
/// when a sample is compared with a process's own events.
const SAMPLE_SLACK_US: u64 = 10_000;

fn t_us(e: &Value) -> u64 {
    event_t_us(e)
}

fn pid(e: &Value) -> i64 {
    event_pid(e)
}

// ---- queue ----------------------------------------------------------------------------

/// The queue scenario's parameters (all of them, so a run states every one).
#[derive(Debug, Clone, Copy)]
struct QueueParams {
    producers: i64,
    consumers: i64,
    /// 0: unbounded.
    maxsize: i64,
    items: i64,
    put_ms: i64,
    get_ms: i64,
}

impl QueueParams {
    /// The scenario's defaults (see `crates/proclab-procs/src/scenario/queue.rs`).
    const DEFAULTS: QueueParams = QueueParams {
        producers: 2,
        consumers: 3,
        maxsize: 10,
        items: 20,
        put_ms: 200,
        get_ms: 500,
    };

    /// As fast as it goes: no pauses, and the caller runs it at `--speed 1000`.
    fn busy(producers: i64, consumers: i64, maxsize: i64, items: i64) -> QueueParams {
        QueueParams {
            producers,
            consumers,
            maxsize,
            items,
            put_ms: 0,
            get_ms: 0,
        }
    }

    fn sets(&self) -> Vec<String> {
        vec![
            format!("producers={}", self.producers),
            format!("consumers={}", self.consumers),
            format!("maxsize={}", self.maxsize),
            format!("items={}", self.items),
            format!("put_ms={}", self.put_ms),
            format!("get_ms={}", self.get_ms),
        ]
    }
}

/// A checked queue run: the common checks of `run_json_checked` and those of
/// `check_queue`, with the producers' and consumers' PIDs by index.
struct QueueRun {
    run: JsonRun,
    producers: Vec<i64>,
    consumers: Vec<i64>,
}

fn run_queue(p: QueueParams, speed: &str) -> QueueRun {
    let run = run_json_checked("queue", &p.sets(), speed, TIMEOUT);
    let (producers, consumers) = check_queue(&run, &p);
    QueueRun {
        run,
        producers,
        consumers,
    }
}

/// `item` as a queue item: an integer, or `None` for the stop marker.
fn queue_item(e: &Value, ctx: &str) -> Option<i64> {
    match &e["item"] {
        Value::Null => None,
        v => Some(
            v.as_i64()
                .unwrap_or_else(|| panic!("queue items are integers or null: {e} {ctx}")),
        ),
    }
}

/// How many times each value occurs.
fn multiset(values: impl IntoIterator<Item = i64>) -> BTreeMap<i64, usize> {
    let mut m = BTreeMap::new();
    for v in values {
        *m.entry(v).or_default() += 1;
    }
    m
}

/// What every queue run must show, whatever its parameters:
/// - main forks `producer 0..P` and `consumer 0..C`, nothing else;
/// - producer i puts i, i+P, i+2P, … < items, in that order; main puts one `None` per
///   consumer, after it reaped every producer;
/// - the items got (without the `None`s) are exactly the items put, and both are
///   0..items with each exactly once; each consumer gets exactly one `None`, as its last
///   get, then says so and exits 0;
/// - `len` is at least 1 right after a put, at least 0 after a get, and at most
///   `maxsize` when the queue is bounded (at most `maxsize - 1` after a get);
/// - no `queue_get` of an item comes before its `queue_put`, in line order or in time;
/// - producers (and main, putting the `None`s) only block on `queue_full`, consumers
///   only on `queue_empty`, and a process that blocked completes that call next;
/// - every process exits 0 and is reaped with status 0; the result `items` is `items`.
fn check_queue(run: &JsonRun, p: &QueueParams) -> (Vec<i64>, Vec<i64>) {
    let ctx = run.ctx();
    let main = run.main;
    let producers: Vec<i64> = (0..p.producers)
        .map(|i| run.pid_of(&format!("producer {i}")))
        .collect();
    let consumers: Vec<i64> = (0..p.consumers)
        .map(|j| run.pid_of(&format!("consumer {j}")))
        .collect();
    assert_eq!(
        run.spawns.len() as i64,
        1 + p.producers + p.consumers,
        "main, the producers and the consumers {ctx}"
    );
    for c in producers.iter().chain(&consumers) {
        assert_eq!(run.spawns[c]["ppid"], main, "main forks {c} {ctx}");
    }

    // Puts.
    let puts = run.of_kind("queue_put");
    let gets = run.of_kind("queue_get");
    for e in puts.iter().chain(&gets) {
        assert_eq!(e["queue"], "q", "one queue, named q: {e} {ctx}");
    }
    for (i, prod) in producers.iter().enumerate() {
        let got: Vec<Option<i64>> = run
            .by(*prod, "queue_put")
            .iter()
            .map(|e| queue_item(e, &ctx))
            .collect();
        let want: Vec<Option<i64>> = (i as i64..p.items)
            .step_by(p.producers as usize)
            .map(Some)
            .collect();
        assert_eq!(got, want, "producer {i}'s puts, in order {ctx}");
    }
    let main_puts = run.by(main, "queue_put");
    assert_eq!(
        main_puts.len() as i64,
        p.consumers,
        "main puts one None per consumer {ctx}"
    );
    assert!(
        main_puts.iter().all(|e| e["item"].is_null()),
        "main puts only None {ctx}"
    );
    let line_of = |e: &Value| {
        run.events
            .iter()
            .position(|x| std::ptr::eq(x, e))
            .expect("an event of this run")
    };
    let last_producer_reap = producers
        .iter()
        .map(|c| line_of(run.reap_of(*c)))
        .max()
        .unwrap_or(0);
    assert!(
        main_puts.iter().all(|e| line_of(e) > last_producer_reap),
        "main puts the Nones after it reaped every producer {ctx}"
    );
    assert!(
        puts.iter()
            .all(|e| pid(e) == main || producers.contains(&pid(e))),
        "only the producers and main put {ctx}"
    );

    // Gets: every item exactly once, and one None per consumer, last.
    assert!(
        gets.iter().all(|e| consumers.contains(&pid(e))),
        "only the consumers get {ctx}"
    );
    for (j, cons) in consumers.iter().enumerate() {
        let mine = run.by(*cons, "queue_get");
        let nones = mine.iter().filter(|e| e["item"].is_null()).count();
        assert_eq!(nones, 1, "consumer {j} gets exactly one None {ctx}");
        assert!(
            mine.last().is_some_and(|e| e["item"].is_null()),
            "consumer {j} stops at its None {ctx}"
        );
        let said = run.by(*cons, "print");
        assert!(
            said.iter()
                .any(|e| e["text"] == format!("consumer {j}: got None, stopping")),
            "consumer {j} says it stops {ctx}"
        );
    }
    let put_items = multiset(puts.iter().filter_map(|e| queue_item(e, &ctx)));
    let got_items = multiset(gets.iter().filter_map(|e| queue_item(e, &ctx)));
    let all_items = multiset(0..p.items);
    assert_eq!(put_items, all_items, "0..items put, each once {ctx}");
    assert_eq!(
        got_items, put_items,
        "every item put is got exactly once {ctx}"
    );

    // Lengths.
    for e in &puts {
        let len = e["len"].as_i64().expect("len");
        assert!(len >= 1, "a put leaves at least its own item: {e} {ctx}");
        assert!(
            p.maxsize == 0 || len <= p.maxsize,
            "len above maxsize {}: {e} {ctx}",
            p.maxsize
        );
    }
    for e in &gets {
        let len = e["len"].as_i64().expect("len");
        assert!(len >= 0, "a negative length: {e} {ctx}");
        assert!(
            p.maxsize == 0 || len <= p.maxsize,
            "len above maxsize {}: {e} {ctx}",
            p.maxsize
        );
        // Tighter: a get counts its item out before it gives the slot back, so it
        // leaves at most maxsize - 1 behind.
        assert!(
            p.maxsize == 0 || len < p.maxsize,
            "a get left a full queue (maxsize {}): {e} {ctx}",
            p.maxsize
        );
    }

    // On the wire, a get never comes before the put of its item: `queue_put` is
    // written before the item goes into the pipe. `None`s are alike, so the n-th get
    // of a value must follow at least n puts of it, in line order and in time.
    let mut put_seen: BTreeMap<Option<i64>, Vec<u64>> = BTreeMap::new();
    let mut got_seen: BTreeMap<Option<i64>, usize> = BTreeMap::new();
    for e in &run.events {
        let kind = &e["kind"];
        if kind == "queue_put" {
            put_seen
                .entry(queue_item(e, &ctx))
                .or_default()
                .push(t_us(e));
        } else if kind == "queue_get" {
            let item = queue_item(e, &ctx);
            let n = got_seen.entry(item).or_default();
            let put_t = put_seen.get(&item).and_then(|ts| ts.get(*n).copied());
            assert!(
                put_t.is_some_and(|t| t <= t_us(e)),
                "a get before the put of its item: {e} {ctx}"
            );
            *n += 1;
        }
    }

    // Blocking: on what, and what comes next. A consumer waits for the readers' lock
    // ("lock") before it can find the queue empty; a producer reports its put, then may
    // wait for the writers' lock ("lock") to write it; a full queue makes a put wait
    // for a slot ("queue_full") before it is reported.
    for e in run.of_kind("blocked") {
        let who = pid(e);
        let consumer = consumers.contains(&who);
        assert!(
            consumer || who == main || producers.contains(&who),
            "blocked from {who}, outside the run's roles: {e} {ctx}"
        );
        let on = e["on"].as_str().unwrap_or_default();
        let line = line_of(e);
        let next = run.events[line + 1..]
            .iter()
            .find(|x| pid(x) == who && x["kind"] != "state")
            .unwrap_or_else(|| panic!("nothing from {who} after {e} {ctx}"));
        match (consumer, on) {
            (true, "queue_empty") => assert_eq!(next["kind"], "queue_get", "{e} then {next} {ctx}"),
            (true, "lock") => assert!(
                next["kind"] == "queue_get"
                    || (next["kind"] == "blocked" && next["on"] == "queue_empty"),
                "{who} waited for the readers' lock, then {next} {ctx}"
            ),
            (false, "queue_full") => assert_eq!(next["kind"], "queue_put", "{e} then {next} {ctx}"),
            (false, "lock") => {
                let before = run.events[..line]
                    .iter()
                    .rev()
                    .find(|x| pid(x) == who && x["kind"] != "state")
                    .unwrap_or_else(|| panic!("nothing from {who} before {e} {ctx}"));
                assert_eq!(
                    before["kind"], "queue_put",
                    "a writer waits after reporting its put: {e} {ctx}"
                );
            }
            _ => panic!("{who} blocked on the wrong thing: {e} {ctx}"),
        }
    }

    // Exits, reaps, result.
    for c in producers.iter().chain(&consumers) {
        run.assert_exited(*c, 0);
        assert_eq!(pid(run.reap_of(*c)), main, "main reaps {c} {ctx}");
    }
    run.assert_exited(main, 0);
    assert_eq!(*run.result("items"), p.items, "{ctx}");
    assert_eq!(
        run.summary()["results"],
        serde_json::json!({ "items": p.items }),
        "{ctx}"
    );
    let gates: Vec<&Value> = run.by(main, "gate").iter().map(|g| &g["name"]).collect();
    assert_eq!(
        gates,
        ["start", "producing", "producers-done", "done"],
        "main passes the scenario's gates in order {ctx}"
    );
    (producers, consumers)
}

/// The defaults (2 producers, 3 consumers, maxsize 10, 20 items; pauses of 200 and
/// 500 ms lesson time) at speed 4.
fn queue_defaults() {
    run_queue(QueueParams::DEFAULTS, "4");
}

/// 5000 items with no pauses at all: the locks, not the sleeps, decide the order.
fn queue_busy() {
    let q = run_queue(QueueParams::busy(2, 3, 10, 5000), "1000");
    assert_eq!(q.run.of_kind("queue_get").len(), 5003, "{}", q.run.what);
}

/// 2 producers with nothing to wait for, 1 slow consumer (400 ms per item, 200 ms at
/// speed 2), `Queue(2)`: the producers spend the run blocked in `put`.
///
/// What the kernel shows for a blocked producer: `put` waits for a permit of the
/// bounded semaphore (`sem_wait` on a POSIX semaphore in shared memory, as CPython's
/// `Queue._sem`), which sleeps in `futex_wait`, so /proc/PID/wchan names a futex function
/// and the observer says "waiting on a lock (futex)". The kernel cannot tell a semaphore
/// from a lock: both are futexes (and the writers' lock `put` takes next is one too).
/// The state is S (interruptible sleep), not D.
fn full_queue_blocks_producers() {
    let p = QueueParams {
        producers: 2,
        consumers: 1,
        maxsize: 2,
        items: 8,
        put_ms: 0,
        get_ms: 400,
    };
    let q = run_queue(p, "2");
    let run = &q.run;
    let ctx = run.ctx();

    assert!(
        run.of_kind("queue_put")
            .iter()
            .any(|e| e["len"] == p.maxsize),
        "the queue fills up to maxsize {ctx}"
    );
    let mut saw_wait = false;
    for prod in &q.producers {
        let mine: Vec<(usize, &Value)> = run
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| pid(e) == *prod)
            .collect();
        // Each `blocked` to the `queue_put` that ends that wait, in event time.
        let mut waits = Vec::new();
        for (k, (_, e)) in mine.iter().enumerate() {
            if e["kind"] == "blocked" {
                assert_eq!(e["on"], "queue_full", "{ctx}");
                let put = mine[k + 1..]
                    .iter()
                    .find(|(_, x)| x["kind"] == "queue_put")
                    .unwrap_or_else(|| panic!("a blocked put never completed: {e} {ctx}"));
                waits.push((t_us(e), t_us(put.1)));
            }
        }
        for s in run.by(*prod, "state") {
            let t = t_us(s);
            // A sample describes the process as it was when its files were read, a
            // little before its stamp: only one stamped at least the slack after the
            // wait began surely saw the wait (one read just before it, still in the
            // pause before the put, was taken for a wrong reason under load).
            let during = waits
                .iter()
                .any(|(from, to)| t >= from + SAMPLE_SLACK_US && t <= *to);
            if !during || s["state"] != "S" {
                continue;
            }
            // Asleep in the middle of a blocked put: only the semaphore or the writers'
            // lock can hold it there, and both are futex waits.
            let reason = s["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains("futex"),
                "producer {prod} asleep during a blocked put, but not on a futex: {s} {ctx}"
            );
            saw_wait = true;
        }
    }
    assert!(
        q.producers.iter().any(|prod| run
            .by(*prod, "blocked")
            .iter()
            .any(|e| e["on"] == "queue_full")),
        "a producer blocks on queue_full {ctx}"
    );
    assert!(
        saw_wait,
        "the observer shows a producer in S on a futex while its put is blocked {ctx}"
    );
}

/// 3 consumers start on an empty queue: the producers pause 1200 ms (600 ms at speed 2)
/// before their first put.
///
/// What the kernel shows: `get` takes the readers' lock and then reads the pipe. The
/// first consumer to take the lock finds the pipe empty, says `blocked` on
/// "queue_empty" and sleeps in the pipe read ("reading a pipe"); the other two never get
/// as far as the pipe: they say `blocked` on "lock" and sleep on the readers' lock, a
/// futex ("waiting on a lock"). So before the first item there is exactly one
/// "queue_empty", from the consumer the kernel shows in the pipe, and one "lock" from
/// each of the others.
fn consumers_wait_on_an_empty_queue() {
    let p = QueueParams {
        producers: 2,
        consumers: 3,
        maxsize: 10,
        items: 4,
        put_ms: 1200,
        get_ms: 0,
    };
    let q = run_queue(p, "2");
    let run = &q.run;
    let ctx = run.ctx();

    let first_item = run
        .events
        .iter()
        .filter(|e| e["kind"] == "queue_put" || e["kind"] == "queue_get")
        .map(t_us)
        .min()
        .expect("items moved");
    let early_blocks: Vec<&Value> = run
        .of_kind("blocked")
        .into_iter()
        .filter(|e| t_us(e) < first_item)
        .collect();
    let empty: Vec<&&Value> = early_blocks
        .iter()
        .filter(|e| e["on"] == "queue_empty")
        .collect();
    assert_eq!(
        empty.len(),
        1,
        "before the first item only the holder of the readers' lock finds it empty {ctx}"
    );
    let reader = pid(empty[0]);
    assert!(q.consumers.contains(&reader), "{ctx}");
    let mut on_lock: Vec<i64> = early_blocks
        .iter()
        .filter(|e| e["on"] == "lock")
        .map(|e| pid(e))
        .collect();
    on_lock.sort();
    let mut others: Vec<i64> = q
        .consumers
        .iter()
        .copied()
        .filter(|c| *c != reader)
        .collect();
    others.sort();
    assert_eq!(
        on_lock, others,
        "the other consumers wait for the readers' lock {ctx}"
    );

    for cons in &q.consumers {
        let last_seen = run
            .by(*cons, "state")
            .into_iter()
            .rfind(|s| t_us(s) + SAMPLE_SLACK_US < first_item)
            .unwrap_or_else(|| {
                panic!("no state of consumer {cons} before the first item ({first_item} us) {ctx}")
            });
        assert_eq!(
            last_seen["state"], "S",
            "consumer {cons} sleeps on the empty queue: {last_seen} {ctx}"
        );
        let reason = last_seen["reason"].as_str().unwrap_or_default();
        if *cons == reader {
            assert!(
                reason.contains("reading a pipe"),
                "the consumer that blocked sleeps in the pipe read: {last_seen} {ctx}"
            );
        } else {
            assert!(
                reason.contains("waiting on a lock") && reason.contains("futex"),
                "the other consumers sleep on the readers' lock: {last_seen} {ctx}"
            );
        }
    }
}

#[test]
fn queue_runs() {
    in_parallel(vec![
        ("queue defaults".into(), Box::new(queue_defaults)),
        ("queue busy 5000".into(), Box::new(queue_busy)),
        (
            "queue full: producers block".into(),
            Box::new(full_queue_blocks_producers),
        ),
        (
            "queue empty: consumers wait".into(),
            Box::new(consumers_wait_on_an_empty_queue),
        ),
    ]);
}

proptest! {
    // Each case is a real run (about 0.1 s): few cases, a short shrink, and no
    // regression files written next to the sources.
    #![proptest_config(ProptestConfig {
        cases: 6,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any shape of queue, as fast as it goes: every item put is got exactly once,
    /// lengths stay within `maxsize` (0: unbounded, no upper bound), nothing leaks.
    #[test]
    fn queue_conserves_items_for_any_shape(
        producers in 1i64..=4,
        consumers in 1i64..=4,
        maxsize in 0i64..=5,
        items in 0i64..=300,
    ) {
        run_queue(QueueParams::busy(producers, consumers, maxsize, items), "1000");
    }
}

// ---- pipe -----------------------------------------------------------------------------

/// `messages` pings from the parent, a pong for each from the child, then `None`:
/// - `parent_conn` sends "ping 0".."ping n-1" then null, in order, and receives "pong k"
///   in order; `child_conn` receives exactly what the parent sent and sends the pongs;
/// - every `recv` comes after the `send` it receives, in line order and in time (the
///   scenario emits `send` before it writes);
/// - the child prints what it got, stops at the null and exits 0; main reaps it.
///
/// Returns the run and the child's PID.
fn run_pipe(messages: i64, speed: &str) -> (JsonRun, i64) {
    let run = run_json_checked("pipe", &[format!("messages={messages}")], speed, TIMEOUT);
    let ctx = run.ctx();
    let main = run.main;
    let child = run.pid_of("child");
    assert_eq!(run.spawns.len(), 2, "main and the child {ctx}");
    assert_eq!(run.spawns[&child]["ppid"], main, "{ctx}");

    let on = |kind: &str, channel: &str| -> Vec<&Value> {
        run.of_kind(kind)
            .into_iter()
            .filter(|e| e["channel"] == channel)
            .collect()
    };
    let items =
        |events: &[&Value]| -> Vec<Value> { events.iter().map(|e| e["item"].clone()).collect() };
    let pings: Vec<Value> = (0..messages)
        .map(|k| Value::from(format!("ping {k}")))
        .chain([Value::Null])
        .collect();
    let pongs: Vec<Value> = (0..messages)
        .map(|k| Value::from(format!("pong {k}")))
        .collect();

    let parent_sends = on("send", "parent_conn");
    let parent_recvs = on("recv", "parent_conn");
    let child_sends = on("send", "child_conn");
    let child_recvs = on("recv", "child_conn");
    for (events, who) in [
        (&parent_sends, main),
        (&parent_recvs, main),
        (&child_sends, child),
        (&child_recvs, child),
    ] {
        assert!(
            events.iter().all(|e| pid(e) == who),
            "each end is used by one process only {ctx}"
        );
    }
    assert_eq!(items(&parent_sends), pings, "parent_conn sends {ctx}");
    assert_eq!(items(&child_recvs), pings, "child_conn receives {ctx}");
    assert_eq!(items(&child_sends), pongs, "child_conn sends {ctx}");
    assert_eq!(items(&parent_recvs), pongs, "parent_conn receives {ctx}");
    assert_eq!(
        run.of_kind("send").len() + run.of_kind("recv").len(),
        2 * pings.len() + 2 * pongs.len(),
        "only the two channels {ctx}"
    );

    let line_of = |e: &Value| {
        run.events
            .iter()
            .position(|x| std::ptr::eq(x, e))
            .expect("an event of this run")
    };
    for (sends, recvs) in [(&parent_sends, &child_recvs), (&child_sends, &parent_recvs)] {
        for (s, r) in sends.iter().zip(recvs.iter()) {
            assert!(
                line_of(s) < line_of(r) && t_us(s) <= t_us(r),
                "recv before its send: {s} / {r} {ctx}"
            );
        }
    }
    // The conversation is strictly alternating: ping k is answered before ping k+1.
    for k in 0..pongs.len() {
        assert!(
            line_of(parent_recvs[k]) < line_of(parent_sends[k + 1]),
            "the parent waits for pong {k} before the next ping {ctx}"
        );
    }

    for k in 0..messages {
        let said = format!("parent got \"pong {k}\"");
        assert!(
            run.by(main, "print").iter().any(|e| e["text"] == said),
            "main prints {said:?} {ctx}"
        );
    }
    let stop = child_recvs.last().expect("the child's recvs");
    assert!(
        run.by(child, "print")
            .iter()
            .any(|e| e["text"] == "child: got None, stopping" && line_of(e) > line_of(stop)),
        "the child stops at None {ctx}"
    );
    let exit = run.by(child, "exit");
    assert_eq!(exit.len(), 1, "{ctx}");
    assert!(
        line_of(exit[0]) > line_of(stop),
        "exits after the None {ctx}"
    );
    run.assert_exited(child, 0);
    assert_eq!(pid(run.reap_of(child)), main, "{ctx}");
    run.assert_exited(main, 0);
    assert_eq!(
        run.by(main, "gate")
            .iter()
            .map(|g| &g["name"])
            .collect::<Vec<_>>(),
        ["start", "first-send", "done"],
        "{ctx}"
    );
    for b in run.of_kind("blocked") {
        assert_eq!(b["on"], "recv", "only recv blocks here: {b} {ctx}");
    }
    (run, child)
}

/// 5 messages at speed 4: the parent thinks 200 ms before each ping and the child
/// 100 ms before each pong, so each side's `recv` really waits for the other.
fn pipe_ping_pong() {
    let (run, child) = run_pipe(5, "4");
    let ctx = run.ctx();
    for who in [run.main, child] {
        let blocked = run.by(who, "blocked");
        assert!(
            blocked.iter().any(|b| b["on"] == "recv"),
            "{who} blocks in recv {ctx}"
        );
    }
}

/// 300 round trips with no thinking at all: the order still holds.
fn pipe_busy() {
    run_pipe(300, "1000");
}

#[test]
fn pipe_runs() {
    in_parallel(vec![
        ("pipe ping-pong".into(), Box::new(pipe_ping_pong)),
        ("pipe busy 300".into(), Box::new(pipe_busy)),
    ]);
}
