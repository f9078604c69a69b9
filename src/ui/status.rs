//! The header (where the run is: lesson, step, play state, speed, time) and the
//! status bar (the keys that work here).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::{App, RunView};

pub fn header(app: &App, run: &RunView, frame: &mut Frame, area: Rect) {
    let title = match app.lesson() {
        Some(l) => l.title.get(app.lang).to_string(),
        None => match &run.trace {
            Some(t) => format!("trace: {}", t.argv.join(" ")),
            None => format!("{} ({})", run.scenario.title, run.scenario.id),
        },
    };
    let (badge, style) = if run.ended {
        match &run.summary {
            Some(s) => (
                format!(" DONE · {} processes · {} leaked ", s.processes, s.leaked),
                theme::playing(),
            ),
            None => (" ENDED ".to_string(), theme::warning()),
        }
    } else if !run.slot_held.is_empty() {
        (
            format!(
                " ⏸ YOU ARE THE SCHEDULER · {} waiting · ↑↓ pick, Space run ",
                run.slot_held.len()
            ),
            theme::held(),
        )
    } else if run.held {
        let gate = run.gate.as_deref().unwrap_or("");
        (format!(" ⏸ AT STEP '{gate}' · Space "), theme::held())
    } else if let Some(main) = run
        .procs
        .rows()
        .first()
        .filter(|m| m.state == Some('T') && m.reaped.is_none() && run.trace.is_none())
    {
        // Main stopped by SIGSTOP: nothing moves until it is continued.
        (
            format!(
                " ⏸ {} STOPPED (SIGSTOP) · k → SIGCONT resumes it ",
                main.label
            ),
            theme::warning(),
        )
    } else if run.trace.is_some() {
        (" ▶ TRACING ".to_string(), theme::playing())
    } else if run.paused {
        (" ⏸ PAUSED · Space ".to_string(), theme::held())
    } else if run.step_mode {
        (" ▶ RUNNING TO NEXT STEP ".to_string(), theme::playing())
    } else {
        (" ▶ PLAYING ".to_string(), theme::playing())
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
                " speed {}× · t = {:.1}s  ",
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
pub fn keys(run: &RunView, swap: Option<&'static str>, frame: &mut Frame, area: Rect) {
    if run.signal_menu.is_some() {
        let pairs = [
            ("↑↓ jk", "choose"),
            ("Enter", "send"),
            ("Esc q", "close"),
            ("?", "help"),
        ];
        frame.render_widget(Paragraph::new(key_line(&pairs)), area);
        return;
    }
    let space = if run.ended {
        "—"
    } else if run.step_mode {
        "next step"
    } else {
        "pause"
    };
    let play = if run.step_mode { "play" } else { "step mode" };
    // A traced program runs as written: no pause, steps or speed (they stay hidden).
    let traced = run.trace.is_some();
    let (space, play, speed) = if traced {
        ("", "", "")
    } else {
        (space, play, "speed")
    };
    // (keys, what, priority: lower stays longer)
    let all = [
        ("Space", space, 0),
        ("p", play, 5),
        ("+/-", speed, 6),
        ("k", "signal…", 4),
        ("r", "restart", 7),
        ("L", "EN/中文", 9),
        ("Esc", "back", 8),
        ("?", "help", 2),
        ("q", "quit", 1),
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
    let line = Line::from(vec![
        Span::styled(format!(" {text} "), theme::highlight_status()),
        Span::styled("  (any key)", theme::dim()),
    ]);
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
