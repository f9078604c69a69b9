//! `update`: the only place `App` changes. Pure: no I/O, no clock; effects leave as
//! `Command`s.

use super::ingest::{log_for, on_event};
use super::keymap::Action;
use super::navigate::{self, Leave};
use super::signals;
use super::{App, Command, LogClass, MAX_SPEED, MIN_SPEED, Msg, RunView, Screen};
use crate::i18n::Said;

pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    // A step's slow motion starts when its gate is released, whoever releases it
    // (Space, the pace, a jump, `p`): seen from the commands.
    // (An event's own releases are seen in its branch: the gate it reaches is new.)
    let held_before = app
        .run
        .as_ref()
        .filter(|_| !matches!(msg, Msg::Event(_)))
        .and_then(|run| {
            let lesson = run.lesson.and_then(|i| app.lessons.get(i));
            super::slow::held_step(run, lesson)
        });
    let mut cmds = dispatch(app, msg);
    if let Some(run) = app.run.as_mut() {
        let lesson = run.lesson.and_then(|i| app.lessons.get(i));
        super::slow::on_release(run, lesson, held_before, &mut cmds);
    }
    cmds
}

fn dispatch(app: &mut App, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Action(a) => on_action(app, a),
        Msg::Event(e) => {
            let Some(run) = app.run.as_mut() else {
                return Vec::new();
            };
            let lesson = run.lesson.and_then(|i| app.lessons.get(i));
            run.seen_ms = app.clock_ms;
            if super::stall::shows_progress(&e) {
                run.progress_ms = app.clock_ms;
                run.stall = None;
            }
            let reached = match &e.kind {
                crate::trace::event::EventKind::Gate { name, slot: None } => {
                    lesson.and_then(|l| l.step_for_gate(name))
                }
                _ => None,
            };
            on_event(run, lesson, e);
            // Playing, a step's gate is passed as it is reached: its slowing starts.
            let mut cmds = reached
                .map(|step| super::slow::on_reached(run, lesson, step))
                .unwrap_or_default();
            // A step before the one jumped to is released as soon as it holds.
            let held = super::slow::held_step(run, lesson);
            let mut released = navigate::release_towards(run);
            super::slow::on_release(run, lesson, held, &mut released);
            cmds.extend(released);
            cmds
        }
        Msg::Warning(text) => {
            log_now(app, text, LogClass::Warning);
            Vec::new()
        }
        Msg::Tick(now_ms) => {
            app.clock_ms = now_ms;
            if let Some(run) = app.run.as_mut() {
                // Quiet time counts only while the run is let go: not held, not paused.
                if run.held() || run.paused() {
                    run.progress_ms = now_ms;
                }
                let was = run.stall.is_some();
                run.stall = super::stall::check(run, now_ms);
                if let (false, Some(stall)) = (was, &run.stall) {
                    let s = stall.quiet_ms / 1000;
                    let at = (run.now_us, 0);
                    log_for(
                        run,
                        at,
                        crate::said!("log.stalled", s = s),
                        LogClass::Warning,
                    );
                }
            }
            if let Some(p) = app.present.as_mut() {
                p.since_ms.get_or_insert(now_ms);
            }
            auto_advance(app)
        }
        Msg::Note(text) => {
            app.notice = Some(text.clone());
            log_now(app, text, LogClass::Lifecycle);
            Vec::new()
        }
        Msg::RunEnded => match app.run.as_mut() {
            Some(run) if !run.ended() => {
                run.phase.end();
                // The score of the learner's predictions goes on top: show it.
                run.narration_scroll = 0;
                run.signal_menu = None;
                let mut cmds = vec![Command::StopRun];
                // A lesson played to its summary is finished (a run cut short is not).
                if run.summary.is_some()
                    && let Some(lesson) = run.lesson.and_then(|i| app.lessons.get(i))
                    && app.finished.insert(lesson.id.clone())
                {
                    cmds.push(Command::SaveFinished(
                        app.finished.iter().cloned().collect(),
                    ));
                }
                cmds
            }
            _ => Vec::new(),
        },
    }
}

/// `P`: presenter mode switches to the high-contrast theme and back (a `NO_COLOR`
/// mono theme stays mono).
/// Log entries `[` and `]` move by.
const LOG_PAGE: usize = 5;

