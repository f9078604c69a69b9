//! What the TUI costs while nothing happens, beside `top` watching the same processes.
//!
//! Starts `target/release/proclab lesson zombie` in a pseudo-terminal (200×60), waits
//! until the run is held at its first step (the runner asleep on the control block's
//! futex), then starts `top -d 0.2 -p <the run's PIDs>` in a second PTY of the same size
//! and, over the same window (10 s; `IDLE_SECS` to change it), reads the CPU time each
//! used from /proc: the sum of every thread's `schedstat` run time (nanoseconds), with
//! the process's utime+stime (clock ticks) as a cross-check, and the context switches
//! (wake-ups) of all threads. Prints CPU % of one core for both and the ratio.
//!
//! The goal: the front end showing a sleeping run uses at most 1 % of one core. Every
//! process the bench starts carries a tag in its environment; on every way out (also a
//! panic) they are asked to quit, then killed, and any tagged process left is killed
//! and reported.
//!
//! `harness = false`, no criterion: one long measurement, not a loop. Under `cargo
//! test --benches` (no `--bench` argument) it only says how to run it.

#![allow(
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    reason = "bench arithmetic: counts and durations turned into rates and ratios to print, all far below where the casts lose anything"
)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const TAG_VAR: &str = "PROCLAB_TEST_TAG";
const COLS: u16 = 200;
const ROWS: u16 = 60;
const TOP: &str = "top";

fn proclab_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/proclab")
}

/// One program on the slave side of a PTY, its output drained (and counted) on a thread.
struct Pty {
    what: &'static str,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    pid: i32,
    bytes: Arc<AtomicUsize>,
}

impl Pty {
    fn spawn(what: &'static str, program: &Path, args: &[&str], tag: &str) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env_remove("LC_ALL");
        cmd.env(TAG_VAR, tag);
        let child = pair.slave.spawn_command(cmd).expect("spawning in the PTY");
        let pid = child.process_id().expect("a PID") as i32;
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("PTY reader");
        let writer = pair.master.take_writer().expect("PTY writer");
        let bytes = Arc::new(AtomicUsize::new(0));
        let count = bytes.clone();
        thread::spawn(move || {
            let mut chunk = [0u8; 16384];
            while let Ok(n @ 1..) = reader.read(&mut chunk) {
                count.fetch_add(n, Ordering::Relaxed);
            }
        });
        Pty {
            what,
            master: pair.master,
            writer,
            child,
            pid,
            bytes,
        }
    }

    /// Asks the program to quit (`q`), then kills it if it has not within 3 s.
    fn finish(&mut self) {
        let _ = self.writer.write_all(b"q");
        let _ = self.writer.flush();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{} did not quit on q: killing it", self.what);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        self.finish();
        let _ = &self.master;
    }
}

/// Kills (SIGKILL, by PID) and reports any process still carrying `tag`, after giving
/// the run a second to end by itself.
struct Leftovers(String);

impl Drop for Leftovers {
    fn drop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut left = tagged_pids(&self.0);
        while !left.is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
            left = tagged_pids(&self.0);
        }
        for pid in &left {
            eprintln!("leftover process {pid} of the bench: killing it");
            // SAFETY: kill(2) with integers; the PID carries our tag, so it is ours.
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
        if left.is_empty() {
            eprintln!("no process of the bench left behind");
        }
    }
}

fn unique_tag() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("idle-cost-{}-{nanos}", std::process::id())
}

/// Live processes whose environment holds `TAG_VAR=tag`.
fn tagged_pids(tag: &str) -> Vec<i32> {
    let needle = format!("{TAG_VAR}={tag}");
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Ok(env) = std::fs::read(format!("/proc/{pid}/environ"))
            && env.split(|b| *b == 0).any(|e| e == needle.as_bytes())
        {
            pids.push(pid);
        }
    }
    pids.sort_unstable();
    pids
}

/// The fields of /proc/PID/stat after the command name.
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(String::from).collect())
}

fn ppid(pid: i32) -> Option<i32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

fn wchan(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default()
}

/// What one process has used so far.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    /// Sum of every live thread's run time (schedstat), ns.
    run_ns: u64,
    /// utime + stime of the whole process (dead threads included), clock ticks.
    ticks: u64,
    /// Voluntary + involuntary context switches of every live thread.
    switches: u64,
    threads: usize,
}

fn usage(pid: i32) -> Usage {
    let mut u = Usage::default();
    if let Some(f) = stat_fields(pid) {
        let n = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        u.ticks = n(11) + n(12);
    }
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let dir = task.path();
        u.threads += 1;
        if let Ok(s) = std::fs::read_to_string(dir.join("schedstat")) {
            u.run_ns += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
        if let Ok(s) = std::fs::read_to_string(dir.join("status")) {
            for line in s.lines() {
                if let Some(v) = line
                    .strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
                {
                    u.switches += v.trim().parse::<u64>().unwrap_or(0);
                }
            }
        }
    }
    u
}

