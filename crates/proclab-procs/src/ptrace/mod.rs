//! `proclab trace -- COMMAND…`: a learner's own program, watched live with ptrace.
//!
//! The front end is multi-threaded and never forks, so it spawns `proclab __tracer`
//! exactly as it spawns the runner (own process group, PDEATHSIG, control block on
//! fd 3 for the clock) and reads its stdout as the wire. The tracer is single-threaded:
//! it forks the command, seizes it with PTRACE_SEIZE (fork/vfork/clone/exec/seccomp
//! events, EXITKILL), and turns every ptrace stop into wire events (`spawn`, `exec`,
//! `exit`, `reap`, `released`, `reparent`, signals sent and received, `send`/`recv`, a
//! `threads` value): only what the kernel did, never what should have happened. The
//! program's stdout and stderr come back through pipes as `print` events, so nothing
//! writes over the screen.
//!
//! - `sys.rs`: the ptrace requests and the decoding of a wait status;
//! - `tracer.rs`: the `__tracer` entry: start the command, the event loop;
//! - `table.rs`: what the tracer knows about each traced process, stop by stop (and
//!   the cap: new processes held until it is checked);
//! - `seccomp.rs`: the filter (which syscalls stop; CLONE_UNTRACED refused) and what
//!   a stopped syscall says;
//! - `syscalls.rs`: a stopped syscall's entry and exit sent to what it means;
//! - `waits.rs`: reaps as wait4/waitid returned them; children the kernel released;
//! - `sigsend.rs`: signals sent (every kill-family call), a fault's cause;
//! - `fds.rs`, `framing.rs`, `pickle.rs`, `manager.rs`: whole messages through pipes
//!   and sockets (`send` / `recv`), decoded as Python has them, a Manager's calls named;
//! - `output.rs`: the program's output (a PTY and a pipe), cut into clean lines;
//! - `procinfo.rs`: what /proc and a tracee's memory say; reap and disposition wording.

pub mod fds;
pub mod forks;
pub mod framing;
pub mod hold;
pub mod manager;
pub mod output;
pub mod pickle;
pub mod procinfo;
pub mod seccomp;
pub mod sigsend;
pub mod sys;
pub mod syscalls;
pub mod table;
pub mod tracer;
pub mod waits;
pub mod whereabouts;

/// What a traced program's run view shows in place of a scenario: no parameters, no
/// gates; never run by the runner (it is not in `scenario::ALL`).
pub static TRACED: crate::scenario::Scenario = crate::scenario::Scenario {
    id: "trace",
    title: "your program, traced",
    // No work pane, so no core sampling; a message pane appears when messages pass.
    view: crate::scenario::View::TREE,
    params: &[],
    gates: &[],
    process_gates: &[],
    // The summary's results: how the command ended.
    reports: &["exit_code", "signal"],
    peak_processes: |_| Ok((0, String::new())),
    run: |_, _| Ok(()),
};

/// Whether this machine lets proclab trace its own child, said in words when not.
/// Reads only `/proc` (Yama's `ptrace_scope` and our capabilities); tries nothing.
pub fn ptrace_permitted() -> Result<(), String> {
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    let cap_sys_ptrace = crate::procfs::read_status(nix::unistd::getpid().as_raw())
        .is_some_and(|s| crate::procfs::may_ptrace(&s));
    scope_verdict(scope, cap_sys_ptrace)
}

/// The rule behind `ptrace_permitted`, apart from where the facts come from.
fn scope_verdict(scope: Option<u32>, cap_sys_ptrace: bool) -> Result<(), String> {
    match scope {
        // No Yama, classic ptrace (0) or descendants only (1): tracing our own child
        // is allowed.
        None | Some(0) | Some(1) => Ok(()),
        Some(2) if cap_sys_ptrace => Ok(()),
        Some(2) => Err(
            "ptrace is limited to administrators here (kernel.yama.ptrace_scope = 2): \
             run as root, or ask for `sysctl kernel.yama.ptrace_scope=1`"
                .into(),
        ),
        Some(n) => Err(format!(
            "ptrace is switched off on this machine (kernel.yama.ptrace_scope = {n}); \
             it cannot be turned back on without a reboot, so `proclab trace` cannot work here"
        )),
    }
}

/// The clear message for a ptrace request the kernel refused (a container's seccomp
/// profile, an LSM, Yama).
pub fn refused_message(errno: nix::errno::Errno) -> String {
    let why = match ptrace_permitted() {
        Err(why) => why,
        Ok(()) => "the kernel refused it: proclab may itself be running under a \
                   debugger or strace (a process has one tracer at most), or a \
                   container's seccomp profile or a security module forbids ptrace \
                   (with Docker, try --cap-add=SYS_PTRACE)"
            .into(),
    };
    format!("cannot trace the program: ptrace failed with {errno}: {why}")
}

/// How a process that exec'd is named: its `argv[0]` as typed (`python3`, where the
/// executable may be `python3.11`), else the executable's file name.
pub fn exec_label(program: &str, argv: &[String]) -> String {
    match argv.first().filter(|a| !a.is_empty()) {
        Some(a) => base_name(a),
        None => base_name(program),
    }
}

/// `python3` for `/usr/bin/python3`.
pub fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yama_scopes() {
        assert!(scope_verdict(None, false).is_ok());
        assert!(scope_verdict(Some(1), false).is_ok());
        assert!(scope_verdict(Some(2), true).is_ok());
        assert!(scope_verdict(Some(2), false).unwrap_err().contains("= 2"));
        assert!(
            scope_verdict(Some(3), true)
                .unwrap_err()
                .contains("switched off")
        );
        assert_eq!(base_name("/usr/bin/python3"), "python3");
        assert_eq!(base_name("sh"), "sh");
        let argv = vec!["/usr/bin/python3".to_string(), "x.py".to_string()];
        assert_eq!(exec_label("/usr/bin/python3.11", &argv), "python3");
        assert_eq!(exec_label("/usr/bin/ls", &[]), "ls");
    }
}
