//! `proclab trace`: real Python programs (and a shell pipeline) under the tracer,
//! checked from `--json`. Every program is written to a temp dir and run with
//! /usr/bin/python3; the tests never fork in the harness (the binary does).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use common::{
    Running, assert_no_tagged_left, event_pid, parse_wire, proclab, run_proclab_with_pid,
    unique_tag, wait_for_tagged,
};
use serde_json::Value;

const PYTHON: &str = "/usr/bin/python3";

/// Writes `source` to a fresh temp file and returns its path.
fn script(name: &str, source: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_tag("proclab-trace"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, source).expect("writing the script");
    path
}

/// A finished trace whose common facts were checked.
struct Traced {
    events: Vec<Value>,
    stdout: String,
    tracer: i64,
    /// The traced command (the tracer's child).
    root: i64,
    /// PID → parent, as announced by `spawn` and changed by `reparent`.
    parent: BTreeMap<i64, i64>,
}

impl Traced {
    fn ctx(&self) -> String {
        format!("\n{}", self.stdout)
    }

    fn of_kind(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["kind"] == kind).collect()
    }

    fn children_of(&self, pid: i64) -> Vec<i64> {
        self.of_kind("spawn")
            .into_iter()
            .filter(|s| s["ppid"] == pid)
            .map(event_pid)
            .collect()
    }

    fn reap_of(&self, child: i64) -> &Value {
        self.events
            .iter()
            .find(|e| e["kind"] == "reap" && e["child"] == child)
            .unwrap_or_else(|| panic!("{child} never reaped {}", self.ctx()))
    }

    fn prints(&self) -> Vec<&str> {
        self.of_kind("print")
            .into_iter()
            .filter_map(|p| p["text"].as_str())
            .collect()
    }
}

/// `proclab trace --json -- argv…` to its end, then what every trace must show: exit 0,
/// one summary last with `leaked` 0, a tracer spawned by the front end and the command
/// by the tracer, each PID spawned once, every process reaped exactly once and by its
/// parent at that moment (after any `reparent`), and nothing left of the run.
fn trace_checked(name: &str, argv: &[&str]) -> Traced {
    let tag = unique_tag(name);
    let mut args = vec!["trace", "--json", "--"];
    args.extend_from_slice(argv);
    let (front_end, out) = run_proclab_with_pid(&tag, &args, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "exit {:?}\nstderr:\n{}\nstdout:\n{}",
        out.status,
        out.stderr,
        out.stdout
    );
    let events = parse_wire(&out.stdout);
    let ctx = format!("\n{}", out.stdout);
    let summary = events.last().expect("events");
    assert_eq!(summary["kind"], "summary", "summary last {ctx}");
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
        assert_eq!(reaped.get(pid), Some(&1), "{pid} reaped exactly once {ctx}");
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

#[test]
fn exit_codes_and_a_kill_are_seen_as_such() {
    let prog = script(
        "codes.py",
        r#"
import os, time
kids = {}
for code in (0, 3, 7):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.05)
        os._exit(code)
    kids[pid] = code
victim = os.fork()
if victim == 0:
    time.sleep(30)
    os._exit(0)
time.sleep(0.2)
os.kill(victim, 15)
for pid in list(kids) + [victim]:
    _, status = os.waitpid(pid, 0)
    print("reaped", pid, status, flush=True)
"#,
    );
    let t = trace_checked("trace-codes", &[PYTHON, prog.to_str().expect("utf-8 path")]);
    let ctx = t.ctx();
    let kids = t.children_of(t.root);
    assert_eq!(kids.len(), 4, "four children of the program {ctx}");
    let codes: Vec<i64> = kids[..3]
        .iter()
        .map(|k| t.reap_of(*k)["code"].as_i64().expect("code"))
        .collect();
    assert_eq!(codes, [0, 3, 7], "exit codes in fork order {ctx}");
    for k in &kids[..3] {
        let exit = t
            .of_kind("exit")
            .into_iter()
            .find(|e| event_pid(e) == *k)
            .unwrap_or_else(|| panic!("{k} has an exit {ctx}"));
        assert_eq!(exit["code"], t.reap_of(*k)["code"], "{ctx}");
        assert_eq!(
            event_pid(t.reap_of(*k)),
            t.root,
            "the program reaped it {ctx}"
        );
    }
    let victim = kids[3];
    let reap = t.reap_of(victim);
    assert_eq!(reap["signal"], "SIGTERM", "{ctx}");
    assert_eq!(reap["status"], 15, "{ctx}");
    assert!(
        !t.of_kind("exit").iter().any(|e| event_pid(e) == victim),
        "a killed process reports no exit {ctx}"
    );
    let sent = t
        .of_kind("send_signal")
        .into_iter()
        .find(|s| s["target"] == victim)
        .unwrap_or_else(|| panic!("the SIGTERM's sender is named {ctx}"));
    assert_eq!(event_pid(sent), t.root, "{ctx}");
    assert_eq!(sent["signal"], "SIGTERM", "{ctx}");
    assert!(
        t.of_kind("handle_signal")
            .iter()
            .any(|h| event_pid(h) == victim && h["signal"] == "SIGTERM"),
        "{ctx}"
    );
    let prints = t.prints();
    assert_eq!(
        prints.len(),
        4,
        "the program's output as print events {ctx}"
    );
    assert!(prints[3].ends_with(" 15"), "{ctx}");
    assert_eq!(t.events.last().expect("summary")["results"]["exit_code"], 0);
}

