//! Colours by role, from the themes in `assets/themes/` (dark, light, high-contrast),
//! plus a monochrome one for `NO_COLOR`. Every meaning also has a letter, a word or a
//! modifier, so no theme relies on colour alone.
//!
//! The theme in use is per thread: `ui::render` selects the app's theme before it
//! draws, so tests rendering side by side on several threads never see each other's.
//! A module of its own, below `app` (whose state holds the choice), `cli` (`--theme`)
//! and `ui` (which draws with it), so none of them reaches into another for it.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Theme {
    #[default]
    Dark,
    Light,
    HighContrast,
    /// No colour at all: bold, reversed and underlined carry the meaning.
    Mono,
}

impl Theme {
    pub const ALL: [Theme; 4] = [Theme::Dark, Theme::Light, Theme::HighContrast, Theme::Mono];

    pub fn name(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
            Theme::HighContrast => "high-contrast",
            Theme::Mono => "mono",
        }
    }

    /// The next theme for the `T` key (mono only when NO_COLOR asked for it).
    pub fn next(self) -> Theme {
        match self {
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::HighContrast,
            Theme::HighContrast => Theme::Dark,
            Theme::Mono => Theme::Mono,
        }
    }

    /// `NO_COLOR` (any non-empty value, see no-color.org) wins over the choice.
    pub fn respecting_no_color(self) -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::Mono,
            _ => self,
        }
    }
}

const SOURCES: [(Theme, &str); 3] = [
    (Theme::Dark, include_str!("../assets/themes/dark.toml")),
    (Theme::Light, include_str!("../assets/themes/light.toml")),
    (
        Theme::HighContrast,
        include_str!("../assets/themes/high-contrast.toml"),
    ),
];

#[derive(Debug, Clone)]
pub struct Palette {
    pub background: Option<Style>,
    roles: BTreeMap<String, Style>,
}

/// Every role a theme file must define.
pub const ROLES: &[&str] = &[
    "title",
    "border",
    "border_focus",
    "key",
    "dim",
    "highlight_line",
    "highlight_status",
    "warning",
    "print",
    "gate",
    "held",
    "playing",
    "good",
    "waiting",
    "chart",
    "state_running",
    "state_sleeping",
    "state_disk",
    "state_stopped",
    "state_zombie",
    "state_other",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[allow(dead_code)]
    name: String,
    background: Option<String>,
    roles: BTreeMap<String, String>,
}

/// `"black on yellow bold"`: a foreground, optionally `on` a background, then
/// modifiers.
pub fn parse_style(spec: &str) -> Result<Style, String> {
    let mut style = Style::new();
    let mut background = false;
    for w in spec.split_whitespace() {
        let modifier = match w {
            "bold" => Some(Modifier::BOLD),
            "reversed" => Some(Modifier::REVERSED),
            "underlined" => Some(Modifier::UNDERLINED),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            _ => None,
        };
        if let Some(m) = modifier {
            style = style.add_modifier(m);
        } else if w == "on" {
            background = true;
        } else {
            let color = Color::from_str(w).map_err(|_| format!("'{w}' is not a colour"))?;
            style = if background {
                style.bg(color)
            } else {
                style.fg(color)
            };
        }
    }
    Ok(style)
}

pub fn parse_theme(src: &str) -> Result<Palette, String> {
    let file: ThemeFile = toml::from_str(src).map_err(|e| e.to_string())?;
    let mut roles = BTreeMap::new();
    for role in ROLES {
        let spec = file
            .roles
            .get(*role)
            .ok_or_else(|| format!("role '{role}' is missing"))?;
        roles.insert(role.to_string(), parse_style(spec)?);
    }
    if let Some(extra) = file.roles.keys().find(|k| !ROLES.contains(&k.as_str())) {
        return Err(format!("unknown role '{extra}'"));
    }
    let background = file.background.as_deref().map(parse_style).transpose()?;
    Ok(Palette { background, roles })
}

