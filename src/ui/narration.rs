//! The lesson's words: the current step's narration, and the Python program with
//! the step's line highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use super::wrap::wrap;
use crate::app::RunView;
use crate::lesson::{Lang, Lesson};

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
    text.push_line(Line::raw(""));
    for l in wrap(&body, inner) {
        text.push_line(Line::raw(l));
    }
    // What to do next sits on the bottom border, so a long text never hides it.
    let hint = if run.ended {
        " The run is over. r: run it again · Esc: menu "
    } else if run.held {
        " Space: next step · p: play on "
    } else {
        ""
    };
    let visible = area.height.saturating_sub(2) as usize;
    let overflow = text.lines.len().saturating_sub(visible) as u16;
    let scroll = run.narration_scroll.min(overflow);
    let step_no = run.step.map_or(0, |i| i + 1);
    let more = match (overflow > 0, scroll < overflow) {
        (false, _) => "",
        (true, true) => "· PgDn more ",
        (true, false) => "· PgUp top ",
    };
    let title = format!(" Step {step_no}/{} {more}", lesson.steps.len());
    let block = Block::bordered()
        .title(Span::styled(title, theme::title()))
        .title_bottom(Span::styled(hint, theme::gate()))
        .border_style(theme::border_focus());
    frame.render_widget(Paragraph::new(text).scroll((scroll, 0)).block(block), area);
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
    let selected_at = run
        .selected_row()
        .and_then(|p| run.slot_held.get(&p.pid))
        .and_then(|(_, gate)| line_of(gate));
    let lines: Vec<Line> = lesson
        .python
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
    let scroll = current
        .map(|n| {
            n.saturating_sub(visible / 2)
                .min(lines.len().saturating_sub(visible))
        })
        .unwrap_or(0);
    let block = Block::bordered()
        .title(Span::styled(" Python ", theme::title()))
        .border_style(theme::border());
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .block(block),
        area,
    );
}
