//! `proclab doctor`: what this machine supports that proclab relies on, one line per
//! check, `OK` or `WARN` with advice. Gathering the facts (`Facts::gather`) is apart from
//! judging them (`report_for`), so the judgement is unit-tested on made-up machines.

use std::io::IsTerminal;

use crate::observe::procfs;

/// What doctor looks at, gathered once.
#[derive(Debug, Clone)]
pub struct Facts {
    pub proc_readable: bool,
    pub wchan: Option<String>,
    pub children_file: bool,
    pub pidfd_open: Result<(), i32>,
    pub subreaper: Result<bool, i32>,
    /// `/proc/sys/kernel/yama/ptrace_scope`, when Yama is there.
    pub ptrace_scope: Option<u32>,
    /// RLIMIT_NPROC's soft limit (`None`: unlimited).
    pub nproc_limit: Option<u64>,
    /// Processes this user runs now (what RLIMIT_NPROC counts).
    pub user_processes: u64,
    pub euid: u32,
    pub pid_max: Option<u64>,
    /// The terminal's size, when stdout is one.
    pub terminal: Option<Option<(u16, u16)>>,
    pub term: Option<String>,
    pub colorterm: Option<String>,
    pub no_color: bool,
    /// The locale that decides the character set: LC_ALL, else LC_CTYPE, else LANG.
    pub locale: Option<String>,
    pub cpus: usize,
    pub cap: u32,
    /// How high `trace --cap` may go on this machine now (`crate::ceiling`).
    pub trace_ceiling: crate::ceiling::Ceiling,
    /// The interpreter of Python lessons (`--python`, else python3 on PATH): where it
    /// is found, the interpreter it runs and its version, or why there is none.
    pub python: Result<(std::path::PathBuf, std::path::PathBuf, String), String>,
}

impl Facts {
    pub fn gather(cap: u32, python: Option<&std::path::Path>) -> Facts {
        let me = nix::unistd::getpid().as_raw();
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Facts {
            proc_readable: procfs::read_stat(me).is_some(),
            wchan: std::fs::read_to_string(format!("/proc/{me}/wchan")).ok(),
            children_file: std::path::Path::new(&format!("/proc/{me}/task/{me}/children")).exists(),
            pidfd_open: pidfd_open_self(),
            subreaper: subreaper(),
            ptrace_scope: std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
                .ok()
                .and_then(|s| s.trim().parse().ok()),
            nproc_limit: crate::ceiling::nproc_limit(),
            user_processes: user_processes(),
            euid: nix::unistd::geteuid().as_raw(),
            pid_max: std::fs::read_to_string("/proc/sys/kernel/pid_max")
                .ok()
                .and_then(|s| s.trim().parse().ok()),
            terminal: std::io::stdout()
                .is_terminal()
                .then(|| ratatui::crossterm::terminal::size().ok()),
            term: env("TERM"),
            colorterm: env("COLORTERM"),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            locale: env("LC_ALL")
                .or_else(|| env("LC_CTYPE"))
                .or_else(|| env("LANG")),
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            cap,
            trace_ceiling: crate::ceiling::trace_ceiling(&crate::ceiling::Machine::gather()),
            python: crate::python::find(python)
                .map_err(|e| e.to_string())
                .and_then(|found| {
                    let real = crate::python::resolve(&found)?;
                    let version = crate::python::version(&real)?;
                    Ok((found, real, version))
                }),
        }
    }
}

/// The report for this machine, with `cap` the live-process cap in force.
pub fn report(cap: u32, python: Option<&std::path::Path>) -> String {
    report_for(&Facts::gather(cap, python))
}

