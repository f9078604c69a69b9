//! The outline of a lesson's steps (`o`): every step by number and title, the one the
//! run is on marked, the cursor on the one Enter goes to.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::RunView;
use crate::i18n::Lang;
use crate::lesson::Lesson;
use crate::tr;

pub fn render(
    lesson: &Lesson,
    run: &RunView,
    cursor: usize,
    lang: Lang,
    frame: &mut Frame,
    area: Rect,
) {
    let steps = lesson.steps.len();
    let height = u16::try_from(steps + 4)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let width = area.width.min(72);
    let [v] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [box_area] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(v);
    // Rows for the steps: the note and the borders go first when the screen is short.
    let rows = usize::from(box_area.height.saturating_sub(2));
    let show_note = rows > steps + 1;
    let visible = if show_note { rows - 2 } else { rows };
    // Keep the cursor in view on a short screen.
    let first = cursor.saturating_sub(visible.saturating_sub(1));
    let mut lines = Vec::new();
    for (i, step) in lesson.steps.iter().enumerate().skip(first).take(visible) {
        let here = run.step == Some(i);
        let mark = if here { "▶" } else { " " };
        let text = format!("{mark} {:>2}. {}", i + 1, step.title.get(lang));
        let style = if i == cursor {
            theme::selected()
        } else if here {
            theme::gate()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    if show_note {
        lines.push(Line::raw(""));
        lines.push(Line::styled(tr!(lang, "outline.back_note"), theme::dim()));
    }
    let block = Block::bordered()
        .title(Span::styled(tr!(lang, "outline.title"), theme::title()))
        .border_style(theme::border_focus());
    super::clear_overlay(frame, area, box_area);
    frame.render_widget(Paragraph::new(lines).block(block), box_area);
}
