//! The pi run beside the same program under CPython: pi = sqrt(8 · Σ 1/(2k+1)²) over
//! 10,000,000 terms, split into 10 slices, one process each, the partial sums added at
//! the end in slice order.
//!
//! - proclab: `target/release/proclab run pi --json --speed 1000` (defaults: 10 workers,
//!   10 M terms; every event emitted, progress included).
//! - CPython: a script this bench writes to a temp file: `multiprocessing` (fork
//!   context), 10 `Process`es, each sending `(slice, partial sum)` on a `Queue`; main
//!   gets the 10 sums, joins, prints pi.
//!
//! Both are timed as whole programs (interpreter or front end start-up, every fork,
//! the sum, the exit), alternating, `PI_ROUNDS` rounds (default 3) after one untimed
//! warm-up of each; both must print pi = 3.14159262176 (12 digits). Each side's own
//! compute time (fork of the first worker to the last partial sum) is shown too. The
//! ratio is CPython's time over proclab's. `harness = false`, no criterion: a CPython
//! run takes about a second. Under `cargo test --benches` (no `--bench` argument) it
//! only says how to run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PYTHON: &str = "/usr/bin/python3";
const WORKERS: u32 = 10;
const TERMS: u64 = 10_000_000;
const EXPECTED: &str = "3.14159262176";

const SCRIPT: &str = r#"import math
import multiprocessing as mp
import sys
import time


def partial(i, n, terms, q):
    size = terms // n
    start = i * size
    end = terms if i == n - 1 else start + size
    s = 0.0
    for k in range(start, end):
        d = 2 * k + 1
        s += 1.0 / (d * d)
    q.put((i, s))


if __name__ == "__main__":
    workers, terms = int(sys.argv[1]), int(sys.argv[2])
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    t0 = time.perf_counter()
    procs = [ctx.Process(target=partial, args=(i, workers, terms, q)) for i in range(workers)]
    for p in procs:
        p.start()
    parts = dict(q.get() for _ in procs)
    for p in procs:
        p.join()
    seconds = time.perf_counter() - t0
    pi = math.sqrt(8 * sum(parts[i] for i in range(workers)))
    print(f"pi = {pi:.11f}")
    print(f"seconds = {seconds:.6f}")
    sys.exit(0 if all(p.exitcode == 0 for p in procs) else 1)
"#;

fn proclab_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/proclab")
}

/// One timed run: the whole program's wall time, pi to 11 decimals, its compute time.
struct Run {
    wall: Duration,
    pi: String,
    compute_s: f64,
}

fn run_proclab(bin: &Path) -> Run {
    let t0 = Instant::now();
    let out = Command::new(bin)
        .args(["run", "pi", "--json", "--speed", "1000"])
        .stdin(Stdio::null())
        .output()
        .expect("running proclab");
    let wall = t0.elapsed();
    assert!(out.status.success(), "proclab failed: {:?}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().expect("some output");
    let summary: serde_json::Value = serde_json::from_str(last).expect("a JSON line");
    assert_eq!(summary["kind"], "summary", "the summary comes last");
    assert_eq!(summary["leaked"], 0);
    assert_eq!(summary["processes"], WORKERS + 1);
    Run {
        wall,
        pi: format!("{:.11}", summary["results"]["pi"].as_f64().expect("a pi")),
        compute_s: summary["results"]["seconds"].as_f64().unwrap_or(f64::NAN),
    }
}

fn run_cpython(script: &Path) -> Run {
    let t0 = Instant::now();
    let out = Command::new(PYTHON)
        .arg(script)
        .args([WORKERS.to_string(), TERMS.to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("running python3");
    let wall = t0.elapsed();
    assert!(out.status.success(), "the CPython program failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .expect("a field of the CPython output")
    };
    Run {
        wall,
        pi: field("pi = "),
        compute_s: field("seconds = ").parse().unwrap_or(f64::NAN),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("pi_vs_cpython runs real programs: `cargo bench --bench pi_vs_cpython`");
        return;
    }
    let bin = proclab_bin();
    if !bin.exists() {
        eprintln!(
            "skipping: {} is missing; run `cargo build --release` first",
            bin.display()
        );
        return;
    }
    if !Path::new(PYTHON).exists() {
        eprintln!("skipping: {PYTHON} is missing");
        return;
    }
    let rounds: usize = std::env::var("PI_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let script = std::env::temp_dir().join(format!("proclab-bench-pi-{}.py", std::process::id()));
    std::fs::write(&script, SCRIPT).expect("writing the CPython script");

    // Warm-up (page cache, CPU frequency), untimed.
    let _ = run_proclab(&bin);
    let _ = run_cpython(&script);

    println!();
    println!("pi, {TERMS} terms, {WORKERS} worker processes; whole program (compute only):");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let p = run_proclab(&bin);
        let c = run_cpython(&script);
        assert_eq!(p.pi, EXPECTED, "proclab's pi");
        assert_eq!(c.pi, EXPECTED, "CPython's pi");
        let (pw, cw) = (p.wall.as_secs_f64(), c.wall.as_secs_f64());
        println!(
            "  round {round}: proclab {:.1} ms ({:.1} ms), CPython {:.1} ms ({:.1} ms): {:.1}x  pi = {} / {}",
            pw * 1e3,
            p.compute_s * 1e3,
            cw * 1e3,
            c.compute_s * 1e3,
            cw / pw,
            p.pi,
            c.pi
        );
        ours.push((pw, p.compute_s));
        theirs.push((cw, c.compute_s));
    }
    let _ = std::fs::remove_file(&script);
    let pw = median(ours.iter().map(|r| r.0).collect());
    let cw = median(theirs.iter().map(|r| r.0).collect());
    let pc = median(ours.iter().map(|r| r.1).collect());
    let cc = median(theirs.iter().map(|r| r.1).collect());
    println!(
        "median of {rounds}: proclab {:.1} ms, CPython {:.1} ms -> proclab is {:.1}x as fast (compute only: {:.1} ms vs {:.1} ms, {:.1}x); both print pi = {EXPECTED}",
        pw * 1e3,
        cw * 1e3,
        cw / pw,
        pc * 1e3,
        cc * 1e3,
        cc / pc
    );
}
