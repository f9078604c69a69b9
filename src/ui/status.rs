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
use crate::tr;

#[allow(
    clippy::cast_precision_loss,
    reason = "a time or count of the run shown with a few decimals: far below 2^52, where an f64 is exact"
)]
pub fn header(app: &App, run: &RunView, frame: &mut Frame, area: Rect) {
    let title = match app.lesson() {
        Some(l) => l.title.get(app.lang).to_string(),
        None => match &run.trace {
            Some(t) => tr!(app.lang, "header.trace", argv = t.argv.join(" ")),
            None => format!(
                "{} ({})",
                scenario_title(app.lang, run.scenario),
                run.scenario.id
            ),
        },
    };
    let lang = app.lang;
    let (badge, style) = if run.ended() {
        match &run.summary {
            Some(s) => (
                tr!(
                    lang,
                    "header.done",
                    processes = crate::i18n::count(lang, "count.process", s.processes as usize),
                    leaked = s.leaked
                ),
                theme::playing(),
            ),
            None => (tr!(lang, "header.ended").to_string(), theme::warning()),
        }
    } else if !run.slot_held.is_empty() {
        let n = run.slot_held.len();
        (tr!(lang, "header.scheduler", n = n), theme::held())
    } else if run.held() {
        let gate = run.gate.as_deref().unwrap_or("");
        let mut badge = tr!(lang, "header.at_step", gate = gate);
        // `--pace`: the seconds until the step is released by itself (a question
        // still open stops the clock: it waits for the class).
        if let (
            Some(pace),
            crate::app::phase::Phase::Held {
                since_ms: Some(since),
            },
        ) = (app.pace_s, run.phase)
            && !run.question_open()
        {
            let left_ms = (pace * 1000.0) - app.clock_ms.saturating_sub(since) as f64;
            let left = (left_ms / 1000.0).ceil().max(0.0);
            badge.push_str(&tr!(lang, "header.pace_left", s = left));
        }
        (badge, theme::held())
    } else if let Some(main) = run
        .procs
        .rows()
        .first()
        .filter(|m| m.state == Some('T') && m.reaped.is_none() && run.trace.is_none())
    {
        // Main stopped by SIGSTOP: nothing moves until it is continued.
        (
            tr!(lang, "header.main_stopped", label = main.label),
            theme::warning(),
        )
    } else if let Some(stall) = &run.stall {
        (
            tr!(lang, "header.stalled", s = stall.quiet_ms / 1000),
            theme::warning(),
        )
    } else if run.paused() {
        (tr!(lang, "header.paused").to_string(), theme::held())
    } else if run.trace.is_some() {
        (tr!(lang, "header.tracing").to_string(), theme::playing())
    } else if run.step_mode() {
        (
            tr!(lang, "header.to_next_step").to_string(),
            theme::playing(),
        )
    } else {
        (tr!(lang, "header.playing").to_string(), theme::playing())
    };
    // The title goes last: on a narrow terminal it is what gets cut.
    let replay = run.replay.then(|| {
        Span::styled(
            tr!(lang, "header.replay"),
            theme::title().add_modifier(Modifier::REVERSED),
        )
    });
    let line = Line::from_iter(replay.into_iter().chain([
        Span::styled(badge, style),
        Span::raw(match run.trace {
            Some(_) => format!(" t = {:.1}s  ", lesson_clock_us(app, run) as f64 / 1e6),
            None => format!(
                " {} {}×{} · t = {:.1}s  ",
                tr!(lang, "keys.speed"),
                fmt_speed(run.speed),
                slow_badge(lang, run),
                lesson_clock_us(app, run) as f64 / 1e6
            ),
        }),
        Span::styled(title, theme::title()),
    ]));
    frame.render_widget(Paragraph::new(line), area);
}

/// A scenario's title in the learner's language (`scenario.<id>` in the language
/// files), else as the scenario names itself.
pub fn scenario_title(lang: Lang, s: &crate::scenario::Scenario) -> String {
    let key = format!("scenario.{}", s.id);
    match crate::i18n::t(lang, &key) {
        found if found != key => found.to_string(),
        _ => s.title.to_string(),
    }
}

