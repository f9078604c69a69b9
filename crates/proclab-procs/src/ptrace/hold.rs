//! Holding a traced program still: at a lesson's step (or `trace --step`), and while
//! the learner has it paused. Every thread of every traced process is stopped with
//! PTRACE_INTERRUPT; the stops they report are kept, unanswered, until the learner
//! releases the run, and then handled as if they had just come, in the order they
//! came. Nothing is lost that way: a signal waiting in a signal-delivery stop is
//! delivered when that stop is answered, output stays in its pipe, and a syscall the
//! interrupt broke off (a sleep, a blocking read) is restarted by the kernel, not
//! failed (no handler runs, so it is ERESTARTSYS / restart_syscall, never EINTR).
//!
//! What a hold does not stop: the kernel's clocks. A `time.sleep` that was running
//! goes on counting while the program is held (CPython sleeps to a deadline on
//! CLOCK_MONOTONIC), so it may end at once after a long hold. Events are stamped on
//! the lesson clock, which stands still while the run is held.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsFd;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signalfd::SignalFd;

use super::table::Table;
use super::whereabouts::Whereabouts;
use crate::control::Control;
use crate::trace::event::EventKind;
use crate::trace::writer::Batch;
use std::cell::RefCell;

/// How long a hold waits for the interrupted threads to report their stop before it
/// tells which processes are held (one still in an uninterruptible kernel wait stops
/// as soon as it leaves it; it is just not said to be held).
const SETTLE_MS: i32 = 300;

/// A stop collected while holding: (thread, its wait status).
pub type Deferred = Vec<(i32, i32)>;

/// Where a hold tells what it did: the wire (flushed once the program stands), the
/// events, and where each process is (read while it stands).
pub type Out<'a> = (
    &'a Batch,
    &'a mut dyn FnMut(i32, EventKind),
    &'a RefCell<Option<Whereabouts>>,
);

/// Why the run stands still.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// A step was reached: gate number `n` (in the control block's ticket order).
    Step(usize),
    /// The learner paused the run.
    Paused,
}

/// Stops every traced thread, tells which processes are held (`hold` on), waits for
/// the learner (a permit for the step, or the end of the pause), tells they go on
/// (`hold` off) and returns the stops collected meanwhile, to be handled in order.
pub fn hold(
    table: &Table,
    control: &Control,
    sigfd: &SignalFd,
    why: Why,
    (wire, emit, places): Out<'_>,
) -> Deferred {
    let mut deferred = Vec::new();
    let mut held = BTreeSet::new();
    // Threads kept at the stop where their event happened are held already.
    let kept: BTreeSet<i32> = table.unresumed.iter().map(|(tid, _, _)| *tid).collect();
    let mut stop_all = || {
        let mut waiting: BTreeMap<i32, i32> = BTreeMap::new();
        for (tid, tgid) in table.threads() {
            if !kept.contains(&tid) && super::sys::interrupt(tid).is_ok() {
                waiting.insert(tid, tgid);
            }
        }
        deferred = settle(&mut waiting, sigfd);
        // A thread that has exited (a zombie thread, its end not collected yet) never
        // reports a stop: its process is held all the same.
        waiting.retain(|tid, tgid| thread_alive(*tgid, *tid));
        // A process is held once each of its interrupted threads has reported a stop.
        let pending: BTreeSet<i32> = waiting.values().copied().collect();
        held = table
            .threads()
            .into_iter()
            .map(|(_, tgid)| tgid)
            .filter(|tgid| !pending.contains(tgid))
            .collect();
        for &pid in &held {
            emit(
                pid,
                EventKind::Hold {
                    on: true,
                    during: None,
                },
            );
        }
        // Where each held process stands: exact, since none of them moves now.
        if let Some(w) = places.borrow_mut().as_mut() {
            for &pid in &held {
                // A read can miss (the interpreter was between two states when it
                // stopped); the process stands still, so a second look is as exact.
                let _ = (0..3).any(|_| w.look(pid, emit));
            }
        }
        // Out now: the screens show the hold while it lasts.
        wire.flush();
    };
    match why {
        // The control block counts the hold first (the observer reads it), then the
        // program is stopped, then the learner is waited for.
        Why::Step(n) => control.pass_gate_then(n, &|| false, &mut stop_all),
        Why::Paused => {
            stop_all();
            control.wait_while_paused();
        }
    }
    for &pid in &held {
        emit(
            pid,
            EventKind::Hold {
                on: false,
                during: None,
            },
        );
    }
    deferred
}

/// Collects the stops of the interrupted threads (removing each from `waiting`) until
/// all have reported or `SETTLE_MS` has passed. Exits are left for the main loop.
fn settle(waiting: &mut BTreeMap<i32, i32>, sigfd: &SignalFd) -> Deferred {
    let mut deferred = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(SETTLE_MS as u64);
    while !waiting.is_empty() {
        if let Some((tid, status)) = next_stop() {
            waiting.remove(&tid);
            deferred.push((tid, status));
            continue;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let mut fds = [PollFd::new(sigfd.as_fd(), PollFlags::POLLIN)];
        let slice = PollTimeout::try_from(left.min(std::time::Duration::from_millis(50)))
            .unwrap_or(PollTimeout::ZERO);
        let _ = poll(&mut fds, slice);
        super::tracer::drain_signalfd(sigfd);
    }
    deferred
}

/// Whether thread `tid` of `tgid` still runs code (not a zombie, not gone).
fn thread_alive(tgid: i32, tid: i32) -> bool {
    crate::procfs::read_task_state(tgid, tid).is_some_and(crate::procfs::runs_code)
}

/// One stopped tracee's stop, if any is waiting: (tid, wait status as waitpid writes it).
fn next_stop() -> Option<(i32, i32)> {
    // SAFETY: siginfo_t is plain data; waitid fills it in.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WSTOPPED | libc::WNOHANG | libc::__WALL;
    // SAFETY: plain syscall writing into a local.
    if unsafe { libc::waitid(libc::P_ALL, 0, &mut info, flags) } < 0 {
        return None;
    }
    // SAFETY: waitid filled in a SIGCHLD siginfo (si_pid 0: nothing to report).
    let (pid, code) = unsafe { (info.si_pid(), info.si_status()) };
    (pid != 0).then_some((pid, (code << 8) | 0x7f))
}
