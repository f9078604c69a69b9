//! Two processes really run in parallel: `proclab run pi --json --set sweep=true --set
//! workers=2` sums the series once with 1 worker and once with 2, and the 2-worker run
//! must be at least 1.6 times as fast (the ideal on 2 cores is 2).
//!
//! A timing test is only as reliable as the machine is quiet, so this is the only test
//! in its binary: `cargo test` runs test binaries one after another, so nothing else of
//! the suite runs while it measures (tests inside one binary would run in parallel
//! threads and steal the cores it measures). The terms are chosen so the 1-worker run
//! takes ~1.5 s in the debug build the tests use: long enough that forks, pipes and the
//! observer's sampling are noise, short enough to keep the file at ~2.5 s.
//!
//! What else runs on the machine still counts. So the test reads the 1-minute load
//! average first, and measures the CPU time other programs took during the run (the
//! machine's busy time from /proc/stat minus what this test's process tree used). If
//! the speedup falls short while that load was above 0.5 or others took more than
//! 0.2 CPU-seconds, the shortfall may be someone else's doing: the test pauses until
//! the CPUs are idle (or 20 s passed) and retries once, and only that second run
//! decides; if others took the CPUs during the retry as well, the test does not judge
//! and says so as SKIPPED on the real stderr (visible in `cargo test`'s output, not
//! a silent green). On a machine that was quiet, a shortfall fails at once: then
//! proclab's workers did not run side by side. A machine with a single CPU cannot show a
//! speedup; there the test is reported skipped too.

#![allow(
    clippy::cast_precision_loss,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

mod common;

use std::time::{Duration, Instant};

use common::{assert_no_tagged_left, parse_wire, report_skipped, run_proclab, unique_tag};

const TEST: &str = "cpu_speedup::two_workers_are_nearly_twice_as_fast_as_one";
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;

/// The speedup two workers must reach.
const WANT: f64 = 1.6;
/// Terms for ~1.5 s with one worker in a debug build (~6 ns a term).
const TERMS: u64 = 250_000_000;
/// Above this 1-minute load average, a short speedup earns one retry…
const BUSY_LOAD: f64 = 0.5;
/// … and so it does when other programs used more CPU-seconds than this during it.
const FOREIGN_CPU: f64 = 0.2;
/// The retry waits until the CPUs are this idle over a second (share of all CPUs
/// busy), at least PAUSE_MIN and at most PAUSE_MAX.
const QUIET_SHARE: f64 = 0.1;
const PAUSE_MIN: Duration = Duration::from_secs(3);
const PAUSE_MAX: Duration = Duration::from_secs(20);
const TIMEOUT: Duration = Duration::from_secs(60);

/// The 1-minute load average.
fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// CPU-seconds used by the children this process has reaped, and by theirs: every
/// process of a finished proclab run (each parent reaps its children).
fn reaped_cpu() -> f64 {
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let secs = |t: TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(u.user_time()) + secs(u.system_time())
}

/// Clock ticks per second, the unit of /proc/stat.
fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// `(busy, total)` jiffies of all CPUs, from the first line of /proc/stat.
fn cpu_jiffies() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    // idle and iowait are the 4th and 5th fields.
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// The share of all CPUs busy over the next `window`.
fn busy_share(window: Duration) -> f64 {
    let (b0, t0) = cpu_jiffies();
    std::thread::sleep(window);
    let (b1, t1) = cpu_jiffies();
    if t1 <= t0 {
        return 0.0;
    }
    (b1 - b0) as f64 / (t1 - t0) as f64
}

/// Waits at least PAUSE_MIN, then until a second passes with the CPUs quiet or
/// PAUSE_MAX is reached; returns the last busy share seen.
fn pause_for_quiet() -> f64 {
    let started = Instant::now();
    std::thread::sleep(PAUSE_MIN);
    loop {
        let share = busy_share(Duration::from_secs(1));
        if share <= QUIET_SHARE || started.elapsed() >= PAUSE_MAX {
            return share;
        }
    }
}

struct Sweep {
    time_1: f64,
    time_2: f64,
    speedup_2: f64,
    /// CPU-seconds other programs used while it ran.
    foreign_cpu: f64,
}

