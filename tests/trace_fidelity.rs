//! `proclab trace` reports only what the kernel did: every reap is a wait that
//! returned (who waited, for whom, in the order the waits returned), a child the kernel
//! released itself is said to be, every signal a traced process sends names its sender
//! (self-sent, SIGKILL and pidfd ones included) and a fault is told from a sent signal,
//! the cap never touches a program under it, and a script is named by the script.
//! The oracles are the program's own output (what its waits returned, what it summed)
//! and, where installed, `strace -f` on the same program.

mod common;
mod trace_support;

use common::event_pid;
use serde_json::Value;
use trace_support::{PYTHON, Traced, script, trace_checked};

fn py(name: &str, source: &str) -> Traced {
    let prog = script(&format!("{name}.py"), source);
    trace_checked(name, &[PYTHON, prog.to_str().expect("utf-8 path")])
}

/// The `name value…` words of the program's printed line that starts with `name`.
fn printed<'a>(t: &'a Traced, name: &str) -> Vec<&'a str> {
    let line = t
        .prints()
        .into_iter()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("the program printed no '{name}' line {}", t.ctx()));
    line.split_whitespace().skip(1).collect()
}

fn pid_word(word: &str) -> i64 {
    word.parse().expect("a PID")
}

fn reaps_by(t: &Traced, reaper: i64) -> Vec<&Value> {
    t.of_kind("reap")
        .into_iter()
        .filter(|r| event_pid(r) == reaper)
        .collect()
}

#[test]
fn children_left_unwaited_are_adopted_then_reaped_by_the_tracer_never_by_their_dead_parent() {
    // The tutorials' kill example, then children the parent never waits for.
    let t = py(
        "trace-unwaited",
        r#"
import os, signal, time
victim = os.fork()
if victim == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(0.05)
time.sleep(0.2)
os.kill(victim, signal.SIGTERM)
time.sleep(0.1)
os.kill(victim, signal.SIGKILL)
kids = []
for i in range(10):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.02 * i)
        os._exit(i)
    kids.append(pid)
time.sleep(0.5)
print("victim", victim)
print("kids", *kids)
"#,
    );
    let ctx = t.ctx();
    assert!(
        reaps_by(&t, t.root).is_empty(),
        "the program never called wait, so it reaped nothing {ctx}"
    );
    let victim = pid_word(printed(&t, "victim")[0]);
    let kids: Vec<i64> = printed(&t, "kids").into_iter().map(pid_word).collect();
    for child in kids.iter().chain([&victim]) {
        let adopted = t
            .of_kind("reparent")
            .into_iter()
            .find(|r| event_pid(r) == *child)
            .unwrap_or_else(|| panic!("{child} adopted when its parent died {ctx}"));
        assert_eq!(adopted["old_ppid"], t.root, "{ctx}");
        assert_eq!(adopted["ppid"], t.tracer, "{ctx}");
        assert_eq!(event_pid(t.reap_of(*child)), t.tracer, "{ctx}");
    }
    let codes: Vec<i64> = kids
        .iter()
        .map(|k| t.reap_of(*k)["code"].as_i64().expect("code"))
        .collect();
    assert_eq!(codes, (0..10).collect::<Vec<_>>(), "{ctx}");
    assert_eq!(t.reap_of(victim)["signal"], "SIGKILL", "{ctx}");
    // Both signals are sent by the parent, SIGKILL included (never delivered to a tracer).
    let sent: Vec<&Value> = t
        .of_kind("send_signal")
        .into_iter()
        .filter(|s| s["target"] == victim)
        .collect();
    let names: Vec<&str> = sent.iter().filter_map(|s| s["signal"].as_str()).collect();
    assert_eq!(names, ["SIGTERM", "SIGKILL"], "{ctx}");
    assert!(sent.iter().all(|s| event_pid(s) == t.root), "{ctx}");
    let ignored = t
        .of_kind("handle_signal")
        .into_iter()
        .find(|h| event_pid(h) == victim && h["signal"] == "SIGTERM")
        .unwrap_or_else(|| panic!("the SIGTERM reached the victim {ctx}"));
    assert_eq!(ignored["action"], "ignored", "{ctx}");
    assert_eq!(ignored["sender"], t.root, "{ctx}");
}

