//! The work pane for CPU-bound lessons: a gauge per worker (with the core it runs on
//! and its CPU share), each core's load over time, which task each pool worker runs
//! and the order results reached the caller, and the speedup table of a sweep.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};
use serde_json::Value;

use super::{fit, theme};
use crate::app::RunView;
use crate::i18n::Lang;
use crate::tr;
use unicode_width::UnicodeWidthStr;

/// Rows the work pane could use, its borders included: the sweep's table, a gauge per
/// worker, the order results came back, a row per core.
pub fn rows_wanted(run: &RunView) -> u16 {
    let w = &run.work;
    let rows =
        w.sweep.len() + w.progress.len() + usize::from(!w.delivered.is_empty()) + w.cores.len();
    u16::try_from(rows + 2).unwrap_or(u16::MAX)
}

/// Rows the cores pane could use, its borders included: the caption, a row per core,
/// and a few of the lines the program printed.
pub fn cores_rows_wanted(run: &RunView) -> u16 {
    u16::try_from(run.work.cores.len() + 2 + 6 + 2).unwrap_or(u16::MAX)
}

/// `[██████░░░░]` of `width` cells.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a bar length: a share in 0..=1 of a terminal width, rounded"
)]
fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        width
    } else {
        (done as f64 / total as f64 * width as f64).round() as usize
    };
    format!(
        "[{}{}]",
        "█".repeat(filled.min(width)),
        "░".repeat(width - filled.min(width))
    )
}

