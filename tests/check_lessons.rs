//! `proclab check-lessons` over the corpus of broken lessons in tests/invalid_lessons/
//! (each `X.toml`, or sub-folder `X/`, next to `X.expected`: the exact output, problem
//! lines then the verdict, with file names relative to the corpus folder), over the
//! real lessons and the guide's worked example; and `lesson --export-python`, whose
//! program must run under CPython.
//!
//! After a deliberate change to a loader message, `BLESS=1 cargo test --test
//! check_lessons` rewrites the .expected files; review the diff before committing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn proclab(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proclab"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run proclab: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every case of the corpus: (name as passed to check-lessons, its .expected file).
fn corpus() -> Vec<(String, PathBuf)> {
    let dir = root().join("tests/invalid_lessons");
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("tests/invalid_lessons")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, p.with_extension("expected"))
        })
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_broken_lesson_gets_its_exact_messages() {
    let dir = root().join("tests/invalid_lessons");
    let cases = corpus();
    assert!(cases.len() >= 12, "{cases:?}");
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for (name, expected_file) in &cases {
        let out = proclab(&dir, &["check-lessons", name]);
        let got = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {got}{}",
            text(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "{name}: {}", text(&out.stderr));
        let first = got.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(name.as_str()) && first.contains(".toml:"),
            "{name}: problems start with file:line:col, got {first}"
        );
        if bless {
            std::fs::write(expected_file, &got).expect("write .expected");
            continue;
        }
        let want = std::fs::read_to_string(expected_file)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_file.display()));
        if got != want {
            failures.push(format!("== {name}\n-- expected\n{want}-- got\n{got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "check-lessons output differs (BLESS=1 rewrites the .expected files):\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_whole_corpus_at_once_reports_every_file() {
    let dir = root().join("tests/invalid_lessons");
    let out = proclab(&dir, &["check-lessons", "."]);
    assert_eq!(out.status.code(), Some(1));
    let got = text(&out.stdout);
    let files = corpus()
        .iter()
        .filter(|(n, _)| n.ends_with(".toml"))
        .count();
    let verdict = got.lines().last().unwrap_or_default().to_string();
    assert!(
        verdict.ends_with(&format!(" in {files} files")),
        "{verdict}\n{got}"
    );
}

#[test]
fn real_lessons_and_the_worked_example_pass() {
    let out = proclab(root(), &["check-lessons", "lessons/"]);
    let got = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{got}");
    assert!(got.ends_with(" lessons OK\n"), "{got}");
    let out = proclab(root(), &["check-lessons", "docs/example-lesson"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "1 lesson OK\n");
    // The same lesson through the loader the app uses, as `--lessons` would.
    let lessons = proclab::lesson::loader::load(Some(&root().join("docs/example-lesson")), 64)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(lessons.len(), 1);
    let out = proclab(root(), &["--lessons", "docs/example-lesson", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with(&format!("{}\t", lessons[0].id)));
}

#[test]
fn usage_errors_exit_2() {
    let out = proclab(root(), &["check-lessons", "no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/folder"));
    let out = proclab(root(), &["check-lessons", "src/ui/snapshots"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no *.toml lesson files"));
    let out = proclab(root(), &["check-lessons"]);
    assert_eq!(out.status.code(), Some(2));
}

fn scratch(name: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "proclab-export-{name}-{}-{nanos}.py",
        std::process::id()
    ))
}

#[test]
fn exported_fork_fanout_runs_under_python() {
    let file = scratch("ff");
    let path = file.to_string_lossy().into_owned();
    let out = proclab(root(), &["lesson", "fork-fanout", "--export-python", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());

    // The same program on stdout.
    let out = proclab(root(), &["lesson", "fork-fanout", "--export-python", "-"]);
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(&file).expect("exported file");
    assert_eq!(text(&out.stdout), written);
    assert!(written.starts_with("import os") && written.ends_with('\n'));

    // An existing file is kept unless --force.
    let out = proclab(root(), &["lesson", "fork-fanout", "--export-python", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already exists; pass --force"));
    let out = proclab(
        root(),
        &["lesson", "zombie", "--export-python", &path, "--force"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_ne!(std::fs::read_to_string(&file).expect("file"), written);
    std::fs::write(&file, &written).expect("rewrite");

    let mut child = Command::new("/usr/bin/python3")
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("python3 ran the exported program for more than 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("python output");
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.ends_with("all children reaped\n"), "{stdout}");
    assert_eq!(stdout.matches("reaped ").count(), 10, "{stdout}");
}

#[test]
fn export_of_an_unknown_lesson_lists_the_ids() {
    let out = proclab(root(), &["lesson", "nope", "--export-python", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("valid lesson ids: fork-fanout"));
    assert!(out.stdout.is_empty());
}

/// Runs a Python program from stdin under /usr/bin/python3, for at most 30 s.
fn python(program: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new("/usr/bin/python3")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(program).expect("program to python3");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("python3 ran for more than 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("python output")
}

/// Runs of 3+ digits (PIDs) become `<PID>`.
fn without_pids(line: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in line.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() >= 3 {
            out.push_str("<PID>");
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// The guide's worked example tells the truth: CPython prints the same lines as the
/// scenario run with the lesson's params.
#[test]
fn worked_example_prints_what_cpython_prints() {
    let out = proclab(
        root(),
        &[
            "--lessons",
            "docs/example-lesson",
            "lesson",
            "polite-kill",
            "--export-python",
            "-",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let py = python(&out.stdout);
    assert_eq!(py.status.code(), Some(0), "{}", text(&py.stderr));
    let cpython: std::collections::BTreeSet<String> =
        text(&py.stdout).lines().map(without_pids).collect();

    let run = proclab(
        root(),
        &[
            "run",
            "zombie",
            "--set",
            "signal=SIGTERM",
            "--json",
            "--speed",
            "5",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let ours: std::collections::BTreeSet<String> = text(&run.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["kind"] == "print")
        .filter_map(|e| e["text"].as_str().map(without_pids))
        .collect();
    assert_eq!(cpython, ours);
    assert!(ours.contains("WIFSIGNALED=True WTERMSIG=15"), "{ours:?}");
}

/// A lesson written in one language is accepted: a note says which language it lacks
/// (the screens fall back to English), and the check passes.
#[test]
fn a_lesson_in_one_language_is_noted_not_refused() {
    let dir = root().join("tests/one_language");
    let out = proclab(&dir, &["check-lessons", "one-language.toml"]);
    let got = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{got}{}", text(&out.stderr));
    assert_eq!(
        got,
        "one-language.toml:17:1: note: 4 texts without zh (the first here): a learner \
         reading zh sees them in English, or in the language written\n1 lesson OK (1 note)\n"
    );
    // It loads and runs as any lesson: the menu lists it in Chinese with its English
    // title.
    let out = proclab(&dir, &["--lessons", ".", "--lang", "zh", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "one-language\tzombie\tA zombie\n");
}
