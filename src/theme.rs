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

/// How many colours the terminal shows, from COLORTERM and TERM as terminals
/// advertise them; every theme is sent in no more than that (`fit`), and `doctor`
/// says the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Depth {
    /// The 16 ANSI colours (`TERM=xterm`, the Linux console).
    Basic,
    /// The xterm 256-colour palette (`TERM=*-256color`).
    Indexed,
    /// 24-bit colour (`COLORTERM=truecolor` or `24bit`).
    True,
}

impl Depth {
    pub fn detect(colorterm: Option<&str>, term: Option<&str>) -> Depth {
        match colorterm {
            Some("truecolor" | "24bit") => Depth::True,
            _ if term.is_some_and(|t| t.contains("256color")) => Depth::Indexed,
            _ => Depth::Basic,
        }
    }

    pub fn from_env() -> Depth {
        let var = |name| std::env::var(name).ok();
        Depth::detect(var("COLORTERM").as_deref(), var("TERM").as_deref())
    }

    pub fn words(self) -> &'static str {
        match self {
            Depth::Basic => "16 colours",
            Depth::Indexed => "256 colours",
            Depth::True => "24-bit colour",
        }
    }
}

/// The 16 ANSI colours as xterm draws them, to find the nearest.
const ANSI: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// An xterm 256-palette index as RGB.
fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI[usize::from(i)].1,
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(n / 36), level(n / 6 % 6), level(n % 6))
        }
        _ => {
            let g = 8 + (i - 232) * 10;
            (g, g, g)
        }
    }
}

fn nearest_ansi((r, g, b): (u8, u8, u8)) -> Color {
    let d = |(x, y, z): (u8, u8, u8)| {
        let sq = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        sq(r, x) + sq(g, y) + sq(b, z)
    };
    ANSI.iter()
        .min_by_key(|(_, rgb)| d(*rgb))
        .map_or(Color::Reset, |(c, _)| *c)
}

fn nearest_indexed((r, g, b): (u8, u8, u8)) -> Color {
    let step = |v: u8| match v {
        0..=47 => 0,
        48..=114 => 1,
        _ => (v - 35) / 40,
    };
    Color::Indexed(16 + 36 * step(r) + 6 * step(g) + step(b))
}

/// `color` as a terminal of `depth` can show it: a true colour becomes the nearest of
/// the 256 or of the 16, an index above 15 the nearest of the 16.
pub fn fit(color: Color, depth: Depth) -> Color {
    match (color, depth) {
        (Color::Rgb(r, g, b), Depth::Indexed) => nearest_indexed((r, g, b)),
        (Color::Rgb(r, g, b), Depth::Basic) => nearest_ansi((r, g, b)),
        (Color::Indexed(i), Depth::Basic) if i > 15 => nearest_ansi(indexed_rgb(i)),
        (c, _) => c,
    }
}

fn fit_style(style: Style, depth: Depth) -> Style {
    Style {
        fg: style.fg.map(|c| fit(c, depth)),
        bg: style.bg.map(|c| fit(c, depth)),
        ..style
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

/// A palette with every colour as a terminal of `depth` shows it.
pub fn fitted(p: Palette, depth: Depth) -> Palette {
    Palette {
        background: p.background.map(|s| fit_style(s, depth)),
        roles: p
            .roles
            .into_iter()
            .map(|(k, s)| (k, fit_style(s, depth)))
            .collect(),
    }
}

fn palettes() -> &'static BTreeMap<&'static str, Palette> {
    static ALL: OnceLock<BTreeMap<&'static str, Palette>> = OnceLock::new();
    ALL.get_or_init(|| {
        let depth = Depth::from_env();
        let mut all: BTreeMap<&'static str, Palette> = SOURCES
            .iter()
            // A broken built-in theme (caught by the tests) falls back to mono.
            .map(|(t, src)| {
                let palette = parse_theme(src).unwrap_or_else(|_| mono());
                (t.name(), fitted(palette, depth))
            })
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
    fn colours_fit_the_terminal_depth() {
        assert_eq!(Depth::detect(Some("truecolor"), Some("xterm")), Depth::True);
        assert_eq!(Depth::detect(None, Some("tmux-256color")), Depth::Indexed);
        assert_eq!(Depth::detect(None, Some("xterm")), Depth::Basic);
        let orange = Color::Rgb(0xa0, 0x5a, 0x00);
        assert_eq!(fit(orange, Depth::True), orange);
        assert_eq!(fit(orange, Depth::Indexed), Color::Indexed(130));
        assert_eq!(
            fit(Color::Rgb(255, 255, 0), Depth::Basic),
            Color::LightYellow
        );
        assert_eq!(fit(Color::Indexed(240), Depth::Basic), Color::DarkGray);
        // Nothing above 16 colours is left on a basic terminal, in any theme.
        for (_, src) in SOURCES {
            let p = fitted(parse_theme(src).unwrap(), Depth::Basic);
            for s in p.roles.values().chain(p.background.as_ref()) {
                for c in [s.fg, s.bg].into_iter().flatten() {
                    assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(16..)), "{c:?}");
                }
            }
        }
    }

    /// Every theme paints its own background, so its foregrounds never meet a
    /// terminal background they were not chosen for (white on white, black on black).
    #[test]
    fn every_theme_sets_its_background() {
        for (theme, src) in SOURCES {
            let p = parse_theme(src).unwrap();
            let bg = p
                .background
                .unwrap_or_else(|| panic!("{} has no background", theme.name()));
            assert!(bg.bg.is_some() && bg.fg.is_some(), "{}", theme.name());
        }
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
