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

fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::ui::render(app, f)).unwrap();
    terminal.backend().buffer().clone()
}

/// The buffer as text: `"…"` per row (quotes keep trailing blanks visible).
fn text(buf: &Buffer) -> String {
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

pub(super) fn send(app: &mut App, t_us: u64, pid: i32, kind: EventKind) {
    update(app, Msg::Event(Event { t_us, pid, kind }));
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

fn gate(name: &str) -> EventKind {
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

fn fanout_app(lang: Lang) -> App {
    let mut app = lessons_app(lang);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    fanout_one_reaped(&mut app, &fixed);
    app
}

#[test]
fn menu() {
    let mut app = lessons_app(Lang::En);
    app.finished.insert("fork-fanout".into());
    app.finished.insert("zombie".into());
    let shown = screen(&app, W, H);
    // Every lesson listed by number, and exactly the finished ones ticked.
    for (i, l) in app.lessons.iter().enumerate() {
        let head: String = l.title.get(Lang::En).chars().take(20).collect();
        assert!(
            shown.contains(&format!("{}. {head}", i + 1)),
            "{head}\n{shown}"
        );
    }
    assert_eq!(shown.matches('✓').count(), 2, "{shown}");
    assert!(shown.lines().nth(3).is_some_and(|l| l.contains("✓  1.")));
    insta::assert_snapshot!("menu", shown);
}

/// Under `--cap 3` the lessons that need more stay in the course, marked, and the
/// selected one says why with the arithmetic; Enter starts nothing.
#[test]
fn menu_under_a_lowered_cap() {
    let mut app = App::new(crate::lesson::loader::load(None, 3).unwrap(), Lang::En);
    assert!(app.lessons[0].over_cap.is_some() && app.lessons[1].over_cap.is_none());
    assert!(
        app.open_lesson(0).is_empty(),
        "a lesson over the cap must not start"
    );
    assert!(app.run.is_none());
    let notice = app
        .notice
        .take()
        .expect("Enter on a closed lesson says why");
    assert!(
        notice.to_string().contains("= 11, over the cap of 3"),
        "{notice}"
    );
    assert!(!app.open_lesson(1).is_empty(), "zombie fits a cap of 3");
    app.run = None;
    app.screen = crate::app::Screen::Menu;
    insta::assert_snapshot!("menu_cap3", screen(&app, W, H));
    // The same arithmetic in Chinese, the notice too.
    app.lang = Lang::Zh;
    app.menu_selected = 0;
    let shown = screen(&app, W, H);
    assert!(
        shown.contains("无法打开：1 父进程 + 10 子进程 = 11，超过了 3 个"),
        "{shown}"
    );
    assert!(!shown.contains("over the cap"), "{shown}");
    assert!(app.open_lesson(0).is_empty());
    let notice = app.notice.take().expect("a notice");
    assert!(
        notice.text(Lang::Zh).contains("超过了 3 个存活进程的上限"),
        "{notice}"
    );
}

#[test]
fn menu_zh() {
    let app = lessons_app(Lang::Zh);
    let shown = screen(&app, W, H);
    // The titles in Chinese (as many characters as fit the list).
    for l in &app.lessons {
        let head: String = l.title.get(Lang::Zh).chars().take(6).collect();
        assert!(shown.contains(&head), "{head}\n{shown}");
    }
    insta::assert_snapshot!("menu_zh", shown);
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

/// `k` on child 1: the signal menu over the lesson, SIGTERM preselected.
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

/// Presenter mode: big step title and numbers, tree and log, the narration below.
#[test]
fn presenter_mode() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    update(&mut app, Msg::Action(Action::Present));
    update(&mut app, Msg::Tick(0));
    update(&mut app, Msg::Tick(83_000));
    // The presenter's clock started at the first tick; the screen keeps the run's
    // header and the counts of its tree.
    assert_eq!(app.present.as_ref().and_then(|p| p.since_ms), Some(0));
    let shown = screen(&app, W, H);
    assert!(shown.contains("AT STEP 'forked-all'"), "{shown}");
    assert!(
        shown.contains("Processes 3 alive · 1 zombie · 4 created"),
        "{shown}"
    );
    insta::assert_snapshot!("presenter", shown);
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

/// Presenter mode in Chinese: the big font has no CJK glyphs, so the title is a
/// banner: three rows, reversed, its characters spaced out.
#[test]
fn presenter_mode_zh_title_is_a_banner() {
    let mut app = lessons_app(Lang::Zh);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    update(&mut app, Msg::Action(Action::Present));
    let buf = draw(&app, W, H);
    let screen = text(&buf);
    let title = app.lesson().unwrap().steps[app.run.as_ref().unwrap().step.unwrap()]
        .title
        .get(Lang::Zh);
    let spaced: Vec<String> = title.chars().map(String::from).collect();
    let spaced = spaced.join(" ");
    let row = screen.lines().nth(2).unwrap();
    assert!(row.contains(&spaced), "{screen}");
    // The band is reversed on all three rows.
    let x = row.find(&spaced).map(|_| W / 2).unwrap();
    for y in 1..4 {
        assert!(
            buf[(x, y)].modifier.contains(Modifier::REVERSED),
            "row {y}: {screen}"
        );
    }
}

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
}

/// `o` in a lesson: every step by number and title, the current one marked, the
/// cursor where Enter goes; at the classroom sizes.
#[test]
fn the_outline_of_the_steps() {
    for (w, h, name) in [(120, 40, "outline_120x40"), (80, 24, "outline_80x24")] {
        let mut app = fanout_app(Lang::En);
        let at = app.run.as_ref().unwrap().step.expect("a step");
        crate::app::navigate::open_outline(&mut app);
        app.run.as_mut().unwrap().outline = Some(3);
        let shown = screen(&app, w, h);
        let steps = &app.lesson().unwrap().steps;
        for (i, step) in steps.iter().enumerate() {
            let head: String = step.title.get(Lang::En).chars().take(20).collect();
            assert!(
                shown.contains(&format!("{:>2}. {head}", i + 1)),
                "{head}\n{shown}"
            );
        }
        let current: String = steps[at].title.get(Lang::En).chars().take(20).collect();
        assert!(
            shown.contains(&format!("▶ {:>2}. {current}", at + 1)),
            "the current step marked\n{shown}"
        );
        assert!(
            shown.contains("Steps · ↑↓ choose · Enter go · Esc close"),
            "{shown}"
        );
        insta::assert_snapshot!(name, shown);
    }
}

/// B: nothing on screen but the background; the screen comes back with a key.
#[test]
fn a_blank_screen_shows_nothing() {
    let mut app = fanout_app(Lang::En);
    app.blank = true;
    let shown = screen(&app, 120, 40);
    assert!(
        shown.lines().all(|l| l.trim_matches(['"', ' ']).is_empty()),
        "{shown}"
    );
    app.blank = false;
    assert!(screen(&app, 120, 40).contains("Processes"));
}

/// `--pace`: the header counts down to the step's release; an open question stops it.
#[test]
fn the_pace_counts_down_in_the_header() {
    let mut app = lessons_app(Lang::En);
    app.pace_s = Some(5.0);
    update(&mut app, Msg::Action(Action::Open));
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(
        &mut app,
        2,
        1000,
        EventKind::Gate {
            name: "start".into(),
            slot: None,
        },
    );
    update(&mut app, Msg::Tick(1_000));
    let head = |app: &App| {
        screen(app, 120, 40)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    // The first step asks a question: no countdown until the class answers.
    assert!(!head(&app).contains("next in"), "{}", head(&app));
    update(&mut app, Msg::Action(Action::Step));
    send(
        &mut app,
        3,
        1000,
        EventKind::Gate {
            name: "first-fork".into(),
            slot: None,
        },
    );
    update(&mut app, Msg::Tick(1_000));
    assert!(head(&app).contains("next in 5 s"), "{}", head(&app));
    update(&mut app, Msg::Tick(3_200));
    assert!(head(&app).contains("next in 3 s"), "{}", head(&app));
    app.lang = Lang::Zh;
    assert!(head(&app).contains("3 秒后下一步"), "{}", head(&app));
}

/// A lesson whose processes all wait and nothing moves: the header says it stands
/// still (its clock going on), the narration names what each process waits for.
#[test]
fn a_stalled_run_is_said_in_the_header_and_the_narration() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    send(&mut app, 1_000_000, 1000, spawn(999, "main"));
    send(&mut app, 1_100_000, 1001, spawn(1000, "child 0"));
    // Let go (not held at a step), then everything blocked.
    update(&mut app, Msg::Action(Action::Play));
    send(&mut app, 1_200_000, 1000, state('S', "do_wait"));
    send(&mut app, 1_200_000, 1001, state('S', "pipe_read"));
    update(&mut app, Msg::Tick(7_000));
    let shown = screen(&app, 120, 40);
    let head = shown.lines().next().unwrap_or("");
    assert!(
        head.contains("STANDS STILL · nothing has moved for 7 s"),
        "{head}"
    );
    assert!(head.contains("t = 8.2s"), "the clock goes on: {head}");
    assert!(shown.contains("This run stands still"), "{shown}");
    assert!(
        shown.contains("main (1000): waiting for a child (waitpid)"),
        "{shown}"
    );
    assert!(shown.contains("child 0 (1001): reading a pipe"), "{shown}");
    app.lang = Lang::Zh;
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("停滞"), "{shown}");
    assert!(shown.contains("这次运行停滞了"), "{shown}");
}

/// In presenter mode Tab swaps the lesson's own pane and the event log, as the key
/// bar says (a printed line is in the log).
#[test]
fn presenter_mode_tab_shows_the_log() {
    let mut app = lessons_app(Lang::En);
    app.menu_selected = app
        .lessons
        .iter()
        .position(|l| l.id == "queue")
        .expect("the queue lesson");
    update(&mut app, Msg::Action(Action::Open));
    update(&mut app, Msg::Action(Action::Present));
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "producer 0"));
    send(
        &mut app,
        3,
        1001,
        EventKind::QueuePut {
            queue: "q".into(),
            item: serde_json::json!(7),
            len: 1,
        },
    );
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Queue q"), "{shown}");
    assert!(!shown.contains("Event log"), "{shown}");
    update(&mut app, Msg::Action(Action::SwapPane));
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Event log"), "{shown}");
    assert!(shown.contains("spawned as 'producer 0' by 1000"), "{shown}");
    assert!(!shown.contains("Queue q"), "{shown}");
}

