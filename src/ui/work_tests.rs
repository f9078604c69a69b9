//! Snapshots of the work and cores panes from fixed events: the speedup sweep, a
//! round's header, other programs on the cores, a Python lesson's cores, cut reasons.

#![allow(
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

use super::flow_tests::run_of;
use super::tests::{screen, send, spawn, state};
use crate::app::App;
use crate::lesson::Lang;
use crate::trace::event::EventKind;

/// A real run of the speedup sweep (`proclab run pi --json --set sweep=true --set
/// workers=4 --set terms=100000000 --speed 1000`, recorded on a busy 2-core machine),
/// so the screen is fed what a run really says: workers forked, reported, exited and
/// reaped round after round, main's gates, the lesson clock.
const PI_SWEEP: &str = include_str!("../../tests/fixtures/pi-sweep-4.jsonl");

/// The speedup lesson mid-sweep (fed the recording up to round 3, its three workers
/// computing), in the narrow pane beside the narration: the table of finished rounds
/// first, then only the current round's gauges.
#[test]
fn speedup_sweep_in_the_lesson_pane() {
    use crate::app::{Action, Msg, update};
    use crate::trace::event::Event;
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    let at = lessons.iter().position(|l| l.id == "speedup").unwrap();
    let mut app = App::new(lessons, Lang::En);
    app.menu_selected = at;
    update(&mut app, Msg::Action(Action::Open));
    let events: Vec<Event> = PI_SWEEP
        .lines()
        .map(|l| serde_json::from_str(l).expect("a wire line"))
        .collect();
    // Up to round 3's fork gate and its workers' first progress reports.
    let round_3 = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Gate { name, .. } if name == "forked"))
        .nth(2)
        .map(|g| g.t_us)
        .expect("a third round");
    let mut fed = 0;
    let mut reported = std::collections::BTreeSet::new();
    for e in &events {
        if e.t_us > round_3 && matches!(e.kind, EventKind::Progress { .. }) {
            reported.insert(e.pid);
        }
        update(&mut app, Msg::Event(e.clone()));
        fed += 1;
        if reported.len() == 3 {
            break;
        }
    }
    assert!(fed < events.len(), "stopped mid-run");
    let run = app.run.as_ref().expect("a run");

    // The model: what the recording says at that moment.
    let live: Vec<&str> = run
        .procs
        .rows()
        .iter()
        .filter(|p| p.reaped.is_none())
        .map(|p| p.label.as_str())
        .collect();
    assert_eq!(live, ["main", "worker 0", "worker 1", "worker 2"]);
    let reaped = run
        .procs
        .rows()
        .iter()
        .filter(|p| p.reaped.is_some())
        .count();
    assert_eq!(reaped, 3, "round 1's worker and round 2's two");
    let result = |name: &str| {
        events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Result { name: n, value } if n == name => value.as_f64(),
                _ => None,
            })
            .unwrap()
    };
    let rounds: Vec<(u64, f64, f64)> = (1..=2)
        .map(|n| {
            (
                n,
                result(&format!("time_{n}")),
                result(&format!("speedup_{n}")),
            )
        })
        .collect();
    assert_eq!(
        run.work.sweep, rounds,
        "the rounds as the run reported them"
    );
    let lesson = &app.lessons[at];
    assert_eq!(run.step, lesson.step_for_gate("forked"));
    assert_eq!(
        run.now_us,
        events[..fed].iter().map(|e| e.t_us).max().unwrap()
    );

    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Processes 4 alive · 7 created"), "{shown}");
    assert!(shown.contains("Step 2/3 · round 3 of 4"), "{shown}");
    insta::assert_snapshot!("speedup_sweep", shown);
}

