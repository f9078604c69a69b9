//! The process tree: PID, PPID, label under its parent, state letter and word, why
//! it waits or how it ended. Reaped processes stay as dimmed ghost rows. At the
//! bottom, two lines on the selected process: who it is, which signals it ignores or
//! catches, and once reaped its wait status decoded bit by bit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};
use unicode_width::UnicodeWidthStr;

use super::wrap::wrap;
use super::{fit, theme};
use crate::app::RunView;
use crate::app::procs::{LockNews, LockStep, ProcRow};
use crate::app::waitstatus;
use crate::i18n::{Lang, reason, state_word, wire};
use crate::tr;
use crate::trace::event::{WaitOutcome, signal_name};

/// Where the tree drew its rows: for a mouse click to find the process under it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreeHits {
    /// The first process row's screen line (below the header).
    pub top: u16,
    pub left: u16,
    pub right: u16,
    /// Process rows (indices into the process table) from the top, as drawn.
    pub rows: Vec<usize>,
}

impl TreeHits {
    pub fn row_at(&self, col: u16, line: u16) -> Option<usize> {
        if col < self.left || col >= self.right || line < self.top {
            return None;
        }
        self.rows.get(usize::from(line - self.top)).copied()
    }
}

pub fn render(run: &RunView, lang: Lang, frame: &mut Frame, area: Rect) -> TreeHits {
    let lines = run.procs.tree();
    let title = Line::from(vec![
        Span::styled(tr!(lang, "tree.title"), theme::title()),
        Span::raw(match run.procs.zombies() {
            // A zombie is dead: counted apart, as the lessons insist.
            0 => tr!(
                lang,
                "tree.counts",
                alive = run.procs.alive(),
                created = run.procs.len()
            ),
            z => tr!(
                lang,
                "tree.counts_zombies",
                alive = run.procs.alive(),
                zombies = crate::i18n::count(lang, "count.zombie", z),
                created = run.procs.len()
            ),
        }),
    ]);
    // The name column is as wide as the deepest label needs, so the reasons keep room.
    let name_width = lines
        .iter()
        .map(|l| {
            let p = &run.procs.rows()[l.row];
            l.prefix.chars().count() + p.label.chars().count()
        })
        .max()
        .unwrap_or(7)
        .clamp(7, 28);
    let name_width = u16::try_from(name_width).unwrap_or(28);
    // PIDs as wide as the largest one (not a fixed 7), to leave room for the reasons.
    let pid_width = run
        .procs
        .rows()
        .iter()
        .map(|r| r.pid.max(r.ppid).to_string().len())
        .max()
        .unwrap_or(4)
        .max(4);
    let pid_width = u16::try_from(pid_width).unwrap_or(u16::MAX);
    // A traced CPython program: where each process is (function:line), as read from
    // its frames, in a column of its own.
    let where_width = run
        .procs
        .rows()
        .iter()
        .filter_map(where_text)
        .map(|w| w.chars().count())
        .max()
        .map(|w| u16::try_from(w.clamp(5, 24)).unwrap_or(24));
    let mut widths = vec![
        Constraint::Length(pid_width),
        Constraint::Length(pid_width),
        Constraint::Length(name_width),
        Constraint::Length(10),
    ];
    let mut header = vec![
        "PID",
        "PPID",
        tr!(lang, "tree.col_process"),
        tr!(lang, "tree.col_state"),
    ];
    if let Some(w) = where_width {
        widths.push(Constraint::Length(w));
        header.push(tr!(lang, "tree.col_where"));
    }
    // The last column gets what is left; a reason longer than that ends with "…"
    // instead of being cut mid-word.
    let fixed: u16 = 2 * pid_width + name_width + 10 + where_width.unwrap_or(0);
    let gaps = u16::try_from(widths.len()).unwrap_or(u16::MAX);
    let why_width = usize::from(
        area.width
            .saturating_sub(2)
            .saturating_sub(fixed)
            .saturating_sub(gaps),
    );
    widths.push(Constraint::Fill(1));
    // The header too ends with "…" rather than losing its last letters unmarked.
    header.push(tr!(lang, "tree.col_why"));
    let header: Vec<String> = header
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            if i + 1 == widths.len() {
                ellipsis(h.to_string(), why_width)
            } else {
                h.to_string()
            }
        })
        .collect();
    let cells: Vec<(Vec<Cell>, String, Style)> = lines
        .iter()
        .map(|l| {
            let p = &run.procs.rows()[l.row];
            let held = (run.held() && run.gate_pid == Some(p.pid))
                .then_some(run.gate.as_deref().unwrap_or(""))
                .or_else(|| run.slot_held.get(&p.pid).map(|(_, gate)| gate.as_str()));
            row(p, &l.prefix, held, run, lang)
        })
        .collect();
    let block = Block::bordered().title(title).border_style(theme::border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The details need room for the header and a few rows above them, and give way
    // to process rows when the tree is short: a hidden process is worse than two lines
    // on the selected one.
    let details = selected_details(run, lang, usize::from(inner.width));
    let all_rows = lines.len() + 1 + details.len();
    let show_details = usize::from(inner.height) >= all_rows || inner.height >= 10;
    let details_rows = if show_details { details.len() } else { 0 };
    // Rows to spare below the processes: a reason cut short takes a second line (the
    // one the lesson talks about: `<defunct> parent hasn't called waitpid`, a child's
    // `num = 15 · &num = …`), then the details theirs, rather than empty rows.
    let mut spare = usize::from(inner.height).saturating_sub(lines.len() + 1 + details_rows);
    let long = cells
        .iter()
        .filter(|(_, why, _)| why_width > 0 && why.width() > why_width)
        .count();
    // A second line only where the column holds words: a handful of columns would
    // cut every word in two ("waiti / ng o…").
    const WRAP_MIN: usize = 10;
    let two_lines = long > 0 && long <= spare && why_width >= WRAP_MIN;
    if two_lines {
        spare -= long;
    }
    let inner_width = usize::from(inner.width);
    let wrapped: Vec<Line<'static>> = details
        .iter()
        .flat_map(|l| fit::wrap_styled(l, inner_width).into_iter().take(2))
        .collect();
    let details: Vec<Line<'static>> =
        if show_details && wrapped.len().saturating_sub(details.len()) <= spare {
            wrapped
        } else {
            details
        };
    // Whatever is still too wide ends with "…".
    let details: Vec<Line<'static>> = details
        .into_iter()
        .map(|l| fit::clip(l, inner_width))
        .collect();
    let height = if show_details {
        u16::try_from(details.len()).unwrap_or(u16::MAX)
    } else {
        0
    };
    let mut heights = Vec::with_capacity(cells.len());
    let rows: Vec<Row> = cells
        .into_iter()
        .map(|(mut cells, why, style)| {
            let text = if two_lines && why.width() > why_width {
                let mut parts = wrap(&why, why_width).into_iter();
                let first = parts.next().unwrap_or_default();
                let rest: Vec<String> = parts.collect();
                Text::from(vec![
                    Line::raw(first),
                    Line::raw(ellipsis(rest.join(" "), why_width)),
                ])
            } else {
                Text::raw(ellipsis(why, why_width))
            };
            let h = u16::try_from(text.lines.len()).unwrap_or(1);
            heights.push(usize::from(h));
            cells.push(Cell::from(text));
            Row::new(cells).style(style).height(h)
        })
        .collect();
    let table = Table::new(rows, widths)
        .column_spacing(1)
        .header(Row::new(header).style(theme::dim()))
        .row_highlight_style(theme::selected());
    let [table_area, details_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(height)]).areas(inner);
    let selected = run
        .selected_index()
        .and_then(|row| lines.iter().position(|l| l.row == row));
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, table_area, &mut state);
    frame.render_widget(Paragraph::new(details), details_area);
    let visible = usize::from(table_area.height.saturating_sub(1));
    // Process rows as drawn, one entry per screen line (a two-line row has two).
    let drawn: Vec<usize> = lines
        .iter()
        .zip(&heights)
        .skip(state.offset())
        .flat_map(|(l, h)| std::iter::repeat_n(l.row, *h))
        .take(visible)
        .collect();
    let shown_rows = lines
        .iter()
        .zip(&heights)
        .skip(state.offset())
        .scan(0, |used, (_, h)| {
            *used += h;
            (*used <= visible).then_some(())
        })
        .count();
    // Rows out of view are counted on the bottom border: a short terminal must not
    // look as if the tree were complete.
    let (above, below) = (
        state.offset(),
        lines.len().saturating_sub(state.offset() + shown_rows),
    );
    if above + below > 0 && area.height > 2 {
        let mut parts = Vec::new();
        if above > 0 {
            parts.push(tr!(lang, "tree.above", n = above));
        }
        if below > 0 {
            parts.push(tr!(lang, "tree.below", n = below));
        }
        let note =
            Line::styled(format!(" {} (↑↓) ", parts.join(" · ")), theme::dim()).right_aligned();
        let border = Rect {
            x: area.x + 1,
            y: area.y + area.height - 1,
            width: area.width.saturating_sub(2),
            height: 1,
        };
        frame.render_widget(Paragraph::new(note), border);
    }
    TreeHits {
        top: table_area.y + 1,
        left: table_area.x,
        right: table_area.x + table_area.width,
        rows: drawn,
    }
}

