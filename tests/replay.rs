//! Record, replay and export through the binary: `--record` writes what `--json`
//! prints, `replay --headless` prints what `run --headless` printed, a malformed line
//! is reported with its number and skipped, `export --format chrome` gives valid trace
//! JSON with a track per process and paired flows, and the terminal replay opens in a
//! PTY, says REPLAY and quits on q. Runs are tagged; nothing of theirs may be left.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/fork-fanout-3.jsonl"
);

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_tag(&format!("proclab-replay-{test}")));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn ok(out: &Finished, what: &str) {
    assert!(
        out.status.success(),
        "[{what}] exit {:?}\nstderr:\n{}\nstdout:\n{}",
        out.status,
        out.stderr,
        out.stdout
    );
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Runs `proclab run <scenario> <output> --speed 20 --record <file>` (tagged `name`;
/// `output` is `--json` or `--headless`), checks that it succeeded and left no process,
/// and returns what it printed.
fn record(name: &str, scenario: &str, output: &str, file: &Path) -> Finished {
    let tag = unique_tag(name);
    let args = [
        "run",
        scenario,
        output,
        "--speed",
        "20",
        "--record",
        path(file),
    ];
    let out = run_proclab(&tag, &args, TIMEOUT);
    ok(&out, &format!("run {scenario} {output} --record"));
    assert_no_tagged_left(&tag);
    out
}

#[test]
fn record_writes_exactly_the_lines_json_prints() {
    let dir = scratch("record-json");
    let file = dir.join("run.jsonl");
    let out = record("record-json", "queue", "--json", &file);
    let recorded = std::fs::read_to_string(&file).expect("the record file");
    let printed: Vec<&str> = out.stdout.lines().collect();
    let kept: Vec<&str> = recorded.lines().collect();
    assert!(printed.len() > 10, "{}", out.stdout);
    assert_eq!(kept, printed, "the record file holds what --json printed");
    let first: Value = serde_json::from_str(kept[0]).unwrap();
    assert_eq!(first["label"], "main", "main announces itself first");
    let second: Value = serde_json::from_str(kept[1]).unwrap();
    assert_eq!(second["kind"], "run", "then what ran");
    assert_eq!(second["scenario"], "queue");
    assert_eq!(second["params"]["items"], 20, "{second}");
    let last: Value = serde_json::from_str(kept[kept.len() - 1]).unwrap();
    assert_eq!(last["kind"], "summary", "the summary comes last");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn replay_headless_prints_what_run_headless_printed() {
    let dir = scratch("headless");
    let file = dir.join("run.jsonl");
    let live = record("replay-headless", "signals", "--headless", &file);

    let tag = unique_tag("replay-headless-2");
    let replayed = run_proclab(&tag, &["replay", path(&file), "--headless"], TIMEOUT);
    ok(&replayed, "replay --headless");
    assert!(live.stdout.lines().count() > 10, "{}", live.stdout);
    assert_eq!(replayed.stdout, live.stdout, "the same log, from the file");
    assert_eq!(replayed.stderr, "");
    assert!(tagged_pids(&tag).is_empty(), "a replay creates no process");

    let json = run_proclab(&tag, &["replay", path(&file), "--json"], TIMEOUT);
    ok(&json, "replay --json");
    let recorded = std::fs::read_to_string(&file).expect("the record file");
    assert_eq!(
        json.stdout, recorded,
        "--json gives the lines back unchanged"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn replay_paces_when_given_a_speed() {
    // The fixture lasts about 0.12 s: at 0.5× that is about 0.24 s.
    let tag = unique_tag("replay-paced");
    let at_once = run_proclab(&tag, &["replay", FIXTURE, "--json"], TIMEOUT);
    let paced = run_proclab(
        &tag,
        &["replay", FIXTURE, "--json", "--speed", "0.5"],
        TIMEOUT,
    );
    ok(&paced, "replay --json --speed 0.5");
    assert_eq!(paced.stdout, at_once.stdout);
    assert!(
        paced.elapsed >= Duration::from_millis(230),
        "paced at 0.5×: {:?}",
        paced.elapsed
    );
}

#[test]
fn a_malformed_line_is_reported_with_its_number_and_skipped() {
    let dir = scratch("malformed");
    let file = dir.join("broken.jsonl");
    let text = std::fs::read_to_string(FIXTURE).expect("the fixture");
    let mut lines: Vec<&str> = text.lines().collect();
    let events = lines.len();
    lines.insert(4, "{\"t_us\": 12, \"this is not\"");
    std::fs::write(&file, lines.join("\n") + "\n").expect("writing the broken trace");

    let tag = unique_tag("replay-malformed");
    let out = run_proclab(&tag, &["replay", path(&file), "--headless"], TIMEOUT);
    ok(&out, "replay of a trace with a bad line");
    assert!(
        out.stderr.contains(&format!("{}:5:", path(&file))),
        "the bad line's number: {}",
        out.stderr
    );
    assert_eq!(out.stdout.lines().count(), events, "every good line played");
    assert!(
        out.stdout.contains("summary: 4 processes"),
        "{}",
        out.stdout
    );

    let missing = dir.join("nope.jsonl");
    let out = run_proclab(&tag, &["replay", path(&missing), "--json"], TIMEOUT);
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("cannot read the trace") && out.stderr.contains("nope.jsonl"),
        "{}",
        out.stderr
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// How many lines of the record `file` are events of `kind`.
fn count_kind(file: &Path, kind: &str) -> usize {
    let needle = format!("\"kind\":\"{kind}\"");
    std::fs::read_to_string(file)
        .expect("the record file")
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

/// Checks the chrome export of `trace`: valid JSON, one process_name per process the
/// summary counts, each flow id one `s` and one `f` not earlier; returns the flows by
/// category.
fn check_export(trace: &Path, out: &Path) -> BTreeMap<String, usize> {
    let tag = unique_tag("export");
    let res = run_proclab(
        &tag,
        &["export", path(trace), "--format", "chrome", "-o", path(out)],
        TIMEOUT,
    );
    ok(&res, "export");
    assert!(res.stdout.contains("ui.perfetto.dev"), "{}", res.stdout);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(out).expect("the export"))
        .expect("valid JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    let summary: Value = std::fs::read_to_string(trace)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .rfind(|e| e["kind"] == "summary")
        .expect("a summary");
    let names: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .collect();
    assert_eq!(
        names.len() as u64,
        summary["processes"].as_u64().unwrap(),
        "one track per process"
    );
    let lives = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "process")
        .count();
    assert_eq!(lives, names.len(), "one life slice per process");
    let mut by_id: BTreeMap<u64, (Vec<&Value>, Vec<&Value>)> = BTreeMap::new();
    for e in events {
        let slot = by_id.entry(e["id"].as_u64().unwrap_or(0));
        match e["ph"].as_str() {
            Some("s") => slot.or_default().0.push(e),
            Some("f") => slot.or_default().1.push(e),
            _ => {}
        }
    }
    let mut cats = BTreeMap::new();
    for (id, (s, f)) in &by_id {
        assert_eq!((s.len(), f.len()), (1, 1), "flow {id} pairs up");
        assert!(
            s[0]["ts"].as_u64() <= f[0]["ts"].as_u64(),
            "flow {id} goes forward"
        );
        *cats
            .entry(s[0]["cat"].as_str().unwrap_or("").to_string())
            .or_insert(0) += 1;
    }
    cats
}

#[test]
fn export_chrome_has_a_track_per_process_and_paired_flows() {
    let dir = scratch("export");
    let cats = check_export(Path::new(FIXTURE), &dir.join("fanout.json"));
    assert!(cats.is_empty(), "fork-fanout sends nothing: {cats:?}");

    // A queue run: every item got is an arrow from its put.
    let file = dir.join("queue.jsonl");
    record("export-queue", "queue", "--json", &file);
    let gets = count_kind(&file, "queue_get");
    assert!(gets > 0);
    let cats = check_export(&file, &dir.join("queue.json"));
    assert_eq!(cats.get("queue"), Some(&gets), "one arrow per item got");

    // Signals: each send_signal is an arrow to its target.
    let file = dir.join("signals.jsonl");
    record("export-signals", "signals", "--json", &file);
    let sent = count_kind(&file, "send_signal");
    let cats = check_export(&file, &dir.join("signals.json"));
    assert!(sent > 0);
    assert_eq!(cats.get("signal"), Some(&sent), "one arrow per signal sent");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_terminal_replay_says_replay_and_quits_on_q() {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let tag = unique_tag("replay-pty");
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("openpty");
    let mut cmd = CommandBuilder::new(bin());
    cmd.args(["replay", FIXTURE, "--step"]);
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "C.UTF-8");
    cmd.env(TAG_VAR, &tag);
    let mut child = pair.slave.spawn_command(cmd).expect("spawning in the PTY");
    let mut reader = pair.master.try_clone_reader().expect("PTY reader");
    let mut writer = pair.master.take_writer().expect("PTY writer");
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = out.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = reader.read(&mut chunk) {
            if n == 0 {
                return;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = Screen::replay(120, 40, &out.lock().unwrap());
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} not shown:\n{}",
                screen.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for("REPLAY");
    wait_for("AT STEP 'start'");
    writer.write_all(b" ").unwrap();
    writer.flush().unwrap();
    wait_for("AT STEP 'first-fork'");
    writer.write_all(b"s").unwrap();
    writer.flush().unwrap();
    wait_for("a replay has no live processes");
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "q did not quit the replay");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let raw = out.lock().unwrap().clone();
    let left = raw.windows(8).rposition(|w| w == b"\x1b[?1049l").is_some();
    assert!(left, "the alternate screen is left");
    assert!(tagged_pids(&tag).is_empty(), "a replay creates no process");
}

/// One bad file in `--lessons` is an error naming it, not a replay whose screens
/// silently have no lessons (the menu empty, the trace not matched with its lesson).
#[test]
fn a_bad_lesson_file_is_an_error_not_a_replay_without_lessons() {
    let dir = scratch("bad-lessons");
    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/01-fork-fanout.toml");
    let bad = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/invalid_lessons/syntax.toml"
    );
    std::fs::copy(good, dir.join("01-fork-fanout.toml")).expect("copy a good lesson");
    std::fs::copy(bad, dir.join("02-syntax.toml")).expect("copy a bad lesson");
    let tag = unique_tag("replay-bad-lessons");
    let out = run_proclab(&tag, &["replay", FIXTURE, "--lessons", path(&dir)], TIMEOUT);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{}", out.stderr);
    assert!(
        out.stderr.contains("invalid lessons") && out.stderr.contains("02-syntax.toml"),
        "the bad file must be named:\n{}",
        out.stderr
    );
    assert_no_tagged_left(&tag);
    let _ = std::fs::remove_dir_all(&dir);
}
