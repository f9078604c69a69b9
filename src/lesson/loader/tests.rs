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

/// GOOD with one variant whose `start` step has words of its own (appended after the
/// steps: the TOML sub-table belongs to the last `[[variants]]`).
fn with_variant(step_words: &str) -> String {
    format!(
        "{GOOD}\n[[variants]]\nid = \"no-break\"\nname = {{ en = \"no break\" }}\nset = {{ break_in_child = false }}\n{step_words}"
    )
}

#[test]
fn a_variant_says_its_own_words_for_a_step() {
    let src = with_variant(
        "[variants.steps.start]\ntext = { en = \"eight processes\", zh = \"八个进程\" }\n",
    );
    let l = parse("a.toml", &src, 64).unwrap();
    let v = Some(0);
    assert_eq!(l.step_text(0, v).unwrap().get(Lang::En), "eight processes");
    assert_eq!(
        l.step_text(0, None).unwrap().get(Lang::En),
        "x",
        "the lesson keeps its own"
    );
    assert_eq!(
        l.step_title(0, v).unwrap().get(Lang::En),
        "t",
        "no title: the lesson's"
    );
    assert_eq!(l.step_text(1, v), None, "no such step");
    assert!(l.step_quiz(0, v).is_none());
}

#[test]
fn a_variant_asks_its_own_question() {
    let src = with_variant(
        "[variants.steps.start.quiz]\nquestion = { en = \"How many?\" }\nchoices = [\"8\", \"11\"]\nanswer = { summary = \"processes\" }\n",
    );
    let l = parse("a.toml", &src, 64).unwrap();
    let quiz = l.step_quiz(0, Some(0)).expect("the variant's question");
    assert_eq!(quiz.question.get(Lang::En), "How many?");
    assert!(l.step_quiz(0, None).is_none(), "the lesson asks none there");
}

#[test]
fn a_variant_step_names_a_gate_of_the_lesson_and_says_something() {
    let src = with_variant("[variants.steps.reaped-all]\ntitle = { en = \"t\" }\n");
    let errs = parse("a.toml", &src, 64).unwrap_err();
    assert!(
        errs[0]
            .message
            .contains("'reaped-all' is not a step of this lesson")
            && errs[0].message.contains("start"),
        "{errs:?}"
    );
    let src = with_variant("[variants.steps.start]\n");
    let errs = parse("a.toml", &src, 64).unwrap_err();
    assert!(
        errs[0].message.contains("says a title, a text or a quiz"),
        "{errs:?}"
    );
    let src = with_variant("[variants.steps.start]\ntext = { en = \"\" }\n");
    let errs = parse("a.toml", &src, 64).unwrap_err();
    assert!(
        errs[0].message.contains("variant step text is empty"),
        "{errs:?}"
    );
}

/// Choices with their why: a string, a table with `text`, a table per language with
/// `when`, and the long form as an array of tables; `varies` marks a race.
const QUIZ_WHY: &str = r#"[steps.quiz]
question = { en = "How many?", zh = "几个？" }
answer = { summary = "processes" }
varies = true

[[steps.quiz.choices]]
text = "3"
why = { en = "only the children", zh = "只数了子进程" }

[[steps.quiz.choices]]
en = "more than 3"
zh = "多于 3"
when = "> 3"
why.en = "main counts too"
why.zh = "main 也算"

[[steps.quiz.choices]]
text = "1"
"#;

#[test]
fn quiz_choices_carry_their_why_in_each_language() {
    use crate::lesson::Lang;
    let l = parse("q.toml", &format!("{GOOD}{QUIZ_WHY}"), 64).unwrap();
    let quiz = l.steps[0].quiz.as_ref().unwrap();
    assert!(quiz.varies);
    let why = |i: usize, lang| {
        quiz.choices[i]
            .why
            .as_ref()
            .map(|w| w.get(lang).to_string())
    };
    assert_eq!(why(0, Lang::En).as_deref(), Some("only the children"));
    assert_eq!(why(1, Lang::Zh).as_deref(), Some("main 也算"));
    assert_eq!(why(2, Lang::En), None, "a why is optional");
    assert_eq!(quiz.choices[0].text.get(Lang::Zh), "3");
    assert_eq!(quiz.choices[1].text.get(Lang::Zh), "多于 3");
    assert!(quiz.choices[1].when.is_some());
    // Absent, a quiz asks a fixed fact.
    let l = parse("q.toml", &format!("{GOOD}{QUIZ}"), 64).unwrap();
    assert!(!l.steps[0].quiz.as_ref().unwrap().varies);
    // A why in one language only is a note, as for any text: the screen falls back.
    let one = QUIZ_WHY.replace("why.zh = \"main 也算\"\n", "");
    assert!(parse("q.toml", &format!("{GOOD}{one}"), 64).is_ok());
}

