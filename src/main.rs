//! proclab: real processes, live. `main` only dispatches: the hidden `__runner` entry
//! goes first, before anything can start a thread, because the runner forks.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, eyre};
use crossbeam_channel::{Receiver, unbounded};

use proclab::cli::{Cli, Cmd};
use proclab::lesson::Lang;
use proclab::{app, doctor, headless, lesson, scenario, supervise, tui};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__runner") {
        return match supervise::runner::parse_args(&args[2..]) {
            Some(a) => ExitCode::from(supervise::runner::main(a) as u8),
            None => ExitCode::from(2),
        };
    }
    if args.get(1).map(String::as_str) == Some("__tracer") {
        return match proclab::ptrace::tracer::parse_args(&args[2..]) {
            Some(a) => ExitCode::from(proclab::ptrace::tracer::main(a) as u8),
            None => ExitCode::from(2),
        };
    }
    let _ = color_eyre::install();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proclab: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    supervise::session::become_subreaper();
    let lang = cli
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(Lang::from_env);
    let load_lessons = || {
        lesson::loader::load(cli.lessons.as_deref(), cli.cap).map_err(|errs| {
            let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            eyre!("invalid lessons:\n{}", lines.join("\n"))
        })
    };
    match cli.command {
        None => {
            tui::ensure_terminal()?;
            let app = app::App::new(load_lessons()?, lang);
            tui::run(app, Vec::new(), cli.cap, quit_signals()?)
        }
        Some(Cmd::List) => {
            for l in load_lessons()? {
                println!("{}\t{}\t{}", l.id, l.scenario, l.title.get(lang));
            }
            Ok(())
        }
        Some(Cmd::Lesson { id }) => {
            let lessons = load_lessons()?;
            let Some(index) = lessons.iter().position(|l| l.id == id) else {
                let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
                return Err(eyre!(
                    "unknown lesson '{id}'; valid lesson ids: {}",
                    ids.join(", ")
                ));
            };
            tui::ensure_terminal()?;
            let mut app = app::App::new(lessons, lang);
            app.direct = true;
            app.menu_selected = index;
            let cmds = app.open_lesson(index);
            tui::run(app, cmds, cli.cap, quit_signals()?)
        }
        Some(Cmd::Run {
            scenario,
            set,
            speed,
            headless,
            json,
            step,
        }) => {
            let spec = scenario::find(&scenario)
                .ok_or_else(|| eyre!("{}", scenario::unknown(&scenario)))?;
            if !(speed.is_finite() && speed > 0.0) {
                return Err(eyre!("--speed takes a positive factor, got {speed}"));
            }
            let params = spec.params_from(&set).map_err(|e| eyre!("{e}"))?;
            spec.check_cap(&params, cli.cap).map_err(|e| eyre!("{e}"))?;
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
                    cap: cli.cap,
                    cpu_cores: false,
                };
                return headless::run(&req, format, &quit_signals()?);
            }
            tui::ensure_terminal()?;
            let lessons = load_lessons().unwrap_or_default();
            let mut app = app::App::new(lessons, lang);
            app.direct = true;
            let cmds = if step {
                app.open_run_stepping(spec, params, speed)
            } else {
                app.open_run(spec, params, speed)
            };
            tui::run(app, cmds, cli.cap, quit_signals()?)
        }
        Some(Cmd::Trace {
            headless,
            json,
            stdin,
            no_pipes,
            command,
        }) => trace(command, (stdin, no_pipes, cli.cap), headless, json, lang),
        Some(Cmd::Doctor) => {
            print!("{}", doctor::report());
            Ok(())
        }
    }
}

/// `proclab trace -- COMMAND…`: the same front ends as a run, fed by the tracer.
/// `options`: (--stdin, --no-pipes, --cap).
fn trace(
    argv: Vec<String>,
    (stdin, no_pipes, cap): (bool, bool, u32),
    headless: bool,
    json: bool,
    lang: Lang,
) -> Result<()> {
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
        cpu_cores: !(headless || json),
    };
    if headless || json {
        let format = if json {
            headless::Format::Json
        } else {
            headless::Format::Readable
        };
        let session = supervise::session::Session::start_trace(&req)?;
        return headless::run_session(session, format, &quit_signals()?);
    }
    tui::ensure_terminal()?;
    let mut app = app::App::new(Vec::new(), lang);
    app.direct = true;
    let cmds = app.open_trace(req);
    tui::run(app, cmds, cap, quit_signals()?)
}

/// SIGINT, SIGTERM and SIGHUP become one message; the main loop does the cleanup.
fn quit_signals() -> Result<Receiver<()>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    let (tx, rx) = unbounded();
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if tx.send(()).is_err() {
                return;
            }
        }
    });
    Ok(rx)
}
