//! The screens in Chinese at 120×40: snapshots, and a reading of every word on them.
//! No English word may be left but the terms kept on purpose (`i18n::KEPT`: what a
//! learner meets in `ps`, man pages and Python's docs) and the program's own words
//! (its Python code, its process labels, names it gave its queues and steps).

use std::collections::BTreeSet;

use super::tests::{
    H, W, fanout_at_forked_all, fixed, lessons_app, put, screen, send, spawn, state,
};
use crate::app::{Action, App, Msg, update};
use crate::i18n::KEPT;
use crate::lesson::Lang;
use crate::trace::event::EventKind;

/// Every run of ASCII letters (with `_`, `.`, `'`, `-` inside) on the screen.
fn words(screen: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut word = String::new();
    for c in screen.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphabetic()
            || (!word.is_empty() && matches!(c, '_' | '.' | '\'' | '-' | '0'..='9'))
        {
            word.push(c);
        } else if !word.is_empty() {
            out.insert(word.trim_end_matches(['.', '\'', '-']).to_string());
            word.clear();
        }
    }
    out
}

/// The words the run and the lesson bring themselves: the program, its labels, its
/// step and queue names, and the lesson's Chinese text (which quotes `os.fork`).
fn own_words(app: &App) -> BTreeSet<String> {
    let mut own = BTreeSet::new();
    if let Some(l) = app.lesson().or_else(|| app.lessons.get(app.menu_selected)) {
        own.extend(words(&l.python));
        own.extend(words(l.title.get(Lang::Zh)));
        own.extend(words(l.summary.get(Lang::Zh)));
        own.insert(l.id.clone());
        own.insert(l.scenario.to_string());
        for s in &l.steps {
            own.extend(words(&s.gate));
            own.extend(words(s.title.get(Lang::Zh)));
            own.extend(words(s.text.get(Lang::Zh)));
        }
    }
    for l in &app.lessons {
        own.extend(words(l.title.get(Lang::Zh)));
    }
    if let Some(run) = &app.run {
        for p in run.procs.rows() {
            own.extend(words(&p.label));
        }
        own.insert(run.scenario.id.to_string());
        own.extend(run.params.iter().map(|(k, _)| k.to_string()));
    }
    own
}

/// The English words on `screen` that are neither kept nor the program's own.
fn english_left(app: &App, screen: &str) -> Vec<String> {
    let mut own = own_words(app);
    // The `L` key names every language in its own words.
    own.extend(Lang::all().map(|l| l.name().to_string()));
    own.extend(KEPT.iter().map(|k| k.to_string()));
    words(screen)
        .into_iter()
        .filter(|w| !own.contains(w))
        // What an overlay leaves of a word of the program behind it (`aitpid`).
        .filter(|w| !own.iter().any(|o| o.contains(w.as_str())))
        // Signal names, the W… macros of wait(2), and 0x numbers.
        .filter(|w| !w.starts_with("SIG") && !w.starts_with('W') && !w.starts_with('x'))
        // Python: a call or an attribute (`q.put`, `recv`), as the code writes it.
        .filter(|w| !w.contains('.') && !w.contains('_'))
        .filter(|w| !crate::i18n::PYTHON.contains(&w.as_str()))
        // Key names (`k`, `p`, `L`, `j`): single letters.
        .filter(|w| w.len() > 1)
        .collect()
}

fn assert_chinese(app: &App, name: &str) -> String {
    let shown = screen(app, W, H);
    let left = english_left(app, &shown);
    assert!(
        left.is_empty(),
        "{name}: English left on a Chinese screen: {left:?}\n{shown}"
    );
    shown
}

/// Built in English, then `L`: the switch is live, for the lines already there too.
fn in_chinese(mut app: App) -> App {
    update(&mut app, Msg::Action(Action::Lang));
    assert_eq!(app.lang, Lang::Zh);
    app
}

fn fanout_lesson() -> App {
    let mut app = lessons_app(Lang::En);
    update(&mut app, Msg::Action(Action::Open));
    fanout_at_forked_all(&mut app, &fixed);
    app
}

