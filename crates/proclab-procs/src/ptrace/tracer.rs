//! The tracer process: `proclab __tracer <front-end pid> [--stdin] [--no-pipes]
//! [--cap N] -- COMMAND ARGS…`.
//! Single-threaded, like the runner, because it forks: it starts the command under
//! PTRACE_SEIZE, then loops on `waitpid(-1, __WALL)`, woken by SIGCHLD through a
//! signalfd and by the program's output pipes through the same `poll`.

use std::cell::RefCell;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd};

use nix::poll::{PollFd, PollFlags, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use nix::unistd::{getpid, getppid};

use super::output::Stream;
use super::table::Table;
use super::whereabouts::Whereabouts;
use crate::control::{CONTROL_FD, Control, monotonic_ns};
use crate::procfs;
use crate::trace::event::{Event, EventKind, WaitOutcome, signal_name};
use crate::trace::steps::{Matcher, Reached, StepSpec};
use crate::trace::writer::Batch;

/// What to trace, as the front end asks for it: the content of the `__tracer` command
/// line, which `tracer_args` writes and `parse_args` reads back (both sides of that
/// contract in one place).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent command-line flags of the tracer, written and parsed as such"
)]
pub struct TraceRequest {
    /// The command and its arguments (a Python lesson: the interpreter, then the
    /// program's file once the front end wrote it).
    pub argv: Vec<String>,
    /// Give the program the front end's stdin instead of /dev/null.
    pub stdin: bool,
    /// Leave reads and writes alone: no messages through pipes (`send` / `recv`).
    pub no_pipes: bool,
    /// Most processes alive at once, the tracer included (`--cap`).
    pub cap: u32,
    /// A Python lesson: its program and its steps.
    pub lesson: Option<LessonTrace>,
    /// `trace --step`: hold the whole program at every fork, exec, exit, reap, signal
    /// and message until the learner releases it.
    pub step_every: bool,
    /// Steps wait for the learner (the screens); without, each is only marked with a
    /// `gate` event (`--headless`, `--json`).
    pub hold: bool,
}

/// What a Python lesson adds to a trace: the program to write and run, the steps the
/// tracer holds at, and how the lesson names processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonTrace {
    /// The lesson's id: the program's file is `<id>.py`.
    pub id: String,
    pub program: String,
    pub steps: Vec<StepSpec>,
    /// Steps (by index) at which the program keeps running.
    pub run_on: u64,
    /// A process's label by the Python function it runs.
    pub labels: std::collections::BTreeMap<String, String>,
}

impl TraceRequest {
    /// A plain trace of `argv`, held nowhere.
    pub fn command(argv: Vec<String>, cap: u32) -> TraceRequest {
        TraceRequest {
            argv,
            stdin: false,
            no_pipes: false,
            cap,
            lesson: None,
            step_every: false,
            hold: false,
        }
    }

    /// Whether the run waits for the learner at its steps.
    pub fn steps(&self) -> bool {
        self.hold && (self.step_every || self.lesson.is_some())
    }

    /// `__tracer <parent> [--stdin] [--no-pipes] --cap N [--step-every] [--steps JSON
    /// --labels JSON --root-label main] -- COMMAND…`, for a tracer whose front end is
    /// `parent`.
    pub fn tracer_args(&self, parent: u32) -> Vec<String> {
        let mut args = vec!["__tracer".to_string(), parent.to_string()];
        if self.stdin {
            args.push("--stdin".into());
        }
        if self.no_pipes {
            args.push("--no-pipes".into());
        }
        args.extend(["--cap".to_string(), self.cap.to_string()]);
        if self.step_every {
            args.push("--step-every".into());
        }
        if let Some(lesson) = &self.lesson {
            // Plain data of our own types: serialising it cannot fail.
            args.extend([
                "--steps".to_string(),
                serde_json::to_string(&lesson.steps).unwrap_or_default(),
                "--labels".to_string(),
                serde_json::to_string(&lesson.labels).unwrap_or_default(),
                // A lesson's narration calls the program's own process main.
                "--root-label".to_string(),
                "main".to_string(),
            ]);
        }
        args.push("--".into());
        args.extend(self.argv.iter().cloned());
        args
    }
}

