//! The command line (see the CLI contract in ARCHITECTURE.md).

use std::path::PathBuf;

use crate::theme::Theme;
use clap::{Args, Parser, Subcommand, ValueEnum};
pub use clap_complete::Shell;

mod generated;
pub use generated::{completions, man_page, visible_subcommands};

/// `--lang`: a language proclab has a file for.
fn parse_lang(s: &str) -> Result<String, String> {
    use crate::i18n::Lang;
    match Lang::parse(s) {
        Some(l) if l.code() == s => Ok(s.to_string()),
        _ => {
            let codes: Vec<&str> = Lang::all().map(Lang::code).collect();
            Err(format!("one of: {}", codes.join(", ")))
        }
    }
}

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
    #[command(flatten)]
    pub lessons: LessonsOpt,
    #[command(flatten)]
    pub python: PythonOpt,
    #[command(flatten)]
    pub lang: LangOpt,
    #[command(flatten)]
    pub cap: CapOpt,
    #[command(flatten)]
    pub look: LookOpt,
    #[command(flatten)]
    pub pace: PaceOpt,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

// Each option is a group of its own, flattened into the menu (no command) and into
// exactly the commands it means something to, so `proclab export --help` lists no
// `--theme`. Given before a command that does not take it, it is refused
// (`Cli::settings`), not silently dropped.

