//! The classroom controls on screen: the outline and the variant picker, a blank
//! screen, the pace's countdown, a run that stands still, presenter mode at a
//! projector's size (and presenter mode itself), the code pane moved by hand, a click in the menu.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

use super::tests::{
    H, W, draw, fanout_app, fanout_at_forked_all, fixed, gate, lesson_opened, lessons_app, screen,
    send, spawn, state, text,
};
use crate::app::{Action, App, Msg, update};
use crate::lesson::Lang;
use crate::trace::event::EventKind;

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
    send(&mut app, 2, 1000, gate("start"));
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
    send(&mut app, 3, 1000, gate("first-fork"));
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
    let mut app = lesson_opened(Lang::En, "queue");
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
    // A reason too long for its column takes a second line where the tree has rows
    // to spare: the zombie's whole reason is read, not "<defunct> parent has…".
    assert!(shown.contains(" Z zombie   <defunct> parent "), "{shown}");
    assert!(shown.contains("hasn't called waitpid│"), "{shown}");
    assert!(!shown.contains("parent has…"), "{shown}");
    // The selected process's details end with "…" or wrap, never cut mid-word.
    assert!(shown.contains("│'forked-all'  "), "{shown}");
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
    send(&mut app, 2, 1000, gate("start"));
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

/// A variant with words of its own: the narration says them and asks its question
/// (zombie killed by SIGTERM: status 15, not the lesson's 9).
#[test]
fn a_variant_narrates_and_asks_as_its_run_goes() {
    let mut app = lessons_app(Lang::En);
    let at = app.lessons.iter().position(|l| l.id == "zombie").unwrap();
    let sigterm = app.lessons[at]
        .variants
        .iter()
        .position(|v| v.id == "sigterm");
    app.open_lesson_variant(at, sigterm);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1000, gate("start"));
    send(&mut app, 3, 1000, gate("forked"));
    send(&mut app, 4, 1000, gate("killed"));
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("by SIGTERM?"), "{shown}");
    assert!(shown.contains("3. 15"), "{shown}");
    assert!(!shown.contains("by SIGKILL?"), "{shown}");
    send(&mut app, 5, 1000, gate("reaped"));
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("the raw status 15"), "{shown}");
    // The lesson as written keeps its own words.
    app.open_lesson_variant(at, None);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1000, gate("reaped"));
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("the raw status 9"), "{shown}");
}
