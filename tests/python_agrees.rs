//! Every lesson's Python program, run by the real CPython, prints the same lines as
//! proclab's scenario and ends with the same numbers.
//!
//! For each lesson (and the variants its narration suggests) the test writes the
//! lesson's `python` to a temporary file and runs `/usr/bin/python3 -u` on it (lessons
//! listed in [`SPLITS_LINES_UNBUFFERED`] without it), while
//! `proclab run <scenario> --json --speed 1` runs with the lesson's params. PIDs (runs
//! of 3+ digits) become `<PID>`, the time in pi's `N workers took S.SSSs` becomes
//! `<SECS>`, and where the lesson races (a counter without its lock) the counter and
//! the lost count in `counter = C, expected E, lost L` become `<COUNT>`; then the
//! lines CPython printed on stdout must equal proclab's `print` texts as multisets (each
//! line as many times: a line printed twice too often is a difference; only lines whose
//! number depends on timing on both sides, listed per variant in `repeats`, are
//! compared by presence), and main's own lines (proclab's by PID; on CPython's side the
//! same texts) must come in the same order, which one process's program fixes. A traceback is the exception: proclab shows it as prints (a `Traceback …`
//! line, then the exception line), CPython writes it to stderr, so the exception line
//! must be found in CPython's stderr instead. The outcome numbers (wait statuses, exit
//! code, values, the pool's results in the order the caller received them, pi's
//! digits, the counter and what was lost) are compared explicitly too, and so are
//! orders both sides must keep (never more workers inside a semaphore than its
//! permits, no waiter awake before the event is set). Where CPython's program prints
//! too little to show them (the queue prints no line per item), proclab's events are
//! checked against the numbers instead.
//!
//! Everything runs at once (one thread per run, each spawning processes with
//! `Command`; nothing forks in the test process), so the whole file takes about as
//! long as its slowest programs, the zombie, the pipe and the lock (~6 s). Every
//! process of every run carries the test's tag, and none may be left at the end.

#![allow(
    clippy::cast_possible_wrap,
    clippy::float_cmp,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::Value;

const PYTHON: &str = "/usr/bin/python3";
/// Each program takes a few seconds; one that runs past this is a hung program.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(20);
const PROCLAB_TIMEOUT: Duration = Duration::from_secs(20);
/// The code pane's width: no line of a lesson's program may be wider.
const CODE_PANE: usize = 42;
/// Lessons whose program would print a line in several writes when unbuffered (`-u`,
/// or PYTHONUNBUFFERED: CPython then writes each word, separator and the newline with
/// its own write(2), so lines of two processes can merge). These run without `-u`.
/// Every lesson now writes each line in one call, so the list is empty.
const SPLITS_LINES_UNBUFFERED: &[&str] = &[];

const LESSON_FILES: &[&str] = &[
    "01-fork-fanout.toml",
    "02-zombie.toml",
    "03-signals.toml",
    "04-orphan.toml",
    "05-isolation.toml",
    "06-crash.toml",
    "07-queue.toml",
    "08-pipe.toml",
    "09-pool.toml",
    "10-pi.toml",
    "11-speedup.toml",
    "12-scheduler.toml",
    "13-race.toml",
    "14-lock.toml",
    "15-semaphore.toml",
    "16-event.toml",
];

// ---- lessons ------------------------------------------------------------------------

struct Lesson {
    file: &'static str,
    scenario: String,
    python: String,
    /// The lesson's `[params]` as `key=value`, as `--set` takes them.
    params: BTreeMap<String, String>,
}

fn lesson_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lessons")
        .join(file)
}

