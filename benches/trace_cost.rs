//! What `proclab trace` costs a program, beside `strace -f`: four Python programs (the
//! bench writes them to a temp dir), each timed as a whole program three ways,
//! alternating run by run (bare, trace, strace, bare, trace, …):
//!
//! - bare: `/usr/bin/python3 prog.py`;
//! - trace: `proclab trace --json -- /usr/bin/python3 prog.py` (the wire to /dev/null);
//! - strace: `strace -f -o /dev/null /usr/bin/python3 prog.py` (skipped, with a note,
//!   without `strace`).
//!
//! The programs (fork start method throughout):
//!
//! 1. `queue`: one producer process puts 0..19999 then `None` on a
//!    `multiprocessing.Queue`; the parent gets them all and prints the sum. Goal: trace
//!    ≤ 3× bare, with every item decoded (checked: 20,000 `recv` of the items, their
//!    sum, and the `None`).
//! 2. `forks`: 200 children forked one by one, each `os._exit(2)`, reaped at once with
//!    `os.waitpid`; prints the sum of exit codes (400). Goal ≤ 1.5× (checked: 200
//!    `reap`s by the program, code 2).
//! 3. `manager`: a `Manager`'s `Value('i', 0)` and `Lock()`, 2 workers each doing 1,500
//!    `with lock: num.value += 1`; prints 3000. Goal ≤ 1.5×, its calls shown (checked:
//!    every `acquire`, `get`, `set`, `release` call sent on the manager's sockets).
//! 4. `pi`: `Pool(2)`, the Leibniz series over 4,000,000 terms in 4 chunks; prints the
//!    result. Goal ≤ 1.05×.
//!
//! One untimed run of each side first checks the output (and the trace's events);
//! then `TRACE_ROUNDS` rounds (default 5). Per program it prints each side's median wall
//! time, the ratios trace/bare and strace/bare (of the medians), the goal, and the CPU
//! time of each side's whole process tree (the bench's `RUSAGE_CHILDREN` delta around
//! the run: the program and, under trace or strace, the tracer too; the tracer's own
//! share is not separable from the kernel work its stops add to the program, so the
//! difference is shown as what tracing adds in CPU).
//!
//! The binary: `PROCLAB_BIN` if set, else `target/release/proclab` under the package
//! (as the other benches); skipped with a message if missing, with a warning if it is
//! older than `src/`. `harness = false`, no criterion. Under `cargo test --benches` (no
//! `--bench` argument) it only says how to run it.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "bench arithmetic: counts and durations turned into rates and ratios to print, all far below where the casts lose anything"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

const PYTHON: &str = "/usr/bin/python3";
const STRACE: &str = "strace";

const QUEUE_ITEMS: u64 = 20_000;
const QUEUE: &str = r#"import multiprocessing as mp

N = 20_000


def produce(q):
    for i in range(N):
        q.put(i)
    q.put(None)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=produce, args=(q,))
    p.start()
    total = 0
    while True:
        item = q.get()
        if item is None:
            break
        total += item
    p.join()
    print(total)
"#;

const FORKS: u64 = 200;
/// `os.fork` itself: no `multiprocessing` here.
const FORKS_PY: &str = r#"import os

total = 0
for _ in range(200):
    pid = os.fork()
    if pid == 0:
        os._exit(2)
    _, status = os.waitpid(pid, 0)
    total += os.waitstatus_to_exitcode(status)
print(total)
"#;

const MANAGER_INCREMENTS: usize = 3000;
const MANAGER: &str = r#"import multiprocessing as mp