/// The number a label ends with ("worker 7" → 7), for ordering; none sorts last.
fn number_in(label: &str) -> u64 {
    label
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

/// What other programs take of the CPUs: said when it stayed above a quarter of a
/// core over the last readings, since a busy machine shares its cores with them and
/// makes every speedup smaller.
fn others_note(run: &RunView, lang: Lang) -> String {
    let seen = &run.work.others;
    // Three readings in a row (about 1.5 s), so a worker that just exited does not
    // pass for another program.
    let least = seen.iter().copied().fold(f64::INFINITY, f64::min);
    if seen.len() >= 3 && least >= 25.0 {
        tr!(lang, "work.others", pct = format!("{least:.0}"))
    } else {
        String::new()
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "a time or count of the run shown with a few decimals: far below 2^52, where an f64 is exact"
)]
pub fn render(run: &RunView, lang: Lang, frame: &mut Frame, area: Rect) {
    let w = &run.work;
    let title = Line::from(vec![
        Span::styled(tr!(lang, "work.title"), theme::title()),
        // The run's clock is in the header; a span of progress reports here only
        // confused (it counted the time spent held at steps). Not "0 cores" before
        // the first reading.
        Span::raw(if w.cores.is_empty() {
            String::new()
        } else {
            tr!(lang, "work.cores", n = w.cores.len())
        }),
        Span::styled(others_note(run, lang), theme::warning()),
    ]);
    let block = Block::bordered().title(title).border_style(theme::border());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines: Vec<Line> = sweep_table(run, lang, inner.width as usize);
    // A sweep forks a new set of workers each round: show the current round's gauges
    // only (the table above says how the earlier rounds went).
    // (Only a scenario with a `sweep` parameter has one.)
    let shown = if run.params.get_flag("sweep") == Some(true) {
        let workers = run
            .params
            .get_int("workers")
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(1);
        let round = (w.sweep.len() + 1).min(workers.max(1));
        &w.progress[w.progress.len().saturating_sub(round)..]
    } else {
        &w.progress[..]
    };
    // In worker order (worker 0, 1, … 10), not in the order they first reported.
    let mut shown = shown.to_vec();
    shown.sort_by_key(|(pid, _, _)| (number_in(&label(run, *pid)), *pid));
    let name_width = shown
        .iter()
        .map(|(p, _, _)| label(run, *p).chars().count())
        .max()
        .unwrap_or(8);
    // What follows each gauge (its task, its state or reason), worked out first: the
    // bars give way to it, down to 5 cells, so the words are read whole.
    let tails: Vec<Vec<Span>> = shown
        .iter()
        .map(|&(pid, _, _)| {
            let row = run.procs.get(pid);
            let gone = row.is_some_and(|r| r.is_ghost());
            let task = w
                .running
                .iter()
                .find(|(p, _)| *p == pid)
                .and_then(|(_, t)| *t);
            let mut spans = Vec::new();
            if let Some(t) = task {
                spans.push(Span::styled(tr!(lang, "work.task", n = t), theme::gate()));
            }
            match row {
                Some(r) if !gone && r.state == Some('R') => spans.push(Span::raw(format!(
                    "  {}{} · {:.0}% CPU",
                    crate::i18n::state_word(lang, 'R'),
                    r.core
                        .map_or(String::new(), |c| tr!(lang, "work.on_core", n = c)),
                    r.cpu
                ))),
                // Standing still with the run: its futex wait is proclab's, not a lock's.
                Some(r) if !gone && r.standing_with_run().is_some() => spans.push(Span::styled(
                    format!("  {}", tr!(lang, "tree.run_held")),
                    theme::dim(),
                )),
                Some(r) if !gone && r.state.is_some() => spans.push(Span::styled(
                    format!("  {}", crate::i18n::reason(lang, &r.reason)),
                    theme::dim(),
                )),
                _ => {}
            }
            spans
        })
        .collect();
    let tail_width = tails
        .iter()
        .map(|t| t.iter().map(|s| s.content.width()).sum::<usize>())
        .max()
        .unwrap_or(0);
    // The name, a space, the bar's brackets and " 100%".
    let bar_width = (inner.width as usize)
        .saturating_sub(name_width + 1 + 2 + 5 + tail_width)
        .clamp(5, 30);
    for (&(pid, done, total), tail) in shown.iter().zip(tails) {
        let gone = run.procs.get(pid).is_some_and(|r| r.is_ghost());
        let pct = if total == 0 {
            100.0
        } else {
            done as f64 * 100.0 / total as f64
        };
        let mut spans = vec![
            Span::styled(
                format!("{:<name_width$} ", label(run, pid)),
                if gone { theme::dim() } else { theme::print() },
            ),
            Span::styled(bar(done, total, bar_width), theme::good()),
            Span::raw(format!(" {pct:>3.0}%")),
        ];
        spans.extend(tail);
        lines.push(Line::from(spans));
    }
    // Observed on both sides: the worker sent it, the caller has not received it.
    // (Which worker sent it is in its gauge's row: full, the task gone.)
    for (index, _, _) in w.held_back() {
        lines.push(Line::styled(
            tr!(lang, "work.held_back", n = index),
            theme::warning(),
        ));
    }
    if !w.delivered.is_empty() {
        let order: Vec<String> = w.delivered.iter().map(|v| describe_task(v, lang)).collect();
        lines.push(Line::styled(
            tr!(lang, "work.received", order = order.join(" → ")),
            theme::gate(),
        ));
    }
    let core_rows = if inner.height as usize >= lines.len() + w.cores.len() {
        w.cores.len()
    } else {
        0
    };
    let [text_area, cores_area] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(u16::try_from(core_rows).unwrap_or(u16::MAX)),
    ])
    .areas(inner);
    // A reason wider than the pane ends with "…" ("exited; parent hasn'" read as
    // if that were all).
    let width = usize::from(inner.width);
    let lines: Vec<Line> = lines.into_iter().map(|l| fit::clip(l, width)).collect();
    frame.render_widget(Paragraph::new(lines), text_area);
    core_sparklines(run, lang, frame, cores_area);
}

/// Each core's load over time, one row per core from the top of `area`, as many as
/// it holds: the core's name and its last reading, then a sparkline of its history
/// (the newest at the right).
fn core_sparklines(run: &RunView, lang: Lang, frame: &mut Frame, area: Rect) {
    for (i, history) in run.work.cores.iter().enumerate().take(area.height as usize) {
        let row = Rect {
            y: area.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX)),
            height: 1,
            ..area
        };
        let [name, spark] =
            Layout::horizontal([Constraint::Length(12), Constraint::Min(1)]).areas(row);
        let now = history.back().copied().unwrap_or(0);
        frame.render_widget(
            Paragraph::new(tr!(lang, "work.core", i = i, pct = format!("{now:>3}")))
                .style(theme::dim()),
            name,
        );
        let data: Vec<u64> = history.iter().copied().collect();
        let tail = &data[data.len().saturating_sub(spark.width as usize)..];
        frame.render_widget(
            Sparkline::default()
                .data(tail)
                .max(100)
                .style(theme::chart()),
            spark,
        );
    }
}

