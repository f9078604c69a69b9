//! `proclab replay FILE`: a recorded trace played back. No process is created: the
//! events come from the file, paced by `trace::replay::Player`, into the same `App`,
//! `update` and screens a live run uses (header REPLAY; `s` is refused).
//!
//! The screen: the lesson whose scenario and parameters are exactly the trace's (its
//! `run` line), so the narration follows the gates; otherwise the bare run screen
//! (narration written for other parameters would tell the wrong story).
//! `--headless` prints the readable log `run --headless` prints for the same events;
//! `--json` prints the lines again. Both print at once unless `--speed` is given.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use color_eyre::eyre::{Result, eyre};
use crossbeam_channel::{Receiver, after, never, select};

use crate::app::{Action, App, Command, Msg, RunView, update};
use crate::describe::readable;
use crate::lesson::{Lang, Lesson};
use crate::term::Term;
use crate::trace::event::EventKind;
use crate::trace::record::{Tape, params_from_json};
use crate::trace::replay::{Player, Trace};
use crate::visible::{escape, json_line};

#[allow(
    clippy::struct_excessive_bools,
    reason = "independent command-line flags of replay, as clap gives them"
)]
pub struct Options {
    pub file: PathBuf,
    pub headless: bool,
    pub json: bool,
    pub speed: Option<f64>,
    pub step: bool,
    pub lang: Lang,
    /// Colours, and presenter mode (`--theme`, `--present`).
    pub theme: crate::theme::Theme,
    pub present: bool,
}

/// Replays `opts.file`; `lessons` loads the lessons to match it with (only for the
/// screens: a bad lesson file is then an error, never a replay without lessons).
pub fn run(
    opts: &Options,
    lessons: impl FnOnce() -> Result<Vec<Lesson>>,
    quit: Receiver<i32>,
) -> Result<()> {
    if let Some(s) = opts.speed
        && !(s.is_finite() && s > 0.0)
    {
        return Err(eyre!("--speed takes a positive factor, got {s}"));
    }
    // Bounded, and a file with no event is said to be no trace (`tracefile`).
    let trace = crate::tracefile::load(&opts.file).map_err(|e| eyre!("{e}"))?;
    let name = opts.file.display().to_string();
    if opts.headless || opts.json {
        for line in malformed_lines(&trace, &name) {
            eprintln!("proclab: {line}");
        }
        return print(&trace, opts.json, opts.speed, &quit);
    }
    let speed = opts.speed.unwrap_or(1.0);
    let mut app = open_app(&trace, lessons()?, opts.lang, opts.step, speed).map_err(|e| {
        for line in malformed_lines(&trace, &name) {
            eprintln!("proclab: {line}");
        }
        eyre!("{name}: {e}")
    })?;
    crate::tui::ensure_terminal().map_err(|_| {
        eyre!(
            "replaying on screen needs a terminal, and stdin or stdout is not a TTY.\n\
             Without one, try: proclab replay {name} --headless · proclab replay {name} --json"
        )
    })?;
    app.direct = true;
    app.theme = opts.theme;
    if opts.present {
        update(&mut app, Msg::Action(Action::Present));
    }
    let warnings = malformed_lines(&trace, &name)
        .into_iter()
        .map(|w| Msg::Warning(w.into()))
        .collect();
    let player = Player::new(&trace.events(), speed, opts.step);
    let mut term = Term::open()?;
    let result = event_loop(&mut term, app, &trace, player, warnings, quit);
    term.close();
    result
}

/// "FILE:LINE: not an event (why)", one per bad line.
pub fn malformed_lines(trace: &Trace, name: &str) -> Vec<String> {
    trace
        .malformed
        .iter()
        .map(|(n, why)| {
            format!(
                "{}:{n}: not an event, skipped ({})",
                escape(name),
                escape(why)
            )
        })
        .collect()
}

/// The app on the replay's screen (see the module doc), before any event.
pub fn open_app(
    trace: &Trace,
    lessons: Vec<Lesson>,
    lang: Lang,
    step: bool,
    speed: f64,
) -> Result<App, String> {
    let (id, params) = trace.run_info().ok_or(
        "the trace has no `run` line naming its scenario, so it cannot be drawn \
         (--headless and --json still replay it)",
    )?;
    let traced = id == crate::ptrace::TRACED.id;
    let spec = if traced {
        &crate::ptrace::TRACED
    } else {
        crate::scenario::find(id).ok_or_else(|| crate::scenario::unknown(id))?
    };
    let params = params_from_json(spec, params)?;
    let lesson = match trace.lesson_id() {
        // A Python lesson's program: its steps and narration, if that lesson is loaded.
        Some(wanted) => lessons.iter().position(|l| l.id == wanted && l.is_python()),
        None if traced => None,
        None => lessons
            .iter()
            .position(|l| l.scenario == spec.id && l.params == params),
    };
    let mut app = App::new(lessons, lang);
    let mut run = RunView::new(lesson, spec, params, step, speed);
    run.replay = true;
    if let Some(i) = lesson {
        app.menu_selected = i;
    }
    app.start(run);
    Ok(app)
}

