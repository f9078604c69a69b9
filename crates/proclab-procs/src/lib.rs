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
