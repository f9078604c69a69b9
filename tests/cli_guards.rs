//! The command line's guards: `--cap` bounds (1..=64, only lowered; `trace` may go
//! higher, see trace_cli.rs), fork bombs refused
//! with their arithmetic under any cap, the screens without a terminal (exit code 2 and
//! a pointer to --headless), and `proclab doctor` (every check, OK or WARN, exit 0).

mod common;

use std::time::Duration;

use common::*;

const TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `args`, expects a refusal (exit code 2, nothing on stdout, no process left)
/// whose message holds every one of `must_mention`; returns stderr.
fn refused(name: &str, args: &[&str], must_mention: &[&str]) -> String {
    let out = assert_refused(name, args, must_mention, TIMEOUT);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.stderr
}

#[test]
fn cap_above_64_is_refused_as_over_the_ceiling() {
    refused(
        "cap65",
        &["--cap", "65", "run", "zombie", "--json"],
        &["65", "ceiling of 64", "1..=64"],
    );
    refused(
        "cap0",
        &["--cap", "0", "run", "zombie", "--json"],
        &["at least 1"],
    );
    refused("capx", &["--cap", "lots", "list"], &["1..=64"]);
    // Only `trace` may go above 64; a lesson's scenario never.
    refused(
        "cap100run",
        &["run", "fork-fanout", "--cap", "100", "--json"],
        &[
            "invalid value '100' for '--cap <N>'",
            "ceiling of 64",
            "1..=64",
            "only `proclab trace` may go higher",
        ],
    );
}

#[test]
fn fork_bombs_never_pass_the_cap() {
    let bomb = ["break_in_child=false", "children=7"];
    refused(
        "bomb7",
        &[
            "run",
            "fork-fanout",
            "--set",
            bomb[0],
            "--set",
            bomb[1],
            "--json",
        ],
        &["2^7 = 128", "cap of 64"],
    );
    refused(
        "bomb6_cap32",
        &[
            "--cap",
            "32",
            "run",
            "fork-fanout",
            "--set",
            "break_in_child=false",
            "--set",
            "children=6",
            "--json",
        ],
        &["2^6 = 64", "cap of 32"],
    );
    // The same bomb from the screens' command line is refused before any terminal work.
    refused(
        "bomb6_cap32_tui",
        &[
            "--cap",
            "32",
            "run",
            "fork-fanout",
            "--set",
            "break_in_child=false",
            "--set",
            "children=6",
        ],
        &["2^6 = 64", "cap of 32"],
    );
    // --cap 1 leaves room for main only: every scenario is refused at once.
    refused(
        "cap1",
        &["--cap", "1", "run", "zombie", "--json"],
        &["1 parent + 1 child = 2", "cap of 1"],
    );
}

/// True when some line of `text` reads `file:line:col: …` with numbers.
fn has_file_line_col(text: &str) -> bool {
    text.lines().any(|l| {
        let mut parts = l.splitn(4, ':');
        let (_, line, col) = (parts.next(), parts.next(), parts.next());
        [line, col].iter().all(|p| {
            p.is_some_and(|p| !p.is_empty() && p.trim().chars().all(|c| c.is_ascii_digit()))
        })
    })
}

#[test]
fn a_lowered_cap_closes_only_the_lessons_over_it() {
    // The course still loads: `list` keeps its three columns on stdout for every
    // lesson and notes on stderr, with file:line:col, the ones the cap closes.
    let tag = unique_tag("cap3_list");
    let out = run_proclab(&tag, &["--cap", "3", "list"], TIMEOUT);
    assert!(out.status.success(), "{:?}: {}", out.status, out.stderr);
    for id in ["fork-fanout\t", "zombie\t", "event\t"] {
        assert!(out.stdout.contains(id), "{id} listed:\n{}", out.stdout);
    }
    assert!(
        out.stderr.contains("01-fork-fanout.toml:")
            && out.stderr.contains("= 11, over the cap of 3")
            && !out.stderr.contains("02-zombie.toml"),
        "only lessons over the cap are noted:\n{}",
        out.stderr
    );
    assert!(
        has_file_line_col(&out.stderr.replace("proclab: note: ", "")),
        "{}",
        out.stderr
    );

    // Opening one is refused with the arithmetic, before any terminal is needed.
    let stderr = refused(
        "cap3_lesson",
        &["--cap", "3", "lesson", "fork-fanout"],
        &[
            "cannot run under --cap 3",
            "01-fork-fanout.toml:",
            "= 11, over the cap of 3",
        ],
    );
    assert!(
        has_file_line_col(&stderr),
        "file:line:col expected:\n{stderr}"
    );

    // check-lessons under that cap still reports it as a problem.
    let lessons = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
    let tag = unique_tag("cap3_check");
    let out = run_proclab(&tag, &["--cap", "3", "check-lessons", lessons], TIMEOUT);
    assert!(
        !out.status.success(),
        "check-lessons must fail under --cap 3"
    );
    assert!(
        out.stdout.contains("01-fork-fanout.toml:") || out.stderr.contains("01-fork-fanout.toml:"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn screens_without_a_terminal_exit_2_and_point_to_headless() {
    for args in [
        &[][..],
        &["lesson", "zombie"][..],
        &["run", "pipe", "--speed", "4"][..],
    ] {
        let stderr = refused("no_tty", args, &["terminal", "--headless", "--json"]);
        assert!(!stderr.contains("Error:"), "a plain message: {stderr}");
    }
}

#[test]
fn doctor_reports_every_check_and_exits_0() {
    let tag = unique_tag("doctor");
    let out = run_proclab(&tag, &["--cap", "16", "doctor"], TIMEOUT);
    assert!(out.status.success(), "{:?}: {}", out.status, out.stderr);
    for section in [
        "/proc ",
        "/proc/PID/wchan",
        "pidfd_open",
        "child subreaper",
        "ptrace",
        "RLIMIT_NPROC",
        "pid_max",
        "trace --cap",
        "terminal",
        "colours",
        "locale",
        "CPU cores",
    ] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains(section))
            .unwrap_or_else(|| panic!("no {section:?} line:\n{}", out.stdout));
        assert!(
            line.starts_with("OK   ") || line.starts_with("WARN "),
            "each line is OK or WARN: {line}"
        );
    }
    assert!(
        out.stdout.contains("16"),
        "the cap in force: {}",
        out.stdout
    );
    // Without a terminal (here) the advice is the headless modes.
    assert!(out.stdout.contains("--headless"), "{}", out.stdout);

    // A non-UTF-8 locale is a warning with the fix.
    let mut cmd = proclab(&tag, &["doctor"]);
    cmd.env("LANG", "C").env("LC_ALL", "C");
    let out = Running::spawn(cmd).finish(TIMEOUT);
    assert!(out.status.success());
    let locale = out
        .stdout
        .lines()
        .find(|l| l.contains("locale"))
        .expect("locale line");
    assert!(
        locale.starts_with("WARN") && locale.contains("UTF-8"),
        "{locale}"
    );
    assert_no_tagged_left(&tag);
}