#[test]
fn reaps_come_in_the_order_the_waits_returned_them() {
    let t = py(
        "trace-wait-order",
        r#"
import os, time
for delay in (0.3, 0.0, 0.2, 0.1):
    if os.fork() == 0:
        time.sleep(delay)
        os._exit(int(delay * 10))
order = []
for _ in range(4):
    pid, status = os.wait()
    order.append(pid)
print("order", *order)
"#,
    );
    let ctx = t.ctx();
    let order: Vec<i64> = printed(&t, "order").into_iter().map(pid_word).collect();
    let reaped: Vec<i64> = reaps_by(&t, t.root)
        .iter()
        .map(|r| r["child"].as_i64().expect("child"))
        .collect();
    assert_eq!(reaped, order, "one reap per wait, in its order {ctx}");
    let codes: Vec<i64> = order
        .iter()
        .map(|p| t.reap_of(*p)["code"].as_i64().expect("code"))
        .collect();
    assert_eq!(codes, [0, 1, 2, 3], "{ctx}");
}

#[test]
fn children_of_a_parent_that_ignores_sigchld_are_released_by_the_kernel_with_no_reaper() {
    let t = py(
        "trace-sigchld-ignored",
        r#"
import os, signal, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
kids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        os._exit(i)
    kids.append(pid)
time.sleep(0.3)
try:
    os.wait()
    print("wait returned")
except ChildProcessError:
    print("ChildProcessError")
print("kids", *kids)
"#,
    );
    let ctx = t.ctx();
    assert!(t.prints().contains(&"ChildProcessError"), "{ctx}");
    assert!(reaps_by(&t, t.root).is_empty(), "no reaper invented {ctx}");
    for child in printed(&t, "kids").into_iter().map(pid_word) {
        let released = t
            .of_kind("released")
            .into_iter()
            .find(|r| event_pid(r) == child)
            .unwrap_or_else(|| panic!("{child} released {ctx}"));
        assert_eq!(released["parent"], t.root, "{ctx}");
        assert!(
            released["why"]
                .as_str()
                .is_some_and(|w| w.contains("ignores SIGCHLD")),
            "{ctx}"
        );
    }
}

#[test]
fn every_signal_sent_names_its_sender_and_a_fault_is_told_from_a_sent_sigsegv() {
    let t = py(
        "trace-senders",
        r#"
import ctypes, os, signal, time
signal.signal(signal.SIGTERM, lambda s, f: print("handled", flush=True))
os.kill(os.getpid(), signal.SIGTERM)
signal.raise_signal(signal.SIGTERM)
def child(body):
    pid = os.fork()
    if pid == 0:
        body()
        os._exit(0)
    return pid
sent = child(lambda: os.kill(os.getpid(), signal.SIGSEGV))
os.waitpid(sent, 0)
fault = child(lambda: ctypes.string_at(0))
os.waitpid(fault, 0)
slow = child(lambda: time.sleep(30))
signal.pidfd_send_signal(os.pidfd_open(slow), signal.SIGUSR1)
os.waitpid(slow, 0)
selfkill = child(lambda: os.kill(os.getpid(), signal.SIGKILL))
os.waitpid(selfkill, 0)
print("pids", sent, fault, slow, selfkill)
"#,
    );
    let ctx = t.ctx();
    let pids: Vec<i64> = printed(&t, "pids").into_iter().map(pid_word).collect();
    let [sent, fault, slow, selfkill] = pids[..] else {
        panic!("four PIDs {ctx}")
    };
    let sends = |from: i64, to: i64, sig: &str| {
        t.of_kind("send_signal")
            .into_iter()
            .filter(|s| event_pid(s) == from && s["target"] == to && s["signal"] == sig)
            .count()
    };
    assert_eq!(
        sends(t.root, t.root, "SIGTERM"),
        2,
        "kill and raise (tgkill) to itself {ctx}"
    );
    assert_eq!(sends(sent, sent, "SIGSEGV"), 1, "{ctx}");
    assert_eq!(sends(t.root, slow, "SIGUSR1"), 1, "pidfd_send_signal {ctx}");
    assert_eq!(sends(selfkill, selfkill, "SIGKILL"), 1, "{ctx}");
    assert!(
        !t.of_kind("send_signal")
            .iter()
            .any(|s| s["target"] == fault),
        "nobody sent the fault {ctx}"
    );
    let segv = |pid: i64| {
        t.of_kind("handle_signal")
            .into_iter()
            .find(|h| event_pid(h) == pid && h["signal"] == "SIGSEGV")
            .unwrap_or_else(|| panic!("{pid}'s SIGSEGV {ctx}"))
    };
    assert_eq!(segv(sent)["sender"], sent, "{ctx}");
    assert!(segv(sent).get("cause").is_none(), "{ctx}");
    assert!(segv(fault).get("sender").is_none(), "{ctx}");
    assert!(
        segv(fault)["cause"]
            .as_str()
            .is_some_and(|c| c.starts_with("SEGV_")),
        "a fault says its kind {ctx}"
    );
    for (pid, sig) in [
        (sent, "SIGSEGV"),
        (fault, "SIGSEGV"),
        (slow, "SIGUSR1"),
        (selfkill, "SIGKILL"),
    ] {
        assert_eq!(t.reap_of(pid)["signal"], sig, "{ctx}");
    }
    // A send is told before what it caused.
    let line = |e: &Value| t.events.iter().position(|x| x == e).expect("line");
    let kill = t
        .of_kind("send_signal")
        .into_iter()
        .find(|s| s["target"] == selfkill)
        .expect("self SIGKILL");
    assert!(line(kill) < line(t.reap_of(selfkill)), "{ctx}");
}

