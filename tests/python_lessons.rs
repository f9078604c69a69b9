//! Python lessons and `trace --step` with a real CPython: steps reached by observed
//! events in order, the whole program held in ptrace-stop at each one (read from
//! /proc, every thread of every process), the program's printed results the same as a
//! bare `python3` run, the question graded by what the run printed, and a missing
//! interpreter refused while compiled lessons still run.
//!
//! Needs /usr/bin/python3 (each test says "skipped" and passes without asserting when
//! it is missing — CI machines have it).

mod common;

use std::time::{Duration, Instant};

use common::pty::*;
use common::*;

const PYTHON: &str = "/usr/bin/python3";
const STEPS: &[&str] = &["forked", "sent", "received", "joined", "terminated", "over"];

fn have_python() -> bool {
    let there = std::path::Path::new(PYTHON).exists();
    if !there {
        eprintln!("skipped: no {PYTHON} on this machine");
    }
    there
}

/// Digits stand for PIDs and values derived from them, which differ run to run.
fn without_numbers(line: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// The lines the lesson's program prints when `python3` runs it bare.
fn bare_run_lines() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("proclab-bare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("real-pipe.py");
    let export = std::process::Command::new(bin())
        .args(["lesson", "real-pipe", "--export-python"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let out = std::process::Command::new(PYTHON)
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(without_numbers)
        .collect()
}

#[test]
fn a_python_lesson_headless_reaches_its_steps_in_order_and_prints_what_python_prints() {
    if !have_python() {
        return;
    }
    let tag = unique_tag("py_headless");
    let done = run_proclab(
        &tag,
        &["--python", PYTHON, "lesson", "real-pipe", "--json"],
        Duration::from_secs(30),
    );
    assert!(done.status.success(), "{}", done.stderr);
    let events = parse_wire(&done.stdout);
    let gates: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "gate")
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(gates, STEPS);
    // Each step comes right after the event that reached it.
    let before = |gate: &str| {
        let at = events
            .iter()
            .position(|e| e["kind"] == "gate" && e["name"] == gate)
            .unwrap();
        events[..at]
            .iter()
            .rev()
            .find(|e| !matches!(e["kind"].as_str(), Some("state" | "value" | "print")))
            .map(|e| e["kind"].as_str().unwrap_or("").to_string())
            .unwrap()
    };
    assert_eq!(before("forked"), "spawn");
    assert_eq!(before("sent"), "send");
    assert_eq!(before("received"), "recv");
    assert_eq!(before("joined"), "reap");
    assert_eq!(before("terminated"), "send_signal");
    let printed: Vec<String> = events
        .iter()
        .filter(|e| e["kind"] == "print")
        .filter_map(|e| e["text"].as_str())
        .map(without_numbers)
        .collect();
    assert_eq!(
        printed,
        bare_run_lines(),
        "the same lines, in the same order"
    );
    // The child is named by the function it runs (read from its frames) before its
    // first message, so a step may name it.
    let child = events
        .iter()
        .find(|e| e["kind"] == "send")
        .map(common::event_pid)
        .expect("a send");
    let named = events.iter().position(|e| {
        e["kind"] == "value" && e["name"] == "label" && common::event_pid(e) == child
    });
    let sent = events.iter().position(|e| e["kind"] == "send").unwrap();
    assert!(named.is_some_and(|n| n < sent), "label before the send");
    // The lesson's [labels] name the function `child` "sender".
    assert_eq!(events[named.unwrap()]["value"], "sender");
    let summary = events.last().unwrap();
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["results"]["exit_code"], 0);
    assert_no_tagged_left(&tag);
}

/// Every thread of every traced process (all but proclab's own) is in ptrace-stop:
/// how many there are.
fn all_held(tag: &str) -> Result<usize, String> {
    let mut seen = 0;
    for pid in tagged_pids(tag) {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "proclab" {
            continue;
        }
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            match state {
                Some("t") => seen += 1,
                Some("Z") | None => {}
                Some(other) => {
                    return Err(format!("{pid} ({}) is {other}", comm.trim()));
                }
            }
        }
    }
    Ok(seen)
}

