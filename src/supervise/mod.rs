//! Supervision: the control block shared with the run, the runner process itself,
//! and the front end's view of a run (spawn, watch, clean up).
pub mod control;
pub mod runner;
pub mod scratch;
pub mod session;
pub mod tracing;
