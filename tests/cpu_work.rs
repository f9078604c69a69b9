//! The CPU-bound scenarios run for real: the parallel pi sum (`pi`) and the process
//! pool (`pool`) in each of its four modes. Each run is `proclab run <scenario> --json
//! --speed 1`, tagged through the environment; the tests assert what the events say
//! happened (who computed which slice or task, what travelled over which pipe, the order
//! results reached the caller) and that no process of the run outlives it.
//!
//! The pool's four modes run at once, one thread each (each drives its own proclab
//! through `std::process::Command`; nothing forks in the test process). The whole file
//! takes about as long as one pool run, ~1.1 s: the pool's tasks mostly sleep (50 ms
//! per 100,000 numbers), and pi's 10,000,000 terms take ~0.2 s even in a debug build.
//! The speedup of the pi sweep is measured in `cpu_speedup.rs`, alone in its binary.

#![allow(
    clippy::cast_possible_truncation,
    clippy::float_cmp,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{JsonRun, in_parallel, run_json_checked};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The pool's default tasks: `task(n) = sum(range(n))` for each n.
const TASKS: [u64; 2] = [2_000_000, 200_000];

// ---- one run and its events -----------------------------------------------------------

/// Runs `proclab run <scenario> --json --speed 1 [--set s]…` to its end with the checks
/// every run must pass (`run_json_checked`: success, nothing on stderr; one `summary`,
/// the last line, with `leaked` 0, a count of every spawn and the run's results; one
/// `main`, the front end's child, reaped by the front end; every process reaped exactly
/// once; no `fork_failed`; no process carrying the run's tag left afterwards), and, as
/// these runs are flat, every other process main's own child, reaped by main.
fn run_checked(scenario: &str, sets: &[String]) -> JsonRun {
    let run = run_json_checked(scenario, sets, "1", TIMEOUT);
    run.assert_all_children_of_main();
    run
}

/// The texts main printed, in order.
fn prints(run: &JsonRun) -> Vec<&str> {
    run.by(run.main, "print")
        .into_iter()
        .map(|p| p["text"].as_str().expect("print.text"))
        .collect()
}

// ---- pi ----------------------------------------------------------------------------------

#[test]
fn pi_defaults_sum_ten_slices_to_the_tutorials_value() {
    let run = run_checked("pi", &[]);
    let ctx = run.ctx();
    let pi = run.result("pi").as_f64().expect("pi is a number");
    assert_eq!(format!("{pi:.11}"), "3.14159262176", "{ctx}");
    let secs = run.result("seconds").as_f64().expect("seconds");
    assert_eq!(
        prints(&run),
        [
            format!("main {}: 10000000 terms, 10 workers", run.main),
            "pi = 3.14159262176".to_string(),
            format!("10 workers took {secs:.3}s"),
        ],
        "main's prints {ctx}"
    );
    assert_eq!(run.spawns.len(), 11, "main and 10 workers {ctx}");

    let recvs = run.lines_by(run.main, "recv");
    assert_eq!(recvs.len(), 10, "main receives one part per worker {ctx}");
    let mut total = 0.0f64;
    for (i, &(recv_at, recv)) in recvs.iter().enumerate() {
        let w = run.pid_of(&format!("worker {i}"));
        // Each slice is a tenth of the terms: 1,000,000.
        let progress = run.lines_by(w, "progress");
        assert!(!progress.is_empty(), "worker {i} reports progress {ctx}");
        let dones: Vec<u64> = progress
            .iter()
            .map(|(_, p)| {
                assert_eq!(p["total"], 1_000_000, "worker {i}'s total {ctx}");
                p["done"].as_u64().expect("progress.done")
            })
            .collect();
        assert_eq!(dones[0], 0, "worker {i} starts at 0 {ctx}");
        assert!(
            dones.windows(2).all(|d| d[0] <= d[1]),
            "worker {i}'s progress never goes back: {dones:?} {ctx}"
        );
        assert_eq!(
            dones.last(),
            Some(&1_000_000),
            "worker {i} ends with done == total {ctx}"
        );

        let sends = run.lines_by(w, "send");
        assert_eq!(sends.len(), 1, "worker {i} sends one partial sum {ctx}");
        let (send_at, send) = sends[0];
        assert_eq!(send["channel"], "result", "{ctx}");
        let part = send["item"].as_f64().expect("a partial sum");
        assert!(part > 0.0, "worker {i}'s part {part} {ctx}");
        assert!(
            progress.last().expect("progress").0 < send_at,
            "worker {i} sends after its last progress {ctx}"
        );

        // Main receives the parts in slice order, each after it was sent.
        assert_eq!(recv["channel"], format!("worker {i}"), "{ctx}");
        assert_eq!(
            recv["item"], send["item"],
            "worker {i}'s part arrives {ctx}"
        );
        assert!(send_at < recv_at, "worker {i}: sent before received {ctx}");
        total += part;
        run.assert_exited(w, 0);
    }
    assert_eq!((8.0 * total).sqrt(), pi, "pi = sqrt(8 · Σ parts) {ctx}");
    let summary = &run.summary()["results"];
    assert_eq!(summary["pi"], pi, "{ctx}");
}

// ---- pool ----------------------------------------------------------------------------

