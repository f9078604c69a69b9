//! Thin wrappers over the ptrace(2) requests the tracer uses, and the decoding of a
//! `waitpid` status under ptrace. nix's safe wrappers where they fit; libc (one
//! `unsafe` block, `request`) for what nix cannot say: `PTRACE_LISTEN` (no wrapper),
//! PTRACE_CONT / PTRACE_SYSCALL delivering a signal (nix's `Signal` has no real-time
//! signals, which a traced program may receive and the tracer must pass on), and
//! aarch64's NT_ARM_SYSTEM_CALL register set. `decode` stays arithmetic on the raw
//! status for the same reason (`WaitStatus::from_raw` refuses a stop by SIGRTMIN+n).

use nix::errno::Errno;
use nix::sys::ptrace;
use nix::unistd::Pid;

/// What the tracer asks the kernel to report: every fork, vfork, clone and exec, the
/// syscalls the seccomp filter of `seccomp.rs` marks (with syscall stops told apart
/// from SIGTRAP), and SIGKILL for every tracee if the tracer dies (nothing outlives
/// it). Not each thread's exit: its end (and exit status) comes with its death, one
/// stop fewer per process.
pub const OPTIONS: ptrace::Options = ptrace::Options::PTRACE_O_TRACEFORK
    .union(ptrace::Options::PTRACE_O_TRACEVFORK)
    .union(ptrace::Options::PTRACE_O_TRACECLONE)
    .union(ptrace::Options::PTRACE_O_TRACEEXEC)
    .union(ptrace::Options::PTRACE_O_TRACESECCOMP)
    .union(ptrace::Options::PTRACE_O_TRACESYSGOOD)
    .union(ptrace::Options::PTRACE_O_EXITKILL);

fn request(req: libc::c_uint, pid: i32, addr: usize, data: usize) -> Result<libc::c_long, Errno> {
    Errno::clear();
    // SAFETY: the requests used here take integers or a pointer to a local of the size
    // the request writes (checked by each caller).
    let r = unsafe {
        libc::ptrace(
            req,
            pid,
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    };
    if r == -1 && Errno::last_raw() != 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// Attaches to `pid` (our stopped child) without stopping it, with `OPTIONS`.
pub fn seize(pid: i32) -> Result<(), Errno> {
    ptrace::seize(Pid::from_raw(pid), OPTIONS)
}

/// Resumes a stopped tracee, delivering `sig` (0 for none).
#[allow(
    clippy::cast_sign_loss,
    reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
)]
pub fn cont(pid: i32, sig: i32) -> Result<(), Errno> {
    request(libc::PTRACE_CONT, pid, 0, sig as usize).map(drop)
}

/// Resumes a tracee until its current syscall returns (a syscall-exit stop).
#[allow(
    clippy::cast_sign_loss,
    reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
)]
pub fn syscall(pid: i32, sig: i32) -> Result<(), Errno> {
    request(libc::PTRACE_SYSCALL, pid, 0, sig as usize).map(drop)
}

/// Stops a running tracee (a seized one): it reports a PTRACE_EVENT_STOP, or the stop
/// it was about to report. A blocking syscall it was in is broken off and restarted
/// by the kernel when the tracee goes on.
pub fn interrupt(pid: i32) -> Result<(), Errno> {
    ptrace::interrupt(Pid::from_raw(pid))
}

/// The tracee's general registers (PTRACE_GETREGSET, NT_PRSTATUS).
fn get_regs(pid: i32) -> Result<libc::user_regs_struct, Errno> {
    ptrace::getregs(Pid::from_raw(pid))
}

fn set_regs(pid: i32, regs: &libc::user_regs_struct) -> Result<(), Errno> {
    ptrace::setregs(Pid::from_raw(pid), *regs)
}

/// At a syscall's seccomp stop: the kernel will not run it (its number becomes -1);
/// the tracee goes on to its syscall-exit stop, where `set_return` gives the result.
pub fn skip_syscall(pid: i32) -> Result<(), Errno> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut regs = get_regs(pid)?;
        regs.orig_rax = u64::MAX;
        set_regs(pid, &regs)
    }
    #[cfg(target_arch = "aarch64")]
    {
        // NT_ARM_SYSTEM_CALL: the syscall number alone.
        const NT_ARM_SYSTEM_CALL: usize = 0x404;
        let mut nr: libc::c_int = -1;
        let mut iov = libc::iovec {
            iov_base: (&mut nr as *mut libc::c_int).cast(),
            iov_len: std::mem::size_of::<libc::c_int>(),
        };
        request(
            libc::PTRACE_SETREGSET,
            pid,
            NT_ARM_SYSTEM_CALL,
            &mut iov as *mut libc::iovec as usize,
        )
        .map(drop)
    }
}

