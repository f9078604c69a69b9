//! The event wire and what the front end does with it: the wire itself (types, writer,
//! reader) lives in `proclab-procs`, shared with the processes that write it; recording
//! a run and replaying a recorded one are the front end's.
pub use proclab_procs::trace::{event, reader, steps, writer};
pub mod record;
pub mod replay;
