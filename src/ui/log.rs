//! The event log: the newest events at the bottom, as they arrived.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{theme, wrap::wrap};
use crate::app::{LogClass, RunView};
use crate::describe::visible as escaped;
use crate::i18n::Lang;
use crate::tr;

#[allow(
    clippy::cast_precision_loss,
    reason = "an event time in microseconds shown as seconds: far below 2^52"
)]
pub fn render(run: &RunView, lang: Lang, frame: &mut Frame, area: Rect) {
    let visible = area.height.saturating_sub(2) as usize;
    // Time and PID take 13 columns; a long line goes on below, indented, instead of
    // being cut where the meaning often is (a signal's outcome, a status).
    const GUTTER: usize = 13;
    let text_width = (area.width.saturating_sub(2) as usize)
        .saturating_sub(GUTTER)
        .max(8);
    let mut lines: Vec<Line> = Vec::new();
    // Scrolled back (`[`), but never past the point where the oldest lines no longer
    // fill the pane: the view stays full.
    let mut below = run.log_scroll.min(run.log.len());
    if below > 0 {
        let mut room = 0;
        let mut fits = 0;
        for e in run.log.iter() {
            room += wrap(&escaped(e.text.text(lang)), text_width).len().max(1);
            fits += 1;
            if room >= visible {
                break;
            }
        }
        below = below.min(run.log.len().saturating_sub(fits));
    }
    for e in run.log.iter().rev().skip(below) {
        if lines.len() >= visible {
            break;
        }
        let style = match e.class {
            LogClass::Print => theme::print(),
            LogClass::Lifecycle => theme::border(),
            LogClass::Gate => theme::gate(),
            LogClass::Warning => theme::warning(),
        };
        // Put in words now, in the screen's language; escaped as the wire's texts are.
        let mut parts = wrap(&escaped(e.text.text(lang)), text_width).into_iter();
        let first = parts.next().unwrap_or_default();
        let mut entry = vec![Line::from(vec![
            Span::styled(format!("{:>5.1} ", e.t_us as f64 / 1e6), theme::dim()),
            Span::styled(format!("{:>6} ", e.pid), theme::dim()),
            Span::styled(first, style),
        ])];
        entry.extend(parts.map(|more| {
            Line::from(vec![
                Span::raw(" ".repeat(GUTTER)),
                Span::styled(more, style),
            ])
        }));
        for line in entry.into_iter().rev() {
            lines.push(line);
        }
    }
    lines.truncate(visible);
    lines.reverse();
    let mut block = Block::bordered()
        .title(Span::styled(tr!(lang, "log_pane.title"), theme::title()))
        .border_style(theme::border());
    if below > 0 {
        block = block.title_bottom(Span::styled(
            tr!(lang, "log_pane.newer", n = below),
            theme::gate(),
        ));
    } else if run.log.len() > visible {
        block = block.title_bottom(Span::styled(tr!(lang, "log_pane.older"), theme::dim()));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