#[test]
fn menu_in_chinese() {
    let app = in_chinese(lessons_app(Lang::En));
    let shown = assert_chinese(&app, "menu");
    assert!(shown.contains("课程"), "{shown}");
    insta::assert_snapshot!("zh_menu", shown);
}

#[test]
fn lesson_tree_log_and_narration_in_chinese() {
    let app = in_chinese(fanout_lesson());
    let shown = assert_chinese(&app, "lesson");
    for word in ["进程", "状态", "事件日志", "睡眠", "僵尸", "关卡"] {
        assert!(shown.contains(word), "{word}: {shown}");
    }
    insta::assert_snapshot!("zh_lesson", shown);
}

#[test]
fn signal_menu_in_chinese() {
    let mut app = in_chinese(fanout_lesson());
    update(&mut app, Msg::Action(Action::Down));
    update(&mut app, Msg::Action(Action::Signal));
    let shown = assert_chinese(&app, "signal menu");
    assert!(
        shown.contains("请它结束") && shown.contains("pidfd"),
        "{shown}"
    );
    insta::assert_snapshot!("zh_signal_menu", shown);
}

#[test]
fn help_in_chinese() {
    let mut app = in_chinese(fanout_lesson());
    update(&mut app, Msg::Action(Action::Help));
    let shown = assert_chinese(&app, "help");
    assert!(shown.contains("按键"), "{shown}");
    insta::assert_snapshot!("zh_help", shown);
}

#[test]
fn presenter_in_chinese() {
    let mut app = in_chinese(fanout_lesson());
    update(&mut app, Msg::Action(Action::Present));
    let shown = assert_chinese(&app, "presenter");
    assert!(shown.contains("活着的进程"), "{shown}");
    insta::assert_snapshot!("zh_presenter", shown);
}

/// A bare run (no lesson): the queue pane, a blocked producer, a reaped child, a
/// released one, a signal and its outcome; every line of the log in Chinese.
#[test]
fn queue_run_with_signals_in_chinese() {
    let spec = crate::scenario::find("queue").unwrap();
    let set = vec!["consumers=1".to_string(), "maxsize=2".to_string()];
    let mut app = App::new(Vec::new(), Lang::En);
    let _ = app.open_run(spec, spec.params_from(&set).unwrap(), 1.0);
    send(&mut app, 1, 1000, spawn(999, "main"));
    send(&mut app, 2, 1001, spawn(1000, "producer 0"));
    send(&mut app, 3, 1003, spawn(1000, "consumer 0"));
    send(&mut app, 4, 1001, state('S', "pipe_write"));
    send(&mut app, 5, 1003, state('S', "futex_wait_queue"));
    send(&mut app, 200_000, 1001, put(0, 1));
    send(&mut app, 200_100, 1001, put(1, 2));
    send(
        &mut app,
        700_000,
        1001,
        EventKind::Blocked {
            on: "queue_full".into(),
        },
    );
    send(
        &mut app,
        800_000,
        1000,
        EventKind::SendSignal {
            target: 1003,
            signal: "SIGTERM".into(),
        },
    );
    send(
        &mut app,
        810_000,
        1003,
        EventKind::HandleSignal {
            signal: "SIGTERM".into(),
            action: "default (terminates)".into(),
            sender: Some(1000),
            cause: None,
        },
    );
    send(&mut app, 820_000, 1003, state('Z', ""));
    send(
        &mut app,
        830_000,
        1000,
        EventKind::Reap {
            child: 1003,
            status: 15,
            code: None,
            signal: Some("SIGTERM".into()),
        },
    );
    let app = in_chinese(app);
    let shown = assert_chinese(&app, "queue run");
    assert!(
        shown.contains("队列已满") && shown.contains("被 SIGTERM 杀死"),
        "{shown}"
    );
    insta::assert_snapshot!("zh_queue_run", shown);
}

/// The reading itself: an English word is found, a kept one is not.
#[test]
fn the_reading_finds_english() {
    let app = App::new(Vec::new(), Lang::Zh);
    assert_eq!(
        english_left(&app, "进程 sleeping PID SIGTERM"),
        vec!["sleeping"]
    );
}
