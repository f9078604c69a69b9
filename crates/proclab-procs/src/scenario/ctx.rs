//! What scenario code runs with inside the runner and its forked children: emit an
//! event, sleep honouring pause and speed, stop at a gate, fork a labelled child and
//! wait for children. Everything here runs in single-threaded processes only.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nix::unistd::{ForkResult, Pid, getpid, getppid};

use crate::control::Control;
use crate::trace::event::{Event, EventKind, WaitOutcome};
use crate::trace::writer::write_line;

/// Set by the SIGINT handler; `Ctx` raises KeyboardInterrupt at its next check.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Set by a handled signal (SIGINT, a scenario's own handler): a process standing
/// still with the run goes on at once, so its handler's work (KeyboardInterrupt, the
/// last words) happens when the signal arrives, as in Python, not after the step.
static WOKEN: AtomicBool = AtomicBool::new(false);

/// SIGINT handler: only atomic stores (async-signal-safe), as CPython's only sets
/// a flag that the interpreter checks between bytecodes.
pub extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    wake_from_signal();
}

/// For a scenario's signal handler: let the process react now (an atomic store).
pub fn wake_from_signal() {
    WOKEN.store(true, Ordering::SeqCst);
}

/// Which side of a fork this process is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    Parent(Pid),
    Child,
}

pub struct Ctx {
    control: Control,
    /// The scenario's gate names: a gate's index picks its bit in the control block's
    /// run-on mask.
    gates: &'static [&'static str],
    runner_pid: Pid,
    label: String,
    /// This process's children not yet reaped, in fork order.
    children: Vec<Pid>,
    pub results: serde_json::Map<String, serde_json::Value>,
    /// Result names reported more than once (their value became a list).
    repeated: std::collections::BTreeSet<String>,
}

/// Who refused a fork: proclab's cap, or the kernel with an errno.
enum Refusal {
    Cap(u32),
    Errno(nix::errno::Errno),
}

/// Where a piece of paced work began, in this process's CPU time (`Ctx::keep_pace`).
pub struct Pace(u64);

impl Pace {
    pub fn start() -> Pace {
        Pace(cpu_ns())
    }
}

/// CPU time this process has used, in nanoseconds (0 if the clock cannot be read:
/// then no rest, never a wrong one).
fn cpu_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_PROCESS_CPUTIME_ID).map_or(0, |t| {
        u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000
            + u64::try_from(t.tv_nsec()).unwrap_or(0)
    })
}

