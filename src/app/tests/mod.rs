//! Unit tests of the pure `update`.
use super::*;
use crate::trace::event::{Event, EventKind};

mod controls;
mod events;
mod keys;
mod navigate;
mod quiz;
mod replay;
mod signals;
mod slow;
mod stall;
mod trace;

/// Main (PID 1000) reaching the lesson's gate `name`.
pub(super) fn main_gate(name: &str) -> Msg {
    ev(
        1000,
        EventKind::Gate {
            name: name.into(),
            slot: None,
        },
    )
}

pub(super) fn ev(pid: i32, kind: EventKind) -> Msg {
    Msg::Event(Event { t_us: 1, pid, kind })
}

pub(super) fn lesson_app() -> App {
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    App::new(lessons, Lang::En)
}

#[test]
fn enter_opens_a_lesson_in_step_mode() {
    let mut app = lesson_app();
    let cmds = update(&mut app, Msg::Action(Action::Open));
    assert!(matches!(
        &cmds[..],
        [Command::StartRun {
            step_mode: true,
            ..
        }]
    ));
    assert_eq!(app.screen, Screen::Run);
}

#[test]
fn gate_holds_and_space_grants_a_permit() {
    let mut app = lesson_app();
    update(&mut app, Msg::Action(Action::Open));
    update(
        &mut app,
        ev(
            10,
            EventKind::Gate {
                name: "first-fork".into(),
                slot: None,
            },
        ),
    );
    let run = app.run.as_ref().unwrap();
    assert!(run.held());
    assert_eq!(run.step, Some(1));
    let cmds = update(&mut app, Msg::Action(Action::Step));
    assert_eq!(cmds, vec![Command::Permit]);
    assert!(!app.run.as_ref().unwrap().held());
}

// ---- helpers ------------------------------------------------------------------

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::trace::event::WaitOutcome;

pub(super) fn ev_at(t_us: u64, pid: i32, kind: EventKind) -> Msg {
    Msg::Event(Event { t_us, pid, kind })
}

pub(super) fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// The message a key press becomes, as the main loop does it.
pub(super) fn press(code: KeyCode) -> Msg {
    Msg::Action(keymap::action_for(key(code)).unwrap_or_else(|| panic!("{code:?} has no action")))
}

pub(super) fn act(app: &mut App, a: Action) -> Vec<Command> {
    update(app, Msg::Action(a))
}

/// Three copies of the built-in lesson, so the menu has room to move.
pub(super) fn three_lesson_app() -> App {
    let one = crate::lesson::loader::load(None, 64).unwrap().remove(0);
    let lessons = (0..3)
        .map(|i| Lesson {
            id: format!("{}-{i}", one.id),
            ..one.clone()
        })
        .collect();
    App::new(lessons, Lang::En)
}

pub(super) fn fanout() -> &'static crate::scenario::Scenario {
    crate::scenario::find("fork-fanout").unwrap()
}

/// A lesson opened (step mode, speed 1).
pub(super) fn in_lesson() -> App {
    let mut app = lesson_app();
    update(&mut app, press(KeyCode::Enter));
    app
}

/// A bare scenario run (playing, no lesson).
pub(super) fn in_bare_run() -> App {
    let mut app = lesson_app();
    let params = crate::scenario::params::Params::defaults(fanout().params);
    app.open_run(fanout(), params, 1.0);
    app
}

pub(super) fn run(app: &App) -> &RunView {
    app.run.as_ref().expect("a run is open")
}

pub(super) fn spawn(ppid: i32, label: &str) -> EventKind {
    EventKind::Spawn {
        ppid,
        label: label.into(),
        start: None,
    }
}

pub(super) fn state(letter: &str, reason: &str) -> EventKind {
    EventKind::State {
        state: letter.into(),
        reason: reason.into(),
        cpu: None,
        ignored: Vec::new(),
        caught: Vec::new(),
        core: None,
    }
}

pub(super) fn reap(child: i32, status: i32) -> EventKind {
    EventKind::Reap {
        child,
        status,
        code: None,
        signal: None,
    }
}
