//! The fork rule, checked where it matters: `fork()` copies only the calling thread,
//! so in a process with other threads the child can inherit a lock one of them held
//! (the allocator's, stdio's) and deadlock on it. proclab forks only in processes that
//! never start a thread (the runner and the tracer); every fork path calls
//! `debug_assert_single_threaded` first, so a change that breaks the rule fails the
//! first debug run or test that reaches the fork instead of deadlocking now and then.

/// How many threads this process has now: the entries of /proc/self/task (one per
/// thread). `None` when /proc cannot say.
pub fn count() -> Option<usize> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(tasks.filter(|t| t.is_ok()).count())
}

/// Panics (in debug builds; nothing in release) if this process has more than one
/// thread. Called right before every `fork`; `site` names it in the message.
#[track_caller]
pub fn debug_assert_single_threaded(site: &str) {
    if cfg!(debug_assertions)
        && let Some(n) = count()
    {
        assert!(
            n == 1,
            "{site}: fork in a process with {n} threads (the fork rule: only \
             single-threaded processes fork, see ARCHITECTURE.md)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test harness runs tests on threads of its own, so this process is never
    /// single-threaded here: the check must see that and refuse, as it would for a
    /// front end that forked.
    #[test]
    fn a_threaded_process_is_refused() {
        let (hold, held) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || held.recv());
        let n = count().expect("/proc/self/task is readable");
        assert!(n >= 2, "a spawned thread is counted: {n}");
        let refused = std::panic::catch_unwind(|| debug_assert_single_threaded("test"));
        if cfg!(debug_assertions) {
            let why = refused.expect_err("a threaded process must be refused");
            let text = why.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(text.contains("threads"), "{text}");
        }
        drop(hold);
        let _ = other.join();
    }
}
