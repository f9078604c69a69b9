//! proclab: real processes, live. `main` only dispatches: the hidden `__runner` entry
//! goes first, before anything can start a thread, because the runner forks.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, eyre};
use crossbeam_channel::{Receiver, unbounded};

use proclab::app::update;
use proclab::cli::{Cli, Cmd, Settings};
use proclab::lesson::Lang;
use proclab::{app, ceiling, doctor, export, headless, lesson, playback, scenario, supervise, tui};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__runner") {
        return match supervise::runner::parse_args(&args[2..]) {
            Some(a) => ExitCode::from(u8::try_from(supervise::runner::main(a)).unwrap_or(2)),
            None => ExitCode::from(2),
        };
    }
    if args.get(1).map(String::as_str) == Some("__tracer") {
        return match proclab::ptrace::tracer::parse_args(&args[2..]) {
            Some(a) => ExitCode::from(u8::try_from(proclab::ptrace::tracer::main(a)).unwrap_or(2)),
            None => ExitCode::from(2),
        };
    }
    let _ = color_eyre::install();
    let cli = Cli::parse();
    // As clap says any other bad argument: `error: …`, exit code 2.
    let refuse = |kind, why: String| -> ! {
        <Cli as clap::CommandFactory>::command()
            .error(kind, why)
            .exit()
    };
    let settings = cli
        .settings()
        .unwrap_or_else(|why| refuse(clap::error::ErrorKind::ArgumentConflict, why));
    if let Err(why) = cli.check_cap(settings.cap, || {
        ceiling::trace_ceiling(&ceiling::Machine::gather())
    }) {
        refuse(
            clap::error::ErrorKind::ValueValidation,
            format!("invalid value '{}' for '--cap <N>': {why}", settings.cap),
        );
    }
    if let Some(Cmd::CheckLessons { path, .. }) = &cli.command {
        return ExitCode::from(lesson::check::run(path, settings.cap));
    }
    // Text generated from the CLI definition: nothing to set up, no process to start.
    let generated = match &cli.command {
        Some(Cmd::Completions { shell }) => Some(proclab::cli::completions(*shell)),
        Some(Cmd::Man) => Some(proclab::cli::man_page()),
        _ => None,
    };
    if let Some(text) = generated {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        return match out.write_all(&text).and_then(|()| out.flush()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(141),
            Err(e) => {
                eprintln!("proclab: {e}");
                ExitCode::from(2)
            }
        };
    }
    match run(cli, &settings) {
        Ok(code) => ExitCode::from(code),
        // `proclab run … --json | head`: the reader has what it wanted. The run was
        // stopped on the way out (the session's drop); nothing to complain about, and
        // the exit code a shell gives a program that SIGPIPE ended (128 + 13).
        Err(e) if closed_stdout(&e) => ExitCode::from(141),
        Err(e) => {
            // An error may quote what it was given: shown, never obeyed, huge words cut.
            let said = format!("proclab: {e}");
            let said = proclab::visible::cut_long_words(&said);
            proclab::term::eprintln_quietly(&proclab::visible::escape_lines(&said));
            ExitCode::from(2)
        }
    }
}

