//! The screens' main loop, one for a live run (`tui`) and a replay (`playback`): draw
//! when something changed and nothing waits, then wait for a key, the mouse, what
//! feeds the run, a clock tick or a quit signal; put each message through the pure
//! `update` and hand the commands it returns to the feed.
//!
//! What differs between the two is what feeds the run and what a command does: a
//! `Feed` (a session of real processes, or a recorded trace paced by `Player`).

use color_eyre::eyre::Result;
use crossbeam_channel::{Receiver, never, select};
use ratatui::crossterm::event::{Event as TermEvent, MouseButton, MouseEventKind};

use crate::app::{Action, App, Command, Msg, update};
use crate::term::{Seen, Term};
use crate::ui;

/// What feeds the screens and carries out their commands.
pub trait Feed {
    /// What wakes the loop for this feed (run messages, a timer).
    type Wake;
    /// Messages due without waiting, before the loop draws (a replay's events whose
    /// time has come).
    fn due(&mut self, _pending: &mut Vec<Msg>) {}
    /// The channel to wait on besides input and signals (`never()` for none).
    fn waker(&self) -> Receiver<Self::Wake>;
    /// The waker fired: the messages it brings.
    fn woke(&mut self, wake: Self::Wake, pending: &mut Vec<Msg>);
    /// `msg` is about to reach `update` (a recording keeps its events).
    fn seen(&mut self, msg: &Msg, pending: &mut Vec<Msg>);
    /// Carries out a command of `update`; what it says back goes to `pending`.
    fn carry_out(&mut self, cmd: Command, pending: &mut Vec<Msg>);
    /// Every pending message was applied (a recording writes what it holds).
    fn applied(&mut self, _pending: &mut Vec<Msg>) {}
}

/// Runs the screens until the learner quits (or a signal or a hangup ends them),
/// starting with the messages in `pending`.
pub fn drive<F: Feed>(
    term: &mut Term,
    app: &mut App,
    feed: &mut F,
    quit: &Receiver<i32>,
    mut pending: Vec<Msg>,
) -> Result<()> {
    let input = term.input();
    let panic_at = crate::debug::panic_timer();
    let mut dirty = true;
    let mut hits = ui::Hits::default();
    // One ticker for the whole loop (a new one per turn would never fire while
    // messages keep coming), listened to only while something on screen follows it.
    let started = std::time::Instant::now();
    let ticker = crossbeam_channel::tick(std::time::Duration::from_millis(500));
    while !app.quit {
        feed.due(&mut pending);
        if dirty && pending.is_empty() {
            term.draw(|f| hits = ui::render_with_hits(app, f))?;
            dirty = false;
            if term.hung_up {
                pending.push(Msg::Action(Action::Interrupt));
            }
        }
        if pending.is_empty() {
            let waker = feed.waker();
            // A live run is watched for standing still (`app::stall`) and its clock
            // keeps moving.
            let live = app.run.as_ref().is_some_and(|r| !r.ended() && !r.replay);
            let tick_rx = if app.present.is_some() || app.pace_s.is_some() || live {
                ticker.clone()
            } else {
                never()
            };
            select! {
                recv(input) -> ev => match term.seen(ev) {
                    Seen::Event(TermEvent::Key(key)) => {
                        pending.extend(crate::app::keymap::action_for(key).map(Msg::Action));
                    }
                    Seen::Event(TermEvent::Resize(..)) | Seen::Redraw => dirty = true,
                    Seen::Event(TermEvent::Mouse(m)) => {
                        let action = match m.kind {
                            MouseEventKind::Down(MouseButton::Left) => {
                                hits.process_at(m.column, m.row).map(Action::Select)
                            }
                            MouseEventKind::ScrollUp => Some(Action::Up),
                            MouseEventKind::ScrollDown => Some(Action::Down),
                            _ => None,
                        };
                        pending.extend(action.map(Msg::Action));
                    }
                    Seen::Event(_) | Seen::Nothing => {}
                    // The terminal went away with or without a SIGHUP: end as on one.
                    Seen::Hangup => pending.push(Msg::Action(Action::Interrupt)),
                },
                recv(waker) -> wake => {
                    if let Ok(wake) = wake {
                        feed.woke(wake, &mut pending);
                    }
                },
                recv(quit) -> _ => pending.push(Msg::Action(Action::Interrupt)),
                recv(tick_rx) -> _ => {
                    let now_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    pending.push(Msg::Tick(now_ms));
                }
                recv(panic_at) -> _ => crate::debug::deliberate_panic(),
            }
        }
        for msg in std::mem::take(&mut pending) {
            feed.seen(&msg, &mut pending);
            for cmd in update(app, msg) {
                feed.carry_out(cmd, &mut pending);
            }
            dirty = true;
        }
        feed.applied(&mut pending);
    }
    Ok(())
}
