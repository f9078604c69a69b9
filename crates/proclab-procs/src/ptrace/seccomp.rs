//! The seccomp filter that makes a few syscalls stop for the tracer and refuses the one
//! way out of it, a child made with CLONE_UNTRACED (installed in the command before
//! exec, inherited by everything it starts; every other syscall runs untouched), and
//! what the tracer reads of a stopped syscall
//! (PTRACE_GET_SYSCALL_INFO): its number and arguments at entry, its return value at
//! exit. What the stops mean: `syscalls.rs`, `waits.rs`, `sigsend.rs`, `framing.rs`.

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7; // AUDIT_ARCH_AARCH64

/// The syscalls that stop for the tracer, each one at its entry: waits (a reap is a
/// wait that returned), every way to send a signal, execs (what file was run, for a
/// script), and, for messages, `read` and `write`. Every other syscall runs untouched.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
)]
pub fn traced_syscalls(messages: bool) -> Vec<u32> {
    let mut nrs = vec![
        libc::SYS_wait4,
        libc::SYS_waitid,
        libc::SYS_kill,
        libc::SYS_tkill,
        libc::SYS_tgkill,
        libc::SYS_rt_sigqueueinfo,
        libc::SYS_rt_tgsigqueueinfo,
        libc::SYS_pidfd_send_signal,
        libc::SYS_execve,
        libc::SYS_execveat,
    ];
    // A new process is counted against the cap before it exists (`forks.rs`); clone
    // is in the filter's own rules (not a thread, not CLONE_UNTRACED).
    #[cfg(target_arch = "x86_64")]
    nrs.extend([libc::SYS_fork, libc::SYS_vfork]);
    if messages {
        nrs.extend([libc::SYS_read, libc::SYS_write]);
        // What a descriptor refers to is kept between stops (`fds.rs`) until one of
        // these changes it.
        nrs.extend([libc::SYS_close, libc::SYS_dup3, libc::SYS_close_range]);
        #[cfg(target_arch = "x86_64")]
        nrs.push(libc::SYS_dup2);
    }
    nrs.into_iter().map(|n| n as u32).collect()
}

/// `clone`'s flag that would make a child no tracer follows (linux/sched.h).
const CLONE_UNTRACED: u32 = 0x0080_0000;
/// `clone`'s flag for a thread of the same process (not counted by the cap).
const CLONE_THREAD: u32 = 0x0001_0000;

/// The BPF program, built before the fork and installed by the child (`install`):
/// - the `traced_syscalls` of this architecture → SECCOMP_RET_TRACE;
/// - `clone` with CLONE_UNTRACED → EPERM: a child made so would escape the tracer,
///   its cleanup and the cap (container runtimes refuse it the same way);
/// - `clone` of a new process (no CLONE_THREAD) → SECCOMP_RET_TRACE, so the cap is
///   weighed before the process exists; a thread's clone runs untouched;
/// - `clone3` → ENOSYS: its flags are in memory a filter cannot read, and C libraries
///   fall back to `clone` when it is missing (threads and forks work as before);
/// - all else, and every other architecture's calls, allowed.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[allow(
    clippy::cast_possible_truncation,
    reason = "system call numbers (< 2^10) as the u32 the filter compares, and jump offsets within a program of a few dozen instructions as BPF's u8"
)]
pub fn filter(messages: bool) -> Vec<libc::sock_filter> {
    const LD_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const JSET: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
    const RET: u16 = 0x06; // BPF_RET | BPF_K
    // seccomp_data: nr at 0, arch at 4, args[0]'s low word at 16 (little-endian).
    const NR: u32 = 0;
    const ARCH: u32 = 4;
    const ARG0: u32 = 16;
    /// Where a jump lands: one of the four returns at the end.
    #[derive(Clone, Copy)]
    enum To {
        Next,
        Allow,
        Trace,
        Eperm,
        Enosys,
    }
    let nrs = traced_syscalls(messages);
    let mut body: Vec<(u16, u32, To, To)> = vec![
        (LD_ABS, ARCH, To::Next, To::Next),
        (JEQ, AUDIT_ARCH, To::Next, To::Allow),
        (LD_ABS, NR, To::Next, To::Next),
    ];
    body.extend(nrs.iter().map(|nr| (JEQ, *nr, To::Trace, To::Next)));
    body.extend([
        (JEQ, libc::SYS_clone3 as u32, To::Enosys, To::Next),
        (JEQ, libc::SYS_clone as u32, To::Next, To::Allow),
        (LD_ABS, ARG0, To::Next, To::Next),
        (JSET, CLONE_UNTRACED, To::Eperm, To::Next),
        (JSET, CLONE_THREAD, To::Allow, To::Trace),
    ]);
    let returns = [
        libc::SECCOMP_RET_ALLOW,
        libc::SECCOMP_RET_TRACE,
        libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
        libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
    ];
    let end = body.len();
    let at = |to: To, from: usize| -> u8 {
        let target = match to {
            To::Next => from + 1,
            To::Allow => end,
            To::Trace => end + 1,
            To::Eperm => end + 2,
            To::Enosys => end + 3,
        };
        (target - from - 1) as u8
    };
    let mut prog: Vec<libc::sock_filter> = body
        .iter()
        .enumerate()
        .map(|(i, (code, k, jt, jf))| {
            let jumps = *code == JEQ || *code == JSET;
            libc::sock_filter {
                code: *code,
                jt: if jumps { at(*jt, i) } else { 0 },
                jf: if jumps { at(*jf, i) } else { 0 },
                k: *k,
            }
        })
        .collect();
    prog.extend(returns.map(|k| libc::sock_filter {
        code: RET,
        jt: 0,
        jf: 0,
        k,
    }));
    prog
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub fn filter(_messages: bool) -> Vec<libc::sock_filter> {
    Vec::new()
}

/// In the forked child, before it stops for the tracer: no new privileges (required
/// to install a filter unprivileged), then the filter. Async-signal-safe (two prctl).
///
/// # Safety
/// `prog` must point at `filter()`'s program, alive until the call returns.
#[allow(
    clippy::cast_lossless,
    reason = "SECCOMP_MODE_FILTER passed as the unsigned long prctl takes as its argument"
)]
pub unsafe fn install(prog: &libc::sock_fprog) {
    if prog.len == 0 {
        return;
    }
    let _ = nix::sys::prctl::set_no_new_privs();
    // SAFETY: prctl with integers and a pointer to a live sock_fprog (nix does not
    // wrap PR_SET_SECCOMP).
    unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            prog as *const libc::sock_fprog as libc::c_ulong,
        );
    }
}

