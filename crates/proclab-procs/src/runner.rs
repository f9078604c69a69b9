//! The runner: `proclab __runner <scenario> …`, spawned by the front end. It is the
//! only process that forks, so it must stay single-threaded: nothing here may start a
//! thread (no sysinfo, no channels, no logging framework).
//!
//! It plays the Python main program, adopts orphans as a child subreaper, and on the
//! way out kills and reaps whatever the scenario left behind, then writes `summary`.

use nix::unistd::{Pid, getpid, getppid};

use crate::control::Control;
use crate::scenario::{self, ctx::Ctx};
use crate::trace::event::EventKind;

// Where the control block arrives is the control block's (the tracer reads it too).
pub use crate::control::CONTROL_FD;

pub struct RunnerArgs {
    pub scenario: String,
    pub assignments: Vec<String>,
    pub parent: i32,
}

/// Parses `__runner <scenario> <parent-pid> [key=value]…`.
pub fn parse_args(args: &[String]) -> Option<RunnerArgs> {
    let scenario = args.first()?.clone();
    let parent = args.get(1)?.parse().ok()?;
    Some(RunnerArgs {
        scenario,
        parent,
        assignments: args[2..].to_vec(),
    })
}

/// Debug trigger, for the reliability tests only (ARCHITECTURE.md, "Debug triggers";
/// the front end's are in `proclab::debug`). `PROCLAB_DEBUG_LATE_STDERR_MS=N`: the
/// runner closes its stdout at once, and only N ms later writes a line to stderr and
/// exits 2, to show that a consumer of the run still gets the runner's last words
/// after the event pipe has ended.
pub const LATE_STDERR_MS: &str = "PROCLAB_DEBUG_LATE_STDERR_MS";

/// What the runner does when `PROCLAB_DEBUG_LATE_STDERR_MS` is set: `Some(exit code)`
/// after its late line, `None` (nothing done) otherwise. Single-threaded: a sleep and
/// two descriptor calls, safe in the runner.
pub fn late_stderr_in_runner() -> Option<i32> {
    let delay = std::env::var(LATE_STDERR_MS)
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(std::time::Duration::from_millis)?;
    let null = std::fs::File::open("/dev/null").ok()?;
    let _ = nix::unistd::dup2_stdout(&null);
    std::thread::sleep(delay);
    eprintln!("runner: last words, written after stdout closed ({LATE_STDERR_MS})");
    Some(2)
}

/// Runs a scenario to the end; returns the runner's exit code.
pub fn main(args: RunnerArgs) -> i32 {
    // The front end armed PDEATHSIG before exec; if it died before that, stop now.
    if getppid().as_raw() != args.parent {
        return 3;
    }
    if let Some(code) = late_stderr_in_runner() {
        return code;
    }
    let _ = nix::sys::prctl::set_child_subreaper(true);
    // SAFETY: the front end dup'ed the control memfd to CONTROL_FD before exec.
    let mut control = match unsafe { Control::from_raw_fd(CONTROL_FD) } {
        Ok(c) => c,
        Err(e) => {
            eprintln!("runner: {e}");
            return 2;
        }
    };
    control.close_fd();
    let Some(spec) = scenario::find(&args.scenario) else {
        eprintln!("runner: {}", scenario::unknown(&args.scenario));
        return 2;
    };
    let params = match spec.params_from(&args.assignments) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("runner: {e}");
            return 2;
        }
    };
    if !control.reserve_process() {
        return 2;
    }
    python_like_dispositions();
    control.set_as_process_clock();
    install_exception_hook(control.start_ns());
    let mut ctx = Ctx::new(control, spec.gates, "main");
    ctx.emit(EventKind::Spawn {
        ppid: getppid().as_raw(),
        label: "main".into(),
        start: crate::scenario::ctx::own_start_ticks(),
    });
    // An uncaught error in main (a panic, or KeyboardInterrupt from SIGINT) ends the
    // program like an uncaught Python exception: traceback printed, exit code 1. The
    // cleanup and the summary below still happen.
    let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (spec.run)(&mut ctx, &params)
    }));
    let code = match &finished {
        Ok(Ok(())) => 0,
        // Not reached after `params_from` above (it reads the same typed parameters),
        // but said, never swallowed, if it were.
        Ok(Err(e)) => {
            eprintln!("runner: {e}");
            1
        }
        Err(_) => 1,
    };
    // CPython (3.8 on) ends a main program that did not catch KeyboardInterrupt by
    // SIGINT itself, so its parent sees the signal, not an exit code.
    let interrupted = finished
        .as_ref()
        .err()
        .is_some_and(|payload| payload.downcast_ref::<&str>() == Some(&"KeyboardInterrupt"));

    // A scenario child that returned instead of exiting must not run the summary.
    if !ctx.is_main() {
        ctx.exit(code);
    }
    let leaked = kill_and_reap_leftovers(&mut ctx);
    let spawned = ctx.control().spawned();
    let duration_us = ctx.control().now_us();
    let results = std::mem::take(&mut ctx.results);
    if !interrupted {
        ctx.emit(EventKind::Exit { code });
    }
    ctx.emit(EventKind::Summary {
        processes: spawned,
        leaked,
        duration_us,
        results,
    });
    if interrupted {
        die_by_sigint();
    }
    code
}

