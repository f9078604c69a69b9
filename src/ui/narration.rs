//! The lesson's words: the current step's narration, and the Python program with
//! the step's line highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph};

use super::wrap::wrap;
use super::{quiz, theme};
use crate::app::RunView;
use crate::lesson::{Lang, Lesson};
use crate::tr;

/// The narration wrapped for a box `width` columns wide: measured by the layout,
/// then drawn, so a frame wraps it once.
pub struct Words {
    text: Text<'static>,
    width: u16,
}

impl Words {
    pub fn new(lesson: &Lesson, run: &RunView, lang: Lang, width: u16) -> Words {
        let text = narration_text(lesson, run, lang, width.saturating_sub(2) as usize);
        Words { text, width }
    }

    /// Rows it takes to be read whole, its borders included.
    pub fn rows(&self) -> u16 {
        u16::try_from(self.text.lines.len() + 2).unwrap_or(u16::MAX)
    }
}

/// The narration box in `area`: the words measured for it (wrapped again only if the
/// layout gave it another width).
pub fn narration(
    lesson: &Lesson,
    run: &RunView,
    lang: Lang,
    words: Words,
    frame: &mut Frame,
    area: Rect,
) {
    let text = if words.width == area.width {
        words.text
    } else {
        narration_text(lesson, run, lang, area.width.saturating_sub(2) as usize)
    };
    narration_box(lesson, run, lang, text, frame, area);
}

/// The step's words as the narration box shows them: its title, what the run says
/// (a variant, a stall), the question, then the text, wrapped to `inner` columns.
fn narration_text(lesson: &Lesson, run: &RunView, lang: Lang, inner: usize) -> Text<'static> {
    let words = run.step.and_then(|i| {
        Some((
            lesson.step_title(i, run.variant)?,
            lesson.step_text(i, run.variant)?,
        ))
    });
    let (heading, body) = match words {
        Some((title, text)) => (title.get(lang).to_string(), text.get(lang).to_string()),
        None => (
            lesson.title.get(lang).to_string(),
            lesson.summary.get(lang).to_string(),
        ),
    };
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
    if let Some((quiz, asked)) = quiz::this_steps_quiz(lesson, run) {
        quiz::quiz_lines(quiz, asked, lang, inner, &mut text);
        text.push_line(Line::raw(""));
    }
    if let Some((quiz, asked)) = quiz::last_steps_quiz(lesson, run) {
        let head = tr!(
            lang,
            "quiz.earlier",
            step = asked.step + 1,
            question = quiz.question.get(lang)
        );
        for l in wrap(&head, inner) {
            text.push_line(Line::styled(l, theme::dim()));
        }
        quiz::tally_lines(quiz, asked, lang, inner, &mut text);
        quiz::verdict_lines(quiz, asked, lang, inner, &mut text);
        text.push_line(Line::raw(""));
    }
    if run.ended() {
        quiz::score_lines(lesson, run, lang, inner, &mut text);
    }
    for l in wrap(&body, inner) {
        text.push_line(Line::raw(l));
    }
    text
}

/// The narration's box: the step's number, "n more" when it is longer than the box,
/// what to do next on the bottom border.
/// A step in a loop (`rounds`): which round the run is in, counted from its own
/// arrivals at the step's gate, and how many rounds its parameter makes.
fn round_of(lesson: &Lesson, run: &RunView) -> Option<(u32, i64)> {
    let step = lesson.steps.get(run.step?)?;
    let n = run.params.get_int(step.rounds.as_deref()?)?;
    (run.gate_passes > 0).then_some((run.gate_passes, n))
}

fn narration_box(
    lesson: &Lesson,
    run: &RunView,
    lang: Lang,
    text: Text<'static>,
    frame: &mut Frame,
    area: Rect,
) {
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
    let round = round_of(lesson, run).map_or(String::new(), |(k, n)| {
        tr!(lang, "narration.round", k = k, n = n)
    });
    let title = tr!(
        lang,
        "narration.step",
        n = step_no,
        of = lesson.steps.len(),
        round = round,
        more = more
    );
    let block = Block::bordered()
        .title(Span::styled(title, theme::title()))
        .title_bottom(Span::styled(hint, theme::gate()))
        .border_style(theme::border_focus());
    frame.render_widget(Paragraph::new(text).scroll((scroll, 0)).block(block), area);
}

/// Columns the code pane takes to show the program's longest line whole (the marker
/// and line number before it, the borders around).
pub fn code_width(lesson: &Lesson, run: &RunView) -> u16 {
    let program = lesson.program(run.variant);
    let digits = program.lines().count().to_string().len().max(2);
    let longest = program
        .lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0);
    u16::try_from(longest + digits + 4).unwrap_or(u16::MAX)
}

/// The first line shown for a program of `len` lines in `visible` rows: the step's
/// range in the middle if it fits, else from its first line (one line of context
/// above); a step about one line puts it in the middle.
fn follow(range: Option<(usize, usize)>, visible: usize, len: usize) -> usize {
    let last_top = len.saturating_sub(visible);
    let Some((first, last)) = range else {
        return 0;
    };
    let span = last + 1 - first.min(last);
    let top = if span <= visible {
        first.saturating_sub(1 + (visible - span) / 2)
    } else {
        first.saturating_sub(2)
    };
    top.min(last_top)
}

pub fn code(lesson: &Lesson, run: &RunView, frame: &mut Frame, area: Rect) {
    let step = run.step.and_then(|i| lesson.steps.get(i));
    let current = step.map(|s| s.line);
    // The lines the step is about: marked with a bar, the rest dimmed (a step about
    // one line marks only it).
    let range = step.map(|s| s.lines);
    let in_range = |n: usize| range.is_some_and(|(a, b)| a < b && (a..=b).contains(&n));
    let has_range = range.is_some_and(|(a, b)| a < b);
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
            } else if in_range(n) {
                ("┃", theme::print().add_modifier(Modifier::BOLD))
            } else if has_range {
                (" ", theme::dim())
            } else {
                (" ", theme::print())
            };
            let number = if in_range(n) {
                theme::gate()
            } else {
                theme::dim()
            };
            Line::from(vec![
                Span::styled(marker, theme::gate()),
                Span::styled(format!("{n:>2} "), number),
                Span::styled(l.to_string(), style),
            ])
        })
        .collect();
    // Keep the step's lines in view (or the selected process's).
    let visible = area.height.saturating_sub(2) as usize;
    let last_top = lines.len().saturating_sub(visible);
    let followed = follow(selected_at.map(|n| (n, n)).or(range), visible, lines.len());
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