#[test]
fn a_program_under_the_cap_is_untouched_and_forks_over_it_fail_with_eagain() {
    // 200 short-lived children, each reaped at once: never more than a few at a time.
    let t = py(
        "trace-cap-under",
        r#"
import os
total = 0
for i in range(200):
    pid = os.fork()
    if pid == 0:
        os._exit(2)
    total += os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
print("sum", total)
"#,
    );
    let ctx = t.ctx();
    assert_eq!(printed(&t, "sum"), ["400"], "{ctx}");
    assert!(t.of_kind("cap_kill").is_empty(), "{ctx}");
    assert_eq!(reaps_by(&t, t.root).len(), 200, "{ctx}");

    // 60 children kept unreaped until the end, under a cap of 20: the tracer, the
    // program and 18 children (exited or not, unreaped they are held) fill it; every
    // fork after that is refused before the kernel makes anything (EAGAIN).
    let prog = script(
        "over.py",
        r#"
import os
pids = []
refused = 0
for i in range(60):
    try:
        pid = os.fork()
    except BlockingIOError:
        refused += 1
        continue
    if pid == 0:
        os._exit(2)
    pids.append(pid)
total = 0
for pid in pids:
    total += os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
print("ran", len(pids), "refused", refused, "sum", total)
"#,
    );
    let t = trace_checked(
        "trace-cap-over",
        &[
            "--cap",
            "20",
            "--",
            PYTHON,
            prog.to_str().expect("utf-8 path"),
        ],
    );
    let ctx = t.ctx();
    assert!(t.of_kind("cap_kill").is_empty(), "nothing killed {ctx}");
    let refused = t.of_kind("fork_failed");
    assert_eq!(refused.len(), 42, "{ctx}");
    assert!(refused.iter().all(|e| event_pid(e) == t.root), "{ctx}");
    assert_eq!(t.children_of(t.root).len(), 18, "{ctx}");
    assert_eq!(
        t.prints().last().copied(),
        Some("ran 18 refused 42 sum 36"),
        "{ctx}"
    );
    assert_eq!(reaps_by(&t, t.root).len(), 18, "{ctx}");
}