/// The speedup lesson's round step comes back once per round: its header counts the
/// run's own arrivals at the gate (the recording's four), never "Step 2/3" alone;
/// the steps before and after it have no round.
#[test]
fn speedup_header_says_which_round() {
    use crate::app::{Action, Msg, update};
    use crate::trace::event::Event;
    let lessons = crate::lesson::loader::load(None, 64).unwrap();
    let at = lessons.iter().position(|l| l.id == "speedup").unwrap();
    let mut app = App::new(lessons, Lang::En);
    app.menu_selected = at;
    update(&mut app, Msg::Action(Action::Open));
    let mut headers = Vec::new();
    for line in PI_SWEEP.lines() {
        let e: Event = serde_json::from_str(line).expect("a wire line");
        let gate = matches!(&e.kind, EventKind::Gate { slot: None, .. });
        update(&mut app, Msg::Event(e));
        if gate {
            let shown = screen(&app, 120, 40);
            let header = shown
                .lines()
                .find(|l| l.contains("Step "))
                .unwrap_or_default()
                .to_string();
            headers.push(header);
        }
    }
    let said: Vec<bool> = (1..=4)
        .map(|k| {
            headers
                .iter()
                .any(|h| h.contains(&format!("Step 2/3 · round {k} of 4")))
        })
        .collect();
    assert_eq!(said, [true; 4], "{headers:#?}");
    assert!(
        headers
            .iter()
            .all(|h| h.contains("Step 2/3 ·") || !h.contains("Step 2/3")),
        "{headers:#?}"
    );
    assert!(
        headers
            .iter()
            .any(|h| h.contains("Step 3/3") && !h.contains("round")),
        "{headers:#?}"
    );
}

/// The Work pane says when other programs take the cores: the cores' load minus what
/// the run's own processes use (here 150% busy, the worker 97%: others ~53%).
#[test]
fn work_pane_says_when_other_programs_take_the_cores() {
    let mut app = run_of("pi", &["workers=1", "terms=1000"]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "worker 0"));
    send(
        &mut app,
        3,
        1001,
        EventKind::Progress {
            done: 10,
            total: 1000,
        },
    );
    let quiet = screen(&app, 120, 40);
    assert!(!quiet.contains("other programs"), "{quiet}");
    let running = EventKind::State {
        state: "R".into(),
        reason: "running".into(),
        cpu: Some(97.0),
        ignored: vec![],
        caught: vec![],
        core: Some(0),
    };
    send(&mut app, 4, 1001, running);
    let cpu = || EventKind::Cpu {
        cores: vec![100.0, 50.0],
    };
    // One reading is not enough (a worker that just exited looks like another program).
    send(&mut app, 5, 0, cpu());
    assert!(!screen(&app, 120, 40).contains("other programs"));
    send(&mut app, 6, 0, cpu());
    send(&mut app, 7, 0, cpu());
    let busy = screen(&app, 120, 40);
    assert!(busy.contains("other programs use ~53% CPU"), "{busy}");
}

