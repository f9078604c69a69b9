//! The seccomp filter that makes a few syscalls stop for the tracer (installed in the
//! command before exec, inherited by everything it starts; every other syscall runs
//! untouched), and what the tracer reads of a stopped syscall
//! (PTRACE_GET_SYSCALL_INFO): its number and arguments at entry, its return value at
//! exit. What the stops mean: `syscalls.rs`, `waits.rs`, `sigsend.rs`, `framing.rs`.

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7; // AUDIT_ARCH_AARCH64

/// The syscalls that stop for the tracer, each one at its entry: waits (a reap is a
/// wait that returned), every way to send a signal, execs (what file was run, for a
/// script), and, for messages, `read` and `write`. Every other syscall runs untouched.
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

/// The BPF program: the `traced_syscalls` of this architecture → SECCOMP_RET_TRACE,
/// all else allowed. Built before the fork; installed by the child (`install`).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub fn filter(messages: bool) -> Vec<libc::sock_filter> {
    let stmt = |code: u16, k: u32| libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
        jt,
        jf,
        k,
    };
    const LD_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const RET: u16 = 0x06; // BPF_RET | BPF_K
    let nrs = traced_syscalls(messages);
    let n = nrs.len() as u8;
    // [0] arch, [1] other arch → ALLOW, [2] nr, then one test per syscall that jumps
    // to TRACE (the last instruction), [3 + n] ALLOW, [4 + n] TRACE.
    let mut prog = vec![
        stmt(LD_ABS, 4), // seccomp_data.arch
        jeq(AUDIT_ARCH, 0, n + 1),
        stmt(LD_ABS, 0), // seccomp_data.nr
    ];
    for (i, nr) in nrs.iter().enumerate() {
        prog.push(jeq(*nr, n - i as u8, 0));
    }
    prog.push(stmt(RET, libc::SECCOMP_RET_ALLOW));
    prog.push(stmt(RET, libc::SECCOMP_RET_TRACE));
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
pub unsafe fn install(prog: &libc::sock_fprog) {
    if prog.len == 0 {
        return;
    }
    // SAFETY: prctl with integers and a pointer to a live sock_fprog.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
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

pub fn syscall_info(tid: i32) -> Option<Call> {
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

    /// Runs the BPF program over one syscall as the kernel would (only the four kinds
    /// of instruction `filter` uses).
    fn verdict(prog: &[libc::sock_filter], arch: u32, nr: u32) -> u32 {
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let ins = prog[pc];
            match ins.code {
                0x20 => acc = if ins.k == 4 { arch } else { nr },
                0x15 => {
                    let jump = if acc == ins.k { ins.jt } else { ins.jf };
                    pc += usize::from(jump);
                }
                0x06 => return ins.k,
                other => panic!("unexpected BPF code {other:#x}"),
            }
            pc += 1;
        }
    }

    #[test]
    fn filter_traces_exactly_its_syscalls() {
        for messages in [true, false] {
            let f = filter(messages);
            if f.is_empty() {
                return;
            }
            let traced = traced_syscalls(messages);
            for nr in 0..600u32 {
                let want = if traced.contains(&nr) {
                    libc::SECCOMP_RET_TRACE
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
        }
    }
}