pub struct TracerArgs {
    pub parent: i32,
    pub stdin: bool,
    /// Reads and writes do not stop: no `send` / `recv`, output put down to the command.
    pub no_pipes: bool,
    /// Most processes alive at once (`--cap N`), the tracer included.
    pub cap: u32,
    /// A Python lesson's steps (`--steps JSON`), in order.
    pub steps: Vec<StepSpec>,
    /// `--step-every`: every fork, exec, exit, reap, signal and message is a step.
    pub step_every: bool,
    /// The command's own process's label (`--root-label`; default: its program name).
    pub root_label: Option<String>,
    /// A process's label by the Python function it runs (`--labels JSON`).
    pub labels: std::collections::BTreeMap<String, String>,
    pub argv: Vec<String>,
}

/// Parses `<front-end pid> [--stdin] [--no-pipes] [--cap N] [--steps JSON]
/// [--step-every] [--root-label L] [--labels JSON] -- COMMAND ARGS…`.
pub fn parse_args(args: &[String]) -> Option<TracerArgs> {
    let parent = args.first()?.parse().ok()?;
    let dashes = args.iter().position(|a| a == "--")?;
    let mut parsed = TracerArgs {
        parent,
        stdin: false,
        no_pipes: false,
        cap: 64,
        steps: Vec::new(),
        step_every: false,
        root_label: None,
        labels: Default::default(),
        argv: args[dashes + 1..].to_vec(),
    };
    let mut options = args[1..dashes].iter();
    while let Some(flag) = options.next() {
        match flag.as_str() {
            "--stdin" => parsed.stdin = true,
            "--no-pipes" => parsed.no_pipes = true,
            "--step-every" => parsed.step_every = true,
            "--cap" => parsed.cap = options.next()?.parse().ok()?,
            "--steps" => parsed.steps = serde_json::from_str(options.next()?).ok()?,
            "--labels" => parsed.labels = serde_json::from_str(options.next()?).ok()?,
            "--root-label" => parsed.root_label = Some(options.next()?.clone()),
            _ => return None,
        }
    }
    (!parsed.argv.is_empty()).then_some(parsed)
}

/// A step's gate number for the control block: its place in the lesson (which says
/// whether the program keeps running there); `--step-every` holds are past them all.
fn gate_number(steps: &[StepSpec], gate: &str) -> usize {
    steps.iter().position(|s| s.gate == gate).unwrap_or(64)
}