#[test]
fn an_orphaned_grandchild_is_adopted_and_followed() {
    let prog = script(
        "orphan.py",
        r#"
import os, time
pid = os.fork()
if pid == 0:
    if os.fork() == 0:
        time.sleep(0.5)
        os._exit(5)
    os._exit(0)
os.waitpid(pid, 0)
"#,
    );
    let t = trace_checked(
        "trace-orphan",
        &[PYTHON, prog.to_str().expect("utf-8 path")],
    );
    let ctx = t.ctx();
    let child = t.children_of(t.root)[0];
    let grandchild = *t.children_of(child).first().expect("a grandchild");
    let adopted = t
        .of_kind("reparent")
        .into_iter()
        .find(|r| event_pid(r) == grandchild)
        .unwrap_or_else(|| panic!("the grandchild's adoption {ctx}"));
    assert_eq!(adopted["old_ppid"], child, "{ctx}");
    assert_eq!(
        adopted["ppid"], t.tracer,
        "adopted by the tracer (subreaper) {ctx}"
    );
    assert_eq!(t.parent[&grandchild], t.tracer);
    let reap = t.reap_of(grandchild);
    assert_eq!(reap["code"], 5, "followed to its own exit {ctx}");
    assert_eq!(event_pid(reap), t.tracer, "{ctx}");
    // It outlived the program: its reap comes after the program's.
    let line = |e: &Value| t.events.iter().position(|x| x == e).expect("line");
    assert!(line(reap) > line(t.reap_of(t.root)), "{ctx}");
}

const MULTIPROCESSING: &str = r#"
import multiprocessing as mp, sys
def work(q, i):
    q.put(i * i)
    sys.exit(i)
if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    q = mp.Queue()
    ps = [mp.Process(target=work, args=(q, i)) for i in range(3)]
    for p in ps:
        p.start()
    print(sorted(q.get() for _ in ps), flush=True)
    for p in ps:
        p.join()
    print([p.exitcode for p in ps], flush=True)
"#;

/// The three workers of MULTIPROCESSING under `method`: children of the program that
/// end with codes 0, 1, 2 and are reaped by it; returns them.
fn multiprocessing_workers(method: &str) -> (Traced, Vec<i64>) {
    let prog = script("mp.py", MULTIPROCESSING);
    let t = trace_checked(
        &format!("trace-mp-{method}"),
        &[PYTHON, prog.to_str().expect("utf-8 path"), method],
    );
    let ctx = t.ctx();
    assert!(t.prints().contains(&"[0, 1, 4]"), "{ctx}");
    assert!(t.prints().contains(&"[0, 1, 2]"), "{ctx}");
    let workers: Vec<i64> = t
        .children_of(t.root)
        .into_iter()
        .filter(|w| event_pid(t.reap_of(*w)) == t.root)
        .filter(|w| {
            // The spawn method's resource tracker is a child too; workers run `work`.
            !t.of_kind("exec")
                .iter()
                .any(|e| event_pid(e) == *w && e["argv"].to_string().contains("resource_tracker"))
        })
        .collect();
    assert_eq!(workers.len(), 3, "three workers {ctx}");
    let codes: Vec<i64> = workers
        .iter()
        .map(|w| t.reap_of(*w)["code"].as_i64().expect("code"))
        .collect();
    assert_eq!(codes, [0, 1, 2], "{ctx}");
    (t, workers)
}

