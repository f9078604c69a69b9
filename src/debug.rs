//! Hidden debug triggers, for the reliability tests only (see "Debug triggers" in
//! ARCHITECTURE.md). Nothing here changes what a run does unless its variable is set.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, after, never};

/// `PROCLAB_DEBUG_PANIC_AFTER_MS=N`: the front end's main loop panics N ms after it
/// started, to exercise the panic exit path (terminal restored, run stopped).
pub const PANIC_AFTER_MS: &str = "PROCLAB_DEBUG_PANIC_AFTER_MS";

/// Fires once, N ms from now, when `PROCLAB_DEBUG_PANIC_AFTER_MS=N` is set (read once,
/// here, at startup); never fires otherwise.
pub fn panic_timer() -> Receiver<Instant> {
    match panic_after(std::env::var(PANIC_AFTER_MS).ok().as_deref()) {
        Some(delay) => after(delay),
        None => never(),
    }
}

fn panic_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse().ok().map(Duration::from_millis)
}

// `PROCLAB_DEBUG_LATE_STDERR_MS` is the runner's (`proclab_procs::runner`): it acts
// in the runner process, which must not reach this (front-end) module.

/// The panic the timer asks for, on the main thread, so it unwinds like a real bug.
pub fn deliberate_panic() -> ! {
    panic!("deliberate panic ({PANIC_AFTER_MS} is set): testing the panic exit path")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_number_of_milliseconds_arms_it() {
        assert_eq!(panic_after(None), None);
        assert_eq!(panic_after(Some("")), None);
        assert_eq!(panic_after(Some("soon")), None);
        assert_eq!(panic_after(Some("-5")), None);
        assert_eq!(panic_after(Some(" 250 ")), Some(Duration::from_millis(250)));
    }
}