/// Each live thread's run time (schedstat, ns), by thread id.
fn thread_run_ns(pid: i32) -> Vec<(i32, u64)> {
    let mut all: Vec<(i32, u64)> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|t| {
            let tid = t.file_name().to_str()?.parse().ok()?;
            let s = std::fs::read_to_string(t.path().join("schedstat")).ok()?;
            Some((tid, s.split_whitespace().next()?.parse().ok()?))
        })
        .collect();
    all.sort_unstable();
    all
}

fn hz() -> f64 {
    // SAFETY: sysconf reads a constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

struct Share {
    cpu_pct: f64,
    ticks_pct: f64,
    wakeups_per_s: f64,
    bytes_per_s: f64,
    threads: usize,
}

fn share(before: Usage, after: Usage, bytes: usize, secs: f64) -> Share {
    Share {
        cpu_pct: after.run_ns.saturating_sub(before.run_ns) as f64 / 1e9 / secs * 100.0,
        ticks_pct: after.ticks.saturating_sub(before.ticks) as f64 / hz() / secs * 100.0,
        wakeups_per_s: after.switches.saturating_sub(before.switches) as f64 / secs,
        bytes_per_s: bytes as f64 / secs,
        threads: after.threads,
    }
}

fn wait_until(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        thread::sleep(Duration::from_millis(50));
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("idle_cost measures for ~15 s: run it with `cargo bench --bench idle_cost`");
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
    let has_top = std::process::Command::new(TOP)
        .arg("-v")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_top {
        eprintln!("skipping: `{TOP}` (procps) is not on the PATH");
        return;
    }
    let secs: f64 = std::env::var("IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let tag = unique_tag();
    let _leftovers = Leftovers(tag.clone());

    let front = Pty::spawn("proclab", &bin, &["lesson", "zombie"], &tag);
    // Held: the runner (the front end's child) exists and sleeps on the control
    // block's futex at the lesson's first step.
    let mut runner = 0;
    wait_until(
        "the run held at its first step",
        Duration::from_secs(15),
        || {
            runner = tagged_pids(&tag)
                .into_iter()
                .find(|p| ppid(*p) == Some(front.pid))
                .unwrap_or(0);
            runner != 0 && wchan(runner).starts_with("futex")
        },
    );
    let run_pids: Vec<i32> = tagged_pids(&tag)
        .into_iter()
        .filter(|p| *p != front.pid)
        .collect();
    let list = run_pids
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let top = Pty::spawn("top", Path::new(TOP), &["-d", "0.2", "-p", &list], &tag);
    // Both past their start-up (the front end's first frames, top's first screens).
    thread::sleep(Duration::from_millis(1500));

    let (fe0, top0, run0) = (usage(front.pid), usage(top.pid), usage(runner));
    let threads0 = thread_run_ns(front.pid);
    let (fe_b0, top_b0) = (
        front.bytes.load(Ordering::Relaxed),
        top.bytes.load(Ordering::Relaxed),
    );
    let t0 = Instant::now();
    thread::sleep(Duration::from_secs_f64(secs));
    let (fe1, top1, run1) = (usage(front.pid), usage(top.pid), usage(runner));
    let wall = t0.elapsed().as_secs_f64();
    let threads1 = thread_run_ns(front.pid);
    let fe = share(fe0, fe1, front.bytes.load(Ordering::Relaxed) - fe_b0, wall);
    let tp = share(top0, top1, top.bytes.load(Ordering::Relaxed) - top_b0, wall);
    let rn = share(run0, run1, 0, wall);
    let still_held = wchan(runner).starts_with("futex");

    println!();
    println!(
        "idle cost over {wall:.1} s, 200x60 PTY, `proclab lesson zombie` held at its first step (run PIDs {list}):"
    );
    println!(
        "  {:<34} {:>9} {:>11} {:>10} {:>10} {:>8}",
        "", "CPU %", "(ticks) %", "wakeups/s", "bytes/s", "threads"
    );
    for (name, s) in [
        ("proclab front end (all threads)", &fe),
        ("top -d 0.2 -p <run PIDs>", &tp),
        ("proclab runner (held)", &rn),
    ] {
        println!(
            "  {name:<34} {:>9.3} {:>11.2} {:>10.1} {:>10.0} {:>8}",
            s.cpu_pct, s.ticks_pct, s.wakeups_per_s, s.bytes_per_s, s.threads
        );
    }
    println!(
        "front end / top: {:.2}x the CPU (goal: the front end at most 1% of one core) -> {}",
        fe.cpu_pct / tp.cpu_pct.max(1e-9),
        if fe.cpu_pct <= 1.0 { "met" } else { "NOT met" }
    );
    // Threads in creation order: main, then (in a run) input, reader, stderr, observer.
    let per_thread: Vec<String> = threads1
        .iter()
        .map(|(tid, ns)| {
            let before = threads0
                .iter()
                .find(|(t, _)| t == tid)
                .map_or(0, |(_, b)| *b);
            format!(
                "{tid}: {:.3}%",
                ns.saturating_sub(before) as f64 / 1e9 / wall * 100.0
            )
        })
        .collect();
    println!(
        "  front end by thread (tid order): {}",
        per_thread.join(", ")
    );
    if !still_held {
        println!("warning: the runner was no longer held at the end of the window");
    }
    drop(top);
    drop(front);
}
