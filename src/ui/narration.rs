//! The lesson's words: the current step's narration, and the Python program with
//! the step's line highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use super::wrap::wrap;
use crate::app::RunView;
use crate::app::quiz::QuizRun;
use crate::lesson::quiz::{Quiz, value_text};
use crate::lesson::{Lang, Lesson};
use crate::tr;

pub fn narration(lesson: &Lesson, run: &RunView, lang: Lang, frame: &mut Frame, area: Rect) {
    let (heading, body) = match run.step.and_then(|i| lesson.steps.get(i)) {
        Some(step) => (
            step.title.get(lang).to_string(),
            step.text.get(lang).to_string(),
        ),
        None => (
            lesson.title.get(lang).to_string(),
            lesson.summary.get(lang).to_string(),
        ),
    };
    let inner = area.width.saturating_sub(2) as usize;
    let mut text = Text::default();
    for l in wrap(&heading, inner) {
        text.push_line(Line::styled(l, theme::title()));
    }
    // The variant playing, and what it sets: the text is the lesson's, the run is not.
    if let Some(v) = run.variant.and_then(|v| lesson.variants.get(v)) {
        let set: Vec<String> = v.set.iter().map(|(k, val)| format!("{k}={val}")).collect();
        let line = tr!(
            lang,
            "variant.playing",
            name = v.name.get(lang),
            set = set.join(", ")
        );
        for l in wrap(&line, inner) {
            text.push_line(Line::styled(l, theme::gate()));
        }
    }
    text.push_line(Line::raw(""));
    if run.learner_signalled {
        let note = tr!(lang, "narration.signalled");
        for l in wrap(note, inner) {
            text.push_line(Line::styled(l, theme::warning()));
        }
        text.push_line(Line::raw(""));
    }
    if let Some(stall) = &run.stall {
        for line in stall_lines(stall, lang) {
            for l in wrap(&line, inner) {
                text.push_line(Line::styled(l, theme::warning()));
            }
        }
        text.push_line(Line::raw(""));
    }
    if let Some((quiz, asked)) = this_steps_quiz(lesson, run) {
        quiz_lines(quiz, asked, lang, inner, &mut text);
        text.push_line(Line::raw(""));
    }
    if let Some((quiz, asked)) = last_steps_quiz(lesson, run) {
        let head = tr!(
            lang,
            "quiz.earlier",
            step = asked.step + 1,
            question = quiz.question.get(lang)
        );
        for l in wrap(&head, inner) {
            text.push_line(Line::styled(l, theme::dim()));
        }
        tally_lines(quiz, asked, lang, inner, &mut text);
        verdict_lines(quiz, asked, lang, inner, &mut text);
        text.push_line(Line::raw(""));
    }
    if run.ended() {
        score_lines(lesson, run, lang, inner, &mut text);
    }
    for l in wrap(&body, inner) {
        text.push_line(Line::raw(l));
    }
    // What to do next sits on the bottom border, so a long text never hides it.
    let quiz_open = run.step.is_some_and(|step| {
        run.quizzes
            .iter()
            .any(|q| q.step == step && q.reported.is_none())
    });
    let hint = match (run.ended(), run.held(), quiz_open) {
        (true, _, _) => tr!(lang, "narration.over"),
        (false, true, true) => tr!(lang, "narration.answer"),
        (false, true, false) => tr!(lang, "narration.next"),
        _ => "",
    };
    let visible = area.height.saturating_sub(2) as usize;
    let overflow = u16::try_from(text.lines.len().saturating_sub(visible)).unwrap_or(u16::MAX);
    let scroll = run.narration_scroll.min(overflow);
    let step_no = run.step.map_or(0, |i| i + 1);
    let more = match (overflow > 0, scroll < overflow) {
        (false, _) => "",
        (true, true) => tr!(lang, "narration.more"),
        (true, false) => tr!(lang, "narration.top"),
    };
    let title = tr!(
        lang,
        "narration.step",
        n = step_no,
        of = lesson.steps.len(),
        more = more
    );
    let block = Block::bordered()
        .title(Span::styled(title, theme::title()))
        .title_bottom(Span::styled(hint, theme::gate()))
        .border_style(theme::border_focus());
    frame.render_widget(Paragraph::new(text).scroll((scroll, 0)).block(block), area);
}

/// The quiz the current step asks, as asked in this run.
fn this_steps_quiz<'a>(lesson: &'a Lesson, run: &'a RunView) -> Option<(&'a Quiz, &'a QuizRun)> {
    let step = run.step?;
    let quiz = lesson.steps.get(step)?.quiz.as_ref()?;
    Some((quiz, run.quizzes.iter().find(|q| q.step == step)?))
}

/// The run decides a question at the step after it, often by the very event that
/// opened this step: that answered quiz, kept in view here.
fn last_steps_quiz<'a>(lesson: &'a Lesson, run: &'a RunView) -> Option<(&'a Quiz, &'a QuizRun)> {
    let now = run.step?;
    let asked = run
        .quizzes
        .iter()
        .rev()
        .find(|q| q.step + 1 == now && q.reported.is_some())?;
    let quiz = lesson.steps.get(asked.step)?.quiz.as_ref()?;
    (!run.ended()).then_some((quiz, asked))
}

