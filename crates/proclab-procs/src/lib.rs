//! proclab's forking side: the code that runs in the single-threaded processes that
//! fork — the `__runner` (scenarios, their IPC) and the `__tracer` (ptrace) — and what
//! they share with the front end: the control block, the wire, /proc parsing.
//!
//! `fork()` in a multi-threaded process can deadlock the child, so this crate is kept
//! apart from the front end (the `proclab` package, which has threads): it depends on
//! none of the front end's crates, and Cargo gives it no way to reach the front end's
//! modules. Every fork here first checks, in debug builds, that the process has one
//! thread (`threads::debug_assert_single_threaded`). See ARCHITECTURE.md, "Crates".

pub mod control;
pub mod ipc;
pub mod procfs;
pub mod ptrace;
pub mod pyframe;
pub mod pyrepr;
pub mod runner;
pub mod scenario;
pub mod threads;
pub mod trace;

/// Synchronisation for the unit tests: polls with deadlines on state the code or the
/// kernel exposes, never a sleep taken as "long enough".
#[cfg(test)]
pub(crate) mod testing {
    use std::time::{Duration, Instant};

    /// How long a test waits for a thread to get where it is going: far more than it
    /// takes, so only a real hang (or a broken wait that never sleeps) reaches it.
    pub const DEADLINE: Duration = Duration::from_secs(10);

    /// Polls `cond` until it holds (true) or `DEADLINE` passes (false).
    pub fn eventually(cond: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if cond() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The calling thread's kernel id.
    pub fn tid() -> i32 {
        nix::unistd::gettid().as_raw()
    }

    /// Whether thread `tid` of this process sleeps in the kernel (state S) in a futex
    /// wait, as /proc shows it: a waiter that spins, or that returned, is not. Where the
    /// kernel hides wchan ("0"), the sleeping state alone is taken.
    pub fn asleep_in_futex(tid: i32) -> bool {
        let task = format!("/proc/self/task/{tid}");
        let Ok(stat) = std::fs::read_to_string(format!("{task}/stat")) else {
            return false;
        };
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        if state != Some("S") {
            return false;
        }
        match std::fs::read_to_string(format!("{task}/wchan")) {
            Ok(wchan) if !wchan.is_empty() && wchan != "0" => wchan.contains("futex"),
            _ => true,
        }
    }
}
