//! Predict, then run: quizzes graded by a REAL run's events. Each test runs the
//! lesson's scenario with `--json`, feeds the events to the app exactly as the TUI
//! would (answering at the quiz's gate with a number key), and checks that the verdict
//! is what the run itself reported — never a truth written into the lesson.

mod common;

use std::time::Duration;

use common::*;
use proclab::app::{App, Msg, update};
use proclab::lesson::{Lang, loader};
use proclab::trace::event::Event;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Plays lesson `id` on the events of a real `proclab run` of its scenario and params,
/// pressing `key` when the quiz's gate arrives. Returns the app and the raw events.
fn play(id: &str, key: char) -> (App, Vec<Value>) {
    let lessons = loader::load(None, 64).expect("built-in lessons");
    let index = lessons.iter().position(|l| l.id == id).expect("lesson id");
    let lesson = lessons[index].clone();
    let quiz_gate = lesson
        .steps
        .iter()
        .find(|s| s.quiz.is_some())
        .map(|s| s.gate.clone())
        .expect("the lesson has a quiz");
    let mut args = vec![
        "run".to_string(),
        lesson.scenario.to_string(),
        "--json".into(),
        "--speed".into(),
        "200".into(),
    ];
    for kv in lesson.params.to_assignments() {
        args.push("--set".into());
        args.push(kv);
    }
    let tag = unique_tag(&format!("quiz_{id}"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_proclab(&tag, &args, TIMEOUT);
    assert!(out.status.success(), "{}", out.stderr);
    assert_no_tagged_left(&tag);
    let events = parse_wire(&out.stdout);

    let mut app = App::new(lessons, Lang::En);
    app.menu_selected = index;
    update(&mut app, Msg::Action(proclab::app::Action::Open));
    for raw in &events {
        let e: Event = serde_json::from_value(raw.clone()).expect("a wire event");
        let at_quiz_gate = raw["kind"] == "gate" && raw["name"] == quiz_gate.as_str();
        update(&mut app, Msg::Event(e));
        if at_quiz_gate {
            let k = KeyEvent::from(KeyCode::Char(key));
            if let Some(action) = proclab::app::keymap::action_for(k) {
                update(&mut app, Msg::Action(action));
            }
        }
    }
    (app, events)
}

fn verdict(app: &App) -> (Option<bool>, Option<Value>) {
    let lesson = app.lesson().expect("in a lesson");
    let run = app.run.as_ref().expect("a run");
    let asked = run.quizzes.first().expect("the quiz was asked");
    let quiz = lesson.steps[asked.step].quiz.as_ref().expect("a quiz");
    (asked.verdict(quiz), asked.reported.clone())
}

fn result(events: &[Value], name: &str) -> Value {
    events
        .iter()
        .find(|e| e["kind"] == "result" && e["name"] == name)
        .map(|e| e["value"].clone())
        .unwrap_or_else(|| panic!("no result {name}"))
}

#[test]
fn isolation_quiz_is_graded_by_mains_own_num() {
    // Choice 1 is "10": main's copy, untouched by the children.
    let (app, events) = play("isolation", '1');
    let (right, reported) = verdict(&app);
    let mains_last = events
        .iter()
        .rfind(|e| e["kind"] == "value" && e["name"] == "num")
        .map(|e| e["value"].clone());
    assert_eq!(
        reported, mains_last,
        "graded by main's value after the gate"
    );
    assert_eq!(right, Some(reported.as_ref().is_some_and(|v| *v == 10)));
    assert_eq!(right, Some(true), "fork copies memory: main keeps 10");
    // The wrong choice ("20") is graded wrong by the same kind of run.
    let (app, _) = play("isolation", '3');
    assert_eq!(verdict(&app).0, Some(false));
}

#[test]
fn race_quiz_is_graded_by_this_runs_counter() {
    // Choice 2 is "fewer than 400000"; whether it holds is for the run to say.
    let (app, events) = play("race", '2');
    let counter = result(&events, "counter");
    let (right, reported) = verdict(&app);
    assert_eq!(reported, Some(counter.clone()));
    assert_eq!(
        right,
        Some(counter.as_i64().expect("a number") < 400_000),
        "counter {counter}"
    );
}

#[test]
fn fork_fanout_quiz_is_graded_by_the_summary() {
    let (app, events) = play("fork-fanout", '2');
    let processes = events.last().expect("summary")["processes"].clone();
    let (right, reported) = verdict(&app);
    assert_eq!(reported, Some(processes.clone()));
    assert_eq!(right, Some(processes == 11));
}

#[test]
fn an_answer_after_the_run_has_spoken_is_not_taken() {
    let (mut app, _) = play("crash", '1');
    let (right, _) = verdict(&app);
    assert_eq!(
        right,
        Some(false),
        "'0' is not the crashed child's exit code"
    );
    update(&mut app, Msg::Action(proclab::app::Action::Answer(2)));
    assert_eq!(
        verdict(&app).0,
        Some(false),
        "the answer is locked once graded"
    );
}
