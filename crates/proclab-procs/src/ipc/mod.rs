//! Cross-process primitives for the scenarios, built the way CPython builds
//! `multiprocessing`'s (which is itself part of the lesson): semaphores in shared
//! memory, a queue from a pipe plus locks plus a bounded semaphore, a pipe from a
//! socketpair. Everything is created in the runner before it forks.

pub mod event;
pub mod pipe;
pub mod queue;
pub mod sem;
pub mod shm;
pub mod wire;