fn toggle_presenter(app: &mut App) {
    use crate::theme::Theme;
    app.present = match app.present.take() {
        Some(p) => {
            app.theme = p.theme_before;
            None
        }
        None => {
            let before = app.theme;
            if before != Theme::Mono {
                app.theme = Theme::HighContrast;
            }
            Some(super::Presenter {
                since_ms: None,
                theme_before: before,
                code: false,
            })
        }
    };
}

/// With a pace set, a step held that long is released by itself, except while a
/// question waits for the class's answer.
#[allow(
    clippy::cast_precision_loss,
    reason = "milliseconds since a step: far below 2^52"
)]
fn auto_advance(app: &mut App) -> Vec<Command> {
    let (Some(pace), Some(run)) = (app.pace_s, app.run.as_mut()) else {
        return Vec::new();
    };
    let Some(since) = run.phase.held_since(app.clock_ms) else {
        return Vec::new();
    };
    let quiz_waits = run.question_open();
    if quiz_waits || (app.clock_ms.saturating_sub(since) as f64) < pace * 1000.0 {
        return Vec::new();
    }
    run.phase.release();
    vec![Command::Permit]
}

/// Lines one PgDn scrolls the narration, and a bound no narration comes near.
const NARRATION_PAGE: u16 = 4;
const MAX_SCROLL: u16 = 200;
/// Lines J or K move the code pane.
const CODE_STEP: i16 = 5;

fn on_action(app: &mut App, action: Action) -> Vec<Command> {
    app.notice = None;
    let quit = || vec![Command::StopRun, Command::Quit];
    if action == Action::Interrupt || (action == Action::Quit && app.help) {
        app.quit = true;
        return quit();
    }
    // A blank screen comes back with any key, which does nothing else.
    if std::mem::take(&mut app.blank) {
        return Vec::new();
    }
    if action == Action::Blank {
        app.blank = true;
        return Vec::new();
    }
    // "Leave this run?": the same key again or Enter leaves, any other key stays.
    if let Some(asked) = app.leave.take() {
        if !navigate::confirmed(asked, action) {
            return Vec::new();
        }
        return match asked {
            Leave::Quit => {
                app.quit = true;
                quit()
            }
            Leave::ToMenu => back(app),
        };
    }
    if app.help {
        if matches!(action, Action::Help | Action::Back | Action::Open) {
            app.help = false;
        }
        return Vec::new();
    }
    // The signal menu is modal: q and Esc close it, nothing else reaches the run.
    if app.screen == Screen::Run
        && let Some(run) = app.run.as_mut()
        && run.signal_menu.is_some()
    {
        return on_signal_menu(app, action);
    }
    if app.screen == Screen::Run && app.run.as_ref().is_some_and(|r| r.outline.is_some()) {
        return navigate::on_outline(app, action);
    }
    if app.screen == Screen::Run && app.run.as_ref().is_some_and(|r| r.picker.is_some()) {
        return navigate::on_picker(app, action);
    }
    if action == Action::Quit {
        if app.screen == Screen::Run && navigate::leaving_stops_processes(app) {
            app.leave = Some(Leave::Quit);
            app.notice = Some(crate::said!("notice.leave_quit"));
            return Vec::new();
        }
        app.quit = true;
        return quit();
    }
    match action {
        Action::Help => {
            app.help = true;
            Vec::new()
        }
        Action::Lang => {
            app.lang = app.lang.next();
            Vec::new()
        }
        Action::SwapPane => {
            app.show_log = !app.show_log;
            Vec::new()
        }
        Action::Present => {
            toggle_presenter(app);
            Vec::new()
        }
        // Presenter mode only: the normal screens always show the code.
        Action::Code => {
            match app.present.as_mut() {
                Some(p) => p.code = !p.code,
                None => app.notice = Some(crate::said!("notice.code_presenter")),
            }
            Vec::new()
        }
        Action::Theme => {
            app.theme = app.theme.next();
            app.notice = Some(crate::said!("notice.theme", theme = app.theme.name()));
            Vec::new()
        }
        _ => match app.screen {
            Screen::Menu => on_menu(app, action),
            Screen::Run => on_run(app, action),
        },
    }
}

/// Out of the run: `proclab lesson X` backs out to the course, as the help promises;
/// a bare run, a replay or a trace opened from the command line has no menu to go
/// back to, so it quits. A lesson finished moves the menu's cursor to the next one.
fn back(app: &mut App) -> Vec<Command> {
    let Some(run) = app.run.as_ref() else {
        app.screen = Screen::Menu;
        return Vec::new();
    };
    if app.direct && (run.lesson.is_none() || app.lessons.is_empty()) {
        app.quit = true;
        return vec![Command::StopRun, Command::Quit];
    }
    if let Some(i) = run.lesson.filter(|_| run.ended()) {
        app.menu_selected = (i + 1).min(app.lessons.len().saturating_sub(1));
    }
    app.direct = false;
    app.run = None;
    app.screen = Screen::Menu;
    vec![Command::StopRun]
}