/// The cores pane (a Python lesson's `pane = "cores"`): what the chart is, each
/// core's load over time (sampled while the program runs, not while it is held), and
/// below it the lines the program printed last, so its own measurements (a wall
/// time, a count) stand beside the load they came with.
pub fn render_cores(run: &RunView, lang: Lang, frame: &mut Frame, area: Rect) {
    let w = &run.work;
    let title = Line::from(vec![
        Span::styled(tr!(lang, "work.cores_title"), theme::title()),
        // Not "0 cores" before the first reading.
        Span::raw(if w.cores.is_empty() {
            String::new()
        } else {
            tr!(lang, "work.cores", n = w.cores.len())
        }),
        Span::styled(others_note(run, lang), theme::warning()),
    ]);
    let block = Block::bordered().title(title).border_style(theme::border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    // The caption, the cores, a blank and the printed lines' heading, then at least
    // two printed lines: cores beyond that are said, not drawn.
    let room = height.saturating_sub(5);
    let drawn = w.cores.len().min(room);
    let hidden = w.cores.len() - drawn;
    let caption = if hidden > 0 {
        tr!(lang, "work.cores_hidden", n = hidden)
    } else {
        tr!(lang, "work.cores_caption").to_string()
    };
    let [caption_area, cores_area, _, printed_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::try_from(drawn).unwrap_or(u16::MAX)),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(caption, theme::dim())),
        caption_area,
    );
    core_sparklines(run, lang, frame, cores_area);
    let shown = (printed_area.height as usize).saturating_sub(1);
    let printed_width = usize::from(printed_area.width);
    let mut lines = vec![Line::styled(tr!(lang, "work.printed"), theme::title())];
    lines.extend(
        w.printed
            .iter()
            .skip(w.printed.len().saturating_sub(shown))
            .map(|l| fit::clip(Line::styled(l.clone(), theme::print()), printed_width)),
    );
    frame.render_widget(Paragraph::new(lines), printed_area);
}

/// One row per finished round of a sweep: time, speedup against one worker, a bar, and
/// the ideal (no more than the cores). Shorter words when the pane is narrow.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "worker and core counts (at most 64) as f64, and a bar of at most 8 cells per unit of speedup, rounded and kept non-negative"
)]
fn sweep_table(run: &RunView, lang: Lang, width: usize) -> Vec<Line<'static>> {
    let w = &run.work;
    // Until the observer has reported the cores, the ideal is simply n.
    let most = w.sweep.iter().map(|&(n, _, _)| n).max().unwrap_or(1) as f64;
    let cores = if w.cores.is_empty() {
        most
    } else {
        w.cores.len() as f64
    };
    w.sweep
        .iter()
        .map(|&(n, secs, speedup)| {
            let ideal = (n as f64).min(cores);
            let (head, tail) = if width >= 60 {
                (
                    tr!(
                        lang,
                        "work.sweep_row",
                        n = format!("{n:>2}"),
                        secs = format!("{secs:>7.3}"),
                        speedup = format!("{speedup:>4.2}")
                    ),
                    tr!(lang, "work.ideal", x = format!("{ideal:.0}")),
                )
            } else {
                (
                    tr!(
                        lang,
                        "work.sweep_row_short",
                        n = format!("{n:>2}"),
                        secs = format!("{secs:>6.2}"),
                        speedup = format!("{speedup:>4.2}")
                    ),
                    tr!(lang, "work.ideal_short", x = format!("{ideal:.0}")),
                )
            };
            let room = width.saturating_sub(head.width() + tail.width());
            // 8 cells per 1× where there is room, fewer where there is not.
            let scale = (room as f64 / cores.max(speedup)).min(8.0);
            Line::from(vec![
                Span::raw(head),
                Span::styled(
                    "█".repeat((speedup * scale).round().max(0.0) as usize),
                    theme::good(),
                ),
                Span::styled(tail, theme::dim()),
            ])
        })
        .collect()
}

fn label(run: &RunView, pid: i32) -> String {
    run.procs
        .get(pid)
        .map_or_else(|| pid.to_string(), |p| p.label.clone())
}

/// `task 1 (n=200000)` from a `task` result.
fn describe_task(v: &Value, lang: Lang) -> String {
    match (v.get("index"), v.get("n")) {
        // Short, as the narration quotes it; the sizes are in the gauges' tasks.
        (Some(i), Some(_)) => tr!(lang, "work.task", n = i).trim_start().to_string(),
        _ => v.to_string(),
    }
}