/// Traces the command to the end of its last process; returns the tracer's exit code.
pub fn main(args: TracerArgs) -> i32 {
    // The front end armed PDEATHSIG before exec; if it died before that, stop now.
    if getppid().as_raw() != args.parent {
        return 3;
    }
    // Orphans of the traced program are adopted here, stay traced and get reaped.
    let _ = nix::sys::prctl::set_child_subreaper(true);
    // The control block: the run's clock (shared with the observer), the pause, and
    // the step permits of a lesson or `--step`.
    // SAFETY: the front end dup'ed the control memfd to CONTROL_FD before exec.
    let control = match unsafe { Control::from_raw_fd(CONTROL_FD) } {
        Ok(mut c) => {
            c.close_fd();
            Some(c)
        }
        Err(_) => None,
    };
    let start_ns = control
        .as_ref()
        .map_or_else(monotonic_ns, Control::start_ns);
    let me = getpid().as_raw();
    let batch = Batch::default();
    let wire = &batch;
    let matcher = RefCell::new(if args.step_every {
        Matcher::every_event()
    } else {
        Matcher::new(args.steps.clone())
    });
    // The step the last event reached, if any: the loop holds there once the stop
    // that made it is handled.
    let reached: RefCell<Option<Reached>> = RefCell::new(None);
    // Where each CPython process is, and its name from its frames (filled in once
    // the command's PID is known; an exec makes what was read of a process stale).
    let whereabouts: RefCell<Option<Whereabouts>> = RefCell::new(None);
    let places = &whereabouts;
    // Shared with the table: a stop whose event reached a step is not answered.
    let step_flag: std::rc::Rc<std::cell::Cell<bool>> = Default::default();
    let (matcher_ref, reached_ref, clock) = (&matcher, &reached, control.as_ref());
    let flag = step_flag.clone();
    let mut emit = move |pid: i32, kind: EventKind| {
        // The lesson clock: it stands still while the run is held or paused.
        let now = clock.map_or_else(monotonic_ns, Control::lesson_ns);
        let t_us = now.saturating_sub(start_ns) / 1000;
        let event = Event { t_us, pid, kind };
        wire.push(&event, monotonic_ns());
        if matches!(event.kind, EventKind::Exec { .. })
            && let Some(w) = places.borrow_mut().as_mut()
        {
            w.forget(pid);
        }
        if let Some(r) = matcher_ref.borrow_mut().see(&event) {
            reached_ref.borrow_mut().get_or_insert(r);
            flag.set(true);
        }
    };
    if let Err(why) = super::ptrace_permitted() {
        eprintln!("proclab trace: {why}");
        return 2;
    }
    emit(
        me,
        EventKind::Spawn {
            ppid: args.parent,
            label: "tracer".into(),
            start: crate::scenario::ctx::own_start_ticks(),
        },
    );
    // Out before the fork: the child must not inherit lines still to be written.
    wire.flush();
    let started = match start_command(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("proclab trace: {e}");
            return 2;
        }
    };
    let Started {
        pid: root,
        sigfd,
        mut streams,
        stderr_inode,
        stdout_tty,
    } = started;
    let mut table = Table::new(me, root);
    table.stderr_inode = stderr_inode;
    table.stdout_tty = stdout_tty;
    table.cap = args.cap;
    table.step_reached = step_flag;
    // A lesson's print steps hold the printer right after its write.
    table.watch_output = !args.steps.is_empty();
    let root_label = args
        .root_label
        .clone()
        .unwrap_or_else(|| super::base_name(&args.argv[0]));
    table.add_process(root, me, root_label, &mut emit);
    // In a lesson the program's file is the interpreter's first argument.
    let lesson = !args.steps.is_empty();
    *whereabouts.borrow_mut() = Some(Whereabouts::new(
        args.argv.get(1).filter(|_| lesson).cloned(),
        args.labels.clone(),
        root,
    ));
    let steps = Steps {
        control: control.as_ref(),
        reached: &reached,
        specs: &args.steps,
        places: &whereabouts,
        lesson,
    };
    let leaked = trace_loop(
        &mut table,
        &sigfd,
        &mut streams,
        (args.no_pipes, wire, &steps),
        &mut emit,
    );
    pump(&mut streams, &mut emit);
    let mut results = serde_json::Map::new();
    match table.root_status.map(WaitOutcome::from_raw) {
        Some(WaitOutcome::Exited(c)) => {
            results.insert("exit_code".into(), c.into());
        }
        Some(WaitOutcome::Signaled(s)) => {
            results.insert("signal".into(), signal_name(s).into());
        }
        _ => {}
    }
    emit(me, EventKind::Exit { code: 0 });
    // A step at the program's end: nothing is left to hold, but the learner reads it
    // before the summary closes the run.
    if let Some(r) = reached.borrow_mut().take() {
        emit(
            r.pid,
            EventKind::Gate {
                name: r.gate.clone(),
                slot: None,
            },
        );
        wire.flush();
        if let Some(c) = &control {
            c.pass_gate(gate_number(&args.steps, &r.gate), &|| false);
        }
    }
    emit(
        me,
        EventKind::Summary {
            processes: table.spawned,
            leaked,
            // On the lesson clock, as every event's time: a hold is not the program's.
            duration_us: control
                .as_ref()
                .map_or_else(monotonic_ns, Control::lesson_ns)
                .saturating_sub(start_ns)
                / 1000,
            results,
        },
    );
    0
}

