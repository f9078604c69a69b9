//! Drawing: `render(&App, &mut Frame)` only reads the state. One module per pane.

mod fit;
mod flow;
mod help;
mod locks;
mod log;
mod menu;
mod narration;
mod outline;
mod present;
mod quiz;
mod signal;
mod status;
// The theme is below both `app` (which holds the choice) and `ui`; the old path stays.
pub use crate::theme;
mod tree;
mod work;
pub mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Screen};
use fit::Part;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// From this width on, the lesson screen shows the event log beside the narration.
pub const WIDE: u16 = 110;

/// What the frame put where, for the mouse: drawing stays read-only, and the main loop
/// keeps this beside the frame it describes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    /// The rows a click selects: the process tree's in a run, the lessons' in the menu.
    pub tree: Option<tree::TreeHits>,
}

impl Hits {
    /// The process row (index into the process table) drawn at this cell.
    pub fn process_at(&self, col: u16, line: u16) -> Option<usize> {
        self.tree.as_ref()?.row_at(col, line)
    }
}

pub fn render(app: &App, frame: &mut Frame) {
    let _ = render_with_hits(app, frame);
}

pub fn render_with_hits(app: &App, frame: &mut Frame) -> Hits {
    let mut hits = Hits::default();
    let area = frame.area();
    theme::select(app.theme);
    if let Some(background) = theme::palette().background {
        frame.render_widget(ratatui::widgets::Block::new().style(background), area);
    }
    // B: nothing but the theme's background (a presenter's pause).
    if app.blank {
        return hits;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, frame, area);
        return hits;
    }
    match (app.screen, app.run.as_ref()) {
        (Screen::Run, Some(run)) => {
            let [head, body, foot] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Min(10),
                Constraint::Length(1),
            ])
            .areas(area);
            status::header(app, run, frame, head);
            match app.lesson() {
                lesson if app.present.is_some() => {
                    hits.tree = Some(present::render(app, run, lesson, frame, body));
                }
                Some(lesson) if area.width >= WIDE => {
                    hits.tree = Some(wide_lesson(app, run, lesson, frame, body));
                }
                Some(lesson) => {
                    hits.tree = Some(narrow_lesson(app, run, lesson, frame, body));
                }
                None => {
                    // Tab gives the message pane's room to the log (and back).
                    let pane = lesson_pane(run).filter(|_| !app.show_log);
                    let want = pane.map_or(0, |_| pane_rows(app, run, body.width));
                    let heights = fit::stack(
                        body.height,
                        &[
                            Part::new(5, tree::rows_wanted(run)),
                            Part::new(if pane.is_some() { 5 } else { 0 }, want),
                            Part::new(4, 4),
                        ],
                        2,
                    );
                    let [tree_area, flow_area, log_area] = rows(body, &heights);
                    hits.tree = Some(tree::render(run, app.lang, frame, tree_area));
                    if let Some(draw) = pane {
                        draw(run, app.lang, frame, flow_area);
                    }
                    log::render(run, app.lang, frame, log_area);
                }
            }
            // Tab names what it would show instead: the lesson's own pane or, on a
            // narrow screen without one, the code.
            let narrow = area.width < WIDE && app.present.is_none();
            let swap = match (lesson_pane(run), app.lesson()) {
                (None, None) => None,
                // A run or trace without a lesson: the log takes the pane's room.
                (Some(_), None) => Some(if app.show_log { "pane" } else { "log" }),
                (Some(_), Some(_)) => Some(if app.show_log { "pane" } else { "log" }),
                (None, Some(_)) if narrow => Some(if app.show_log { "code" } else { "log" }),
                (None, Some(_)) => None,
            };
            match &app.notice {
                Some(notice) => status::notice(&notice.text(app.lang), frame, foot),
                None => {
                    let code_big = app
                        .present
                        .filter(|_| app.lesson().is_some())
                        .map(|p| p.code);
                    status::keys(run, swap, code_big, app.lang, frame, foot);
                }
            }
            if let Some(menu) = &run.signal_menu {
                signal::render(run, menu, app.lang, frame, body);
            }
            if let (Some(cursor), Some(lesson)) = (run.outline, app.lesson()) {
                outline::render(lesson, run, cursor, app.lang, frame, body);
                hits.tree = None;
            }
            if let (Some(cursor), Some(lesson)) = (run.picker, app.lesson()) {
                outline::variants(lesson, run, cursor, app.lang, frame, body);
                hits.tree = None;
            }
        }
        _ => hits.tree = Some(menu::render(app, frame, area)),
    }
    if app.help {
        help::render(app.lang, frame, area);
        // Under the overlay nothing is clickable.
        hits.tree = None;
    }
    hits
}

/// A lesson on a wide screen: the code down the right, as wide as its longest line;
/// on the left the tree with the rows its processes need, the scenario's pane (or
/// the log) with the rows it can use, and the narration with the rest.
fn wide_lesson(
    app: &App,
    run: &crate::app::RunView,
    lesson: &crate::lesson::Lesson,
    frame: &mut Frame,
    body: Rect,
) -> tree::TreeHits {
    let code_width = narration::code_width(lesson, run).clamp(30, body.width * 2 / 5);
    let [left, code_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(code_width)]).areas(body);
    let pane = beside_narration(app, run).unwrap_or(log::render);
    let words = narration::Words::new(lesson, run, app.lang, left.width);
    let heights = fit::stack(
        left.height,
        &[
            Part::new(5, tree::rows_wanted(run)),
            Part::new(5, pane_rows(app, run, left.width)),
            Part::new(8, words.rows()),
        ],
        2,
    );
    let [tree_area, pane_area, text_area] = rows(left, &heights);
    let hits = tree::render(run, app.lang, frame, tree_area);
    // Where messages move or work is done, that pane says more than the log (Tab
    // swaps them).
    pane(run, app.lang, frame, pane_area);
    narration::narration(lesson, run, app.lang, words, frame, text_area);
    narration::code(lesson, run, frame, code_area);
    hits
}

