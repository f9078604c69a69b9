//! `proclab run` without a terminal: the JSON wire output, the readable log, the cap
//! and parameter errors, `list`, the no-TTY refusal, and what a signal to the front end
//! does to the run's processes. Every run is tagged through the environment, and each
//! test checks that no process carrying its tag outlives the run.

#![allow(
    clippy::cast_possible_truncation,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{event_pid as pid, *};
use nix::sys::signal::Signal;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(20);

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

/// Within one process, events are written in order, on one clock shared by the run.
/// (`state` lines come from the front end's observer, not the process: left out.)
fn assert_time_ordered_per_process(events: &[Value]) {
    let mut last: BTreeMap<i64, u64> = BTreeMap::new();
    for e in events.iter().filter(|e| e["kind"] != "state") {
        let t = e["t_us"].as_u64().unwrap_or_default();
        let prev = last.insert(pid(e), t).unwrap_or(0);
        assert!(
            t >= prev,
            "time went backwards in process {}: {prev} then {e}",
            pid(e)
        );
    }
}

/// Every process of the run is reaped exactly once, by its own parent (main by the
/// front end, which reports its `waitpid` of the runner as a real `reap`), with status 0
/// and exit code 0. Returns the reaped PIDs by reaper.
fn assert_reaped_by_own_parent(
    events: &[Value],
    spawns: &BTreeMap<i64, Value>,
) -> BTreeMap<i64, BTreeSet<i64>> {
    let mut by_parent: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut reaped = BTreeSet::new();
    for r in of_kind(events, "reap") {
        let child = r["child"].as_i64().expect("reap.child");
        let spawn = spawns
            .get(&child)
            .unwrap_or_else(|| panic!("reap of {child}, which never announced itself: {r}"));
        assert_eq!(
            Some(pid(r)),
            spawn["ppid"].as_i64(),
            "{child} was reaped by {} but its parent is {}",
            pid(r),
            spawn["ppid"]
        );
        assert_eq!(r["status"], 0, "raw wait status must be 0: {r}");
        assert_eq!(r["code"], 0, "exit code must be 0: {r}");
        assert!(
            r.get("signal").is_none(),
            "no process may die of a signal: {r}"
        );
        assert!(reaped.insert(child), "{child} reaped twice");
        by_parent.entry(pid(r)).or_default().insert(child);
    }
    let expected: BTreeSet<i64> = spawns.keys().copied().collect();
    assert_eq!(
        reaped, expected,
        "every process must be reaped exactly once"
    );
    by_parent
}

/// Every process announced, main included, reports exit code 0 exactly once.
fn assert_all_exit_zero(events: &[Value], spawns: &BTreeMap<i64, Value>) {
    let mut exits: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for e in of_kind(events, "exit") {
        exits
            .entry(pid(e))
            .or_default()
            .push(e["code"].as_i64().expect("exit.code"));
    }
    for p in spawns.keys() {
        assert_eq!(
            exits.get(p),
            Some(&vec![0]),
            "process {p} must exit once with code 0"
        );
    }
    assert_eq!(
        exits.len(),
        spawns.len(),
        "exit events from unknown PIDs: {exits:?}"
    );
}

// ---- (a) the default fan-out ---------------------------------------------------------