fn load_lesson(file: &'static str) -> Lesson {
    let path = lesson_path(file);
    let src = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let table: toml::Table =
        toml::from_str(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = |key: &str| {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("{file}: no string '{key}'"))
            .to_string()
    };
    let params = table
        .get("params")
        .and_then(toml::Value::as_table)
        .map(|t| {
            t.iter()
                .map(|(k, v)| {
                    let v = match v {
                        toml::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    Lesson {
        file,
        scenario: text("scenario"),
        python: text("python"),
        params,
    }
}

// ---- the runs -----------------------------------------------------------------------

/// One comparison: a lesson, optionally with its program edited and a param changed the
/// same way, and the outcome it must reach in both.
struct Variant {
    name: String,
    lesson: Lesson,
    /// `(from, to)`: lines of the program to rewrite (each must occur exactly once).
    rewrites: Vec<(&'static str, &'static str)>,
    /// `key=value`s overriding the lesson's params.
    set: Vec<(&'static str, &'static str)>,
    expect: Expect,
    /// Normalized lines whose number depends on timing on both sides (a child that
    /// prints every second until a signal that comes at a whole second): compared by
    /// presence, not count.
    repeats: &'static [&'static str],
}

/// The numbers both sides must end with.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Only the lines.
    Lines,
    /// Only the lines, as many of each: the children print main's texts too (every
    /// process forks and reaps), so CPython's output cannot say which lines are main's.
    LinesByAnyone,
    /// The raw status `waitpid` returned (and proclab's `status` result).
    WaitStatus(i32),
    /// The adopter the orphan reports is main, and main reaped it.
    AdoptedByMain,
    /// Main's `num` before and after, and each child's.
    Isolation { main: i64, children: [i64; 2] },
    /// `p.exitcode` after join, and the exception line in CPython's stderr.
    Crash {
        exitcode: i64,
        exception: &'static str,
    },
    /// One `consumer j: got None, stopping` per consumer on both sides; in proclab's
    /// events every item `0..items` put and got exactly once, one `None` per consumer,
    /// and the queue never longer than `maxsize`.
    Queue {
        consumers: i64,
        items: i64,
        maxsize: i64,
    },
    /// `child got "ping k"` and `parent got "pong k"` for k in `0..messages`, in order,
    /// and the child's stop line once, on both sides.
    PingPong { messages: i64 },
    /// These lines, in this order, among the printed ones on both sides, compared as
    /// printed (normalizing would turn the sums into `<PID>`).
    InOrder(&'static [&'static str]),
    /// `pi = <digits>` printed on both sides, and proclab's `pi` result to 11 decimals.
    Pi(&'static str),
    /// `workers=n pi=<digits> …` for n in 1..=workers on both sides, and proclab's
    /// `speedup_n` results (1 for n = 1).
    Sweep { workers: i64, pi: &'static str },
    /// One `counter = C, expected E, lost L` line on both sides, with E = `expected`
    /// and C + L = E (proclab's results `counter`, `expected` and `lost` the same as its
    /// line). `exact`: the lock made it exact, the line must read `counter = E,
    /// expected E, lost 0`; otherwise C and L vary from run to run, and the lines are
    /// compared with both as `<COUNT>`.
    Counter { expected: i64, exact: bool },
    /// `worker i: inside` and `worker i: leaving` once for each of `workers`, in that
    /// order, and in line order never more than `permits` inside at once, on both
    /// sides (the lines are written after the acquire and before the release).
    Inside { permits: i64, workers: i64 },
    /// `waiter i: waiting` for each of `waiters` before `setter: e.set()`, and each
    /// `waiter i: woke up` after it, on both sides.
    WokeAfterSet { waiters: i64 },
}

fn variants() -> Vec<Variant> {
    let plain = |file: &'static str, expect: Expect| Variant {
        name: file.trim_end_matches(".toml").to_string(),
        lesson: load_lesson(file),
        rewrites: vec![],
        set: vec![],
        expect,
        repeats: &[],
    };
    let zombie = |signal: &'static str, rewrite, status| Variant {
        name: format!("02-zombie signal={signal}"),
        lesson: load_lesson("02-zombie.toml"),
        rewrites: Option::<(&'static str, &'static str)>::into_iter(rewrite).collect(),
        set: vec![("signal", signal)],
        expect: Expect::WaitStatus(status),
        // The child prints once a second until main's signal at 3.0 s, when its
        // fourth line is due too: 3 or 4 lines, on either side.
        repeats: &["child <PID>: still running"],
    };
    let signals = |disposition: &'static str, rewrite, status| Variant {
        name: format!("03-signals disposition={disposition}"),
        lesson: load_lesson("03-signals.toml"),
        rewrites: Option::<(&'static str, &'static str)>::into_iter(rewrite).collect(),
        set: vec![("disposition", disposition)],
        expect: Expect::WaitStatus(status),
        // The child works once a second; an ignoring one until main's SIGKILL at 4.0 s,
        // when its fifth line is due too: 4 or 5 lines, on either side.
        repeats: if disposition == "ignore" {
            &["child <PID>: working"]
        } else {
            &[]
        },
    };
    let queue = |maxsize: &'static str, rewrite| Variant {
        name: format!("07-queue maxsize={maxsize}"),
        lesson: load_lesson("07-queue.toml"),
        rewrites: Option::<(&'static str, &'static str)>::into_iter(rewrite).collect(),
        set: vec![("maxsize", maxsize)],
        expect: Expect::Queue {
            consumers: 3,
            items: 20,
            maxsize: maxsize.parse().unwrap(),
        },
        repeats: &[],
    };
    // The program's MODE and the scenario's mode, rewritten together.
    let pool = |mode: &'static str, rewrite, lines| Variant {
        name: format!("09-pool mode={mode}"),
        lesson: load_lesson("09-pool.toml"),
        rewrites: Option::<(&'static str, &'static str)>::into_iter(rewrite).collect(),
        set: vec![("mode", mode)],
        expect: Expect::InOrder(lines),
        repeats: &[],
    };
    let semaphore = |permits: &'static str, rewrite| Variant {
        name: format!("15-semaphore permits={permits}"),
        lesson: load_lesson("15-semaphore.toml"),
        rewrites: Option::<(&'static str, &'static str)>::into_iter(rewrite).collect(),
        set: vec![("permits", permits)],
        expect: Expect::Inside {
            permits: permits.parse().unwrap(),
            workers: 5,
        },
        repeats: &[],
    };
    const LONG_FIRST: &[&str] = &[
        "task(2000000) = 1999999000000",
        "task(200000) = 19999900000",
    ];
    const SHORT_FIRST: &[&str] = &[
        "task(200000) = 19999900000",
        "task(2000000) = 1999999000000",
    ];
    vec![
        plain("01-fork-fanout.toml", Expect::Lines),
        // Without the break every process forks in every round: 2^3 = 8.
        Variant {
            name: "01-fork-fanout no-break".into(),
            lesson: load_lesson("01-fork-fanout.toml"),
            rewrites: vec![(
                "N = 10\nBREAK_IN_CHILD = True  # try False, N=3",
                "N = 3\nBREAK_IN_CHILD = False  # 2**N in all",
            )],
            set: vec![("break_in_child", "false"), ("children", "3")],
            expect: Expect::LinesByAnyone,
            repeats: &[],
        },
        zombie("SIGKILL", None, 9),
        zombie(
            "SIGTERM",
            Some(("SIG = signal.SIGKILL", "SIG = signal.SIGTERM")),
            15,
        ),
        signals("default", None, 15),
        signals(
            "ignore",
            Some(("DISPOSITION = 'default'", "DISPOSITION = 'ignore'")),
            9,
        ),
        signals(
            "handler",
            Some(("DISPOSITION = 'default'", "DISPOSITION = 'handler'")),
            0,
        ),
        plain("04-orphan.toml", Expect::AdoptedByMain),
        plain(
            "05-isolation.toml",
            Expect::Isolation {
                main: 10,
                children: [15, 20],
            },
        ),
        plain(
            "06-crash.toml",
            Expect::Crash {
                exitcode: 1,
                exception: "ZeroDivisionError: division by zero",
            },
        ),
        queue("10", None),
        // The narration suggests it: producers then block on the full queue.
        queue(
            "3",
            Some(("MAXSIZE, ITEMS = 10, 20", "MAXSIZE, ITEMS = 3, 20")),
        ),
        plain("08-pipe.toml", Expect::PingPong { messages: 5 }),
        pool("imap", None, LONG_FIRST),
        // The narration suggests the other three modes.
        pool(
            "imap_unordered",
            Some(("MODE = \"imap\"", "MODE = \"imap_unordered\"")),
            SHORT_FIRST,
        ),
        pool(
            "map",
            Some(("MODE = \"imap\"", "MODE = \"map\"")),
            &["map returned [1999999000000, 19999900000]"],
        ),
        pool(
            "apply_async",
            Some(("MODE = \"imap\"", "MODE = \"apply_async\"")),
            LONG_FIRST,
        ),
        plain("10-pi.toml", Expect::Pi("3.14159262176")),
        // CPython is far too slow for the lesson's 2e9 terms: both sides run 4e6.
        Variant {
            name: "11-speedup terms=4000000".into(),
            lesson: load_lesson("11-speedup.toml"),
            rewrites: vec![(
                "WORKERS, TERMS = 4, 2_000_000_000",
                "WORKERS, TERMS = 4, 4_000_000",
            )],
            set: vec![("terms", "4000000")],
            expect: Expect::Sweep {
                workers: 4,
                pi: "3.14159257401",
            },
            repeats: &[],
        },
        plain(
            "12-scheduler.toml",
            Expect::Counter {
                expected: 4,
                exact: false,
            },
        ),
        plain(
            "13-race.toml",
            Expect::Counter {
                expected: 400_000,
                exact: false,
            },
        ),
        plain(
            "14-lock.toml",
            Expect::Counter {
                expected: 20,
                exact: true,
            },
        ),
        // The lock replaced by a context manager that does nothing.
        Variant {
            name: "14-lock no-lock".into(),
            lesson: load_lesson("14-lock.toml"),
            rewrites: vec![
                ("import os, time\n", "import os, time, contextlib\n"),
                (
                    "    lock = mp.Lock()",
                    "    lock = contextlib.nullcontext()",
                ),
                (
                    "        \"with the lock\")",
                    "        \"without the lock\")",
                ),
            ],
            set: vec![("use_lock", "false")],
            expect: Expect::Counter {
                expected: 20,
                exact: false,
            },
            repeats: &[],
        },
        plain(
            "15-semaphore.toml",
            Expect::Inside {
                permits: 2,
                workers: 5,
            },
        ),
        // The lesson's variants (`v`): one permit is a Lock, three let three in.
        semaphore(
            "1",
            Some(("PERMITS, WORKERS = 2, 5", "PERMITS, WORKERS = 1, 5")),
        ),
        semaphore(
            "3",
            Some(("PERMITS, WORKERS = 2, 5", "PERMITS, WORKERS = 3, 5")),
        ),
        plain("16-event.toml", Expect::WokeAfterSet { waiters: 3 }),
        Variant {
            name: "16-event waiters=8".into(),
            lesson: load_lesson("16-event.toml"),
            rewrites: vec![("WAITERS = 3", "WAITERS = 8")],
            set: vec![("waiters", "8")],
            expect: Expect::WokeAfterSet { waiters: 8 },
            repeats: &[],
        },
    ]
}

struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs `program` with `python3 -u` (see [`SPLITS_LINES_UNBUFFERED`]) in its own
/// process group, tagged; past the timeout the whole group is killed and the run fails.
fn run_python(tag: &str, file: &str, name: &str, program: &str) -> Result<Output, String> {
    let file_name: String = format!("{tag}-{name}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = std::env::temp_dir().join(format!("proclab-{file_name}.py"));
    std::fs::write(&path, program).map_err(|e| format!("writing {}: {e}", path.display()))?;
    let unbuffered = !SPLITS_LINES_UNBUFFERED.contains(&file);
    let result = run_python_file(tag, &path, unbuffered);
    let _ = std::fs::remove_file(&path);
    result
}

fn run_python_file(tag: &str, path: &Path, unbuffered: bool) -> Result<Output, String> {
    let started = Instant::now();
    let mut cmd = Command::new(PYTHON);
    if unbuffered {
        cmd.arg("-u");
    }
    let mut child = cmd
        .arg(path)
        .env(TAG_VAR, tag)
        .env_remove("PYTHONUNBUFFERED")
        .env_remove("PYTHONSTARTUP")
        .env_remove("PYTHONWARNINGS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group: on a timeout, the program and every process it forked go.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("spawning {PYTHON}: {e}"))?;
    let group = Pid::from_raw(child.id() as i32);
    let (tx, rx) = mpsc::channel();
    for (is_stdout, mut pipe) in [
        (
            true,
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        ),
        (false, Box::new(child.stderr.take().unwrap())),
    ] {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send((is_stdout, buf));
        });
    }
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() >= PYTHON_TIMEOUT {
            let _ = killpg(group, Signal::SIGKILL);
            let _ = child.wait();
            return Err(format!(
                "python did not finish within {PYTHON_TIMEOUT:?}: killed"
            ));
        }
        thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok((true, b)) => stdout = b,
            Ok((false, b)) => stderr = b,
            Err(_) => {
                // A process the program forked still holds the pipes.
                let _ = killpg(group, Signal::SIGKILL);
                return Err("python exited, but something it forked kept its output \
                            open for 5 s: killed"
                    .into());
            }
        }
    }
    Ok(Output {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed,
    })
}

