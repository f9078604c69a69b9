//! proclab as a library: everything but `main`, so benches and tests can reach the
//! pure parts (wire, update, render) directly. See ARCHITECTURE.md for the map.

pub mod app;
pub mod ceiling;
pub mod cli;
pub mod course;
pub mod debug;
pub mod doctor;
pub mod export;
pub mod headless;
pub mod ipc;
pub mod lesson;
pub mod observe;
pub mod playback;
pub mod ptrace;
pub mod pyframe;
pub mod scenario;
pub mod supervise;
pub mod trace;
pub mod tui;
pub mod ui;