fn on_menu(app: &mut App, action: Action) -> Vec<Command> {
    let n = app.lessons.len();
    let first_digit = app.menu_digit.take();
    match action {
        // The lessons are numbered: typing a number selects it (Enter opens it).
        Action::Answer(d) => {
            let two = first_digit.map(|f| usize::from(f) * 10 + usize::from(d));
            match two.filter(|t| (1..=n).contains(t)) {
                Some(t) => app.menu_selected = t - 1,
                None if (1..=n).contains(&usize::from(d)) => {
                    app.menu_selected = usize::from(d) - 1;
                    // Another digit may follow if some lesson number starts with it.
                    app.menu_digit = (usize::from(d) * 10 <= n).then_some(d);
                }
                None => {}
            }
        }
        Action::Up => app.menu_selected = app.menu_selected.saturating_sub(1),
        Action::Down if n > 0 => app.menu_selected = (app.menu_selected + 1).min(n - 1),
        Action::Open | Action::Step => return app.open_lesson(app.menu_selected),
        // A click chooses a lesson; a click on the chosen one opens it.
        Action::Select(i) if i < n => {
            if app.menu_selected == i {
                return app.open_lesson(i);
            }
            app.menu_selected = i;
        }
        Action::Back => {
            app.quit = true;
            return vec![Command::Quit];
        }
        _ => {}
    }
    Vec::new()
}

fn on_run(app: &mut App, action: Action) -> Vec<Command> {
    let Some(run) = app.run.as_mut() else {
        app.screen = Screen::Menu;
        return Vec::new();
    };
    match action {
        Action::Up => {
            run.follow = false;
            run.move_selection(-1);
        }
        Action::Down => {
            run.follow = false;
            run.move_selection(1);
        }
        // A traced program runs at its own pace: no speed to set (pause, steps and
        // play are the tracer's holds).
        Action::Faster | Action::Slower if run.trace.is_some() => {}
        Action::Step if run.ended() => {}
        // A permit only for a process that is really held: permits granted ahead would
        // let the run pass the next gate while the screen said it stopped there.
        Action::Step if run.step_mode() => {
            // The selected process, if it waits at its own gate, takes its next step;
            // otherwise the lesson's next step runs.
            let chosen = run.selected_row().map(|p| p.pid);
            if let Some(pid) = chosen
                && let Some((slot, _)) = run.slot_held.remove(&pid)
            {
                return vec![Command::PermitSlot(slot)];
            }
            if run.phase.release() {
                return vec![Command::Permit];
            }
            if !run.slot_held.is_empty() {
                let at = (run.now_us, 0);
                log_for(run, at, crate::said!("notice.scheduler"), LogClass::Gate);
            }
        }
        Action::Step => {
            if let Some(paused) = run.phase.toggle_pause() {
                return vec![Command::SetPaused(paused)];
            }
        }
        Action::Play => {
            // Leaving step mode releases the hold; either way a pause is lifted (see
            // `Phase::toggle_step_mode`).
            let (step_mode, unpaused) = run.phase.toggle_step_mode();
            let mut cmds = vec![Command::SetStepMode(step_mode)];
            if !step_mode {
                run.slot_held.clear();
            }
            if unpaused {
                cmds.push(Command::SetPaused(false));
            }
            return cmds;
        }
        Action::Faster | Action::Slower => {
            let factor = if action == Action::Faster { 2.0 } else { 0.5 };
            run.speed = (run.speed * factor).clamp(MIN_SPEED, MAX_SPEED);
            return vec![Command::SetSpeed(run.effective_speed())];
        }
        Action::Restart => return navigate::rerun(app),
        Action::PrevStep => {
            if let Some(now) = run.step.filter(|&s| s > 0) {
                return navigate::jump_to(app, now - 1);
            }
        }
        Action::FirstStep => {
            if run.step.is_some() {
                return navigate::jump_to(app, 0);
            }
        }
        Action::Outline => navigate::open_outline(app),
        Action::Variants => navigate::open_picker(app),
        Action::Back => {
            if navigate::leaving_stops_processes(app) {
                app.leave = Some(Leave::ToMenu);
                app.notice = Some(crate::said!("notice.leave_menu"));
                return Vec::new();
            }
            return back(app);
        }
        Action::Signal => {
            if let Some(why) = open_signal_menu(run) {
                app.notice = Some(why);
            }
        }
        Action::ScrollDown => {
            // The drawing clamps to the text's length; this only bounds the counter.
            run.narration_scroll = (run.narration_scroll + NARRATION_PAGE).min(MAX_SCROLL);
        }
        Action::ScrollTop => run.narration_scroll = 0,
        // The drawing keeps it within the program; this only bounds the counter.
        Action::CodeDown => run.code_scroll = run.code_scroll.saturating_add(CODE_STEP).min(500),
        Action::CodeUp => run.code_scroll = run.code_scroll.saturating_sub(CODE_STEP).max(-500),
        Action::LogOlder => {
            run.log_scroll = (run.log_scroll + LOG_PAGE).min(run.log.len().saturating_sub(1));
        }
        Action::LogNewer => run.log_scroll = run.log_scroll.saturating_sub(LOG_PAGE),
        Action::Select(row) if row < run.procs.len() => {
            run.follow = false;
            run.selected = Some(row);
        }
        Action::Select(_) => {}
        Action::Answer(n) => {
            let lesson = run.lesson.and_then(|i| app.lessons.get(i));
            let quiz = lesson.and_then(|l| l.step_quiz(run.step?, run.variant));
            if let (Some(quiz), Some(open)) = (quiz, run.quizzes.last_mut())
                && Some(open.step) == run.step
                && n >= 1
            {
                // In front of a class each press is a hand raised for that choice.
                if app.present.is_some() {
                    open.vote(quiz, usize::from(n - 1));
                } else {
                    open.choose(quiz, usize::from(n - 1));
                }
                // The pace starts again from the answer: time to talk about it.
                run.phase.restart_pace();
            }
        }
        Action::Save => {
            return vec![Command::SaveTrace {
                scenario: run.scenario.id,
            }];
        }
        Action::Open
        | Action::Quit
        | Action::Blank
        | Action::Interrupt
        | Action::Help
        | Action::Lang
        | Action::SwapPane
        | Action::Present
        | Action::Code
        | Action::Theme => {}
    }
    Vec::new()
}

