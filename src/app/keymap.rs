//! Keys to actions, one table for every screen so the keys stay consistent.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    /// Enter: open the selection.
    Open,
    /// Space, →, l or PgDn (a clicker's "next"): release the next gate (step mode)
    /// or pause/resume (playing).
    Step,
    /// ← or PgUp (a clicker's "previous"): a lesson's previous step (a real run
    /// cannot go back: the lesson runs again and is released up to that step).
    PrevStep,
    /// Home: a lesson's first step, run again.
    FirstStep,
    /// o: the outline of the lesson's steps, to jump to any of them.
    Outline,
    /// v: the lesson's variants (other parameters), to run it as one of them.
    Variants,
    /// B: blank the screen (as presentation tools do); any key brings it back.
    Blank,
    /// Esc, h or Backspace: back to the menu (quits at the top level; a live run asks
    /// first).
    Back,
    /// q: quit (inside the signal menu it only closes the menu).
    Quit,
    /// Ctrl-C, Ctrl-Q, a quit signal or lost input: quit from anywhere, at once.
    Interrupt,
    /// s: in a run, the signal menu for the selected process (k is "up" everywhere,
    /// as in vi; it used to open this menu in a run and move up elsewhere).
    Signal,
    Help,
    /// p: switch between stepping and playing continuously.
    Play,
    Faster,
    Slower,
    Restart,
    Lang,
    /// Tab: swap the scenario's pane and the event log.
    SwapPane,
    /// n: the next page of a long narration; N: back to its top.
    ScrollDown,
    ScrollTop,
    /// J and K: the code pane a few lines down or up (the next step puts it back).
    CodeDown,
    CodeUp,
    /// [ and ]: the event log back to older lines, and forward to the newest.
    LogOlder,
    LogNewer,
    /// 1-9: answer the open quiz with that choice (presenter mode: one vote for it).
    Answer(u8),
    /// P: presenter mode on / off.
    Present,
    /// c: in presenter mode, the code big where the tree was, and back.
    Code,
    /// T: the next colour theme.
    Theme,
    /// A mouse click on a process row (index into the process table).
    Select(usize),
    /// w: save the run's trace so far to a file.
    Save,
}

pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c') | KeyCode::Char('q'))
            .then_some(Action::Interrupt);
    }
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Char('s') => Action::Signal,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Enter => Action::Open,
        KeyCode::Char(' ') | KeyCode::Right | KeyCode::Char('l') | KeyCode::PageDown => {
            Action::Step
        }
        KeyCode::Left | KeyCode::PageUp => Action::PrevStep,
        KeyCode::Home => Action::FirstStep,
        KeyCode::Char('o') => Action::Outline,
        KeyCode::Char('v') => Action::Variants,
        KeyCode::Char('B') => Action::Blank,
        KeyCode::Esc | KeyCode::Char('h') | KeyCode::Backspace => Action::Back,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') | KeyCode::F(1) => Action::Help,
        KeyCode::Char('p') => Action::Play,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::Faster,
        KeyCode::Char('-') | KeyCode::Char('_') => Action::Slower,
        KeyCode::Char('r') => Action::Restart,
        KeyCode::Char('L') => Action::Lang,
        KeyCode::Tab => Action::SwapPane,
        KeyCode::Char('P') => Action::Present,
        KeyCode::Char('c') => Action::Code,
        KeyCode::Char('T') => Action::Theme,
        // A quiz answer in a run; a lesson's number in the menu (0 for "10" and on).
        KeyCode::Char(c @ '0'..='9') => Action::Answer(c as u8 - b'0'),
        KeyCode::Char('w') => Action::Save,
        KeyCode::Char('n') => Action::ScrollDown,
        KeyCode::Char('N') => Action::ScrollTop,
        KeyCode::Char('J') => Action::CodeDown,
        KeyCode::Char('K') => Action::CodeUp,
        KeyCode::Char('[') => Action::LogOlder,
        KeyCode::Char(']') => Action::LogNewer,
        _ => return None,
    })
}

/// The help overlay's table: keys and the key of what they do (`assets/i18n`).
pub const HELP: &[(&str, &str)] = &[
    ("↑ ↓  k j", "help.move"),
    ("s", "help.signal"),
    ("Enter", "help.open"),
    ("Space → PgDn", "help.space"),
    ("← PgUp Home", "help.prev"),
    ("o", "help.outline"),
    ("v", "help.variants"),
    ("B", "help.blank"),
    ("p", "help.play"),
    ("Tab", "help.tab"),
    ("n N  J K", "help.scroll"),
    ("1 … 9", "help.answer"),
    ("P  T", "help.present"),
    ("c", "help.code"),
    ("+ -", "help.speed"),
    ("r", "help.restart"),
    ("w", "help.save"),
    ("[ ]", "help.log"),
    ("L", "help.lang"),
    ("Esc h", "help.back"),
    ("q  Ctrl-C", "help.quit"),
    ("?", "help.help"),
];