/// Ends the runner by SIGINT with the default action, as CPython's main does after an
/// uncaught KeyboardInterrupt; stdout is flushed first (the summary is written).
fn die_by_sigint() {
    use nix::sys::signal::{SigHandler, Signal, raise, signal};
    // SAFETY: restoring the default disposition in a single-threaded process.
    let _ = unsafe { signal(Signal::SIGINT, SigHandler::SigDfl) };
    let _ = raise(Signal::SIGINT);
}

/// The signal dispositions a CPython process has, so the lessons' processes show
/// what Python's would: SIGINT caught (KeyboardInterrupt), SIGPIPE and SIGXFSZ
/// ignored, SIGSEGV and SIGBUS default (Rust's runtime catches those two).
fn python_like_dispositions() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction, signal};
    // No SA_RESTART: a blocking waitpid returns EINTR, so KeyboardInterrupt is raised
    // there too, as in Python.
    let on_sigint = SigAction::new(
        SigHandler::Handler(crate::scenario::ctx::on_sigint),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the SIGINT handler only stores to an atomic; the others are SIG_DFL/IGN.
    unsafe {
        let _ = sigaction(Signal::SIGINT, &on_sigint);
        let _ = signal(Signal::SIGPIPE, SigHandler::SigIgn);
        let _ = signal(Signal::SIGXFSZ, SigHandler::SigIgn);
        let _ = signal(Signal::SIGSEGV, SigHandler::SigDfl);
        let _ = signal(Signal::SIGBUS, SigHandler::SigDfl);
    }
}

/// A panic is this program's uncaught exception: every process prints a Python-style
/// traceback as `print` events. A forked child then ends at once with exit code 1
/// (never unwinding into its parent's code); main unwinds to `catch_unwind` in `main`.
fn install_exception_hook(start_ns: u64) {
    let runner = getpid();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "Exception".into());
        // The run's clock, like every other event; the raw clock only if none is set.
        let now = || {
            crate::control::process_now_us()
                .unwrap_or_else(|| crate::control::monotonic_ns().saturating_sub(start_ns) / 1000)
        };
        let emit = |kind| {
            crate::trace::writer::write_line(&crate::trace::event::Event {
                t_us: now(),
                pid: getpid().as_raw(),
                kind,
            })
        };
        for text in ["Traceback (most recent call last):".to_string(), message] {
            emit(EventKind::Print { text });
        }
        if getpid() != runner {
            emit(EventKind::Exit { code: 1 });
            // SAFETY: ends the child at once, as `os._exit(1)` would.
            unsafe { libc::_exit(1) }
        }
    }));
}

/// Kills (SIGKILL) and reaps every child still present after the scenario returned,
/// adopted orphans included; returns how many there were. Only our own children are
/// signalled: an unreaped child's PID cannot be reused, so the signal cannot go astray.
fn kill_and_reap_leftovers(ctx: &mut Ctx) -> u32 {
    let mut leaked = 0;
    loop {
        // Reap whatever has already ended.
        loop {
            let mut status = 0;
            // SAFETY: plain syscall.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                break;
            }
            ctx.reaped(Pid::from_raw(pid), status);
        }
        let alive = children_of(getpid());
        if alive.is_empty() {
            // SAFETY: plain syscall; ECHILD means nothing is left to reap.
            let r = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
            if r < 0 {
                return leaked;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
            continue;
        }
        for pid in alive {
            leaked += 1;
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            let mut status = 0;
            // SAFETY: plain syscall on our own child.
            if unsafe { libc::waitpid(pid.as_raw(), &mut status, 0) } == pid.as_raw() {
                ctx.reaped(pid, status);
            }
        }
    }
}

/// The PIDs whose parent is `parent`, from /proc.
fn children_of(parent: Pid) -> Vec<Pid> {
    let path = format!("/proc/{parent}/task/{parent}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .map(Pid::from_raw)
        .collect()
}
