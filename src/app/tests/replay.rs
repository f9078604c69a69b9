//! A replayed run in `update`: nothing may reach a process, restart starts the replay
//! over, and per-process gates just play.
use super::*;

fn replay_app(step_mode: bool) -> App {
    let mut app = lesson_app();
    let spec = crate::scenario::find("lock").unwrap();
    let mut run = RunView::new(None, spec, spec.params_from(&[]).unwrap(), step_mode, 2.0);
    run.replay = true;
    app.start(run);
    app.direct = true;
    app
}

#[test]
fn s_is_refused_in_a_replay() {
    let mut app = replay_app(false);
    update(&mut app, ev(10, spawn_kind("main")));
    let cmds = update(&mut app, press(KeyCode::Char('s')));
    assert!(cmds.is_empty(), "{cmds:?}");
    let run = app.run.as_ref().unwrap();
    assert!(run.signal_menu.is_none());
    let last = run.log.back().unwrap();
    assert!(
        last.text
            .to_string()
            .contains("a replay has no live processes"),
        "{last:?}"
    );
}

#[test]
fn restart_starts_the_replay_over_in_its_mode() {
    let mut app = replay_app(true);
    update(&mut app, ev(10, spawn_kind("main")));
    let cmds = update(&mut app, press(KeyCode::Char('r')));
    assert!(matches!(
        &cmds[..],
        [Command::StartRun {
            step_mode: true,
            ..
        }]
    ));
    let run = app.run.as_ref().unwrap();
    assert!(run.replay && run.step_mode() && run.procs.is_empty());
}

#[test]
fn per_process_gates_do_not_wait_for_the_learner_in_a_replay() {
    let mut app = replay_app(true);
    update(&mut app, ev(10, spawn_kind("main")));
    let gate = EventKind::Gate {
        name: "read".into(),
        slot: Some(0),
    };
    update(&mut app, ev(10, gate));
    assert!(app.run.as_ref().unwrap().slot_held.is_empty());
}

#[test]
fn w_asks_the_main_loop_to_save_and_a_note_is_logged() {
    let mut app = replay_app(false);
    let cmds = update(&mut app, press(KeyCode::Char('w')));
    assert_eq!(cmds, vec![Command::SaveTrace { scenario: "lock" }]);
    update(&mut app, Msg::Note("trace saved to x.jsonl".into()));
    let last = app.run.as_ref().unwrap().log.back().unwrap().clone();
    assert_eq!(last.class, LogClass::Lifecycle);
    // Said where the learner looks too, until the next key.
    assert_eq!(
        app.notice.as_ref().map(ToString::to_string).as_deref(),
        Some("trace saved to x.jsonl")
    );
    update(&mut app, press(KeyCode::Char('+')));
    assert_eq!(app.notice, None);
    // The run line names what ran; the header already says it.
    let before = app.run.as_ref().unwrap().log.len();
    let e = crate::trace::record::run_event("lock", &app.run.as_ref().unwrap().params);
    update(&mut app, Msg::Event(e));
    assert_eq!(app.run.as_ref().unwrap().log.len(), before);
}

fn spawn_kind(label: &str) -> EventKind {
    EventKind::Spawn {
        ppid: 1,
        label: label.into(),
        start: None,
    }
}
