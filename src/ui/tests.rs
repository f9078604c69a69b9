//! Snapshot tests of rendered screens (TestBackend + insta).
//!
//! Each screen is built only through `update` (and `App::open_*`), with synthetic
//! events whose PIDs and times are fixed, then drawn into a `TestBackend` and
//! snapshotted as text, one quoted row per terminal row. Wide (CJK) characters take
//! two cells; the cell they cover is left out, so every row reads as it looks.
//! Update with `INSTA_UPDATE=always cargo test --lib ui::tests` and read the diffs.

#![allow(
    clippy::cast_possible_truncation,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use crate::app::{Action, App, Msg, update};
use crate::lesson::Lang;
use crate::trace::event::{Event, EventKind};

pub(super) const W: u16 = 120;
pub(super) const H: u16 = 40;

pub(super) fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::ui::render(app, f)).unwrap();
    terminal.backend().buffer().clone()
}

/// The buffer as text: `"…"` per row (quotes keep trailing blanks visible).
pub(super) fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        out.push('"');
        let mut skip = 0usize;
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            if skip > 0 {
                skip -= 1;
                continue;
            }
            out.push_str(cell.symbol());
            skip = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
        }
        out.push_str("\"\n");
    }
    out
}

pub(crate) fn screen(app: &App, width: u16, height: u16) -> String {
    text(&draw(app, width, height))
}

pub(super) fn lessons_app(lang: Lang) -> App {
    App::new(crate::lesson::loader::load(None, 64).unwrap(), lang)
}

/// The built-in lesson `id` opened from the menu (its run not started yet: events
/// are fed by the test).
pub(super) fn lesson_opened(lang: Lang, id: &str) -> App {
    let mut app = lessons_app(lang);
    app.menu_selected = app
        .lessons
        .iter()
        .position(|l| l.id == id)
        .expect("a built-in lesson");
    update(&mut app, Msg::Action(Action::Open));
    app
}

pub(super) fn send(app: &mut App, t_us: u64, pid: i32, kind: EventKind) {
    update(app, Msg::Event(Event { t_us, pid, kind }));
}

/// `item` put on the queue `q`, leaving `len` items in it.
pub(super) fn put(item: i64, len: i64) -> EventKind {
    EventKind::QueuePut {
        queue: "q".into(),
        item: serde_json::json!(item),
        len,
    }
}

/// `item` got from the queue `q`, leaving `len` items in it.
pub(super) fn get(item: i64, len: i64) -> EventKind {
    EventKind::QueueGet {
        queue: "q".into(),
        item: serde_json::json!(item),
        len,
    }
}

pub(super) fn spawn(ppid: i32, label: &str) -> EventKind {
    EventKind::Spawn {
        ppid,
        label: label.into(),
        start: None,
    }
}

/// A state event with the reason the observer would give for this wait channel, and
/// the dispositions every proclab process really has: the Rust runtime ignores SIGPIPE
/// and catches SIGSEGV and SIGBUS (its stack-overflow guard).
pub(super) fn state(letter: char, wchan: &str) -> EventKind {
    EventKind::State {
        state: letter.to_string(),
        reason: crate::observe::procfs::reason(letter, wchan),
        cpu: None,
        ignored: vec!["SIGPIPE".into()],
        caught: vec!["SIGBUS".into(), "SIGSEGV".into()],
        core: None,
    }
}

pub(super) fn print(text: &str) -> EventKind {
    EventKind::Print { text: text.into() }
}

pub(super) fn gate(name: &str) -> EventKind {
    EventKind::Gate {
        name: name.into(),
        slot: None,
    }
}

