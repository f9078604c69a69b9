//! `update`: the only place `App` changes. Pure: no I/O, no clock; effects leave as
//! `Command`s.

use super::keymap::Action;
use super::{
    App, Command, LOG_KEEP, LogClass, LogEntry, MAX_SPEED, MIN_SPEED, Msg, RunView, Screen, Summary,
};
use crate::headless::describe;
use crate::trace::event::{Event, EventKind, WaitOutcome};

pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Action(a) => on_action(app, a),
        Msg::Event(e) => {
            if let Some(run) = app.run.as_mut() {
                let lesson = run.lesson.and_then(|i| app.lessons.get(i));
                on_event(run, lesson, e);
            }
            Vec::new()
        }
        Msg::Warning(text) => {
            if let Some(run) = app.run.as_mut() {
                let t_us = run.now_us;
                push_log(
                    run,
                    LogEntry {
                        t_us,
                        pid: 0,
                        text,
                        class: LogClass::Warning,
                    },
                );
            }
            Vec::new()
        }
        Msg::RunEnded => match app.run.as_mut() {
            Some(run) if !run.ended => {
                run.ended = true;
                run.held = false;
                vec![Command::StopRun]
            }
            _ => Vec::new(),
        },
    }
}

fn on_action(app: &mut App, action: Action) -> Vec<Command> {
    if action == Action::Quit {
        app.quit = true;
        return vec![Command::StopRun, Command::Quit];
    }
    if app.help {
        if matches!(action, Action::Help | Action::Back | Action::Open) {
            app.help = false;
        }
        return Vec::new();
    }
    match action {
        Action::Help => {
            app.help = true;
            Vec::new()
        }
        Action::Lang => {
            app.lang = app.lang.other();
            Vec::new()
        }
        _ => match app.screen {
            Screen::Menu => on_menu(app, action),
            Screen::Run => on_run(app, action),
        },
    }
}

fn on_menu(app: &mut App, action: Action) -> Vec<Command> {
    let n = app.lessons.len();
    match action {
        Action::Up => app.menu_selected = app.menu_selected.saturating_sub(1),
        Action::Down if n > 0 => app.menu_selected = (app.menu_selected + 1).min(n - 1),
        Action::Open | Action::Step => return app.open_lesson(app.menu_selected),
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
        Action::Up => run.selected = run.selected.saturating_sub(1),
        Action::Down => run.selected = (run.selected + 1).min(run.procs.len().saturating_sub(1)),
        Action::Step if run.ended => {}
        // A permit only for a process that is really held: permits granted ahead would
        // let the run pass the next gate while the screen said it stopped there.
        Action::Step if run.step_mode => {
            if run.held {
                run.held = false;
                return vec![Command::Permit];
            }
        }
        Action::Step => {
            run.paused = !run.paused;
            return vec![Command::SetPaused(run.paused)];
        }
        Action::Play => {
            run.step_mode = !run.step_mode;
            let mut cmds = vec![Command::SetStepMode(run.step_mode)];
            if !run.step_mode {
                run.held = false;
            }
            // Either way a pause is lifted: in step mode Space means "next step", so a
            // pause left behind could never be undone with it.
            if run.paused {
                run.paused = false;
                cmds.push(Command::SetPaused(false));
            }
            return cmds;
        }
        Action::Faster | Action::Slower => {
            let factor = if action == Action::Faster { 2.0 } else { 0.5 };
            run.speed = (run.speed * factor).clamp(MIN_SPEED, MAX_SPEED);
            return vec![Command::SetSpeed(run.speed)];
        }
        Action::Restart => {
            // StartRun replaces the current run; nothing of the old one reaches the new view.
            let fresh = RunView::new(
                run.lesson,
                run.scenario,
                run.params.clone(),
                run.lesson.is_some(),
                run.speed,
            );
            return app.start_fresh(fresh);
        }
        Action::Back => {
            if app.direct {
                app.quit = true;
                return vec![Command::StopRun, Command::Quit];
            }
            app.run = None;
            app.screen = Screen::Menu;
            return vec![Command::StopRun];
        }
        Action::Open | Action::Quit | Action::Help | Action::Lang => {}
    }
    Vec::new()
}

impl App {
    fn start_fresh(&mut self, run: RunView) -> Vec<Command> {
        let cmd = Command::StartRun {
            scenario: run.scenario,
            params: run.params.clone(),
            speed: run.speed,
            step_mode: run.step_mode,
        };
        self.run = Some(run);
        vec![cmd]
    }
}

fn push_log(run: &mut RunView, entry: LogEntry) {
    if run.log.len() >= LOG_KEEP {
        run.log.pop_front();
    }
    run.log.push_back(entry);
}

fn on_event(run: &mut RunView, lesson: Option<&crate::lesson::Lesson>, e: Event) {
    run.now_us = run.now_us.max(e.t_us);
    // A spawn or an adoption can move lines of the drawn tree; the selection stays on
    // the process it was on, not on whatever now occupies its line.
    let keep = matches!(e.kind, EventKind::Spawn { .. } | EventKind::Reparent { .. })
        .then(|| run.selected_index())
        .flatten();
    let class = match &e.kind {
        EventKind::Spawn { ppid, label } => {
            run.procs.spawn(e.pid, *ppid, label);
            LogClass::Lifecycle
        }
        EventKind::State {
            state,
            reason,
            cpu,
            ignored,
            caught,
        } => {
            if let Some(p) = run.procs.get_mut(e.pid) {
                p.state = state.chars().next();
                p.reason = reason.clone();
                p.cpu = cpu.unwrap_or(0.0);
                p.ignored = ignored.clone();
                p.caught = caught.clone();
            }
            return; // drawn in the tree, too frequent for the log
        }
        EventKind::Exit { code } => {
            if let Some(p) = run.procs.get_mut(e.pid) {
                p.exit_code = Some(*code);
            }
            LogClass::Lifecycle
        }
        EventKind::Reap { child, status, .. } => {
            if let Some(p) = run.procs.get_mut(*child) {
                p.reaped = Some((*status, WaitOutcome::from_raw(*status)));
                p.state = None;
                p.reason.clear();
                p.cpu = 0.0;
            }
            LogClass::Lifecycle
        }
        EventKind::Reparent { ppid, .. } => {
            if let Some(p) = run.procs.get_mut(e.pid) {
                p.ppid = *ppid;
            }
            LogClass::Lifecycle
        }
        EventKind::Gate { name } => {
            run.gate = Some(name.clone());
            run.gate_pid = Some(e.pid);
            if let Some(i) = lesson.and_then(|l| l.step_for_gate(name)) {
                run.step = Some(i);
            }
            run.held = run.step_mode;
            LogClass::Gate
        }
        EventKind::Summary {
            processes,
            leaked,
            duration_us,
            ..
        } => {
            run.summary = Some(Summary {
                processes: *processes,
                leaked: *leaked,
                duration_us: *duration_us,
            });
            LogClass::Lifecycle
        }
        EventKind::Print { .. } => LogClass::Print,
        EventKind::ForkFailed { .. } => LogClass::Warning,
        _ => LogClass::Lifecycle,
    };
    if let Some(row) = keep {
        run.select_index(row);
    }
    // What a process printed reads best as itself; the colour says it is output.
    let text = match e.kind {
        EventKind::Print { text } => text,
        kind => describe(&kind),
    };
    push_log(
        run,
        LogEntry {
            t_us: e.t_us,
            pid: e.pid,
            text,
            class,
        },
    );
}
