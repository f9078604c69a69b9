//! The event wire: types, the atomic line writer, the line reader.
pub mod event;
pub mod reader;
pub mod writer;
