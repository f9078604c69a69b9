//! The lifecycle scenarios run for real: zombies, signal dispositions, orphans, memory
//! isolation after fork, and a crashing child. Each run is `proclab run <scenario>
//! --json --speed N`, tagged through the environment; the tests assert what the events
//! say happened (who signalled whom, what `waitpid` returned, what the observer saw in
//! /proc) and that no process of the run outlives it.
//!
//! Speeds are chosen so that states the observer must see last long enough in real time:
//! it samples /proc every 100 ms, so a state needs ~300 ms to be seen reliably. Variants
//! of one scenario run in parallel threads (each drives its own proclab through
//! `std::process::Command`; nothing forks in the test process).

mod common;

use std::time::Duration;

use common::{event_pid as pid, event_t_us as t_us, *};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(20);

/// The observer stamps a sample with the time it started the pass over the run's PIDs,
/// and reads each PID's /proc files a few microseconds later. A state caused by an event
/// (a kill) can therefore carry a time a hair before that event's own. This is the
/// slack allowed for that, far below the observer's 100 ms period.
const SAMPLE_SLACK_US: u64 = 10_000;

// ---- one run and its events -----------------------------------------------------------

/// Runs `proclab run <scenario> --json --speed <speed> [--set s]…` to its end, with the
/// checks every run must pass (`run_json_checked`: one summary, last; distinct spawns;
/// one main, the front end's child; every process reaped exactly once by its parent or
/// adopter; nothing left).
fn run_scenario(scenario: &str, sets: &[&str], speed: &str) -> JsonRun {
    run_json_checked_with(&[], scenario, sets, speed, TIMEOUT)
}

/// `value` events named `name` from `pid_`, in line order.
fn values<'a>(run: &'a JsonRun, pid_: i64, name: &str) -> Vec<&'a Value> {
    run.by(pid_, "value")
        .into_iter()
        .filter(|v| v["name"] == name)
        .collect()
}

/// Whether any `state` event carries the `ignored` / `caught` signal lists (added to
/// the wire after the lifecycle scenarios; absent when empty, but every Rust process
/// ignores SIGPIPE, so a run with the feature always shows some).
fn states_have_dispositions(run: &JsonRun) -> bool {
    run.of_kind("state")
        .iter()
        .any(|s| s.get("ignored").is_some() || s.get("caught").is_some())
}

/// Whether any `state` event for `pid_` lists `signal` in its `field` list.
fn state_lists(run: &JsonRun, pid_: i64, field: &str, signal: &str) -> bool {
    run.by(pid_, "state").iter().any(|s| {
        s[field]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x == signal))
    })
}

// ---- zombie ---------------------------------------------------------------------------

/// main kills its child with `signal`, leaves it unreaped for 3.0 s of lesson time
/// (0.75 s at speed 4), then reaps it.
fn zombie(sets: &[&str], signal: &str, status: i64) {
    let run = run_scenario("zombie", sets, "4");
    let ctx = run.ctx();
    let (main, child) = (run.main, run.pid_of("child"));
    assert_eq!(
        run.spawns[&child]["ppid"], main,
        "main forks the child {ctx}"
    );

    let sends = run.of_kind("send_signal");
    assert_eq!(sends.len(), 1, "main signals once {ctx}");
    let send = sends[0];
    assert_eq!(pid(send), main, "main sends the signal {ctx}");
    assert_eq!(send["target"], child, "to its child {ctx}");
    assert_eq!(send["signal"], signal, "{ctx}");

    let reap = run.reap_of(child);
    assert_eq!(pid(reap), main, "main reaps its child {ctx}");
    assert_eq!(reap["status"], status, "raw wait status {ctx}");
    assert_eq!(reap["signal"], signal, "killed by {signal} {ctx}");
    assert!(
        reap.get("code").is_none(),
        "a killed child has no exit code {ctx}"
    );
    assert!(t_us(reap) > t_us(send), "the reap follows the kill {ctx}");

    // The observer saw the zombie: state Z between the kill and the reap.
    let zombies: Vec<&Value> = run
        .by(child, "state")
        .into_iter()
        .filter(|s| s["state"] == "Z")
        .collect();
    assert!(
        !zombies.is_empty(),
        "the observer never reported the child as a zombie (state Z) {ctx}"
    );
    for z in &zombies {
        assert!(
            t_us(z) + SAMPLE_SLACK_US >= t_us(send) && t_us(z) < t_us(reap),
            "a Z state must fall between the kill ({}) and the reap ({}): {z} {ctx}",
            t_us(send),
            t_us(reap)
        );
        let reason = z["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("waitpid"),
            "the zombie's reason should say it waits for waitpid: {z} {ctx}"
        );
    }
    // Before the kill it was a live process, not a zombie.
    assert!(
        run.by(child, "state")
            .iter()
            .any(|s| s["state"] != "Z" && t_us(s) < t_us(send)),
        "the child should be seen alive before the kill {ctx}"
    );
    assert!(
        run.by(child, "exit").is_empty(),
        "a child killed by a signal cannot report an exit {ctx}"
    );
    assert_eq!(*run.result("status"), status, "{ctx}");
}