#[test]
fn json_default_fanout_one_parent_ten_children() {
    // The checks of every run (`run_json_checked`): success, nothing on stderr, one
    // summary, last, counting every spawn with `leaked` 0; distinct PIDs; one main, the
    // front end's child, reaped by it; every process reaped once; no `fork_failed`;
    // nothing tagged left.
    let run = run_json_checked("fork-fanout", &[], "20", TIMEOUT);
    let (events, spawns, main, front_end) = (&run.events, &run.spawns, run.main, run.front_end);
    assert_eq!(of_kind(events, "spawn").len(), 11, "1 main + 10 children");
    assert_ne!(main, front_end, "main is the runner, a process of its own");

    let children: BTreeSet<i64> = spawns.keys().copied().filter(|p| *p != main).collect();
    assert_eq!(children.len(), 10, "10 distinct child PIDs");
    for c in &children {
        assert_eq!(
            spawns[c]["ppid"], main,
            "child {c} must be main's: {}",
            spawns[c]
        );
    }
    let labels: BTreeSet<String> = children
        .iter()
        .map(|c| spawns[c]["label"].as_str().unwrap().to_string())
        .collect();
    let expected_labels: BTreeSet<String> = (0..10).map(|i| format!("child {i}")).collect();
    assert_eq!(labels, expected_labels);

    // Each process reports its own start time (clock ticks since boot, as in
    // /proc/PID/stat): no earlier than this test's own process (its ancestor), and no
    // child before main.
    let start = |pid: &i64| {
        spawns[pid]["start"]
            .as_u64()
            .unwrap_or_else(|| panic!("spawn of {pid} without start: {}", spawns[pid]))
    };
    let ours: u64 = std::fs::read_to_string("/proc/self/stat")
        .expect("/proc/self/stat")
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().nth(19)?.parse().ok())
        .expect("field 22 of /proc/self/stat");
    assert!(
        start(&main) >= ours,
        "main {} before the test {ours}",
        start(&main)
    );
    for c in &children {
        assert!(start(c) >= start(&main), "child {c} started before main");
    }

    let by_parent = assert_reaped_by_own_parent(events, spawns);
    let reapers: BTreeSet<i64> = by_parent.keys().copied().collect();
    assert_eq!(
        reapers,
        BTreeSet::from([main, front_end]),
        "only main and the front end reap"
    );
    assert_eq!(
        by_parent[&main], children,
        "main reaps exactly its 10 children"
    );
    assert_eq!(
        by_parent[&front_end],
        BTreeSet::from([main]),
        "the front end reaps the runner"
    );
    assert_all_exit_zero(events, spawns);
    assert_time_ordered_per_process(events);

    let s = run.summary();
    assert_eq!(s["processes"], 11, "{s}");
    assert_eq!(pid(s), main, "main writes the summary");

    // `run_json_checked` found nothing tagged left; no zombie of the run either.
    for p in spawns.keys().copied() {
        assert!(
            !is_proclab_zombie(p as i32),
            "{} is an unreaped zombie",
            describe_pid(p as i32)
        );
    }
}

// ---- (b) without the break: a binomial tree of 2^3 processes ------------------------

#[test]
fn json_no_break_tree_of_eight() {
    // The checks of every run, as in (a) (`run_json_checked`).
    let run = run_json_checked_with(
        &[],
        "fork-fanout",
        &["break_in_child=false", "children=3"],
        "20",
        TIMEOUT,
    );
    let (events, spawns) = (&run.events, &run.spawns);
    assert_eq!(spawns.len(), 8, "2^3 = 8 distinct processes");
    assert_eq!(of_kind(events, "spawn").len(), 8);

    let main = run.main;

    // Parent links: every non-main process hangs under another process of the run.
    let mut kids: BTreeMap<i64, Vec<i64>> = spawns.keys().map(|p| (*p, Vec::new())).collect();
    for (p, s) in spawns {
        if *p == main {
            continue;
        }
        let parent = s["ppid"].as_i64().expect("ppid");
        assert!(
            spawns.contains_key(&parent),
            "{p}'s parent {parent} is not in the run"
        );
        kids.get_mut(&parent).unwrap().push(*p);
    }
    // A tree rooted at main: everything reachable from it, each process once.
    let mut seen = BTreeSet::from([main]);
    let mut stack = vec![main];
    while let Some(p) = stack.pop() {
        for k in &kids[&p] {
            assert!(seen.insert(*k), "{k} reached twice: not a tree");
            stack.push(*k);
        }
    }
    assert_eq!(seen.len(), 8, "every process must descend from main");

    // In round r each process forks once per remaining round: a binomial tree.
    assert_eq!(kids[&main].len(), 3, "main forks once per round");
    let mut degrees: Vec<usize> = kids.values().map(Vec::len).collect();
    degrees.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(
        degrees,
        vec![3, 2, 1, 1, 0, 0, 0, 0],
        "children per process"
    );
    assert_eq!(
        kids.values().filter(|k| k.is_empty()).count(),
        4,
        "4 leaves"
    );

    // Labels tell the same story: main's children are "child r", a grandchild of
    // "child 0" forked in round 2 is "child 0.2", and rounds only increase downwards.
    for (p, s) in spawns {
        if *p == main {
            continue;
        }
        let label = s["label"].as_str().unwrap();
        let parent = s["ppid"].as_i64().unwrap();
        let parent_label = spawns[&parent]["label"].as_str().unwrap();
        let (prefix, round) = label
            .rsplit_once(['.', ' '])
            .expect("label ends in its round");
        let round: usize = round.parse().expect("round number");
        if parent == main {
            assert_eq!(prefix, "child", "{label}");
        } else {
            assert_eq!(prefix, parent_label, "{label} under {parent_label}");
            let parent_round: usize = parent_label
                .rsplit_once(['.', ' '])
                .unwrap()
                .1
                .parse()
                .unwrap();
            assert!(
                round > parent_round,
                "{label} forked before its parent {parent_label} existed"
            );
        }
        assert_eq!(
            kids[p].len(),
            2 - round,
            "{label} forks in each round after {round}"
        );
    }

    let by_parent = assert_reaped_by_own_parent(events, spawns);
    for (parent, reaped) in &by_parent {
        if !spawns.contains_key(parent) {
            assert_eq!(
                reaped,
                &BTreeSet::from([main]),
                "outside the run only the front end reaps, and only main"
            );
            continue;
        }
        let own: BTreeSet<i64> = kids[parent].iter().copied().collect();
        assert_eq!(reaped, &own, "{parent} must reap exactly its own children");
    }
    assert_all_exit_zero(events, spawns);
    assert_time_ordered_per_process(events);
    assert_eq!(run.summary()["processes"], 8, "{}", run.summary());
}

