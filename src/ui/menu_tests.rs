//! The lesson menu drawn: every lesson numbered, the finished ones ticked, the ones
//! over a lowered `--cap` closed with the arithmetic, in English and Chinese.

use super::tests::{H, W, lessons_app, screen};
use crate::app::App;
use crate::lesson::Lang;

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