/// The fork-fanout lesson up to its `forked-all` gate: main 1000 (spawned by 999)
/// with children 1001..1003; child 0 has exited (zombie), the others sleep. Main is
/// held at the gate. `t(i)` gives the time of the i-th event.
pub(super) fn fanout_at_forked_all(app: &mut App, t: &dyn Fn(u64) -> u64) {
    let mut i = 0;
    let mut next = || {
        i += 1;
        t(i)
    };
    send(app, next(), 1000, spawn(999, "main"));
    send(app, next(), 1000, print("main 1000: forking 3 times"));
    send(app, next(), 1000, gate("start"));
    update(app, Msg::Action(Action::Step));
    for (k, pid) in [1001, 1002, 1003].into_iter().enumerate() {
        send(app, next(), pid, spawn(1000, &format!("child {k}")));
        send(app, next(), 1000, print(&format!("parent: forked {pid}")));
        send(
            app,
            next(),
            pid,
            print(&format!("child {k}: {pid}, parent 1000")),
        );
        send(app, next(), pid, state('S', "hrtimer_nanosleep"));
        if k == 0 {
            send(app, next(), 1000, gate("first-fork"));
            update(app, Msg::Action(Action::Step));
        }
    }
    send(app, next(), 1001, EventKind::Exit { code: 0 });
    send(app, next(), 1001, state('Z', ""));
    send(app, next(), 1000, gate("forked-all"));
    send(app, next(), 1000, state('S', "futex_do_wait"));
}

/// From `forked-all`: Space, then main reaps child 0 and child 1 has exited too.
fn fanout_one_reaped(app: &mut App, t: &dyn Fn(u64) -> u64) {
    update(app, Msg::Action(Action::Step));
    send(
        app,
        t(30),
        1000,
        EventKind::Reap {
            child: 1001,
            status: 0,
            code: Some(0),
            signal: None,
        },
    );
    send(app, t(31), 1000, print("reaped 1001: status 0"));
    send(app, t(32), 1002, EventKind::Exit { code: 0 });
    send(app, t(33), 1002, state('Z', ""));
    send(app, t(34), 1000, state('S', "do_wait"));
}

/// Fixed times: 0.25 s apart.
pub(super) fn fixed(i: u64) -> u64 {
    i * 250_000
}

pub(super) fn fanout_app(lang: Lang) -> App {
    let mut app = lessons_app(lang);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    fanout_one_reaped(&mut app, &fixed);
    app
}

#[test]
fn lesson_fork_fanout_one_reaped() {
    let app = fanout_app(Lang::En);
    let shown = screen(&app, W, H);
    // The header counts what the model holds: child 0 reaped, child 1 a zombie.
    let run = app.run.as_ref().unwrap();
    let rows = run.procs.rows();
    let reaped: Vec<i32> = rows
        .iter()
        .filter(|p| p.reaped.is_some())
        .map(|p| p.pid)
        .collect();
    let zombies: Vec<i32> = rows
        .iter()
        .filter(|p| p.reaped.is_none() && p.state == Some('Z'))
        .map(|p| p.pid)
        .collect();
    assert_eq!((reaped, zombies), (vec![1001], vec![1002]));
    assert!(
        shown.contains("Processes 2 alive · 1 zombie · 4 created"),
        "{shown}"
    );
    assert!(shown.contains("reaped: exit 0 (status 0)"), "{shown}");
    insta::assert_snapshot!("lesson_fork_fanout", shown);
}

#[test]
fn lesson_fork_fanout_zh() {
    let app = fanout_app(Lang::Zh);
    let shown = screen(&app, W, H);
    // The same run, the narration in Chinese: the step's title as the lesson has it.
    let run = app.run.as_ref().unwrap();
    let step = &app.lessons[app.menu_selected].steps[run.step.unwrap()];
    assert!(shown.contains(step.title.get(Lang::Zh)), "{shown}");
    for pid in [1000, 1001, 1002, 1003] {
        assert!(shown.contains(&format!("{pid} ")), "{pid}\n{shown}");
    }
    insta::assert_snapshot!("lesson_fork_fanout_zh", shown);
}