/// How often a lesson reads where each running process is (0.2–0.7 ms a process:
/// BENCHMARKS.md, "pyframe").
const WHERE_SAMPLE_NS: u64 = 250_000_000;

/// How often zombies' /proc entries are looked at (`Table::check_zombies`).
const ZOMBIE_CHECK_NS: u64 = 100_000_000;

/// Waits, polls and handles stops until no tracee and no child is left; returns how
/// many processes had to be killed at the end (0 unless the tracer itself failed).
/// What the loop needs to hold the program at its steps and while paused.
struct Steps<'a> {
    control: Option<&'a Control>,
    /// Set by `emit` when an event reaches a step.
    reached: &'a RefCell<Option<Reached>>,
    specs: &'a [StepSpec],
    /// Where each CPython process is (read at holds; in a lesson also to name
    /// processes at their stops and sampled while running).
    places: &'a RefCell<Option<Whereabouts>>,
    /// A lesson's run (its steps named, its program's file known).
    lesson: bool,
}

impl Steps<'_> {
    /// Holds the program if a step was just reached (and the step stops the run) or
    /// the learner paused it; handles the stops collected meanwhile, in order.
    fn hold_if_due(
        &self,
        table: &mut Table,
        sigfd: &SignalFd,
        wire: &Batch,
        emit: &mut dyn FnMut(i32, EventKind),
    ) {
        let Some(control) = self.control else {
            // No control block, no holds: nothing may stay stopped.
            table.step_reached.set(false);
            table.resume_unresumed();
            return;
        };
        let mut deferred = Vec::new();
        // Take it out before emitting: the gate event must not reach a step itself.
        let reached = self.reached.borrow_mut().take();
        // Stops handled from now on are answered again (those kept so far stay kept).
        table.step_reached.set(false);
        if let Some(r) = reached {
            emit(
                r.pid,
                EventKind::Gate {
                    name: r.gate.clone(),
                    slot: None,
                },
            );
            let n = gate_number(self.specs, &r.gate);
            if !control.runs_on_at(n) {
                wire.flush();
                deferred = super::hold::hold(
                    table,
                    control,
                    sigfd,
                    super::hold::Why::Step(n),
                    (wire, emit, self.places),
                );
            }
        }
        if control.paused() {
            wire.flush();
            deferred.extend(super::hold::hold(
                table,
                control,
                sigfd,
                super::hold::Why::Paused,
                (wire, emit, self.places),
            ));
        }
        // The threads that stood where their event happened go on first, then the
        // stops that came while the run was held, in order.
        table.resume_unresumed();
        for (tid, status) in deferred {
            table.on_wait(tid, status, None, emit);
        }
        table.resume_unresumed();
    }
}

