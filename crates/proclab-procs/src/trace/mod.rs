//! The event wire: types, the atomic line writer, the line reader, and the steps a
//! Python lesson (or `trace --step`) holds at, matched against the events. Recording and
//! replaying a run are the front end's (`proclab::trace::{record, replay}`).
pub mod event;
pub mod reader;
pub mod steps;
pub mod writer;
