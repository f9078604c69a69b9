//! The event wire: types, the atomic line writer, the line reader, recording a run and
//! replaying a recorded one.
pub mod event;
pub mod reader;
pub mod record;
pub mod replay;
pub mod steps;
pub mod writer;
