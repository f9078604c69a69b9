//! The cap, weighed at a fork's entry: a fork, vfork or clone of a new process stops
//! for the tracer before the kernel makes anything (`seccomp.rs`). If the run already
//! holds `cap` processes (traced ones not yet ended, zombies not yet reaped, the tracer,
//! and forks let through whose child is not known yet), the call is not run at all and
//! returns EAGAIN, as the kernel's own RLIMIT_NPROC refuses a fork: Python raises
//! BlockingIOError, a shell says "fork: retry: Resource temporarily unavailable". So
//! the run never holds more than the cap, and what the program sees is a real,
//! documented failure of fork — not a child killed behind its back.

use super::sys;
use super::table::{InSyscall, Table};
use crate::trace::event::EventKind;

type Emit<'a> = &'a mut dyn FnMut(i32, EventKind);

/// Whether syscall `nr` (one the filter sends here) makes a new process.
pub fn makes_a_process(nr: i64) -> bool {
    #[cfg(target_arch = "x86_64")]
    if nr == libc::SYS_fork || nr == libc::SYS_vfork {
        return true;
    }
    // The filter sends only clones of new processes (no CLONE_THREAD) here.
    nr == libc::SYS_clone
}

impl Table {
    /// A fork at its entry: let through (counted until its child is known) or refused.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    pub(super) fn on_fork_entry(&mut self, tid: i32) {
        let in_flight = self
            .in_syscall
            .values()
            .filter(|c| matches!(c, InSyscall::Fork { child_known: false }))
            .count() as u32;
        let call = if self.held() + in_flight >= self.cap && sys::skip_syscall(tid).is_ok() {
            InSyscall::Refused
        } else {
            InSyscall::Fork { child_known: false }
        };
        // Watched to its exit (PTRACE_SYSCALL): a refused one gets its EAGAIN there,
        // a let-through one stops being counted there (it failed, or its child is known).
        self.in_syscall.insert(tid, call);
    }

    /// A refused fork at its exit: it returns EAGAIN, and the tracer says why.
    pub(super) fn on_refused_fork_exit(&mut self, tid: i32, tgid: i32, emit: Emit) {
        if sys::set_return(tid, -i64::from(libc::EAGAIN)).is_err() {
            return;
        }
        let held = self.held();
        emit(
            tgid,
            EventKind::ForkFailed {
                label: "child".into(),
                error: format!(
                    "EAGAIN (Resource temporarily unavailable): the run holds {held} processes, \
                     proclab's cap (--cap {}); the kernel made nothing",
                    self.cap
                ),
                cap: Some(self.cap),
                held: Some(held),
                errno: Some("EAGAIN".into()),
            },
        );
    }
}
