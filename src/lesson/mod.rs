//! Lessons are data (`lessons/NN-id.toml`): title, scenario, params, a Python program
//! and narrated steps keyed by gate. Nothing in a lesson can run a command.
pub mod check;
pub mod doc;
pub mod export;
pub mod loader;
pub mod model;
pub mod quiz;
pub mod variants;

pub use model::{Lang, Lesson};