#[test]
fn zombie_is_seen_until_reaped_for_sigkill_and_sigterm() {
    in_parallel(vec![
        (
            "zombie default (SIGKILL)".into(),
            Box::new(|| zombie(&[], "SIGKILL", 9)),
        ),
        (
            "zombie SIGTERM".into(),
            Box::new(|| zombie(&["signal=SIGTERM"], "SIGTERM", 15)),
        ),
    ]);
}

// ---- signals --------------------------------------------------------------------------

/// The child sets SIGTERM's disposition, main sends SIGTERM after 2.5 s and looks again
/// 1.5 s later (0.625 s and 0.375 s at speed 4).
fn signals(disposition: &'static str) {
    let set = format!("disposition={disposition}");
    let run = run_scenario("signals", &[&set], "4");
    let ctx = run.ctx();
    let (main, child) = (run.main, run.pid_of("child"));
    assert_eq!(
        run.spawns[&child]["ppid"], main,
        "main forks the child {ctx}"
    );

    let sends = run.of_kind("send_signal");
    for s in &sends {
        assert_eq!(pid(s), main, "only main signals {ctx}");
        assert_eq!(s["target"], child, "only the child is signalled {ctx}");
    }
    assert!(!sends.is_empty(), "main sends SIGTERM {ctx}");
    let term = sends[0];
    assert_eq!(
        term["signal"], "SIGTERM",
        "the first signal is SIGTERM {ctx}"
    );
    let handled = run.of_kind("handle_signal");
    let reap = run.reap_of(child);
    assert_eq!(pid(reap), main, "main reaps its child {ctx}");
    assert!(t_us(reap) > t_us(term), "{ctx}");

    match disposition {
        "default" => {
            assert_eq!(sends.len(), 1, "SIGTERM is enough {ctx}");
            assert!(handled.is_empty(), "nothing handles SIGTERM {ctx}");
            assert_eq!(reap["status"], 15, "killed by SIGTERM {ctx}");
            assert_eq!(reap["signal"], "SIGTERM", "{ctx}");
            assert!(reap.get("code").is_none(), "{ctx}");
            assert!(run.by(child, "exit").is_empty(), "{ctx}");
        }
        "ignore" => {
            assert_eq!(handled.len(), 1, "one handle_signal expected {ctx}");
            let h = handled[0];
            assert_eq!(pid(h), child, "the child ignored it {ctx}");
            assert_eq!(h["signal"], "SIGTERM", "{ctx}");
            assert_eq!(h["action"], "ignored", "{ctx}");
            assert!(t_us(h) >= t_us(term), "ignored after it was sent {ctx}");
            assert_eq!(sends.len(), 2, "SIGTERM, then SIGKILL {ctx}");
            let kill = sends[1];
            assert_eq!(kill["signal"], "SIGKILL", "{ctx}");
            assert!(
                t_us(kill) >= t_us(h),
                "SIGKILL after SIGTERM was ignored {ctx}"
            );
            assert_eq!(reap["status"], 9, "killed by SIGKILL {ctx}");
            assert_eq!(reap["signal"], "SIGKILL", "{ctx}");
            assert!(reap.get("code").is_none(), "{ctx}");
            assert!(t_us(reap) >= t_us(kill), "{ctx}");
            assert!(run.by(child, "exit").is_empty(), "{ctx}");
        }
        "handler" => {
            assert_eq!(sends.len(), 1, "SIGTERM is enough {ctx}");
            assert_eq!(handled.len(), 1, "one handle_signal expected {ctx}");
            let h = handled[0];
            assert_eq!(pid(h), child, "the child's handler ran {ctx}");
            assert_eq!(h["signal"], "SIGTERM", "{ctx}");
            assert_eq!(h["action"], "handler", "{ctx}");
            assert!(t_us(h) >= t_us(term), "handled after it was sent {ctx}");
            let exits = run.by(child, "exit");
            assert_eq!(exits.len(), 1, "the child exits by itself {ctx}");
            assert_eq!(exits[0]["code"], 0, "{ctx}");
            assert!(t_us(exits[0]) >= t_us(h), "{ctx}");
            assert_eq!(reap["status"], 0, "a clean exit {ctx}");
            assert_eq!(reap["code"], 0, "{ctx}");
            assert!(reap.get("signal").is_none(), "{ctx}");
        }
        other => unreachable!("{other}"),
    }
    assert_eq!(*run.result("status"), reap["status"], "{ctx}");

    // The observer reports which signals a process ignores / catches (SigIgn, SigCgt).
    // Those optional `ignored` / `caught` fields of `state` came later than this lesson;
    // with a proclab that does not send them there is nothing to check here.
    if states_have_dispositions(&run) {
        let ignored = state_lists(&run, child, "ignored", "SIGTERM");
        let caught = state_lists(&run, child, "caught", "SIGTERM");
        let (want_ignored, want_caught) = match disposition {
            "ignore" => (true, false),
            "handler" => (false, true),
            _ => (false, false),
        };
        assert_eq!(
            (ignored, caught),
            (want_ignored, want_caught),
            "SIGTERM in the child's state (ignored, caught) lists {ctx}"
        );
        // main never changes SIGTERM's disposition.
        assert!(
            !state_lists(&run, main, "ignored", "SIGTERM")
                && !state_lists(&run, main, "caught", "SIGTERM"),
            "main keeps SIGTERM's default {ctx}"
        );
    }
}

