//! The signal menu (`s`): the signals one may send to the selected process, what each
//! does by default, and which of them this process ignores or catches.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::RunView;
use crate::app::signals::{CHOICES, SignalMenu};
use crate::i18n::{Lang, state_word, t};
use crate::tr;

pub fn render(run: &RunView, menu: &SignalMenu, lang: Lang, frame: &mut Frame, area: Rect) {
    let row = run.procs.get(menu.pid);
    let mut lines = Vec::with_capacity(CHOICES.len() + 4);
    let state = match row.and_then(|p| p.state) {
        Some(c) => Span::styled(format!("{c} {}", state_word(lang, c)), theme::state(c)),
        None => Span::raw(tr!(lang, "tree.just_started")),
    };
    let list = |names: &[String]| {
        if names.is_empty() {
            tr!(lang, "signal.none").to_string()
        } else {
            names.join(", ")
        }
    };
    let mut now = vec![Span::styled(tr!(lang, "signal.now"), theme::dim()), state];
    if let Some(p) = row {
        now.push(Span::styled(tr!(lang, "signal.ignores_list"), theme::dim()));
        now.push(Span::raw(list(&p.ignored)));
        now.push(Span::styled(tr!(lang, "signal.catches_list"), theme::dim()));
        now.push(Span::raw(list(&p.caught)));
    }
    lines.push(Line::from(now));
    lines.push(Line::raw(""));
    for (i, (signal, what)) in CHOICES.iter().enumerate() {
        let name = signal.as_str();
        let here = row.and_then(|p| {
            if p.ignored.iter().any(|s| s == name) {
                Some(tr!(lang, "signal.ignored_here"))
            } else if p.caught.iter().any(|s| s == name) {
                Some(tr!(lang, "signal.caught_here"))
            } else {
                None
            }
        });
        let chosen = i == menu.choice;
        let mut spans = vec![
            Span::raw(if chosen { " ▶ " } else { "   " }),
            Span::raw(format!("{name:<8}{:>3}  ", *signal as i32)),
            Span::styled(t(lang, what), theme::dim()),
        ];
        if let Some(here) = here {
            spans.push(Span::styled(format!("  · {here}"), theme::gate()));
        }
        let line = Line::from(spans);
        lines.push(if chosen {
            line.style(theme::selected())
        } else {
            line
        });
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(tr!(lang, "signal.pidfd"), theme::dim()));
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let [v] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [box_area] = Layout::horizontal([Constraint::Length(72.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    let title = Line::from(vec![
        Span::styled(tr!(lang, "signal.title"), theme::title()),
        Span::styled(
            tr!(lang, "signal.title_who", label = menu.label, pid = menu.pid),
            theme::title(),
        ),
    ]);
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::from(tr!(lang, "signal.bottom")).centered())
        .border_style(theme::border_focus());
    super::clear_overlay(frame, area, box_area);
    frame.render_widget(Paragraph::new(lines).block(block), box_area);
}