/// Whether `e` comes from writing to a pipe whose reader has gone.
fn closed_stdout(e: &color_eyre::eyre::Report) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs the command; returns proclab's exit code (0 but for `trace`, which exits with
/// its program's status).
fn run(cli: Cli, settings: &Settings) -> Result<u8> {
    supervise::session::become_subreaper();
    let lang = settings
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(Lang::from_env);
    let load_lessons = || {
        lesson::loader::load(settings.lessons.as_deref(), settings.cap).map_err(|errs| {
            let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            eyre!("invalid lessons:\n{}", lines.join("\n"))
        })
    };
    let look = Look {
        theme: settings.theme.respecting_no_color(),
        present: settings.present,
        pace: settings.pace,
        python: proclab::python::find(settings.python.as_deref()),
        cap: settings.cap,
    };
    let done = match cli.command {
        None => {
            tui::ensure_terminal()?;
            let app = dressed(app::App::new(load_lessons()?, lang), &look);
            tui::run(app, Vec::new(), settings.cap, quit_signals()?)
        }
        Some(Cmd::List { .. }) => {
            let lessons = load_lessons()?;
            // A lesson file's text is shown, never obeyed (`visible`).
            use proclab::visible::{escape, escape_lines};
            let rows: Vec<(String, String, String)> = lessons
                .iter()
                .map(|l| {
                    let cell = |s: &str| escape(s).into_owned();
                    (cell(&l.id), cell(l.scenario), cell(l.title.get(lang)))
                })
                .collect();
            // A header and columns for a reader; tab-separated lines for a script.
            use std::io::IsTerminal;
            print!(
                "{}",
                proclab::hint::list(&rows, std::io::stdout().is_terminal())
            );
            // stdout stays the contract's three columns; what a lowered cap closes
            // goes to stderr.
            for e in lessons.iter().filter_map(|l| l.over_cap.as_ref()) {
                eprintln!("proclab: note: {}", escape_lines(&e.to_string()));
            }
            Ok(())
        }
        Some(Cmd::Lesson {
            id,
            export_python,
            force,
            speed,
            record,
            headless,
            json,
            variant,
            set,
            ..
        }) => {
            let lessons = load_lessons()?;
            let Some(index) = lessons.iter().position(|l| l.id == id) else {
                let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
                let said = proclab::hint::unknown_lesson(&id, &ids, &scenario::ids());
                return Err(eyre!("{said}"));
            };
            let variant = lesson::variants::chosen(&lessons[index], variant.as_deref(), &set)
                .map_err(|e| eyre!("{e}"))?;
            if let Some(dest) = export_python {
                return lesson::export::export_python(&lessons[index], variant, &dest, force)
                    .map(|()| 0)
                    .map_err(|e| eyre!("{e}"));
            }
            if let Some(e) = &lessons[index].over_cap {
                return Err(eyre!(
                    "lesson '{id}' cannot run under --cap {}:\n{e}",
                    settings.cap
                ));
            }
            if lessons[index].is_python()
                && let Err(why) = &look.python
            {
                return Err(eyre!("lesson '{id}' runs its program under CPython: {why}"));
            }
            if headless || json {
                let format = if json {
                    headless::Format::Json
                } else {
                    headless::Format::Readable
                };
                return lesson_headless(
                    &lessons[index],
                    variant,
                    (speed, settings.cap),
                    &look,
                    format,
                    record,
                );
            }
            tui::ensure_terminal()?;
            let mut app = dressed(app::App::new(lessons, lang), &look);
            app.direct = true;
            app.menu_selected = index;
            app.lesson_speed = speed;
            let cmds = app.open_lesson_variant(index, variant);
            let record = recorder(record.as_deref())?;
            tui::run_recording(app, cmds, settings.cap, quit_signals()?, record)
        }
        Some(Cmd::Run {
            scenario,
            set,
            speed,
            headless,
            json,
            step,
            record,
            ..
        }) => {
            let spec = scenario::find(&scenario).ok_or_else(|| {
                // A lesson's id is a likely mistake: say so, with the command. Only a
                // hint: lessons that do not load give none (`run` takes no --lessons,
                // so these are the built-in ones).
                let lessons = load_lessons().unwrap_or_default();
                let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
                eyre!(
                    "{}",
                    proclab::hint::unknown_scenario(&scenario, &scenario::ids(), &ids)
                )
            })?;
            let params = spec.params_from(&set).map_err(|e| eyre!("{e}"))?;
            spec.check_cap(&params, settings.cap)
                .map_err(|e| eyre!("{e}"))?;
            if headless || json {
                let format = if json {
                    headless::Format::Json
                } else {
                    headless::Format::Readable
                };
                let req = supervise::session::RunRequest {
                    scenario: spec,
                    params,
                    speed,
                    step_mode: false,
                    cap: settings.cap,
                    cpu_cores: false,
                    run_on: 0,
                };
                let record = recorder(record.as_deref())?;
                return headless::run_recorded(&req, format, &quit_signals()?, record);
            }
            // The menu the run returns to; a bad lesson file is an error, not a menu
            // silently without lessons.
            let lessons = load_lessons()?;
            tui::ensure_terminal()?;
            let mut app = dressed(app::App::new(lessons, lang), &look);
            app.direct = true;
            let cmds = if step {
                app.open_run_stepping(spec, params, speed)
            } else {
                app.open_run(spec, params, speed)
            };
            let record = recorder(record.as_deref())?;
            tui::run_recording(app, cmds, settings.cap, quit_signals()?, record)
        }
        Some(Cmd::Replay {
            file,
            headless,
            json,
            speed,
            step,
            ..
        }) => {
            let opts = playback::Options {
                file,
                headless,
                json,
                speed,
                step,
                lang,
                theme: look.theme,
                present: look.present,
            };
            playback::run(&opts, load_lessons, quit_signals()?)
        }
        Some(Cmd::Export {
            file,
            format: _,
            output,
        }) => export::chrome::run(&file, output.as_deref()),
        Some(Cmd::Trace {
            headless,
            json,
            stdin,
            no_pipes,
            step,
            command,
            ..
        }) => {
            return trace(
                command,
                (stdin, no_pipes, step, settings.cap),
                headless,
                json,
                lang,
                &look,
            );
        }
        Some(Cmd::Doctor { .. }) => {
            print!(
                "{}",
                doctor::report(settings.cap, settings.python.as_deref())
            );
            Ok(())
        }
        Some(Cmd::ScenarioTable) => {
            print!("{}", lesson::doc::scenario_table());
            Ok(())
        }
        // Handled in `main`, before anything is set up.
        Some(Cmd::Completions { .. } | Cmd::Man) => Ok(()),
        // Handled in `main` (it has its own exit codes).
        Some(Cmd::CheckLessons { path, .. }) => {
            let code = lesson::check::run(&path, settings.cap);
            std::process::exit(i32::from(code))
        }
    };
    done.map(|()| 0)
}

