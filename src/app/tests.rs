//! Unit tests of the pure `update`.
use super::*;
use crate::trace::event::{Event, EventKind};

fn ev(pid: i32, kind: EventKind) -> Msg {
    Msg::Event(Event { t_us: 1, pid, kind })
}

fn lesson_app() -> App {
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    App::new(lessons, Lang::En)
}

#[test]
fn enter_opens_a_lesson_in_step_mode() {
    let mut app = lesson_app();
    let cmds = update(&mut app, Msg::Action(Action::Open));
    assert!(matches!(&cmds[..], [Command::StartRun { step_mode: true, .. }]));
    assert_eq!(app.screen, Screen::Run);
}

#[test]
fn gate_holds_and_space_grants_a_permit() {
    let mut app = lesson_app();
    update(&mut app, Msg::Action(Action::Open));
    update(&mut app, ev(10, EventKind::Gate { name: "first-fork".into() }));
    let run = app.run.as_ref().unwrap();
    assert!(run.held);
    assert_eq!(run.step, Some(1));
    let cmds = update(&mut app, Msg::Action(Action::Step));
    assert_eq!(cmds, vec![Command::Permit]);
    assert!(!app.run.as_ref().unwrap().held);
}
