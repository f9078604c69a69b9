//! Python lessons on screen: closed without an interpreter (with the reason, in the
//! screen's language), and where each process of the real program is (the WHERE
//! column, ◆/◇ in the code pane).

use super::tests::{lessons_app, screen, send, spawn};
use crate::app::{Msg, update};
use crate::lesson::Lang;
use crate::trace::event::EventKind;

/// A Python lesson with no interpreter is closed in the menu with the reason; the
/// compiled lessons still open. With one, it opens as a trace of its own program.
#[test]
fn python_lessons_need_an_interpreter() {
    let mut app = lessons_app(Lang::En);
    let python = app
        .lessons
        .iter()
        .position(|l| l.is_python())
        .expect("a built-in Python lesson");
    app.python = Err(crate::python::NoPython::NotOnPath);
    app.menu_selected = python;
    let shown = screen(&app, 100, 30);
    assert!(shown.contains(&format!("⊘ {:>2}.", python + 1)), "{shown}");
    assert!(shown.contains("Closed: no python3 on PATH"), "{shown}");
    assert!(app.open_lesson(python).is_empty(), "nothing starts");
    assert!(app.notice.take().unwrap().contains("no python3 on PATH"));
    assert!(
        !app.open_lesson(0).is_empty(),
        "a compiled lesson still runs"
    );
    // The reason in the screen's language.
    let mut app = lessons_app(Lang::Zh);
    app.python = Err(crate::python::NoPython::NotOnPath);
    app.menu_selected = python;
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("PATH 中没有 python3"), "{shown}");
    assert!(!shown.contains("install Python"), "{shown}");

    let mut app = lessons_app(Lang::En);
    app.python = Ok("/usr/bin/python3".into());
    app.menu_selected = python;
    let shown = screen(&app, 100, 30);
    assert!(!shown.contains('⊘'), "{shown}");
    assert!(shown.contains("your python3 runs the program"), "{shown}");
    let cmds = app.open_lesson(python);
    let [crate::app::Command::StartTrace { req, cores }] = &cmds[..] else {
        panic!("a Python lesson starts a trace: {cmds:?}");
    };
    assert_eq!(req.argv, vec!["/usr/bin/python3".to_string()]);
    let lesson = req.lesson.as_ref().unwrap();
    assert_eq!(lesson.steps.len(), app.lessons[python].steps.len());
    assert!(lesson.program.contains("mp.Pipe()"));
    assert!(
        app.run.as_ref().unwrap().step_mode(),
        "it waits at its steps"
    );
    // real-pipe asks for no pane: no core is sampled, the tree shows alone.
    assert!(!cores, "real-pipe samples no core");
    assert_eq!(app.run.as_ref().unwrap().view, crate::scenario::View::TREE);

    // threads-vs-processes asks for the cores (`pane = "cores"`): sampled and drawn.
    let threads = app
        .lessons
        .iter()
        .position(|l| l.id == "threads-vs-processes")
        .expect("lesson 20");
    let cmds = app.open_lesson(threads);
    let [crate::app::Command::StartTrace { cores, .. }] = &cmds[..] else {
        panic!("a Python lesson starts a trace: {cmds:?}");
    };
    assert!(cores, "its cores are sampled");
    assert_eq!(
        app.run.as_ref().unwrap().view.pane,
        crate::scenario::Pane::Cores
    );
}

/// A Python lesson's run: each process's place in the real program (`where`) shows in
/// the tree's WHERE column and as a mark in the code pane (◆ the selected process, ◇
/// the others); a process named by the function it runs (`label`) is so named.
#[test]
fn python_lesson_marks_where_each_process_is() {
    let mut app = lessons_app(Lang::En);
    app.python = Ok("/usr/bin/python3".into());
    let index = app
        .lessons
        .iter()
        .position(|l| l.id == "real-pipe")
        .unwrap();
    app.open_lesson(index);
    send(&mut app, 1, 10, spawn(9, "tracer"));
    send(&mut app, 2, 11, spawn(10, "main"));
    send(&mut app, 3, 12, spawn(11, "python3"));
    let label = EventKind::Value {
        name: "label".into(),
        value: "child".into(),
    };
    send(&mut app, 4, 12, label);
    let at = |line: u32, function: &str| EventKind::Where {
        file: "/tmp/proclab-0/1-0/real-pipe.py".into(),
        line,
        function: function.into(),
    };
    send(&mut app, 5, 11, at(18, "<module>"));
    send(&mut app, 5, 12, at(6, "child"));
    // Library frames are not the lesson's program: no mark for them.
    let elsewhere = EventKind::Where {
        file: "/usr/lib/python3.11/multiprocessing/connection.py".into(),
        line: 378,
        function: "Connection._recv".into(),
    };
    send(&mut app, 5, 10, elsewhere);
    send(
        &mut app,
        6,
        12,
        EventKind::Gate {
            name: "sent".into(),
            slot: None,
        },
    );
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("WHERE"), "{shown}");
    assert!(shown.contains("child:6"), "{shown}");
    assert!(shown.contains("<module>:18"), "{shown}");
    assert!(
        shown.contains("_recv:378"),
        "the tracer row's place, as read: {shown}"
    );
    assert!(shown.contains("└─ child"), "named by its function: {shown}");
    assert!(
        shown.contains("▶ 6     conn.send"),
        "the step's line: {shown}"
    );
    assert!(
        shown.contains("◇18     got = here.recv()"),
        "main's place: {shown}"
    );
    // The selected process (child, two rows down) is ◆.
    update(&mut app, Msg::Action(crate::app::Action::Down));
    update(&mut app, Msg::Action(crate::app::Action::Down));
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("◆ 6     conn.send"), "{shown}");
    assert!(!shown.contains("◆18"), "{shown}");
    // Presenter mode at a projector's 100×30: WHERE leaves the reason a few columns.
    // Too few to hold words, a cut reason stays on its row with "…" rather than
    // breaking every word in two on a second line ("waiti" / "ng o…").
    update(&mut app, Msg::Action(crate::app::Action::Present));
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("<module>:18"), "{shown}");
    let tree_rows: Vec<&str> = shown
        .lines()
        .skip_while(|l| !l.contains("WHERE"))
        .take(4)
        .collect();
    assert!(
        tree_rows
            .iter()
            .skip(1)
            .all(|l| l.contains("tracer") || l.contains("─ ")),
        "the three rows below the header are the processes: {tree_rows:#?}"
    );
}
