//! Colours chosen to survive a projector: bright foregrounds on the terminal's own
//! background, bold where meaning matters, no dark blue, and never colour alone
//! (every state also has its letter and word).

use ratatui::style::{Color, Modifier, Style};

pub fn title() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}
pub fn border() -> Style {
    Style::new().fg(Color::Gray)
}
pub fn border_focus() -> Style {
    Style::new().fg(Color::Cyan)
}
pub fn key() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}
pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
}
pub fn highlight_line() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}
/// A decoded wait status: what the learner should read.
pub fn highlight_status() -> Style {
    Style::new().fg(Color::LightYellow)
}
pub fn warning() -> Style {
    Style::new()
        .fg(Color::LightRed)
        .add_modifier(Modifier::BOLD)
}
pub fn print() -> Style {
    Style::new().fg(Color::White)
}
pub fn gate() -> Style {
    Style::new().fg(Color::Yellow)
}
pub fn held() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}
pub fn playing() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Green)
        .add_modifier(Modifier::BOLD)
}

/// The colour of a process state letter.
pub fn state(letter: char) -> Style {
    let base = Style::new().add_modifier(Modifier::BOLD);
    match letter {
        'R' => base.fg(Color::LightGreen),
        'S' => base.fg(Color::LightCyan),
        'D' => base.fg(Color::LightYellow),
        'T' | 't' => base.fg(Color::LightMagenta),
        'Z' => base.fg(Color::White).bg(Color::Red),
        _ => base.fg(Color::Gray),
    }
}
/// A prediction that held, a right answer.
pub fn good() -> Style {
    Style::new()
        .fg(Color::LightGreen)
        .add_modifier(Modifier::BOLD)
}
