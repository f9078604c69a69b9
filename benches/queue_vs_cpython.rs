//! A whole producer–consumer run, proclab against CPython: `proclab run queue --json`
//! with 20,000 items and no pauses (every `queue_put` / `queue_get` event emitted and
//! printed, stdout to /dev/null) against the same program in CPython's
//! `multiprocessing` (`Queue(10)`, fork context, 2 producers, 3 consumers, one `None` per
//! consumer). Both include starting the interpreter or front end and every fork.
//!
//! The goal: proclab moves items at least twice as fast as CPython (items/s), with all
//! its events. The ratio is printed at the end of `cargo bench --bench
//! queue_vs_cpython` (see BENCHMARKS.md).
//!
//! proclab is timed as the release binary, `target/release/proclab`. `cargo bench`
//! builds it along with the bench (cargo builds a package's binaries for its benches),
//! but `cargo build --release` first makes sure; without the binary (or without
//! `/usr/bin/python3`) the bench says so and skips that side.

#![allow(
    clippy::cast_precision_loss,
    reason = "bench arithmetic: counts and durations turned into rates and ratios to print, all far below where the casts lose anything"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};

/// Items through the queue in one run.
const N: u64 = 20_000;
const GROUP: &str = "queue_20000_items";
const PYTHON: &str = "/usr/bin/python3";

/// CPython's side, the program the `queue` scenario plays (see `lessons/` and
/// `crates/proclab-procs/src/scenario/queue.rs`): producer i puts i, i+2, i+4, … < n; no per-item print.
const SCRIPT: &str = r#"import multiprocessing as mp
import sys


def produce(q, start, step, n):
    for item in range(start, n, step):
        q.put(item)


def consume(q):
    while True:
        item = q.get()
        if item is None:
            break


if __name__ == "__main__":
    n = int(sys.argv[1])
    ctx = mp.get_context("fork")
    q = ctx.Queue(10)
    producers = [ctx.Process(target=produce, args=(q, i, 2, n)) for i in range(2)]
    consumers = [ctx.Process(target=consume, args=(q,)) for _ in range(3)]
    for p in producers + consumers:
        p.start()
    for p in producers:
        p.join()
    for _ in consumers:
        q.put(None)
    for c in consumers:
        c.join()
    sys.exit(0 if all(p.exitcode == 0 for p in producers + consumers) else 1)
"#;

fn proclab_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/proclab")
}

fn proclab_args() -> Vec<String> {
    [
        "run",
        "queue",
        "--json",
        "--speed",
        "1000",
        "--set",
        &format!("items={N}"),
        "--set",
        "put_ms=0",
        "--set",
        "get_ms=0",
    ]
    .map(String::from)
    .to_vec()
}

/// Warns when a source file is newer than the release binary (it would time old code).
fn warn_if_stale(bin: &Path) {
    let Ok(built) = bin.metadata().and_then(|m| m.modified()) else {
        return;
    };
    let newest = newest_mtime(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    if newest.is_some_and(|t| t > built) {
        eprintln!(
            "warning: {} is older than src/; run `cargo build --release` first",
            bin.display()
        );
    }
}

fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        newest = newest.max(t);
    }
    newest
}

/// One run with the output kept: the bench is only meaningful if proclab really moved
/// every item and emitted every event.
fn check_proclab_run(bin: &Path) {
    let out = Command::new(bin)
        .args(proclab_args())
        .stdin(Stdio::null())
        .output()
        .expect("running proclab");
    assert!(out.status.success(), "proclab failed: {:?}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (mut puts, mut gets) = (0u64, 0u64);
    let mut last = serde_json::Value::Null;
    for line in stdout.lines() {
        let e: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        match e["kind"].as_str() {
            Some("queue_put") => puts += 1,
            Some("queue_get") => gets += 1,
            _ => {}
        }
        last = e;
    }
    // Three consumers: three `None`s go through the queue as well.
    assert_eq!((puts, gets), (N + 3, N + 3), "every put and get emitted");
    assert_eq!(last["kind"], "summary");
    assert_eq!(last["leaked"], 0);
    assert_eq!(last["results"]["items"], N);
    eprintln!(
        "proclab check: {} events, {puts} queue_put, {gets} queue_get, leaked 0",
        stdout.lines().count()
    );
}

fn bench_queue(c: &mut Criterion) {
    let mut group = c.benchmark_group(GROUP);
    group.throughput(Throughput::Elements(N));
    // A run takes 0.1–0.3 s: flat sampling (the same number of runs in every sample)
    // is criterion's mode for long routines, and its estimate is the mean.
    group.sampling_mode(SamplingMode::Flat);

    let bin = proclab_bin();
    if bin.exists() {
        warn_if_stale(&bin);
        check_proclab_run(&bin);
        let args = proclab_args();
        group.bench_function("proclab", |b| {
            b.iter(|| {
                let status = Command::new(&bin)
                    .args(&args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .status()
                    .expect("running proclab");
                assert!(status.success(), "proclab failed: {status:?}");
            })
        });
    } else {
        eprintln!(
            "skipping proclab: {} is missing; run `cargo build --release` first",
            bin.display()
        );
    }

    if Path::new(PYTHON).exists() {
        let script =
            std::env::temp_dir().join(format!("proclab-bench-queue-{}.py", std::process::id()));
        std::fs::write(&script, SCRIPT).expect("writing the CPython script");
        let n = N.to_string();
        group.bench_function("cpython", |b| {
            b.iter(|| {
                let status = Command::new(PYTHON)
                    .arg(&script)
                    .arg(&n)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .status()
                    .expect("running python3");
                assert!(status.success(), "the CPython program failed: {status:?}");
            })
        });
        let _ = std::fs::remove_file(&script);
    } else {
        eprintln!("skipping cpython: {PYTHON} is missing");
    }
    group.finish();
}

/// The time of one run from criterion's estimates, if this run (started at
/// `since`) measured it.
fn run_ns(id: &str, since: SystemTime) -> Option<f64> {
    let home = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("criterion"))
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion"));
    let path = home.join(GROUP).join(id).join("new/estimates.json");
    let written = path.metadata().and_then(|m| m.modified()).ok()?;
    if written < since {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    // The slope where criterion fitted one (linear sampling), else the mean: the
    // figure it prints as `time`.
    v["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| v["mean"]["point_estimate"].as_f64())
}

fn report_ratio(since: SystemTime) {
    let (Some(proclab), Some(cpython)) = (run_ns("proclab", since), run_ns("cpython", since))
    else {
        eprintln!("no ratio: one side was skipped or filtered out");
        return;
    };
    let rate = |ns: f64| N as f64 / (ns / 1e9);
    let ratio = cpython / proclab;
    println!();
    println!(
        "queue, {N} items: proclab {:.0} items/s ({:.1} ms a run), CPython {:.0} items/s ({:.1} ms a run)",
        rate(proclab),
        proclab / 1e6,
        rate(cpython),
        cpython / 1e6
    );
    println!(
        "proclab / CPython throughput: {ratio:.2}x (goal: at least 2x) -> {}",
        if ratio >= 2.0 { "met" } else { "NOT met" }
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench_queue
}

fn main() {
    let started = SystemTime::now();
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only a real measurement (`cargo bench` passes --bench) leaves fresh estimates;
    // `cargo test --benches` runs each routine once and measures nothing.
    if std::env::args().any(|a| a == "--bench") {
        report_ratio(started);
    }
}
