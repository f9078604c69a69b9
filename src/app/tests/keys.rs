//! Keys and the menu.
use super::*;

// ---- keymap -------------------------------------------------------------------

#[test]
fn keymap_letters_arrows_and_ctrl() {
    use KeyCode::*;
    let cases = [
        (Char('k'), Action::Up),
        (Char('s'), Action::Signal),
        (Up, Action::Up),
        (Char('j'), Action::Down),
        (Down, Action::Down),
        (Enter, Action::Open),
        (Char(' '), Action::Step),
        (Right, Action::Step),
        (Char('l'), Action::Step),
        (PageDown, Action::Step),
        (Esc, Action::Back),
        (Backspace, Action::Back),
        (Char('h'), Action::Back),
        (Left, Action::PrevStep),
        (PageUp, Action::PrevStep),
        (Home, Action::FirstStep),
        (Char('o'), Action::Outline),
        (Char('B'), Action::Blank),
        (Char('n'), Action::ScrollDown),
        (Char('N'), Action::ScrollTop),
        (Char('q'), Action::Quit),
        (Char('?'), Action::Help),
        (Char('p'), Action::Play),
        (Char('+'), Action::Faster),
        (Char('='), Action::Faster),
        (Char('-'), Action::Slower),
        (Char('r'), Action::Restart),
        (Char('L'), Action::Lang),
        (Tab, Action::SwapPane),
    ];
    for (code, want) in cases {
        assert_eq!(keymap::action_for(key(code)), Some(want), "{code:?}");
    }
    assert_eq!(keymap::action_for(key(Char('x'))), None);
    assert_eq!(
        keymap::action_for(KeyEvent::new(Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Interrupt),
        "Ctrl-C quits from anywhere"
    );
    assert_eq!(
        keymap::action_for(KeyEvent::new(Char('q'), KeyModifiers::CONTROL)),
        Some(Action::Interrupt)
    );
    assert_eq!(
        keymap::action_for(KeyEvent::new(Char('j'), KeyModifiers::CONTROL)),
        None,
        "Ctrl with another key does nothing, not a plain j"
    );
    let mut release = key(Char('q'));
    release.kind = KeyEventKind::Release;
    assert_eq!(
        keymap::action_for(release),
        None,
        "key releases are ignored"
    );
}

#[test]
fn ctrl_c_quits_from_a_run() {
    let mut app = in_lesson();
    let a = keymap::action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)).unwrap();
    assert_eq!(
        update(&mut app, Msg::Action(a)),
        vec![Command::StopRun, Command::Quit]
    );
    assert!(app.quit);
}

// ---- menu ---------------------------------------------------------------------

#[test]
fn menu_moves_with_j_k_and_clamps_at_both_ends() {
    let mut app = three_lesson_app();
    assert_eq!(app.menu_selected, 0);
    assert!(update(&mut app, press(KeyCode::Char('k'))).is_empty());
    assert_eq!(app.menu_selected, 0, "Up at the top stays");
    update(&mut app, press(KeyCode::Char('j')));
    assert_eq!(app.menu_selected, 1);
    update(&mut app, press(KeyCode::Down));
    assert_eq!(app.menu_selected, 2);
    assert!(update(&mut app, press(KeyCode::Char('j'))).is_empty());
    assert_eq!(app.menu_selected, 2, "Down at the bottom stays");
    update(&mut app, press(KeyCode::Up));
    assert_eq!(app.menu_selected, 1);
    assert!(update(&mut app, press(KeyCode::Char('k'))).is_empty());
    assert_eq!(app.menu_selected, 0);
    // s (the signal menu in a run) is not "up" in the lesson menu.
    update(&mut app, press(KeyCode::Char('j')));
    assert!(update(&mut app, press(KeyCode::Char('s'))).is_empty());
    assert_eq!(app.menu_selected, 1);
    assert_eq!(app.screen, Screen::Menu);
    assert!(app.run.is_none());
}

#[test]
fn menu_with_no_lessons_does_not_move_or_open() {
    let mut app = App::new(Vec::new(), Lang::En);
    assert!(act(&mut app, Action::Down).is_empty());
    assert!(act(&mut app, Action::Up).is_empty());
    assert_eq!(app.menu_selected, 0);
    assert!(act(&mut app, Action::Open).is_empty());
    assert_eq!(app.screen, Screen::Menu);
}

#[test]
fn enter_starts_the_selected_lesson_at_its_first_gate() {
    let mut app = three_lesson_app();
    update(&mut app, press(KeyCode::Down));
    let cmds = update(&mut app, press(KeyCode::Enter));
    assert_eq!(
        cmds,
        vec![Command::StartRun {
            scenario: fanout(),
            params: app.lessons[1].params.clone(),
            speed: 1.0,
            step_mode: true,
            // No step of the fan-out lets the others run on: every gate stops the run.
            run_on: 0,
        }]
    );
    let run = run(&app);
    assert_eq!(run.lesson, Some(1));
    assert!(run.step_mode());
    assert!(!run.paused() && !run.held() && !run.ended());
    assert!(run.procs.is_empty());
    assert_eq!(app.lesson().unwrap().id, app.lessons[1].id);
}

#[test]
fn space_in_the_menu_also_opens() {
    let mut app = lesson_app();
    let cmds = update(&mut app, press(KeyCode::Char(' ')));
    assert!(matches!(
        &cmds[..],
        [Command::StartRun {
            step_mode: true,
            ..
        }]
    ));
    assert_eq!(app.screen, Screen::Run);
}

#[test]
fn esc_in_the_menu_quits_without_a_stop() {
    let mut app = lesson_app();
    assert_eq!(update(&mut app, press(KeyCode::Esc)), vec![Command::Quit]);
    assert!(app.quit);
}

#[test]
fn digits_in_the_menu_select_a_lesson_by_its_number() {
    let mut app = lesson_app();
    let n = app.lessons.len();
    assert!(n >= 12, "the course has at least 12 lessons");
    update(&mut app, press(KeyCode::Char('9')));
    assert_eq!(app.menu_selected, 8);
    update(&mut app, press(KeyCode::Char('1')));
    update(&mut app, press(KeyCode::Char('2')));
    assert_eq!(app.menu_selected, 11, "1 then 2 is lesson 12");
    update(&mut app, press(KeyCode::Char('3')));
    assert_eq!(app.menu_selected, 2, "a third digit starts afresh");
    update(&mut app, press(KeyCode::Char('1')));
    update(&mut app, press(KeyCode::Down));
    update(&mut app, press(KeyCode::Char('0')));
    assert_eq!(
        app.menu_selected, 1,
        "another key in between ends the number"
    );
}