/// One line per check: `OK  ` or `WARN`, the check's name, what was found, advice.
pub fn report_for(f: &Facts) -> String {
    let mut out = String::new();
    let mut line = |ok: bool, what: &str, detail: String| {
        let mark = if ok { "OK  " } else { "WARN" };
        out.push_str(&format!("{mark} {what:<18} {detail}\n"));
    };
    line(
        f.proc_readable,
        "/proc",
        if f.proc_readable {
            "readable: states, CPU and start times come from it".into()
        } else {
            "not readable: no states, no leak check; mount procfs at /proc".into()
        },
    );
    let wchan_ok = f.wchan.is_some();
    line(
        wchan_ok,
        "/proc/PID/wchan",
        if wchan_ok {
            "present: the screens say why a process waits".into()
        } else {
            "missing: waiting processes show no reason (kernel without CONFIG_PROC_PID_WCHAN?)"
                .into()
        },
    );
    line(
        f.children_file,
        "/proc/…/children",
        if f.children_file {
            "present: the runner finds every leftover child".into()
        } else {
            "missing: leftovers are found by waitpid only (CONFIG_PROC_CHILDREN)".into()
        },
    );
    line(
        f.pidfd_open.is_ok(),
        "pidfd_open",
        match f.pidfd_open {
            Ok(()) => "supported: signals from the menu go through pidfds".into(),
            Err(e) => format!(
                "unsupported ({}): the signal menu cannot send; needs Linux 5.3 or newer",
                errno_name(e)
            ),
        },
    );
    line(
        f.subreaper == Ok(true),
        "child subreaper",
        match f.subreaper {
            Ok(true) => "PR_SET_CHILD_SUBREAPER works: orphans stay in the run".into(),
            Ok(false) => "PR_SET_CHILD_SUBREAPER did not stick: orphans go to PID 1".into(),
            Err(e) => format!(
                "prctl failed ({}): orphans go to PID 1; needs Linux 3.4 or newer",
                errno_name(e)
            ),
        },
    );
    line(
        f.python.is_ok(),
        "python",
        match &f.python {
            Ok((found, real, version)) if found == real => format!(
                "{version} at {}: Python lessons run their programs on it",
                real.display()
            ),
            Ok((found, real, version)) => format!(
                "{version} at {} (through {}): Python lessons run their programs on it",
                real.display(),
                found.display()
            ),
            Err(why) => format!("{why}; the compiled lessons still run"),
        },
    );
    let (ok, detail) = match f.ptrace_scope {
        None => (true, "no Yama: classic ptrace permissions".to_string()),
        Some(0) => (true, "ptrace_scope 0: any process of yours".into()),
        Some(1) => (
            true,
            "ptrace_scope 1: only descendants (enough to trace a run proclab started)".into(),
        ),
        Some(2) => (
            false,
            "ptrace_scope 2: admin only; tracing needs CAP_SYS_PTRACE".into(),
        ),
        Some(n) => (
            false,
            format!("ptrace_scope {n}: no attaching at all until reboot"),
        ),
    };
    line(ok, "ptrace", detail);
    let (ok, detail) = match f.nproc_limit {
        None => (true, format!("unlimited (cap: {} per run)", f.cap)),
        Some(limit) => {
            let room = limit.saturating_sub(f.user_processes);
            if f.euid == 0 {
                (
                    true,
                    format!("{limit}, not enforced for root (cap: {} per run)", f.cap),
                )
            } else if room >= u64::from(f.cap) {
                (
                    true,
                    format!(
                        "{limit}, {} in use: room for a run of {} (the cap)",
                        f.user_processes, f.cap
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "{limit}, {} in use: room for {room}, below the cap of {}; forks may \
                         fail (fork_failed) — use --cap {} or raise `ulimit -u`",
                        f.user_processes,
                        f.cap,
                        room.max(1)
                    ),
                )
            }
        }
    };
    line(ok, "RLIMIT_NPROC", detail);
    let (ok, detail) = match f.pid_max {
        Some(max) if max >= 4 * u64::from(f.cap) => {
            (true, format!("{max}, plenty for a run of {}", f.cap))
        }
        Some(max) => (
            false,
            format!("{max}: PIDs are scarce; lower --cap or raise kernel.pid_max"),
        ),
        None => (false, "unreadable: /proc/sys/kernel/pid_max".into()),
    };
    line(ok, "pid_max", detail);
    line(
        true,
        "trace --cap",
        format!(
            "up to {} for `proclab trace` ({}); lessons and `run` stop at {}",
            f.trace_ceiling.cap,
            f.trace_ceiling.why,
            crate::cli::MAX_CAP
        ),
    );
    let (ok, detail) = match f.terminal {
        None => (
            false,
            "stdout is not a terminal: the screens need one; use --headless or --json".into(),
        ),
        Some(None) => (false, "a terminal of unknown size".into()),
        Some(Some((w, h))) if w < 80 || h < 24 => (
            false,
            format!("{w}×{h}: below 80×24, the screens ask you to enlarge it"),
        ),
        Some(Some((w, h))) => (true, format!("{w}×{h}")),
    };
    line(ok, "terminal", detail);
    let term = f.term.as_deref().unwrap_or("");
    // The very depth the themes are sent in (`theme::fit`).
    let depth = crate::theme::Depth::detect(f.colorterm.as_deref(), f.term.as_deref());
    let depth = format!("{}: the themes are sent in no more", depth.words());
    let (ok, detail) = if term.is_empty() || term == "dumb" {
        (
            false,
            format!(
                "TERM={}: no cursor control; set TERM (e.g. xterm-256color) or use --headless",
                if term.is_empty() { "(unset)" } else { term }
            ),
        )
    } else if f.no_color {
        (
            true,
            format!(
                "TERM={term}, NO_COLOR set: the screens still colour states (each also has its letter)"
            ),
        )
    } else {
        (true, format!("TERM={term}: {depth}"))
    };
    line(ok, "colours", detail);
    let locale = f.locale.as_deref().unwrap_or("");
    let utf8 = {
        let l = locale.to_ascii_lowercase();
        l.contains("utf-8") || l.contains("utf8")
    };
    line(
        utf8,
        "locale",
        if utf8 {
            format!("{locale}: UTF-8")
        } else {
            format!(
                "{}: not UTF-8; lines and 中文 may show as garbage; set LANG=C.UTF-8",
                if locale.is_empty() { "(unset)" } else { locale }
            )
        },
    );
    line(
        true,
        "CPU cores",
        format!(
            "{}{}",
            f.cpus,
            if f.cpus < 2 {
                ": one core, parallel speedups cannot show"
            } else {
                ""
            }
        ),
    );
    out
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn errno_name(e: i32) -> String {
    nix::errno::Errno::from_raw(e).to_string()
}

fn pidfd_open_self() -> Result<(), i32> {
    // SAFETY: pidfd_open(our pid, 0) takes integers and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
    if fd < 0 {
        return Err(errno());
    }
    if let Ok(fd) = i32::try_from(fd) {
        // SAFETY: the descriptor was just returned to us and nothing else holds it.
        unsafe { libc::close(fd) };
    }
    Ok(())
}

/// Asks the kernel whether this process is a child subreaper (main made it one).
fn subreaper() -> Result<bool, i32> {
    crate::supervise::session::become_subreaper();
    nix::sys::prctl::get_child_subreaper().map_err(|e| e as i32)
}

/// Tasks whose real UID is ours (RLIMIT_NPROC counts threads too; processes are a
/// close enough floor for advice).
fn user_processes() -> u64 {
    let uid = nix::unistd::getuid().as_raw();
    crate::observe::procfs::every_status()
        .filter(|status| {
            crate::observe::procfs::status_number(status, "Uid") == Some(u64::from(uid))
        })
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> Facts {
        Facts {
            proc_readable: true,
            wchan: Some("do_wait".into()),
            children_file: true,
            pidfd_open: Ok(()),
            subreaper: Ok(true),
            ptrace_scope: Some(1),
            nproc_limit: Some(4000),
            user_processes: 100,
            euid: 1000,
            pid_max: Some(4_194_304),
            terminal: Some(Some((120, 40))),
            term: Some("xterm-256color".into()),
            colorterm: None,
            no_color: false,
            locale: Some("en_US.UTF-8".into()),
            cpus: 4,
            cap: 64,
            trace_ceiling: crate::ceiling::Ceiling {
                cap: 3900,
                why: "RLIMIT_NPROC 4000 − 100 tasks you already run = 3900".into(),
            },
            python: Ok((
                "/usr/bin/python3".into(),
                "/usr/bin/python3".into(),
                "Python 3.11.2".into(),
            )),
        }
    }

    fn warns(f: &Facts) -> Vec<String> {
        report_for(f)
            .lines()
            .filter(|l| l.starts_with("WARN"))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn a_healthy_machine_is_all_ok_one_line_per_check() {
        let r = report_for(&healthy());
        assert_eq!(r.lines().count(), 14, "{r}");
        assert!(
            r.contains("Python 3.11.2 at /usr/bin/python3: Python lessons"),
            "{r}"
        );
        assert!(r.contains("up to 3900 for `proclab trace`"), "{r}");
        assert!(r.lines().all(|l| l.starts_with("OK  ")), "{r}");
    }

    #[test]
    fn each_problem_warns_with_advice() {
        type Break = fn(&mut Facts);
        let cases: [(Break, &str); 8] = [
            (
                |f| f.python = Err("no python3 on PATH".into()),
                "compiled lessons still run",
            ),
            (|f| f.pidfd_open = Err(libc::ENOSYS), "Linux 5.3"),
            (|f| f.ptrace_scope = Some(3), "ptrace_scope 3"),
            (|f| f.user_processes = 3990, "--cap 10"),
            (|f| f.terminal = Some(Some((70, 20))), "80×24"),
            (|f| f.term = Some("dumb".into()), "--headless"),
            (|f| f.locale = Some("C".into()), "LANG=C.UTF-8"),
            (|f| f.wchan = None, "no reason"),
        ];
        for (break_it, advice) in cases {
            let mut f = healthy();
            break_it(&mut f);
            let w = warns(&f);
            assert_eq!(w.len(), 1, "{w:?}");
            assert!(w[0].contains(advice), "{w:?} lacks {advice:?}");
        }
    }

    #[test]
    fn root_is_not_held_by_rlimit_nproc() {
        let mut f = healthy();
        f.user_processes = 3990;
        f.euid = 0;
        assert!(warns(&f).is_empty());
    }
}
