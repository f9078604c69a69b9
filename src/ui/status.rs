//! The header (where the run is: lesson, step, play state, speed, time) and the
//! status bar (the keys that work here).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::{App, RunView};
use crate::lesson::Lang;

/// English or Chinese, by the learner's language.
fn say(zh: bool, en: &'static str, zh_text: &'static str) -> &'static str {
    if zh { zh_text } else { en }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "a time or count of the run shown with a few decimals: far below 2^52, where an f64 is exact"
)]
pub fn header(app: &App, run: &RunView, frame: &mut Frame, area: Rect) {
    let title = match app.lesson() {
        Some(l) => l.title.get(app.lang).to_string(),
        None => match &run.trace {
            Some(t) => format!("trace: {}", t.argv.join(" ")),
            None => format!("{} ({})", run.scenario.title, run.scenario.id),
        },
    };
    let zh = app.lang == Lang::Zh;
    let (badge, style) = if run.ended {
        match &run.summary {
            Some(s) if zh => (
                format!(" 完成 · {} 个进程 · 遗留 {} ", s.processes, s.leaked),
                theme::playing(),
            ),
            Some(s) => (
                format!(
                    " DONE · {} process{} · {} leaked ",
                    s.processes,
                    if s.processes == 1 { "" } else { "es" },
                    s.leaked
                ),
                theme::playing(),
            ),
            None => (say(zh, " ENDED ", " 已结束 ").to_string(), theme::warning()),
        }
    } else if !run.slot_held.is_empty() {
        let n = run.slot_held.len();
        (
            if zh {
                format!(" ⏸ 你来当调度器 · {n} 个在等 · ↑↓ 选择，空格运行 ")
            } else {
                format!(" ⏸ YOU ARE THE SCHEDULER · {n} waiting · ↑↓ pick, Space run ")
            },
            theme::held(),
        )
    } else if run.held {
        let gate = run.gate.as_deref().unwrap_or("");
        let text = if zh {
            format!(" ⏸ 停在步骤 '{gate}' · 空格 ")
        } else {
            format!(" ⏸ AT STEP '{gate}' · Space ")
        };
        (text, theme::held())
    } else if let Some(main) = run
        .procs
        .rows()
        .first()
        .filter(|m| m.state == Some('T') && m.reaped.is_none() && run.trace.is_none())
    {
        // Main stopped by SIGSTOP: nothing moves until it is continued.
        let text = if zh {
            format!(" ⏸ {} 已停止 (SIGSTOP) · k → SIGCONT 让它继续 ", main.label)
        } else {
            format!(
                " ⏸ {} STOPPED (SIGSTOP) · k → SIGCONT resumes it ",
                main.label
            )
        };
        (text, theme::warning())
    } else if run.paused {
        (
            say(zh, " ⏸ PAUSED · Space ", " ⏸ 已暂停 · 空格 ").to_string(),
            theme::held(),
        )
    } else if run.trace.is_some() {
        (
            say(zh, " ▶ TRACING ", " ▶ 跟踪中 ").to_string(),
            theme::playing(),
        )
    } else if run.step_mode {
        (
            say(zh, " ▶ RUNNING TO NEXT STEP ", " ▶ 运行到下一步 ").to_string(),
            theme::playing(),
        )
    } else {
        (
            say(zh, " ▶ PLAYING ", " ▶ 运行中 ").to_string(),
            theme::playing(),
        )
    };
    // The title goes last: on a narrow terminal it is what gets cut.
    let replay = run
        .replay
        .then(|| Span::styled(" REPLAY ", theme::title().add_modifier(Modifier::REVERSED)));
    let line = Line::from_iter(replay.into_iter().chain([
        Span::styled(badge, style),
        Span::raw(match run.trace {
            Some(_) => format!(" t = {:.1}s  ", run.now_us as f64 / 1e6),
            None => format!(
                " {} {}× · t = {:.1}s  ",
                say(zh, "speed", "速度"),
                fmt_speed(run.speed),
                run.now_us as f64 / 1e6
            ),
        }),
        Span::styled(title, theme::title()),
    ]));
    frame.render_widget(Paragraph::new(line), area);
}

