//! Recorded traces in other tools' formats (`proclab export`).
pub mod chrome;