#[test]
fn lesson_held_at_a_gate() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    assert!(app.run.as_ref().unwrap().held());
    insta::assert_snapshot!("lesson_held_at_forked_all", screen(&app, W, H));
}

#[test]
fn lesson_at_the_minimum_size() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    let shown = screen(&app, crate::ui::MIN_WIDTH, crate::ui::MIN_HEIGHT);
    // Everything that matters still fits: held at the gate the run reported, every
    // process of the tree.
    let run = app.run.as_ref().unwrap();
    assert_eq!(run.gate.as_deref(), Some("forked-all"));
    assert!(shown.contains("AT STEP 'forked-all'"), "{shown}");
    for p in run.procs.rows() {
        assert!(shown.contains(&format!("{} ", p.pid)), "{}\n{shown}", p.pid);
    }
    insta::assert_snapshot!("lesson_held_80x24", shown);
}

/// The details under the tree for a child killed by SIGKILL: on the narrowest screen
/// the raw status ends the first line and its decoding fills the second.
#[test]
fn details_of_a_killed_child_80x24() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    send(
        &mut app,
        fixed(30),
        1000,
        EventKind::Reap {
            child: 1002,
            status: 9,
            code: None,
            signal: Some("SIGKILL".into()),
        },
    );
    // The selection followed the reap.
    assert_eq!(app.run.as_ref().unwrap().selected_row().unwrap().pid, 1002);
    insta::assert_snapshot!(
        "details_killed_child_80x24",
        screen(&app, crate::ui::MIN_WIDTH, crate::ui::MIN_HEIGHT)
    );
}

/// `s` on child 1: the signal menu over the lesson, SIGTERM preselected.
#[test]
fn signal_overlay() {
    let mut app = fanout_app(Lang::En);
    // The selection followed child 0's reap; one down is child 1.
    update(&mut app, Msg::Action(Action::Down));
    update(&mut app, Msg::Action(Action::Signal));
    let menu = app.run.as_ref().unwrap().signal_menu.as_ref().unwrap();
    assert_eq!(menu.pid, 1002);
    insta::assert_snapshot!("signal_overlay", screen(&app, W, H));
}

/// The signal menu on the smallest terminal, SIGSTOP chosen.
#[test]
fn signal_overlay_80x24() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    update(&mut app, Msg::Action(Action::Down));
    update(&mut app, Msg::Action(Action::Down));
    update(&mut app, Msg::Action(Action::Signal));
    for _ in 0..4 {
        update(&mut app, Msg::Action(Action::Down));
    }
    let shown = screen(&app, crate::ui::MIN_WIDTH, crate::ui::MIN_HEIGHT);
    let menu = app.run.as_ref().unwrap().signal_menu.as_ref().unwrap();
    assert_eq!(
        (menu.pid, menu.signal()),
        (1002, nix::sys::signal::Signal::SIGSTOP)
    );
    assert!(shown.contains("Signal → child 1 (PID 1002)"), "{shown}");
    assert!(shown.contains("SIGSTOP"), "{shown}");
    insta::assert_snapshot!("signal_overlay_80x24", shown);
}

#[test]
fn help_overlay() {
    let mut app = fanout_app(Lang::En);
    update(&mut app, Msg::Action(Action::Help));
    assert!(app.help);
    let shown = screen(&app, W, H);
    assert!(shown.contains("Keys · ? or Esc to close"), "{shown}");
    assert!(shown.contains("send a signal"), "{shown}");
    insta::assert_snapshot!("help_overlay", shown);
}

#[test]
fn help_overlay_on_the_smallest_terminal() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Help));
    let shown = screen(&app, crate::ui::MIN_WIDTH, crate::ui::MIN_HEIGHT);
    // The same keys as on a large terminal, down to the last (quit).
    let large = screen(&app, W, H);
    let quit = large
        .lines()
        .filter(|l| l.contains(" q ") || l.contains("  q"))
        .count();
    assert!(quit > 0, "{large}");
    assert!(shown.contains("Keys · ? or Esc to close"), "{shown}");
    assert!(shown.contains("quit"), "{shown}");
    insta::assert_snapshot!("help_overlay_80x24", shown);
}