#[test]
fn multiprocessing_with_fork() {
    let (t, workers) = multiprocessing_workers("fork");
    let ctx = t.ctx();
    // fork: the workers are copies of the program, no exec of their own.
    for w in &workers {
        assert!(
            !t.of_kind("exec").iter().any(|e| event_pid(e) == *w),
            "{ctx}"
        );
    }
    // The Queue's messages: each worker's pipe write (by its feeder thread, shown as
    // the process) decoded from the pickle, and the program's reads of them.
    let mut sent: Vec<(i64, i64)> = t
        .of_kind("send")
        .into_iter()
        .map(|s| (event_pid(s), s["item"].as_i64().unwrap_or(-1)))
        .collect();
    sent.sort_by_key(|(_, v)| *v);
    let expected: Vec<(i64, i64)> = workers.iter().copied().zip([0, 1, 4]).collect();
    assert_eq!(sent, expected, "{ctx}");
    let mut got: Vec<i64> = t
        .of_kind("recv")
        .into_iter()
        .filter(|r| event_pid(r) == t.root)
        .map(|r| r["item"].as_i64().unwrap_or(-1))
        .collect();
    got.sort_unstable();
    assert_eq!(got, [0, 1, 4], "{ctx}");
    let channel = t.of_kind("send")[0]["channel"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        channel.starts_with("pipe ") && channel.ends_with(" write"),
        "{ctx}"
    );
    // A Queue's put starts a feeder thread: shown as a thread, never as a process.
    assert!(
        t.of_kind("value")
            .iter()
            .any(|v| v["name"] == "threads" && v["value"] == 2 && workers.contains(&event_pid(v))),
        "{ctx}"
    );
}

#[test]
fn multiprocessing_with_spawn() {
    let (t, workers) = multiprocessing_workers("spawn");
    let ctx = t.ctx();
    // spawn: each worker is a fresh interpreter, exec'd with spawn_main.
    for w in &workers {
        let exec = t
            .of_kind("exec")
            .into_iter()
            .find(|e| event_pid(e) == *w)
            .unwrap_or_else(|| panic!("{w} exec'd {ctx}"));
        assert!(exec["argv"].to_string().contains("spawn_main"), "{ctx}");
        assert!(
            exec["program"].as_str().unwrap_or("").contains("python"),
            "{ctx}"
        );
    }
}

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
    // What went through the pipe, on each side.
    let send = t.of_kind("send");
    let recv = t.of_kind("recv");
    assert_eq!(send.len(), 1, "{ctx}");
    assert_eq!(send[0]["item"], "a⏎b⏎c", "{ctx}");
    assert!(recv.iter().any(|r| r["item"] == "a⏎b⏎c"), "{ctx}");
    assert_eq!(t.reap_of(t.root)["code"], 4, "{ctx}");
    assert_eq!(t.events.last().expect("summary")["results"]["exit_code"], 4);
}

#[test]
fn the_fork_fanout_lesson_traced_has_the_runs_shape() {
    let lesson = include_str!("../lessons/01-fork-fanout.toml");
    let doc: toml::Value = toml::from_str(lesson).expect("lesson TOML");
    let source = doc["python"].as_str().expect("the lesson's python");
    let prog = script("fanout.py", source);
    let t = trace_checked(
        "trace-fanout",
        &[PYTHON, prog.to_str().expect("utf-8 path")],
    );
    let ctx = t.ctx();
    let traced_kids = t.children_of(t.root);

    let tag = unique_tag("trace-fanout-run");
    let (_, out) = run_proclab_with_pid(
        &tag,
        &["run", "fork-fanout", "--json", "--speed", "20"],
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", out.stderr);
    let run = parse_wire(&out.stdout);
    let main = run
        .iter()
        .find(|e| e["kind"] == "spawn" && e["label"] == "main")
        .map(event_pid)
        .expect("main");
    let run_kids: Vec<i64> = run
        .iter()
        .filter(|e| e["kind"] == "spawn" && e["ppid"] == main)
        .map(event_pid)
        .collect();
    let run_grandkids = run
        .iter()
        .filter(|e| e["kind"] == "spawn" && run_kids.contains(&e["ppid"].as_i64().unwrap_or(0)))
        .count();
    assert_eq!(run_kids.len(), 10, "the scenario: 1 parent + 10 children");
    assert_eq!(traced_kids.len(), run_kids.len(), "same fan-out {ctx}");
    for k in &traced_kids {
        assert!(t.children_of(*k).is_empty(), "children do not fork {ctx}");
        assert_eq!(event_pid(t.reap_of(*k)), t.root, "{ctx}");
        assert_eq!(t.reap_of(*k)["code"], 0, "{ctx}");
    }
    assert_eq!(run_grandkids, 0);
    assert_eq!(
        t.parent.len(),
        1 + 1 + 10,
        "tracer, parent, 10 children {ctx}"
    );
    assert_no_tagged_left(&tag);
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
    assert!(!out.status.success(), "an interrupted trace says so");
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