// ---- (c) the process cap -----------------------------------------------------------

#[test]
fn cap_refuses_2_pow_7_before_any_fork() {
    // Refused with the arithmetic and the cap, nothing on stdout (no spawn, no event),
    // nothing left.
    let out = assert_refused(
        "cap_refusal",
        &[
            "run",
            "fork-fanout",
            "--set",
            "break_in_child=false",
            "--set",
            "children=7",
            "--json",
        ],
        &["2^7 = 128", "cap of 64"],
        TIMEOUT,
    );
    assert!(
        out.elapsed < Duration::from_secs(5),
        "a refusal is immediate, took {:?}",
        out.elapsed
    );
}

#[test]
fn cap_flag_counts_main_and_is_inclusive() {
    // The default fan-out peaks at 1 + 10 = 11: refused under --cap 10.
    assert_refused(
        "cap_flag_refused",
        &["--cap", "10", "run", "fork-fanout", "--json"],
        &["11", "cap of 10"],
        TIMEOUT,
    );

    // 2^3 = 8 processes fit a cap of exactly 8: a run with the checks of every run
    // (`run_json_checked`: success, no `fork_failed`, `leaked` 0, nothing left).
    let run = run_json_checked_with(
        &["--cap", "8"],
        "fork-fanout",
        &["break_in_child=false", "children=3"],
        "20",
        TIMEOUT,
    );
    assert_eq!(run.summary()["processes"], 8, "{}", run.ctx());
}

// ---- (d) errors list what is valid ---------------------------------------------------

/// `args` must be refused, naming every one of `must_mention` (see `assert_refused`).
fn refused(args: &[&str], must_mention: &[&str]) {
    assert_refused("refused", args, must_mention, TIMEOUT);
}

#[test]
fn unknown_scenario_lists_valid_ids() {
    refused(
        &["run", "no-such-scenario", "--json"],
        &["no-such-scenario", "fork-fanout"],
    );
}

#[test]
fn unknown_lesson_lists_valid_ids() {
    refused(
        &["lesson", "no-such-lesson"],
        &["no-such-lesson", "fork-fanout"],
    );
}

#[test]
fn unknown_key_lists_parameters_with_defaults() {
    refused(
        &["run", "fork-fanout", "--set", "kids=3", "--json"],
        &[
            "kids",
            "children",
            "default 10",
            "break_in_child",
            "default true",
        ],
    );
}

#[test]
fn bad_values_say_what_is_accepted() {
    refused(
        &["run", "fork-fanout", "--set", "children=abc", "--json"],
        &["abc", "children", "from 1 to 63"],
    );
    refused(
        &["run", "fork-fanout", "--set", "children=0", "--json"],
        &["children", "from 1 to 63"],
    );
    refused(
        &["run", "fork-fanout", "--set", "children=64", "--json"],
        &["children", "from 1 to 63"],
    );
    refused(
        &[
            "run",
            "fork-fanout",
            "--set",
            "break_in_child=maybe",
            "--json",
        ],
        &["maybe", "true|false"],
    );
    refused(
        &["run", "fork-fanout", "--set", "children", "--json"],
        &["key=value", "children", "default 10"],
    );
    refused(
        &["run", "fork-fanout", "--speed", "0", "--json"],
        &["--speed", "from 0.01 to 1000"],
    );
    refused(&["run", "fork-fanout", "--speed=-2", "--json"], &["speed"]);
}