/// How the terminal UI looks and paces itself, from the global flags.
struct Look {
    theme: proclab::theme::Theme,
    present: bool,
    pace: Option<f64>,
    /// The interpreter of Python lessons, or why there is none.
    python: Result<std::path::PathBuf, proclab::python::NoPython>,
    cap: u32,
}

fn dressed(mut app: app::App, look: &Look) -> app::App {
    app.me = Some(nix::unistd::getpid().as_raw());
    app.python = look.python.clone();
    app.cap = look.cap;
    app.theme = look.theme;
    app.pace_s = look.pace;
    if look.present {
        update(&mut app, app::Msg::Action(app::Action::Present));
    }
    app
}

/// The `--record` file, created before anything starts.
fn recorder(path: Option<&std::path::Path>) -> Result<Option<proclab::trace::record::Recorder>> {
    path.map(proclab::trace::record::Recorder::create)
        .transpose()
        .map_err(|e| eyre!("{e}"))
}

/// `proclab lesson ID --headless | --json`: the lesson's run to its end, not held: its
/// scenario's, or (a Python lesson) its program's under the tracer, with a `gate` at
/// each step. Exits as `run` does, or (Python) as the program did.
fn lesson_headless(
    lesson: &lesson::Lesson,
    variant: Option<usize>,
    (speed, cap): (f64, u32),
    look: &Look,
    format: headless::Format,
    record: Option<std::path::PathBuf>,
) -> Result<u8> {
    if lesson.is_python() {
        let python = look.python.clone().map_err(|why| eyre!("{why}"))?;
        proclab::ptrace::ptrace_permitted().map_err(|why| eyre!("cannot trace: {why}"))?;
        let req = lesson
            .trace_request(&python, cap, false)
            .ok_or_else(|| eyre!("lesson '{}' has no program to run", lesson.id))?;
        let session = supervise::session::Session::start_trace(&req, false)?;
        return headless::run_trace(session, format, &quit_signals()?);
    }
    let spec = scenario::find(lesson.scenario)
        .ok_or_else(|| eyre!("{}", scenario::unknown(lesson.scenario)))?;
    // Not held: the scenario still emits its gates, which the log shows as steps. A
    // lesson with slow motion is held at each gate for as long as the log takes to set
    // the step's speed and release it: slowed from the gate on, not a moment after
    // (a race's 400,000 additions would be over by then).
    let slowing = lesson.slowing();
    let req = supervise::session::RunRequest {
        scenario: spec,
        params: lesson.params_for(variant).clone(),
        speed,
        step_mode: !slowing.is_empty(),
        cap,
        cpu_cores: false,
        run_on: lesson.run_on_mask(spec.gates),
    };
    let record = recorder(record.as_deref())?;
    headless::run_lesson_recorded(&req, &slowing, format, &quit_signals()?, record)
}

/// `proclab trace -- COMMAND…`: the same front ends as a run, fed by the tracer.
/// `options`: (--stdin, --no-pipes, --cap). Returns the command's exit code (128 + N
/// for a death by signal N), as `time`, `timeout` and `strace` do.
fn trace(
    argv: Vec<String>,
    (stdin, no_pipes, step, cap): (bool, bool, bool, u32),
    headless: bool,
    json: bool,
    lang: Lang,
    look: &Look,
) -> Result<u8> {
    proclab::ptrace::ptrace_permitted().map_err(|why| eyre!("cannot trace: {why}"))?;
    if stdin && !(headless || json) {
        return Err(eyre!(
            "--stdin needs --headless or --json: the screen reads the keyboard itself"
        ));
    }
    let req = supervise::tracing::TraceRequest {
        argv,
        stdin,
        no_pipes,
        cap,
        lesson: None,
        step_every: step,
        hold: !(headless || json),
    };
    if headless || json {
        let format = if json {
            headless::Format::Json
        } else {
            headless::Format::Readable
        };
        let session = supervise::session::Session::start_trace(&req, false)?;
        return headless::run_trace(session, format, &quit_signals()?);
    }
    tui::ensure_terminal()?;
    let mut app = dressed(app::App::new(Vec::new(), lang), look);
    app.direct = true;
    let cmds = app.open_trace(req);
    tui::run_trace(app, cmds, cap, quit_signals()?)
}

/// Every signal whose default would end proclab and that a handler may take (SIGINT,
/// SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGALRM, … and the real-time ones) becomes one
/// message, its number; the main loop stops the run and restores the terminal. Left
/// alone: SIGKILL and SIGSTOP (no handler can run), the faults SIGSEGV, SIGBUS,
/// SIGILL and SIGFPE (after a real one nothing is safe to run; parent-death signals
/// still end the run), and SIGPIPE (ignored: a closed stdout is an error on write).
fn quit_signals() -> Result<Receiver<i32>> {
    let mut signals = signal_hook::iterator::Signals::new(proclab::term::QUIT_SIGNALS)?;
    for rt in libc::SIGRTMIN()..=libc::SIGRTMAX() {
        // A real-time signal the C library keeps for itself is refused: skip it.
        let _ = signals.add_signal(rt);
    }
    let (tx, rx) = unbounded();
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if tx.send(sig).is_err() {
                return;
            }
        }
    });
    Ok(rx)
}