fn trace_loop(
    table: &mut Table,
    sigfd: &SignalFd,
    streams: &mut [Stream; 2],
    (no_pipes, wire, steps): (bool, &Batch, &Steps),
    emit: &mut dyn FnMut(i32, EventKind),
) -> u32 {
    // Output written since the last look: its lines go before the next stop's events.
    // Writes to stdout and stderr stop for the tracer (unless --no-pipes), so between
    // two such writes nothing new can be there and the pipes need no look (two failed
    // reads per stop would be a fifth of the tracer's syscalls).
    let mut unread_output = true;
    let mut zombies_checked = 0;
    let mut sampled = 0;
    loop {
        // Everything that happened, before anything else: a stopped tracee waits.
        loop {
            match next_wait() {
                Ok(Some((pid, status, before))) => {
                    // What the program wrote before this stop (say, before exiting) is
                    // already in the pipe: its lines go first.
                    if unread_output || no_pipes {
                        pump(streams, emit);
                        unread_output = false;
                    }
                    // A lesson names a process from its frames at its stops, before
                    // the stop's own events (a step may name it).
                    if steps.lesson
                        && before.is_none()
                        && let Some(tgid) = table.tgid(pid)
                        && let Some(w) = steps.places.borrow_mut().as_mut()
                        && w.wants_name(tgid)
                    {
                        w.look(tgid, emit);
                    }
                    table.on_wait(pid, status, before, emit);
                    // Writes to stdout/stderr it just let start: their bytes are theirs.
                    for (stream, pid, data) in table.output_writes.drain(..) {
                        streams[stream].wrote(pid, data);
                        unread_output = true;
                    }
                    if steps.reached.borrow().is_some() || !table.unresumed.is_empty() {
                        // The step's line (or the line a watched write just put in the
                        // pipe, which may reach a step) is told first.
                        pump(streams, emit);
                        steps.hold_if_due(table, sigfd, wire, emit);
                        for (stream, pid, data) in table.output_writes.drain(..) {
                            streams[stream].wrote(pid, data);
                            unread_output = true;
                        }
                    }
                }
                Ok(None) => break,
                Err(nix::errno::Errno::EINTR) => {}
                Err(nix::errno::Errno::ECHILD) => {
                    // No tracee and no child left: the program is over.
                    table.check_zombies(emit);
                    return 0;
                }
                Err(_) => return kill_all(table),
            }
        }
        // Zombies' /proc entries are looked at now and then, not at every turn: what
        // that finds (a zombie moved to another subreaper, one gone unseen) is rare,
        // and a program holding many zombies while it talks would pay a read each.
        let now = monotonic_ns();
        if now.saturating_sub(zombies_checked) >= ZOMBIE_CHECK_NS {
            table.check_zombies(emit);
            zombies_checked = now;
        }
        table.admit_parked(emit);
        // A lesson's code pane follows each process while it runs.
        if steps.lesson && now.saturating_sub(sampled) >= WHERE_SAMPLE_NS {
            sampled = now;
            if let Some(w) = steps.places.borrow_mut().as_mut() {
                for pid in table.live() {
                    w.look(pid, emit);
                }
            }
        }
        // About to wait for news: what happened so far goes out now.
        wire.flush();
        let mut fds = vec![PollFd::new(sigfd.as_fd(), PollFlags::POLLIN)];
        fds.extend(
            streams
                .iter()
                .filter_map(Stream::fd)
                .map(|fd| PollFd::new(fd, PollFlags::POLLIN)),
        );
        // SIGCHLD (every ptrace stop sends one) or output wakes us; the timeout is a net,
        // and how soon a pause (a flag in the control block, which cannot wake a
        // poll) takes hold of a program that makes no syscall the tracer sees.
        let _ = poll(&mut fds, 100u8);
        drop(fds);
        drain_signalfd(sigfd);
        pump(streams, emit);
        unread_output = false;
        // A printed line may have reached a step; the learner may have paused.
        steps.hold_if_due(table, sigfd, wire, emit);
        for (stream, pid, data) in table.output_writes.drain(..) {
            streams[stream].wrote(pid, data);
            unread_output = true;
        }
    }
}

/// The complete lines the program wrote so far, as `print` events of the command.
fn pump(streams: &mut [Stream; 2], emit: &mut dyn FnMut(i32, EventKind)) {
    for s in streams.iter_mut() {
        for (pid, text) in s.read_lines() {
            emit(pid, EventKind::Print { text });
        }
    }
}