fn run_proclab_json(tag: &str, scenario: &str, params: &BTreeMap<String, String>) -> Output {
    let mut args = vec![
        "run".to_string(),
        scenario.to_string(),
        "--json".into(),
        "--speed".into(),
        "1".into(),
    ];
    for (k, v) in params {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let f = run_proclab(tag, &args, PROCLAB_TIMEOUT);
    Output {
        status: f.status,
        stdout: f.stdout,
        stderr: f.stderr,
        elapsed: f.elapsed,
    }
}

// ---- comparing ----------------------------------------------------------------------

/// Every run of 3 or more digits (a PID) becomes `<PID>`.
fn normalize(line: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 3 {
            out.push_str("<PID>");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in line.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// The time in pi's `N workers took S.SSSs` differs from run to run (CPython's loop is
/// far slower than proclab's): it becomes `<SECS>`.
fn normalize_seconds(line: &str) -> String {
    // A sweep's `workers=n pi=… time=S.SSSs speedup=R.RR`: both vary.
    if let Some((head, _)) = line.split_once(" time=")
        && head.starts_with("workers=")
    {
        return format!("{head} time=<SECS> speedup=<RATIO>");
    }
    match line.split_once(" workers took ") {
        Some((n, secs))
            if secs
                .strip_suffix('s')
                .is_some_and(|s| s.contains('.') && s.parse::<f64>().is_ok()) =>
        {
            format!("{n} workers took <SECS>")
        }
        _ => line.to_string(),
    }
}

/// What a proclab run printed and concluded.
struct Wire {
    main: i64,
    /// (pid, text) of every `print`, in wire order, tracebacks left out.
    prints: Vec<(i64, String)>,
    /// The exception lines that followed a `Traceback` print.
    exceptions: Vec<String>,
    results: BTreeMap<String, Value>,
    /// `(item, len)` of every `queue_put` and `queue_get`, in wire order.
    puts: Vec<(Value, i64)>,
    gets: Vec<(Value, i64)>,
}

fn read_wire(stdout: &str) -> Result<Wire, String> {
    let mut wire = Wire {
        main: 0,
        prints: Vec::new(),
        exceptions: Vec::new(),
        results: BTreeMap::new(),
        puts: Vec::new(),
        gets: Vec::new(),
    };
    let mut after_traceback = BTreeSet::new();
    for (i, line) in stdout.lines().enumerate() {
        let e: Value = serde_json::from_str(line)
            .map_err(|err| format!("proclab line {} is not JSON ({err}): {line}", i + 1))?;
        let pid = e["pid"].as_i64().unwrap_or_default();
        match e["kind"].as_str() {
            Some("spawn") if e["label"] == "main" => wire.main = pid,
            Some("print") => {
                let text = e["text"].as_str().unwrap_or_default().to_string();
                if text.starts_with("Traceback") {
                    after_traceback.insert(pid);
                } else if after_traceback.remove(&pid) {
                    wire.exceptions.push(text);
                } else {
                    wire.prints.push((pid, text));
                }
            }
            Some("result") => {
                let name = e["name"].as_str().unwrap_or_default().to_string();
                wire.results.insert(name, e["value"].clone());
            }
            Some(kind @ ("queue_put" | "queue_get")) => {
                let op = (e["item"].clone(), e["len"].as_i64().unwrap_or(-1));
                if kind == "queue_put" {
                    wire.puts.push(op);
                } else {
                    wire.gets.push(op);
                }
            }
            _ => {}
        }
    }
    if wire.main == 0 {
        return Err("proclab's output has no spawn event for main".into());
    }
    Ok(wire)
}

/// One line normalized; `counts`: the counter and the lost count too.
fn normalized(line: &str, counts: bool) -> String {
    let l = if counts {
        normalize_counts(line)
    } else {
        line.to_string()
    };
    normalize(&normalize_seconds(&l))
}

/// Each normalized line with how many times it was printed (1 for the `repeats`).
fn line_counts<'a>(
    lines: impl Iterator<Item = &'a str>,
    counts: bool,
    repeats: &[&str],
) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for l in lines {
        let l = normalized(l, counts);
        let once = repeats.contains(&l.as_str());
        let n = seen.entry(l).or_insert(0);
        *n = if once { 1 } else { *n + 1 };
    }
    seen
}

/// `(C, E, L)` of a `counter = C, expected E, lost L` line.
fn counter_line(line: &str) -> Option<(i64, i64, i64)> {
    let rest = line.strip_prefix("counter = ")?;
    let (c, rest) = rest.split_once(", expected ")?;
    let (e, l) = rest.split_once(", lost ")?;
    Some((c.parse().ok()?, e.parse().ok()?, l.parse().ok()?))
}

/// Without the lock, the counter and the lost count differ from run to run: in
/// `counter = C, expected E, lost L`, C and L become `<COUNT>`.
fn normalize_counts(line: &str) -> String {
    match counter_line(line) {
        Some((_, e, _)) => format!("counter = <COUNT>, expected {e}, lost <COUNT>"),
        None => line.to_string(),
    }
}

/// What is wrong with one side's `worker i: inside` / `worker i: leaving` lines.
fn inside_problem(lines: &[&str], permits: i64, workers: i64) -> Option<String> {
    let mut inside = BTreeSet::new();
    let mut entered = BTreeMap::new();
    let mut left = BTreeMap::new();
    for l in lines {
        let Some((worker, what)) = l.strip_prefix("worker ").and_then(|r| r.split_once(": "))
        else {
            continue;
        };
        let Ok(i) = worker.parse::<i64>() else {
            return Some(format!("a worker line without a number: {l:?}"));
        };
        match what {
            "inside" => {
                *entered.entry(i).or_insert(0) += 1;
                inside.insert(i);
                if inside.len() as i64 > permits {
                    return Some(format!(
                        "{inside:?} inside at once, Semaphore({permits}) allows {permits}"
                    ));
                }
            }
            "leaving" => {
                *left.entry(i).or_insert(0) += 1;
                if !inside.remove(&i) {
                    return Some(format!("worker {i} left without being inside"));
                }
            }
            _ => return Some(format!("an unexpected worker line: {l:?}")),
        }
    }
    let once: BTreeMap<i64, i32> = (0..workers).map(|i| (i, 1)).collect();
    if entered != once || left != once {
        return Some(format!(
            "each of {workers} workers must be inside once and leave once; entered \
             {entered:?}, left {left:?}"
        ));
    }
    None
}

/// What is wrong with one side's order of waiting, setting and waking.
fn event_order_problem(lines: &[&str], waiters: i64) -> Option<String> {
    let at = |text: &str| {
        let found: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| **l == text)
            .map(|(i, _)| i)
            .collect();
        match found[..] {
            [i] => Ok(i),
            _ => Err(format!("{text:?} printed {} times, want once", found.len())),
        }
    };
    let check = || -> Result<(), String> {
        let set = at("setter: e.set()")?;
        for i in 0..waiters {
            let waiting = at(&format!("waiter {i}: waiting"))?;
            let woke = at(&format!("waiter {i}: woke up"))?;
            if !(waiting < set && set < woke) {
                return Err(format!(
                    "waiter {i}: waiting at line {waiting}, set at {set}, woke up at {woke}"
                ));
            }
        }
        Ok(())
    };
    check().err()
}