/// Speeds outside 0.01..=1000 are refused with the range, on every command that takes
/// one, before anything starts: no panic (a float too small for a `Duration`), no run
/// that never moves, no 300-digit speed; `--speed -1` gets the same message (not
/// clap's "use '-- -1'").
#[test]
fn extreme_speeds_are_refused_with_the_range() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fork-fanout-3.jsonl"
    );
    for speed in [
        "-1", "1e-100", "1e-7", "0.001", "1e308", "1001", "nan", "inf", "fast",
    ] {
        for args in [
            &["run", "fork-fanout", "--json", "--speed", speed][..],
            &["lesson", "fork-fanout", "--speed", speed][..],
            &["replay", fixture, "--json", "--speed", speed][..],
        ] {
            let out = run_proclab(&unique_tag("speed"), args, TIMEOUT);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
            assert!(
                out.stderr
                    .contains("--speed takes a factor from 0.01 to 1000")
                    && !out.stderr.contains("'-- -1'")
                    && !out.stderr.contains("panicked"),
                "{args:?}:\n{}",
                out.stderr
            );
        }
    }
    // The ends of the range are speeds.
    let out = run_proclab(
        &unique_tag("speed-max"),
        &["replay", fixture, "--json", "--speed", "1000"],
        TIMEOUT,
    );
    assert!(out.status.success(), "{}", out.stderr);
}

// ---- (e) the readable log ------------------------------------------------------------