impl Ctx {
    pub fn new(control: Control, gates: &'static [&'static str], label: &str) -> Ctx {
        Ctx {
            control,
            gates,
            runner_pid: getpid(),
            label: label.to_string(),
            children: Vec::new(),
            results: serde_json::Map::new(),
            repeated: std::collections::BTreeSet::new(),
        }
    }

    pub fn control(&self) -> &Control {
        &self.control
    }

    /// True in the runner, the process that plays the Python main program.
    pub fn is_main(&self) -> bool {
        getpid() == self.runner_pid
    }

    /// The runner's PID: main, the run's subreaper and process-group leader.
    pub fn runner_pid(&self) -> Pid {
        self.runner_pid
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn emit(&self, kind: EventKind) {
        let event = Event {
            t_us: self.control.now_us(),
            pid: getpid().as_raw(),
            kind,
        };
        write_line(&event);
    }

    pub fn print(&self, text: impl Into<String>) {
        self.emit(EventKind::Print { text: text.into() });
    }

    pub fn result(&mut self, name: &str, value: serde_json::Value) {
        self.emit(EventKind::Result {
            name: name.to_string(),
            value: value.clone(),
        });
        // A name reported again (one result per task) collects into a list, in order.
        match self.results.get_mut(name) {
            Some(serde_json::Value::Array(list)) if self.repeated.contains(name) => {
                list.push(value)
            }
            Some(first) => {
                let first = first.take();
                self.results.insert(
                    name.to_string(),
                    serde_json::Value::Array(vec![first, value]),
                );
                self.repeated.insert(name.to_string());
            }
            None => {
                self.results.insert(name.to_string(), value);
            }
        }
    }

    /// Raises KeyboardInterrupt (a panic, see the runner's exception hook) once SIGINT
    /// has arrived: Python checks for it between bytecodes, we at every blocking call.
    pub fn check_interrupt(&self) {
        if INTERRUPTED.swap(false, Ordering::SeqCst) {
            panic!("KeyboardInterrupt");
        }
    }

    /// Sleeps `secs` of lesson time: real time is divided by the speed, re-read every
    /// slice so a change applies mid-sleep, and the clock stops while paused. Slices are
    /// real `nanosleep`s, so the observer sees an honest "sleeping".
    pub fn sleep(&self, secs: f64) {
        const SLICE: f64 = 0.05;
        let mut remaining = secs;
        while remaining > 1e-9 {
            // A handled signal ends the sleep early: the caller's code that reacts to
            // it (a handler's flag check) runs now.
            if !self.stand_still("sleep") || WOKEN.swap(false, Ordering::SeqCst) {
                self.check_interrupt();
                return;
            }
            let speed = self.control.speed();
            let real = (remaining / speed).min(SLICE);
            if real < 1e-6 {
                break;
            }
            std::thread::sleep(Duration::from_secs_f64(real));
            remaining -= real * speed;
            self.check_interrupt();
        }
    }

    /// Whether the run goes slower than real time now (a lesson step's slow motion,
    /// or the learner's `-`): paced work rests, and timings measure the slowing.
    pub fn slowed(&self) -> bool {
        self.control.speed() < 1.0
    }

    /// Keeps work that has no sleep of its own (a chunk of pi's series, a batch of the
    /// race's additions) at the run's speed; `pace` marks where the last piece began.
    /// At full speed or faster it costs one atomic load. Slowed, the piece just done
    /// (`worked`: the CPU time this process spent on it, so a busy machine does not
    /// stretch the rests too) is followed by a rest of `worked × (1/speed − 1)`: the
    /// work itself stays real and as fast as ever, the process sleeps in between (its
    /// row says S most of the time). A rest of a beat or more ends on the next 10 ms
    /// beat of CLOCK_MONOTONIC, one clock for every process, so processes that work
    /// together wake together and still overlap (the race stays a race).
    pub fn keep_pace(&self, pace: &mut Pace) {
        let speed = self.control.speed();
        if speed >= 1.0 {
            return;
        }
        let worked = Duration::from_nanos(cpu_ns().saturating_sub(pace.0));
        self.rest(worked, speed);
        // The next piece starts now: the rest's own wake-ups are not work (counted,
        // they would make every rest longer than the last).
        pace.0 = cpu_ns();
    }

    /// `keep_pace`'s rest after `worked` at `speed` (below 1).
    fn rest(&self, worked: Duration, speed: f64) {
        const BEAT_NS: u64 = 10_000_000;
        const SLICE_NS: u64 = 50_000_000;
        let rest = worked.as_secs_f64() * (1.0 / speed - 1.0);
        let rest_ns = Duration::try_from_secs_f64(rest).map_or(u64::MAX, |d| {
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
        });
        let now = crate::control::monotonic_ns();
        let mut until = now.saturating_add(rest_ns);
        if rest_ns >= BEAT_NS {
            until = until.div_ceil(BEAT_NS).saturating_mul(BEAT_NS);
        }
        loop {
            // Held or paused meanwhile: stand still with the run, then go on working
            // (the rest is over: the learner's wait was longer).
            if self.control.must_wait() {
                self.stand_still("work");
                return;
            }
            let now = crate::control::monotonic_ns();
            if now >= until {
                return;
            }
            std::thread::sleep(Duration::from_nanos((until - now).min(SLICE_NS)));
            self.check_interrupt();
        }
    }

    /// Stays here while the run stands still (held at a step, or paused), saying so
    /// with `hold` events: the futex wait in between is proclab's, and the screen must
    /// not read it as the lesson's lock or event.
    /// `during`: what it was doing (`sleep`, `work`), for the screen.
    /// Returns false if a handled signal ended the wait early (see `WOKEN`).
    pub fn stand_still(&self, during: &str) -> bool {
        if !self.control.must_wait() {
            return true;
        }
        self.emit(EventKind::Hold {
            on: true,
            during: Some(during.to_string()),
        });
        let woken = || WOKEN.load(Ordering::SeqCst);
        self.control.wait_while_paused_unless(&woken);
        self.emit(EventKind::Hold {
            on: false,
            during: None,
        });
        !WOKEN.swap(false, Ordering::SeqCst)
    }

    /// A named step point: tells the front end, then waits for a permit in step mode.
    /// SIGINT ends the wait: main raises KeyboardInterrupt here, as Python would in
    /// whatever call it was making.
    pub fn gate(&self, name: &str) {
        self.emit(EventKind::Gate {
            name: name.to_string(),
            slot: None,
        });
        let index = self
            .gates
            .iter()
            .position(|g| *g == name)
            .unwrap_or(usize::MAX);
        self.control
            .pass_gate(index, &|| INTERRUPTED.load(Ordering::SeqCst));
        self.check_interrupt();
    }

    /// A per-process step point ("be the scheduler"): in step mode this process waits
    /// until the learner picks it to take its next step.
    pub fn slot_gate(&self, slot: usize, name: &str) {
        self.emit(EventKind::Gate {
            name: name.to_string(),
            slot: Some(u32::try_from(slot).unwrap_or(u32::MAX)),
        });
        self.control.pass_slot_gate(slot);
    }

    /// Forks a child labelled `label`. The child arms PDEATHSIG, checks that its parent
    /// did not die in between, and announces itself with a `spawn` event.
    ///
    /// A refused fork (the run's live-process cap, or the kernel's EAGAIN) is what
    /// `os.fork()` raising `BlockingIOError` is in Python, uncaught: a `fork_failed`
    /// event, a traceback, and this process ends (a child with exit code 1; main
    /// unwinds to the runner, which stops and reaps the rest). So a refusal is a clean
    /// stop, never a retry loop, and no scenario goes on with fewer processes than it
    /// waits for: so this returns only on success, and callers have no error to handle.
    pub fn fork(&mut self, label: &str) -> Forked {
        self.fork_with(label, true)
    }

    /// Like `fork`, but a child that must outlive its parent (the orphan lesson) skips
    /// PDEATHSIG here and arms it itself once adopted (`arm_after_adoption`).
    pub fn fork_with(&mut self, label: &str, parent_death_signal: bool) -> Forked {
        if !self.control.reserve_process() {
            let cap = self.control.cap();
            let why = format!("process cap of {cap} live processes reached");
            self.fork_refused(label, why, Refusal::Cap(cap));
        }
        let parent = getpid();
        // The parent goes on only once the child announced itself, so its `spawn` comes
        // before anything the parent does to it (a signal, a reap), however fast the
        // lesson runs. EOF (the child died first) releases the parent too.
        let announced = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ok();
        // The rule the SAFETY below relies on, checked (debug builds).
        crate::threads::debug_assert_single_threaded("runner: Ctx::fork");
        // SAFETY: the runner and its children are single-threaded (see ARCHITECTURE.md),
        // so the child may run arbitrary code after fork.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Parent { child }) => {
                self.children.push(child);
                if let Some((rx, tx)) = announced {
                    drop(tx);
                    let mut byte = [0u8; 1];
                    while nix::unistd::read(&rx, &mut byte) == Err(nix::errno::Errno::EINTR) {}
                }
                Forked::Parent(child)
            }
            Ok(ForkResult::Child) => {
                // A SIGINT the parent has not raised yet is the parent's: CPython
                // clears pending signals in a forked child.
                INTERRUPTED.store(false, Ordering::SeqCst);
                WOKEN.store(false, Ordering::SeqCst);
                if parent_death_signal {
                    arm_parent_death_signal(parent);
                }
                self.children.clear();
                self.label = label.to_string();
                self.emit(EventKind::Spawn {
                    ppid: getppid().as_raw(),
                    label: label.to_string(),
                    start: own_start_ticks(),
                });
                if let Some((rx, tx)) = announced {
                    drop(rx);
                    let _ = nix::unistd::write(&tx, &[1]);
                }
                Forked::Child
            }
            Err(errno) => {
                self.control.release_process();
                self.fork_refused(
                    label,
                    format!("fork failed: {}", errno.desc()),
                    Refusal::Errno(errno),
                );
            }
        }
    }

    /// Reports a refused fork and raises it, uncaught (see `fork`).
    fn fork_refused(&self, label: &str, why: String, refusal: Refusal) -> ! {
        let (cap, errno) = match refusal {
            Refusal::Cap(cap) => (Some(cap), None),
            Refusal::Errno(e) => (None, Some(format!("{e:?}"))),
        };
        self.emit(EventKind::ForkFailed {
            label: label.to_string(),
            error: why.clone(),
            cap,
            held: None,
            errno,
        });
        panic!("BlockingIOError: {why}")
    }

    /// Children forked by this process and not yet waited for, in fork order.
    pub fn children(&self) -> &[Pid] {
        &self.children
    }

    /// `os.waitpid(pid, 0)`: blocks until that child ends, then emits `reap`.
    pub fn wait_child(&mut self, pid: Pid) -> Option<WaitOutcome> {
        let status = loop {
            let mut status = 0;
            // SAFETY: plain syscall; `status` outlives it. libc gives the raw status.
            let r = unsafe { libc::waitpid(pid.as_raw(), &mut status, 0) };
            if r == pid.as_raw() {
                break status;
            }
            if r < 0 && nix::errno::Errno::last() != nix::errno::Errno::EINTR {
                return None;
            }
            self.check_interrupt();
        };
        self.children.retain(|c| *c != pid);
        Some(self.reaped(pid, status))
    }

    /// `os.waitpid(pid, os.WNOHANG)`: `None` while the child runs (Python's
    /// `is_alive()` is this call), its outcome once it ended (and then it is reaped).
    pub fn poll_child(&mut self, pid: Pid) -> Option<WaitOutcome> {
        let mut status = 0;
        // SAFETY: plain syscall; `status` outlives it.
        let r = unsafe { libc::waitpid(pid.as_raw(), &mut status, libc::WNOHANG) };
        if r != pid.as_raw() {
            return None;
        }
        self.children.retain(|c| *c != pid);
        Some(self.reaped(pid, status))
    }

    /// `os.wait()`: any child, adopted orphans included; `None` when there is none.
    pub fn wait_any(&mut self) -> Option<(Pid, WaitOutcome)> {
        loop {
            let mut status = 0;
            // SAFETY: plain syscall; `status` outlives it.
            let r = unsafe { libc::waitpid(-1, &mut status, 0) };
            if r > 0 {
                let pid = Pid::from_raw(r);
                self.children.retain(|c| *c != pid);
                return Some((pid, self.reaped(pid, status)));
            }
            if nix::errno::Errno::last() != nix::errno::Errno::EINTR {
                return None;
            }
            self.check_interrupt();
        }
    }

    /// `os.kill(pid, sig)` on one of this process's own unreaped children (its PID
    /// cannot have been reused), announced with `send_signal` first.
    pub fn kill_child(&self, pid: Pid, signal: nix::sys::signal::Signal) -> bool {
        if !self.children.contains(&pid) {
            return false;
        }
        self.emit(EventKind::SendSignal {
            target: pid.as_raw(),
            signal: signal.as_str().to_string(),
        });
        nix::sys::signal::kill(pid, signal).is_ok()
    }

    /// Waits for every child of this process, in the order they were forked.
    pub fn wait_all(&mut self) {
        while let Some(&first) = self.children.first() {
            if self.wait_child(first).is_none() {
                self.children.retain(|c| *c != first);
            }
        }
    }

    /// Emits `reap` for a collected status and gives back its process slot.
    pub fn reaped(&self, child: Pid, status: i32) -> WaitOutcome {
        self.control.release_process();
        self.emit(EventKind::reap(child.as_raw(), status));
        WaitOutcome::from_raw(status)
    }

    /// Ends a forked child like Python's `os._exit(code)`: report, then `_exit` without
    /// running the parent's destructors a second time.
    pub fn exit(&self, code: i32) -> ! {
        self.emit(EventKind::Exit { code });
        // SAFETY: `_exit` ends the process at once; nothing after it runs.
        unsafe { libc::_exit(code) }
    }
}

/// For a child forked without PDEATHSIG, once its new parent is known: arm it now.
pub fn arm_after_adoption() {
    arm_parent_death_signal(getppid());
}

/// PR_SET_PDEATHSIG(SIGKILL), then the getppid check that closes the race where the
/// parent died between fork and prctl.
pub fn arm_parent_death_signal(expected_parent: Pid) {
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
    if getppid() != expected_parent {
        // SAFETY: see `Ctx::exit`.
        unsafe { libc::_exit(1) }
    }
}

/// This process's start time in clock ticks since boot, for its `spawn` event.
pub fn own_start_ticks() -> Option<u64> {
    crate::procfs::read_stat(nix::unistd::getpid().as_raw()).map(|s| s.start_ticks)
}