/// One sweep with 1 and 2 workers, checked for what every run must show.
fn sweep() -> Sweep {
    let terms = format!("terms={TERMS}");
    let args = [
        "run",
        "pi",
        "--json",
        "--set",
        "sweep=true",
        "--set",
        "workers=2",
        "--set",
        &terms,
    ];
    let tag = unique_tag("cpu-speedup");
    let (cpu_before, (busy_before, _)) = (reaped_cpu(), cpu_jiffies());
    let out = run_proclab(&tag, &args, TIMEOUT);
    let machine = (cpu_jiffies().0 - busy_before) as f64 / clock_ticks();
    let foreign_cpu = (machine - (reaped_cpu() - cpu_before)).max(0.0);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "exit {:?}, stderr:\n{}",
        out.status,
        out.stderr
    );
    let events = parse_wire(&out.stdout);
    assert_no_tagged_left(&tag);
    let summary = events.last().expect("some events");
    let ctx = || {
        events
            .iter()
            .filter(|e| e["kind"] != "progress" && e["kind"] != "state")
            .map(|e| format!("{e}\n"))
            .collect::<String>()
    };
    assert_eq!(summary["kind"], "summary", "{}", ctx());
    assert_eq!(summary["leaked"], 0, "{}", ctx());
    // Main, then one worker, then two more: four processes.
    assert_eq!(summary["processes"], 4, "{}", ctx());
    let number = |name: &str| {
        summary["results"][name]
            .as_f64()
            .unwrap_or_else(|| panic!("no result {name} {}", ctx()))
    };
    let prints: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "print")
        .filter_map(|e| e["text"].as_str())
        .collect();
    for n in [1, 2] {
        let line = prints
            .iter()
            .find(|p| p.starts_with(&format!("workers={n} pi=")))
            .unwrap_or_else(|| panic!("no line for {n} workers {}", ctx()));
        let pi: f64 = line
            .split_once("pi=")
            .and_then(|(_, r)| r.split_whitespace().next()?.parse().ok())
            .expect("pi=…");
        // The slices' sums are added in another order, so the last digits differ.
        assert!((pi - std::f64::consts::PI).abs() < 1e-7, "{line} {}", ctx());
    }
    let sends = events.iter().filter(|e| e["kind"] == "send").count();
    assert_eq!(sends, 3, "1 + 2 partial sums {}", ctx());
    Sweep {
        time_1: number("time_1"),
        time_2: number("time_2"),
        speedup_2: number("speedup_2"),
        foreign_cpu,
    }
}

#[test]
fn two_workers_are_nearly_twice_as_fast_as_one() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = load1();
    let first = sweep();
    eprintln!(
        "{cpus} CPUs, 1-minute load {load:.2}: 1 worker {:.3} s, 2 workers {:.3} s, \
         speedup {:.2}; others used {:.2} CPU-s meanwhile",
        first.time_1, first.time_2, first.speedup_2, first.foreign_cpu
    );
    if cpus < 2 {
        report_skipped(TEST, "a single CPU cannot run two workers at once");
        return;
    }
    if first.speedup_2 >= WANT {
        return;
    }
    assert!(
        load > BUSY_LOAD || first.foreign_cpu > FOREIGN_CPU,
        "speedup_2 = {:.2} < {WANT} on a quiet machine (1-minute load {load:.2}, others \
         used {:.2} CPU-s during the run): 1 worker {:.3} s, 2 workers {:.3} s",
        first.speedup_2,
        first.foreign_cpu,
        first.time_1,
        first.time_2
    );
    let share = pause_for_quiet();
    let load_again = load1();
    let second = sweep();
    eprintln!(
        "retry (CPUs {:.0}% busy before it, load {load_again:.2}): 1 worker {:.3} s, \
         2 workers {:.3} s, speedup {:.2}; others used {:.2} CPU-s meanwhile",
        share * 100.0,
        second.time_1,
        second.time_2,
        second.speedup_2,
        second.foreign_cpu
    );
    if second.speedup_2 < WANT && second.foreign_cpu > FOREIGN_CPU {
        // Busy twice: this machine cannot tell now. The check still fails on any run
        // that was quiet, which is the case it exists for.
        report_skipped(
            TEST,
            &format!(
                "not judged: speedup {:.2} then {:.2}, and other programs used {:.2} \
                 CPU-s during the retry too",
                first.speedup_2, second.speedup_2, second.foreign_cpu
            ),
        );
        return;
    }
    assert!(
        second.speedup_2 >= WANT,
        "speedup_2 < {WANT} twice: {:.2} (1-minute load {load:.2}), then {:.2} after a \
         pause (CPUs {:.0}% busy just before, load {load_again:.2}, others used {:.2} \
         CPU-s during it). Either other programs kept the CPUs busy or the workers do \
         not run side by side.",
        first.speedup_2,
        second.speedup_2,
        share * 100.0,
        second.foreign_cpu
    );
}
