//! The event log: the newest events at the bottom, as they arrived.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::{LogClass, RunView};

pub fn render(run: &RunView, frame: &mut Frame, area: Rect) {
    let visible = area.height.saturating_sub(2) as usize;
    let skip = run.log.len().saturating_sub(visible);
    let lines: Vec<Line> = run
        .log
        .iter()
        .skip(skip)
        .map(|e| {
            let style = match e.class {
                LogClass::Print => theme::print(),
                LogClass::Lifecycle => theme::border(),
                LogClass::Gate => theme::gate(),
                LogClass::Warning => theme::warning(),
            };
            Line::from(vec![
                Span::styled(format!("{:>5.1} ", e.t_us as f64 / 1e6), theme::dim()),
                Span::styled(format!("{:>6} ", e.pid), theme::dim()),
                Span::styled(e.text.as_str(), style),
            ])
        })
        .collect();
    let block = Block::bordered()
        .title(Span::styled(" Event log ", theme::title()))
        .border_style(theme::border());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
