//! A step's question on screen: the choices (a class's votes as bars), what the run
//! reported, the lesson's why for the choice made and for the right one, and the
//! score at the end.

use ratatui::text::{Line, Span, Text};

use super::theme;
use super::wrap::wrap;
use crate::app::RunView;
use crate::app::quiz::QuizRun;
use crate::lesson::quiz::{Quiz, value_text};
use crate::lesson::{Lang, Lesson};
use crate::tr;

/// The quiz the current step asks, as asked in this run.
pub(super) fn this_steps_quiz<'a>(
    lesson: &'a Lesson,
    run: &'a RunView,
) -> Option<(&'a Quiz, &'a QuizRun)> {
    let step = run.step?;
    let quiz = lesson.step_quiz(step, run.variant)?;
    Some((quiz, run.quizzes.iter().find(|q| q.step == step)?))
}

/// The run decides a question at the step after it, often by the very event that
/// opened this step: that answered quiz, kept in view here.
pub(super) fn last_steps_quiz<'a>(
    lesson: &'a Lesson,
    run: &'a RunView,
) -> Option<(&'a Quiz, &'a QuizRun)> {
    let now = run.step?;
    let asked = run
        .quizzes
        .iter()
        .rev()
        .find(|q| q.step + 1 == now && q.reported.is_some())?;
    let quiz = lesson.step_quiz(asked.step, run.variant)?;
    (!run.ended()).then_some((quiz, asked))
}

/// Whether the narration shows a run's answer now: this step's question answered, the
/// last step's looked back on, or the end score.
pub(super) fn answer_shown(lesson: &Lesson, run: &RunView) -> bool {
    this_steps_quiz(lesson, run).is_some_and(|(_, asked)| asked.reported.is_some())
        || last_steps_quiz(lesson, run).is_some()
        || (run.ended() && run.quizzes.iter().any(|q| q.reported.is_some()))
}

/// The question, the choices (the learner's marked, a class's votes as bars), and
/// once the run has answered, what it reported and whether the prediction held.
pub(super) fn quiz_lines(quiz: &Quiz, asked: &QuizRun, lang: Lang, width: usize, text: &mut Text) {
    let ask = tr!(lang, "quiz.predict");
    for l in wrap(&format!("{ask}{}", quiz.question.get(lang)), width) {
        text.push_line(Line::styled(l, theme::gate()));
    }
    choice_lines(quiz, asked, lang, width, text);
    verdict_lines(quiz, asked, lang, width, text);
}

/// A class's votes, once more, where a question is looked back on (the step after
/// it, the score at the end): only if the class voted.
pub(super) fn tally_lines(quiz: &Quiz, asked: &QuizRun, lang: Lang, width: usize, text: &mut Text) {
    if asked.votes.iter().any(|&n| n > 0) {
        choice_lines(quiz, asked, lang, width, text);
    }
}

/// One line per choice: its mark (the learner's, and once the run has answered the
/// right ones), its words, and a class's votes as a bar with the count.
fn choice_lines(quiz: &Quiz, asked: &QuizRun, lang: Lang, width: usize, text: &mut Text) {
    let labels: Vec<String> = quiz
        .choices
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{}. {}", i + 1, c.text.get(lang)))
        .collect();
    let bars = vote_bars(&asked.votes, &labels, width);
    for (i, (choice, label)) in quiz.choices.iter().zip(&labels).enumerate() {
        let mine = asked.chosen == Some(i);
        let right = asked.reported.as_ref().map(|v| choice.is_right(v));
        let mark = match (mine, right) {
            (true, Some(true)) => "✓",
            (true, Some(false)) => "✗",
            (true, None) => "▶",
            (false, Some(true)) => "·",
            _ => " ",
        };
        let style = match (mine, right) {
            (_, Some(true)) => theme::good(),
            (true, Some(false)) => theme::warning(),
            (true, None) => theme::highlight_line(),
            _ => theme::print(),
        };
        let mut spans = vec![
            Span::raw(format!(" {mark} ")),
            Span::styled(label.clone(), style),
        ];
        if let Some(bar) = bars.get(i) {
            spans.push(Span::raw(bar.pad.clone()));
            spans.push(Span::styled(bar.bar.clone(), style));
            spans.push(Span::styled(bar.count.clone(), theme::title()));
        }
        text.push_line(Line::from(spans));
    }
}

/// One choice's votes drawn after its label: padding to line the bars up, the bar,
/// the count.
pub(super) struct VoteBar {
    pub pad: String,
    pub bar: String,
    pub count: String,
}

