//! The process tree: PID, PPID, label under its parent, state letter and word, why
//! it waits or how it ended. Reaped processes stay as dimmed ghost rows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::theme;
use crate::app::RunView;
use crate::app::procs::ProcRow;
use crate::observe::procfs::state_word;
use crate::trace::event::{WaitOutcome, signal_name};

pub fn render(run: &RunView, frame: &mut Frame, area: Rect) {
    let lines = run.procs.tree();
    let rows: Vec<Row> = lines
        .iter()
        .map(|l| {
            let p = &run.procs.rows()[l.row];
            let held = (run.held && run.gate_pid == Some(p.pid))
                .then_some(run.gate.as_deref().unwrap_or(""));
            row(p, &l.prefix, held)
        })
        .collect();
    let title = Line::from(vec![
        Span::styled(" Processes ", theme::title()),
        Span::raw(format!(
            "{} alive · {} created ",
            run.procs.alive(),
            run.procs.len()
        )),
    ]);
    // The name column is as wide as the deepest label needs, so the reasons keep room.
    let name_width = lines
        .iter()
        .map(|l| l.prefix.chars().count() + run.procs.rows()[l.row].label.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 28) as u16;
    // PIDs as wide as the largest one (not a fixed 7), to leave room for the reasons.
    let pid_width = run
        .procs
        .rows()
        .iter()
        .map(|r| r.pid.max(r.ppid).to_string().len())
        .max()
        .unwrap_or(4)
        .max(4) as u16;
    let table = Table::new(
        rows,
        [
            Constraint::Length(pid_width),
            Constraint::Length(pid_width),
            Constraint::Length(name_width),
            Constraint::Length(10),
            Constraint::Fill(1),
        ],
    )
    .column_spacing(1)
    .header(Row::new(["PID", "PPID", "PROCESS", "STATE", "WHY / HOW IT ENDED"]).style(theme::dim()))
    .block(Block::bordered().title(title).border_style(theme::border()))
    .row_highlight_style(theme::selected());
    let selected = (!lines.is_empty()).then(|| run.selected.min(lines.len() - 1));
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}

/// `held`: the gate this process is held at by proclab (its futex wait is ours, not
/// the lesson's, so say so).
fn row<'a>(p: &'a ProcRow, prefix: &str, held: Option<&str>) -> Row<'a> {
    let name = format!("{prefix}{}", p.label);
    if let Some((status, outcome)) = p.reaped {
        let how = match outcome {
            WaitOutcome::Exited(c) => format!("reaped: exit {c} (status {status})"),
            WaitOutcome::Signaled(s) => format!("reaped: {} (status {status})", signal_name(s)),
            WaitOutcome::Other(_) => format!("reaped: status {status}"),
        };
        return Row::new([
            Cell::from(p.pid.to_string()),
            Cell::from(p.ppid.to_string()),
            Cell::from(name),
            Cell::from("gone"),
            Cell::from(how),
        ])
        .style(theme::dim());
    }
    let (state_cell, why) = match p.state {
        Some(letter) => {
            let mut why = p.reason.clone();
            if let Some(gate) = held {
                why = format!("held at step '{gate}'");
            } else if p.cpu >= 1.0 {
                why = format!("{why} · {:.0}% CPU", p.cpu);
            }
            (
                Cell::from(Span::styled(
                    format!("{letter} {}", state_word(letter)),
                    theme::state(letter),
                )),
                why,
            )
        }
        None => (Cell::from("…"), "just started".to_string()),
    };
    let why = match p.exit_code {
        Some(c) if p.state != Some('Z') => format!("exit({c}) · {why}"),
        _ => why,
    };
    Row::new([
        Cell::from(p.pid.to_string()),
        Cell::from(p.ppid.to_string()),
        Cell::from(name),
        state_cell,
        Cell::from(why),
    ])
    .style(Style::new())
}