#[test]
fn a_script_run_through_env_is_named_by_the_script() {
    let path = script("hello-script", "#!/usr/bin/env sh\necho \"hi from $0\"\n");
    let mut perms = std::fs::metadata(&path).expect("script").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).expect("chmod");
    let path = path.to_str().expect("utf-8 path");
    let t = trace_checked("trace-script", &[path]);
    let ctx = t.ctx();
    let execs = t.of_kind("exec");
    assert_eq!(execs.len(), 2, "env, then the shell env runs {ctx}");
    assert_eq!(execs[0]["program"], "/usr/bin/env", "{ctx}");
    for e in &execs {
        assert_eq!(e["argv"][0], path, "named by the script {ctx}");
    }
    assert_eq!(t.prints(), [format!("hi from {path}")], "{ctx}");
}

#[test]
fn every_message_is_one_send_and_one_recv_whole_and_as_python_has_it() {
    let t = py(
        "trace-messages",
        r#"
import multiprocessing as mp
def child(conn, q):
    for i in range(6):
        conn.send(i)
    conn.send("x" * 5000)
    x = [1, 2]
    q.put([x, x])
    q.put((b"\x00\x01ab", {3}, 2**100))
if __name__ == "__main__":
    mp.set_start_method("fork")
    here, there = mp.Pipe()
    q = mp.Queue()
    p = mp.Process(target=child, args=(there, q))
    p.start()
    got = [here.recv() for _ in range(7)]
    a, b = q.get(), q.get()
    p.join()
    print("lengths", *[len(str(g)) for g in got])
    print("queue", repr(a), repr(b))
"#,
    );
    let ctx = t.ctx();
    let reprs = |kind: &str| -> Vec<String> {
        t.of_kind(kind)
            .into_iter()
            .map(|e| {
                e["repr"]
                    .as_str()
                    .map_or_else(|| e["item"].to_string(), str::to_string)
            })
            .collect()
    };
    // Python's notation of the 5000-character string is 5002 characters: shown cut
    // (one wire line is at most 4 KiB), saying how long it is.
    let big = format!("'{}… [5002 characters in all]", "x".repeat(1199));
    let mut want: Vec<String> = (0..6).map(|i| i.to_string()).collect();
    want.push(big);
    want.push("[[1, 2], [1, 2]]".into());
    want.push("(b'\\x00\\x01ab', {3}, 1267650600228229401496703205376)".into());
    // The Queue's feeder thread and the Pipe each send; the parent receives all of it.
    let sent = reprs("send");
    let received = reprs("recv");
    for w in &want {
        assert_eq!(
            sent.iter().filter(|s| *s == w).count(),
            1,
            "sent once: {w:.40} {ctx:.3000}"
        );
        assert_eq!(
            received.iter().filter(|s| *s == w).count(),
            1,
            "received once: {w:.40} {ctx:.3000}"
        );
    }
    assert_eq!(sent.len(), want.len(), "{sent:?}");
    assert_eq!(received.len(), want.len(), "{received:?}");
    // The program's own view of what it got.
    let queue = t
        .prints()
        .into_iter()
        .find(|l| l.starts_with("queue "))
        .unwrap_or_else(|| panic!("{ctx:.3000}"));
    assert_eq!(queue, format!("queue {} {}", want[7], want[8]));
}