/// Bars for a class's votes (none if nobody voted), one cell a vote while they fit,
/// scaled to the room beside the longest label otherwise.
pub(super) fn vote_bars(votes: &[u32], labels: &[String], width: usize) -> Vec<VoteBar> {
    use unicode_width::UnicodeWidthStr;
    let most = votes.iter().copied().max().unwrap_or(0);
    if most == 0 {
        return Vec::new();
    }
    let label_w = labels.iter().map(|l| l.width()).max().unwrap_or(0);
    let digits = most.to_string().len();
    // " ✓ " before the label, a space before the bar and before the count.
    let room = width.saturating_sub(3 + label_w + 2 + digits).max(1);
    let most = most as usize;
    labels
        .iter()
        .zip(votes)
        .map(|(label, &n)| {
            let n = n as usize;
            let cells = if most <= room {
                n
            } else {
                (n * room).div_ceil(most)
            };
            VoteBar {
                pad: " ".repeat(label_w - label.width() + 1),
                bar: "█".repeat(cells),
                count: format!(" {n}"),
            }
        })
        .collect()
}

/// What the run reported for a question, whether the learner's prediction held (a
/// fixed fact is right or wrong; an outcome that varies held this time or not), and
/// the lesson's why for the learner's choice and for the right one(s).
pub(super) fn verdict_lines(
    quiz: &Quiz,
    asked: &QuizRun,
    lang: Lang,
    width: usize,
    text: &mut Text,
) {
    let Some(reported) = &asked.reported else {
        return;
    };
    let value = value_text(reported);
    let verdict = match (asked.verdict(quiz), quiz.varies) {
        (Some(true), true) => tr!(lang, "quiz.held", value = value),
        (Some(false), true) => tr!(lang, "quiz.not_held", value = value),
        (Some(true), false) => tr!(lang, "quiz.fixed_right", value = value),
        (Some(false), false) => tr!(lang, "quiz.fixed_wrong", value = value),
        (None, _) => tr!(lang, "quiz.reported", value = value),
    };
    let style = match asked.verdict(quiz) {
        Some(true) => theme::good(),
        Some(false) => theme::warning(),
        None => theme::dim(),
    };
    for l in wrap(&verdict, width) {
        text.push_line(Line::styled(l, style));
    }
    // The learner's choice first, then the right ones the run decided.
    let mine = asked.chosen.into_iter();
    let right = (0..quiz.choices.len()).filter(|&i| Some(i) != asked.chosen);
    for i in mine.chain(right) {
        let Some(choice) = quiz.choices.get(i) else {
            continue;
        };
        let is_right = choice.is_right(reported);
        let Some(why) = choice
            .why
            .as_ref()
            .filter(|_| is_right || asked.chosen == Some(i))
        else {
            continue;
        };
        let (mark, style) = if is_right {
            ("✓", theme::good())
        } else {
            ("✗", theme::warning())
        };
        let line = tr!(
            lang,
            "quiz.why",
            mark = mark,
            choice = choice.text.get(lang),
            why = why.get(lang)
        );
        // Continuation lines indented under the words, past the mark.
        for (n, l) in wrap(&line, width.saturating_sub(2)).into_iter().enumerate() {
            let l = if n == 0 { l } else { format!("  {l}") };
            text.push_line(Line::styled(l, style));
        }
    }
}

/// At the end of a run: how the learner's predictions fared.
pub(super) fn score_lines(
    lesson: &Lesson,
    run: &RunView,
    lang: Lang,
    width: usize,
    text: &mut Text,
) {
    let (right, graded) = crate::app::quiz::score(&run.quizzes, lesson, run.variant);
    if graded == 0 {
        return;
    }
    let line = tr!(lang, "quiz.score", right = right, graded = graded);
    let style = if right == graded {
        theme::good()
    } else {
        theme::gate()
    };
    text.push_line(Line::styled(line, style));
    for asked in &run.quizzes {
        let Some(quiz) = lesson.step_quiz(asked.step, run.variant) else {
            continue;
        };
        let (Some(reported), Some(said)) = (
            &asked.reported,
            asked.chosen.and_then(|i| quiz.choices.get(i)),
        ) else {
            continue;
        };
        let (mark, verdict) = match (said.is_right(reported), quiz.varies) {
            (true, _) => ("✓", "quiz.word_right"),
            (false, true) => ("✗", "quiz.word_missed"),
            (false, false) => ("✗", "quiz.word_wrong"),
        };
        let (step, said, got) = (asked.step + 1, said.text.get(lang), value_text(reported));
        let line = tr!(
            lang,
            "quiz.score_line",
            mark = mark,
            step = step,
            said = said,
            got = got,
            verdict = crate::i18n::t(lang, verdict)
        );
        // Wrapped, under the words past the mark: a narrow pane keeps the verdict.
        for (n, l) in wrap(&line, width.saturating_sub(3)).into_iter().enumerate() {
            text.push_line(Line::raw(if n == 0 { l } else { format!("   {l}") }));
        }
        tally_lines(quiz, asked, lang, width, text);
    }
    text.push_line(Line::raw(""));
}
