//! The event wire: types, the atomic line writer, the line reader. Recording and
//! replaying a run are the front end's (`proclab::trace::{record, replay}`).
pub mod event;
pub mod reader;
pub mod writer;