/// Presenter mode on a projector's 100×30: a title that needs two lines of big
/// letters is a three-row banner, so the tree keeps its rows (every process shown).
#[test]
fn presenter_mode_at_100x30_keeps_the_tree() {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    update(&mut app, Msg::Action(Action::Present));
    let shown = screen(&app, 100, 30);
    let lines: Vec<&str> = shown.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("PID") && l.contains("PPID"))
        .expect("the tree's header");
    assert!(
        header <= 6,
        "the title leaves the tree room: header at {header}\n{shown}"
    );
    for pid in ["1000", "1001", "1002", "1003"] {
        assert!(shown.contains(&format!("│{pid} ")), "{pid}\n{shown}");
    }
    // A reason too long for its column ends with "…", not cut mid-word.
    assert!(shown.contains("<defunct> parent has…│"), "{shown}");
    insta::assert_snapshot!("presenter_100x30", shown);
}

/// A click on a lesson in the menu chooses it; a click on the chosen one opens it.
#[test]
fn a_click_chooses_a_lesson_in_the_menu() {
    let mut app = lessons_app(Lang::En);
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    let mut hits = crate::ui::Hits::default();
    terminal
        .draw(|f| hits = crate::ui::render_with_hits(&app, f))
        .unwrap();
    let screen = text(terminal.backend().buffer());
    let title: String = app.lessons[2]
        .title
        .get(Lang::En)
        .chars()
        .take(15)
        .collect();
    let line = screen
        .lines()
        .position(|l| l.contains(&format!(" 3. {title}")))
        .expect("lesson 3 drawn") as u16;
    let row = hits.process_at(5, line).expect("a lesson row");
    assert_eq!(row, 2);
    assert!(update(&mut app, Msg::Action(Action::Select(row))).is_empty());
    assert_eq!(app.menu_selected, 2);
    let cmds = update(&mut app, Msg::Action(Action::Select(row)));
    assert!(
        matches!(&cmds[..], [crate::app::Command::StartRun { .. }]),
        "{cmds:?}"
    );
    assert_eq!(
        app.lesson().map(|l| l.id.as_str()),
        Some(app.lessons[2].id.as_str())
    );
}

