//! The command line (see the CLI contract in ARCHITECTURE.md).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "proclab",
    version,
    about = "Real processes, live: the lessons of Python's multiprocessing, run and drawn as they happen.",
    long_about = "Real processes, live: the lessons of Python's multiprocessing, run and drawn as they happen.\n\n\
                  Without a command, proclab opens the lesson menu. Every PID, state, signal and exit status\n\
                  on screen comes from the kernel at the moment it happens.",
    after_help = "Examples:\n  proclab                                   the lesson menu\n  proclab lesson fork-fanout                one lesson, step by step\n  proclab run fork-fanout --set children=3 --set break_in_child=false\n  proclab run fork-fanout --json --speed 10 the wire format, ten times faster"
)]
pub struct Cli {
    /// Load lessons from this folder instead of the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub lessons: Option<PathBuf>,
    /// Narration language (default: from LANG).
    #[arg(long, global = true, value_parser = ["en", "zh"])]
    pub lang: Option<String>,
    /// Most processes a run may have alive at once.
    #[arg(long, global = true, default_value_t = 64, value_parser = clap::value_parser!(u32).range(2..=64))]
    pub cap: u32,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// One line per lesson: id, scenario, title.
    List,
    /// Open one lesson (paused at its first step).
    Lesson {
        /// A lesson id, as `proclab list` shows.
        id: String,
    },
    /// Run a scenario: in the terminal UI, or as a log with --headless / --json.
    Run {
        /// A scenario id, e.g. fork-fanout.
        scenario: String,
        /// Set a parameter (repeatable), e.g. --set children=3.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Run sleeps this many times faster (any positive factor).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Print a readable log instead of opening the terminal UI.
        #[arg(long, conflicts_with = "json")]
        headless: bool,
        /// Print the events as JSON lines (the wire format).
        #[arg(long)]
        json: bool,
        /// Start step by step (in the terminal UI): Space runs the next step; with
        /// per-process gates (e.g. `lock --set schedule=true`) you pick who runs.
        #[arg(long, conflicts_with_all = ["headless", "json"])]
        step: bool,
    },
    /// What this machine supports, with advice.
    Doctor,
    /// Watch your own program live (ptrace): its processes, execs, signals and exit
    /// statuses, e.g. `proclab trace -- python3 my_pool.py`.
    Trace {
        /// Print a readable log instead of opening the terminal UI.
        #[arg(long, conflicts_with = "json")]
        headless: bool,
        /// Print the events as JSON lines (the wire format).
        #[arg(long)]
        json: bool,
        /// Give the program this terminal's stdin (default: /dev/null).
        #[arg(long)]
        stdin: bool,
        /// Do not watch reads and writes: no messages through pipes (for programs that
        /// move a lot of data through pipes, which the watching slows down).
        #[arg(long)]
        no_pipes: bool,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
}
