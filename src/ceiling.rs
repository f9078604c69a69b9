//! How high `--cap` may go. Lessons and `run` stop at `MAX_CAP` (64): every scenario's
//! peak is known and fits. A traced program's is not (a `make -j` build has more), so
//! `trace --cap` may go up to what this machine allows now: the least room left under
//! each limit the kernel enforces on new processes, never below 64.
//!
//! The limits, each with what already counts against it:
//! - RLIMIT_NPROC's soft limit, minus the tasks (threads: what it counts) this user
//!   already runs; not for root, whom the kernel does not hold to it;
//! - `kernel.pid_max`, minus the tasks that exist (each holds a PID);
//! - `kernel.threads-max`, minus the same.
//!
//! Gathering the facts (`Machine::gather`) is apart from the rule (`trace_ceiling`), so
//! the rule is tested on made-up machines.

/// The hard ceiling on live processes per run of a lesson or scenario; `--cap` can
/// only lower it. `trace` may go higher (`trace_ceiling`).
pub const MAX_CAP: u32 = 64;

/// What the kernel's limits on new processes are, and what counts against them now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Machine {
    /// RLIMIT_NPROC's soft limit (`None`: unlimited).
    pub nproc_limit: Option<u64>,
    /// Root: RLIMIT_NPROC is not enforced.
    pub root: bool,
    /// Tasks (threads) whose real UID is ours: what RLIMIT_NPROC counts.
    pub user_tasks: u64,
    pub pid_max: Option<u64>,
    pub threads_max: Option<u64>,
    /// Tasks on the whole machine (the fourth field of /proc/loadavg).
    pub tasks: Option<u64>,
}

/// The highest `--cap` for `trace`, with the arithmetic that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceiling {
    pub cap: u32,
    pub why: String,
}

impl Machine {
    pub fn gather() -> Machine {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
        };
        let nproc_limit = nproc_limit();
        let (uid, euid) = (
            nix::unistd::getuid().as_raw(),
            nix::unistd::geteuid().as_raw(),
        );
        Machine {
            nproc_limit,
            root: uid == 0 || euid == 0,
            user_tasks: user_tasks(uid),
            pid_max: read("/proc/sys/kernel/pid_max"),
            threads_max: read("/proc/sys/kernel/threads-max"),
            tasks: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|s| tasks_of_loadavg(&s)),
        }
    }
}

/// The rule: the least room under the limits that bind (see the module's head), but
/// never below `MAX_CAP`, which lessons and `run` always have.
pub fn trace_ceiling(m: &Machine) -> Ceiling {
    let mut rooms: Vec<(u64, String)> = Vec::new();
    if let Some(limit) = m.nproc_limit.filter(|_| !m.root) {
        rooms.push((
            limit.saturating_sub(m.user_tasks),
            format!(
                "RLIMIT_NPROC {limit} − {} tasks you already run",
                m.user_tasks
            ),
        ));
    }
    if let Some(tasks) = m.tasks {
        for (name, max) in [
            ("kernel.pid_max", m.pid_max),
            ("kernel.threads-max", m.threads_max),
        ] {
            if let Some(max) = max {
                rooms.push((
                    max.saturating_sub(tasks),
                    format!("{name} {max} − {tasks} tasks on this machine"),
                ));
            }
        }
    }
    match rooms.into_iter().min_by_key(|(room, _)| *room) {
        None => Ceiling {
            cap: MAX_CAP,
            why: "no limit readable in /proc or getrlimit, so no more than the usual".into(),
        },
        Some((room, why)) if room <= u64::from(MAX_CAP) => Ceiling {
            cap: MAX_CAP,
            why: format!("{why} = {room}; never below the usual {MAX_CAP}"),
        },
        Some((room, why)) => Ceiling {
            cap: u32::try_from(room).unwrap_or(u32::MAX),
            why: format!("{why} = {room}"),
        },
    }
}

/// `0.20 0.18 0.12 1/87 11206`: 87 tasks exist.
fn tasks_of_loadavg(text: &str) -> Option<u64> {
    text.split_whitespace()
        .nth(3)?
        .split_once('/')?
        .1
        .parse()
        .ok()
}

/// The threads of every process whose real UID is `uid` (`Threads:` in its status).
fn user_tasks(uid: u32) -> u64 {
    crate::observe::procfs::every_status()
        .filter_map(|status| {
            let field = |key: &str| crate::observe::procfs::status_number(&status, key);
            (field("Uid") == Some(u64::from(uid))).then(|| field("Threads").unwrap_or(1))
        })
        .sum()
}

/// RLIMIT_NPROC's soft limit, `None` when unlimited (or unreadable).
pub fn nproc_limit() -> Option<u64> {
    use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit};
    getrlimit(Resource::RLIMIT_NPROC)
        .ok()
        .map(|(soft, _hard)| soft)
        .filter(|soft| *soft != RLIM_INFINITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Machine {
        Machine {
            nproc_limit: Some(4096),
            root: false,
            user_tasks: 96,
            pid_max: Some(32768),
            threads_max: Some(192_724),
            tasks: Some(400),
        }
    }

    #[test]
    fn the_least_room_left_under_the_limits() {
        let c = trace_ceiling(&machine());
        assert_eq!(c.cap, 4000);
        assert!(c.why.contains("RLIMIT_NPROC 4096 − 96 tasks"), "{}", c.why);
        // Root is not held to RLIMIT_NPROC: pid_max binds.
        let c = trace_ceiling(&Machine {
            root: true,
            ..machine()
        });
        assert_eq!(c.cap, 32368);
        assert!(c.why.contains("kernel.pid_max 32768 − 400"), "{}", c.why);
        let c = trace_ceiling(&Machine {
            nproc_limit: None,
            threads_max: Some(1000),
            ..machine()
        });
        assert_eq!(c.cap, 600);
        assert!(c.why.contains("kernel.threads-max"), "{}", c.why);
    }

    #[test]
    fn never_below_the_usual_cap() {
        let c = trace_ceiling(&Machine {
            user_tasks: 4090,
            ..machine()
        });
        assert_eq!(c.cap, MAX_CAP);
        assert!(c.why.contains("= 6; never below the usual 64"), "{}", c.why);
        assert_eq!(trace_ceiling(&Machine::default()).cap, MAX_CAP);
    }

    #[test]
    fn loadavg_and_this_machine() {
        assert_eq!(tasks_of_loadavg("0.20 0.18 0.12 1/87 11206\n"), Some(87));
        assert_eq!(tasks_of_loadavg("garbage"), None);
        let m = Machine::gather();
        assert!(m.tasks.is_some_and(|t| t > 0), "{m:?}");
        assert!(m.user_tasks > 0, "this test runs: {m:?}");
        assert!(trace_ceiling(&m).cap >= MAX_CAP);
    }
}