#[test]
fn signals_default_ignore_handler() {
    in_parallel(
        ["default", "ignore", "handler"]
            .into_iter()
            .map(|d| {
                let check: Box<dyn FnOnce() + Send> = Box::new(move || signals(d));
                (format!("signals {d}"), check)
            })
            .collect(),
    );
}

// ---- orphan ---------------------------------------------------------------------------

/// "parent" exits 2.0 s in without waiting for "child"; the runner (a child subreaper)
/// adopts and reaps it. Speed 8: the parent lives 0.25 s, the orphan 0.31 s more.
fn orphan() {
    let run = run_scenario("orphan", &[], "8");
    let ctx = run.ctx();
    let main = run.main;
    let parent = run.pid_of("parent");
    let child = run.pid_of("child");
    assert_eq!(run.spawns.len(), 3, "main, parent and child {ctx}");
    assert_eq!(run.spawns[&parent]["ppid"], main, "{ctx}");
    assert_eq!(run.spawns[&child]["ppid"], parent, "{ctx}");

    let parent_exit = run.by(parent, "exit");
    assert_eq!(parent_exit.len(), 1, "{ctx}");
    assert_eq!(parent_exit[0]["code"], 0, "{ctx}");
    let parent_reap = run.reap_of(parent);
    assert_eq!(pid(parent_reap), main, "main reaps the parent {ctx}");
    assert_eq!(parent_reap["status"], 0, "{ctx}");
    assert_eq!(parent_reap["code"], 0, "{ctx}");

    let reparents = run.by(child, "reparent");
    assert_eq!(
        reparents.len(),
        1,
        "the child reports its adoption once {ctx}"
    );
    let rp = reparents[0];
    assert_eq!(rp["old_ppid"], parent, "it was the parent's {ctx}");
    assert_eq!(rp["ppid"], main, "the subreaper main adopts it {ctx}");
    assert!(
        t_us(rp) >= t_us(parent_exit[0]),
        "adopted only after the parent exited {ctx}"
    );
    assert!(
        run.of_kind("reparent").len() == 1,
        "only the orphan is reparented {ctx}"
    );

    let child_exit = run.by(child, "exit");
    assert_eq!(child_exit.len(), 1, "{ctx}");
    assert_eq!(child_exit[0]["code"], 0, "{ctx}");
    let child_reap = run.reap_of(child);
    assert_eq!(pid(child_reap), main, "main reaps the adopted child {ctx}");
    assert_eq!(child_reap["status"], 0, "{ctx}");
    assert_eq!(child_reap["code"], 0, "{ctx}");
    assert!(t_us(child_reap) >= t_us(rp), "{ctx}");

    assert_eq!(run.summary()["processes"], 3, "{ctx}");
    assert_eq!(run.summary()["leaked"], 0, "{ctx}");
}

// ---- isolation ------------------------------------------------------------------------