/// `--headless` / `--json`: every event, at once or paced at `speed`.
fn print(trace: &Trace, json: bool, speed: Option<f64>, quit: &Receiver<i32>) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let mut labels: HashMap<i32, String> = HashMap::new();
    if let Some(pid) = trace.front_end() {
        labels.insert(pid, "proclab".into());
    }
    let mut player = speed.map(|s| Player::new(&trace.events(), s, false));
    let mut last = Instant::now();
    let mut next = 0;
    while next < trace.entries.len() {
        let due = match player.as_mut() {
            None => next..trace.entries.len(),
            Some(p) => {
                out.flush()?;
                if let Some(wait) = p.wait() {
                    select! {
                        recv(quit) -> _ => return Err(eyre!("interrupted")),
                        recv(after(wait)) -> _ => {},
                    }
                }
                let now = Instant::now();
                p.advance(now - last);
                last = now;
                p.due()
            }
        };
        for entry in &trace.entries[due.clone()] {
            let e = &entry.event;
            if let EventKind::Spawn { label, .. } = &e.kind {
                labels.insert(e.pid, label.clone());
            }
            if json {
                writeln!(out, "{}", json_line(&entry.raw))?;
            } else {
                writeln!(out, "{}", readable(e, &labels))?;
            }
        }
        next = due.end.max(next);
    }
    out.flush()?;
    Ok(())
}

/// A replay's feed: the trace's events as the player lets them out, and the
/// recording of what was applied (for `w`).
struct Recorded<'a> {
    trace: &'a Trace,
    player: Player,
    tape: Tape,
    last: Instant,
    ended: bool,
}

impl crate::screens::Feed for Recorded<'_> {
    type Wake = Instant;

    fn due(&mut self, pending: &mut Vec<Msg>) {
        let now = Instant::now();
        self.player.advance(now - self.last);
        self.last = now;
        for i in self.player.due() {
            pending.push(Msg::Event(self.trace.entries[i].event.clone()));
        }
        if self.player.finished() && !self.ended {
            self.ended = true;
            pending.push(Msg::RunEnded);
        }
    }

    /// Sleep until the next event is due.
    fn waker(&self) -> Receiver<Instant> {
        self.player.wait().map(after).unwrap_or_else(never)
    }

    fn woke(&mut self, _: Instant, _: &mut Vec<Msg>) {}

    fn seen(&mut self, msg: &Msg, _: &mut Vec<Msg>) {
        if let Msg::Event(e) = msg {
            self.tape.push(e);
        }
    }

    fn carry_out(&mut self, cmd: Command, pending: &mut Vec<Msg>) {
        match cmd {
            Command::Permit => self.player.release(),
            Command::SetPaused(p) => self.player.set_paused(p),
            Command::SetSpeed(s) => self.player.set_speed(s),
            Command::SetStepMode(on) => self.player.set_step_mode(on),
            Command::StartRun {
                speed, step_mode, ..
            } => {
                self.player.restart(speed, step_mode);
                self.tape.restart();
                self.ended = false;
                self.last = Instant::now();
            }
            Command::SaveTrace { scenario } => {
                pending.push(crate::tui::save_trace(&self.tape, scenario));
            }
            Command::Signal { .. } => pending.push(Msg::Warning(crate::said!("signal.replay"))),
            // A replay is not the learner finishing a lesson.
            Command::PermitSlot(_)
            | Command::StopRun
            | Command::Quit
            | Command::SaveFinished(_)
            | Command::StartTrace { .. } => {}
        }
    }
}

fn event_loop(
    term: &mut Term,
    mut app: App,
    trace: &Trace,
    player: Player,
    pending: Vec<Msg>,
    quit: Receiver<i32>,
) -> Result<()> {
    let mut feed = Recorded {
        trace,
        player,
        tape: Tape::new(None),
        last: Instant::now(),
        ended: false,
    };
    crate::screens::drive(term, &mut app, &mut feed, &quit, pending)
}
