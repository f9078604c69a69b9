//! The message-flow pane: producers on the left, the queue as a row of slots filling
//! and emptying, consumers on the right, who is blocked and on what, the last items
//! moving, the queue's length over time; for a Pipe, each end and what is in flight.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use super::fit::clip;
use super::theme;
use crate::app::RunView;
use crate::app::flow::{PipeView, QueueView};
use crate::i18n::Lang;
use crate::tr;
use crate::trace::event::item_text;

/// Whether any message moved yet (for scenarios not made for the flow pane).
pub fn has_messages(run: &RunView) -> bool {
    run.flow.queue.is_some() || run.flow.pipe.is_some()
}

pub fn render(run: &RunView, lang: Lang, frame: &mut Frame, area: Rect) {
    if let Some(q) = &run.flow.queue {
        queue(run, q, lang, frame, area);
    } else if let Some(p) = &run.flow.pipe {
        pipe(run, p, lang, frame, area);
    } else {
        let block = Block::bordered()
            .title(Span::styled(tr!(lang, "flow.messages"), theme::title()))
            .border_style(theme::border());
        frame.render_widget(
            Paragraph::new(tr!(lang, "flow.nothing_yet"))
                .style(theme::dim())
                .block(block),
            area,
        );
    }
}

fn label(run: &RunView, pid: i32) -> String {
    run.procs
        .get(pid)
        .map_or_else(|| pid.to_string(), |p| p.label.clone())
}

/// A queue's item as Python's `repr()` writes it (the same text as the event log).
fn show(item: &Value) -> String {
    item_text(item, None)
}

fn queue(run: &RunView, q: &QueueView, lang: Lang, frame: &mut Frame, area: Rect) {
    let rate = q.rate().map_or(String::new(), |r| {
        tr!(lang, "flow.rate", rate = format!("{r:.1}"))
    });
    let maxsize = run.params.get_int("maxsize");
    // The capacity is a parameter of the queue scenario; a traced program's queue has
    // none proclab knows, so nothing is said of it (not "unbounded").
    let cap = match maxsize {
        Some(0) => format!("{} · ", tr!(lang, "flow.unbounded")),
        Some(n) => format!("maxsize {n} · "),
        None => String::new(),
    };
    let title = Line::from(vec![
        Span::styled(format!(" Queue {} ", q.name), theme::title()),
        Span::raw("· "),
        Span::raw(format!("{cap}len {}{rate} ", q.len)),
    ]);
    let block = Block::bordered().title(title).border_style(theme::border());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let lines = queue_lines(run, q, lang, inner.width as usize);
    let spark_height = if inner.height as usize >= lines.len() + 2 {
        2
    } else {
        0
    };
    let [text_area, spark_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(spark_height)]).areas(inner);
    frame.render_widget(Paragraph::new(lines), text_area);
    if spark_height > 0 {
        let [name, spark] =
            Layout::horizontal([Constraint::Length(5), Constraint::Min(1)]).areas(spark_area);
        frame.render_widget(Paragraph::new("len").style(theme::dim()), name);
        let data: Vec<u64> = q.history.iter().copied().collect();
        let width = spark.width as usize;
        let tail = &data[data.len().saturating_sub(width)..];
        let max = bound(run)
            .and_then(|b| u64::try_from(b).ok())
            .unwrap_or_else(|| tail.iter().copied().max().unwrap_or(1).max(1));
        frame.render_widget(
            Sparkline::default()
                .data(tail)
                .max(max)
                .style(theme::chart()),
            spark,
        );
    }
}

/// Rows the pane would use at this width (its borders included): every producer and
/// consumer, the slots, the last items and the length's sparkline.
pub fn rows_wanted(run: &RunView, lang: Lang, width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2));
    let text = if let Some(q) = &run.flow.queue {
        queue_lines(run, q, lang, inner).len() + 2
    } else if let Some(p) = &run.flow.pipe {
        3 + p.last.len().min(8)
    } else {
        1
    };
    u16::try_from(text + 2).unwrap_or(u16::MAX)
}

/// The queue's bound, when it has one this run knows of.
fn bound(run: &RunView) -> Option<usize> {
    run.params
        .get_int("maxsize")
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0)
}