/// Two children add 5 and 10 to their copy of `num`; main's stays 10. Speed 8.
fn isolation() {
    let run = run_scenario("isolation", &[], "8");
    let ctx = run.ctx();
    let main = run.main;
    let plus5 = run.pid_of("child +5");
    let plus10 = run.pid_of("child +10");
    assert_eq!(run.spawns.len(), 3, "{ctx}");
    for c in [plus5, plus10] {
        assert_eq!(run.spawns[&c]["ppid"], main, "{ctx}");
    }

    let main_nums = values(&run, main, "num");
    assert_eq!(main_nums.len(), 2, "main shows num before and after {ctx}");
    let (before, after) = (main_nums[0], main_nums[1]);
    assert_eq!(before["value"], 10, "{ctx}");
    assert_eq!(
        after["value"], 10,
        "the children's changes never reach main {ctx}"
    );
    for (c, want) in [(plus5, 15), (plus10, 20)] {
        let nums = values(&run, c, "num");
        assert_eq!(nums.len(), 1, "{ctx}");
        assert_eq!(nums[0]["value"], want, "{ctx}");
        assert!(
            t_us(before) <= t_us(&run.spawns[&c]),
            "before the fork {ctx}"
        );
        assert!(
            t_us(after) >= t_us(run.reap_of(c)),
            "main's second look comes after the reaps {ctx}"
        );
    }

    // The same virtual address in every process.
    let addresses: Vec<&Value> = [main, plus5, plus10]
        .iter()
        .flat_map(|p| values(&run, *p, "&num"))
        .map(|v| &v["value"])
        .collect();
    assert_eq!(addresses.len(), 4, "main twice, each child once {ctx}");
    let first = addresses[0].as_str().expect("&num is a string");
    assert!(!first.is_empty(), "{ctx}");
    assert!(
        addresses.iter().all(|a| a.as_str() == Some(first)),
        "&num must be the same address everywhere: {addresses:?} {ctx}"
    );

    assert_eq!(*run.result("num"), 10, "{ctx}");
}

// ---- crash ----------------------------------------------------------------------------

/// "Process-1" divides by zero 1.5 s in (0.375 s at speed 4) and dies with exit code 1.
fn crash() {
    let run = run_scenario("crash", &[], "4");
    let ctx = run.ctx();
    let main = run.main;
    let child = run.pid_of("Process-1");
    assert_eq!(run.spawns[&child]["ppid"], main, "{ctx}");

    assert!(
        run.by(child, "print").iter().any(|p| p["text"]
            .as_str()
            .unwrap_or_default()
            .contains("ZeroDivisionError")),
        "the child prints a ZeroDivisionError {ctx}"
    );
    let reap = run.reap_of(child);
    assert_eq!(pid(reap), main, "{ctx}");
    assert_eq!(reap["status"], 256, "exit code 1 as a raw status {ctx}");
    assert_eq!(reap["code"], 1, "{ctx}");
    assert!(reap.get("signal").is_none(), "an exit, not a signal {ctx}");

    let alive = values(&run, main, "is_alive");
    let seq: Vec<&Value> = alive.iter().map(|v| &v["value"]).collect();
    assert_eq!(
        seq,
        [&Value::Bool(false), &Value::Bool(true), &Value::Bool(false)],
        "is_alive before start, after start, after join {ctx}"
    );
    assert!(t_us(alive[0]) <= t_us(&run.spawns[&child]), "{ctx}");
    assert!(t_us(alive[1]) < t_us(reap), "{ctx}");
    assert!(t_us(alive[2]) >= t_us(reap), "{ctx}");
    assert_eq!(*run.result("exitcode"), 1, "{ctx}");

    // main carries on: it prints after the reap, and the summary still comes last.
    assert!(
        run.by(main, "print").iter().any(|p| t_us(p) > t_us(reap)),
        "main must print after the reap {ctx}"
    );
    let reap_line = run
        .events
        .iter()
        .position(|e| e["kind"] == "reap" && e["child"] == child)
        .expect("reap line");
    assert!(
        run.events[reap_line + 1..]
            .iter()
            .any(|e| e["kind"] == "print" && pid(e) == main),
        "a print from main follows the reap line {ctx}"
    );
    assert_eq!(run.summary()["leaked"], 0, "{ctx}");
}

#[test]
fn orphan_isolation_crash() {
    in_parallel(vec![
        ("orphan".into(), Box::new(orphan)),
        ("isolation".into(), Box::new(isolation)),
        ("crash".into(), Box::new(crash)),
    ]);
}

// ---- bad input ------------------------------------------------------------------------

#[test]
fn bad_choices_list_the_valid_values() {
    in_parallel(vec![
        (
            "zombie signal=SIGSTOP".into(),
            Box::new(|| {
                assert_refused(
                    "lifecycle-refused",
                    &["run", "zombie", "--set", "signal=SIGSTOP", "--json"],
                    &["SIGSTOP", "signal", "SIGKILL", "SIGTERM"],
                    TIMEOUT,
                );
            }),
        ),
        (
            "signals disposition=maybe".into(),
            Box::new(|| {
                assert_refused(
                    "lifecycle-refused",
                    &["run", "signals", "--set", "disposition=maybe", "--json"],
                    &["maybe", "disposition", "default", "ignore", "handler"],
                    TIMEOUT,
                );
            }),
        ),
    ]);
}