/// A variant playing: the narration says which and what it sets, the code pane shows
/// the program it runs; `v` lists the variants with the playing one marked.
#[test]
fn a_variant_shows_its_program_and_the_picker_lists_them() {
    let mut app = lessons_app(Lang::En);
    let at = app.lessons.iter().position(|l| l.id == "signals").unwrap();
    app.open_lesson_variant(at, Some(0));
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(
        &mut app,
        2,
        1000,
        EventKind::Gate {
            name: "start".into(),
            slot: None,
        },
    );
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("Variant: SIGTERM ignored (SIG_IGN) (disposition=ignore)"),
        "{shown}"
    );
    // The code pane draws the variant's program (`Lesson::program`, tested with it).
    assert_eq!(app.run.as_ref().unwrap().variant, Some(0));
    update(&mut app, Msg::Action(Action::Variants));
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("Variants · ↑↓ choose · Enter run it · Esc close"),
        "{shown}"
    );
    assert!(shown.contains(" 1. as written"), "{shown}");
    assert!(
        shown.contains("▶  2. SIGTERM ignored (SIG_IGN) (disposition=ignore)"),
        "{shown}"
    );
    assert!(
        shown.contains(" 3. SIGTERM handled by a function (disposition=handler)"),
        "{shown}"
    );
    insta::assert_snapshot!("variant_picker", shown);
}

/// The code pane moved by hand shows the lines it moved to, and says which.
#[test]
fn the_code_pane_scrolls_by_hand() {
    let mut app = fanout_app(Lang::En);
    let before = screen(&app, 120, 40);
    assert!(before.contains("┌ Python ─"), "{before}");
    app.run.as_mut().unwrap().code_scroll = -50;
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("┌ Python · 1–"), "{shown}");
    assert!(
        shown.contains("  1 import os"),
        "the program's first line: {shown}"
    );
}