#[test]
fn headless_prints_a_readable_line_per_event() {
    let tag = unique_tag("headless_readable");
    let out = run_proclab(
        &tag,
        &["run", "fork-fanout", "--headless", "--speed", "20"],
        TIMEOUT,
    );
    assert!(
        out.status.success(),
        "exit {:?}, stderr:\n{}",
        out.status,
        out.stderr
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    // At least a spawn, an exit and a reap for each of 11 processes, and the summary.
    assert!(lines.len() >= 34, "too few lines:\n{}", out.stdout);
    let mut pids = BTreeSet::new();
    for line in &lines {
        assert!(
            !line.trim_start().starts_with('{'),
            "JSON in the readable log: {line}"
        );
        // "    0.001s     9224  main        spawned as 'main' by 9222"
        let mut words = line.split_whitespace();
        let time = words.next().unwrap_or_default();
        let secs = time.strip_suffix('s').and_then(|t| t.parse::<f64>().ok());
        assert!(
            secs.is_some_and(|s| s >= 0.0),
            "line must start with a time in seconds: {line:?}"
        );
        let p: Option<i32> = words.next().and_then(|w| w.parse().ok());
        assert!(
            p.is_some_and(|p| p > 0),
            "a PID must follow the time: {line:?}"
        );
        pids.insert(p.unwrap());
        assert!(
            words.next().is_some(),
            "a description must follow: {line:?}"
        );
    }
    assert_eq!(
        pids.len(),
        12,
        "events from the front end, main and 10 children"
    );
    let count = |s: &str| lines.iter().filter(|l| l.contains(s)).count();
    assert_eq!(count("spawned as 'main' by"), 1);
    assert_eq!(count("spawned as 'child "), 10);
    assert_eq!(
        count("(exit code 0)"),
        11,
        "one readable reap per child, and the runner's"
    );
    assert_eq!(count("waitpid → child"), 11);
    assert_eq!(count("exit(0)"), 11);
    let last = lines.last().unwrap();
    assert!(
        last.contains("summary: 11 processes, 0 leaked"),
        "last line: {last}"
    );
    assert_eq!(count("summary:"), 1);
    assert_no_tagged_left(&tag);
}

// ---- (f) list ------------------------------------------------------------------------

#[test]
fn list_prints_id_scenario_title() {
    let tag = unique_tag("list");
    let out = run_proclab(&tag, &["list"], TIMEOUT);
    assert!(out.status.success(), "{}", out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("fork-fanout\tfork-fanout\t"))
        .unwrap_or_else(|| panic!("no fork-fanout line:\n{}", out.stdout));
    let title = line.splitn(3, '\t').nth(2).unwrap();
    assert!(!title.trim().is_empty(), "the title is empty");
    for l in out.stdout.lines() {
        assert_eq!(l.split('\t').count(), 3, "id TAB scenario TAB title: {l:?}");
    }
}

// ---- (g) no terminal -----------------------------------------------------------------

#[test]
fn screens_refuse_without_a_terminal() {
    for args in [
        &[][..],
        &["lesson", "fork-fanout"][..],
        &["run", "fork-fanout"][..],
    ] {
        let tag = unique_tag("no_tty");
        let out = run_proclab(&tag, args, TIMEOUT);
        assert!(
            !out.status.success(),
            "proclab {args:?} without a TTY must fail"
        );
        assert!(
            out.stderr.contains("terminal"),
            "proclab {args:?}:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("--headless"),
            "proclab {args:?} must suggest --headless:\n{}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "proclab {args:?} must not draw anything");
        assert_no_tagged_left(&tag);
    }
}

// ---- (h) a quit signal mid-run -------------------------------------------------------

/// Starts a slow headless run, waits until main and at least two children are alive,
/// and returns it with its tag.
fn slow_run(name: &str) -> (Running, String) {
    let tag = unique_tag(name);
    let running = Running::spawn(proclab(
        &tag,
        &["run", "fork-fanout", "--headless", "--speed", "1"],
    ));
    // front end + runner + child 0 + child 1 (forked 0.4 s in)
    let alive = wait_for_tagged(&tag, 4, Duration::from_secs(5));
    assert!(
        alive >= 4,
        "the run should be under way with >= 4 processes, saw {alive}"
    );
    (running, tag)
}

fn quit_signal_stops_the_run(name: &str, signal: Signal) {
    let (running, tag) = slow_run(name);
    std::thread::sleep(Duration::from_millis(300)); // ~0.7 s in
    running.signal(signal);
    let out = running.finish(Duration::from_secs(5));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        None,
        "{signal} must be handled, not fatal: {:?}",
        out.status
    );
    // As a shell reports a program a signal ended: 128 + N.
    assert_eq!(
        out.status.code(),
        Some(128 + signal as i32),
        "an interrupted run exits 128 + N"
    );
    assert!(
        out.stderr.contains(&format!("interrupted by {signal}")),
        "stderr:\n{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("spawned as 'main'"),
        "the events so far are printed:\n{}",
        out.stdout
    );
    // The log still ends with a summary, saying it was interrupted (and by what).
    let last = out.stdout.lines().last().unwrap_or_default();
    assert!(
        last.contains("summary:") && last.contains(&format!("interrupted = \"{signal}\"")),
        "an interrupted run ends with a summary saying so:\n{}",
        out.stdout
    );
    assert_no_tagged_left(&tag);
}

#[test]
fn sigterm_mid_run_stops_every_process() {
    quit_signal_stops_the_run("sigterm_mid_run", Signal::SIGTERM);
}

#[test]
fn sigint_mid_run_stops_every_process() {
    quit_signal_stops_the_run("sigint_mid_run", Signal::SIGINT);
}

#[test]
fn sighup_mid_run_stops_every_process() {
    quit_signal_stops_the_run("sighup_mid_run", Signal::SIGHUP);
}

// ---- (i) the front end killed outright -------------------------------------------------

#[test]
fn sigkill_to_front_end_takes_the_run_down() {
    let (mut running, tag) = slow_run("sigkill_front_end");
    std::thread::sleep(Duration::from_millis(300));
    let before = tagged_pids(&tag);
    assert!(before.len() >= 4, "run under way: {before:?}");
    let status = running.kill_and_reap();
    assert_no_tagged_left_because(&tag, "PDEATHSIG should end the run within 1 s of SIGKILL");
    let out = running.collect_after_kill(status);
    assert!(out.stdout.contains("spawned as 'main'"), "{}", out.stdout);
}

#[test]
fn sigkill_to_front_end_takes_a_three_level_tree_down() {
    let tag = unique_tag("sigkill_tree");
    let args = [
        "run",
        "fork-fanout",
        "--set",
        "break_in_child=false",
        "--set",
        "children=3",
        "--headless",
        "--speed",
        "1",
    ];
    let mut running = Running::spawn(proclab(&tag, &args));
    // front end + all 8 processes of the tree (the last round forks 0.8 s in)
    let alive = wait_for_tagged(&tag, 9, Duration::from_secs(5));
    assert_eq!(alive, 9, "front end and 2^3 processes should all be alive");
    let status = running.kill_and_reap();
    assert_no_tagged_left_because(&tag, "grandchildren must die with their parents within 1 s");
    drop(running.collect_after_kill(status));
}

// ---- other ways a run can end early ----------------------------------------------------

/// Kills (and reaps) the child if a test fails before it ended.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_with_timeout(
    child: &mut std::process::Child,
    timeout: Duration,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "proclab did not exit within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A `run fork-fanout --json --speed 1` (tagged `tag`) with its pipes in the test's
/// hands: the guard, stdout after its first line, stderr, that first line, and how many
/// tagged processes were alive (up to 3: front end, main, child 0) within 5 s.
fn start_fanout_piped(
    tag: &str,
) -> (
    KillOnDrop,
    std::io::BufReader<std::process::ChildStdout>,
    std::process::ChildStderr,
    String,
    usize,
) {
    use std::io::BufRead;
    let mut guard = KillOnDrop(Some(
        proclab(tag, &["run", "fork-fanout", "--json", "--speed", "1"])
            .spawn()
            .expect("spawn"),
    ));
    let child = guard.0.as_mut().expect("just spawned");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout piped"));
    let stderr = child.stderr.take().expect("stderr piped");
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let alive = wait_for_tagged(tag, 3, Duration::from_secs(5));
    (guard, stdout, stderr, first, alive)
}

#[test]
fn runner_killed_from_outside_is_reported_and_cleaned_up() {
    use std::io::Read;
    let tag = unique_tag("runner_killed");
    let (mut guard, mut stdout, mut stderr, first, alive) = start_fanout_piped(&tag);
    let child = guard.0.as_mut().unwrap();
    // The runner announces itself first: its PID is main's.
    let spawn: Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(
        spawn["label"], "main",
        "the first event is main's spawn: {first}"
    );
    let runner = spawn["pid"].as_i64().unwrap() as i32;
    assert!(
        alive >= 3,
        "front end, main and child 0 should be alive, saw {alive}"
    );

    // SIGKILL to the runner only (a process of this run, unreaped: the PID is its own).
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(runner), Signal::SIGKILL)
        .expect("kill runner");
    let status = wait_with_timeout(child, Duration::from_secs(5));
    guard.0 = None;
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    stderr.read_to_string(&mut err).unwrap();

    assert!(!status.success(), "a run without its summary is a failure");
    assert!(err.contains("without a summary"), "stderr:\n{err}");
    let events = parse_wire(&format!("{first}{rest}"));
    assert!(
        of_kind(&events, "summary").is_empty(),
        "a killed runner writes no summary"
    );
    let reap = of_kind(&events, "reap")
        .into_iter()
        .find(|r| r["child"] == runner)
        .unwrap_or_else(|| panic!("the front end must report the runner's end:\n{rest}"));
    assert_eq!(reap["signal"], "SIGKILL", "{reap}");
    assert_eq!(reap["status"], 9, "{reap}");
    assert!(reap.get("code").is_none(), "{reap}");
    assert_no_tagged_left(&tag);
}

