//! Layouts by what the step needs, at the sizes a class meets (80×24 to 160×45): the
//! queue lesson at its producing step with the run's events fed, its question in
//! presenter mode, and the code big in presenter mode. Each snapshot also asserts
//! what must be on screen whatever the size: every process, the Queue pane's marks
//! whole, the step's lines, the narration beside a question, no half-drawn big digits.

use super::tests::{gate, get, lesson_opened, put, screen, send, spawn, state};
use crate::app::{Action, App, Msg, update};
use crate::lesson::Lang;
use crate::trace::event::EventKind;

const SIZES: [(u16, u16); 4] = [(80, 24), (100, 30), (120, 40), (160, 45)];

const LABELS: [&str; 6] = [
    "main",
    "├─ producer 0",
    "├─ producer 1",
    "├─ consumer 0",
    "├─ consumer 1",
    "└─ consumer 2",
];

/// The queue lesson held at its first step (its question asked, not answered).
fn queue_at_start(present: bool) -> App {
    let mut app = lesson_opened(Lang::En, "queue");
    if present {
        update(&mut app, Msg::Action(Action::Present));
    }
    send(&mut app, 1_000, 1000, spawn(999, "main"));
    send(&mut app, 2_000, 1000, state('S', "hrtimer_nanosleep"));
    send(&mut app, 3_000, 1000, gate("start"));
    app
}

/// From the first step: the answer, Space, five children, the consumers blocked on
/// the empty queue and its lock, items put and got, main held at `producing`.
fn queue_at_producing(present: bool) -> App {
    let mut app = queue_at_start(present);
    update(&mut app, Msg::Action(Action::Answer(3)));
    update(&mut app, Msg::Action(Action::Step));
    for (pid, label) in [
        (1001, "producer 0"),
        (1002, "producer 1"),
        (1003, "consumer 0"),
        (1004, "consumer 1"),
        (1005, "consumer 2"),
    ] {
        send(&mut app, 10_000, pid, spawn(1000, label));
    }
    send(&mut app, 20_000, 1001, state('S', "hrtimer_nanosleep"));
    send(&mut app, 20_000, 1002, state('S', "hrtimer_nanosleep"));
    send(&mut app, 20_000, 1003, state('S', "pipe_read"));
    send(&mut app, 20_000, 1004, state('S', "futex_do_wait"));
    send(&mut app, 20_000, 1005, state('S', "futex_do_wait"));
    send(&mut app, 200_000, 1001, put(0, 1));
    send(&mut app, 200_100, 1003, get(0, 0));
    send(&mut app, 200_200, 1002, put(1, 1));
    send(&mut app, 200_300, 1004, get(1, 0));
    send(&mut app, 400_000, 1001, put(2, 1));
    send(&mut app, 400_050, 1005, get(2, 0));
    send(&mut app, 400_100, 1002, put(3, 1));
    send(&mut app, 400_200, 1001, put(4, 2));
    send(
        &mut app,
        500_000,
        1005,
        EventKind::Blocked {
            on: "queue_empty".into(),
        },
    );
    send(&mut app, 600_000, 1000, state('S', "do_wait"));
    send(&mut app, 600_000, 1000, gate("producing"));
    assert_eq!(
        app.run.as_ref().and_then(|r| r.step),
        Some(1),
        "held at the producing step"
    );
    app
}

/// Every process of the run has its row in the tree.
fn assert_every_process(shown: &str, w: u16, h: u16) {
    for label in LABELS {
        assert!(
            shown.contains(&format!(" {label} ")),
            "{w}×{h}: {label} not in the tree\n{shown}"
        );
    }
}

/// Big digits and letters are 4 rows each: a run of rows drawn with their glyphs is
/// whole (4 or 8 rows), never cut short by a pane too low for them. (The half and
/// full blocks ▄ █ are left out: sparklines and bars use them too.)
fn assert_big_text_whole(shown: &str, w: u16, h: u16) {
    let big = |line: &&str| line.chars().any(|c| "▀▌▐▖▗▘▙▚▛▜▝▞▟".contains(c));
    let mut run = 0;
    for line in shown.lines().chain([""]) {
        if big(&line) {
            run += 1;
        } else {
            assert!(run % 4 == 0, "{w}×{h}: {run} rows of big glyphs\n{shown}");
            run = 0;
        }
    }
}

/// The queue lesson at its producing step: every process in the tree, the blocked
/// consumer's "⏸ empty" whole, the start of produce() (the step's lines) in the code
/// pane, the step's title.
#[test]
fn the_producing_step_at_every_size() {
    let app = queue_at_producing(false);
    for (w, h) in SIZES {
        let shown = screen(&app, w, h);
        assert_every_process(&shown, w, h);
        assert!(
            shown.contains("consumer 2 ⏸ empty"),
            "{w}×{h}: the mark whole\n{shown}"
        );
        assert!(
            shown.contains("┃17 def produce(q, i):"),
            "{w}×{h}: the step's first line marked\n{shown}"
        );
        assert!(
            shown.contains("Empty queue: the consumers wait"),
            "{w}×{h}\n{shown}"
        );
        // Nothing cut mid-word in the Queue pane: its last line ends whole or with "…".
        // (80×24 has no row for it.)
        if let Some(last) = shown.lines().find(|l| l.contains("last: ")) {
            assert!(last.ends_with("got 2│\"") || last.contains("…│"), "{last}");
        }
        insta::assert_snapshot!(format!("layout_queue_producing_{w}x{h}"), shown);
    }
}

