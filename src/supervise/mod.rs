//! Supervision: the front end's view of a run (spawn, watch, clean up) and of a trace,
//! and the private folder a Python lesson's program is written to. The control block
//! and the runner process itself live in `proclab-procs` (they run in the forking
//! processes) and are re-exported here under their old paths.
pub use proclab_procs::{control, runner};
pub mod scratch;
pub mod session;
pub mod tracing;
