//! A run that stands still by itself: no process of it has done anything for a while
//! and every one of them is blocked on something other than a timer (a lock, a pipe,
//! a child, a socket), as the observer last read them. Said as what was seen — how
//! long nothing moved and what each process waits for — never as a guess about what
//! will happen; a process that died holding a lock is named, since it never gives it
//! back.
//!
//! Only compiled scenarios are judged: a traced program may wait with a timeout the
//! observer cannot tell from a plain wait (a futex or poll with a deadline).

use super::RunView;
use crate::trace::event::{Event, EventKind};

/// How long nothing must move before a run is said to stand still: longer than any
/// pause a lesson makes on purpose between two events.
pub const QUIET_MS: u64 = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Stall {
    /// For how long (app clock) nothing of the run has moved.
    pub quiet_ms: u64,
    /// Every live process, and why it waits (the observer's words).
    pub waits: Vec<(i32, String, String)>,
    /// Processes that died holding a lock or a semaphore's permit.
    pub died_holding: Vec<i32>,
}

/// Whether an event shows the run moving (as opposed to the observer's sampling).
pub fn shows_progress(e: &Event) -> bool {
    match &e.kind {
        EventKind::Cpu { .. } => false,
        EventKind::State { state, .. } => state.starts_with('R'),
        _ => true,
    }
}

/// The stall `run` is in at app time `now_ms`, if it is in one.
pub fn check(run: &RunView, now_ms: u64) -> Option<Stall> {
    if run.ended()
        || run.held()
        || run.paused()
        || run.replay
        || run.trace.is_some()
        || !run.slot_held.is_empty()
    {
        return None;
    }
    let quiet_ms = now_ms.saturating_sub(run.progress_ms);
    if quiet_ms < QUIET_MS {
        return None;
    }
    // A zombie has exited: it waits for nothing (its parent's wait is what is told).
    let live: Vec<_> = run
        .procs
        .rows()
        .iter()
        .filter(|p| !p.is_ghost() && !matches!(p.state, Some('Z' | 'X')))
        .collect();
    let blocked = |p: &&super::procs::ProcRow| {
        matches!(p.state, Some('S' | 'D'))
            && !p.reason.is_empty()
            && !p.reason.starts_with("sleeping (time.sleep)")
            && !p.reason.starts_with("sleeping in the kernel")
    };
    if live.is_empty() || !live.iter().all(blocked) {
        return None;
    }
    Some(Stall {
        quiet_ms,
        waits: live
            .iter()
            .map(|p| (p.pid, p.label.clone(), p.reason.clone()))
            .collect(),
        died_holding: run
            .locks
            .locks
            .iter()
            .flat_map(|l| l.lost.iter().copied())
            .collect(),
    })
}
