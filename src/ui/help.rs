//! The help overlay (`?`): every key, in one centred box.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::keymap::HELP;
use crate::i18n::{Lang, t};
use crate::tr;

pub fn render(lang: Lang, frame: &mut Frame, area: Rect) {
    // The spacing and the closing line go first when the terminal is short.
    let roomy = area.height as usize >= HELP.len() + 6;
    let height = u16::try_from(HELP.len() + if roomy { 6 } else { 2 }).unwrap_or(u16::MAX);
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [box_area] = Layout::horizontal([Constraint::Length(76)])
        .flex(Flex::Center)
        .areas(v);
    let mut lines = Vec::new();
    if roomy {
        lines.push(Line::raw(""));
    }
    for (keys, what) in HELP {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<13}"), theme::title()),
            Span::raw(t(lang, what)),
        ]));
    }
    if roomy {
        lines.push(Line::raw(""));
        lines.push(Line::styled(tr!(lang, "help.kernel"), theme::dim()));
    }
    let block = Block::bordered()
        .title(Span::styled(tr!(lang, "help.title"), theme::title()))
        .border_style(theme::border_focus());
    super::clear_overlay(frame, area, box_area);
    frame.render_widget(Paragraph::new(lines).block(block), box_area);
}