#[test]
fn manager_calls_are_messages_to_the_labelled_server_and_replies_back() {
    let t = py(
        "trace-manager",
        r#"
import multiprocessing as mp, os
def work(d, l, lock, num):
    print("worker", os.getpid(), flush=True)
    d["k"] = 1
    l.append(5)
    with lock:
        num.value += 1
if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Manager() as m:
        d = m.dict(); l = m.list(); lock = m.Lock(); num = m.Value("i", 0)
        p = mp.Process(target=work, args=(d, l, lock, num))
        p.start(); p.join()
        print("result", dict(d), list(l), num.value)
"#,
    );
    let ctx = t.ctx();
    assert_eq!(printed(&t, "result"), ["{'k':", "1}", "[5]", "1"], "{ctx}");
    let worker = pid_word(printed(&t, "worker")[0]);
    let server = t
        .of_kind("value")
        .into_iter()
        .find(|v| v["name"] == "role" && v["value"] == "Manager server")
        .map(event_pid)
        .unwrap_or_else(|| panic!("the server is labelled {ctx}"));
    assert_eq!(
        t.parent.get(&server),
        Some(&t.root),
        "the manager's process {ctx}"
    );
    let said = |kind: &str, pid: i64| -> Vec<String> {
        t.of_kind(kind)
            .into_iter()
            .filter(|e| event_pid(e) == pid)
            .filter_map(|e| e["repr"].as_str().map(str::to_string))
            .collect()
    };
    let calls = said("send", worker);
    let got = said("recv", server);
    for want in [
        "['k'] = 1",
        ".append(5)",
        ".acquire()",
        ".value",
        ".value = 1",
        ".release()",
    ] {
        let call = calls
            .iter()
            .find(|c| {
                c.ends_with(want)
                    && (c.starts_with("dict#")
                        || c.starts_with("list#")
                        || c.starts_with("Lock#")
                        || c.starts_with("Value#"))
            })
            .unwrap_or_else(|| panic!("the worker's call …{want} {calls:?}"));
        assert!(got.contains(call), "the server received {call} {ctx:.4000}");
    }
    let replies = said("recv", worker);
    assert!(
        replies.iter().any(|r| r == "returned True"),
        "acquire's reply {replies:?}"
    );
    assert!(
        replies.iter().any(|r| r == "returned 0"),
        "the value read {replies:?}"
    );
}

#[test]
#[cfg(target_arch = "x86_64")]
fn a_child_no_tracer_could_follow_is_refused_and_threads_still_start() {
    // clone(CLONE_UNTRACED | SIGCHLD) by raw syscall (56 on x86_64) would make a child
    // that escapes the tracer, its cleanup and the cap; a thread (clone3, sent back
    // to clone) and a fork still work.
    let t = py(
        "trace-untraced",
        r#"
import ctypes, os, threading
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(56, 0x00800000 | 17, 0, 0, 0, 0)
if r == 0:
    os._exit(0)
print("untraced clone", r, ctypes.get_errno())
th = threading.Thread(target=lambda: print("thread ran", flush=True))
th.start(); th.join()
pid = os.fork()
if pid == 0:
    os._exit(4)
print("fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"#,
    );
    let ctx = t.ctx();
    assert_eq!(printed(&t, "untraced"), ["clone", "-1", "1"], "EPERM {ctx}");
    assert!(t.prints().contains(&"thread ran"), "{ctx}");
    assert_eq!(printed(&t, "fork"), ["4"], "{ctx}");
    assert_eq!(
        t.children_of(t.root).len(),
        1,
        "only the fork made a process {ctx}"
    );
}

/// What `strace -f` saw of `prog`: each `wait4` that returned a child, as the child's
/// outcome (`exit 5`, `SIGTERM`) in the order they returned, and each successful
/// `kill`'s signal. `None` when strace is not installed.
fn strace_oracle(prog: &str) -> Option<(Vec<String>, Vec<String>)> {
    let out = std::env::temp_dir().join(common::unique_tag("oracle.strace"));
    let status = std::process::Command::new("strace")
        .args(["-f", "-e", "trace=wait4,kill", "-o"])
        .arg(&out)
        .args([PYTHON, prog])
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    assert!(status.success(), "the program under strace");
    let text = std::fs::read_to_string(&out).expect("strace's output");
    let _ = std::fs::remove_file(&out);
    let mut reaped = Vec::new();
    let mut sent = Vec::new();
    for line in text.lines() {
        if line.contains("wait4") && !line.ends_with("<unfinished ...>") {
            if let Some(code) = line.split("WEXITSTATUS(s) == ").nth(1) {
                let n: String = code.chars().take_while(char::is_ascii_digit).collect();
                reaped.push(format!("exit {n}"));
            } else if let Some(sig) = line.split("WTERMSIG(s) == ").nth(1) {
                reaped.push(
                    sig.chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect(),
                );
            }
        }
        if let Some(rest) = line.split(" kill(").nth(1)
            && rest.ends_with("= 0")
            && let Some(sig) = rest.split(", ").nth(1)
        {
            sent.push(sig.split(')').next().unwrap_or("").to_string());
        }
    }
    Some((reaped, sent))
}

#[test]
fn reaps_and_signals_agree_with_strace_on_the_same_program() {
    let prog = script(
        "oracle.py",
        r#"
import os, signal, time
for code, delay in ((3, 0.6), (5, 0.2), (7, 0.4)):
    if os.fork() == 0:
        time.sleep(delay)
        os._exit(code)
victim = os.fork()
if victim == 0:
    time.sleep(30)
    os._exit(0)
time.sleep(0.05)
os.kill(victim, signal.SIGTERM)
for _ in range(4):
    os.wait()
"#,
    );
    let prog = prog.to_str().expect("utf-8 path");
    let Some((reaped, sent)) = strace_oracle(prog) else {
        eprintln!("strace is not installed: the comparison with strace was not made");
        return;
    };
    assert_eq!(
        reaped,
        ["SIGTERM", "exit 5", "exit 7", "exit 3"],
        "strace saw"
    );
    let t = trace_checked("trace-oracle", &[PYTHON, prog]);
    let ctx = t.ctx();
    let shown: Vec<String> = reaps_by(&t, t.root)
        .iter()
        .map(|r| match r["code"].as_i64() {
            Some(c) => format!("exit {c}"),
            None => r["signal"].as_str().unwrap_or("?").to_string(),
        })
        .collect();
    assert_eq!(shown, reaped, "the same waits, in the same order {ctx}");
    let signals: Vec<&str> = t
        .of_kind("send_signal")
        .into_iter()
        .filter(|s| event_pid(s) == t.root)
        .filter_map(|s| s["signal"].as_str())
        .collect();
    assert_eq!(signals, sent, "{ctx}");
}

/// How many processes descend from `root` now (zombies included: they are held).
fn descendants(root: i32) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let parents: Vec<(i32, i32)> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut inside = vec![root];
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid) in &parents {
            if inside.contains(ppid) && !inside.contains(pid) {
                inside.push(*pid);
                grew = true;
            }
        }
    }
    inside.len() - 1
}