/// Polls until every traced thread is held (or says which one is not).
fn wait_all_held(tag: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match all_held(tag) {
            Ok(n) => return n,
            Err(why) if Instant::now() > deadline => panic!("not held: {why}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[test]
fn a_python_lesson_holds_every_process_at_each_step_and_grades_the_question() {
    if !have_python() {
        return;
    }
    let mut pty = Pty::spawn_with_env(
        "py_lesson",
        &["--python", PYTHON, "lesson", "real-pipe"],
        100,
        30,
        &[],
    );
    for step in STEPS {
        pty.wait_for(&[&format!("AT STEP '{step}'")], 0);
        if *step != "over" {
            let held = wait_all_held(&pty.tag);
            assert!(held >= 1, "{step}");
        }
        if *step == "sent" {
            // Read from their frames while held: the child, named by its target
            // function, is at its send (line 6); main is where it really is: still in
            // c.start() (17) or already in recv (18) — they race.
            pty.wait_for(&["child:6", "└─ sender"], 0);
            let screen = pty.screen();
            assert!(
                screen.contains("<module>:17") || screen.contains("<module>:18"),
                "{}",
                screen.text()
            );
        }
        if *step == "terminated" {
            // The question: -15 is choice 3.
            pty.wait_for(&["What will main print"], 0);
            pty.send("3");
        }
        // At the last step too: the summary waits for it.
        pty.send(" ");
    }
    pty.wait_for(&["DONE"], 0);
    // The tally at the end: graded by the line the program printed.
    pty.wait_for(&["1 of 1 right", "you said -15 · this run: -15"], 0);
    pty.quit_cleanly();
}

#[test]
fn trace_step_holds_a_queue_program_and_a_shell_pipeline_at_each_event() {
    if !have_python() {
        return;
    }
    let queue = "import multiprocessing as mp\n\
                 def work(q, i):\n    q.put(i * i)\n\
                 if __name__ == '__main__':\n    mp.set_start_method('fork')\n    q = mp.Queue()\n\
                 \x20   ps = [mp.Process(target=work, args=(q, i)) for i in range(2)]\n\
                 \x20   [p.start() for p in ps]\n    got = sorted(q.get() for _ in ps)\n\
                 \x20   [p.join() for p in ps]\n    print('total:', sum(got))\n";
    let cases: [(&str, Vec<&str>); 2] = [
        ("step_queue", vec![PYTHON, "-c", queue]),
        (
            "step_pipeline",
            vec!["sh", "-c", "echo a b c | tr ' ' '\\n' | wc -l"],
        ),
    ];
    for (name, command) in cases {
        let mut args = vec!["trace", "--step", "--"];
        args.extend(command.iter());
        let mut pty = Pty::spawn_with_env(name, &args, 120, 40, &[]);
        let mut holds = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "{name}: never done");
            let screen = pty.screen();
            if screen.contains("DONE") {
                break;
            }
            if screen.contains("AT STEP") {
                // Whatever the step, the whole program stands still there.
                let since = pty.len();
                if wait_all_held(&pty.tag) > 0 {
                    holds += 1;
                }
                pty.send(" ");
                // The next frame (a new step, or the end) before looking again.
                let until = Instant::now() + Duration::from_secs(5);
                while pty.len() == since && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(10));
                }
            } else {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        assert!(holds >= 4, "{name}: held only {holds} times");
        pty.quit_cleanly();
    }
}

#[test]
fn a_missing_interpreter_refuses_python_lessons_and_compiled_ones_still_run() {
    let tag = unique_tag("py_missing");
    let done = run_proclab(
        &tag,
        &[
            "--python",
            "/nonexistent/python3",
            "lesson",
            "real-pipe",
            "--headless",
        ],
        Duration::from_secs(10),
    );
    assert_eq!(done.status.code(), Some(2), "{}", done.stderr);
    assert!(
        done.stderr.contains("runs its program under CPython")
            && done.stderr.contains("/nonexistent/python3"),
        "{}",
        done.stderr
    );
    let done = run_proclab(
        &tag,
        &[
            "--python",
            "/nonexistent/python3",
            "lesson",
            "zombie",
            "--headless",
        ],
        Duration::from_secs(30),
    );
    assert!(done.status.success(), "{}", done.stderr);
    assert!(done.stdout.contains("gate 'reaped'"), "{}", done.stdout);
    assert_no_tagged_left(&tag);
}

/// A lesson whose processes spin on the CPU (no syscall the tracer would see): only an
/// interrupt can stop them, so held means the tracer really stopped them.
const SPINNING: &str = r#"
id = "spin"
runtime = "python"
minutes = 1
python = '''
import multiprocessing as mp, threading
def spin():
    while True:
        pass
if __name__ == '__main__':
    mp.set_start_method('fork')
    p = mp.Process(target=spin, daemon=True)
    p.start()
    threading.Thread(target=spin, daemon=True).start()
    print("spinning", flush=True)
    p.terminate()
    p.join()
    print("exit code", p.exitcode, flush=True)
'''
[title]
en = "spin"
zh = "spin"
[summary]
en = "s"
zh = "s"
[[steps]]
gate = "spinning"
on = { event = "print", text = "spinning" }
line = 10
[steps.title]
en = "t"
zh = "t"
[steps.text]
en = "x"
zh = "x"
[steps.quiz]
question = { en = "Exit code?", zh = "退出码？" }
choices = ["0", "-15"]
answer = { printed = "exit code" }
"#;

/// A lesson written for the test, alone in a folder of its own (returned, to be
/// removed), opened in a PTY at 100×30 with the machine's CPython.
fn open_written_lesson(id: &str, toml: &str) -> (std::path::PathBuf, Pty) {
    let dir = std::env::temp_dir().join(format!("proclab-{id}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("01-{id}.toml")), toml).unwrap();
    let lessons = dir.display().to_string();
    let pty = Pty::spawn_with_env(
        &format!("py_{id}"),
        &["--lessons", &lessons, "--python", PYTHON, "lesson", id],
        100,
        30,
        &[],
    );
    (dir, pty)
}

#[test]
fn a_spinning_process_and_thread_are_held_and_the_program_ends_as_without_proclab() {
    if !have_python() {
        return;
    }
    let (dir, mut pty) = open_written_lesson("spin", SPINNING);
    pty.wait_for(&["AT STEP 'spinning'"], 0);
    // main's two threads and the child: spinning, yet every one is stopped.
    let held = wait_all_held(&pty.tag);
    assert!(held >= 3, "only {held} threads held");
    // Still held a moment later: nothing runs on while the learner reads.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(all_held(&pty.tag), Ok(held));
    pty.send("2");
    pty.send(" ");
    pty.wait_for(&["DONE"], 0);
    // An exit code is a fixed fact: right, not a prediction that held this time.
    pty.wait_for(&["This run reported -15: right."], 0);
    pty.quit_cleanly();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every built-in Python lesson, run headless with a real CPython: a `gate` at each
/// step, in the lesson's order, the program ending with exit code 0 and no process of
/// it left. The lessons run in parallel (each is a few seconds of real work).
#[test]
fn every_builtin_python_lesson_reaches_all_its_steps_in_order_and_ends_cleanly() {
    if !have_python() {
        return;
    }
    let lessons = proclab::lesson::loader::load(None, 64).expect("built-in lessons");
    let python: Vec<_> = lessons.into_iter().filter(|l| l.is_python()).collect();
    assert!(python.len() >= 7, "only {} Python lessons", python.len());
    let checks = python
        .into_iter()
        .map(|lesson| {
            let name = lesson.id.clone();
            let check: Box<dyn FnOnce() + Send> = Box::new(move || {
                let tag = unique_tag(&format!("py_all_{}", lesson.id.replace('-', "_")));
                let done = run_proclab(
                    &tag,
                    &["--python", PYTHON, "lesson", &lesson.id, "--json"],
                    Duration::from_secs(120),
                );
                assert!(done.status.success(), "{}: {}", lesson.id, done.stderr);
                let events = parse_wire(&done.stdout);
                let gates: Vec<&str> = events
                    .iter()
                    .filter(|e| e["kind"] == "gate")
                    .filter_map(|e| e["name"].as_str())
                    .collect();
                let steps: Vec<&str> = lesson.steps.iter().map(|s| s.gate.as_str()).collect();
                assert_eq!(gates, steps, "{}: steps reached, in order", lesson.id);
                let summary = events.last().unwrap();
                assert_eq!(summary["kind"], "summary", "{}", lesson.id);
                assert_eq!(
                    summary["results"]["exit_code"], 0,
                    "{}: {summary}",
                    lesson.id
                );
                assert_eq!(summary["leaked"], 0, "{}: {summary}", lesson.id);
                assert_no_tagged_left(&tag);
            });
            (name, check)
        })
        .collect();
    in_parallel(checks);
}

/// The program stands exactly where its event happened: held at the line it printed,
/// it has not read the clock after it yet, so the time it measures next leaves the
/// hold out (it took seconds before: the printer ran on until its next stop).
const TIMED: &str = r#"
id = "timed"
runtime = "python"
minutes = 1
python = '''
import threading, time
print("go", flush=True)
t0 = time.time()
ts = [threading.Thread(target=time.sleep,
                       args=(0.01,))
      for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
took = time.time() - t0
print("took", round(took, 3), flush=True)
'''
[title]
en = "timed"
zh = "timed"
[summary]
en = "s"
zh = "s"
[[steps]]
gate = "go"
on = { event = "print", text = "go" }
line = 2
[steps.title]
en = "t"
zh = "t"
[steps.text]
en = "x"
zh = "x"
[steps.quiz]
question = { en = "Took?", zh = "用时？" }
choices = [{ en = "under 0.5 s", zh = "不到 0.5 秒", when = "< 0.5" }, { en = "longer", zh = "更久", when = ">= 0.5" }]
answer = { printed = "took" }
"#;

#[test]
fn a_step_at_a_print_holds_the_printer_before_its_next_line() {
    if !have_python() {
        return;
    }
    let (dir, mut pty) = open_written_lesson("timed", TIMED);
    pty.wait_for(&["AT STEP 'go'"], 0);
    wait_all_held(&pty.tag);
    pty.send("1");
    // The learner reads the step for a second: the input of this test, not a wait.
    std::thread::sleep(Duration::from_millis(1000));
    pty.send(" ");
    pty.wait_for(&["DONE"], 0);
    pty.wait_for(&["1 of 1 right"], 0);
    pty.quit_cleanly();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Python lesson's recording replays as that lesson: its `run` line names it, so the
/// replay opens on its steps and narration (and a plain trace on none).
#[test]
fn a_python_lessons_recording_replays_with_its_steps() {
    if !have_python() {
        return;
    }
    let tag = unique_tag("py_replay");
    let done = run_proclab(
        &tag,
        &["--python", PYTHON, "lesson", "real-pipe", "--json"],
        Duration::from_secs(30),
    );
    assert!(done.status.success(), "{}", done.stderr);
    let trace = proclab::trace::replay::parse(&done.stdout);
    assert_eq!(trace.lesson_id(), Some("real-pipe"));
    let lessons = proclab::lesson::loader::load(None, 64).expect("built-in lessons");
    let index = lessons.iter().position(|l| l.id == "real-pipe").unwrap();
    let app = proclab::playback::open_app(&trace, lessons, proclab::lesson::Lang::En, true, 1.0)
        .expect("a replayable trace");
    assert_eq!(app.run.as_ref().and_then(|r| r.lesson), Some(index));
    // Played through, the replay reaches the same steps the run did.
    let file = std::env::temp_dir().join(format!("proclab-replay-{}.jsonl", std::process::id()));
    std::fs::write(&file, &done.stdout).unwrap();
    let out = std::process::Command::new(bin())
        .args(["replay", "--headless"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for step in STEPS {
        assert!(text.contains(&format!("gate '{step}'")), "{text}");
    }
    assert_no_tagged_left(&tag);
}