/// Rows the tree takes to show every process: its borders, the header, one row each
/// and the two lines on the selected one.
pub fn rows_wanted(run: &RunView) -> u16 {
    let details = if run.selected_row().is_some() { 2 } else { 0 };
    u16::try_from(run.procs.tree().len())
        .unwrap_or(u16::MAX)
        .saturating_add(3 + details)
}

/// Two lines on the selected process: who and in what state; then the signals it
/// ignores and catches, or, once reaped, its raw wait status decoded.
fn selected_details(run: &RunView, lang: Lang, width: usize) -> Vec<Line<'static>> {
    let Some(p) = run.selected_row() else {
        return Vec::new();
    };
    let mut first = vec![
        Span::styled(format!("▸ {}", p.label), theme::title()),
        Span::raw(format!("  PID {}  PPID {}  ", p.pid, p.ppid)),
    ];
    if let Some((status, outcome)) = p.reaped
        && let Some(why) = &p.released
    {
        // Nobody waited: there is no status a parent collected to decode.
        first.push(Span::styled(tr!(lang, "tree.gone_released"), theme::dim()));
        let how = match outcome {
            WaitOutcome::Exited(c) => tr!(lang, "tree.it_exited", code = c),
            WaitOutcome::Signaled(s) => tr!(lang, "tree.it_killed", signal = signal_name(s)),
            WaitOutcome::Other(_) => format!("status {status}"),
        };
        return vec![
            Line::from(first),
            Line::styled(
                tr!(lang, "tree.no_wait", how = how, why = wire(lang, why)),
                theme::highlight_status(),
            ),
        ];
    }
    if let Some((status, _)) = p.reaped {
        let d = waitstatus::decode_in(status, lang);
        let fits = |s: &String| unicode_width::UnicodeWidthStr::width(s.as_str()) <= width;
        let whole = format!("  {d}");
        let second = if fits(&whole) {
            first.push(Span::styled(tr!(lang, "tree.gone_reaped"), theme::dim()));
            whole
        } else {
            // Narrow: the raw number ends the first line, its meaning fills the second
            // (with less indent, or none, rather than losing the verdict).
            first.push(Span::styled(
                tr!(lang, "tree.gone_reaped_raw", raw = d.raw),
                theme::dim(),
            ));
            let rest = format!("{} → {}", d.fields, d.verdict);
            [format!("  → {rest}"), format!("→ {rest}")]
                .into_iter()
                .find(fits)
                .unwrap_or(rest)
        };
        return vec![
            Line::from(first),
            Line::styled(second, theme::highlight_status()),
        ];
    }
    match p.state {
        Some(letter) => {
            first.push(Span::styled(
                format!("{letter} {}", state_word(lang, letter)),
                theme::state(letter),
            ));
            // Stopped by a signal at the step, the stop is why it stands now.
            let held = run.held() && run.gate_pid == Some(p.pid) && letter != 'T';
            let why = if held {
                tr!(
                    lang,
                    "tree.held_at",
                    gate = run.gate.as_deref().unwrap_or("")
                )
            } else if let Some((_, gate)) = run.slot_held.get(&p.pid).filter(|_| letter != 'T') {
                tr!(lang, "tree.waits_for_you", gate = gate)
            } else if let Some(during) = p.standing_with_run() {
                standing_still(run, lang, during)
            } else if let Some(news) = p.fresh_lock_news(run.now_us) {
                lock_news(lang, news)
            } else {
                reason(lang, &p.reason)
            };
            if !why.is_empty() {
                first.push(Span::raw(format!(" — {why}")));
            }
        }
        // Held before the observer could read it running: the hold is what is known.
        None if p.standing_with_run().is_some() => first.push(Span::raw(format!(
            "… {}",
            standing_still(run, lang, p.standing_with_run().unwrap_or_default())
        ))),
        None => first.push(Span::raw(format!("… {}", tr!(lang, "tree.just_started")))),
    }
    let list = |names: &[String]| {
        if names.is_empty() {
            tr!(lang, "signal.none").to_string()
        } else {
            names.join(", ")
        }
    };
    let second = Line::from(vec![
        Span::styled(tr!(lang, "tree.ignores"), theme::dim()),
        Span::raw(list(&p.ignored)),
        Span::styled(tr!(lang, "tree.catches"), theme::dim()),
        Span::raw(list(&p.caught)),
    ]);
    vec![Line::from(first), second]
}