/// Wide and tall, the tree has the rows it needs and the pane beside the narration
/// gets the rest: the Queue pane draws every slot and its sparkline.
#[test]
fn spare_rows_go_to_the_pane() {
    let app = queue_at_producing(false);
    let shown = screen(&app, 120, 40);
    assert!(
        shown.contains("[3│4│ │ │ │ │ │ │ │ ]"),
        "all ten slots drawn\n{shown}"
    );
    assert!(shown.contains("│len "), "the sparkline\n{shown}");
    // The tree's last process row is followed by the selected one's details, not by
    // empty rows.
    let lines: Vec<&str> = shown.lines().collect();
    let last = lines
        .iter()
        .position(|l| l.contains("└─ consumer 2"))
        .unwrap();
    assert!(lines[last + 1].contains("▸ main"), "{}", lines[last + 1]);
}

/// A question in presenter mode: the question, its choices and the start of the
/// step's text all on screen; the big digits whole or not drawn.
#[test]
fn a_question_in_presenter_mode_leaves_the_text_in_view() {
    let app = queue_at_start(true);
    for (w, h) in SIZES {
        let shown = screen(&app, w, h);
        assert!(
            shown.contains("Two producers put 10 items each."),
            "{w}×{h}: the question\n{shown}"
        );
        assert!(shown.contains("4. 30"), "{w}×{h}: the choices\n{shown}");
        assert!(
            shown.contains("Main has created the queue"),
            "{w}×{h}: the step's text below the question\n{shown}"
        );
        assert!(shown.contains(" main "), "{w}×{h}\n{shown}");
        assert_big_text_whole(&shown, w, h);
        // The numbers' box title whole, or ending with "…" (at 80 columns it lost
        // "time" without a mark).
        assert!(
            shown.contains(" processes alive / created · class time ") || shown.contains("… ─"),
            "{w}×{h}: the numbers' title\n{shown}"
        );
        insta::assert_snapshot!(format!("layout_present_quiz_{w}x{h}"), shown);
    }
}

/// `c` in presenter mode: the program where the tree was, the step's lines marked
/// from their first; the tree beside it with every process (at 80 columns the program
/// takes the whole width); the key bar offers the tree back.
#[test]
fn the_code_big_in_presenter_mode() {
    let mut app = queue_at_producing(true);
    update(&mut app, Msg::Action(Action::Code));
    for (w, h) in SIZES {
        let shown = screen(&app, w, h);
        assert!(
            shown.contains("┃17 def produce(q, i):"),
            "{w}×{h}: the step's first line\n{shown}"
        );
        assert!(
            shown.contains("┃26 def consume(q, j):") || h < 40,
            "{w}×{h}: the whole range on a tall screen\n{shown}"
        );
        // Where the program and the tree cannot both be read (80 columns), the
        // program takes the room.
        if w >= 100 {
            assert_every_process(&shown, w, h);
        }
        assert!(shown.contains(" c  tree "), "{w}×{h}: the key bar\n{shown}");
        assert_big_text_whole(&shown, w, h);
        insta::assert_snapshot!(format!("layout_present_code_{w}x{h}"), shown);
    }
    update(&mut app, Msg::Action(Action::Code));
    let shown = screen(&app, 120, 40);
    assert!(!shown.contains("def produce"), "{shown}");
    assert!(shown.contains(" c  code "), "{shown}");
}

/// The zombie lesson in presenter mode at a projector's 100×30, the child killed by
/// SIGKILL and reaped: where the tree has rows to spare, its reason takes a second
/// line and the selected child's details wrap, so the raw status 9 and its decoding
/// are read whole (before: "reaped: SIGKILL (sta…" and "gone: reaped, status " with
/// the 9 lost, "→ WIFSIGNALE" cut without a mark).
#[test]
fn a_killed_child_reaped_in_presenter_mode_reads_whole() {
    let mut app = lesson_opened(Lang::En, "zombie");
    update(&mut app, Msg::Action(Action::Present));
    send(&mut app, 1_000, 1000, spawn(999, "main"));
    send(&mut app, 2_000, 1000, gate("start"));
    update(&mut app, Msg::Action(Action::Step));
    send(&mut app, 3_000, 1001, spawn(1000, "child"));
    send(&mut app, 4_000, 1001, state('S', "hrtimer_nanosleep"));
    send(&mut app, 5_000, 1000, gate("forked"));
    update(&mut app, Msg::Action(Action::Step));
    send(&mut app, 6_000, 1000, gate("killed"));
    update(&mut app, Msg::Action(Action::Answer(3)));
    update(&mut app, Msg::Action(Action::Step));
    send(
        &mut app,
        7_000,
        1000,
        EventKind::Reap {
            child: 1001,
            status: 9,
            code: None,
            signal: Some("SIGKILL".into()),
        },
    );
    send(&mut app, 8_000, 1000, state('S', "hrtimer_nanosleep"));
    send(&mut app, 9_000, 1000, gate("reaped"));
    let shown = screen(&app, 100, 30);
    assert!(
        shown.contains("reaped: SIGKILL (status│") && shown.contains(" 9)     "),
        "the child's row whole\n{shown}"
    );
    assert!(shown.contains("status 9 │"), "the raw status\n{shown}");
    assert!(
        shown.contains("WIFSIGNALED, WTERMSIG = 9"),
        "the decoding whole\n{shown}"
    );
    assert!(!shown.contains("(sta…"), "{shown}");
    insta::assert_snapshot!("layout_present_zombie_reaped_100x30", shown);
}