#[derive(Debug, Clone, Default, Args)]
pub struct LessonsOpt {
    /// Load lessons from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub lessons: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct PythonOpt {
    /// The CPython that runs Python lessons (default: python3 on PATH).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct LangOpt {
    /// The interface's and the narration's language: en, zh, or any with a file in
    /// assets/i18n (default: from LC_ALL, LC_MESSAGES or LANG).
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct CapOpt {
    /// Most processes a run may have alive at once (default 64). Lessons and `run`:
    /// 1..=64, it can only be lowered. `trace`: up to what this machine allows now, the
    /// least of RLIMIT_NPROC's soft limit minus the tasks you already run (not for
    /// root), kernel.pid_max and kernel.threads-max minus the tasks that exist, never
    /// below 64 (`proclab doctor` says it).
    #[arg(long, value_name = "N", value_parser = parse_cap)]
    pub cap: Option<u32>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct LookOpt {
    /// Colour theme (default: dark; NO_COLOR turns colour off whatever this says; T
    /// cycles them).
    #[arg(long, value_enum)]
    pub theme: Option<Theme>,
    /// Presenter mode: big step title and numbers, fewer panes, high contrast, a class
    /// timer (P toggles it).
    #[arg(long)]
    pub present: bool,
}

#[derive(Debug, Clone, Default, Args)]
pub struct PaceOpt {
    /// Auto-advance: release each step after SECS seconds (a question still waits for
    /// its answer).
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub pace: Option<f64>,
}

/// The options in force for the command given: each from the command's own place or
/// from before it, with its default when neither says.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub lessons: Option<PathBuf>,
    pub python: Option<PathBuf>,
    pub lang: Option<String>,
    pub cap: u32,
    pub theme: Theme,
    pub present: bool,
    pub pace: Option<f64>,
}

/// Which option groups a command takes (`None`: it takes none of that kind).
#[derive(Default)]
struct Takes<'a> {
    lessons: Option<&'a LessonsOpt>,
    python: Option<&'a PythonOpt>,
    lang: Option<&'a LangOpt>,
    cap: Option<&'a CapOpt>,
    look: Option<&'a LookOpt>,
    pace: Option<&'a PaceOpt>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// One line per lesson: id, scenario, title.
    List {
        #[command(flatten)]
        lessons: LessonsOpt,
        #[command(flatten)]
        lang: LangOpt,
        #[command(flatten)]
        cap: CapOpt,
    },
    /// Open one lesson (paused at its first step).
    Lesson {
        /// A lesson id, as `proclab list` shows.
        id: String,
        /// Write the lesson's Python program to FILE (`-`: stdout) and exit, so it can
        /// be run with `python3 FILE`.
        #[arg(long, value_name = "FILE")]
        export_python: Option<PathBuf>,
        /// With --export-python: overwrite FILE if it exists.
        #[arg(long, requires = "export_python")]
        force: bool,
        /// Sleeps run this many times faster, 0.01 to 1000 (+/- change it live).
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = speed_factor)]
        speed: f64,
        /// Write every event to FILE as it arrives (JSON lines; `proclab replay FILE`).
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// Run the lesson to its end without holding and print a readable log (a
        /// `gate` line at each step).
        #[arg(long, conflicts_with = "json")]
        headless: bool,
        /// Run the lesson to its end without holding and print its events as JSON lines.
        #[arg(long)]
        json: bool,
        /// Run one of the lesson's variants (its id; `v` in the screens lists them).
        #[arg(long, value_name = "ID")]
        variant: Option<String>,
        /// Set a parameter as `run` does, e.g. --set disposition=ignore; the set must be
        /// one of the lesson's variants, so the program shown is the one that runs.
        #[arg(long = "set", value_name = "KEY=VALUE", conflicts_with = "variant")]
        set: Vec<String>,
        #[command(flatten)]
        lessons: LessonsOpt,
        #[command(flatten)]
        python: PythonOpt,
        #[command(flatten)]
        lang: LangOpt,
        #[command(flatten)]
        look: LookOpt,
        #[command(flatten)]
        pace: PaceOpt,
        #[command(flatten)]
        cap: CapOpt,
    },
    /// Run a scenario: in the terminal UI, or as a log with --headless / --json.
    Run {
        /// A scenario id, e.g. fork-fanout.
        scenario: String,
        /// Set a parameter (repeatable), e.g. --set children=3.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Run sleeps this many times faster, 0.01 to 1000 (0.5: half speed).
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = speed_factor)]
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
        /// Write every event to FILE as it arrives (the lines `--json` prints).
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        #[command(flatten)]
        lang: LangOpt,
        #[command(flatten)]
        look: LookOpt,
        #[command(flatten)]
        pace: PaceOpt,
        #[command(flatten)]
        cap: CapOpt,
    },
    /// Play a recorded trace (from --record, `w`, or `run --json > FILE`): no process
    /// is created.
    Replay {
        /// A trace: JSON lines, as `proclab run --json` prints them.
        file: PathBuf,
        /// Print the readable log instead of opening the terminal UI.
        #[arg(long, conflicts_with = "json")]
        headless: bool,
        /// Print the trace's lines again (the wire format).
        #[arg(long)]
        json: bool,
        /// Play this many times faster than recorded, 0.01 to 1000 (with --headless /
        /// --json, pace the output at this speed instead of printing it at once).
        #[arg(long, allow_negative_numbers = true, value_parser = speed_factor)]
        speed: Option<f64>,
        /// Start step by step: each gate of the main program holds until Space.
        #[arg(long, conflicts_with_all = ["headless", "json"])]
        step: bool,
        #[command(flatten)]
        lessons: LessonsOpt,
        #[command(flatten)]
        lang: LangOpt,
        #[command(flatten)]
        look: LookOpt,
    },
    /// Convert a recorded trace for a trace viewer.
    Export {
        /// A trace: JSON lines, as `proclab run --json` prints them.
        file: PathBuf,
        /// chrome: the Chrome Trace Event Format (opens in ui.perfetto.dev).
        #[arg(long, value_enum, default_value_t = ExportFormat::Chrome)]
        format: ExportFormat,
        /// Where to write (default: FILE with the extension .json).
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// What this machine supports, with advice.
    Doctor {
        #[command(flatten)]
        python: PythonOpt,
        #[command(flatten)]
        cap: CapOpt,
    },
    /// Watch your own program live (ptrace): its processes, execs, signals and exit
    /// statuses, e.g. `proclab trace -- python3 my_pool.py`.
    ///
    /// Exit status, as `time`, `timeout` and `strace` give it: the program's exit code,
    /// or 128 + N when signal N ended it (137 for SIGKILL). In the screens that is how
    /// the program had ended when you quit; quitting (or Ctrl-C, SIGTERM, SIGHUP to
    /// proclab) while it still runs kills it with SIGKILL, hence 137. proclab's own
    /// errors (bad arguments, ptrace refused, the tracer failing) exit 2; a command
    /// that cannot be run exits 127, as in a shell.
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
        /// Hold the whole program at every fork, exec, exit, reap, signal and message
        /// until Space (with --headless or --json: mark each one, without holding).
        #[arg(long)]
        step: bool,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
        #[command(flatten)]
        lang: LangOpt,
        #[command(flatten)]
        look: LookOpt,
        #[command(flatten)]
        pace: PaceOpt,
        #[command(flatten)]
        cap: CapOpt,
    },
    /// Validate lesson files: every problem as file:line:col, then a verdict
    /// (exit 0 clean, 1 problems, 2 nothing to check).
    CheckLessons {
        /// A folder of *.toml lessons (as --lessons takes) or one lesson file.
        path: PathBuf,
        #[command(flatten)]
        cap: CapOpt,
    },
    /// Print a shell completion script, e.g. `source <(proclab completions bash)`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff), e.g. `proclab man | man -l -`.
    Man,
    /// The scenario reference table of docs/LESSONS.md, in Markdown.
    #[command(name = "__scenario-table", hide = true)]
    ScenarioTable,
}

