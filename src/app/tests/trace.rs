//! A traced program (`proclab trace`) in the run view: started and restarted as a
//! trace, named by what it runs after exec, and no controls that cannot apply.

#![allow(
    clippy::float_cmp,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

use super::*;
use crate::ptrace::tracer::TraceRequest;

/// A traced process announced (`spawn`, labelled as the command it started as).
fn spawned(app: &mut App, pid: i32, ppid: i32) {
    update(
        app,
        ev(
            pid,
            EventKind::Spawn {
                ppid,
                label: "sh".into(),
                start: None,
            },
        ),
    );
}

fn traced_app() -> (App, Vec<Command>) {
    let mut app = App::new(Vec::new(), Lang::En);
    let req = TraceRequest {
        argv: vec!["sh".into(), "-c".into(), "ls | wc -l".into()],
        stdin: false,
        no_pipes: false,
        cap: 64,
        lesson: None,
        step_every: false,
        hold: true,
    };
    let cmds = app.open_trace(req);
    (app, cmds)
}

#[test]
fn a_trace_starts_and_restarts_as_a_trace() {
    let (mut app, cmds) = traced_app();
    assert!(matches!(&cmds[..], [Command::StartTrace { req: r, .. }] if r.argv[0] == "sh"));
    assert_eq!(app.screen, Screen::Run);
    let cmds = update(&mut app, Msg::Action(Action::Restart));
    assert!(matches!(&cmds[..], [Command::StartTrace { req: r, .. }] if r.argv[2] == "ls | wc -l"));
}

#[test]
fn exec_renames_the_process() {
    let (mut app, _) = traced_app();
    spawned(&mut app, 40, 1);
    update(
        &mut app,
        ev(
            40,
            EventKind::Exec {
                program: "/usr/bin/wc".into(),
                argv: vec!["wc".into(), "-l".into()],
            },
        ),
    );
    let run = app.run.as_ref().unwrap();
    assert_eq!(run.procs.get(40).unwrap().label, "wc");
    assert!(
        run.log
            .back()
            .unwrap()
            .text
            .contains("exec /usr/bin/wc wc -l")
    );
}

#[test]
fn space_pauses_a_trace_and_p_steps_it_but_speed_means_nothing() {
    let (mut app, _) = traced_app();
    for a in [Action::Faster, Action::Slower] {
        assert!(update(&mut app, Msg::Action(a)).is_empty(), "{a:?}");
    }
    assert_eq!(app.run.as_ref().unwrap().speed, 1.0);
    // Space: the tracer holds the whole program until Space again.
    assert_eq!(
        update(&mut app, Msg::Action(Action::Step)),
        vec![Command::SetPaused(true)]
    );
    assert!(app.run.as_ref().unwrap().paused());
    // p: hold at every event from now on (the pause is lifted: Space means "next").
    assert_eq!(
        update(&mut app, Msg::Action(Action::Play)),
        vec![Command::SetStepMode(true), Command::SetPaused(false)]
    );
    let run = app.run.as_ref().unwrap();
    assert!(run.step_mode() && !run.paused());
}

#[test]
fn trace_step_starts_in_step_mode_and_restarts_so() {
    let mut app = App::new(Vec::new(), Lang::En);
    let req = TraceRequest {
        step_every: true,
        ..traced_app().0.run.unwrap().trace.unwrap()
    };
    app.open_trace(req);
    assert!(app.run.as_ref().unwrap().step_mode());
    let cmds = update(&mut app, Msg::Action(Action::Restart));
    assert!(matches!(&cmds[..], [Command::StartTrace { req: r, .. }] if r.step_every));
    assert!(
        app.run.as_ref().unwrap().step_mode(),
        "a restart keeps holding at events"
    );
}

#[test]
fn a_child_the_kernel_released_is_gone_with_no_reaper_and_the_role_renames_a_server() {
    let (mut app, _) = traced_app();
    spawned(&mut app, 40, 1);
    spawned(&mut app, 41, 40);
    spawned(&mut app, 42, 40);
    update(
        &mut app,
        ev(
            41,
            EventKind::Released {
                parent: 40,
                status: 256,
                code: Some(1),
                signal: None,
                why: "its parent ignores SIGCHLD, so the kernel reaped it at once".into(),
            },
        ),
    );
    update(
        &mut app,
        ev(
            42,
            EventKind::Value {
                name: "role".into(),
                value: "Manager server".into(),
            },
        ),
    );
    let run = app.run.as_ref().unwrap();
    let released = run.procs.get(41).unwrap();
    assert!(released.is_ghost());
    assert!(
        released
            .released
            .as_deref()
            .is_some_and(|w| w.contains("SIGCHLD"))
    );
    assert_eq!(run.procs.get(42).unwrap().label, "Manager server");
    assert!(
        run.procs.get(42).unwrap().values.is_empty(),
        "a label, not a value"
    );
    let last = &run.log.back().unwrap().text;
    assert!(last.contains("role"), "{last}");
    let screen = crate::ui::tests::screen(&app, 120, 30);
    assert!(
        screen.contains("released, no wait: exit 1 (status 256)"),
        "{screen}"
    );
    assert!(!screen.contains("reaped: exit 1"), "{screen}");
    assert!(screen.contains("Manager server"), "{screen}");
    // No menu to go back to: the key line offers q, not a "back" that quits.
    assert!(
        screen.contains("q  quit") && !screen.contains("Esc  back"),
        "{screen}"
    );
}

#[test]
fn tab_gives_the_message_pane_room_to_the_log_and_back() {
    let (mut app, _) = traced_app();
    spawned(&mut app, 40, 1);
    update(
        &mut app,
        ev(
            40,
            EventKind::Send {
                channel: "pipe 9 write".into(),
                item: "hello".into(),
                repr: None,
            },
        ),
    );
    let screen = |app: &App| crate::ui::tests::screen(app, 80, 24);
    let before = screen(&app);
    assert!(
        before.contains("Pipe ·") && before.contains("Tab  log"),
        "{before}"
    );
    update(&mut app, Msg::Action(Action::SwapPane));
    let after = screen(&app);
    assert!(
        !after.contains("Pipe ·") && after.contains("Tab  pane"),
        "{after}"
    );
    let log_rows = |s: &str| s.lines().skip_while(|l| !l.contains("Event log")).count();
    assert!(
        log_rows(&after) > log_rows(&before),
        "the log grew\n{after}"
    );
    update(&mut app, Msg::Action(Action::SwapPane));
    assert_eq!(screen(&app), before, "and back");
}