/// Producers, the slots and consumers in `width` columns: on one row when every slot
/// fits between them; else the slots get a row of their own above the two columns of
/// ends. Each end is given room for its longest mark, so "⏸ empty" is never cut and
/// nothing moves when a mark comes; what still does not fit ends with "…".
fn queue_lines(run: &RunView, q: &QueueView, lang: Lang, width: usize) -> Vec<Line<'static>> {
    let bound = bound(run);
    let mark = [tr!(lang, "flow.full"), tr!(lang, "flow.empty"), " ⏸"]
        .iter()
        .map(|m| m.width())
        .max()
        .unwrap_or(0);
    let side = |ends: &[i32]| {
        ends.iter()
            .map(|&p| label(run, p).width())
            .max()
            .unwrap_or(0)
            + mark
    };
    let (left, right) = (side(&q.producers), side(&q.consumers));
    let cell = slot_cell(q);
    let capacity = bound.unwrap_or_else(|| q.items.len().max(1));
    let all_slots = capacity * (cell + 1) + 1;
    let inline = left + right + 8 + all_slots <= width;
    let rows = q.producers.len().max(q.consumers.len()).max(1);
    let end_at = |ends: &[i32], i: usize| {
        ends.get(i)
            .map(|&p| end(run, p, &q.blocked, lang))
            .unwrap_or_default()
    };
    let mut lines = Vec::new();
    if inline {
        let slots_width = width.saturating_sub(left + right + 8);
        for i in 0..rows {
            let mut spans = pad(end_at(&q.producers, i), left);
            if i == 0 {
                spans.push(Span::styled(" ─▶ ", theme::dim()));
                spans.extend(slots(q, bound, slots_width, lang));
                spans.push(Span::styled(" ─▶ ", theme::dim()));
            } else {
                spans.push(Span::raw(" ".repeat(slots_width + 8)));
            }
            spans.extend(end_at(&q.consumers, i));
            lines.push(Line::from(spans));
        }
    } else {
        lines.push(Line::from(slots(q, bound, width, lang)));
        for i in 0..rows {
            let mut spans = pad(end_at(&q.producers, i), left);
            // The queue between them, by its name.
            let arrow = format!(" ─▶ {} ─▶ ", q.name);
            let arrow = if i == 0 {
                arrow
            } else {
                " ".repeat(arrow.width())
            };
            spans.push(Span::styled(arrow, theme::dim()));
            spans.extend(end_at(&q.consumers, i));
            lines.push(Line::from(spans));
        }
    }
    let recent: Vec<String> = q
        .recent
        .iter()
        .rev()
        .map(|t| {
            format!(
                "{} {} {}",
                label(run, t.pid),
                if t.put {
                    tr!(lang, "flow.put")
                } else {
                    tr!(lang, "flow.got")
                },
                show(&t.item)
            )
        })
        .collect();
    lines.push(Line::styled(
        tr!(lang, "flow.last", items = recent.join(" · ")),
        theme::dim(),
    ));
    lines.into_iter().map(|l| clip(l, width)).collect()
}

/// Columns one slot takes: as wide as the widest item shown (1 to 6).
fn slot_cell(q: &QueueView) -> usize {
    q.items
        .iter()
        .map(|i| show(i).width())
        .max()
        .unwrap_or(1)
        .clamp(1, 6)
}

/// A producer or consumer, marked when it is blocked (and on what).
fn end(run: &RunView, pid: i32, blocked: &[(i32, String)], lang: Lang) -> Vec<Span<'static>> {
    let name = label(run, pid);
    let gone = run.procs.get(pid).is_some_and(|p| p.is_ghost());
    let mark = blocked
        .iter()
        .find(|(p, _)| *p == pid)
        .map(|(_, on)| match on.as_str() {
            "queue_full" => tr!(lang, "flow.full"),
            "queue_empty" => tr!(lang, "flow.empty"),
            _ => " ⏸",
        });
    let style = if gone { theme::dim() } else { theme::print() };
    let mut spans = vec![Span::styled(name, style)];
    if let Some(m) = mark {
        spans.push(Span::styled(m, theme::held()));
    }
    spans
}

fn pad(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let mut out = spans;
    out.push(Span::raw(" ".repeat(width.saturating_sub(used))));
    out
}

