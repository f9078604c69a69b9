//! A quiz answered on screen: the verdict (a fixed fact is right or not right), the
//! lesson's why for the learner's choice and the right one, in the step and on the
//! step after; and in presenter mode a class's votes as bars.

use serde_json::json;

use super::tests::{gate, lesson_opened, screen, send, spawn};
use crate::app::{Action, App, Msg, update};
use crate::lesson::Lang;
use crate::trace::event::EventKind;

/// The zombie lesson held at `killed`, whose question asks the raw status of the
/// child killed by SIGKILL.
fn zombie_at_the_question(lang: Lang, present: bool) -> App {
    let mut app = lesson_opened(lang, "zombie");
    if present {
        update(&mut app, Msg::Action(Action::Present));
    }
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1000, gate("start"));
    send(&mut app, 3, 1001, spawn(1000, "child"));
    send(&mut app, 4, 1000, gate("forked"));
    send(&mut app, 5, 1000, gate("killed"));
    assert!(app.run.as_ref().unwrap().question_open());
    app
}

/// The run's answer: the raw status main's waitpid returned.
fn status(app: &mut App, t_us: u64, value: i64) {
    send(
        app,
        t_us,
        1000,
        EventKind::Result {
            name: "status".into(),
            value: json!(value),
        },
    );
}

fn answer(app: &mut App, n: u8) {
    update(app, Msg::Action(Action::Answer(n)));
}

/// A wrong answer to a fixed fact is "not right" and says why, and why the run's
/// answer is right; the step after keeps both in view.
#[test]
fn a_fixed_fact_answered_wrong_says_why() {
    let mut app = zombie_at_the_question(Lang::En, false);
    answer(&mut app, 4);
    status(&mut app, 6, 9);
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("This run reported 9: not right."), "{shown}");
    assert!(!shown.contains("not what you predicted"), "{shown}");
    assert!(
        shown.contains("│✗ 137: 128 + 9, how a shell's $? shows"),
        "{shown}"
    );
    assert!(shown.contains("│✓ 9: A death by signal stores"), "{shown}");
    // The learner's why first, then the right one's.
    assert!(shown.find("✗ 137:") < shown.find("✓ 9:"), "{shown}");
    // No why for a choice neither chosen nor right.
    assert!(
        !shown.contains("✗ 0:") && !shown.contains("✗ 1:"),
        "{shown}"
    );
    let logged: Vec<String> = app
        .run
        .as_ref()
        .unwrap()
        .log
        .iter()
        .map(|l| l.text.text(Lang::En))
        .collect();
    assert!(
        logged.contains(&"prediction: you said 137; this run reported 9: wrong".to_string()),
        "{logged:?}"
    );
    insta::assert_snapshot!("quiz_explained_120x40", shown);

    send(&mut app, 7, 1000, gate("reaped"));
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Step 3's question,"), "{shown}");
    assert!(shown.contains("This run reported 9: not right."), "{shown}");
    assert!(shown.contains("│✗ 137: 128 + 9"), "{shown}");
    assert!(shown.contains("│✓ 9: A death by signal"), "{shown}");
    insta::assert_snapshot!("quiz_explained_next_step_120x40", shown);
}

/// Right, the why of the choice alone; and in Chinese, the words and the why in zh.
#[test]
fn a_fixed_fact_answered_right_in_chinese() {
    let mut app = zombie_at_the_question(Lang::Zh, false);
    answer(&mut app, 3);
    status(&mut app, 6, 9);
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("这次运行报告的是 9：答对了。"), "{shown}");
    assert!(shown.contains("✓ 9：被信号杀死时"), "{shown}");
    assert!(!shown.contains("✗"), "nothing wrong to explain: {shown}");
}