#[test]
fn too_small() {
    let app = fanout_app(Lang::En);
    let shown = screen(&app, 70, 20);
    let need = format!(
        "It is 70×20; proclab needs at least {}×{}.",
        crate::ui::MIN_WIDTH,
        crate::ui::MIN_HEIGHT
    );
    assert!(shown.contains(&need), "{shown}");
    insta::assert_snapshot!("too_small_70x20", shown);
}

#[test]
fn bare_scenario_run() {
    let mut app = lessons_app(Lang::En);
    let spec = crate::scenario::find("fork-fanout").unwrap();
    let params = spec.params_from(&["children=2".into()]).unwrap();
    app.open_run(spec, params, 4.0);
    send(&mut app, 1_000, 2000, spawn(1999, "main"));
    send(&mut app, 2_000, 2000, print("main 2000: forking 2 times"));
    send(&mut app, 3_000, 2000, gate("start"));
    send(&mut app, 400_000, 2001, spawn(2000, "child 0"));
    send(&mut app, 401_000, 2001, state('R', ""));
    send(&mut app, 800_000, 2002, spawn(2000, "child 1"));
    send(
        &mut app,
        810_000,
        2002,
        EventKind::State {
            state: "R".into(),
            reason: crate::observe::procfs::reason('R', ""),
            cpu: Some(99.0),
            ignored: vec!["SIGPIPE".into()],
            caught: vec!["SIGBUS".into(), "SIGSEGV".into()],
            core: None,
        },
    );
    send(
        &mut app,
        820_000,
        2001,
        EventKind::Reparent {
            old_ppid: 2000,
            ppid: 1,
        },
    );
    update(
        &mut app,
        Msg::Warning("malformed line on the wire (EOF): {\"t_us\":".into()),
    );
    update(&mut app, Msg::Action(Action::Down));
    let run = app.run.as_ref().unwrap();
    assert!(run.lesson.is_none() && !run.step_mode());
    let shown = screen(&app, W, H);
    // A bare run has no menu to go back to: the key bar offers no "Esc back".
    let keys = shown.lines().last().unwrap_or("");
    assert!(keys.contains("q  quit") && !keys.contains("back"), "{keys}");
    insta::assert_snapshot!("bare_run_playing", shown);
}

/// A run as it really arrives: times taken from the clock, so they differ on every
/// test run; filters mask them (header `t = …s`, the log's time column and the
/// summary's duration, should the log be wide enough to show it).
#[test]
fn ended_run_with_clock_times() {
    let start = std::time::Instant::now();
    let clock = move |i: u64| start.elapsed().as_micros() as u64 + i * 137_911;
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &clock);
    fanout_one_reaped(&mut app, &clock);
    update(&mut app, Msg::Action(Action::Play));
    for child in [1002, 1003] {
        send(
            &mut app,
            clock(40),
            1000,
            EventKind::Reap {
                child,
                status: if child == 1003 { 9 } else { 0 },
                code: (child == 1002).then_some(0),
                signal: (child == 1003).then(|| "SIGKILL".to_string()),
            },
        );
    }
    send(&mut app, clock(41), 1000, gate("reaped-all"));
    send(&mut app, clock(42), 1000, print("all children reaped"));
    send(
        &mut app,
        clock(43),
        1000,
        EventKind::Summary {
            processes: 4,
            leaked: 0,
            duration_us: clock(43),
            results: Default::default(),
        },
    );
    update(&mut app, Msg::RunEnded);
    // Stopping the run: the front end (999) reaps main, as `Session::stop` reports it.
    send(
        &mut app,
        clock(44),
        999,
        EventKind::Reap {
            child: 1000,
            status: 0,
            code: Some(0),
            signal: None,
        },
    );
    let run = app.run.as_ref().unwrap();
    assert!(run.ended() && run.procs.alive() == 0);
    insta::with_settings!({filters => vec![
        (r"t = \d+\.\d+s", "t = [T]"),
        (r"│ *\d+\.\d\ds ", "│ [T] "),
        // The event log's time column (one decimal, then the PID).
        (r"│ *\d+\.\d( +\d+ )", "│ [T]$1"),
        (r"\d+\.\d{3}s", "[DURATION]"),
    ]}, {
        insta::assert_snapshot!("lesson_ended_clock_times", screen(&app, W, H));
    });
}

