use super::*;

const GOOD: &str = r#"
id = "ff"
scenario = "fork-fanout"
minutes = 3
python = '''
import os
print(os.getpid())
'''
[title]
en = "Fan"
zh = "扇"
[summary]
en = "s"
zh = "s"
[params]
children = 3
[[steps]]
gate = "start"
line = 2
[steps.title]
en = "t"
zh = "t"
[steps.text]
en = "x"
zh = "x"
"#;

#[test]
fn good_lesson_loads() {
    let l = parse("a.toml", GOOD, 64).unwrap();
    assert_eq!(l.id, "ff");
    assert_eq!(l.params.get_int("children"), Some(3));
    assert_eq!(
        l.params.get_flag("break_in_child"),
        Some(true),
        "defaults fill the rest"
    );
    assert_eq!(l.steps[0].line, 2);
    assert!(l.python.starts_with("import os"));
}

#[test]
fn syntax_error_has_position() {
    let bad = GOOD.replace("minutes = 3", "minutes = = 3");
    let e = &parse("a.toml", &bad, 64).unwrap_err()[0];
    assert_eq!((e.file.as_str(), e.line), ("a.toml", 4), "{e}");
    assert!(e.col > 1);
}

#[test]
fn unknown_gate_and_line_out_of_range_point_at_their_values() {
    let bad = GOOD
        .replace("gate = \"start\"", "gate = \"nope\"")
        .replace("line = 2", "line = 9");
    let errs = parse("a.toml", &bad, 64).unwrap_err();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].message.contains("no gate 'nope'") && errs[0].message.contains("first-fork"));
    assert_eq!((errs[0].line, errs[0].col), (18, 8));
    assert!(errs[1].message.contains("outside the python program"));
    assert_eq!(errs[1].line, 19);
}

#[test]
fn unknown_scenario_lists_valid_ids() {
    let bad = GOOD.replace("scenario = \"fork-fanout\"", "scenario = \"forky\"");
    let e = &parse("a.toml", &bad, 64).unwrap_err()[0];
    assert!(e.message.contains("valid scenario ids: fork-fanout"), "{e}");
    assert_eq!(e.line, 3);
}

#[test]
fn lesson_over_the_cap_is_marked_closed_at_load() {
    let bad = GOOD.replace("children = 3", "children = 7\nbreak_in_child = false");
    let lesson = parse("a.toml", &bad, 64).expect("over the cap is not a broken file");
    let e = lesson.over_cap.expect("marked as over the cap");
    assert!(
        e.message.contains("2^7 = 128") && e.message.contains("cap of 64"),
        "{e}"
    );
    assert_eq!(e.line, 15, "{e}"); // the [params] table
    assert!(parse("a.toml", GOOD, 64).unwrap().over_cap.is_none());
}

#[test]
fn bad_param_value_points_at_the_key() {
    let bad = GOOD.replace("children = 3", "children = \"many\"");
    let e = &parse("a.toml", &bad, 64).unwrap_err()[0];
    assert!(
        e.message.contains("not a valid value for 'children'"),
        "{e}"
    );
    assert_eq!((e.line, e.col), (16, 1));
}

#[test]
fn unknown_field_is_an_error() {
    let bad = GOOD.replace("minutes = 3", "minutes = 3\ncolour = 1");
    let e = &parse("a.toml", &bad, 64).unwrap_err()[0];
    assert!(e.message.contains("colour"), "{e}");
    assert_eq!(e.line, 5);
}

#[test]
fn builtin_lessons_are_valid() {
    let lessons = load(None, 64).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(lessons.iter().any(|l| l.id == "fork-fanout"));
}

