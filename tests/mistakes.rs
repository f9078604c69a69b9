//! The command line answers mistakes with what to type: an id of the other kind, a
//! near miss; `list` stays tab-separated for a script; a file that is no trace is
//! refused with a non-zero exit, saying what it found.

use std::process::{Command, Output, Stdio};

fn proclab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proclab"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run proclab: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_lesson_id_given_to_run_names_the_lesson_command() {
    let out = proclab(&["run", "race"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("'race' is a lesson, not a scenario: proclab lesson race"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_near_miss_is_suggested_across_both_kinds() {
    let out = proclab(&["lesson", "zombies"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean 'zombie'? proclab lesson zombie"),
        "{}",
        stderr(&out)
    );
    let out = proclab(&["run", "queu"]);
    assert!(
        stderr(&out).contains("did you mean 'queue'? proclab run queue"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn list_to_a_pipe_has_no_header_and_three_tab_separated_columns() {
    let out = proclab(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.starts_with("ID"), "{text}");
    assert!(text.lines().all(|l| l.split('\t').count() == 3), "{text}");
}

#[test]
fn replaying_a_chrome_export_is_refused_saying_what_it_is() {
    let dir = std::env::temp_dir().join(format!("proclab-mistakes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let trace = dir.join("t.jsonl");
    let chrome = dir.join("c.json");
    let run = proclab(&["run", "crash", "--json", "--speed", "1000"]);
    std::fs::write(&trace, &run.stdout).expect("trace written");
    let export = proclab(&[
        "export",
        &trace.display().to_string(),
        "-o",
        &chrome.display().to_string(),
    ]);
    assert!(export.status.success(), "{}", stderr(&export));
    let out = proclab(&["replay", &chrome.display().to_string(), "--headless"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a trace"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_without_parameters_says_no_empty_parentheses() {
    // The crash scenario's run line, as the readable log words it.
    let out = proclab(&["run", "crash", "--headless", "--speed", "1000"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("()"), "{text}");
}

#[test]
fn each_command_s_help_lists_only_its_own_options_and_others_are_refused() {
    let help = |cmd: &str| String::from_utf8_lossy(&proclab(&[cmd, "--help"]).stdout).into_owned();
    let export = help("export");
    for absent in [
        "--theme",
        "--present",
        "--pace",
        "--lessons",
        "--cap",
        "--lang",
    ] {
        assert!(
            !export.contains(absent),
            "export --help lists {absent}:\n{export}"
        );
    }
    let lesson = help("lesson");
    for present in [
        "--theme",
        "--present",
        "--pace",
        "--lessons",
        "--cap",
        "--lang",
        "--python",
    ] {
        assert!(
            lesson.contains(present),
            "lesson --help lacks {present}:\n{lesson}"
        );
    }
    // Before the command, an option it does not take is an error, not ignored.
    let out = proclab(&["--theme", "light", "export", "t.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--theme means nothing to `proclab export`"),
        "{}",
        stderr(&out)
    );
    // After it, clap names the option it does not know.
    let out = proclab(&["doctor", "--theme", "light"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--theme"), "{}", stderr(&out));
}

/// `lesson ID --set k=v` runs the lesson's variant that sets exactly that (its program
/// is the one the screens show); a set that is no variant is refused, listing them.
#[test]
fn a_lesson_runs_as_a_variant_chosen_by_its_set_or_id() {
    let out = proclab(&[
        "lesson",
        "signals",
        "--set",
        "disposition=ignore",
        "--headless",
        "--speed",
        "10",
    ]);
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{log}\n{}", stderr(&out));
    assert!(log.contains("runs signals (disposition=ignore)"), "{log}");
    assert!(
        log.contains("SIGTERM -> ignore"),
        "the child ignores it: {log}"
    );
    assert!(log.contains("status 9"), "SIGKILL has the last word: {log}");
    let out = proclab(&["lesson", "signals", "--set", "disposition=sometimes"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(
        said.contains("'sometimes' is not a valid value for 'disposition'")
            && said.contains("ignore (--set disposition=ignore)")
            && said.contains("handler (--set disposition=handler)"),
        "{said}"
    );
    // The program exported is the one the variant runs.
    let out = proclab(&[
        "lesson",
        "signals",
        "--variant",
        "ignore",
        "--export-python",
        "-",
    ]);
    let program = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && program.contains("DISPOSITION = 'ignore'"),
        "{program}"
    );
    let out = proclab(&["lesson", "zombie", "--variant", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("its variants: sigterm (--set signal=SIGTERM)"),
        "{}",
        stderr(&out)
    );
}