/// Text snapshots lose colour; the few styles that carry meaning are checked here.
#[test]
fn meaning_carrying_styles() {
    let app = fanout_app(Lang::En);
    let buf = draw(&app, W, H);
    let find = |needle: &str| -> (u16, u16) {
        for y in 0..buf.area.height {
            let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            if let Some(byte) = row.find(needle) {
                return (row[..byte].chars().count() as u16, y);
            }
        }
        panic!("{needle:?} not on screen:\n{}", text(&buf));
    };
    // The ghost row (reaped child 0) is dimmed.
    let (x, y) = find("reaped: exit 0");
    assert_eq!(buf[(x, y)].fg, Color::DarkGray);
    // A zombie's state is white on red.
    let (x, y) = find("Z zombie");
    assert_eq!((buf[(x, y)].fg, buf[(x, y)].bg), (Color::White, Color::Red));
    // The Python line of the current step is highlighted.
    let (x, y) = find("▶30 for pid in kids");
    assert!(buf[(x + 4, y)].modifier.contains(Modifier::BOLD));
    assert_eq!(buf[(x + 4, y)].bg, Color::Yellow);

    // The menu's selected lesson is reversed.
    let menu = draw(&lessons_app(Lang::En), W, H);
    let row: String = (0..W).map(|x| menu[(x, 3)].symbol()).collect();
    assert!(row.contains("▶"), "first lesson row: {row}");
    assert!(menu[(2, 3)].modifier.contains(Modifier::REVERSED));
}

/// The themes change colours only: the text is the same, and NO_COLOR's mono has none.
#[test]
fn themes_change_colours_not_text() {
    use crate::theme::Theme;
    let mut app = fanout_app(Lang::En);
    let dark = draw(&app, W, H);
    for theme in Theme::ALL {
        app.theme = theme;
        let buf = draw(&app, W, H);
        assert_eq!(text(&buf), text(&dark), "{theme:?}");
        let coloured = buf
            .content()
            .iter()
            .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
        assert_eq!(coloured, theme != Theme::Mono, "{theme:?}");
    }
    crate::ui::theme::select(Theme::Dark);
}

/// A click on a tree row selects the process drawn there, wherever the layout put it.
#[test]
fn clicks_land_on_the_process_drawn_there() {
    let mut app = fanout_app(Lang::En);
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    let mut hits = crate::ui::Hits::default();
    terminal
        .draw(|f| hits = crate::ui::render_with_hits(&app, f))
        .unwrap();
    let buf = terminal.backend().buffer().clone();
    let screen = text(&buf);
    let line = screen
        .lines()
        .position(|l| l.contains("├─ child 1"))
        .expect("child 1 drawn") as u16;
    let row = hits.process_at(3, line).expect("a process row");
    assert_eq!(app.run.as_ref().unwrap().procs.rows()[row].label, "child 1");
    assert_eq!(hits.process_at(3, 0), None, "the header line is no process");
    update(&mut app, Msg::Action(Action::Select(row)));
    let run = app.run.as_ref().unwrap();
    assert_eq!(
        run.selected_row().map(|p| p.label.as_str()),
        Some("child 1")
    );
    assert!(!run.follow);
}
