//! The lock pane: for each lock or semaphore, who holds it, who waits and in what
//! order, each process's acquisitions, wait and hold times, and the share of time spent
//! waiting; for an Event, who waits and who set it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::RunView;

fn label(run: &RunView, pid: i32) -> String {
    run.procs
        .get(pid)
        .map_or_else(|| pid.to_string(), |p| p.label.clone())
}

fn names(run: &RunView, pids: &[i32]) -> String {
    if pids.is_empty() {
        return "nobody".into();
    }
    pids.iter()
        .map(|p| label(run, *p))
        .collect::<Vec<_>>()
        .join(" → ")
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "microseconds shown as seconds, and bar lengths: a share in 0..=1 of a width of at most 20 cells, rounded"
)]
pub fn render(run: &RunView, frame: &mut Frame, area: Rect) {
    let l = &run.locks;
    let mut lines: Vec<Line> = Vec::new();
    for lock in &l.locks {
        let share = lock.contention().map_or(String::new(), |c| {
            format!(" · {:.0}% of lock time spent waiting", c * 100.0)
        });
        lines.push(Line::styled(
            format!("{}{share}", lock.name),
            theme::title(),
        ));
        let permits = if lock.name == "semaphore" {
            format!(" ({} inside, peak {})", lock.holders.len(), lock.peak)
        } else {
            String::new()
        };
        lines.push(Line::from(vec![
            Span::styled("  holds:   ", theme::dim()),
            Span::styled(names(run, &lock.holders), theme::good()),
            Span::raw(permits),
        ]));
        lines.push(Line::from(vec![
            Span::styled("  waiting: ", theme::dim()),
            Span::styled(names(run, &lock.waiting), theme::held()),
        ]));
        if !lock.lost.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("  lost:    ", theme::dim()),
                Span::styled(
                    format!("{} died holding it: never released", names(run, &lock.lost)),
                    theme::warning(),
                ),
            ]));
        }
        let longest = lock
            .stats
            .values()
            .map(|s| s.waited_us + s.held_us)
            .max()
            .unwrap_or(1)
            .max(1);
        let inner = area.width.saturating_sub(2) as usize;
        for (pid, s) in &lock.stats {
            let (waited_s, held_s) = (s.waited_us as f64 / 1e6, s.held_us as f64 / 1e6);
            let text = if inner >= 70 {
                format!(
                    "  {:<10} {:>4}×  waited {waited_s:>7.3}s  held {held_s:>7.3}s  ",
                    label(run, *pid),
                    s.acquired,
                )
            } else {
                // Narrow (beside the narration): the same figures, shorter.
                format!(
                    "  {:<9}{:>3}× wait {waited_s:>5.1}s hold {held_s:>5.1}s ",
                    label(run, *pid),
                    s.acquired,
                )
            };
            let width = inner.saturating_sub(text.chars().count()).min(20) as f64;
            let held = (s.held_us as f64 / longest as f64 * width).round() as usize;
            let waited = (s.waited_us as f64 / longest as f64 * width).round() as usize;
            lines.push(Line::from(vec![
                Span::raw(text),
                Span::styled("█".repeat(held), theme::good()),
                Span::styled("░".repeat(waited), theme::waiting()),
            ]));
        }
    }
    if !l.event_waiters.is_empty() || l.event_set_by.is_some() {
        let state = match l.event_set_by {
            Some((pid, t)) => format!(
                "set by {} at {:.1}s: every waiter woke",
                label(run, pid),
                t as f64 / 1e6
            ),
            None => "not set: the waiters sleep".into(),
        };
        lines.push(Line::styled(format!("event · {state}"), theme::title()));
        lines.push(Line::from(vec![
            Span::styled("  waiters: ", theme::dim()),
            Span::raw(names(run, &l.event_waiters)),
        ]));
    }
    // Main's final count; with the scheduler's counter below it would say it twice.
    if l.last_write.is_none()
        && let Some(counter) = run
            .procs
            .rows()
            .first()
            .and_then(|m| m.values.iter().find(|(n, _)| n == "counter"))
    {
        // What the run reported (its `expected` and `lost` results), once it has.
        let mut tally = String::new();
        if let Some(expected) = l.expected {
            tally.push_str(&format!(" · expected {expected}"));
        }
        if let Some(lost) = l.lost {
            tally.push_str(&format!(" · lost {lost}"));
        }
        lines.push(Line::styled(
            format!("counter = {}{tally}", counter.1),
            theme::gate(),
        ));
    }
    if let Some((pid, value)) = l.last_write {
        let lost = i64::try_from(l.writes).unwrap_or(i64::MAX) - value;
        let verdict = if lost > 0 {
            format!(" · {lost} lost")
        } else {
            " · none lost yet".into()
        };
        lines.push(Line::styled(
            format!("shared counter = {value}"),
            theme::gate(),
        ));
        let additions = if l.writes == 1 {
            "addition"
        } else {
            "additions"
        };
        lines.push(Line::raw(format!(
            "  {} {additions} written{verdict}",
            l.writes
        )));
        lines.push(Line::raw(format!(
            "  last write: {} wrote {value}",
            label(run, pid)
        )));
    }
    if lines.is_empty() {
        use crate::scenario::{Pane, Primitive};
        let idle = match run.scenario.view.pane {
            Pane::Locks(Primitive::Semaphore) => "Nobody has taken a permit yet.",
            Pane::Locks(Primitive::Event) => "Nobody waits on the event yet.",
            Pane::Locks(Primitive::Lock) if run.params.get_flag("use_lock") == Some(false) => {
                "No lock in this run: the workers add to the counter without one."
            }
            _ => "Nobody has taken the lock yet.",
        };
        lines.push(Line::styled(idle, theme::dim()));
    }
    let block = Block::bordered()
        .title(Span::styled(" Locks ", theme::title()))
        .border_style(theme::border());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