/// A lesson on a narrow screen: the tree and the scenario's pane get the full width
/// and the rows they need, the narration and the code share what is left; the log
/// gives way (the tree shows what the events did).
fn narrow_lesson(
    app: &App,
    run: &crate::app::RunView,
    lesson: &crate::lesson::Lesson,
    frame: &mut Frame,
    body: Rect,
) -> tree::TreeHits {
    let pane = lesson_pane(run).map(|draw| if app.show_log { log::render } else { draw });
    let code_width = narration::code_width(lesson, run).min(body.width * 2 / 5);
    let text_width = body.width.saturating_sub(code_width);
    let words = narration::Words::new(lesson, run, app.lang, text_width);
    let heights = fit::stack(
        body.height,
        &[
            Part::new(5, tree::rows_wanted(run)),
            Part::new(
                if pane.is_some() { 5 } else { 0 },
                pane.map_or(0, |_| pane_rows(app, run, body.width)),
            ),
            Part::new(8, words.rows()),
        ],
        2,
    );
    let [top, middle, bottom] = rows(body, &heights);
    if let Some(draw) = pane {
        draw(run, app.lang, frame, middle);
    }
    let [text_area, code_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(code_width)]).areas(bottom);
    let hits = tree::render(run, app.lang, frame, top);
    narration::narration(lesson, run, app.lang, words, frame, text_area);
    // No pane of its own: Tab shows the log in the code's place.
    if app.show_log && pane.is_none() {
        log::render(run, app.lang, frame, code_area);
    } else {
        narration::code(lesson, run, frame, code_area);
    }
    hits
}

/// `area` cut into rows of these heights, top to bottom.
fn rows<const N: usize>(area: Rect, heights: &[u16]) -> [Rect; N] {
    Layout::vertical(
        heights
            .iter()
            .map(|&h| Constraint::Length(h))
            .collect::<Vec<_>>(),
    )
    .areas(area)
}

/// Rows the pane beside the tree could use at this width: the scenario's own, or the
/// log when Tab asked for it or there is none.
fn pane_rows(app: &App, run: &crate::app::RunView, width: u16) -> u16 {
    use crate::scenario::Pane as Shows;
    // A log is read a few lines at a time; it gets what is left beyond this.
    const LOG: u16 = 8;
    if app.show_log {
        return LOG;
    }
    match run.view.pane {
        Shows::Messages => flow::rows_wanted(run, app.lang, width),
        Shows::Work => work::rows_wanted(run),
        Shows::Cores => work::cores_rows_wanted(run),
        Shows::Locks(_) => locks::rows_wanted(run, app.lang, width),
        Shows::Tree if flow::has_messages(run) => flow::rows_wanted(run, app.lang, width),
        Shows::Tree => LOG,
    }
}

/// Clears where an overlay box goes, and one cell more on each side: a wide character
/// cut by the box edge would otherwise leave half of itself beside the border.
fn clear_overlay(frame: &mut Frame, area: Rect, box_area: Rect) {
    let x = box_area.x.saturating_sub(1);
    let margin = Rect {
        x,
        y: box_area.y,
        width: (box_area.width + 2).min(area.width.saturating_sub(x)),
        height: box_area.height,
    };
    frame.render_widget(ratatui::widgets::Clear, margin);
    // Clear leaves the terminal's own background: the theme's goes back on.
    if let Some(background) = theme::palette().background {
        frame.render_widget(ratatui::widgets::Block::new().style(background), margin);
    }
}

type Pane = fn(&crate::app::RunView, crate::i18n::Lang, &mut Frame, Rect);

/// The pane beside the narration: the scenario's own, unless Tab asked for the log.
fn beside_narration(app: &App, run: &crate::app::RunView) -> Option<Pane> {
    lesson_pane(run).filter(|_| !app.show_log)
}

/// The pane a scenario's point lives in, beside the tree: as the run's view says
/// (`Scenario::view`, or a Python lesson's `pane`), or messages if any pass in a run
/// without a pane of its own.
fn lesson_pane(run: &crate::app::RunView) -> Option<Pane> {
    use crate::scenario::Pane as Shows;
    match run.view.pane {
        Shows::Messages => Some(flow::render),
        Shows::Work => Some(work::render),
        Shows::Cores => Some(work::render_cores),
        Shows::Locks(_) => Some(locks::render),
        Shows::Tree if flow::has_messages(run) => Some(flow::render),
        Shows::Tree => None,
    }
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    use crate::tr;
    let lang = app.lang;
    let mut text = Text::from(vec![
        Line::styled(tr!(lang, "small.title"), theme::warning()),
        Line::raw(tr!(
            lang,
            "small.size",
            width = area.width,
            height = area.height,
            min_width = MIN_WIDTH,
            min_height = MIN_HEIGHT
        )),
        Line::raw(tr!(lang, "small.advice")),
    ]);
    // A question ("quit proclab?") must be seen to be answered.
    if let Some(notice) = &app.notice {
        text.push_line(Line::styled(notice.text(lang), theme::gate()));
    }
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

#[cfg(test)]
mod classroom_tests;
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod lang_tests;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod menu_tests;
#[cfg(test)]
mod python_tests;
#[cfg(test)]
mod quiz_tests;
#[cfg(test)]
mod status_tests;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod work_tests;
