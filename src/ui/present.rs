//! Presenter mode: what a class at the back of the room can read. The step title and
//! the key numbers in big pixel letters, the tree and the scenario's own pane with all
//! the room they can get, the narration below; no code pane, no log.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph};
use tui_big_text::{BigText, PixelSize};

use super::wrap::wrap;
use super::{lesson_pane, log, narration, quiz, theme, tree};
use crate::app::{App, RunView};
use crate::lesson::Lesson;
use crate::tr;

/// Rows a line of big text takes (an 8×8 font, two pixels per cell each way).
const BIG_ROWS: u16 = 4;
/// Columns a big character takes.
const BIG_COLS: usize = 4;

pub fn render(
    app: &App,
    run: &RunView,
    lesson: Option<&Lesson>,
    frame: &mut Frame,
    area: Rect,
) -> tree::TreeHits {
    let headline = match lesson {
        Some(l) => run
            .step
            .and_then(|i| l.step_title(i, run.variant))
            .unwrap_or(&l.title)
            .get(app.lang)
            .to_string(),
        None => super::status::scenario_title(app.lang, run.scenario),
    };
    // Big letters only for what fits in two lines; a longer title, or one in letters
    // the 8×8 font lacks (Chinese), is a banner: three rows, spaced out, reversed.
    let per_line = (area.width as usize / BIG_COLS).max(1);
    // Two lines of big letters take 8 rows: only on a tall screen (a projector at
    // 100×30 needs them for the tree); shorter, a title that needs two is a banner.
    let most_lines = if area.height >= 40 { 2 } else { 1 };
    let title_lines = big_lines(&headline, per_line).filter(|l| l.len() <= most_lines);
    let title_rows = title_lines.as_ref().map_or(BANNER_ROWS, |l| {
        u16::try_from(l.len())
            .unwrap_or(u16::MAX)
            .saturating_mul(BIG_ROWS)
    });
    // The narration grows by the run's answers (a quiz's verdict and whys), as far as
    // the title and the tree's least rows leave room.
    let words_rows = lesson.map_or(0, |l| {
        let room = area.height.saturating_sub(title_rows + 1 + 8).max(9);
        (9 + quiz::answer_rows(l, run, app.lang, area.width)).min(room)
    });
    let [title_area, _, body, words] = Layout::vertical([
        Constraint::Length(title_rows),
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(words_rows),
    ])
    .areas(area);
    match title_lines {
        Some(lines) => frame.render_widget(
            BigText::builder()
                .pixel_size(PixelSize::Quadrant)
                .style(theme::title())
                .lines(lines.into_iter().map(Line::from).collect::<Vec<_>>())
                .build(),
            title_area,
        ),
        None => banner(&headline, frame, title_area),
    }

    let [tree_area, side] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    let hits = tree::render(run, app.lang, frame, tree_area);
    let [numbers, pane_area] =
        Layout::vertical([Constraint::Length(BIG_ROWS + 3), Constraint::Min(4)]).areas(side);
    key_numbers(app, run, frame, numbers);
    // Tab swaps the scenario's pane and the log here too (the key bar offers it).
    match lesson_pane(run).filter(|_| !app.show_log) {
        Some(draw) => draw(run, app.lang, frame, pane_area),
        None => log::render(run, app.lang, frame, pane_area),
    }
    if let Some(lesson) = lesson {
        narration::narration(lesson, run, app.lang, frame, words);
    }
    hits
}

/// Rows the banner takes: a line of title between two of its background.
const BANNER_ROWS: u16 = 3;

/// A title the big font cannot draw, as large as a terminal cell allows: reversed,
/// bold, a space between wide characters, on a band of three rows, centred; cut
/// with `…` if it is wider than the screen.
fn banner(text: &str, frame: &mut Frame, area: Rect) {
    use unicode_width::UnicodeWidthStr;
    let spaced: String = text
        .chars()
        .flat_map(|c| {
            let wide = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) >= 2;
            [Some(c), wide.then_some(' ')]
        })
        .flatten()
        .collect();
    let spaced = spaced.trim_end();
    let room = usize::from(area.width).saturating_sub(4);
    let shown = if spaced.width() <= room {
        spaced.to_string()
    } else {
        super::wrap::wrap(text, room.saturating_sub(1))
            .into_iter()
            .next()
            .map_or_else(String::new, |l| format!("{l}…"))
    };
    let style = theme::title().add_modifier(ratatui::style::Modifier::REVERSED);
    let lines = vec![
        Line::styled("", style),
        Line::styled(format!("  {shown}  "), style).centered(),
        Line::styled("", style),
    ];
    let width = u16::try_from(shown.width())
        .unwrap_or(u16::MAX)
        .saturating_add(4)
        .min(area.width);
    let [band] = Layout::horizontal([Constraint::Length(width)])
        .flex(ratatui::layout::Flex::Center)
        .areas(area);
    frame.render_widget(Paragraph::new(lines).style(style), band);
}

/// Words of `text` packed into at most two lines of `per_line` big characters, or
/// None if they do not fit (or the font has not the letters).
fn big_lines(text: &str, per_line: usize) -> Option<Vec<String>> {
    // The 8×8 font has Latin letters only.
    if text.chars().any(|c| u32::from(c) > 0xff) {
        return None;
    }
    let lines = wrap(text, per_line);
    (lines.len() <= 2 && lines.iter().all(|l| l.chars().count() <= per_line)).then_some(lines)
}

/// Alive and created processes, and the class timer, in big digits.
fn key_numbers(app: &App, run: &RunView, frame: &mut Frame, area: Rect) {
    let elapsed_s = app
        .present
        .and_then(|p| p.since_ms)
        .map_or(0, |since| app.clock_ms.saturating_sub(since) / 1000);
    let timer = format!("{:02}:{:02}", elapsed_s / 60, elapsed_s % 60);
    let counts = format!("{}/{}", run.procs.alive(), run.procs.len());
    let block = Block::bordered()
        .title(Span::styled(tr!(app.lang, "present.numbers"), theme::dim()))
        .border_style(theme::border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
    for (text, at) in [(counts, left), (timer, right)] {
        if text.chars().count() * BIG_COLS <= at.width as usize {
            frame.render_widget(
                BigText::builder()
                    .pixel_size(PixelSize::Quadrant)
                    .style(theme::gate())
                    .lines(vec![Line::from(text)])
                    .build(),
                at,
            );
        } else {
            frame.render_widget(Paragraph::new(Text::styled(text, theme::gate())), at);
        }
    }
}