/// The next thing a tracee did, if any: its PID, its wait status and, for an exit, its
/// /proc stat read before the status was collected.
///
/// A stop (the common case: a syscall, a fork, a signal) is collected in one `waitid`
/// that asks for stops only. An exit is first only peeked at (WNOWAIT), so the process
/// is certainly still there to be read: its parent at that moment says whether
/// collecting the status reaps it (our child) or leaves a zombie for its real parent.
/// Reading after the collection would race with that parent. Stops go first: a
/// traced process's end is never hidden behind them (its parent cannot reap it
/// before the tracer collected it).
fn next_wait() -> Result<Option<(i32, i32, Option<procfs::Stat>)>, nix::errno::Errno> {
    let stops = libc::WSTOPPED | libc::WNOHANG | libc::__WALL;
    // ECHILD here means only that no child can report a stop (a zombie cannot): the
    // exits below say whether any child is left at all.
    let stopped = match wait_any(stops) {
        Err(nix::errno::Errno::ECHILD) => None,
        other => other?,
    };
    if let Some(info) = stopped {
        // SAFETY: waitid filled in a SIGCHLD siginfo for a stopped child.
        let (pid, code) = unsafe { (info.si_pid(), info.si_status()) };
        // A stop's status as waitpid writes it: the stop code (signal, and a ptrace
        // event in the bits above it) over 0x7f.
        return Ok(Some((pid, (code << 8) | 0x7f, None)));
    }
    let exits = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT | libc::__WALL;
    let Some(info) = wait_any(exits)? else {
        return Ok(None);
    };
    // SAFETY: waitid filled in a SIGCHLD siginfo.
    let pid = unsafe { info.si_pid() };
    let before = procfs::read_stat(pid);
    let mut status = 0;
    // SAFETY: collects exactly the event peeked at above.
    if unsafe { libc::waitpid(pid, &mut status, libc::__WALL) } != pid {
        return Err(nix::errno::Errno::last());
    }
    Ok(Some((pid, status, before)))
}

/// One `waitid(P_ALL, flags)`: the child it reports, or `None` if none has news.
fn wait_any(flags: libc::c_int) -> Result<Option<libc::siginfo_t>, nix::errno::Errno> {
    // SAFETY: siginfo_t is plain data; waitid fills it in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: plain syscall writing into a local.
    if unsafe { libc::waitid(libc::P_ALL, 0, &mut info, flags) } < 0 {
        return Err(nix::errno::Errno::last());
    }
    // SAFETY: si_pid 0: nothing to report.
    Ok((unsafe { info.si_pid() } != 0).then_some(info))
}

