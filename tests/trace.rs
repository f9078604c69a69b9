//! `proclab trace` on Python programs (under /usr/bin/python3, written to a temp dir):
//! exit codes, a kill and its sender, an adopted orphan, multiprocessing with fork and
//! spawn (queue messages included), the fork-fanout lesson's program beside its run.
//! The tests never fork in the harness (the binary does).

mod common;
mod trace_support;

use std::time::Duration;

use common::{assert_no_tagged_left, event_pid, parse_wire, run_proclab_with_pid, unique_tag};
use serde_json::Value;
use trace_support::{PYTHON, Traced, script, trace_checked};

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
        print("grandchild here", flush=True)
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
    let said = t
        .of_kind("print")
        .into_iter()
        .find(|p| p["text"] == "grandchild here")
        .unwrap_or_else(|| panic!("the grandchild's line {ctx}"));
    assert_eq!(event_pid(said), grandchild, "put down to its writer {ctx}");
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
    // Each line is put down to the process that wrote it: "child 3: 1234, ppid 1200"
    // comes from 1234.
    let mut children_said = 0;
    for p in t.of_kind("print") {
        let text = p["text"].as_str().unwrap_or("");
        if let Some(rest) = text.strip_prefix("child ")
            && let Some((_, ids)) = rest.split_once(": ")
            && let Some((pid, _)) = ids.split_once(',')
        {
            assert_eq!(pid.parse::<i64>().ok(), Some(event_pid(p)), "{text} {ctx}");
            children_said += 1;
        } else {
            assert_eq!(event_pid(p), t.root, "{text}: the parent's line {ctx}");
        }
    }
    assert_eq!(children_said, 10, "{ctx}");
    assert_eq!(
        t.parent.len(),
        1 + 1 + 10,
        "tracer, parent, 10 children {ctx}"
    );
    assert_no_tagged_left(&tag);
}
