//! Two lists over a lesson, drawn the same way: the outline of its steps (`o`) and its
//! variants (`v`). Each entry by number, the one the run is on marked, the cursor on
//! the one Enter goes to.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::RunView;
use crate::i18n::Lang;
use crate::lesson::Lesson;
use crate::tr;

/// The steps: the current one marked.
pub fn render(
    lesson: &Lesson,
    run: &RunView,
    cursor: usize,
    lang: Lang,
    frame: &mut Frame,
    area: Rect,
) {
    let entries: Vec<String> = (0..lesson.steps.len())
        .filter_map(|i| lesson.step_title(i, run.variant))
        .map(|t| t.get(lang).to_string())
        .collect();
    list_box(
        &ListBox {
            title: tr!(lang, "outline.title"),
            entries: &entries,
            current: run.step,
            cursor,
            note: tr!(lang, "outline.back_note"),
        },
        frame,
        area,
    );
}

/// The variants: the lesson as written first, then each variant with what it sets.
pub fn variants(
    lesson: &Lesson,
    run: &RunView,
    cursor: usize,
    lang: Lang,
    frame: &mut Frame,
    area: Rect,
) {
    let mut entries = vec![tr!(lang, "variant.as_written").to_string()];
    for v in &lesson.variants {
        let set: Vec<String> = v.set.iter().map(|(k, val)| format!("{k}={val}")).collect();
        entries.push(tr!(
            lang,
            "variant.entry",
            name = v.name.get(lang),
            set = set.join(", ")
        ));
    }
    list_box(
        &ListBox {
            title: tr!(lang, "variant.title"),
            entries: &entries,
            current: Some(run.variant.map_or(0, |v| v + 1)),
            cursor,
            note: tr!(lang, "variant.note"),
        },
        frame,
        area,
    );
}

struct ListBox<'a> {
    title: &'a str,
    entries: &'a [String],
    current: Option<usize>,
    cursor: usize,
    note: &'a str,
}

fn list_box(b: &ListBox, frame: &mut Frame, area: Rect) {
    let n = b.entries.len();
    let height = u16::try_from(n + 4).unwrap_or(u16::MAX).min(area.height);
    let width = area.width.min(72);
    let [v] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [box_area] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(v);
    // Rows for the entries: the note and the borders go first when the screen is short.
    let rows = usize::from(box_area.height.saturating_sub(2));
    let show_note = rows > n + 1;
    let visible = if show_note { rows - 2 } else { rows };
    // Keep the cursor in view on a short screen.
    let first = b.cursor.saturating_sub(visible.saturating_sub(1));
    let mut lines = Vec::new();
    for (i, entry) in b.entries.iter().enumerate().skip(first).take(visible) {
        let here = b.current == Some(i);
        let mark = if here { "▶" } else { " " };
        let text = format!("{mark} {:>2}. {entry}", i + 1);
        let style = if i == b.cursor {
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
        lines.push(Line::styled(b.note, theme::dim()));
    }
    let block = Block::bordered()
        .title(Span::styled(b.title, theme::title()))
        .border_style(theme::border_focus());
    super::clear_overlay(frame, area, box_area);
    frame.render_widget(Paragraph::new(lines).block(block), box_area);
}