/// The readable difference between the two multisets, or None if they are equal.
fn count_diff(
    python: &BTreeMap<String, usize>,
    proclab: &BTreeMap<String, usize>,
) -> Option<String> {
    if python == proclab {
        return None;
    }
    let mut s = String::from("the printed lines differ (PIDs shown as <PID>):\n");
    let all: BTreeSet<&String> = python.keys().chain(proclab.keys()).collect();
    for l in all {
        let (py, pl) = (
            python.get(l).copied().unwrap_or(0),
            proclab.get(l).copied().unwrap_or(0),
        );
        if py != pl {
            s.push_str(&format!("  CPython {py}×, proclab {pl}×:  {l}\n"));
        }
    }
    Some(s)
}

/// Main's lines in the order each side printed them: proclab's by main's PID, and on
/// CPython's side (which does not say who printed) the lines with the same texts.
/// One process prints them in its program's order, so the two must agree.
fn main_order_diff(python: &[String], proclab_main: &[String]) -> Option<String> {
    let mains: BTreeSet<&String> = proclab_main.iter().collect();
    let py: Vec<&String> = python.iter().filter(|l| mains.contains(l)).collect();
    let pl: Vec<&String> = proclab_main.iter().collect();
    (py != pl).then(|| {
        format!("main's lines in another order (or number):\n  CPython: {py:?}\n  proclab: {pl:?}")
    })
}

/// The status in `main: waitpid returned (PID, STATUS)`, from the last such line.
fn waitpid_status<'a>(lines: impl Iterator<Item = &'a str>) -> Option<i64> {
    lines
        .filter_map(|l| l.strip_prefix("main: waitpid returned ("))
        .filter_map(|rest| rest.strip_suffix(')')?.split_once(", "))
        .filter_map(|(_, status)| status.parse().ok())
        .last()
}

/// `(pid, n)` for every `PID: num = N` line.
fn num_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(i64, i64)> {
    lines
        .filter_map(|l| l.split_once(": num = "))
        .filter_map(|(pid, n)| Some((pid.parse().ok()?, n.parse().ok()?)))
        .collect()
}

/// Main's values and the children's (sorted), from `PID: num = N` lines.
fn split_nums(lines: &[(i64, i64)], main: i64) -> (Vec<i64>, Vec<i64>) {
    let mains = lines
        .iter()
        .filter(|(p, _)| *p == main)
        .map(|(_, n)| *n)
        .collect();
    let mut children: Vec<i64> = lines
        .iter()
        .filter(|(p, _)| *p != main)
        .map(|(_, n)| *n)
        .collect();
    children.sort_unstable();
    (mains, children)
}

/// `(main's pid, the adopter the child reports, the pid main says it reaped)`.
fn orphan_pids<'a>(lines: impl Iterator<Item = &'a str> + Clone) -> Option<(i64, i64, i64)> {
    let number = |s: &str| s.trim().parse::<i64>().ok();
    let main = lines
        .clone()
        .find_map(|l| l.strip_prefix("main ")?.split_once(':'))
        .and_then(|(p, _)| number(p))?;
    let adopter = lines
        .clone()
        .find_map(|l| l.split_once(": my parent is now "))
        .and_then(|(_, p)| number(p))?;
    let child = lines
        .clone()
        .find_map(|l| l.split_once(": my parent is now "))
        .and_then(|(c, _)| number(c.strip_prefix("child ")?))?;
    let reaped = lines
        .clone()
        .find_map(|l| l.strip_prefix("main: reaped adopted "))
        .and_then(|r| number(r.split_once(',')?.0))?;
    if reaped != child {
        return None;
    }
    Some((main, adopter, reaped))
}

/// The exitcode on the last `name=… exitcode=N` line.
fn last_exitcode<'a>(lines: impl Iterator<Item = &'a str>) -> Option<i64> {
    lines
        .filter(|l| l.starts_with("name="))
        .filter_map(|l| l.rsplit_once("exitcode="))
        .filter_map(|(_, c)| c.parse().ok())
        .last()
}

/// The consumers `j` of every `consumer j: got None, stopping` line, sorted.
fn stopped_consumers<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<i64> {
    let mut js: Vec<i64> = lines
        .filter_map(|l| {
            l.strip_prefix("consumer ")?
                .strip_suffix(": got None, stopping")
        })
        .filter_map(|j| j.parse().ok())
        .collect();
    js.sort_unstable();
    js
}

/// What is wrong with the items of proclab's `queue_put` or `queue_get` events: each
/// of `0..items` exactly once, `consumers` Nones, nothing else, `len` within bounds.
fn queue_ops_problem(
    what: &str,
    ops: &[(Value, i64)],
    consumers: i64,
    items: i64,
    maxsize: i64,
) -> Option<String> {
    let mut numbers: Vec<i64> = ops.iter().filter_map(|(v, _)| v.as_i64()).collect();
    numbers.sort_unstable();
    let nones = ops.iter().filter(|(v, _)| v.is_null()).count() as i64;
    let others = ops.len() as i64 - numbers.len() as i64 - nones;
    let bad_len = ops.iter().find(|(_, len)| !(0..=maxsize).contains(len));
    if numbers == (0..items).collect::<Vec<_>>() && nones == consumers && others == 0 {
        if let Some((item, len)) = bad_len {
            return Some(format!(
                "proclab: a {what} of {item} left len {len}, outside 0..={maxsize}"
            ));
        }
        return None;
    }
    Some(format!(
        "proclab's {what} events: want each of 0..{items} once and {consumers} None; got \
         items {numbers:?}, {nones} None and {others} other"
    ))
}

/// The `child got …` and `parent got …` lines, each in the order printed, and how
/// many times the child printed that it stops.
fn ping_pong<'a>(lines: impl Iterator<Item = &'a str>) -> (Vec<&'a str>, Vec<&'a str>, usize) {
    let lines: Vec<&str> = lines.collect();
    let with = |prefix: &str| {
        lines
            .iter()
            .copied()
            .filter(|l| l.starts_with(prefix))
            .collect::<Vec<_>>()
    };
    let stops = with("child: got None, stopping").len();
    (with("child got "), with("parent got "), stops)
}