/// A syscall as the tracer sees it at a stop: number and arguments at entry, return
/// value at exit.
pub enum Call {
    Entry { nr: u64, args: [u64; 6] },
    Exit { rval: i64 },
}

#[allow(
    clippy::ptr_as_ptr,
    reason = "PTRACE_GET_SYSCALL_INFO writes into this struct through a void pointer"
)]
pub fn syscall_info(tid: i32) -> Option<Call> {
    // Not nix's `ptrace::syscall_info`: it takes the struct as initialised after the
    // call, but the kernel writes only the header and the member `op` names (less than
    // the whole struct at an exit stop). Zeroed first, every byte here is defined.
    // SAFETY: plain data; the kernel fills in up to the size we pass.
    let mut info: libc::ptrace_syscall_info = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::ptrace_syscall_info>();
    // SAFETY: PTRACE_GET_SYSCALL_INFO writes at most `size` bytes into `info`.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GET_SYSCALL_INFO,
            tid,
            size as *mut libc::c_void,
            &mut info as *mut _ as *mut libc::c_void,
        )
    };
    if r <= 0 {
        return None;
    }
    // SAFETY: `op` says which member of the union the kernel filled in.
    unsafe {
        match info.op {
            libc::PTRACE_SYSCALL_INFO_SECCOMP => {
                let s = info.u.seccomp;
                Some(Call::Entry {
                    nr: s.nr,
                    args: s.args,
                })
            }
            libc::PTRACE_SYSCALL_INFO_EXIT => Some(Call::Exit {
                rval: info.u.exit.sval,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the BPF program over one syscall as the kernel would (only the kinds of
    /// instruction `filter` uses).
    fn verdict(prog: &[libc::sock_filter], arch: u32, nr: u32) -> u32 {
        verdict_with(prog, arch, nr, 0)
    }

    fn verdict_with(prog: &[libc::sock_filter], arch: u32, nr: u32, arg0: u32) -> u32 {
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let ins = prog[pc];
            match ins.code {
                0x20 => {
                    acc = match ins.k {
                        0 => nr,
                        4 => arch,
                        16 => arg0,
                        other => panic!("load at {other}"),
                    }
                }
                0x15 | 0x45 => {
                    let hit = if ins.code == 0x15 {
                        acc == ins.k
                    } else {
                        acc & ins.k != 0
                    };
                    let jump = if hit { ins.jt } else { ins.jf };
                    pc += usize::from(jump);
                }
                0x06 => return ins.k,
                other => panic!("unexpected BPF code {other:#x}"),
            }
            pc += 1;
        }
    }

    #[test]
    #[allow(
        clippy::cast_possible_truncation,
        reason = "x86-64 system call numbers (< 2^10) as the filter compares them (u32)"
    )]
    fn filter_traces_exactly_its_syscalls() {
        for messages in [true, false] {
            let f = filter(messages);
            if f.is_empty() {
                return;
            }
            let traced = traced_syscalls(messages);
            let clone3 = libc::SYS_clone3 as u32;
            for nr in 0..600u32 {
                // clone with flags 0 makes a new process: it stops too.
                let want = if traced.contains(&nr) || nr == libc::SYS_clone as u32 {
                    libc::SECCOMP_RET_TRACE
                } else if nr == clone3 {
                    libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32
                } else {
                    libc::SECCOMP_RET_ALLOW
                };
                assert_eq!(verdict(&f, AUDIT_ARCH, nr), want, "syscall {nr}");
                // Another architecture's numbers (a 32-bit call) pass untouched.
                assert_eq!(verdict(&f, 0x4000_0003, nr), libc::SECCOMP_RET_ALLOW);
            }
            assert_eq!(
                traced.contains(&(libc::SYS_read as u32)),
                messages,
                "read stops only for messages"
            );
            // clone: a new process stops (the cap is weighed at its entry), a thread
            // runs; an untraced child is refused.
            let clone = libc::SYS_clone as u32;
            let fork_flags = libc::SIGCHLD as u32;
            let thread_flags = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_SIGHAND) as u32;
            assert_eq!(
                verdict_with(&f, AUDIT_ARCH, clone, fork_flags),
                libc::SECCOMP_RET_TRACE
            );
            assert_eq!(
                verdict_with(&f, AUDIT_ARCH, clone, thread_flags),
                libc::SECCOMP_RET_ALLOW
            );
            assert_eq!(
                verdict_with(&f, AUDIT_ARCH, clone, fork_flags | CLONE_UNTRACED),
                libc::SECCOMP_RET_ERRNO | libc::EPERM as u32
            );
        }
    }
}