fn fmt_speed(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

/// The keys that work here, as many as fit: the least needed give way first on a
/// narrow terminal (the help lists them all).
pub fn keys(run: &RunView, swap: Option<&'static str>, lang: Lang, frame: &mut Frame, area: Rect) {
    let zh = lang == Lang::Zh;
    if run.signal_menu.is_some() {
        let pairs = [
            ("↑↓ jk", say(zh, "choose", "选择")),
            ("Enter", say(zh, "send", "发送")),
            ("Esc q", say(zh, "close", "关闭")),
            ("?", say(zh, "help", "帮助")),
        ];
        frame.render_widget(Paragraph::new(key_line(&pairs)), area);
        return;
    }
    let space = if run.ended {
        "—"
    } else if run.step_mode {
        say(zh, "next step", "下一步")
    } else {
        say(zh, "pause", "暂停")
    };
    let play = if run.step_mode {
        say(zh, "play", "连续运行")
    } else {
        say(zh, "step mode", "单步模式")
    };
    let swap = swap.map(|s| match (s, zh) {
        ("log", true) => "日志",
        ("pane", true) => "窗格",
        ("code", true) => "代码",
        (other, _) => other,
    });
    // A traced program runs at its own pace: no speed (pause and steps are the
    // tracer's holds). Without a lesson it has no menu to go back to.
    let speed = if run.trace.is_some() {
        ""
    } else {
        say(zh, "speed", "速度")
    };
    let traced = run.trace.is_some() && run.lesson.is_none();
    // (keys, what, priority: lower stays longer)
    let all = [
        ("Space", space, 0),
        ("p", play, 5),
        ("+/-", speed, 6),
        ("k", say(zh, "signal…", "信号…"), 4),
        ("r", say(zh, "restart", "重新运行"), 7),
        ("L", "EN/中文", 9),
        // A trace has no menu to go back to: Esc quits it, as q does.
        (
            "Esc",
            if traced {
                ""
            } else {
                say(zh, "back", "返回")
            },
            8,
        ),
        ("?", say(zh, "help", "帮助"), 2),
        ("q", say(zh, "quit", "退出"), 1),
        // On a small screen Tab is the only way to the log: it stays long.
        ("Tab", swap.unwrap_or(""), 3),
    ];
    let width = |pairs: &[(&str, &str)]| key_line(pairs).width();
    let mut keep: Vec<_> = all
        .iter()
        .filter(|(_, w, _)| !w.is_empty())
        // A replay has no live process to signal.
        .filter(|(k, _, _)| !(run.replay && *k == "k"))
        .map(|(k, w, _)| (*k, *w))
        .collect();
    let mut by_need: Vec<_> = all.iter().collect();
    by_need.sort_by_key(|(_, _, p)| std::cmp::Reverse(*p));
    for (k, _, _) in by_need {
        if width(&keep) <= area.width as usize {
            break;
        }
        keep.retain(|(key, _)| key != k);
    }
    frame.render_widget(Paragraph::new(key_line(&keep)), area);
}

/// What just happened for the learner (a theme chosen, a trace saved), in place of
/// the keys until the next key.
pub fn notice(text: &str, frame: &mut Frame, area: Rect) {
    // It goes at the next key, which also does its own work.
    let line = Line::from(vec![Span::styled(
        format!(" {text} "),
        theme::highlight_status(),
    )]);
    frame.render_widget(Paragraph::new(line), area);
}

pub fn key_line<'a>(pairs: &[(&'a str, &'a str)]) -> Line<'a> {
    let mut spans = Vec::new();
    for (k, what) in pairs {
        spans.push(Span::styled(format!(" {k} "), theme::key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    Line::from(spans)
}
