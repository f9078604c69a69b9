//! The quiz keys: one learner's choice, or a class's votes in presenter mode.

use super::*;

/// The fork-fanout lesson held at its first step, which asks how many processes.
fn at_the_question(present: bool) -> App {
    let mut app = in_lesson();
    if present {
        act(&mut app, Action::Present);
    }
    update(&mut app, ev(1000, spawn(999, "main")));
    update(&mut app, main_gate("start"));
    assert!(run(&app).question_open(), "the first step asks");
    app
}

fn asked(app: &App) -> &crate::app::quiz::QuizRun {
    &run(app).quizzes[0]
}

/// The run's answer: the summary's count of processes.
fn summary(processes: u32) -> Msg {
    ev(
        1000,
        EventKind::Summary {
            processes,
            leaked: 0,
            duration_us: 1,
            results: Default::default(),
        },
    )
}

#[test]
fn a_digit_chooses_outside_presenter_mode() {
    let mut app = at_the_question(false);
    act(&mut app, Action::Answer(2));
    act(&mut app, Action::Answer(3));
    act(&mut app, Action::Answer(3));
    assert_eq!(asked(&app).chosen, Some(2), "the last digit pressed");
    assert!(asked(&app).votes.is_empty(), "no votes counted");
}

#[test]
fn presenter_digits_count_votes_and_the_most_voted_is_graded() {
    let mut app = at_the_question(true);
    for n in [1, 1, 2, 2, 2] {
        act(&mut app, Action::Answer(n));
    }
    assert_eq!(asked(&app).votes, vec![2, 3, 0, 0]);
    assert_eq!(asked(&app).chosen, Some(1), "choice 2 leads");
    // A tie goes to the choice pressed last…
    act(&mut app, Action::Answer(1));
    assert_eq!(asked(&app).votes, vec![3, 3, 0, 0]);
    assert_eq!(asked(&app).chosen, Some(0));
    // …and stays with it while another choice gains without catching up.
    act(&mut app, Action::Answer(4));
    assert_eq!(asked(&app).chosen, Some(0));
    act(&mut app, Action::Answer(2));
    assert_eq!(asked(&app).chosen, Some(1));
    // A digit past the choices is no vote.
    act(&mut app, Action::Answer(9));
    assert_eq!(asked(&app).votes, vec![3, 4, 0, 1]);

    // The run answers: 11 processes, choice 2 ("11") was the class's.
    update(&mut app, summary(11));
    let quiz = app.lesson().unwrap().steps[0].quiz.clone().unwrap();
    assert_eq!(asked(&app).verdict(&quiz), Some(true));
    // Votes are frozen from then on.
    act(&mut app, Action::Answer(1));
    act(&mut app, Action::Answer(1));
    assert_eq!(asked(&app).votes, vec![3, 4, 0, 1]);
    assert_eq!(asked(&app).chosen, Some(1));
}

/// The log's verdict on a missed prediction: a fixed fact is "wrong"; an outcome
/// that varies from run to run (the same question marked `varies`) "not this time".
#[test]
fn a_missed_prediction_is_wrong_or_not_this_time() {
    for (varies, word) in [(false, "wrong"), (true, "not this time")] {
        let mut app = at_the_question(false);
        let at = app.run.as_ref().and_then(|r| r.lesson).unwrap();
        if let Some(q) = app.lessons[at].steps[0].quiz.as_mut() {
            q.varies = varies;
        }
        act(&mut app, Action::Answer(1));
        update(&mut app, summary(11));
        let logged: Vec<String> = run(&app)
            .log
            .iter()
            .map(|l| l.text.text(Lang::En))
            .collect();
        let want = format!("prediction: you said 10; this run reported 11: {word}");
        assert!(logged.contains(&want), "{want}\n{logged:?}");
    }
}