#[test]
fn quiz_choice_mistakes_are_said_where_they_are() {
    let bad = |from: &str, to: &str| {
        let src = format!("{GOOD}{}", QUIZ_WHY.replace(from, to));
        let e = parse("q.toml", &src, 64).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        e.into_iter().next().unwrap()
    };
    // At the choice's own `[[steps.quiz.choices]]` line.
    let first_choice = GOOD.lines().count() + 6;
    let e = bad("why = { en", "wy = { en");
    assert!(
        e.message.contains("unknown key 'wy' in a quiz choice")
            && e.message.contains("text (or en, zh), when, why"),
        "{e:?}"
    );
    assert_eq!(e.line, first_choice, "{e:?}");
    let e = bad(
        "why = { en = \"only the children\", zh = \"只数了子进程\" }",
        "why = \"only\"",
    );
    assert!(e.message.contains("why = { en = "), "{e:?}");
    let e = bad("why.en = \"main", "why.fr = \"main");
    assert!(e.message.contains("'fr' is not a language"), "{e:?}");
    let e = bad(
        "why = { en = \"only the children\", zh = \"只数了子进程\" }",
        "why = { en = \" \" }",
    );
    assert!(e.message.contains("a choice's why is empty"), "{e:?}");
    let e = bad("text = \"3\"", "text = \"3\"\nen = \"three\"");
    assert!(e.message.contains("not both"), "{e:?}");
    let e = bad("text = \"3\"", "");
    assert!(e.message.contains("needs its words"), "{e:?}");
    let e = bad("text = \"1\"", "text = 1");
    assert!(
        e.message
            .contains("a choice's text is a string, not an integer"),
        "{e:?}"
    );
    // As any mistyped field: at its value.
    let e = bad("varies = true", "varies = \"yes\"");
    assert!(e.message.contains("expected a boolean"), "{e:?}");
    assert_eq!(e.line, GOOD.lines().count() + 4, "{e:?}");
}

/// Every built-in quiz explains every choice, in every language, and says whether
/// its outcome varies from run to run: races and timings do, counts and exit codes
/// do not.
#[test]
fn built_in_quizzes_explain_every_choice_and_say_what_varies() {
    let lessons = super::load(None, 64).unwrap();
    let mut varying = Vec::new();
    let mut asked = 0;
    for l in &lessons {
        // The lesson's own questions, then those its variants ask in their place.
        let variants = l.variants.iter().flat_map(|v| {
            v.steps
                .iter()
                .filter_map(move |(i, w)| Some((&l.steps[*i], w.quiz.as_ref()?, Some(&v.id))))
        });
        let own = l
            .steps
            .iter()
            .filter_map(|s| Some((s, s.quiz.as_ref()?, None)));
        for (step, quiz, variant) in own.chain(variants) {
            asked += 1;
            for (n, c) in quiz.choices.iter().enumerate() {
                let why = c.why.as_ref();
                assert!(
                    why.is_some_and(|w| w.missing().is_empty() && !w.is_blank()),
                    "{} at {} ({variant:?}), choice {}: a why in every language",
                    l.id,
                    step.gate,
                    n + 1
                );
            }
            if quiz.varies {
                let variant = variant.map(|v| format!(" ({v})")).unwrap_or_default();
                varying.push(format!("{} at {}{variant}", l.id, step.gate));
            }
        }
    }
    assert_eq!(asked, 21, "18 of the lessons, 3 of their variants");
    assert_eq!(
        varying,
        [
            "speedup at start",
            "race at forked",
            "lock at forked (no-lock)",
            "manager at race",
            "shared-ctypes at ctypes",
            "shared-ctypes at ratio",
            "threads-vs-processes at cores",
            "process-pool-executor at submitted",
        ]
    );
}

/// `lines = [first, last]`: the range a step is about, beside `line` or instead of it
/// (then the line is its first); checked inside the program and in order.
#[test]
fn a_step_may_name_a_range_of_lines() {
    let base = GOOD.replace("print(os.getpid())", "print(1)\nprint(2)\nprint(3)");
    let l = parse("a.toml", &base, 64).unwrap();
    assert_eq!((l.steps[0].line, l.steps[0].lines), (2, (2, 2)));
    let both = base.replace("line = 2", "line = 1\nlines = [2, 4]");
    let l = parse("a.toml", &both, 64).unwrap();
    assert_eq!((l.steps[0].line, l.steps[0].lines), (1, (2, 4)));
    let alone = base.replace("line = 2", "lines = [3, 4]");
    let l = parse("a.toml", &alone, 64).unwrap();
    assert_eq!((l.steps[0].line, l.steps[0].lines), (3, (3, 4)));

    let outside = base.replace("line = 2", "lines = [2, 9]");
    let errs = parse("a.toml", &outside, 64).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(
        errs[0].message,
        "line 9 is outside the python program (1..=4)"
    );
    assert_eq!((errs[0].line, errs[0].col), (21, 13), "{}", errs[0]);
    let backwards = base.replace("line = 2", "lines = [4, 2]");
    let errs = parse("a.toml", &backwards, 64).unwrap_err();
    assert_eq!(
        errs[0].message,
        "lines = [4, 2]: the first line must not come after the last"
    );
    let three = base.replace("line = 2", "lines = [1, 2, 3]");
    let errs = parse("a.toml", &three, 64).unwrap_err();
    assert!(
        errs[0].message.contains("lines is [first, last]"),
        "{errs:?}"
    );
    let neither = base.replace("line = 2\n", "");
    let errs = parse("a.toml", &neither, 64).unwrap_err();
    assert!(
        errs[0]
            .message
            .contains("line = N or lines = [first, last]"),
        "{errs:?}"
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

#[test]
fn a_steps_rounds_name_an_integer_parameter() {
    let with = |name: &str| GOOD.replace("line = 2\n", &format!("line = 2\nrounds = \"{name}\"\n"));
    let l = parse("a.toml", &with("children"), 64).unwrap();
    assert_eq!(l.steps[0].rounds.as_deref(), Some("children"));
    assert_eq!(parse("a.toml", GOOD, 64).unwrap().steps[0].rounds, None);
    let errs = parse("a.toml", &with("nope"), 64).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.message.contains("rounds = 'nope'") && e.line == 20),
        "{errs:?}"
    );
}
