//! `proclab trace` beyond Python: a shell pipeline, a C program, the program's output
//! and stdin, and nothing left after the front end is killed or interrupted. The
//! tests never fork in the harness (the binary does).

mod common;
mod trace_support;

use std::path::PathBuf;
use std::time::Duration;

use common::{
    Running, assert_no_tagged_left, event_pid, parse_wire, proclab, unique_tag, wait_for_tagged,
};
use serde_json::Value;
use trace_support::{PYTHON, script, trace_checked};

#[test]
fn a_shell_pipeline() {
    let t = trace_checked(
        "trace-sh",
        &["sh", "-c", "printf 'a\\nb\\nc\\n' | wc -l; exit 4"],
    );
    let ctx = t.ctx();
    let kids = t.children_of(t.root);
    assert_eq!(
        kids.len(),
        2,
        "printf is a builtin; wc is not, both run in children {ctx}"
    );
    assert!(
        t.of_kind("exec")
            .iter()
            .any(|e| kids.contains(&event_pid(e))
                && e["program"].as_str().is_some_and(|p| p.ends_with("/wc"))),
        "{ctx}"
    );
    assert_eq!(t.prints(), ["3"], "{ctx}");
    // What went through the pipe, on each side: its lines, one message each, however
    // the writes and reads cut them.
    let items = |kind: &str| -> Vec<Value> {
        t.of_kind(kind)
            .into_iter()
            .map(|e| e["item"].clone())
            .collect()
    };
    assert_eq!(items("send"), ["a", "b", "c"], "{ctx}");
    assert_eq!(items("recv"), ["a", "b", "c"], "{ctx}");
    assert_eq!(t.reap_of(t.root)["code"], 4, "{ctx}");
    assert_eq!(t.events.last().expect("summary")["results"]["exit_code"], 4);
}

/// `proclab trace` exits as `time`, `timeout` and `strace` do: with the command's exit
/// code, or 128 + N when signal N ended it, in both logs.
#[test]
fn proclab_exits_with_the_program_s_status() {
    let cases: [(&str, i32); 4] = [
        ("exit 3", 3),
        ("kill -KILL $$", 137),
        ("kill -TERM $$", 143),
        ("true", 0),
    ];
    for (program, expect) in cases {
        for front_end in ["--headless", "--json"] {
            let tag = unique_tag("trace-status");
            let out = Running::spawn(proclab(
                &tag,
                &["trace", front_end, "--", "sh", "-c", program],
            ))
            .finish(Duration::from_secs(20));
            assert_eq!(
                out.status.code(),
                Some(expect),
                "{front_end} sh -c '{program}'\nstderr:\n{}\nstdout:\n{}",
                out.stderr,
                out.stdout
            );
            assert!(out.stdout.contains("summary"), "{}", out.stdout);
            assert_no_tagged_left(&tag);
        }
    }
}

/// A program whose processes would live for a minute.
fn long_program() -> PathBuf {
    script(
        "long.py",
        r#"
import os, time
for i in range(3):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
time.sleep(60)
"#,
    )
}

#[test]
fn killing_the_front_end_mid_trace_leaves_nothing() {
    let prog = long_program();
    let tag = unique_tag("trace-kill");
    let mut running = Running::spawn(proclab(
        &tag,
        &[
            "trace",
            "--json",
            "--",
            PYTHON,
            prog.to_str().expect("utf-8 path"),
        ],
    ));
    // Tracer, program, three children (the front end carries the tag too).
    assert!(wait_for_tagged(&tag, 6, Duration::from_secs(10)) >= 6);
    running.kill_and_reap();
    assert_no_tagged_left(&tag);
}

#[test]
fn interrupting_a_trace_stops_every_process() {
    let prog = long_program();
    let tag = unique_tag("trace-int");
    let running = Running::spawn(proclab(
        &tag,
        &[
            "trace",
            "--json",
            "--",
            PYTHON,
            prog.to_str().expect("utf-8 path"),
        ],
    ));
    assert!(wait_for_tagged(&tag, 6, Duration::from_secs(10)) >= 6);
    running.signal(nix::sys::signal::Signal::SIGINT);
    let out = running.finish(Duration::from_secs(10));
    // The program was still running: proclab's stop killed it (SIGKILL, 128 + 9).
    assert_eq!(out.status.code(), Some(137), "{}", out.stderr);
    assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
    assert_no_tagged_left(&tag);
}

