//! The lesson menu: the course in order on the left, the selected lesson's summary
//! and how to start it on the right.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph};

use super::{status::key_line, theme, wrap::wrap};
use crate::app::App;
use crate::lesson::Lang;
use crate::tr;

/// Every language's own name, for the `L` key: `English/中文`.
pub fn language_names() -> String {
    Lang::all().map(Lang::name).collect::<Vec<_>>().join("/")
}

/// Draws the menu; returns where each lesson's row was drawn (for a mouse click).
pub fn render(app: &App, frame: &mut Frame, area: Rect) -> super::tree::TreeHits {
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(8),
        Constraint::Length(1),
    ])
    .areas(area);
    let heading = Line::from(vec![
        Span::styled(" proclab ", theme::key()),
        Span::styled(tr!(app.lang, "menu.tagline"), theme::title()),
    ]);
    frame.render_widget(Paragraph::new(heading), head);

    let [list_area, info_area] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
    let items: Vec<ListItem> = app
        .lessons
        .iter()
        .enumerate()
        .map(|(i, l)| {
            // ⊘: closed by the process cap (the info pane says why); ✓: finished.
            let no_python = l.is_python() && app.python.is_err();
            let (mark, title_style) = if l.over_cap.is_some() || no_python {
                (Span::styled("⊘", theme::warning()), theme::dim())
            } else if app.finished.contains(&l.id) {
                (Span::styled("✓", theme::good()), Style::default())
            } else {
                (Span::raw(" "), Style::default())
            };
            let spans = vec![
                mark,
                Span::styled(format!(" {:>2}. ", i + 1), theme::dim()),
                Span::styled(l.title.get(app.lang).to_string(), title_style),
            ];
            ListItem::new(Line::from(spans))
        })
        .collect();
    let list = List::new(items)
        .block(
            Block::bordered()
                .title(Span::styled(tr!(app.lang, "menu.lessons"), theme::title()))
                .title_bottom(Span::styled(
                    {
                        let done = app
                            .lessons
                            .iter()
                            .filter(|l| app.finished.contains(&l.id))
                            .count();
                        let (n, minutes) = (
                            app.lessons.len(),
                            app.lessons.iter().map(|l| l.minutes).sum::<u32>(),
                        );
                        tr!(
                            app.lang,
                            "menu.finished",
                            done = done,
                            n = n,
                            minutes = minutes
                        )
                    },
                    theme::dim(),
                ))
                .border_style(theme::border_focus()),
        )
        .highlight_style(theme::selected())
        .highlight_symbol("▶ ");
    let mut state = ListState::default().with_selected(Some(app.menu_selected));
    frame.render_stateful_widget(list, list_area, &mut state);
    let shown = usize::from(list_area.height.saturating_sub(2));
    let hits = super::tree::TreeHits {
        top: list_area.y + 1,
        left: list_area.x + 1,
        right: (list_area.x + list_area.width).saturating_sub(1),
        rows: (state.offset()..app.lessons.len()).take(shown).collect(),
    };

    let inner = info_area.width.saturating_sub(2) as usize;
    let info = match app.lessons.get(app.menu_selected) {
        Some(l) => {
            let mut t = Text::default();
            for line in wrap(l.title.get(app.lang), inner) {
                t.push_line(Line::styled(line, theme::title()));
            }
            t.push_line(Line::raw(""));
            for line in wrap(l.summary.get(app.lang), inner) {
                t.push_line(Line::raw(line));
            }
            t.push_line(Line::raw(""));
            // What runs it: a compiled scenario, or the program itself under CPython.
            let runs = if l.is_python() {
                tr!(app.lang, "menu.runs_python").to_string()
            } else {
                tr!(app.lang, "menu.runs_scenario", id = l.scenario)
            };
            let facts = tr!(
                app.lang,
                "menu.facts",
                runs = runs,
                steps = l.steps.len(),
                minutes = l.minutes
            );
            // Wrapped like the summary: a narrow About pane must not drop words.
            for line in wrap(&facts, inner) {
                t.push_line(Line::styled(line, theme::dim()));
            }
            t.push_line(Line::styled(
                format!("proclab lesson {}", l.id),
                theme::dim(),
            ));
            t.push_line(Line::raw(""));
            let python_missing = app.python.as_ref().err().filter(|_| l.is_python());
            match &l.over_cap {
                _ if python_missing.is_some() => {
                    let closed = tr!(app.lang, "menu.closed");
                    let why = python_missing
                        .map(|w| w.said().text(app.lang))
                        .unwrap_or_default();
                    for line in wrap(
                        &tr!(app.lang, "menu.closed_because", closed = closed, why = why),
                        inner,
                    ) {
                        t.push_line(Line::styled(line, theme::warning()));
                    }
                }
                Some(e) => {
                    let closed = tr!(app.lang, "menu.closed_cap");
                    for line in wrap(
                        &tr!(
                            app.lang,
                            "menu.closed_because",
                            closed = closed,
                            why = crate::i18n::cap_refusal(app.lang, &e.message)
                        ),
                        inner,
                    ) {
                        t.push_line(Line::styled(line, theme::warning()));
                    }
                    t.push_line(Line::styled(tr!(app.lang, "menu.higher_cap"), theme::dim()));
                }
                None => {
                    let start = tr!(app.lang, "menu.start_hint");
                    for line in wrap(start, inner) {
                        t.push_line(Line::styled(line, theme::gate()));
                    }
                }
            }
            t
        }
        None => Text::raw(tr!(app.lang, "menu.no_lessons")),
    };
    let block = Block::bordered()
        .title(Span::styled(tr!(app.lang, "menu.about"), theme::title()))
        .border_style(theme::border());
    frame.render_widget(Paragraph::new(info).block(block), info_area);

    let names = language_names();
    let keys = key_line(&[
        ("↑↓ jk", tr!(app.lang, "keys.choose")),
        ("Enter", tr!(app.lang, "keys.start")),
        ("L", names.as_str()),
        ("?", tr!(app.lang, "keys.help")),
        ("q Esc", tr!(app.lang, "keys.quit")),
    ]);
    let closed = app.lessons.iter().filter(|l| l.over_cap.is_some()).count();
    if closed > 0 {
        // The legend for ⊘, at the right of the key line.
        let legend = Line::styled(tr!(app.lang, "menu.over_cap", n = closed), theme::warning())
            .right_aligned();
        frame.render_widget(Paragraph::new(legend), foot);
    }
    match &app.notice {
        Some(notice) => super::status::notice(&notice.text(app.lang), frame, foot),
        None => frame.render_widget(Paragraph::new(keys), foot),
    }
    hits
}