fn mono() -> Palette {
    let b = Style::new().add_modifier(Modifier::BOLD);
    let r = Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
    let plain = Style::new();
    let roles = ROLES
        .iter()
        .map(|role| {
            let style = match *role {
                "title" | "warning" | "good" | "highlight_status" | "gate" => b,
                "key" | "highlight_line" | "held" | "playing" | "state_zombie" => r,
                "dim" => plain.add_modifier(Modifier::DIM),
                _ => plain,
            };
            (role.to_string(), style)
        })
        .collect();
    Palette {
        background: None,
        roles,
    }
}

fn palettes() -> &'static BTreeMap<&'static str, Palette> {
    static ALL: OnceLock<BTreeMap<&'static str, Palette>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: BTreeMap<&'static str, Palette> = SOURCES
            .iter()
            // A broken built-in theme (caught by the tests) falls back to mono.
            .map(|(t, src)| (t.name(), parse_theme(src).unwrap_or_else(|_| mono())))
            .collect();
        all.insert(Theme::Mono.name(), mono());
        all
    })
}

thread_local! {
    static CURRENT: Cell<Theme> = const { Cell::new(Theme::Dark) };
}

/// Selects the theme the role functions answer with, on this thread.
pub fn select(theme: Theme) {
    CURRENT.with(|c| c.set(theme));
}

pub fn palette() -> &'static Palette {
    let name = CURRENT.with(Cell::get).name();
    &palettes()[name]
}

fn role(name: &str) -> Style {
    palette().roles.get(name).copied().unwrap_or_default()
}

pub fn title() -> Style {
    role("title")
}
pub fn border() -> Style {
    role("border")
}
pub fn border_focus() -> Style {
    role("border_focus")
}
pub fn key() -> Style {
    role("key")
}
pub fn dim() -> Style {
    role("dim")
}
pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
}
pub fn highlight_line() -> Style {
    role("highlight_line")
}
/// A decoded wait status: what the learner should read.
pub fn highlight_status() -> Style {
    role("highlight_status")
}
pub fn warning() -> Style {
    role("warning")
}
pub fn print() -> Style {
    role("print")
}
pub fn gate() -> Style {
    role("gate")
}
pub fn held() -> Style {
    role("held")
}
pub fn playing() -> Style {
    role("playing")
}
/// A prediction that held, a lock holder, time spent doing the work.
pub fn good() -> Style {
    role("good")
}
/// Time spent waiting.
pub fn waiting() -> Style {
    role("waiting")
}
/// Sparklines and charts.
pub fn chart() -> Style {
    role("chart")
}

/// The colour of a process state letter.
pub fn state(letter: char) -> Style {
    role(match letter {
        'R' => "state_running",
        'S' => "state_sleeping",
        'D' => "state_disk",
        'T' | 't' => "state_stopped",
        'Z' => "state_zombie",
        _ => "state_other",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse_with_every_role() {
        for (theme, src) in SOURCES {
            let p = parse_theme(src).unwrap_or_else(|e| panic!("{}: {e}", theme.name()));
            assert_eq!(p.roles.len(), ROLES.len());
        }
    }

    #[test]
    fn styles_parse_and_mistakes_are_named() {
        assert_eq!(
            parse_style("black on yellow bold").unwrap(),
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            parse_style("#ff0000").unwrap().fg,
            Some(Color::Rgb(255, 0, 0))
        );
        assert!(parse_style("blurple").unwrap_err().contains("blurple"));
        let missing = "name = \"x\"\n[roles]\ntitle = \"red\"\n";
        assert!(parse_theme(missing).unwrap_err().contains("missing"));
    }

    #[test]
    fn mono_uses_no_colour_and_themes_are_per_thread() {
        let p = mono();
        assert!(p.roles.values().all(|s| s.fg.is_none() && s.bg.is_none()));
        select(Theme::Mono);
        assert_eq!(key().fg, None);
        let other = std::thread::spawn(|| key().bg).join().unwrap();
        assert_eq!(other, Some(Color::Cyan), "another thread keeps the default");
        select(Theme::Dark);
    }
}
