//! No control sequence from a trace file, a traced program or a lesson file reaches
//! the terminal, on any output path: `replay --headless`, `replay --json`, `trace
//! --headless` and `--json` (an exec's argv), `list` (lesson titles), `run --headless`
//! and error messages. The readable paths show them escaped (`\e]2;…\x07`); the JSON
//! paths stay JSON, with nothing a terminal obeys left raw.

mod common;
mod trace_support;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use trace_support::{PYTHON, script};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Bytes a terminal would obey: C0 controls but newline and tab, DEL, and the C1
/// controls (U+0080..U+009F, two bytes each in UTF-8).
fn obeyed(out: &str) -> Vec<char> {
    out.chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect()
}

fn assert_shown_not_obeyed(what: &str, out: &str, shown: &str) {
    assert!(
        obeyed(out).is_empty(),
        "{what}: control characters reach the terminal: {:?}\n{out}",
        obeyed(out)
    );
    assert!(
        out.contains(shown),
        "{what}: {shown:?} is not shown:\n{out}"
    );
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_tag("proclab-escapes"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writing a temp file");
    path
}

/// A trace whose `print`, label and bad line carry a title change (OSC 2), a
/// clipboard write (OSC 52), a screen clear, and a raw C1 CSI.
fn hostile_trace() -> PathBuf {
    temp(
        "hostile.jsonl",
        concat!(
            r#"{"t_us":1,"pid":10,"kind":"spawn","ppid":9,"label":"main\u001b[2J"}"#,
            "\n",
            r#"{"t_us":2,"pid":9,"kind":"run","scenario":"fork-fanout","params":{"children":1,"break_in_child":true}}"#,
            "\n",
            r#"{"t_us":3,"pid":10,"kind":"print","text":"\u001b]2;pwned\u0007\u001b]52;c;ZXZpbA==\u0007 C1: \u009b2J"}"#,
            "\n",
            "{\"t_us\":4,\"pid\":10,\"kind\":\"print\",\"text\":\"raw C1 \u{9b}31m red\"}\n",
            r#"{"t_us":5,"pid":10,"kind":"no-such\u001b]2;x\u0007","text":"x"}"#,
            "\n",
        ),
    )
}

#[test]
fn replay_headless_shows_escapes_and_obeys_none() {
    let trace = hostile_trace();
    let out = run_proclab(
        &unique_tag("esc-replay"),
        &["replay", trace.to_str().unwrap(), "--headless"],
        TIMEOUT,
    );
    assert_shown_not_obeyed("replay --headless stdout", &out.stdout, "\\e]2;pwned\\x07");
    assert_shown_not_obeyed("replay --headless stdout", &out.stdout, "\\e]52;c;ZXZpbA==");
    assert_shown_not_obeyed("replay --headless stdout", &out.stdout, "raw C1 \\x9b31m");
    assert_shown_not_obeyed("replay --headless stdout", &out.stdout, "main\\e[2J");
    // The bad line's complaint quotes its kind: escaped too.
    assert_shown_not_obeyed("replay --headless stderr", &out.stderr, "not an event");
}

#[test]
fn replay_json_stays_json_and_obeys_nothing() {
    let trace = hostile_trace();
    let out = run_proclab(
        &unique_tag("esc-replay-json"),
        &["replay", trace.to_str().unwrap(), "--json"],
        TIMEOUT,
    );
    assert!(
        obeyed(&out.stdout).is_empty(),
        "raw controls in --json output: {:?}",
        obeyed(&out.stdout)
    );
    let texts: Vec<String> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("every line is JSON"))
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    // The same strings as in the file, once parsed.
    assert!(
        texts.iter().any(|t| t.contains("\u{1b}]2;pwned\u{7}")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("raw C1 \u{9b}31m")),
        "{texts:?}"
    );
}

#[test]
fn trace_headless_and_json_escape_an_exec_s_argv() {
    let prog = script(
        "argv.py",
        "import os\nos.execv('/bin/true', ['\\x1b]0;pwned\\x07', 'arg\\x1b[2J', 'c1\\x9b1m'])\n",
    );
    let prog = prog.to_str().unwrap();
    let tag = unique_tag("esc-trace");
    let out = run_proclab(&tag, &["trace", "--headless", "--", PYTHON, prog], TIMEOUT);
    assert_shown_not_obeyed("trace --headless", &out.stdout, "\\e]0;pwned\\x07");
    assert_shown_not_obeyed("trace --headless", &out.stdout, "arg\\e[2J");
    assert_shown_not_obeyed("trace --headless", &out.stdout, "c1\\x9b1m");
    assert_no_tagged_left(&tag);
    let tag = unique_tag("esc-trace-json");
    let out = run_proclab(&tag, &["trace", "--json", "--", PYTHON, prog], TIMEOUT);
    assert!(
        obeyed(&out.stdout).is_empty(),
        "raw controls in trace --json: {:?}",
        obeyed(&out.stdout)
    );
    let exec = parse_wire(&out.stdout)
        .into_iter()
        .find(|e| {
            e["kind"] == "exec" && e["program"].as_str().is_some_and(|p| p.ends_with("/true"))
        })
        .expect("the exec of /bin/true");
    assert_eq!(
        exec["argv"][0], "\u{1b}]0;pwned\u{7}",
        "JSON keeps the real argv"
    );
    assert_no_tagged_left(&tag);
}

#[test]
fn list_escapes_a_lesson_title() {
    let builtin = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons"))
        .expect("lessons")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("01-"))
        })
        .expect("lesson 01");
    let src = std::fs::read_to_string(builtin).expect("lesson 01");
    let hostile = src.replacen(
        "en = \"One parent",
        "en = \"\\u001b]2;pwned\\u0007\\u001b[2J One parent",
        1,
    );
    assert_ne!(src, hostile, "the title line was found");
    let file = temp("01-hostile.toml", &hostile);
    let dir = file.parent().unwrap().to_str().unwrap();
    let out = run_proclab(
        &unique_tag("esc-list"),
        &["--lessons", dir, "list"],
        TIMEOUT,
    );
    assert_shown_not_obeyed("list", &out.stdout, "\\e]2;pwned\\x07\\e[2J One parent");
}

#[test]
fn run_headless_and_errors_escape_what_they_quote() {
    // An unknown scenario and an unknown parameter are quoted back in the error.
    let out = run_proclab(
        &unique_tag("esc-run"),
        &["run", "\u{1b}]2;pwned\u{7}", "--headless"],
        TIMEOUT,
    );
    assert!(!out.status.success());
    assert_shown_not_obeyed("run <scenario> stderr", &out.stderr, "\\e]2;pwned\\x07");
    let out = run_proclab(
        &unique_tag("esc-set"),
        &[
            "run",
            "fork-fanout",
            "--headless",
            "--set",
            "\u{1b}[2J\u{9b}=1",
        ],
        TIMEOUT,
    );
    assert!(!out.status.success());
    assert_shown_not_obeyed("run --set stderr", &out.stderr, "\\e[2J\\x9b");
    // A run's own log: nothing raw either.
    let tag = unique_tag("esc-run-ok");
    let out = run_proclab(
        &tag,
        &["run", "fork-fanout", "--headless", "--speed", "100"],
        TIMEOUT,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_shown_not_obeyed("run --headless", &out.stdout, "summary:");
    assert_no_tagged_left(&tag);
}