/// Last resort when waitpid itself fails: SIGKILL every traced process (they are our
/// tracees, unreaped, so their PIDs are theirs) and count them.
fn kill_all(table: &Table) -> u32 {
    let live = table.live();
    for pid in &live {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    u32::try_from(live.len()).unwrap_or(u32::MAX)
}

/// Reads every SIGCHLD queued on the (non-blocking) signalfd: each only woke the poll;
/// what happened is collected by waitid.
pub(super) fn drain_signalfd(fd: &SignalFd) {
    while let Ok(Some(_)) = fd.read_signal() {}
}

/// The command, started and seized.
struct Started {
    pid: i32,
    /// SIGCHLD, readable.
    sigfd: SignalFd,
    /// Its stdout and stderr, read ends.
    streams: [Stream; 2],
    /// Where writes go to those two, to tell whose bytes are whose (`Table`).
    stderr_inode: u64,
    stdout_tty: Option<String>,
}

/// SIGCHLD blocked and readable on a signalfd; the program's stdout and stderr pipes
/// (read ends here); the command forked, stopped, seized and resumed.
#[allow(
    clippy::cast_possible_truncation,
    reason = "the seccomp filter has a few dozen instructions: its length fits the u16 sock_fprog wants"
)]
fn start_command(args: &TracerArgs) -> Result<Started, String> {
    let argv: Vec<CString> = args
        .argv
        .iter()
        .map(|a| CString::new(a.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|_| "an argument holds a NUL byte".to_string())?;
    let devnull = CString::new("/dev/null").map_err(|e| e.to_string())?;
    let mut sigchld = SigSet::empty();
    sigchld.add(Signal::SIGCHLD);
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&sigchld), None)
        .map_err(|e| format!("sigprocmask: {e}"))?;
    let sigfd = SignalFd::with_flags(&sigchld, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .map_err(|e| format!("signalfd: {e}"))?;
    // The child unblocks it again with the raw call (see below).
    let mask: &libc::sigset_t = sigchld.as_ref();
    let flags = nix::fcntl::OFlag::O_CLOEXEC;
    // stdout on a pseudo-terminal: the program buffers its output by line, as it does
    // when the learner runs it in a terminal (on a pipe, Python's print would show up
    // only at exit, and a fork would copy what is still buffered). A pipe if no PTY.
    let size = nix::pty::Winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let (out_r, out_w) = match nix::pty::openpty(&size, None) {
        Ok(pty) => (pty.master, pty.slave),
        Err(_) => nix::unistd::pipe2(flags).map_err(|e| format!("pipe: {e}"))?,
    };
    // No output processing ("\n" stays "\n"): the bytes read back are exactly the
    // bytes written, so each write's bytes can be put down to its writer.
    if let Ok(mut t) = nix::sys::termios::tcgetattr(&out_w) {
        t.output_flags.remove(nix::sys::termios::OutputFlags::OPOST);
        let _ = nix::sys::termios::tcsetattr(&out_w, nix::sys::termios::SetArg::TCSANOW, &t);
    }
    let stdout_tty = std::fs::read_link(format!("/proc/self/fd/{}", out_w.as_raw_fd()))
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .filter(|p| p.starts_with("/dev/pts/"));
    let (err_r, err_w) = nix::unistd::pipe2(flags).map_err(|e| format!("pipe: {e}"))?;
    use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
    for fd in [&out_r, &out_w, &err_r] {
        let _ = fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
    }
    for fd in [&out_r, &err_r] {
        let _ = fcntl(fd, FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
    }
    let stderr_inode = nix::sys::stat::fstat(&err_r).map_or(0, |s| s.st_ino);
    // Waits, signals and execs stop for the tracer always; reads and writes only for
    // messages (not with --no-pipes).
    let mut program = super::seccomp::filter(!args.no_pipes);
    let filter = libc::sock_fprog {
        len: program.len() as libc::c_ushort,
        filter: program.as_mut_ptr(),
    };
    let me = getpid().as_raw();
    let (ow, ew) = (out_w.as_raw_fd(), err_w.as_raw_fd());
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    // The fork rule (ARCHITECTURE.md): the tracer never starts a thread.
    crate::threads::debug_assert_single_threaded("tracer: fork of the command");
    // SAFETY: this process is single-threaded; the child below only makes raw syscalls
    // on data prepared before the fork, then execs or _exits.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if child == 0 {
        // SAFETY: async-signal-safe calls only, in the child.
        unsafe {
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            );
            if libc::getppid() != me {
                libc::_exit(1);
            }
            // A session of its own, without a controlling terminal: a program that
            // opens /dev/tty gets ENXIO instead of painting over the learner's screen,
            // and reading the real stdin (--stdin) is not a background read that job
            // control would stop. (Not the PTY as controlling terminal either: its
            // controlling process would be the command, and the command's exit would
            // hang up every orphan it leaves behind.)
            libc::setsid();
            libc::sigprocmask(libc::SIG_UNBLOCK, mask, std::ptr::null_mut());
            // Ignored dispositions survive exec: give back the defaults proclab's own
            // runtime (SIGPIPE) and terminal handling (SIGTTIN, SIGTTOU) changed, so
            // `yes | head -1` ends as it does in the learner's shell.
            for sig in [libc::SIGPIPE, libc::SIGTTIN, libc::SIGTTOU] {
                libc::signal(sig, libc::SIG_DFL);
            }
            libc::dup2(ow, 1);
            libc::dup2(ew, 2);
            if !args.stdin {
                let null = libc::open(devnull.as_ptr(), libc::O_RDONLY);
                if null >= 0 {
                    libc::dup2(null, 0);
                    libc::close(null);
                }
            }
            // Wait here, stopped, until the tracer has seized us.
            libc::raise(libc::SIGSTOP);
            // From here on the filter's syscalls stop for the tracer, which is there
            // now (untraced, they would fail with ENOSYS: raise itself is a tgkill).
            super::seccomp::install(&filter);
            libc::execvp(argv_ptrs[0], argv_ptrs.as_ptr());
            let msg = b"proclab trace: cannot run the command (not found or not executable)\n";
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::_exit(127);
        }
    }
    drop((out_w, err_w));
    let pid = Pid::from_raw(child);
    // Our own child, unreaped: its PID is its own until we reap it.
    let kill_and_reap = || {
        let _ = kill(pid, Signal::SIGKILL);
        let _ = waitpid(pid, None);
    };
    match waitpid(pid, Some(WaitPidFlag::WUNTRACED)) {
        Ok(WaitStatus::Stopped(..)) => {}
        // It ended before stopping, and waitpid reaped it: its PID is free again, so
        // nothing may be sent to it.
        Ok(_) => return Err("the command's process did not start".into()),
        Err(_) => {
            kill_and_reap();
            return Err("the command's process did not start".into());
        }
    }
    if let Err(e) = super::sys::seize(child) {
        kill_and_reap();
        return Err(super::refused_message(e));
    }
    // Out of its group-stop: it runs on to execvp, traced.
    let _ = kill(pid, Signal::SIGCONT);
    drop(program);
    Ok(Started {
        pid: child,
        sigfd,
        streams: [Stream::new(out_r, child), Stream::new(err_r, child)],
        stderr_inode,
        stdout_tty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_parse() {
        let a: Vec<String> = ["12", "--stdin", "--cap", "9", "--", "sh", "-c", "--"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = parse_args(&a).unwrap();
        assert_eq!(t.parent, 12);
        assert!(t.stdin);
        assert_eq!(t.cap, 9);
        assert_eq!(t.argv, ["sh", "-c", "--"]);
        assert!(parse_args(&a[..5]).is_none(), "no command");
    }

    #[test]
    fn a_request_reads_back_as_it_was_written() {
        let req = TraceRequest {
            stdin: true,
            no_pipes: true,
            ..TraceRequest::command(vec!["sh".into(), "-c".into(), "--stdin -- x".into()], 200)
        };
        let args = req.tracer_args(77);
        assert_eq!(args[0], "__tracer");
        let t = parse_args(&args[1..]).unwrap();
        assert_eq!(
            (t.parent, t.stdin, t.no_pipes, t.cap, t.argv),
            (77, true, true, 200, req.argv)
        );
    }

    #[test]
    fn a_lessons_steps_and_labels_read_back() {
        use crate::trace::steps::{OnEvent, StepOn};
        let steps = vec![StepSpec {
            gate: "sent".into(),
            on: StepOn {
                event: OnEvent::Send,
                n: 2,
                process: Some("producer".into()),
                signal: None,
                text: Some("it's \"quoted\"".into()),
            },
        }];
        let req = TraceRequest {
            lesson: Some(LessonTrace {
                id: "x".into(),
                program: "print(1)".into(),
                steps: steps.clone(),
                run_on: 0,
                labels: [("produce".to_string(), "producer".to_string())].into(),
            }),
            step_every: true,
            ..TraceRequest::command(vec!["python3".into(), "/tmp/x.py".into()], 64)
        };
        let t = parse_args(&req.tracer_args(5)[1..]).unwrap();
        assert_eq!(t.steps, steps);
        assert_eq!(t.labels["produce"], "producer");
        assert_eq!(t.root_label.as_deref(), Some("main"));
        assert!(t.step_every);
        assert_eq!(t.argv, req.argv);
    }
}
