//! Presenter mode: what a class at the back of the room can read. The step title and
//! the key numbers in big pixel letters, the tree and the scenario's own pane with the
//! rows they need, the narration below; `c` puts the code, big, where the tree was.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph};
use tui_big_text::{BigText, PixelSize};

use super::fit::{self, Part};
use super::wrap::wrap;
use super::{lesson_pane, log, narration, theme, tree};
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
    // the 8×8 font lacks (Chinese), is a banner: three rows, spaced out, reversed. A
    // short screen (80×24) has no rows to spare for either: one reversed line.
    let per_line = (area.width as usize / BIG_COLS).max(1);
    // Two lines of big letters take 8 rows: only on a tall screen (a projector at
    // 100×30 needs them for the tree); shorter, a title that needs two is a banner.
    // (`area` is the screen less its header and key bar: 28 rows at 100×30.)
    let most_lines = match area.height {
        38.. => 2,
        28.. => 1,
        _ => 0,
    };
    let title_lines = big_lines(&headline, per_line).filter(|l| l.len() <= most_lines);
    let banner_rows = if area.height >= 28 { BANNER_ROWS } else { 1 };
    let title_rows = title_lines.as_ref().map_or(banner_rows, |l| {
        u16::try_from(l.len())
            .unwrap_or(u16::MAX)
            .saturating_mul(BIG_ROWS)
    });
    let gap = u16::from(area.height >= 28);
    let code_big = app.present.is_some_and(|p| p.code) && lesson.is_some();
    // The tree (or the code) and the panes beside it get the rows the processes need,
    // then the narration the rows its text needs (at least enough, with a question
    // open, to show the question and some of the text: n scrolls the rest).
    let main_want = if code_big {
        u16::MAX
    } else {
        let side = super::pane_rows(app, run, area.width * 45 / 100).max(PANE_MIN);
        tree::rows_wanted(run).max(side.saturating_add(BIG_ROWS + 2))
    };
    let measured = lesson.map(|l| narration::Words::new(l, run, app.lang, area.width));
    let words_want = measured.as_ref().map_or(0, narration::Words::rows);
    // A question on screen until the run answers it: the class votes on it meanwhile,
    // so its choices stay in view after the first vote too.
    let quiz_open = lesson.is_some_and(|l| {
        super::quiz::this_steps_quiz(l, run).is_some_and(|(_, asked)| asked.reported.is_none())
    });
    // A question answered (here, on the step after, in the end score) is what the
    // class looks at: its verdict and whys come before the tree's spare rows and the
    // log, as far as the tree keeps its least.
    let answered = lesson.is_some_and(|l| super::quiz::answer_shown(l, run));
    let words_min = match (lesson.is_some(), quiz_open, answered) {
        (false, ..) => 0,
        (true, _, true) => area.height.saturating_sub(title_rows + gap + 8),
        (true, true, false) => 12,
        (true, false, false) => 6,
    }
    .min(words_want);
    let [title_area, _, body, words] = {
        let h = fit::stack(
            area.height,
            &[
                Part::new(title_rows, title_rows),
                Part::new(gap, gap),
                Part::new(8, main_want),
                Part::new(words_min, words_want),
            ],
            // Rows beyond every want go to the tree and the panes (a projector's
            // 200×60 would otherwise show an empty narration box half the screen).
            2,
        );
        super::rows::<4>(area, &h)
    };
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

    let hits = match lesson.filter(|_| code_big) {
        // The code big: the step's lines where the tree was.
        Some(lesson) => {
            let code_width = narration::code_width(lesson, run)
                .max(body.width / 2)
                .min(body.width * 3 / 5);
            // A tree narrower than this cuts its labels: the program takes the room.
            let code_width = if body.width.saturating_sub(code_width) < 48 {
                body.width
            } else {
                code_width
            };
            let [code_area, side] =
                Layout::horizontal([Constraint::Length(code_width), Constraint::Fill(1)])
                    .areas(body);
            narration::code(lesson, run, frame, code_area);
            tree_and_pane(app, run, frame, side)
        }
        None => {
            let [tree_area, side] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(body);
            let hits = tree::render(run, app.lang, frame, tree_area);
            let numbers_height = numbers_rows(side.height);
            let [numbers, pane_area] =
                Layout::vertical([Constraint::Length(numbers_height), Constraint::Min(0)])
                    .areas(side);
            key_numbers(app, run, frame, numbers);
            side_pane(app, run, frame, pane_area);
            hits
        }
    };
    if let (Some(lesson), Some(measured)) = (lesson, measured) {
        narration::narration(lesson, run, app.lang, measured, frame, words);
    }
    hits
}

/// The least rows of the pane under the numbers: its borders and two lines.
const PANE_MIN: u16 = 4;

/// Rows the numbers' box takes in a column `height` rows tall: big digits (4 rows) in
/// their border where the pane below still gets rows of its own, else one plain line.
fn numbers_rows(height: u16) -> u16 {
    if height >= BIG_ROWS + 2 + PANE_MIN {
        BIG_ROWS + 2
    } else {
        3
    }
}

/// Beside the big code: the tree with the rows it needs over the scenario's pane (the
/// numbers give way; the tree's title counts the processes). Nothing where the code
/// took the whole width.
fn tree_and_pane(app: &App, run: &RunView, frame: &mut Frame, side: Rect) -> tree::TreeHits {
    if side.width == 0 {
        return tree::TreeHits::default();
    }
    let h = fit::stack(
        side.height,
        &[
            Part::new(5, tree::rows_wanted(run)),
            Part::new(4, super::pane_rows(app, run, side.width)),
        ],
        1,
    );
    let [tree_area, pane_area] = super::rows::<2>(side, &h);
    let hits = tree::render(run, app.lang, frame, tree_area);
    side_pane(app, run, frame, pane_area);
    hits
}

/// Tab swaps the scenario's pane and the log here too (the key bar offers it).
fn side_pane(app: &App, run: &RunView, frame: &mut Frame, area: Rect) {
    match lesson_pane(run).filter(|_| !app.show_log) {
        Some(draw) => draw(run, app.lang, frame, area),
        None => log::render(run, app.lang, frame, area),
    }
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
    let mut lines = vec![Line::styled(format!("  {shown}  "), style).centered()];
    if area.height >= BANNER_ROWS {
        lines.insert(0, Line::styled("", style));
        lines.push(Line::styled("", style));
    }
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
    // Its title ends with "…" in a narrow box (80 columns), not mid-word.
    let title = fit::ellipsis(
        tr!(app.lang, "present.numbers"),
        usize::from(area.width.saturating_sub(4)),
    );
    let block = Block::bordered()
        .title(Span::styled(format!(" {} ", title.trim()), theme::dim()))
        .border_style(theme::border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
    for (text, at) in [(counts, left), (timer, right)] {
        // Big digits cut short are no digits: only where all four rows fit.
        if text.chars().count() * BIG_COLS <= at.width as usize && at.height >= BIG_ROWS {
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