/// One pool run in `mode`; `order` is the order the caller must receive the tasks in.
fn check_pool(mode: &str, order: [u64; 2]) {
    let run = run_checked("pool", &[format!("mode={mode}")]);
    let ctx = run.ctx();

    // Results: one per task, named "task", in the promised order, each sum(range(n)).
    let results = run.lines_of("result");
    assert!(
        results.iter().all(|(_, r)| r["name"] == "task"),
        "only task results {ctx}"
    );
    let got: Vec<u64> = results
        .iter()
        .map(|(_, r)| r["value"]["index"].as_u64().expect("index"))
        .collect();
    assert_eq!(got, order, "the caller's order in {mode} {ctx}");
    for (_, r) in &results {
        let index = r["value"]["index"].as_u64().expect("index") as usize;
        let n = TASKS[index];
        assert_eq!(r["value"]["n"], n, "task {index}'s n {ctx}");
        assert_eq!(
            r["value"]["result"],
            n * (n - 1) / 2,
            "task {index}: sum(range({n})) = n(n-1)/2 {ctx}"
        );
    }
    // The summary collects the repeated result into a list, in delivery order (as
    // `run_json_checked` expects of every run).
    let values: Vec<Value> = results.iter().map(|(_, r)| r["value"].clone()).collect();
    assert_eq!(
        run.summary()["results"]["task"],
        Value::Array(values),
        "{ctx}"
    );

    // Which worker ran which task: each worker's `task` values go index, null, ….
    let workers = [
        run.pid_of("ForkPoolWorker-1"),
        run.pid_of("ForkPoolWorker-2"),
    ];
    assert_eq!(run.spawns.len(), 3, "main and two pool workers {ctx}");
    let mut ran_by: BTreeMap<usize, i64> = BTreeMap::new();
    // Line of each task's last progress event (done == n): the task is finished.
    let mut finished_at: BTreeMap<usize, usize> = BTreeMap::new();
    for w in workers {
        let values: Vec<(usize, &Value)> = run
            .lines_by(w, "value")
            .into_iter()
            .filter(|(_, v)| v["name"] == "task")
            .map(|(at, v)| (at, &v["value"]))
            .collect();
        assert!(
            values.len().is_multiple_of(2),
            "worker {w}: every task it starts it ends {ctx}"
        );
        for pair in values.chunks(2) {
            let (start, index) = pair[0];
            let (end, idle) = pair[1];
            let index = index.as_u64().expect("a task index") as usize;
            assert!(idle.is_null(), "worker {w}: task {index}, then idle {ctx}");
            assert!(
                ran_by.insert(index, w).is_none(),
                "task {index} ran twice {ctx}"
            );
            // Its progress, between the two values, counts up to n in 100,000s.
            let n = TASKS[index];
            let dones: Vec<u64> = run
                .lines_by(w, "progress")
                .into_iter()
                .filter(|(at, _)| start < *at && *at < end)
                .map(|(at, p)| {
                    assert_eq!(p["total"], n, "task {index}'s total {ctx}");
                    finished_at.insert(index, at);
                    p["done"].as_u64().expect("done")
                })
                .collect();
            let want: Vec<u64> = (1..=n.div_ceil(100_000))
                .map(|k| (k * 100_000).min(n))
                .collect();
            assert_eq!(dones, want, "task {index}'s progress on {w} {ctx}");
        }
        run.assert_exited(w, 0);
    }
    assert_eq!(
        ran_by.keys().copied().collect::<Vec<_>>(),
        [0, 1],
        "every task ran once {ctx}"
    );
    assert_ne!(
        ran_by[&0], ran_by[&1],
        "the two tasks ran side by side {ctx}"
    );

    // A task's result reaches the caller only after the task finished.
    for (at, r) in &results {
        let index = r["value"]["index"].as_u64().expect("index") as usize;
        assert!(
            finished_at[&index] < *at,
            "task {index} delivered before it finished {ctx}"
        );
    }
    // The long task 0 finishes last. Only imap_unordered hands task 1 over before it;
    // map, imap and apply_async(...).get() all wait for task 0 first. (The worker says
    // it is idle, `task` = null, only after putting its result, so that event may come
    // a moment after the caller's result: the last progress is what marks the end.)
    let first_result = results[0].0;
    if mode == "imap_unordered" {
        assert!(
            finished_at[&1] < first_result && first_result < finished_at[&0],
            "imap_unordered delivers task 1 while task 0 still runs {ctx}"
        );
    } else {
        assert!(
            finished_at[&0] < first_result && finished_at[&1] < first_result,
            "{mode}: nothing is delivered before both tasks finished {ctx}"
        );
    }

    // What the caller printed, as the lesson's Python program prints it.
    let mut want = vec![format!(
        "main {}: Pool(2).{mode}(task, [2000000, 200000])",
        run.main
    )];
    if mode == "map" {
        want.push("map returned [1999999000000, 19999900000]".into());
    } else {
        for i in order {
            let n = TASKS[i as usize];
            want.push(format!("task({n}) = {}", n * (n - 1) / 2));
        }
    }
    assert_eq!(prints(&run), want, "the caller's prints {ctx}");
}

#[test]
fn pool_modes_deliver_results_in_their_promised_order() {
    let modes: [(&str, [u64; 2]); 4] = [
        ("imap", [0, 1]),
        ("imap_unordered", [1, 0]),
        ("map", [0, 1]),
        ("apply_async", [0, 1]),
    ];
    in_parallel(
        modes
            .into_iter()
            .map(|(mode, order)| {
                let check: Box<dyn FnOnce() + Send> = Box::new(move || check_pool(mode, order));
                (format!("pool mode={mode}"), check)
            })
            .collect(),
    );
}