/// The slowest `--speed`: a second of lesson time takes 100 s.
pub const MIN_SPEED: f64 = 0.01;
/// The fastest `--speed`: a second of lesson time takes 1 ms, as fast as any run goes
/// (its sleeps are gone; the work and the kernel set the pace).
pub const MAX_SPEED: f64 = 1000.0;

/// `--speed`: a factor from [`MIN_SPEED`] to [`MAX_SPEED`]. Below, a run would seem
/// to stand still (a second of lesson time in hours); above, nothing is faster, and
/// the header would show a 300-digit number.
pub fn speed_factor(s: &str) -> Result<f64, String> {
    let range = format!(
        "--speed takes a factor from {MIN_SPEED} to {MAX_SPEED} (0.5: half speed, 10: ten times faster)"
    );
    match s.trim().parse::<f64>() {
        Ok(v) if (MIN_SPEED..=MAX_SPEED).contains(&v) => Ok(v),
        Ok(v) if v.is_nan() => Err(format!("'{s}' is not a number; {range}")),
        Ok(_) => Err(format!("{s} is out of range; {range}")),
        Err(_) => Err(format!("'{s}' is not a number; {range}")),
    }
}

fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number of seconds")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Chrome Trace Event Format JSON (Perfetto, chrome://tracing).
    Chrome,
}

// The ceiling's own number, kept under its old name here: `ceiling` (the rule) sits
// below the command line that asks it.
pub use crate::ceiling::MAX_CAP;

/// `--cap N`: a positive number; how high it may go depends on the command
/// (`Cli::check_cap`, once the command is known).
fn parse_cap(s: &str) -> Result<u32, String> {
    let n: u64 = s.trim().parse().map_err(|_| {
        format!(
            "expects a number of live processes, 1..={MAX_CAP} (`trace`: up to what this \
             machine allows, see `proclab doctor`)"
        )
    })?;
    match n {
        0 => Err(format!(
            "a run needs at least 1 live process (its main); use 1..={MAX_CAP}"
        )),
        n => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
    }
}

impl Cmd {
    /// The option groups this command takes.
    fn takes(&self) -> Takes<'_> {
        match self {
            Cmd::List { lessons, lang, cap } => Takes {
                lessons: Some(lessons),
                lang: Some(lang),
                cap: Some(cap),
                ..Takes::default()
            },
            Cmd::Lesson {
                lessons,
                python,
                lang,
                look,
                pace,
                cap,
                ..
            } => Takes {
                lessons: Some(lessons),
                python: Some(python),
                lang: Some(lang),
                cap: Some(cap),
                look: Some(look),
                pace: Some(pace),
            },
            Cmd::Run {
                lang,
                look,
                pace,
                cap,
                ..
            }
            | Cmd::Trace {
                lang,
                look,
                pace,
                cap,
                ..
            } => Takes {
                lang: Some(lang),
                cap: Some(cap),
                look: Some(look),
                pace: Some(pace),
                ..Takes::default()
            },
            Cmd::Replay {
                lessons,
                lang,
                look,
                ..
            } => Takes {
                lessons: Some(lessons),
                lang: Some(lang),
                look: Some(look),
                ..Takes::default()
            },
            Cmd::Doctor { python, cap } => Takes {
                python: Some(python),
                cap: Some(cap),
                ..Takes::default()
            },
            Cmd::CheckLessons { cap, .. } => Takes {
                cap: Some(cap),
                ..Takes::default()
            },
            Cmd::Export { .. } | Cmd::Completions { .. } | Cmd::Man | Cmd::ScenarioTable => {
                Takes::default()
            }
        }
    }

    /// The command's name as typed (`check-lessons`).
    fn name(&self) -> &'static str {
        match self {
            Cmd::List { .. } => "list",
            Cmd::Lesson { .. } => "lesson",
            Cmd::Run { .. } => "run",
            Cmd::Replay { .. } => "replay",
            Cmd::Export { .. } => "export",
            Cmd::Doctor { .. } => "doctor",
            Cmd::Trace { .. } => "trace",
            Cmd::CheckLessons { .. } => "check-lessons",
            Cmd::Completions { .. } => "completions",
            Cmd::Man => "man",
            Cmd::ScenarioTable => "__scenario-table",
        }
    }
}