/// Rows the run's answers take in the narration (what it reported, the whys): the
/// presenter's narration grows by these, so a class sees them without scrolling.
pub fn answer_rows(lesson: &Lesson, run: &RunView, lang: Lang, width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2));
    let mut text = Text::default();
    if let Some((quiz, asked)) = this_steps_quiz(lesson, run) {
        verdict_lines(quiz, asked, lang, inner, &mut text);
    }
    if let Some((quiz, asked)) = last_steps_quiz(lesson, run) {
        tally_lines(quiz, asked, lang, inner, &mut text);
        verdict_lines(quiz, asked, lang, inner, &mut text);
    }
    if run.ended() {
        score_lines(lesson, run, lang, inner, &mut text);
    }
    u16::try_from(text.lines.len()).unwrap_or(u16::MAX)
}

/// The question, the choices (the learner's marked, a class's votes as bars), and
/// once the run has answered, what it reported and whether the prediction held.
fn quiz_lines(quiz: &Quiz, asked: &QuizRun, lang: Lang, width: usize, text: &mut Text) {
    let ask = tr!(lang, "quiz.predict");
    for l in wrap(&format!("{ask}{}", quiz.question.get(lang)), width) {
        text.push_line(Line::styled(l, theme::gate()));
    }
    choice_lines(quiz, asked, lang, width, text);
    verdict_lines(quiz, asked, lang, width, text);
}

/// A class's votes, once more, where a question is looked back on (the step after
/// it, the score at the end): only if the class voted.
fn tally_lines(quiz: &Quiz, asked: &QuizRun, lang: Lang, width: usize, text: &mut Text) {
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
fn verdict_lines(quiz: &Quiz, asked: &QuizRun, lang: Lang, width: usize, text: &mut Text) {
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
fn score_lines(lesson: &Lesson, run: &RunView, lang: Lang, width: usize, text: &mut Text) {
    let (right, graded) = crate::app::quiz::score(&run.quizzes, lesson);
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
        let Some(quiz) = lesson.steps.get(asked.step).and_then(|s| s.quiz.as_ref()) else {
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
        text.push_line(Line::raw(tr!(
            lang,
            "quiz.score_line",
            mark = mark,
            step = step,
            said = said,
            got = got,
            verdict = crate::i18n::t(lang, verdict)
        )));
        tally_lines(quiz, asked, lang, width, text);
    }
    text.push_line(Line::raw(""));
}

pub fn code(lesson: &Lesson, run: &RunView, frame: &mut Frame, area: Rect) {
    let current = run.step.and_then(|i| lesson.steps.get(i)).map(|s| s.line);
    // "Be the scheduler": where each held process stands, and where the selected one is.
    let line_of = |gate: &str| lesson.process_lines.get(gate).copied();
    let held_at: Vec<usize> = run
        .slot_held
        .values()
        .filter_map(|(_, gate)| line_of(gate))
        .collect();
    let mut held_at = held_at;
    let mut selected_at = run
        .selected_row()
        .and_then(|p| run.slot_held.get(&p.pid))
        .and_then(|(_, gate)| line_of(gate));
    // A Python lesson: where each live process of the real program is (its frames),
    // in the lesson's own file (`<id>.py`).
    if lesson.is_python() {
        let file = format!("/{}.py", lesson.id);
        let line_in_program = |p: &crate::app::procs::ProcRow| {
            p.at.as_ref()
                .filter(|(f, _, _)| f.ends_with(&file) && p.reaped.is_none())
                .map(|(_, line, _)| *line as usize)
        };
        held_at.extend(run.procs.rows().iter().filter_map(line_in_program));
        selected_at = selected_at.or_else(|| run.selected_row().and_then(line_in_program));
    }
    let program = lesson.program(run.variant);
    let lines: Vec<Line> = program
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let n = i + 1;
            let (marker, style) = if Some(n) == selected_at {
                ("◆", theme::held())
            } else if Some(n) == current {
                ("▶", theme::highlight_line())
            } else if held_at.contains(&n) {
                ("◇", theme::gate())
            } else {
                (" ", theme::print())
            };
            Line::from(vec![
                Span::styled(format!("{marker}{n:>2} "), theme::dim()),
                Span::styled(l.to_string(), style),
            ])
        })
        .collect();
    let current = selected_at.or(current);
    // Keep the highlighted line in view.
    let visible = area.height.saturating_sub(2) as usize;
    let last_top = lines.len().saturating_sub(visible);
    let followed = current.map_or(0, |n| n.saturating_sub(visible / 2).min(last_top));
    // Moved by hand (J/K) from where the step puts it, within the program.
    let scroll = followed
        .saturating_add_signed(isize::from(run.code_scroll))
        .min(last_top);
    let title = if run.code_scroll == 0 {
        " Python ".to_string()
    } else {
        format!(
            " Python · {}–{} ",
            scroll + 1,
            (scroll + visible).min(lines.len())
        )
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme::title()))
        .border_style(theme::border());
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .block(block),
        area,
    );
}

/// A run standing still, said as seen: how long nothing moved, what each process
/// waits for, who died holding a lock; then what the learner can do.
pub fn stall_lines(stall: &crate::app::stall::Stall, lang: Lang) -> Vec<String> {
    let mut lines = vec![tr!(lang, "narration.stalled", s = stall.quiet_ms / 1000)];
    for (pid, label, reason) in &stall.waits {
        lines.push(tr!(
            lang,
            "narration.stalled_wait",
            label = label,
            pid = pid,
            reason = crate::i18n::reason(lang, reason)
        ));
    }
    for pid in &stall.died_holding {
        lines.push(tr!(lang, "narration.died_holding", pid = pid));
    }
    lines.push(tr!(lang, "narration.stalled_hint").to_string());
    lines
}
