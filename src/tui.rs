//! The terminal front end: one main loop that selects over input, the run's messages
//! and quit signals, feeds them to the pure `update`, carries out the commands it
//! returns, and redraws only when something changed.

use std::io::IsTerminal;

use color_eyre::eyre::{Result, WrapErr, eyre};
use crossbeam_channel::{Receiver, never, select, unbounded};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event as TermEvent};

use crate::app::{Action, App, Command, Msg, update};
use crate::supervise::session::{RunMsg, RunRequest, Session};
use crate::trace::event::{Event, EventKind};
use crate::ui;

/// Most run messages applied between two frames, so input stays responsive.
const BATCH: usize = 2000;

pub fn ensure_terminal() -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(eyre!(
            "the lesson screens need a terminal, and stdin or stdout is not a TTY.\n\
             Without one, try: proclab list · proclab run fork-fanout --headless · proclab run fork-fanout --json"
        ));
    }
    Ok(())
}

pub fn run(app: App, initial: Vec<Command>, cap: u32, quit: Receiver<()>) -> Result<()> {
    ensure_terminal()?;
    let mut terminal = ratatui::try_init().wrap_err("setting up the terminal")?;
    let result = event_loop(&mut terminal, app, initial, cap, quit);
    ratatui::restore();
    result
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    mut app: App,
    initial: Vec<Command>,
    cap: u32,
    quit: Receiver<()>,
) -> Result<()> {
    let input = spawn_input_thread();
    let mut session: Option<Session> = None;
    let mut pending: Vec<Msg> = Vec::new();
    for cmd in initial {
        execute(cmd, &mut session, cap, &mut pending);
    }
    let mut dirty = true;
    while !app.quit {
        if dirty && pending.is_empty() {
            terminal.draw(|f| ui::render(&app, f))?;
            dirty = false;
        }
        if pending.is_empty() {
            let run_rx = session
                .as_ref()
                .map(|s| s.messages().clone())
                .unwrap_or_else(never);
            select! {
                recv(input) -> ev => match ev {
                    Ok(TermEvent::Key(key)) => {
                        if let Some(a) = crate::app::keymap::action_for(key) {
                            pending.push(Msg::Action(a));
                        }
                    }
                    Ok(TermEvent::Resize(..)) => dirty = true,
                    Ok(_) => {}
                    Err(_) => pending.push(Msg::Action(Action::Interrupt)),
                },
                recv(run_rx) -> m => {
                    if let Ok(m) = m {
                        push_msgs(&mut pending, m);
                        for more in run_rx.try_iter().take(BATCH) {
                            push_msgs(&mut pending, more);
                        }
                    }
                },
                recv(quit) -> _ => pending.push(Msg::Action(Action::Interrupt)),
            }
        }
        for msg in std::mem::take(&mut pending) {
            for cmd in update(&mut app, msg) {
                execute(cmd, &mut session, cap, &mut pending);
            }
            dirty = true;
        }
    }
    if let Some(mut s) = session.take() {
        s.stop();
    }
    Ok(())
}

/// Appends what a run message says, a batch unpacked in order.
fn push_msgs(pending: &mut Vec<Msg>, m: RunMsg) {
    match m {
        RunMsg::Batch(all) => {
            for one in all {
                push_msgs(pending, one);
            }
        }
        one => pending.push(to_msg(one)),
    }
}

fn to_msg(m: RunMsg) -> Msg {
    match m {
        RunMsg::Batch(_) => Msg::Warning("nested batch".into()),
        RunMsg::Event(e) | RunMsg::Wire(e, _) => Msg::Event(e),
        RunMsg::Malformed { line, error } => {
            Msg::Warning(format!("malformed line on the wire ({error}): {line}"))
        }
        RunMsg::Stderr(line) => Msg::Warning(line),
        RunMsg::Ended => Msg::RunEnded,
    }
}

/// Carries out one command; failures come back as messages for the log.
fn execute(cmd: Command, session: &mut Option<Session>, cap: u32, feedback: &mut Vec<Msg>) {
    match cmd {
        Command::StartRun {
            scenario,
            params,
            speed,
            step_mode,
        } => {
            if let Some(mut old) = session.take() {
                old.stop();
            }
            let req = RunRequest {
                cpu_cores: true,
                scenario,
                params,
                speed,
                step_mode,
                cap,
            };
            match Session::start(&req) {
                Ok(s) => *session = Some(s),
                Err(e) => feedback.push(Msg::Warning(format!("could not start the run: {e:#}"))),
            }
        }
        Command::StartTrace(req) => {
            if let Some(mut old) = session.take() {
                old.stop();
            }
            match Session::start_trace(&req) {
                Ok(s) => *session = Some(s),
                Err(e) => feedback.push(Msg::Warning(format!("could not start the trace: {e:#}"))),
            }
        }
        Command::StopRun => {
            if let Some(mut s) = session.take() {
                let report = s.stop();
                feedback.extend(report.runner_reap.map(Msg::Event));
                feedback.extend(report.adopted_reaps.into_iter().map(Msg::Event));
                if report.leaked > 0 {
                    feedback.push(Msg::Warning(format!(
                        "{} processes outlived the run",
                        report.leaked
                    )));
                }
            }
        }
        Command::Quit => {}
        Command::Signal { pid, signal } => {
            let Some(s) = session.as_ref() else {
                feedback.push(Msg::Warning(format!("{signal} not sent: no run")));
                return;
            };
            match s.signal(pid, signal) {
                // What happened is a real event, like the reap of the runner: the
                // front end (this PID) sent it. The outcome shows itself through the
                // observer (state T, …) and the parent's reap.
                Ok(()) => feedback.push(Msg::Event(Event {
                    t_us: s.control().now_us(),
                    pid: std::process::id() as i32,
                    kind: EventKind::SendSignal {
                        target: pid,
                        signal: signal.as_str().to_string(),
                    },
                })),
                Err(e) => feedback.push(Msg::Warning(format!("{signal} not sent: {e:#}"))),
            }
        }
        control => {
            let Some(c) = session.as_ref().map(|s| s.control()) else {
                return;
            };
            match control {
                Command::Permit => c.grant_permit(),
                Command::PermitSlot(slot) => c.grant_slot_permit(slot as usize),
                Command::SetStepMode(on) => c.set_step_mode(on),
                Command::SetPaused(p) => c.set_paused(p),
                Command::SetSpeed(s) => c.set_speed(s),
                _ => {}
            }
        }
    }
}

/// Terminal input on its own thread (crossterm's read blocks).
fn spawn_input_thread() -> Receiver<TermEvent> {
    let (tx, rx) = unbounded();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(ev).is_err() {
                return;
            }
        }
    });
    rx
}
