//! A run's processes have the signal dispositions a python3 started from a shell
//! has: nothing the front end ignores (a terminal program's SIGTTIN/SIGTTOU) passes
//! through to them. proclab is started here with both ignored, as a job-control
//! shell leaves itself, and every `state` the observer reads must not list them.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

#[test]
fn the_runs_processes_do_not_inherit_the_front_ends_ignored_signals() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proclab"));
    cmd.args(["run", "zombie", "--json", "--speed", "4"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    // SAFETY: signal() only, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGTTIN, libc::SIG_IGN);
            libc::signal(libc::SIGTTOU, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = cmd.output().expect("proclab runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let states: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["kind"] == "state")
        .collect();
    assert!(!states.is_empty(), "the observer saw the run:\n{text}");
    for e in &states {
        let ignored = e["ignored"].to_string();
        assert!(
            !ignored.contains("SIGTTIN") && !ignored.contains("SIGTTOU"),
            "{e}"
        );
    }
    // What the runner sets itself, as CPython does, is still there.
    assert!(
        states
            .iter()
            .any(|e| e["ignored"].to_string().contains("SIGPIPE")),
        "{text}"
    );
}