/// `[ 4│ 5│ 6│  │  ]`: one cell per slot, filled ones highlighted; what does not fit
/// is counted.
fn slots(q: &QueueView, bound: Option<usize>, width: usize, lang: Lang) -> Vec<Span<'static>> {
    let cell = slot_cell(q);
    let capacity = bound.unwrap_or_else(|| q.items.len().max(1));
    let mut fit = (width.saturating_sub(2) / (cell + 1)).max(1);
    if capacity > fit {
        // Room for the count of what is not drawn ("+3 more, 2 free").
        fit = (width.saturating_sub(2 + 16) / (cell + 1)).max(1);
    }
    let shown = capacity.min(fit);
    let mut spans = vec![Span::styled("[", theme::dim())];
    for i in 0..shown {
        match q.items.get(i) {
            Some(item) => spans.push(Span::styled(
                format!("{:>cell$}", show(item)),
                theme::held(),
            )),
            None => spans.push(Span::raw(" ".repeat(cell))),
        }
        if i + 1 < shown {
            spans.push(Span::styled("│", theme::dim()));
        }
    }
    spans.push(Span::styled("]", theme::dim()));
    if capacity > shown {
        // Slots not drawn: say which hold items and which are free, so "+6" is not
        // read as six more items.
        let items = q.items.len().saturating_sub(shown);
        let free = (capacity - shown).saturating_sub(items);
        let rest = match (items, free) {
            (0, f) => tr!(lang, "flow.free", free = f),
            (i, 0) => tr!(lang, "flow.more", items = i),
            (i, f) => tr!(lang, "flow.more_free", items = i, free = f),
        };
        spans.push(Span::styled(rest, theme::dim()));
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    spans.push(Span::raw(" ".repeat(width.saturating_sub(used))));
    spans
}

fn pipe(run: &RunView, p: &PipeView, lang: Lang, frame: &mut Frame, area: Rect) {
    // A traced program's pipes are the kernel's one-way pipes, many at once, each end
    // shared by whoever inherited it: only what each write sent and each read got.
    let traced = run.trace.is_some();
    let what = if traced {
        tr!(lang, "flow.traced_pipes")
    } else {
        tr!(lang, "flow.duplex")
    };
    let block = Block::bordered()
        .title(Line::from(vec![
            Span::styled(" Pipe ", theme::title()),
            Span::raw(what),
        ]))
        .border_style(theme::border());
    let mut lines = Vec::new();
    let ends: &[(String, i32)] = if traced { &[] } else { &p.ends };
    if let [(a, pa), (b, pb), ..] = ends {
        let flight = |end: &str| {
            p.in_flight(end)
                .map(|q| {
                    q.iter()
                        .map(|m| m.text.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        let who = |end: &str, pid: i32| {
            let blocked = if p.blocked.contains(&pid) {
                " ⏸ recv"
            } else {
                ""
            };
            (format!("{} ({end})", label(run, pid)), blocked)
        };
        let (wa, ba) = who(a, *pa);
        let (wb, bb) = who(b, *pb);
        let w = wa.width().max(wb.width());
        lines.push(Line::from(vec![
            Span::raw(format!("{wa:<w$}")),
            Span::styled(ba, theme::held()),
            Span::styled(format!("  ══▶ {} ══▶  ", flight(a)), theme::gate()),
            Span::raw(wb.clone()),
        ]));
        lines.push(Line::from(vec![
            Span::raw(format!("{wb:<w$}")),
            Span::styled(bb, theme::held()),
            Span::styled(format!("  ══▶ {} ══▶  ", flight(b)), theme::gate()),
            Span::raw(wa.clone()),
        ]));
        lines.push(Line::styled(
            tr!(
                lang,
                "flow.sent_both",
                a = a,
                na = p.sent_by(a),
                b = b,
                nb = p.sent_by(b)
            ),
            theme::dim(),
        ));
    } else if let Some((a, pa)) = ends.first() {
        lines.push(Line::raw(tr!(
            lang,
            "flow.sent_one",
            label = label(run, *pa),
            end = a,
            n = p.sent_by(a)
        )));
    }
    // Who sent or got each message; oldest first, the newest at the bottom, as in the
    // log: as many of the latest as the pane has rows for.
    let rows = (area.height as usize).saturating_sub(2 + lines.len());
    let shown = p.last.len().min(rows);
    for (end, sent, m, pid) in p.last.iter().skip(p.last.len() - shown) {
        let who = format!("{pid} {}", label(run, *pid));
        let text = if *sent {
            format!(
                "{who}: {}",
                crate::i18n::call(lang, end, &format!("send({})", m.text))
            )
        } else {
            format!(
                "{who}: {} → {}",
                crate::i18n::call(lang, end, "recv()"),
                m.text
            )
        };
        lines.push(Line::styled(text, theme::dim()));
    }
    let inner = usize::from(area.width.saturating_sub(2));
    let lines: Vec<Line> = lines.into_iter().map(|l| clip(l, inner)).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