/// Why a process that reported `hold` waits: what it was doing (the lesson's own
/// words for it), then that the run stands still.
fn standing_still(run: &RunView, lang: Lang, during: &str) -> String {
    // Short: the column is narrow, and the header names the step or the pause.
    let doing = match during {
        "sleep" => tr!(lang, "reason.sleep"),
        "work" => tr!(lang, "tree.computing"),
        _ => tr!(lang, "state.T"),
    };
    let why = if run.paused() {
        tr!(lang, "tree.paused")
    } else {
        tr!(lang, "tree.run_held")
    };
    format!("{doing} · {why}")
}

/// A process's own lock event, said in the tree while it is newer than its state.
fn lock_news(lang: Lang, news: &LockNews) -> String {
    let lock = news.lock.as_str();
    match news.step {
        LockStep::Waits => tr!(lang, "tree.lock_waits", lock = lock),
        LockStep::Took => tr!(lang, "tree.lock_took", lock = lock),
        LockStep::Gave => tr!(lang, "tree.lock_gave", lock = lock),
    }
}

/// A process's cells but the last, the reason (or how it ended) for the last, and
/// the row's style. `held`: the gate this process is held at by proclab (its futex wait is ours, not
/// the lesson's, so say so).
fn row<'a>(
    p: &'a ProcRow,
    prefix: &str,
    held: Option<&str>,
    run: &RunView,
    lang: Lang,
) -> (Vec<Cell<'a>>, String, Style) {
    // Stopped by a signal where proclab held it: the stop is why it stands now.
    let held = held.filter(|_| p.state != Some('T'));
    let name = format!("{prefix}{}", p.label);
    // The process's own copies of the lesson's variables lead the last column.
    let values = p.values_text();
    let with_values = |text: String| {
        if values.is_empty() {
            text
        } else {
            format!("{values} · {text}")
        }
    };
    if let Some((status, outcome)) = p.reaped {
        let verb = if p.released.is_some() {
            tr!(lang, "tree.released_verb")
        } else {
            tr!(lang, "tree.reaped_verb")
        };
        let how = with_values(match outcome {
            WaitOutcome::Exited(c) => format!("{verb}: exit {c} (status {status})"),
            WaitOutcome::Signaled(s) => format!("{verb}: {} (status {status})", signal_name(s)),
            WaitOutcome::Other(_) => format!("{verb}: status {status}"),
        });
        let mut cells = vec![
            Cell::from(p.pid.to_string()),
            Cell::from(p.ppid.to_string()),
            Cell::from(name),
            Cell::from(tr!(lang, "tree.gone")),
        ];
        if shows_where(run) {
            cells.push(Cell::from(""));
        }
        return (cells, how, theme::dim());
    }
    let (state_cell, why) = match p.state {
        Some(letter) => {
            let mut why = reason(lang, &p.reason);
            if let Some(gate) = held {
                // With values to show, the lesson step's name (in the header too)
                // gives way, so a narrow column keeps the numbers whole. A worker's
                // own step ("be the scheduler": read or write) keeps its name.
                let main_step = run.gate_pid == Some(p.pid);
                why = if values.is_empty() || !main_step {
                    tr!(lang, "tree.held_at", gate = gate)
                } else {
                    tr!(lang, "tree.held_at_the_step").to_string()
                };
            } else if let Some(during) = p.standing_with_run() {
                why = standing_still(run, lang, during);
            } else if let Some(news) = p.fresh_lock_news(run.now_us) {
                // The lock pane shows this event at once; the state read before it
                // (up to a sample old) must not contradict it.
                why = lock_news(lang, news);
            } else if letter == 'Z' {
                // As `ps -ef` marks a zombie.
                why = tr!(lang, "tree.defunct").to_string();
            } else if p.cpu >= 1.0 {
                why = format!("{why} · {:.0}% CPU", p.cpu);
            }
            (
                Cell::from(Span::styled(
                    format!("{letter} {}", state_word(lang, letter)),
                    theme::state(letter),
                )),
                why,
            )
        }
        // Held before the observer could read it running: the hold is what is known.
        None => match (held, p.standing_with_run()) {
            (Some(gate), _) => (Cell::from("…"), tr!(lang, "tree.held_at", gate = gate)),
            (None, Some(during)) => (Cell::from("…"), standing_still(run, lang, during)),
            (None, None) => (Cell::from("…"), tr!(lang, "tree.just_started").to_string()),
        },
    };
    let why = match (held, p.exit_code) {
        // Where proclab holds it comes first: in a narrow tree it must not be cut off.
        (Some(_), _) if !values.is_empty() => format!("{why} · {values}"),
        (_, Some(c)) if p.state != Some('Z') => with_values(format!("exit({c}) · {why}")),
        _ => with_values(why),
    };
    let mut cells = vec![
        Cell::from(p.pid.to_string()),
        Cell::from(p.ppid.to_string()),
        Cell::from(name),
        state_cell,
    ];
    if shows_where(run) {
        cells.push(Cell::from(where_text(p).unwrap_or_default()));
    }
    (cells, why, Style::new())
}

/// `text` in at most `width` cells: cut with "…" where it does not fit (0: as it is,
/// the table then cuts it).
fn ellipsis(text: String, width: usize) -> String {
    if width == 0 {
        return text;
    }
    super::fit::ellipsis(&text, width)
}

/// `function:line` of a live process whose frames were read (`where` events).
fn where_text(p: &ProcRow) -> Option<String> {
    let (_, line, function) = p.at.as_ref().filter(|_| p.reaped.is_none())?;
    // The function's own name: `Server.serve_forever` reads `serve_forever`.
    let name = function
        .rsplit_once('.')
        .map_or(function.as_str(), |(_, f)| f);
    Some(format!("{name}:{line}"))
}

fn shows_where(run: &RunView) -> bool {
    run.procs.rows().iter().any(|p| where_text(p).is_some())
}
