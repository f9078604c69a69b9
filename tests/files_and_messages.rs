//! Huge and wrong inputs, and what proclab says about them: `export` streams (its
//! memory does not grow with the trace), `replay` and `export` read with limits
//! (`/dev/zero` is refused at once), `--record` stops at its limit saying so; an empty
//! file, /dev/null or a file that is no trace is refused with what was found; the OS's
//! reason when the output cannot be created; `check-lessons` cuts a huge string;
//! `--set` words in any case; "1 child", not "1 children".

#![allow(
    clippy::cast_possible_wrap,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;

const TIMEOUT: Duration = Duration::from_secs(60);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_tag(name));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A queue run of `n` events: a producer puts, a consumer gets, prints and is sampled.
fn long_trace(path: &PathBuf, n: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("trace file"));
    let mut line = |s: String| writeln!(w, "{s}").expect("writing the trace");
    line(r#"{"t_us":0,"pid":100,"kind":"spawn","ppid":99,"label":"main"}"#.into());
    line(r#"{"t_us":0,"pid":99,"kind":"run","scenario":"queue","params":{}}"#.into());
    line(r#"{"t_us":1,"pid":101,"kind":"spawn","ppid":100,"label":"producer 0"}"#.into());
    line(r#"{"t_us":2,"pid":102,"kind":"spawn","ppid":100,"label":"consumer 0"}"#.into());
    let mut t = 2;
    for i in 0..n.saturating_sub(8) {
        t += 7;
        line(match i % 4 {
            0 => format!(
                r#"{{"t_us":{t},"pid":101,"kind":"queue_put","queue":"q","item":{i},"len":1}}"#
            ),
            1 => format!(
                r#"{{"t_us":{t},"pid":102,"kind":"queue_get","queue":"q","item":{},"len":0}}"#,
                i - 1
            ),
            2 => format!(
                r#"{{"t_us":{t},"pid":102,"kind":"print","text":"got item {}"}}"#,
                i - 2
            ),
            _ => format!(
                r#"{{"t_us":{t},"pid":101,"kind":"state","state":"S","reason":"pipe_read"}}"#
            ),
        });
    }
    line(format!(
        r#"{{"t_us":{},"pid":101,"kind":"exit","code":0}}"#,
        t + 1
    ));
    line(format!(
        r#"{{"t_us":{},"pid":102,"kind":"exit","code":0}}"#,
        t + 2
    ));
    line(format!(
        r#"{{"t_us":{},"pid":100,"kind":"reap","child":101,"status":0,"code":0}}"#,
        t + 3
    ));
    line(format!(
        r#"{{"t_us":{},"pid":100,"kind":"reap","child":102,"status":0,"code":0}}"#,
        t + 4
    ));
}

/// Runs proclab to its end and returns its exit code, output and peak RSS in KiB
/// (the kernel's `ru_maxrss`, from `wait4`).
fn run_measured(args: &[&str]) -> (Option<i32>, String, i64) {
    let mut cmd = proclab(&unique_tag("measured"), args);
    cmd.stdout(std::process::Stdio::null());
    // Reaped below by wait4, which also gives its peak memory.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("spawning proclab");
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills; the child is ours and unreaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let started = Instant::now();
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4");
    assert!(started.elapsed() < TIMEOUT, "took {:?}", started.elapsed());
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, reader.join().unwrap_or_default(), usage.ru_maxrss)
}

#[test]
fn export_memory_does_not_grow_with_the_trace() {
    let dir = temp_dir("export-memory");
    let trace = dir.join("long.jsonl");
    let out = dir.join("long.json");
    let n = 100_000;
    long_trace(&trace, n);
    let (code, stderr, peak_kib) = run_measured(&[
        "export",
        trace.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    // Before streaming: ~5.3 KB an event, 530 MB here. Now a few MB, whatever n is.
    assert!(
        peak_kib < 64 * 1024,
        "export of {n} events peaked at {peak_kib} KiB"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("the export")).expect("valid JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    let arrows = events.iter().filter(|e| e["ph"] == "s").count();
    assert_eq!(arrows, (n - 8).div_ceil(4), "every put paired with its get");
    assert_eq!(doc["otherData"]["scenario"], "queue");
}

#[test]
fn replay_and_export_of_dev_zero_are_refused_at_once() {
    for args in [
        &["replay", "/dev/zero", "--json"][..],
        &["replay", "/dev/zero", "--headless"][..],
    ] {
        let (code, stderr, peak_kib) = run_measured(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("a line longer than 1 MiB: this is not a trace"),
            "{args:?}: {stderr}"
        );
        assert!(peak_kib < 64 * 1024, "{args:?} peaked at {peak_kib} KiB");
    }
    let out = run_proclab(
        &unique_tag("export-zero"),
        &["export", "/dev/zero", "-o", "/dev/null"],
        TIMEOUT,
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
}

#[test]
fn record_stops_at_its_limit_saying_so() {
    use proclab::trace::record::Recorder;
    let dir = temp_dir("record-limit");
    let path = dir.join("r.jsonl");
    let mut r = Recorder::create(&path).expect("recorder").with_limit(100);
    assert!(r.line(&"x".repeat(60)).is_ok());
    let err = r.line(&"y".repeat(60)).expect_err("past the limit");
    assert!(
        err.to_string().contains("the most a recording takes"),
        "{err}"
    );
    drop(r);
    assert_eq!(
        std::fs::read_to_string(&path).expect("the file").len(),
        61,
        "what fitted was kept"
    );
    assert_eq!(
        proclab::trace::record::RECORD_MAX_BYTES,
        proclab::tracefile::REPLAY_MAX_BYTES,
        "every recording can be replayed"
    );
}

#[test]
fn replay_and_export_of_what_is_no_trace_say_what_they_found() {
    let dir = temp_dir("no-trace");
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let json = dir.join("other.json");
    std::fs::write(&json, "{\"name\": \"not a trace\"}\n[1, 2]\n").unwrap();
    let cases: [(&str, &str); 4] = [
        (empty.to_str().unwrap(), "is empty: not a trace"),
        ("/dev/null", "is empty: not a trace"),
        (
            json.to_str().unwrap(),
            "not a trace: none of its 2 lines is an event",
        ),
        ("/bin/sh", "not a trace"),
    ];
    for (file, said) in cases {
        for args in [
            vec!["replay", file, "--headless"],
            vec!["replay", file, "--json"],
            vec!["replay", file],
        ] {
            let out = run_proclab(&unique_tag("no-trace"), &args, TIMEOUT);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
            assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
            assert_eq!(out.stdout, "", "{args:?}");
        }
    }
    let out = run_proclab(
        &unique_tag("export-empty"),
        &[
            "export",
            empty.to_str().unwrap(),
            "-o",
            dir.join("x.json").to_str().unwrap(),
        ],
        TIMEOUT,
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("is empty: not a trace"),
        "{}",
        out.stderr
    );
}

#[test]
fn export_to_a_missing_folder_gives_the_os_reason() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fork-fanout-3.jsonl"
    );
    let out = run_proclab(
        &unique_tag("export-enoent"),
        &["export", fixture, "-o", "/nonexistent/dir/x.json"],
        TIMEOUT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr
            .contains("cannot create /nonexistent/dir/x.json: No such file or directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_lessons_cuts_a_huge_string_saying_its_length() {
    let lesson = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons"))
        .expect("lessons")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("/01-"))
        .expect("lesson 01");
    let src = std::fs::read_to_string(lesson).expect("lesson 01");
    let big = "A".repeat(5_000_000);
    let hostile = src.replacen(
        "scenario = \"fork-fanout\"",
        &format!("scenario = \"{big}\""),
        1,
    );
    let file = temp_dir("check-big").join("big.toml");
    std::fs::write(&file, hostile).unwrap();
    let out = run_proclab(
        &unique_tag("check-big"),
        &["check-lessons", file.to_str().unwrap()],
        TIMEOUT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stdout.len() < 2000, "{} bytes echoed", out.stdout.len());
    assert!(
        out.stdout.contains("unknown scenario") && out.stdout.contains("characters]"),
        "{}",
        out.stdout
    );
}

#[test]
fn set_words_are_alike_in_any_case_and_counts_agree_in_number() {
    for (set, ok) in [
        ("break_in_child=TRUE", true),
        ("break_in_child=Yes", true),
        ("break_in_child=true", true),
        ("break_in_child=False", true),
        ("break_in_child=maybe", false),
    ] {
        // --cap 1 refuses every run after parsing: the words themselves are judged.
        let out = run_proclab(
            &unique_tag("set-case"),
            &[
                "--cap",
                "1",
                "run",
                "fork-fanout",
                "--json",
                "--set",
                "children=1",
                "--set",
                set,
            ],
            TIMEOUT,
        );
        assert_eq!(out.status.code(), Some(2), "{set}");
        assert_eq!(
            out.stderr.contains("over the cap"),
            ok,
            "{set} accepted: {ok}\n{}",
            out.stderr
        );
    }
    let out = run_proclab(
        &unique_tag("set-grammar"),
        &[
            "--cap",
            "1",
            "run",
            "fork-fanout",
            "--json",
            "--set",
            "children=1",
        ],
        TIMEOUT,
    );
    assert!(
        out.stderr.contains("1 parent + 1 child = 2"),
        "{}",
        out.stderr
    );
    let out = run_proclab(
        &unique_tag("set-grammar-q"),
        &[
            "--cap",
            "1",
            "run",
            "queue",
            "--json",
            "--set",
            "producers=1",
            "--set",
            "consumers=1",
        ],
        TIMEOUT,
    );
    assert!(
        out.stderr
            .contains("1 parent + 1 producer + 1 consumer = 3"),
        "{}",
        out.stderr
    );
}
