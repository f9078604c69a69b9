//! proclab as a library: everything but `main`, so benches and tests can reach the
//! pure parts (wire, update, render) directly. See ARCHITECTURE.md for the map.

// The code of the forking processes is its own crate (see ARCHITECTURE.md, "Crates");
// its modules keep their old paths here, so `crate::scenario::…` reads as before.
pub use proclab_procs::{ipc, ptrace, pyframe, scenario};

pub mod app;
pub mod ceiling;
pub mod cli;
pub mod course;
pub mod debug;
pub mod describe;
pub mod doctor;
pub mod export;
pub mod headless;
pub mod hint;
pub mod i18n;
pub mod lesson;
pub mod observe;
pub mod playback;
pub mod python;
pub mod screens;
pub mod supervise;
pub mod term;
pub mod theme;
pub mod trace;
pub mod tracefile;
pub mod tui;
pub mod ui;
pub mod visible;