/// " · slow ×0.1" while a lesson step slows the run, so nobody takes what moves
/// slowly for the machine's own pace.
fn slow_badge(lang: Lang, run: &crate::app::RunView) -> String {
    run.slow.map_or_else(String::new, |f| {
        format!(
            " · {}",
            tr!(
                lang,
                "header.slow",
                factor = crate::app::slow::factor_text(f)
            )
        )
    })
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
pub fn keys(
    run: &RunView,
    swap: Option<&'static str>,
    code_big: Option<bool>,
    lang: Lang,
    frame: &mut Frame,
    area: Rect,
) {
    if run.signal_menu.is_some() {
        let pairs = [
            ("↑↓ jk", tr!(lang, "keys.choose")),
            ("Enter", tr!(lang, "keys.send")),
            ("Esc q", tr!(lang, "keys.close")),
            ("?", tr!(lang, "keys.help")),
        ];
        frame.render_widget(Paragraph::new(key_line(&pairs)), area);
        return;
    }
    let space = if run.ended() {
        "—"
    } else if run.step_mode() {
        tr!(lang, "keys.next_step")
    } else {
        tr!(lang, "keys.pause")
    };
    let play = if run.step_mode() {
        tr!(lang, "keys.play")
    } else {
        tr!(lang, "keys.step_mode")
    };
    let swap = swap.map(|s| match s {
        "log" => tr!(lang, "keys.log"),
        "pane" => tr!(lang, "keys.pane"),
        "code" => tr!(lang, "keys.code"),
        other => other,
    });
    // A traced program runs at its own pace: no speed (pause and steps are the
    // tracer's holds). Without a lesson it has no menu to go back to.
    let speed = if run.trace.is_some() {
        ""
    } else {
        tr!(lang, "keys.speed")
    };
    // A run, trace or replay without a lesson was opened from the command line: it has
    // no menu to go back to, so Esc quits it as q does (not "back").
    let no_menu = run.lesson.is_none();
    let names = super::menu::language_names();
    // (keys, what, priority: lower stays longer)
    let all = [
        ("Space", space, 0),
        ("p", play, 5),
        ("+/-", speed, 6),
        ("s", tr!(lang, "keys.signal"), 4),
        ("r", tr!(lang, "keys.restart"), 7),
        ("L", names.as_str(), 9),
        ("Esc", if no_menu { "" } else { tr!(lang, "keys.back") }, 8),
        ("?", tr!(lang, "keys.help"), 2),
        ("q", tr!(lang, "keys.quit"), 1),
        // On a small screen Tab is the only way to the log: it stays long.
        ("Tab", swap.unwrap_or(""), 3),
        // Presenter mode: the code big, or back to the tree.
        (
            "c",
            match code_big {
                Some(false) => tr!(lang, "keys.code"),
                Some(true) => tr!(lang, "keys.tree"),
                None => "",
            },
            3,
        ),
    ];
    let width = |pairs: &[(&str, &str)]| key_line(pairs).width();
    let mut keep: Vec<_> = all
        .iter()
        .filter(|(_, w, _)| !w.is_empty())
        // A replay has no live process to signal.
        .filter(|(k, _, _)| !(run.replay && *k == "s"))
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

/// The run's clock as the header shows it: the last event's time, and while the run
/// is let go (not held, paused or over) the time since, at the run's speed — so it
/// keeps moving when nothing happens, as a stalled run's does.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "milliseconds since the last event times a speed of at most 1000: far below 2^52"
)]
fn lesson_clock_us(app: &App, run: &crate::app::RunView) -> u64 {
    if run.ended() || run.held() || run.paused() || run.replay {
        return run.now_us;
    }
    let since_ms = app.clock_ms.saturating_sub(run.seen_ms);
    let speed = if run.trace.is_some() { 1.0 } else { run.speed };
    run.now_us + (since_ms as f64 * 1000.0 * speed) as u64
}