/// Everything that disagrees between the two runs of one variant.
fn compare(v: &Variant, py: &Output, pl: &Output) -> Vec<String> {
    let mut problems = Vec::new();
    if !py.status.success() {
        problems.push(format!("python ended with {}", py.status));
    }
    if !pl.status.success() {
        problems.push(format!("proclab ended with {}", pl.status));
    }
    let wire = match read_wire(&pl.stdout) {
        Ok(w) => w,
        Err(e) => {
            problems.push(e);
            return problems;
        }
    };
    let py_lines = || py.stdout.lines();
    let pl_lines = || wire.prints.iter().map(|(_, t)| t.as_str());
    let counts = matches!(v.expect, Expect::Counter { exact: false, .. });
    if let Some(diff) = count_diff(
        &line_counts(py_lines(), counts, v.repeats),
        &line_counts(pl_lines(), counts, v.repeats),
    ) {
        problems.push(diff);
    }
    let py_all: Vec<String> = py_lines().map(|l| normalized(l, counts)).collect();
    let pl_main: Vec<String> = wire
        .prints
        .iter()
        .filter(|(pid, _)| *pid == wire.main)
        .map(|(_, t)| normalized(t, counts))
        .collect();
    if let Some(diff) = main_order_diff(&py_all, &pl_main)
        && !matches!(v.expect, Expect::LinesByAnyone)
    {
        problems.push(diff);
    }
    // What proclab shows as a traceback, CPython writes to stderr.
    for exception in &wire.exceptions {
        if !py.stderr.lines().any(|l| l == exception) {
            problems.push(format!(
                "proclab's exception line {exception:?} is not in CPython's stderr"
            ));
        }
    }
    let expects_traceback = matches!(v.expect, Expect::Crash { .. });
    if !expects_traceback && !py.stderr.trim().is_empty() {
        problems.push("python wrote to stderr".into());
    }
    let result = |name: &str| wire.results.get(name).and_then(Value::as_i64);
    match v.expect {
        Expect::Lines | Expect::LinesByAnyone => {}
        Expect::WaitStatus(want) => {
            let want = i64::from(want);
            let got_py = waitpid_status(py_lines());
            let got_pl = waitpid_status(pl_lines());
            if got_py != Some(want) || got_pl != Some(want) || result("status") != Some(want) {
                problems.push(format!(
                    "wait status: want {want}; CPython printed {got_py:?}, proclab printed \
                     {got_pl:?} and reported {:?}",
                    result("status")
                ));
            }
        }
        Expect::AdoptedByMain => {
            for (who, pids) in [
                ("CPython", orphan_pids(py_lines())),
                ("proclab", orphan_pids(pl_lines())),
            ] {
                match pids {
                    Some((main, adopter, _)) if main == adopter => {}
                    other => problems.push(format!(
                        "{who}: the orphan must be adopted and reaped by main; got \
                         (main, adopter, reaped) = {other:?}"
                    )),
                }
            }
        }
        Expect::Isolation { main, children } => {
            let py_nums = num_lines(py_lines());
            let py_main = py_nums.first().map_or(0, |(p, _)| *p);
            let pl_nums = num_lines(pl_lines());
            let want = (vec![main, main], children.to_vec());
            for (who, got) in [
                ("CPython", split_nums(&py_nums, py_main)),
                ("proclab", split_nums(&pl_nums, wire.main)),
            ] {
                if got != want {
                    problems.push(format!(
                        "{who}: (main's num before and after, children's) = {got:?}, \
                         want {want:?}"
                    ));
                }
            }
            if result("num") != Some(main) {
                problems.push(format!("proclab's result num = {:?}", result("num")));
            }
        }
        Expect::Crash {
            exitcode,
            exception,
        } => {
            let got_py = last_exitcode(py_lines());
            let got_pl = last_exitcode(pl_lines());
            if got_py != Some(exitcode)
                || got_pl != Some(exitcode)
                || result("exitcode") != Some(exitcode)
            {
                problems.push(format!(
                    "exitcode: want {exitcode}; CPython printed {got_py:?}, proclab printed \
                     {got_pl:?} and reported {:?}",
                    result("exitcode")
                ));
            }
            if !py.stderr.contains(exception) {
                problems.push(format!("CPython's stderr lacks {exception:?}"));
            }
            if !wire.exceptions.iter().any(|e| e == exception) {
                problems.push(format!(
                    "proclab printed no {exception:?} after a traceback"
                ));
            }
        }
        Expect::Queue {
            consumers,
            items,
            maxsize,
        } => {
            let want: Vec<i64> = (0..consumers).collect();
            for (who, got) in [
                ("CPython", stopped_consumers(py_lines())),
                ("proclab", stopped_consumers(pl_lines())),
            ] {
                if got != want {
                    problems.push(format!(
                        "{who}: consumers that printed their stop line: {got:?}, want \
                         {want:?}, each once"
                    ));
                }
            }
            for (what, ops) in [("put", &wire.puts), ("get", &wire.gets)] {
                problems.extend(queue_ops_problem(what, ops, consumers, items, maxsize));
            }
            if result("items") != Some(items) {
                problems.push(format!("proclab's result items = {:?}", result("items")));
            }
        }
        Expect::PingPong { messages } => {
            let pings: Vec<String> = (0..messages)
                .map(|k| format!("child got \"ping {k}\""))
                .collect();
            let pongs: Vec<String> = (0..messages)
                .map(|k| format!("parent got \"pong {k}\""))
                .collect();
            for (who, (child, parent, stops)) in [
                ("CPython", ping_pong(py_lines())),
                ("proclab", ping_pong(pl_lines())),
            ] {
                if child != pings || parent != pongs || stops != 1 {
                    problems.push(format!(
                        "{who}: want {messages} pings got by the child and {messages} pongs \
                         got by the parent, in order, and one stop line; got {child:?}, \
                         {parent:?} and {stops} stop line(s)"
                    ));
                }
            }
        }
        Expect::InOrder(want) => {
            for (who, lines) in [
                ("CPython", py_lines().collect::<Vec<_>>()),
                ("proclab", pl_lines().collect()),
            ] {
                let got: Vec<&str> = lines.into_iter().filter(|l| want.contains(l)).collect();
                if got != want {
                    problems.push(format!("{who}: want the lines {want:?}, got {got:?}"));
                }
            }
        }
        Expect::Pi(digits) => {
            let line = format!("pi = {digits}");
            for (who, lines) in [
                ("CPython", py_lines().collect::<Vec<_>>()),
                ("proclab", pl_lines().collect()),
            ] {
                if !lines.iter().any(|l| *l == line) {
                    problems.push(format!("{who} did not print {line:?}"));
                }
            }
            let pi = wire.results.get("pi").and_then(Value::as_f64);
            if pi.map(|p| format!("{p:.11}")).as_deref() != Some(digits) {
                problems.push(format!("proclab's result pi = {pi:?}, want {digits}"));
            }
        }
        Expect::Sweep { workers, pi } => {
            for n in 1..=workers {
                let start = format!("workers={n} pi={pi} time=");
                for (who, lines) in [
                    ("CPython", py_lines().collect::<Vec<_>>()),
                    ("proclab", pl_lines().collect()),
                ] {
                    if !lines.iter().any(|l| l.starts_with(&start)) {
                        problems.push(format!("{who} printed no line starting {start:?}"));
                    }
                }
                let speedup = wire
                    .results
                    .get(&format!("speedup_{n}"))
                    .and_then(Value::as_f64);
                if speedup.is_none_or(|s| s.is_nan() || s <= 0.0 || (n == 1 && s != 1.0)) {
                    problems.push(format!("proclab's speedup_{n} = {speedup:?}"));
                }
            }
        }
        Expect::Counter { expected, exact } => {
            let want_line = format!("counter = {expected}, expected {expected}, lost 0");
            for (who, lines) in [
                ("CPython", py_lines().collect::<Vec<_>>()),
                ("proclab", pl_lines().collect()),
            ] {
                let counted: Vec<(&str, (i64, i64, i64))> = lines
                    .iter()
                    .filter_map(|l| Some((*l, counter_line(l)?)))
                    .collect();
                let [(line, (c, e, l))] = counted[..] else {
                    problems.push(format!(
                        "{who}: want one counter line, got {}",
                        counted.len()
                    ));
                    continue;
                };
                if e != expected || c + l != e || !(0..=e).contains(&c) {
                    problems.push(format!(
                        "{who}: {line:?}: want expected {expected}, and counter + lost = \
                         expected with 0 <= counter <= expected"
                    ));
                }
                if exact && line != want_line {
                    problems.push(format!(
                        "{who}: with the lock the counter is exact: want {want_line:?}, \
                         got {line:?}"
                    ));
                }
                if who == "proclab" {
                    let results = (result("counter"), result("expected"), result("lost"));
                    if results != (Some(c), Some(e), Some(l)) {
                        problems.push(format!(
                            "proclab's results (counter, expected, lost) = {results:?} \
                             disagree with its line {line:?}"
                        ));
                    }
                }
            }
        }
        Expect::Inside { permits, workers } => {
            for (who, lines) in [
                ("CPython", py_lines().collect::<Vec<_>>()),
                ("proclab", pl_lines().collect()),
            ] {
                if let Some(p) = inside_problem(&lines, permits, workers) {
                    problems.push(format!("{who}: {p}"));
                }
            }
        }
        Expect::WokeAfterSet { waiters } => {
            for (who, lines) in [
                ("CPython", py_lines().collect::<Vec<_>>()),
                ("proclab", pl_lines().collect()),
            ] {
                if let Some(p) = event_order_problem(&lines, waiters) {
                    problems.push(format!("{who}: {p}"));
                }
            }
        }
    }
    if !problems.is_empty() {
        problems.push(format!(
            "--- CPython stdout:\n{}--- CPython stderr:\n{}--- proclab prints:\n{}",
            py.stdout,
            py.stderr,
            wire.prints
                .iter()
                .map(|(_, t)| format!("{t}\n"))
                .collect::<String>()
        ));
    }
    problems
}

