//! The lock pane: for each lock or semaphore, who holds it, who waits and in what
//! order, each process's acquisitions, wait and hold times, and the share of time spent
//! waiting; for an Event, who waits and who set it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::fit::clip;
use super::theme;
use crate::app::RunView;
use crate::i18n::Lang;
use crate::tr;

fn label(run: &RunView, pid: i32) -> String {
    run.procs
        .get(pid)
        .map_or_else(|| pid.to_string(), |p| p.label.clone())
}

fn names(run: &RunView, lang: Lang, pids: &[i32]) -> String {
    if pids.is_empty() {
        return tr!(lang, "locks.nobody").into();
    }
    pids.iter()
        .map(|p| label(run, *p))
        .collect::<Vec<_>>()
        .join(" → ")
}

pub fn render(run: &RunView, lang: Lang, frame: &mut Frame, area: Rect) {
    let inner = area.width.saturating_sub(2) as usize;
    // A line wider than the pane ends with "…", not cut mid-word.
    let lines: Vec<Line> = lock_lines(run, lang, inner)
        .into_iter()
        .map(|l| clip(l, inner))
        .collect();
    let block = Block::bordered()
        .title(Span::styled(tr!(lang, "locks.title"), theme::title()))
        .border_style(theme::border());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Rows the pane would use at this width, its borders included.
pub fn rows_wanted(run: &RunView, lang: Lang, width: u16) -> u16 {
    let lines = lock_lines(run, lang, usize::from(width.saturating_sub(2))).len();
    u16::try_from(lines + 2).unwrap_or(u16::MAX)
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "microseconds shown as seconds, and bar lengths: a share in 0..=1 of a width of at most 20 cells, rounded"
)]
fn lock_lines(run: &RunView, lang: Lang, inner: usize) -> Vec<Line<'static>> {
    let l = &run.locks;
    let mut lines: Vec<Line> = Vec::new();
    for lock in &l.locks {
        let share = lock.contention().map_or(String::new(), |c| {
            tr!(lang, "locks.share", pct = format!("{:.0}", c * 100.0))
        });
        lines.push(Line::styled(
            format!("{}{share}", lock.name),
            theme::title(),
        ));
        let permits = if lock.name == "semaphore" {
            tr!(
                lang,
                "locks.inside",
                n = lock.holders.len(),
                peak = lock.peak
            )
        } else {
            String::new()
        };
        lines.push(Line::from(vec![
            Span::styled(tr!(lang, "locks.holds"), theme::dim()),
            Span::styled(names(run, lang, &lock.holders), theme::good()),
            Span::raw(permits),
        ]));
        lines.push(Line::from(vec![
            Span::styled(tr!(lang, "locks.waiting"), theme::dim()),
            Span::styled(names(run, lang, &lock.waiting), theme::held()),
        ]));
        if !lock.lost.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(tr!(lang, "locks.lost"), theme::dim()),
                Span::styled(
                    tr!(
                        lang,
                        "locks.died_holding",
                        who = names(run, lang, &lock.lost)
                    ),
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
        for (pid, s) in &lock.stats {
            let (waited_s, held_s) = (s.waited_us as f64 / 1e6, s.held_us as f64 / 1e6);
            let text = if inner >= 70 {
                tr!(
                    lang,
                    "locks.stats",
                    who = format!("{:<10}", label(run, *pid)),
                    n = format!("{:>4}", s.acquired),
                    waited = format!("{waited_s:>7.3}"),
                    held = format!("{held_s:>7.3}")
                )
            } else {
                // Narrow (beside the narration): the same figures, shorter.
                tr!(
                    lang,
                    "locks.stats_short",
                    who = format!("{:<9}", label(run, *pid)),
                    n = format!("{:>3}", s.acquired),
                    waited = format!("{waited_s:>5.1}"),
                    held = format!("{held_s:>5.1}")
                )
            };
            let width = inner
                .saturating_sub(unicode_width::UnicodeWidthStr::width(text.as_str()))
                .min(20) as f64;
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
            Some((pid, t)) => tr!(
                lang,
                "locks.event_set",
                who = label(run, pid),
                at = format!("{:.1}", t as f64 / 1e6)
            ),
            None => tr!(lang, "locks.event_not_set").into(),
        };
        lines.push(Line::styled(format!("event · {state}"), theme::title()));
        lines.push(Line::from(vec![
            Span::styled(tr!(lang, "locks.waiters"), theme::dim()),
            Span::raw(names(run, lang, &l.event_waiters)),
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
            tally.push_str(&tr!(lang, "locks.expected", expected = expected));
        }
        if let Some(lost) = l.lost {
            tally.push_str(&tr!(lang, "locks.lost_reported", lost = lost));
        }
        lines.push(Line::styled(
            format!("counter = {}{tally}", counter.1),
            theme::gate(),
        ));
    }
    if let Some((pid, value)) = l.last_write {
        let lost = i64::try_from(l.writes).unwrap_or(i64::MAX) - value;
        let verdict = if lost > 0 {
            tr!(lang, "locks.n_lost", n = lost)
        } else {
            tr!(lang, "locks.none_lost").into()
        };
        lines.push(Line::styled(
            format!("shared counter = {value}"),
            theme::gate(),
        ));
        lines.push(Line::raw(format!(
            "  {}{verdict}",
            crate::i18n::count(lang, "count.addition", l.writes as usize)
        )));
        lines.push(Line::raw(tr!(
            lang,
            "locks.last_write",
            who = label(run, pid),
            value = value
        )));
    }
    if lines.is_empty() {
        use crate::scenario::{Pane, Primitive};
        let idle = match run.view.pane {
            Pane::Locks(Primitive::Semaphore) => tr!(lang, "locks.idle_semaphore"),
            Pane::Locks(Primitive::Event) => tr!(lang, "locks.idle_event"),
            Pane::Locks(Primitive::Lock) if run.params.get_flag("use_lock") == Some(false) => {
                tr!(lang, "locks.no_lock")
            }
            _ => tr!(lang, "locks.idle_lock"),
        };
        lines.push(Line::styled(idle, theme::dim()));
    }
    lines
}
