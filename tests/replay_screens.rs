//! A trace recorded from a real run (`tests/fixtures/fork-fanout-3.jsonl`, from
//! `proclab run fork-fanout --json --set children=3 --speed 20`) replayed step by step
//! into `App` + `render` (ratatui's TestBackend), as `proclab replay --step` does: the
//! screen at each gate and at the end is snapshotted, and must be the same screen a
//! direct feed of the same events draws. No process is created: only the library.
//! Update with `INSTA_UPDATE=always cargo test --test replay_screens`.

use std::time::Duration;

use proclab::app::{Action, App, Command, Msg, update};
use proclab::lesson::Lang;
use proclab::trace::event::EventKind;
use proclab::trace::replay::{Player, Trace, load};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/fork-fanout-3.jsonl"
);

fn fixture() -> Trace {
    let trace = load(std::path::Path::new(FIXTURE)).expect("the fixture");
    assert!(trace.malformed.is_empty(), "{:?}", trace.malformed);
    trace
}

fn lessons() -> Vec<proclab::lesson::Lesson> {
    proclab::lesson::loader::load(None, 64).expect("built-in lessons")
}

/// The screen as text, one quoted row per terminal row.
fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    terminal
        .draw(|f| proclab::ui::render(app, f))
        .expect("drawing");
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        out.push('"');
        let mut skip = 0usize;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol();
            out.push_str(symbol);
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
        }
        out.push_str("\"\n");
    }
    out
}

/// Plays the trace in step mode through a `Player`, as the replay front end does
/// (with made-up clock ticks), and returns (gate name, screen) at each hold and at
/// the end.
fn replay_screens(trace: &Trace) -> Vec<(String, String)> {
    let mut app =
        proclab::playback::open_app(trace, lessons(), Lang::En, true, 1.0).expect("opens");
    let mut player = Player::new(&trace.events(), 1.0, true);
    let mut shots = Vec::new();
    for _ in 0..10_000 {
        player.advance(Duration::from_millis(7));
        for i in player.due() {
            update(&mut app, Msg::Event(trace.entries[i].event.clone()));
        }
        if player.held() {
            let gate = app.run.as_ref().and_then(|r| r.gate.clone()).unwrap();
            assert!(
                app.run.as_ref().unwrap().held(),
                "the app holds with the player"
            );
            shots.push((gate, screen(&app)));
            let cmds = update(&mut app, Msg::Action(Action::Step));
            assert_eq!(cmds, vec![Command::Permit], "Space releases the gate");
            player.release();
        }
        if player.finished() {
            update(&mut app, Msg::RunEnded);
            shots.push(("end".into(), screen(&app)));
            return shots;
        }
    }
    panic!("the replay never finished");
}

/// The same events fed straight into `update`, stopping at each main gate.
fn direct_screens(trace: &Trace) -> Vec<(String, String)> {
    let mut app =
        proclab::playback::open_app(trace, lessons(), Lang::En, true, 1.0).expect("opens");
    let mut shots = Vec::new();
    for entry in &trace.entries {
        let gate = match &entry.event.kind {
            EventKind::Gate { name, slot: None } => Some(name.clone()),
            _ => None,
        };
        update(&mut app, Msg::Event(entry.event.clone()));
        if let Some(name) = gate {
            shots.push((name, screen(&app)));
            update(&mut app, Msg::Action(Action::Step));
        }
    }
    update(&mut app, Msg::RunEnded);
    shots.push(("end".into(), screen(&app)));
    shots
}

#[test]
fn replay_reproduces_the_same_sequence_of_screens() {
    let trace = fixture();
    let shots = replay_screens(&trace);
    let gates: Vec<&str> = shots.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(
        gates,
        ["start", "first-fork", "forked-all", "reaped-all", "end"]
    );
    assert_eq!(
        shots,
        direct_screens(&trace),
        "pacing changes when events arrive, never what they draw"
    );
    for (i, (gate, text)) in shots.iter().enumerate() {
        assert!(
            text.contains("REPLAY"),
            "{gate}: the header says REPLAY\n{text}"
        );
        insta::assert_snapshot!(format!("fork_fanout_3_{i}_{gate}"), text);
    }
}

#[test]
fn a_lesson_trace_opens_on_its_lesson_screen() {
    // The fixture's run line with the lesson's own parameters (children = 10).
    let text = std::fs::read_to_string(FIXTURE).expect("the fixture");
    let text = text.replacen("\"children\":3", "\"children\":10", 1);
    let trace = proclab::trace::replay::parse(&text);
    let app = proclab::playback::open_app(&trace, lessons(), Lang::En, true, 1.0).unwrap();
    assert_eq!(app.lesson().map(|l| l.id.as_str()), Some("fork-fanout"));
    // The fixture's own parameters match no lesson: the bare run screen.
    let app = proclab::playback::open_app(&fixture(), lessons(), Lang::En, true, 1.0).unwrap();
    assert!(app.lesson().is_none());
    let run = app.run.as_ref().unwrap();
    assert!(run.replay && run.step_mode());
    assert_eq!(run.scenario.id, "fork-fanout");
}

#[test]
fn a_trace_without_a_run_line_cannot_be_drawn() {
    let text = std::fs::read_to_string(FIXTURE).expect("the fixture");
    let rest: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("\"kind\":\"run\""))
        .collect();
    assert_eq!(rest.len() + 1, text.lines().count());
    let trace = proclab::trace::replay::parse(&rest.join("\n"));
    let err =
        proclab::playback::open_app(&trace, lessons(), Lang::En, false, 1.0).expect_err("refused");
    assert!(err.contains("no `run` line"), "{err}");
}
