//! A fork refused at run time (the live-process cap in the control block, or EAGAIN
//! from the kernel) is a `fork_failed` event and a clean stop: the run ends on its own,
//! every process it created is reaped, nothing is left, and nothing retries.
//!
//! The command line refuses any params whose static peak passes the cap, so these
//! tests drive the runner directly (`proclab __runner`, as the front end spawns it)
//! with a control block whose cap is below the scenario's peak: the run-time guard
//! is then the only one.

mod common;

use std::os::unix::process::CommandExt;
use std::time::Duration;

use common::*;
use proclab::supervise::control::{Control, Settings};
use serde_json::Value;

/// Runs `scenario` in a runner spawned by this test with a cap of `cap` live processes
/// (main included); returns its exit status and events.
fn run_capped(scenario: &str, sets: &[&str], cap: u32) -> (Finished, Vec<Value>, String) {
    let tag = unique_tag(&format!("capped-{scenario}"));
    let control = Control::create(&Settings {
        speed: 1000.0,
        step_mode: false,
        cap,
        run_on: 0,
    })
    .expect("control block");
    let fd = control.raw_fd().expect("control fd");
    let me = std::process::id().to_string();
    let mut args = vec!["__runner", scenario, me.as_str()];
    args.extend(sets);
    let mut cmd = proclab(&tag, &args);
    cmd.process_group(0);
    // SAFETY: only async-signal-safe calls between fork and exec (as the front end).
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            );
            let ok = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0) == 0
            } else {
                libc::dup2(fd, 3) == 3
            };
            if ok {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let out = Running::spawn(cmd).finish(Duration::from_secs(30));
    drop(control);
    let events = parse_wire(&out.stdout);
    assert_no_tagged_left(&tag);
    (out, events, tag)
}

/// Every scenario, and a cap one or two short of what it needs.
const CASES: &[(&str, &[&str])] = &[
    ("fork-fanout", &["children=4", "break_in_child=false"]),
    ("zombie", &[]),
    ("signals", &[]),
    ("orphan", &[]),
    ("isolation", &[]),
    ("crash", &[]),
    ("queue", &["items=6"]),
    ("pipe", &[]),
    ("lock", &["increments=10"]),
    ("semaphore", &[]),
    ("event", &[]),
    ("pool", &["tasks=1000,1000,1000"]),
    ("pi", &["terms=1000000", "workers=3"]),
];

/// The run under a cap too small for it: it ends by itself (no hang, no retry), with
/// at most one `fork_failed` per process that tried, each the refusing process's last
/// fork; the refusing process raised (a traceback naming BlockingIOError) and ended;
/// every process the run created was reaped exactly once; the summary is last and
/// counts them; nothing is left in the process table.
fn refused_cleanly(scenario: &str, sets: &[&str], cap: u32) {
    let (out, events, _) = run_capped(scenario, sets, cap);
    let what = format!("{scenario} {sets:?} under a run-time cap of {cap}");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "[{what}] the runner ends by itself: {:?}\n{}",
        out.status,
        out.stderr
    );
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "fork_failed")
        .collect();
    let ctx = || format!("[{what}]\n{}", out.stdout);
    let summary = events.last().expect("events");
    assert_eq!(summary["kind"], "summary", "the summary is last {}", ctx());
    let processes = summary["processes"].as_u64().expect("processes");
    assert!(processes <= u64::from(cap), "never above the cap {}", ctx());
    if processes < u64::from(cap) {
        // The run never needed more than it had (e.g. zombie under 3): nothing refused.
        return;
    }
    let mut refusers = std::collections::BTreeSet::new();
    for f in &failed {
        assert!(
            refusers.insert(event_pid(f)),
            "a process retried a refused fork {}",
            ctx()
        );
        assert!(
            f["error"].as_str().is_some_and(|e| e.contains("cap of")),
            "{f} {}",
            ctx()
        );
        let pid = event_pid(f);
        let later: Vec<&Value> = events
            .iter()
            .skip_while(|e| !std::ptr::eq(*e, *f))
            .skip(1)
            .filter(|e| event_pid(e) == pid && e["kind"] != "print")
            .collect();
        assert!(
            later.iter().all(|e| matches!(
                e["kind"].as_str(),
                Some("exit" | "reap" | "summary" | "state")
            )),
            "after its refused fork, {pid} only ends (and reaps): {later:?} {}",
            ctx()
        );
        // It raised BlockingIOError, unless the runner's cleanup got to it first: when
        // main is refused too, main's end kills what is left with SIGKILL, and a child
        // still writing its traceback dies before the line (seen once under load).
        let raised = events.iter().any(|e| {
            event_pid(e) == pid
                && e["kind"] == "print"
                && e["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("BlockingIOError"))
        });
        let killed_in_cleanup = events
            .iter()
            .any(|e| e["kind"] == "reap" && e["child"] == pid && e["signal"] == "SIGKILL");
        assert!(
            raised || killed_in_cleanup,
            "{pid} raised BlockingIOError {}",
            ctx()
        );
    }
    // Every process but main is reaped exactly once (main is the test's to reap).
    let reaps: Vec<i64> = events
        .iter()
        .filter(|e| e["kind"] == "reap")
        .map(|e| e["child"].as_i64().expect("child"))
        .collect();
    let distinct: std::collections::BTreeSet<i64> = reaps.iter().copied().collect();
    assert_eq!(distinct.len(), reaps.len(), "reaped twice {}", ctx());
    assert_eq!(
        reaps.len() as u64 + 1,
        processes,
        "every process the run created is reaped {}",
        ctx()
    );
}

/// Main and one child at most: every scenario hits the cap at its second fork, or
/// (zombie, signals, crash, pipe: one child) fits. Then with main alone: the first fork.
#[test]
fn a_fork_refused_at_run_time_is_an_event_and_a_clean_stop() {
    let started = std::time::Instant::now();
    in_parallel(
        CASES
            .iter()
            .map(|&(scenario, sets)| {
                let check: Box<dyn FnOnce() + Send> = Box::new(move || {
                    refused_cleanly(scenario, sets, 2);
                    refused_cleanly(scenario, sets, 1);
                });
                (scenario.to_string(), check)
            })
            .collect(),
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "refusals are quick: {:?}",
        started.elapsed()
    );
}
