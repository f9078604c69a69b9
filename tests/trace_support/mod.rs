//! What the `proclab trace` tests share: a program written to a temp file, and a
//! `--json` trace run to its end with the facts every trace must show checked.

#![allow(
    clippy::cast_possible_truncation,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    assert_no_tagged_left, event_pid, parse_wire, run_proclab_with_pid, unique_tag,
};

pub const PYTHON: &str = "/usr/bin/python3";

/// Writes `source` to a fresh temp file and returns its path.
pub fn script(name: &str, source: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_tag("proclab-trace"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, source).expect("writing the script");
    path
}

/// A finished trace whose common facts were checked.
pub struct Traced {
    pub events: Vec<Value>,
    pub stdout: String,
    pub tracer: i64,
    /// The traced command (the tracer's child).
    pub root: i64,
    /// PID → parent, as announced by `spawn` and changed by `reparent`.
    pub parent: BTreeMap<i64, i64>,
}

impl Traced {
    pub fn ctx(&self) -> String {
        format!("\n{}", self.stdout)
    }

    pub fn of_kind(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["kind"] == kind).collect()
    }

    pub fn children_of(&self, pid: i64) -> Vec<i64> {
        self.of_kind("spawn")
            .into_iter()
            .filter(|s| s["ppid"] == pid)
            .map(event_pid)
            .collect()
    }

    pub fn reap_of(&self, child: i64) -> &Value {
        self.events
            .iter()
            .find(|e| e["kind"] == "reap" && e["child"] == child)
            .unwrap_or_else(|| panic!("{child} never reaped {}", self.ctx()))
    }

    pub fn prints(&self) -> Vec<&str> {
        self.of_kind("print")
            .into_iter()
            .filter_map(|p| p["text"].as_str())
            .collect()
    }
}

/// `proclab trace --json -- argv…` (or `--json argv…` when `argv` has its own `--`) to
/// its end, then what every trace must show: proclab exits with the command's status,
/// one summary last with `leaked` 0, a tracer spawned by the front end and the command
/// by the tracer, each PID spawned once, every process reaped (or released by the
/// kernel) exactly once and by (under) its parent at that moment (after any
/// `reparent`), and nothing left of the run.
pub fn trace_checked(name: &str, argv: &[&str]) -> Traced {
    let tag = unique_tag(name);
    // `argv` may carry its own options before a `--` of its own.
    let mut args = vec!["trace", "--json"];
    if !argv.contains(&"--") {
        args.push("--");
    }
    args.extend_from_slice(argv);
    let (front_end, out) = run_proclab_with_pid(&tag, &args, Duration::from_secs(60));
    let events = parse_wire(&out.stdout);
    let ctx = format!("\n{}", out.stdout);
    let summary = events.last().expect("events");
    assert_eq!(summary["kind"], "summary", "summary last {ctx}");
    assert_eq!(
        out.status.code(),
        Some(shell_status(&summary["results"])),
        "proclab exits with the command's status\nstderr:\n{}{ctx}",
        out.stderr
    );
    assert_eq!(summary["leaked"], 0, "nothing leaked {ctx}");
    let spawns: Vec<&Value> = events.iter().filter(|e| e["kind"] == "spawn").collect();
    let tracer = spawns
        .iter()
        .find(|s| s["label"] == "tracer")
        .map(|s| event_pid(s))
        .unwrap_or_else(|| panic!("no tracer spawn {ctx}"));
    assert_eq!(
        spawns[0]["ppid"],
        i64::from(front_end),
        "tracer's parent {ctx}"
    );
    let mut parent = BTreeMap::new();
    for s in &spawns {
        let ppid = s["ppid"].as_i64().expect("ppid");
        assert!(
            parent.insert(event_pid(s), ppid).is_none(),
            "{} spawned twice {ctx}",
            event_pid(s)
        );
    }
    let roots: Vec<i64> = spawns
        .iter()
        .filter(|s| s["ppid"] == tracer)
        .map(|s| event_pid(s))
        .collect();
    assert_eq!(roots.len(), 1, "one command under the tracer {ctx}");
    // Replay the wire: each reap comes from the reaped process's parent of the moment.
    let mut now = parent.clone();
    let mut reaped = BTreeMap::new();
    for e in &events {
        match e["kind"].as_str() {
            Some("reparent") => {
                let pid = event_pid(e);
                assert_eq!(Some(&e["old_ppid"].as_i64().expect("old")), now.get(&pid));
                now.insert(pid, e["ppid"].as_i64().expect("ppid"));
            }
            Some("released") => {
                // Gone with no wait: its parent named, never as a reaper.
                let child = event_pid(e);
                *reaped.entry(child).or_insert(0) += 1;
                assert_eq!(
                    Some(&e["parent"].as_i64().expect("parent")),
                    now.get(&child),
                    "{child} released under its parent of the moment {ctx}"
                );
            }
            Some("reap") => {
                let child = e["child"].as_i64().expect("child");
                *reaped.entry(child).or_insert(0) += 1;
                if child != tracer {
                    assert_eq!(
                        Some(&event_pid(e)),
                        now.get(&child),
                        "{child} reaped by its parent of the moment {ctx}"
                    );
                }
            }
            _ => {}
        }
    }
    for pid in parent.keys() {
        assert_eq!(
            reaped.get(pid),
            Some(&1),
            "{pid} reaped (or released) exactly once {ctx}"
        );
    }
    assert_no_tagged_left(&tag);
    Traced {
        events,
        stdout: out.stdout,
        tracer,
        root: roots[0],
        parent: now,
    }
}

/// The summary's `results` as a shell's `$?`: `exit_code`, or 128 + the signal's
/// number.
pub fn shell_status(results: &Value) -> i32 {
    if let Some(code) = results["exit_code"].as_i64() {
        return code as i32;
    }
    let name = results["signal"].as_str().expect("exit_code or signal");
    let signal: nix::sys::signal::Signal = name.parse().expect("a signal's name");
    128 + signal as i32
}