#[test]
fn output_arrives_line_by_line_not_at_exit() {
    // No flush: on a pipe Python would hold both lines until it exits; the tracer gives
    // the program a terminal for stdout, so each line is written (and shown) at once.
    let prog = script(
        "live.py",
        "import time\nprint('early')\ntime.sleep(0.6)\nprint('late')\n",
    );
    let t = trace_checked("trace-live", &[PYTHON, prog.to_str().expect("utf-8 path")]);
    let at = |text: &str| {
        t.of_kind("print")
            .into_iter()
            .find(|p| p["text"] == text)
            .map(common::event_t_us)
            .unwrap_or_else(|| panic!("{text} printed {}", t.ctx()))
    };
    assert!(at("early") + 400_000 < at("late"), "{}", t.ctx());
}

#[test]
fn stdin_is_dev_null_unless_asked_for() {
    let dir = std::env::temp_dir().join(unique_tag("trace-stdin"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("input.txt");
    std::fs::write(&input, "hello\n").expect("input");
    let program = "read x; echo \"got [$x]\"";
    for (flag, expect) in [(true, "got [hello]"), (false, "got []")] {
        let tag = unique_tag("trace-stdin");
        let mut args = vec!["trace", "--json"];
        if flag {
            args.push("--stdin");
        }
        args.extend(["--", "sh", "-c", program]);
        let mut cmd = proclab(&tag, &args);
        cmd.stdin(std::fs::File::open(&input).expect("input file"));
        let out = Running::spawn(cmd).finish(Duration::from_secs(20));
        assert!(out.status.success(), "{}", out.stderr);
        let prints: Vec<String> = parse_wire(&out.stdout)
            .iter()
            .filter(|e| e["kind"] == "print")
            .map(|e| e["text"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(prints, [expect], "--stdin {flag}\n{}", out.stdout);
        assert_no_tagged_left(&tag);
    }
}

#[test]
fn stdin_in_the_terminal_ui_is_refused() {
    let tag = unique_tag("trace-stdin-tui");
    let out = Running::spawn(proclab(&tag, &["trace", "--stdin", "--", "true"]))
        .finish(Duration::from_secs(10));
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("--stdin needs --headless or --json"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_plain_c_program() {
    let src = script(
        "fan.c",
        r#"
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    for (int i = 0; i < 3; i++)
        if (fork() == 0) {
            if (i == 2) abort();
            usleep(50000);
            _exit(10 + i);
        }
    int status;
    pid_t pid;
    while ((pid = wait(&status)) > 0) printf("reaped %d status %d\n", pid, status);
    return 2;
}
"#,
    );
    let bin = src.with_extension("");
    let cc = std::process::Command::new("cc")
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status();
    let Ok(cc) = cc else {
        eprintln!("no C compiler (cc): a_plain_c_program not run");
        return;
    };
    assert!(cc.success(), "cc failed");
    let t = trace_checked("trace-c", &[bin.to_str().expect("utf-8 path")]);
    let ctx = t.ctx();
    let kids = t.children_of(t.root);
    assert_eq!(kids.len(), 3, "{ctx}");
    assert_eq!(t.reap_of(kids[0])["code"], 10, "{ctx}");
    assert_eq!(t.reap_of(kids[1])["code"], 11, "{ctx}");
    assert_eq!(t.reap_of(kids[2])["signal"], "SIGABRT", "{ctx}");
    assert_eq!(t.prints().len(), 3, "{ctx}");
    assert_eq!(t.events.last().expect("summary")["results"]["exit_code"], 2);
}

#[test]
fn no_pipes_leaves_reads_and_writes_alone() {
    let t = trace_checked(
        "trace-no-pipes",
        &["--no-pipes", "--", "sh", "-c", "printf 'a\\nb\\n' | wc -l"],
    );
    let ctx = t.ctx();
    assert!(
        t.of_kind("send").is_empty() && t.of_kind("recv").is_empty(),
        "{ctx}"
    );
    assert_eq!(t.prints(), ["2"], "{ctx}");
}

#[test]
fn the_cap_holds_for_a_traced_program() {
    // tracer + program + 2 children = 4 = the cap: the third and fourth fork are
    // refused at their entry (EAGAIN, as RLIMIT_NPROC would): the kernel makes nothing
    // and Python raises BlockingIOError, which the program prints.
    let prog = script(
        "fanout.py",
        "import os, time\nkids = []\nfor i in range(4):\n    try:\n        pid = os.fork()\n    except BlockingIOError as e:\n        print('refused', e.errno, flush=True)\n        continue\n    if pid == 0:\n        time.sleep(0.3)\n        os._exit(0)\n    kids.append(pid)\n    time.sleep(0.05)\nfor k in kids:\n    print(os.waitpid(k, 0)[1], flush=True)\n",
    );
    let t = trace_checked(
        "trace-cap",
        &[
            "--cap",
            "4",
            "--",
            PYTHON,
            prog.to_str().expect("utf-8 path"),
        ],
    );
    let ctx = t.ctx();
    let kids = t.children_of(t.root);
    assert_eq!(kids.len(), 2, "{ctx}");
    // Refused before anything existed: no process killed, two forks failed.
    assert!(t.of_kind("cap_kill").is_empty(), "{ctx}");
    let refused: Vec<&Value> = t.of_kind("fork_failed");
    assert_eq!(refused.len(), 2, "{ctx}");
    assert!(refused.iter().all(|e| e["pid"] == t.root), "{ctx}");
    assert!(
        refused[0]["error"]
            .as_str()
            .unwrap_or("")
            .starts_with("EAGAIN"),
        "{ctx}"
    );
    let errno_eagain = libc::EAGAIN.to_string();
    let refused_line = format!("refused {errno_eagain}");
    assert_eq!(
        t.prints(),
        [refused_line.as_str(), refused_line.as_str(), "0", "0"],
        "{ctx}"
    );
}

/// `--cap` above 64 is for `trace` (a `make -j` build has more processes than any
/// lesson): 70 concurrent children run whole under `--cap 100` (the number reaches the
/// tracer), and a cap beyond what the machine allows is refused with the arithmetic.
#[test]
fn trace_takes_a_cap_above_64_up_to_the_machine_s_ceiling() {
    let t = trace_checked(
        "trace-cap100-true",
        &["--cap", "100", "--", "sh", "-c", "true"],
    );
    assert_eq!(t.events.last().expect("summary")["results"]["exit_code"], 0);
    let t = trace_checked(
        "trace-cap100",
        &[
            "--cap",
            "100",
            "--",
            "sh",
            "-c",
            "for i in $(seq 70); do sleep 1 & done; wait",
        ],
    );
    let ctx = t.ctx();
    assert!(t.of_kind("fork_failed").is_empty(), "none refused {ctx}");
    let sleeps = t
        .of_kind("exec")
        .iter()
        .filter(|e| e["program"].as_str().is_some_and(|p| p.ends_with("/sleep")))
        .count();
    assert_eq!(sleeps, 70, "{ctx}");
    let tag = unique_tag("trace-cap-over");
    let out = Running::spawn(proclab(
        &tag,
        &["trace", "--cap", "4000000000", "--json", "--", "true"],
    ))
    .finish(Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("4000000000 is above what this machine allows a trace now: at most")
            && out.stderr.contains("tasks"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "nothing ran: {}", out.stdout);
    assert_no_tagged_left(&tag);
}

#[test]
fn a_pipeline_writer_dies_of_sigpipe_as_in_a_shell() {
    // `yes` writes until `head` is gone, then SIGPIPE ends it: proclab's own runtime
    // ignores SIGPIPE, and that must not leak into the traced program.
    let t = trace_checked(
        "trace-sigpipe",
        &["--no-pipes", "--", "sh", "-c", "yes | head -n 1"],
    );
    let ctx = t.ctx();
    let yes = t
        .of_kind("exec")
        .into_iter()
        .find(|e| e["program"].as_str().is_some_and(|p| p.ends_with("/yes")))
        .map(event_pid)
        .unwrap_or_else(|| panic!("yes ran {ctx}"));
    assert_eq!(t.reap_of(yes)["signal"], "SIGPIPE", "{ctx}");
    assert_eq!(t.prints(), ["y"], "{ctx}");
}

#[test]
fn a_refused_ptrace_is_said_clearly() {
    // Under strace, proclab's tracer is itself traced, so its PTRACE_SEIZE of the
    // command is refused (one tracer per process): the message must say so.
    let Ok(mut child) = std::process::Command::new("strace")
        .args([
            "-f",
            "-o",
            "/dev/null",
            common::bin(),
            "trace",
            "--json",
            "--",
            "true",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("no strace: a_refused_ptrace_is_said_clearly not run");
        return;
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait().expect("strace ends");
    assert!(!status.success(), "{err}");
    assert!(
        err.contains("cannot trace the program: ptrace failed with EPERM"),
        "{err}"
    );
    assert!(err.contains("debugger or strace"), "{err}");
}