#[test]
fn process_lines_are_checked_against_the_scenario_and_the_program() {
    // fork-fanout has no per-process gates at all.
    let src = format!("{GOOD}[process_lines]\nread = 9\n");
    let e = parse("p.toml", &src, 64).unwrap_err();
    assert_eq!(e.len(), 2, "{e:?}");
    let at = |i: usize| (e[i].line, e[i].col);
    let last = src.lines().count();
    assert_eq!(at(0), (last, 1));
    assert!(e[0].message.contains("no per-process gate 'read'"));
    assert!(e[0].message.contains("none"));
    assert_eq!(at(1), (last, 8));
    assert!(
        e[1].message
            .contains("line 9 is outside the python program (1..=2)")
    );

    let lock = GOOD
        .replace("fork-fanout", "lock")
        .replace("children = 3", "workers = 2")
        .replace("gate = \"start\"", "gate = \"forked\"");
    let l = parse("q.toml", &format!("{lock}[process_lines]\nwrite = 2\n"), 64).unwrap();
    assert_eq!(l.process_lines.get("write"), Some(&2));
    let e = parse("q.toml", &format!("{lock}[process_lines]\nwirte = 2\n"), 64).unwrap_err();
    assert!(e[0].message.contains("its per-process gates: read, write"));
}

const QUIZ: &str = r#"[steps.quiz]
question = { en = "How many?", zh = "几个？" }
choices = ["2", { en = "more than 2", zh = "多于 2", when = "> 2" }]
answer = { summary = "processes" }
"#;

#[test]
fn a_quiz_loads_with_plain_and_conditional_choices() {
    let l = parse("q.toml", &format!("{GOOD}{QUIZ}"), 64).unwrap();
    let quiz = l.steps[0].quiz.as_ref().unwrap();
    assert_eq!(quiz.choices.len(), 2);
    assert_eq!(quiz.choices[0].text.get(crate::lesson::Lang::Zh), "2");
    assert!(quiz.choices[1].when.is_some());
    assert_eq!(
        quiz.answer,
        crate::lesson::quiz::AnswerSource::Summary("processes".into())
    );
}

#[test]
fn quiz_mistakes_point_at_their_place() {
    let src = format!(
        "{GOOD}{}",
        QUIZ.replace("\"> 2\"", "\"about 2\"").replace(
            "{ summary = \"processes\" }",
            "{ result = \"a\", summary = \"b\" }"
        )
    );
    let e = parse("q.toml", &src, 64).unwrap_err();
    assert_eq!(e.len(), 2, "{e:?}");
    let quiz_line = GOOD.lines().count() + 1;
    assert!(e[0].message.contains("must start with ==") && e[0].line == quiz_line + 2);
    assert!(e[1].message.contains("answer names one source") && e[1].line == quiz_line + 3);

    let one = QUIZ.replace("choices = [\"2\", ", "choices = [");
    let e = parse("q.toml", &format!("{GOOD}{one}"), 64).unwrap_err();
    assert!(e[0].message.contains("2 to 9 choices"), "{e:?}");
}

#[test]
fn a_quiz_answer_must_name_something_the_scenario_reports() {
    let lock = GOOD
        .replace("fork-fanout", "lock")
        .replace("children = 3", "workers = 2")
        .replace("gate = \"start\"", "gate = \"forked\"");
    let typo = QUIZ.replace("{ summary = \"processes\" }", "{ result = \"countr\" }");
    let e = parse("q.toml", &format!("{lock}{typo}"), 64).unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("reports no 'countr'"), "{e:?}");
    assert!(e[0].message.contains("counter, expected, lost"), "{e:?}");
    let right = QUIZ.replace("{ summary = \"processes\" }", "{ result = \"counter\" }");
    assert!(parse("q.toml", &format!("{lock}{right}"), 64).is_ok());
    // A family: pi reports speedup_1, speedup_2, …
    let pi = GOOD
        .replace("fork-fanout", "pi")
        .replace("children = 3", "workers = 2");
    let family = QUIZ.replace("{ summary = \"processes\" }", "{ result = \"speedup_2\" }");
    assert!(parse("q.toml", &format!("{pi}{family}"), 64).is_ok());
}

#[test]
fn keep_running_steps_make_the_run_on_mask() {
    let lessons = super::load(None, 64).unwrap();
    let speedup = lessons.iter().find(|l| l.id == "speedup").unwrap();
    let gates = crate::scenario::find("pi").unwrap().gates;
    let forked = gates.iter().position(|g| *g == "forked").unwrap();
    assert_eq!(speedup.run_on_mask(gates), 1 << forked);
    // A lesson without keep_running stops the run at every step.
    let race = lessons.iter().find(|l| l.id == "race").unwrap();
    assert_eq!(
        race.run_on_mask(crate::scenario::find("lock").unwrap().gates),
        0
    );
}

