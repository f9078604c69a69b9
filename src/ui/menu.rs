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

/// The menu's own words in the learner's language: (English, Chinese).
fn say(app: &App, en: &'static str, zh: &'static str) -> &'static str {
    match app.lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(8),
        Constraint::Length(1),
    ])
    .areas(area);
    let heading = Line::from(vec![
        Span::styled(" proclab ", theme::key()),
        Span::styled(
            say(
                app,
                "  real processes, live — the lessons of Python's multiprocessing",
                "  真实的进程，实时呈现：Python multiprocessing 的课程",
            ),
            theme::title(),
        ),
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
                .title(Span::styled(
                    say(app, " Lessons ", " 课程 "),
                    theme::title(),
                ))
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
                        match app.lang {
                            Lang::En => {
                                format!(" {done} of {n} finished · about {minutes} min in all ")
                            }
                            Lang::Zh => format!(" 已完成 {done}/{n} · 共约 {minutes} 分钟 "),
                        }
                    },
                    theme::dim(),
                ))
                .border_style(theme::border_focus()),
        )
        .highlight_style(theme::selected())
        .highlight_symbol("▶ ");
    let mut state = ListState::default().with_selected(Some(app.menu_selected));
    frame.render_stateful_widget(list, list_area, &mut state);

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
            let runs = match (l.is_python(), app.lang) {
                (true, Lang::En) => "your python3 runs the program, traced".to_string(),
                (true, Lang::Zh) => "由你的 python3 真实运行，proclab 跟踪".to_string(),
                (false, Lang::En) => format!("scenario: {}", l.scenario),
                (false, Lang::Zh) => format!("场景：{}", l.scenario),
            };
            let facts = match app.lang {
                Lang::En => format!(
                    "{runs} · {} steps · about {} minutes",
                    l.steps.len(),
                    l.minutes
                ),
                Lang::Zh => format!("{runs} · {} 步 · 约 {} 分钟", l.steps.len(), l.minutes),
            };
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
                    let closed = say(app, "Closed", "无法打开");
                    let why = python_missing.map_or("", String::as_str);
                    for line in wrap(&format!("{closed}: {why}."), inner) {
                        t.push_line(Line::styled(line, theme::warning()));
                    }
                }
                Some(e) => {
                    let closed = say(app, "Closed under this cap", "在这个进程上限下无法打开");
                    for line in wrap(
                        &format!("{closed}: {}.", e.message.trim_start_matches("refused: ")),
                        inner,
                    ) {
                        t.push_line(Line::styled(line, theme::warning()));
                    }
                    t.push_line(Line::styled(
                        say(
                            app,
                            "Start proclab with a higher --cap (at most 64) to open it.",
                            "用更高的 --cap（最多 64）启动 proclab 才能打开它。",
                        ),
                        theme::dim(),
                    ));
                }
                None => {
                    let start = say(
                        app,
                        "Enter: start — it waits at the first step for Space.",
                        "Enter：开始。它会停在第一步，等你按空格。",
                    );
                    for line in wrap(start, inner) {
                        t.push_line(Line::styled(line, theme::gate()));
                    }
                }
            }
            t
        }
        None => Text::raw("No lessons loaded."),
    };
    let block = Block::bordered()
        .title(Span::styled(
            say(app, " About this lesson ", " 关于本课 "),
            theme::title(),
        ))
        .border_style(theme::border());
    frame.render_widget(Paragraph::new(info).block(block), info_area);

    let keys = key_line(&[
        ("↑↓ jk", say(app, "choose", "选择")),
        ("Enter", say(app, "start", "开始")),
        ("L", "English/中文"),
        ("?", say(app, "help", "帮助")),
        ("q Esc", say(app, "quit", "退出")),
    ]);
    let closed = app.lessons.iter().filter(|l| l.over_cap.is_some()).count();
    if closed > 0 {
        // The legend for ⊘, at the right of the key line.
        let legend = Line::styled(
            match app.lang {
                Lang::En => format!("⊘ {closed} over the process cap "),
                Lang::Zh => format!("⊘ {closed} 课超出进程上限 "),
            },
            theme::warning(),
        )
        .right_aligned();
        frame.render_widget(Paragraph::new(legend), foot);
    }
    match &app.notice {
        Some(notice) => super::status::notice(notice, frame, foot),
        None => frame.render_widget(Paragraph::new(keys), foot),
    }
}