def work(num, lock, n):
    for _ in range(n):
        with lock:
            num.value += 1


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    with ctx.Manager() as manager:
        num = manager.Value("i", 0)
        lock = manager.Lock()
        workers = [ctx.Process(target=work, args=(num, lock, 1500)) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(num.value)
"#;

const PI: &str = r#"import multiprocessing as mp

TERMS = 4_000_000
CHUNKS = 4


def partial(chunk):
    size = TERMS // CHUNKS
    s = 0.0
    for k in range(chunk * size, (chunk + 1) * size):
        s += (-1.0 if k % 2 else 1.0) / (2 * k + 1)
    return s


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        parts = pool.map(partial, range(CHUNKS))
    print(f"{4 * sum(parts):.10f}")
"#;

struct Program {
    name: &'static str,
    /// Not a stdlib module's name: the script's directory comes first on `sys.path`.
    file: &'static str,
    source: &'static str,
    /// What it prints (one line).
    prints: &'static str,
    goal: f64,
    /// What the trace must show, checked on one run; returns what it found.
    check: fn(&[Value], i32) -> Result<String, String>,
}

const PROGRAMS: [Program; 4] = [
    Program {
        name: "queue: 20,000 items, 1 producer",
        file: "tc_queue.py",
        source: QUEUE,
        prints: "199990000",
        goal: 3.0,
        check: check_queue,
    },
    Program {
        name: "forks: 200 fork + _exit(2) + waitpid",
        file: "tc_forks.py",
        source: FORKS_PY,
        prints: "400",
        goal: 1.5,
        check: check_forks,
    },
    Program {
        name: "manager: Value + Lock, 2 x 1,500 increments",
        file: "tc_manager.py",
        source: MANAGER,
        prints: "3000",
        goal: 1.5,
        check: check_manager,
    },
    Program {
        name: "pi: Pool(2), 4 M terms in 4 chunks",
        file: "tc_pi.py",
        source: PI,
        prints: "3.1415924036",
        goal: 1.05,
        check: check_pi,
    },
];

fn kind(e: &Value) -> &str {
    e["kind"].as_str().unwrap_or("")
}

/// Every item decoded: 20,000 `recv`s by the parent of the integers 0..19999 (their
/// sum checked), and the `None`.
fn check_queue(events: &[Value], main: i32) -> Result<String, String> {
    let (mut n, mut sum, mut none) = (0u64, 0u64, 0u64);
    for e in events
        .iter()
        .filter(|e| kind(e) == "recv" && e["pid"] == main)
    {
        match &e["item"] {
            Value::Number(x) if x.as_u64().is_some() => {
                n += 1;
                sum += x.as_u64().unwrap_or(0);
            }
            Value::Null => none += 1,
            _ => {}
        }
    }
    let want_sum = QUEUE_ITEMS * (QUEUE_ITEMS - 1) / 2;
    if n == QUEUE_ITEMS && sum == want_sum && none == 1 {
        Ok(format!(
            "{n} recv of the items by the parent (sum {sum}) and the None"
        ))
    } else {
        Err(format!(
            "want {QUEUE_ITEMS} recv (sum {want_sum}) and 1 None; got {n} (sum {sum}) and {none}"
        ))
    }
}

/// 200 `reap`s by the program itself (not the tracer), each of an exit code 2.
fn check_forks(events: &[Value], main: i32) -> Result<String, String> {
    let reaps: Vec<&Value> = events
        .iter()
        .filter(|e| kind(e) == "reap" && e["pid"] == main)
        .collect();
    let twos = reaps.iter().filter(|e| e["code"] == 2).count() as u64;
    if twos == FORKS && reaps.len() as u64 == FORKS {
        Ok(format!("{twos} reap by the program, each code 2"))
    } else {
        Err(format!(
            "want {FORKS} reaps (code 2) by pid {main}; got {} ({twos} of code 2)",
            reaps.len()
        ))
    }
}

/// The manager's calls shown: each `acquire`, `get`, `set`, `release` sent on a socket
/// to the manager, decoded and named as the program wrote them (`Lock#…acquire()`,
/// `Value#….value`, `Value#….value = n`, `Lock#….release()`): 3,000 of each from the
/// workers, and one more `get`, the parent's final `num.value`.
fn check_manager(events: &[Value], _main: i32) -> Result<String, String> {
    let methods = ["acquire", "get", "set", "release"];
    let want = [
        MANAGER_INCREMENTS,
        MANAGER_INCREMENTS + 1,
        MANAGER_INCREMENTS,
        MANAGER_INCREMENTS,
    ];
    let mut counts = [0usize; 4];
    for e in events.iter().filter(|e| {
        kind(e) == "send"
            && e["channel"]
                .as_str()
                .is_some_and(|c| c.starts_with("socket"))
    }) {
        let Some(repr) = e["repr"].as_str() else {
            continue;
        };
        let called = [
            repr.starts_with("Lock#") && repr.ends_with(".acquire()"),
            repr.starts_with("Value#") && repr.ends_with(".value"),
            repr.starts_with("Value#") && repr.contains(".value = "),
            repr.starts_with("Lock#") && repr.ends_with(".release()"),
        ];
        for (i, hit) in called.iter().enumerate() {
            counts[i] += usize::from(*hit);
        }
    }
    let list = |c: [usize; 4]| {
        methods
            .iter()
            .zip(c)
            .map(|(m, c)| format!("{c} {m}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if counts == want {
        Ok(format!("calls sent to the manager: {}", list(counts)))
    } else {
        Err(format!("want {}; got {}", list(want), list(counts)))
    }
}

/// The pool's traffic shown: the 4 partial sums come back decoded.
fn check_pi(events: &[Value], main: i32) -> Result<String, String> {
    let floats = events
        .iter()
        .filter(|e| kind(e) == "recv" && e["pid"] == main)
        .filter(|e| e["repr"].as_str().is_some_and(|r| r.contains("(True, [")))
        .count();
    if floats == 4 {
        Ok(format!("{floats} results recv by the parent"))
    } else {
        Err(format!(
            "want 4 results received by pid {main}; got {floats}"
        ))
    }
}

fn proclab_bin() -> PathBuf {
    std::env::var_os("PROCLAB_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/proclab"))
}

/// Warns when a source file is newer than the binary (it would time old code).
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

fn has_strace() -> bool {
    Command::new(STRACE)
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Bare,
    Trace,
    Strace,
}

fn command(side: Side, bin: &Path, script: &Path) -> Command {
    let mut c = match side {
        Side::Bare => Command::new(PYTHON),
        Side::Trace => {
            let mut c = Command::new(bin);
            c.args(["trace", "--json", "--", PYTHON]);
            c
        }
        Side::Strace => {
            let mut c = Command::new(STRACE);
            c.args(["-f", "-o", "/dev/null", PYTHON]);
            c
        }
    };
    c.arg(script).stdin(Stdio::null());
    c
}

/// CPU time (user + system, seconds) of every child this process has waited for.
fn children_cpu() -> f64 {
    // SAFETY: getrusage writes one rusage into the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// One timed run, stdout to /dev/null: wall time and the CPU time of its whole tree.
fn timed(side: Side, bin: &Path, script: &Path) -> (Duration, f64) {
    let cpu0 = children_cpu();
    let t0 = Instant::now();
    let status = command(side, bin, script)
        .stdout(Stdio::null())
        .status()
        .expect("starting a run");
    let wall = t0.elapsed();
    assert!(status.success(), "{} failed: {status:?}", script.display());
    (wall, children_cpu() - cpu0)
}

fn output(side: Side, bin: &Path, script: &Path) -> Output {
    let out = command(side, bin, script).output().expect("starting a run");
    assert!(
        out.status.success(),
        "{} failed: {:?}\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// One run of each side with the output kept: the program printed what it must, and
/// the trace shows what it must. Also the warm-up.
fn check(p: &Program, bin: &Path, script: &Path, strace: bool) {
    let bare = output(Side::Bare, bin, script);
    assert_eq!(
        String::from_utf8_lossy(&bare.stdout).trim(),
        p.prints,
        "{}: bare output",
        p.name
    );
    if strace {
        let s = output(Side::Strace, bin, script);
        assert_eq!(
            String::from_utf8_lossy(&s.stdout).trim(),
            p.prints,
            "{}: under strace",
            p.name
        );
    }
    let traced = output(Side::Trace, bin, script);
    let text = String::from_utf8_lossy(&traced.stdout);
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    // The program's main process: the one that printed the result.
    let main = events
        .iter()
        .find(|e| kind(e) == "print" && e["text"] == p.prints)
        .and_then(|e| e["pid"].as_i64())
        .unwrap_or_else(|| panic!("{}: no `print` of {} in the trace", p.name, p.prints))
        as i32;
    match (p.check)(&events, main) {
        Ok(found) => println!("  check: {} events; {found}", events.len()),
        Err(e) => panic!("{}: the trace is missing events: {e}", p.name),
    }
}

/// The programs' directory, removed on every way out (a failed check too).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!(
            "trace_cost runs real programs for ~2 min: `cargo build --release && cargo bench --bench trace_cost`"
        );
        return;
    }
    let bin = proclab_bin();
    if !bin.exists() {
        eprintln!(
            "skipping: {} is missing; run `cargo build --release` first (or set PROCLAB_BIN)",
            bin.display()
        );
        return;
    }
    warn_if_stale(&bin);
    if !Path::new(PYTHON).exists() {
        eprintln!("skipping: {PYTHON} is missing");
        return;
    }
    let strace = has_strace();
    if !strace {
        eprintln!("note: strace is not installed; its column is left out");
    }
    let rounds: usize = std::env::var("TRACE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let dir =
        TempDir(std::env::temp_dir().join(format!("proclab-bench-trace-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).expect("creating the temp dir");

    let mut sides = vec![Side::Bare, Side::Trace];
    if strace {
        sides.push(Side::Strace);
    }
    let mut summary = Vec::new();
    for p in &PROGRAMS {
        let script = dir.0.join(p.file);
        std::fs::write(&script, p.source).expect("writing a program");
        println!();
        println!(
            "{} ({rounds} rounds; wall ms, CPU ms of the whole tree)",
            p.name
        );
        check(p, &bin, &script, strace);
        // walls[side][round], cpus[side][round]
        let mut walls = vec![Vec::new(); 3];
        let mut cpus = vec![Vec::new(); 3];
        for round in 1..=rounds {
            let mut line = format!("  round {round}:");
            for &side in &sides {
                let (w, c) = timed(side, &bin, &script);
                let i = side as usize;
                walls[i].push(w.as_secs_f64());
                cpus[i].push(c);
                let label = ["bare", "trace", "strace"][i];
                line += &format!("  {label} {:.1} ({:.0})", w.as_secs_f64() * 1e3, c * 1e3);
            }
            println!("{line}");
        }
        let w: Vec<f64> = walls
            .iter()
            .map(|v| {
                if v.is_empty() {
                    f64::NAN
                } else {
                    median(v.clone())
                }
            })
            .collect();
        let c: Vec<f64> = cpus
            .iter()
            .map(|v| {
                if v.is_empty() {
                    f64::NAN
                } else {
                    median(v.clone())
                }
            })
            .collect();
        let ratio = w[1] / w[0];
        let met = if ratio <= p.goal { "met" } else { "NOT met" };
        println!(
            "  median: bare {:.1} ms, trace {:.1} ms, strace {:.1} ms",
            w[0] * 1e3,
            w[1] * 1e3,
            w[2] * 1e3
        );
        println!(
            "  trace/bare {:.2}x (goal <= {}x: {met}); strace/bare {:.2}x",
            ratio,
            p.goal,
            w[2] / w[0]
        );
        // Each round's own ratio (its sides ran back to back): steadier when the
        // machine's load drifts across the rounds.
        let paired = |i: usize| {
            if walls[i].is_empty() {
                return f64::NAN;
            }
            median(walls[i].iter().zip(&walls[0]).map(|(s, b)| s / b).collect())
        };
        println!(
            "  median of the per-round ratios: trace/bare {:.2}x, strace/bare {:.2}x",
            paired(1),
            paired(2)
        );
        println!(
            "  CPU of the tree (median): bare {:.0} ms, trace {:.0} ms (+{:.0} ms), strace {:.0} ms (+{:.0} ms)",
            c[0] * 1e3,
            c[1] * 1e3,
            (c[1] - c[0]) * 1e3,
            c[2] * 1e3,
            (c[2] - c[0]) * 1e3
        );
        summary.push((p.name, w, ratio, p.goal, met));
    }

    println!();
    println!("summary (median wall time of {rounds} rounds, ratios of the medians):");
    println!(
        "  {:<46} {:>9} {:>9} {:>9} {:>11} {:>12}",
        "program", "bare ms", "trace ms", "strace ms", "trace/bare", "strace/bare"
    );
    for (name, w, ratio, goal, met) in summary {
        println!(
            "  {:<46} {:>9.1} {:>9.1} {:>9.1} {:>10.2}x {:>11.2}x   goal <= {goal}x: {met}",
            name,
            w[0] * 1e3,
            w[1] * 1e3,
            w[2] * 1e3,
            ratio,
            w[2] / w[0]
        );
    }
}