/// A small Python lesson: no scenario, a step on an observed event.
const GOOD_PY: &str = r#"
id = "py"
runtime = "python"
minutes = 2
python = '''
print("cores:", 2)
'''
[title]
en = "t"
[summary]
en = "s"
[[steps]]
gate = "printed"
on = { event = "print", text = "cores:" }
line = 1
[steps.title]
en = "t"
[steps.text]
en = "x"
"#;

#[test]
fn a_python_lesson_asks_for_the_cores_pane() {
    use crate::scenario::{Pane, View};
    // Without pane: the tree alone (messages once they pass), no core sampled.
    let plain = parse("py.toml", GOOD_PY, 64).unwrap();
    assert_eq!(plain.view(), View::TREE);
    let cores = GOOD_PY.replace("minutes = 2\n", "minutes = 2\npane = \"cores\"\n");
    let l = parse("py.toml", &cores, 64).unwrap();
    assert_eq!(l.view(), View::CORES);
    assert_eq!(l.view().pane, Pane::Cores);
    assert!(
        l.view().samples_cores,
        "the pane draws the cores: they are sampled"
    );
    // A compiled lesson's view is its scenario's.
    let ff = parse("a.toml", GOOD, 64).unwrap();
    assert_eq!(
        ff.view(),
        crate::scenario::find("fork-fanout").unwrap().view
    );
}

#[test]
fn an_unknown_pane_and_a_pane_in_a_compiled_lesson_point_at_their_values() {
    let bad = GOOD_PY.replace("minutes = 2\n", "minutes = 2\npane = \"bars\"\n");
    let errs = parse("py.toml", &bad, 64).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].line, errs[0].col), (5, 8), "{}", errs[0]);
    assert!(
        errs[0]
            .message
            .starts_with("unknown pane 'bars': \"cores\""),
        "{}",
        errs[0]
    );

    let compiled = GOOD.replace("minutes = 3\n", "minutes = 3\npane = \"cores\"\n");
    let errs = parse("a.toml", &compiled, 64).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].line, errs[0].col), (5, 8), "{}", errs[0]);
    assert!(
        errs[0].message.contains("pane is for python lessons")
            && errs[0].message.contains("'fork-fanout' shows its own"),
        "{}",
        errs[0]
    );
}

#[test]
fn a_step_speed_must_slow_within_range() {
    let with = |speed: &str| GOOD.replace("line = 2\n", &format!("line = 2\nspeed = {speed}\n"));
    let l = parse("a.toml", &with("0.2"), 64).unwrap();
    assert_eq!(l.steps[0].speed, Some(0.2));
    assert_eq!(l.slowing(), vec![("start".to_string(), 0.2)]);
    // 1 gives the learner's speed back; a whole number reads as TOML writes it.
    assert_eq!(
        parse("a.toml", &with("1"), 64).unwrap().steps[0].speed,
        Some(1.0)
    );
    for bad in ["0", "2.0", "-0.5", "0.00001"] {
        let errs = parse("a.toml", &with(bad), 64).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.message.contains("is outside") && e.line == 20),
            "{bad}: {errs:?}"
        );
    }
}

#[test]
fn a_python_step_cannot_set_a_speed() {
    let bad = GOOD_PY.replace("line = 1\n", "line = 1\nspeed = 0.5\n");
    let errs = parse("p.toml", &bad, 64).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.message.contains("'speed' is for compiled lessons")),
        "{errs:?}"
    );
}

#[test]
fn the_slowed_lessons_slow_where_their_moment_is() {
    let lessons = super::load(None, 64).unwrap();
    let slowing = |id: &str| lessons.iter().find(|l| l.id == id).unwrap().slowing();
    assert_eq!(slowing("pool"), vec![("submitted".to_string(), 0.2)]);
    assert_eq!(slowing("pi").len(), 1);
    assert_eq!(slowing("race")[0].0, "start");
}