/// A Python lesson with `pane = "cores"` (threads-vs-processes): each core's load
/// over time from the observer's readings, and the program's printed lines below;
/// cores that do not fit are counted, never dropped silently.
#[test]
fn cores_pane_of_a_python_lesson() {
    let mut app = super::tests::lessons_app(Lang::En);
    app.python = Ok("/usr/bin/python3".into());
    let lesson = app
        .lessons
        .iter()
        .position(|l| l.id == "threads-vs-processes")
        .expect("lesson 20");
    let _ = app.open_lesson(lesson);
    send(&mut app, 1, 1000, spawn(999, "tracer"));
    send(&mut app, 2, 1001, spawn(1000, "main"));
    let print = |text: &str| EventKind::Print { text: text.into() };
    send(&mut app, 3, 1001, print("cores: 2"));
    let before = screen(&app, 120, 40);
    assert!(before.contains(" Cores "), "{before}");
    assert!(
        !before.contains("0 cores"),
        "no count before a reading: {before}"
    );
    assert!(before.contains("the program printed:"), "{before}");
    for (t, busy) in [(4, 100.0), (5, 100.0), (6, 40.0)] {
        send(
            &mut app,
            t,
            0,
            EventKind::Cpu {
                cores: vec![busy, 30.0],
            },
        );
    }
    send(&mut app, 7, 1001, print("burn threads: 2.06 s on 1.0 CPUs"));
    let shown = screen(&app, 120, 40);
    for text in [
        "Cores 2 cores",
        "each core's load while the program runs",
        "core 0  40% ██▃",
        "core 1  30% ▂▂▂",
        "the program printed:",
        "cores: 2",
        "burn threads: 2.06 s on 1.0 CPUs",
    ] {
        assert!(shown.contains(text), "{text:?} in {shown}");
    }
    insta::assert_snapshot!("cores_pane", shown);

    // Twelve cores: the pane takes the rows they need from the narration.
    send(
        &mut app,
        8,
        0,
        EventKind::Cpu {
            cores: vec![50.0; 12],
        },
    );
    let many = screen(&app, 120, 40);
    assert!(many.contains("Cores 12 cores"), "{many}");
    assert!(many.contains("core 11 "), "{many}");
    // More cores than rows: the first ones drawn, the rest counted.
    send(
        &mut app,
        9,
        0,
        EventKind::Cpu {
            cores: vec![50.0; 40],
        },
    );
    let many = screen(&app, 120, 40);
    assert!(many.contains("Cores 40 cores"), "{many}");
    // 21 rows inside the pane (the narration keeps its 8): the caption, 16 cores, a
    // blank, the heading, 2 lines.
    assert!(
        many.contains("24 more cores: a taller terminal shows them"),
        "{many}"
    );
    assert!(
        many.contains("core 15 ") && !many.contains("core 16"),
        "{many}"
    );
    assert!(
        many.contains("burn threads: 2.06 s"),
        "the printed lines stay: {many}"
    );

    app.lang = Lang::Zh;
    let zh = screen(&app, 120, 40);
    for text in [
        "核心 40 个核心",
        "另有 24 个核心放不下",
        "核心 0  50%",
        "程序打印了：",
    ] {
        assert!(zh.contains(text), "{text:?} in {zh}");
    }
}

/// A finished pi worker, a zombie until main joins it, at 80×24: its reason in the
/// Work pane ends with "…" where the pane is too narrow (before: "exited; parent
/// hasn'" and the border), and the pane's title says no "0 cores" before the first
/// reading of the cores.
#[test]
fn work_pane_marks_a_cut_reason_and_counts_no_cores_unread() {
    use crate::app::{Action, Msg, update};
    let mut app = run_of("pi", &["workers=2", "terms=1000"]);
    send(&mut app, 1, 1000, spawn(999, "main"));
    for (pid, label) in [(1001, "worker 0"), (1002, "worker 1")] {
        send(&mut app, 2, pid, spawn(1000, label));
        send(
            &mut app,
            3,
            pid,
            EventKind::Progress {
                done: 500,
                total: 500,
            },
        );
    }
    send(&mut app, 4, 1001, EventKind::Exit { code: 0 });
    send(&mut app, 5, 1001, state('Z', ""));
    let shown = screen(&app, 80, 24);
    let row = shown
        .lines()
        .find(|l| l.contains("worker 0 [") && l.contains("100%"))
        .unwrap_or_else(|| panic!("worker 0's gauge\n{shown}"));
    // The bars give way to the words: the reason whole.
    assert!(
        row.ends_with("exited; parent hasn't called waitpid│\""),
        "{row}"
    );
    assert!(shown.contains("┌ Work ─"), "{shown}");
    assert!(!shown.contains("0 cores"), "{shown}");
    insta::assert_snapshot!("work_pane_zombie_80x24", shown);
    // In presenter mode the pane is under half the width: the reason ends with "…".
    update(&mut app, Msg::Action(Action::Present));
    let shown = screen(&app, 100, 30);
    let row = shown
        .lines()
        .find(|l| l.contains("worker 0 [") && l.contains("100%"))
        .unwrap_or_else(|| panic!("worker 0's gauge\n{shown}"));
    assert!(row.contains("exited; parent"), "{row}");
    assert!(row.ends_with("…│\""), "{row}");
    insta::assert_snapshot!("work_pane_zombie_present_100x30", shown);
}
