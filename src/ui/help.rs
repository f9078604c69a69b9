//! The help overlay (`?`): every key, in one centred box.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme;
use crate::app::keymap::HELP;

pub fn render(frame: &mut Frame, area: Rect) {
    let height = HELP.len() as u16 + 6;
    let [v] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [box_area] = Layout::horizontal([Constraint::Length(76)])
        .flex(Flex::Center)
        .areas(v);
    let mut lines = vec![Line::raw("")];
    for (keys, what) in HELP {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<12}"), theme::title()),
            Span::raw(*what),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "  Every PID, state and status shown is read from the kernel, live.",
        theme::dim(),
    ));
    let block = Block::bordered()
        .title(Span::styled(" Keys · ? or Esc to close ", theme::title()))
        .border_style(theme::border_focus());
    // Clear one cell more on each side: a wide character cut by the box edge would
    // otherwise leave half of itself beside the border.
    let margin = Rect {
        x: box_area.x.saturating_sub(1),
        y: box_area.y,
        width: (box_area.width + 2).min(area.width.saturating_sub(box_area.x.saturating_sub(1))),
        height: box_area.height,
    };
    frame.render_widget(Clear, margin);
    frame.render_widget(Paragraph::new(lines).block(block), box_area);
}