impl Cli {
    /// The options in force: each one given after the command, else before it, else
    /// its default. An option given before a command that does not take it is an
    /// error naming both (`--theme` means nothing to `export`).
    pub fn settings(&self) -> Result<Settings, String> {
        let takes = match &self.command {
            None => Takes {
                lessons: Some(&self.lessons),
                python: Some(&self.python),
                lang: Some(&self.lang),
                cap: Some(&self.cap),
                look: Some(&self.look),
                pace: Some(&self.pace),
            },
            Some(cmd) => cmd.takes(),
        };
        let given_before = [
            (
                "--lessons",
                self.lessons.lessons.is_some(),
                takes.lessons.is_some(),
            ),
            (
                "--python",
                self.python.python.is_some(),
                takes.python.is_some(),
            ),
            ("--lang", self.lang.lang.is_some(), takes.lang.is_some()),
            ("--cap", self.cap.cap.is_some(), takes.cap.is_some()),
            ("--theme", self.look.theme.is_some(), takes.look.is_some()),
            ("--present", self.look.present, takes.look.is_some()),
            ("--pace", self.pace.pace.is_some(), takes.pace.is_some()),
        ];
        if let (Some(cmd), Some((flag, ..))) = (
            &self.command,
            given_before
                .iter()
                .find(|(_, given, taken)| *given && !*taken),
        ) {
            let name = cmd.name();
            return Err(format!(
                "{flag} means nothing to `proclab {name}` (see `proclab {name} --help` for what it takes)"
            ));
        }
        Ok(Settings {
            lessons: takes
                .lessons
                .and_then(|o| o.lessons.clone())
                .or_else(|| self.lessons.lessons.clone()),
            python: takes
                .python
                .and_then(|o| o.python.clone())
                .or_else(|| self.python.python.clone()),
            lang: takes
                .lang
                .and_then(|o| o.lang.clone())
                .or_else(|| self.lang.lang.clone()),
            cap: takes
                .cap
                .and_then(|o| o.cap)
                .or(self.cap.cap)
                .unwrap_or(MAX_CAP),
            theme: takes
                .look
                .and_then(|o| o.theme)
                .or(self.look.theme)
                .unwrap_or(Theme::Dark),
            present: takes.look.is_some_and(|o| o.present) || self.look.present,
            pace: takes.pace.and_then(|o| o.pace).or(self.pace.pace),
        })
    }

    /// Whether `--cap` is within the command's ceiling: `MAX_CAP` for lessons and
    /// `run`, `trace_ceiling()` (called only when needed) for `trace`.
    pub fn check_cap(
        &self,
        cap: u32,
        trace_ceiling: impl FnOnce() -> crate::ceiling::Ceiling,
    ) -> Result<(), String> {
        let n = cap;
        if n <= MAX_CAP {
            return Ok(());
        }
        if !matches!(self.command, Some(Cmd::Trace { .. })) {
            return Err(format!(
                "{n} is above proclab's hard ceiling of {MAX_CAP} live processes per run; \
                 --cap can only lower it (1..={MAX_CAP}) for lessons and `run` (only \
                 `proclab trace` may go higher)"
            ));
        }
        let ceiling = trace_ceiling();
        if n > ceiling.cap {
            return Err(format!(
                "{n} is above what this machine allows a trace now: at most {} live \
                 processes ({}); use 1..={0}",
                ceiling.cap, ceiling.why
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