/// At a syscall-exit stop: what the syscall returns (`-errno` for a failure).
#[allow(
    clippy::cast_sign_loss,
    reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
)]
pub fn set_return(pid: i32, value: i64) -> Result<(), Errno> {
    let mut regs = get_regs(pid)?;
    #[cfg(target_arch = "x86_64")]
    {
        regs.rax = value as u64;
    }
    #[cfg(target_arch = "aarch64")]
    {
        regs.regs[0] = value as u64;
    }
    set_regs(pid, &regs)
}

/// Leaves a tracee in its group-stop (a real SIGSTOP) while letting the tracer hear
/// about the SIGCONT that ends it: the process stays stopped as it would untraced.
pub fn listen(pid: i32) -> Result<(), Errno> {
    request(libc::PTRACE_LISTEN, pid, 0, 0).map(drop)
}

/// The message of the last ptrace event: the new PID of a fork, the status at an exit,
/// the former thread id at an exec.
#[allow(
    clippy::cast_sign_loss,
    reason = "the message is an unsigned long the kernel wrote; nix hands it over as a c_long"
)]
pub fn event_msg(pid: i32) -> Result<libc::c_ulong, Errno> {
    ptrace::getevent(Pid::from_raw(pid)).map(|m| m as libc::c_ulong)
}

/// The siginfo of a signal-delivery-stop: who sent it (`si_pid`) and how (`si_code`).
pub fn siginfo(pid: i32) -> Result<libc::siginfo_t, Errno> {
    ptrace::getsiginfo(Pid::from_raw(pid))
}

/// What one `waitpid(-1, __WALL)` result means under PTRACE_SEIZE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The thread is gone; for a thread-group leader this is the process's end (for
    /// our own child also its reap). `status` is the raw wait status.
    Ended { status: i32 },
    /// fork / vfork / clone: `event_msg` holds the new thread's id.
    Forked,
    /// execve succeeded; `event_msg` holds the former thread id.
    Exec,
    /// About to exit; `event_msg` holds the exit status.
    Exiting,
    /// A group-stop (SIGSTOP, SIGTSTP, …) or the initial stop of a new tracee or an
    /// interrupt: `sig` is the stopping signal (SIGTRAP for the latter two).
    EventStop { sig: i32 },
    /// A signal about to be delivered: the tracer must pass it on.
    Signal { sig: i32 },
    /// A syscall the seccomp filter marks (read, write), at its entry.
    Seccomp,
    /// The exit of a syscall we resumed with PTRACE_SYSCALL (a read from a pipe).
    SyscallExit,
    /// Anything else: just resume.
    Other,
}

pub fn decode(status: i32) -> Stop {
    if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
        return Stop::Ended { status };
    }
    if !libc::WIFSTOPPED(status) {
        return Stop::Other;
    }
    let sig = libc::WSTOPSIG(status);
    match status >> 16 {
        0 if sig == libc::SIGTRAP | 0x80 => Stop::SyscallExit,
        0 => Stop::Signal { sig },
        libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
            Stop::Forked
        }
        libc::PTRACE_EVENT_EXEC => Stop::Exec,
        libc::PTRACE_EVENT_EXIT => Stop::Exiting,
        libc::PTRACE_EVENT_STOP => Stop::EventStop { sig },
        libc::PTRACE_EVENT_SECCOMP => Stop::Seccomp,
        _ => Stop::Other,
    }
}

/// True for the signals whose default action stops a process.
pub fn is_stop_signal(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decode() {
        assert_eq!(decode(3 << 8), Stop::Ended { status: 3 << 8 });
        assert_eq!(decode(9), Stop::Ended { status: 9 });
        let stopped = |sig: i32, event: i32| (event << 16) | (sig << 8) | 0x7f;
        assert_eq!(
            decode(stopped(libc::SIGTERM, 0)),
            Stop::Signal { sig: libc::SIGTERM }
        );
        assert_eq!(
            decode(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_FORK)),
            Stop::Forked
        );
        assert_eq!(
            decode(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_EXEC)),
            Stop::Exec
        );
        assert_eq!(
            decode(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_EXIT)),
            Stop::Exiting
        );
        assert_eq!(
            decode(stopped(libc::SIGSTOP, libc::PTRACE_EVENT_STOP)),
            Stop::EventStop { sig: libc::SIGSTOP }
        );
        assert!(is_stop_signal(libc::SIGTSTP) && !is_stop_signal(libc::SIGTERM));
    }
}