#[test]
fn closed_stdout_ends_the_run_cleanly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let tag = unique_tag("closed_stdout");
    let (mut guard, stdout, mut stderr, first, alive) = start_fanout_piped(&tag);
    let child = guard.0.as_mut().unwrap();
    assert!(first.contains("\"spawn\""), "{first}");
    assert!(alive >= 3, "the run should be under way, saw {alive}");
    drop(stdout); // like `proclab run … --json | head -1`

    let status = wait_with_timeout(child, Duration::from_secs(5));
    guard.0 = None;
    let mut err = String::new();
    stderr.read_to_string(&mut err).unwrap();
    assert_eq!(
        status.signal(),
        None,
        "a closed pipe must be handled, not a fatal SIGPIPE"
    );
    // As a program killed by SIGPIPE would report it (128 + 13) to a shell with
    // pipefail, but without a word on stderr: `| head` is how people read a log.
    assert_eq!(status.code(), Some(141), "stderr:\n{err}");
    assert!(err.is_empty(), "nothing to complain about: {err}");
    assert_no_tagged_left(&tag);
}

/// The runner's last words on stderr reach the user even when they come after the
/// event pipe closed: `PROCLAB_DEBUG_LATE_STDERR_MS` makes the runner close stdout at
/// once and write to stderr 300 ms later. Without the wait for stderr's EOF the front
/// end said only "ended without a summary", and the reason was lost.
#[test]
fn stderr_written_after_stdout_closed_is_still_shown() {
    let tag = unique_tag("late_stderr");
    let mut cmd = proclab(&tag, &["run", "zombie", "--json"]);
    cmd.env("PROCLAB_DEBUG_LATE_STDERR_MS", "300");
    let out = Running::spawn(cmd).finish(TIMEOUT);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    let late = out.stderr.find("runner: last words");
    let verdict = out.stderr.find("ended without a summary");
    assert!(
        late.is_some() && verdict.is_some() && late < verdict,
        "the runner's line first, then the verdict:\n{}",
        out.stderr
    );
    assert_no_tagged_left(&tag);
}