/// Runs both sides of one variant at once; the problems found, and how long each took.
fn run_variant(tag: &str, v: &Variant) -> Result<(Duration, Duration), Vec<String>> {
    let mut program = v.lesson.python.clone();
    for &(from, to) in &v.rewrites {
        assert_eq!(
            program.matches(from).count(),
            1,
            "{}: the program must hold {from:?} exactly once",
            v.lesson.file
        );
        program = program.replace(from, to);
    }
    let mut params = v.lesson.params.clone();
    for (k, value) in &v.set {
        params.insert(k.to_string(), value.to_string());
    }
    let (tag2, scenario) = (tag.to_string(), v.lesson.scenario.clone());
    let proclab = thread::spawn(move || run_proclab_json(&tag2, &scenario, &params));
    let py = run_python(tag, v.lesson.file, &v.name, &program);
    let pl = proclab
        .join()
        .map_err(|e| vec![format!("proclab run failed: {}", panic_text(&e))])?;
    let py = py.map_err(|e| vec![e])?;
    let problems = compare(v, &py, &pl);
    if problems.is_empty() {
        Ok((py.elapsed, pl.elapsed))
    } else {
        Err(problems)
    }
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}

/// Fails if any process with the tag outlived its run, after killing the survivors so
/// a failure leaves nothing behind.
fn assert_none_left(tag: &str) {
    let left = wait_until_no_tagged(tag, GONE_WITHIN);
    let described: Vec<String> = left.iter().map(|p| describe_pid(*p)).collect();
    for pid in &left {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    assert!(
        left.is_empty(),
        "{} process(es) outlived their run (tag {tag}):\n{}",
        left.len(),
        described.join("\n")
    );
    assert_no_tagged_left(tag);
}

// ---- tests --------------------------------------------------------------------------

#[test]
fn cpython_and_proclab_print_the_same_lines_and_numbers() {
    let tag = unique_tag("python-agrees");
    let started = Instant::now();
    let runs: Vec<_> = variants()
        .into_iter()
        .map(|v| {
            let tag = tag.clone();
            thread::spawn(move || {
                let r = run_variant(&tag, &v);
                (v.name, r)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for run in runs {
        match run.join() {
            Ok((name, Ok((py, pl)))) => {
                eprintln!("{name}: agree (CPython {py:.1?}, proclab {pl:.1?})")
            }
            Ok((name, Err(problems))) => {
                failures.push(format!("== {name}\n{}", problems.join("\n")))
            }
            Err(e) => failures.push(format!("== a run panicked: {}", panic_text(&e))),
        }
    }
    eprintln!("all runs: {:.1?}", started.elapsed());
    assert_none_left(&tag);
    assert!(
        failures.is_empty(),
        "CPython and proclab disagree:\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn every_lesson_is_compared() {
    let mut on_disk: Vec<String> = std::fs::read_dir(lesson_path(""))
        .expect("lessons/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml"))
        // A Python lesson's program is what runs: there is no scenario to compare.
        .filter(|n| {
            let text = std::fs::read_to_string(lesson_path(n)).unwrap_or_default();
            !text.lines().any(|l| l.trim() == "runtime = \"python\"")
        })
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, LESSON_FILES,
        "lessons/ and this test's list of compiled lessons differ"
    );
    let compared: BTreeSet<&str> = variants().iter().map(|v| v.lesson.file).collect();
    assert_eq!(compared, LESSON_FILES.iter().copied().collect());
}

/// Every variant a lesson offers (`[[variants]]`, `v` in the screens) is one this test
/// runs under CPython and under proclab: the same parameter set, the same program line
/// rewritten.
#[test]
fn every_lesson_variant_is_compared() {
    let compared = variants();
    for file in LESSON_FILES {
        let src = std::fs::read_to_string(lesson_path(file)).expect("a lesson file");
        let table: toml::Table = toml::from_str(&src).expect("a lesson's TOML");
        for v in table
            .get("variants")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            let set: Vec<(String, String)> = v["set"]
                .as_table()
                .expect("set")
                .iter()
                .map(|(k, val)| {
                    let val = val.as_str().map_or_else(|| val.to_string(), str::to_string);
                    (k.clone(), val)
                })
                .collect();
            let code: Vec<(String, String)> = v
                .get("code")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .map(|r| {
                    (
                        r["from"].as_str().unwrap_or_default().to_string(),
                        r["to"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let found = compared.iter().any(|c| {
                c.lesson.file == *file
                    && c.set
                        .iter()
                        .map(|(k, val)| (k.to_string(), val.to_string()))
                        .collect::<Vec<_>>()
                        == set
                    && c.rewrites
                        .iter()
                        .map(|(f, t)| (f.to_string(), t.to_string()))
                        .collect::<Vec<_>>()
                        == code
            });
            assert!(
                found,
                "{file}: variant {} ({set:?}, {code:?}) is not compared",
                v["id"]
            );
        }
    }
}

#[test]
fn lesson_programs_fit_the_code_pane() {
    for file in LESSON_FILES {
        let lesson = load_lesson(file);
        for (i, line) in lesson.python.lines().enumerate() {
            let width = line.chars().count();
            assert!(
                width <= CODE_PANE && !line.contains('\t'),
                "{file}: python line {} is {width} characters (at most {CODE_PANE}, no \
                 tabs):\n{line}",
                i + 1
            );
        }
    }
}

#[test]
fn pids_normalize() {
    assert_eq!(
        normalize("main 25716: sent 9 to 4242"),
        "main <PID>: sent 9 to <PID>"
    );
    assert_eq!(
        normalize("main: waitpid returned (31586, 15)"),
        "main: waitpid returned (<PID>, 15)"
    );
    assert_eq!(normalize("status 256"), "status <PID>");
    assert_eq!(normalize("num = 20"), "num = 20");
}

#[test]
fn counts_normalize() {
    let race = "counter = 281934, expected 400000, lost 118066";
    assert_eq!(
        normalize(&normalize_counts(race)),
        "counter = <COUNT>, expected <PID>, lost <COUNT>"
    );
    assert_eq!(
        normalize(&normalize_counts(
            "counter = 400000, expected 400000, lost 0"
        )),
        normalize(&normalize_counts(race))
    );
    assert_eq!(
        counter_line("counter = 20, expected 20, lost 0"),
        Some((20, 20, 0))
    );
    assert_eq!(normalize_counts("waiter 0: woke up"), "waiter 0: woke up");
}

#[test]
fn order_checks_catch_violations() {
    let ok = [
        "main 4242: Semaphore(2), 3 workers",
        "worker 0: inside",
        "worker 1: inside",
        "worker 0: leaving",
        "worker 2: inside",
        "worker 1: leaving",
        "worker 2: leaving",
    ];
    assert_eq!(inside_problem(&ok, 2, 3), None);
    assert!(
        inside_problem(&ok, 1, 3).is_some(),
        "two inside, one permit"
    );
    assert!(
        inside_problem(&ok[..6], 2, 3).is_some(),
        "worker 2 never left"
    );
    assert!(inside_problem(&ok, 2, 4).is_some(), "worker 3 never came");

    let ok = [
        "waiter 0: waiting",
        "waiter 1: waiting",
        "setter: e.set()",
        "waiter 1: woke up",
        "waiter 0: woke up",
    ];
    assert_eq!(event_order_problem(&ok, 2), None);
    let early = [ok[0], ok[1], ok[3], ok[2], ok[4]];
    assert!(
        event_order_problem(&early, 2).is_some(),
        "woke before the set"
    );
    assert!(event_order_problem(&ok, 3).is_some(), "waiter 2 is missing");
}

#[test]
fn seconds_normalize() {
    assert_eq!(
        normalize(&normalize_seconds("10 workers took 0.169s")),
        "10 workers took <SECS>"
    );
    assert_eq!(
        normalize(&normalize_seconds("2 workers took 12.345s")),
        "2 workers took <SECS>"
    );
    assert_eq!(
        normalize_seconds("pi = 3.14159262176"),
        "pi = 3.14159262176"
    );
}