/// `k`: the menu for the selected process, or a line in the log saying why not.
/// Opens the signal menu, or returns why not (also logged); the caller shows it where
/// the keys are, since a small screen has no log.
fn open_signal_menu(run: &mut RunView) -> Option<Said> {
    if run.replay {
        let why = crate::said!("signal.replay");
        warn(run, 0, why.clone());
        return Some(why);
    }
    let row = run.selected_row();
    if let Some(why) = signals::refusal(row, run.ended()) {
        let pid = row.map_or(0, |p| p.pid);
        let why = crate::said!("signal.not_sent", why = why);
        warn(run, pid, why.clone());
        return Some(why);
    }
    run.signal_menu = row.map(signals::SignalMenu::new);
    None
}

fn on_signal_menu(app: &mut App, action: Action) -> Vec<Command> {
    let Some(run) = app.run.as_mut() else {
        return Vec::new();
    };
    let Some(menu) = run.signal_menu.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Up => menu.up(),
        Action::Down => menu.down(),
        Action::Back | Action::Quit => run.signal_menu = None,
        Action::Help => app.help = true,
        Action::Lang => app.lang = app.lang.next(),
        Action::SwapPane => app.show_log = !app.show_log,
        Action::Open => {
            let (pid, signal) = (menu.pid, menu.signal());
            run.signal_menu = None;
            // Checked again: the process may have been reaped while the menu was open.
            let row = run.procs.get(pid);
            if let Some(why) = signals::refusal(row, run.ended()) {
                warn(
                    run,
                    pid,
                    crate::said!("signal.not_sent_named", signal = signal.as_str(), why = why),
                );
                return Vec::new();
            }
            run.learner_signalled = true;
            return vec![Command::Signal { pid, signal }];
        }
        _ => {}
    }
    Vec::new()
}

fn warn(run: &mut RunView, pid: i32, text: Said) {
    let at = (run.now_us, pid);
    log_for(run, at, text, LogClass::Warning);
}

/// A line from the front end itself (no process said it), stamped with the run's time.
fn log_now(app: &mut App, text: Said, class: LogClass) {
    if let Some(run) = app.run.as_mut() {
        let at = (run.now_us, 0);
        log_for(run, at, text, class);
    }
}