/// Programs that fork without waiting, under `--cap 5`: sampled all along, the run
/// (the tracer included) never holds more than 5 processes, and the forks over the cap
/// fail as the program sees them (EAGAIN), told by `fork_failed`.
#[test]
fn the_cap_is_never_exceeded_by_programs_that_fork_without_waiting() {
    let python = "import os, time\nkids = []\ntry:\n    for i in range(200):\n        pid = os.fork()\n        if pid == 0:\n            time.sleep(0.5)\n            os._exit(0)\n        kids.append(pid)\nexcept BlockingIOError:\n    print('refused after', len(kids), flush=True)\nfor k in kids:\n    os.waitpid(k, 0)\n";
    let cases: [(&str, Vec<&str>); 2] = [
        ("cap-peak-py", vec![PYTHON, "-c", python]),
        (
            "cap-peak-sh",
            vec![
                "sh",
                "-c",
                "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.5 & done; wait",
            ],
        ),
    ];
    for (name, command) in cases {
        let tag = common::unique_tag(name);
        let mut args = vec!["--cap", "5", "trace", "--json", "--"];
        args.extend(command);
        let running = common::Running::spawn(common::proclab(&tag, &args));
        let front = running.pid();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut peak = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(descendants(front));
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                peak
            })
        };
        let done = running.finish(std::time::Duration::from_secs(60));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let peak = sampler.join().expect("sampler");
        let events = common::parse_wire(&done.stdout);
        let refused = events.iter().filter(|e| e["kind"] == "fork_failed").count();
        assert!(
            peak <= 5,
            "{name}: peaked at {peak} processes under --cap 5"
        );
        assert!(
            peak >= 4,
            "{name}: the sampler saw only {peak}: it did not look"
        );
        assert!(refused >= 1, "{name}: no fork was refused\n{}", done.stdout);
        assert!(
            !events.iter().any(|e| e["kind"] == "cap_kill"),
            "{name}: nothing is killed"
        );
        common::assert_no_tagged_left(&tag);
    }
}