/// The class votes in presenter mode: a bar and a count per choice; the most voted
/// is graded; once the run has answered, the bars stay, the right choice marked, and
/// the whys are in view at a projector's size.
#[test]
fn presenter_counts_a_class_vote_and_explains_the_answer() {
    let mut app = zombie_at_the_question(Lang::En, true);
    for n in [4, 4, 3, 4, 1, 3, 4] {
        answer(&mut app, n);
    }
    let asked = &app.run.as_ref().unwrap().quizzes[0];
    assert_eq!(asked.votes, vec![1, 0, 2, 4]);
    assert_eq!(asked.chosen, Some(3), "137 has the most votes");
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("│ ▶ 4. 137 ████ 4"), "{shown}");
    assert!(shown.contains("│   3. 9   ██ 2"), "{shown}");
    assert!(shown.contains("│   1. 0   █ 1"), "{shown}");
    assert!(shown.contains("│   2. 1    0"), "{shown}");
    insta::assert_snapshot!("quiz_votes_presenter_100x30", shown);
    // On a small projector too, every choice stays in view while the class votes.
    let small = screen(&app, 80, 24);
    for choice in ["1. 0 ", "2. 1 ", "3. 9 ", "4. 137 "] {
        assert!(small.contains(choice), "{choice}: {small}");
    }

    status(&mut app, 6, 9);
    answer(&mut app, 3);
    let asked = &app.run.as_ref().unwrap().quizzes[0];
    assert_eq!(
        asked.votes,
        vec![1, 0, 2, 4],
        "frozen once the run answered"
    );
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("│ ✗ 4. 137 ████ 4"), "{shown}");
    assert!(
        shown.contains("│ · 3. 9   ██ 2"),
        "the right choice marked: {shown}"
    );
    assert!(shown.contains("This run reported 9: not right."), "{shown}");
    assert!(shown.contains("│✗ 137: 128 + 9"), "{shown}");
    assert!(shown.contains("│✓ 9: A death by signal"), "{shown}");
    insta::assert_snapshot!("quiz_votes_answered_presenter_100x30", shown);

    let small = screen(&app, 80, 24);
    assert!(small.contains("│ ✗ 4. 137 ████ 4"), "{small}");
    assert!(small.contains("│ · 3. 9   ██ 2"), "{small}");
    insta::assert_snapshot!("quiz_votes_answered_presenter_80x24", small);

    // The step after looks back on the question with the class's tally…
    send(&mut app, 7, 1000, gate("reaped"));
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("Step 3's question,"), "{shown}");
    assert!(shown.contains("│ ✗ 4. 137 ████ 4"), "{shown}");
    assert!(shown.contains("│ · 3. 9   ██ 2"), "{shown}");
    assert!(shown.contains("│✓ 9: A death by signal"), "{shown}");
    insta::assert_snapshot!("quiz_votes_next_step_presenter_100x30", shown);
    // …and so does the score at the end.
    update(&mut app, Msg::RunEnded);
    let shown = screen(&app, 100, 30);
    assert!(
        shown.contains("✗ step 3: you said 137 · this run: 9 — wrong"),
        "{shown}"
    );
    assert!(shown.contains("│ ✗ 4. 137 ████ 4"), "{shown}");
    insta::assert_snapshot!("quiz_votes_score_presenter_100x30", shown);
}

/// A vote a cell while the bars fit beside the longest label; scaled down beyond,
/// a choice with votes never drawn empty; nobody voted, no bars.
#[test]
fn vote_bars_fit_their_room() {
    use super::quiz::vote_bars;
    let labels = ["1. yes".to_string(), "2. no, never".to_string()];
    let bars = vote_bars(&[3, 1], &labels, 40);
    assert_eq!(bars[0].bar, "███");
    assert_eq!(bars[1].bar, "█");
    assert_eq!(
        (bars[0].count.as_str(), bars[1].count.as_str()),
        (" 3", " 1")
    );
    // The bars start in one column: " ✓ " + label + pad.
    assert_eq!(
        labels[0].len() + bars[0].pad.len(),
        labels[1].len() + bars[1].pad.len()
    );
    // 40 columns - 3 - 12 - 2 - 3 digits: 20 cells for the most votes.
    let bars = vote_bars(&[100, 1], &labels, 40);
    assert_eq!(bars[0].bar.chars().count(), 20);
    assert_eq!(bars[1].bar.chars().count(), 1);
    assert!(vote_bars(&[], &labels, 40).is_empty());
    assert!(vote_bars(&[0, 0], &labels, 40).is_empty());
}

/// The end score says what each miss was: "wrong" for a fixed fact, "not this time"
/// for an outcome that varies (the same question marked `varies`).
#[test]
fn the_end_score_says_wrong_or_not_this_time() {
    for (varies, word) in [(false, "wrong"), (true, "not this time")] {
        let mut app = zombie_at_the_question(Lang::En, false);
        let at = app.run.as_ref().and_then(|r| r.lesson).unwrap();
        if let Some(q) = app.lessons[at].steps[2].quiz.as_mut() {
            q.varies = varies;
        }
        answer(&mut app, 4);
        status(&mut app, 6, 9);
        update(&mut app, Msg::RunEnded);
        // Tall enough for the step's quiz and the score under it.
        let shown = screen(&app, 120, 60);
        assert!(shown.contains("Your predictions: 0 of 1 right"), "{shown}");
        let line = format!("✗ step 3: you said 137 · this run: 9 — {word}");
        assert!(shown.contains(&line), "{line}\n{shown}");
    }
}

/// A score line too long for a narrow narration wraps, its verdict kept.
#[test]
fn the_end_score_wraps_in_a_narrow_pane() {
    let mut app = zombie_at_the_question(Lang::En, false);
    answer(&mut app, 4);
    status(&mut app, 6, 9);
    update(&mut app, Msg::RunEnded);
    let shown = screen(&app, 80, 60);
    assert!(
        shown.contains("│ ✗ step 3: you said 137 · this run: 9 —"),
        "{shown}"
    );
    assert!(shown.contains("│   wrong "), "{shown}");
}
