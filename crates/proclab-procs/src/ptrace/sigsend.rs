//! Signals as traced processes send them: every call that can send one (`kill`,
//! `tkill`, `tgkill`, `rt_sigqueueinfo`, `rt_tgsigqueueinfo`, `pidfd_send_signal`)
//! stops for the tracer at its entry and is watched to its exit. A call that returned
//! 0 sent its signal: that is a `send_signal` by the caller. When the target shows the
//! signal first (delivery, or a death by it: SIGKILL is never seen delivered), the send
//! is told then, so it always comes before what it caused. A signal the kernel raised
//! itself (a fault) carries its `si_code` instead of a sender.

use super::table::{InSyscall, Table};
use crate::procfs;
use crate::trace::event::{EventKind, signal_name};

type Emit<'a> = &'a mut dyn FnMut(i32, EventKind);

/// A call that sends a signal, between its entry and its exit.
pub struct SignalCall {
    /// A process (its thread group), or as kill(2) has it: -1 for every process the
    /// caller may signal, -N for process group N.
    target: i32,
    sig: i32,
    /// Already told (the target showed it before the call returned).
    told: bool,
}

impl Table {
    /// A signal-sending call's entry: which process gets which signal. Signal 0 only
    /// asks whether the target exists: no signal, nothing to watch.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    pub(super) fn on_signal_entry(&mut self, tid: i32, tgid: i32, nr: i64, args: [u64; 6]) {
        let int = |i: usize| args[i] as i32;
        let (target, sig) = match nr {
            n if n == libc::SYS_kill => (self.kill_target(tgid, int(0)), int(1)),
            n if n == libc::SYS_tkill => (self.tgid(int(0)).unwrap_or(int(0)), int(1)),
            n if n == libc::SYS_tgkill => (int(0), int(2)),
            n if n == libc::SYS_rt_sigqueueinfo => (int(0), int(1)),
            n if n == libc::SYS_rt_tgsigqueueinfo => (int(0), int(2)),
            n if n == libc::SYS_pidfd_send_signal => match pidfd_target(tgid, int(0)) {
                Some(pid) => (pid, int(1)),
                None => return,
            },
            _ => return,
        };
        if sig <= 0 || sig > 64 {
            return;
        }
        self.in_syscall.insert(
            tid,
            InSyscall::Signal(SignalCall {
                target,
                sig,
                told: false,
            }),
        );
    }

    /// kill(2)'s first argument as a target: a PID (a thread's id means its process),
    /// 0 for the caller's own process group.
    fn kill_target(&self, caller: i32, pid: i32) -> i32 {
        match pid {
            p if p > 0 => self.tgid(p).unwrap_or(p),
            0 => procfs::read_stat(caller).map_or(0, |s| -s.pgid),
            p => p,
        }
    }

    /// The call returned: 0 means the signal was sent.
    pub(super) fn on_signal_exit(&mut self, tgid: i32, call: SignalCall, rval: i64, emit: Emit) {
        if rval == 0 && !call.told {
            emit(tgid, send(&call));
        }
    }

    /// `target` shows `sig` sent by `from`: the send of `from`'s pending call, told now.
    pub(super) fn flush_sends(&mut self, from: i32, target: i32, sig: i32, emit: Emit) {
        self.tell_pending(|sender, _| sender == from, target, sig, emit);
    }

    /// `target` died of `sig`: any traced sender's pending call, told now.
    pub(super) fn flush_sends_to(&mut self, target: i32, sig: i32, emit: Emit) {
        self.tell_pending(|_, _| true, target, sig, emit);
    }

    fn tell_pending(
        &mut self,
        sender_ok: impl Fn(i32, &SignalCall) -> bool,
        target: i32,
        sig: i32,
        emit: Emit,
    ) {
        let tids: Vec<i32> = self
            .in_syscall
            .iter()
            .filter(|(_, c)| matches!(c, InSyscall::Signal(s) if !s.told && s.sig == sig && (s.target == target || s.target < 0)))
            .map(|(tid, _)| *tid)
            .collect();
        for tid in tids {
            let Some(sender) = self.tgid(tid) else {
                continue;
            };
            if let Some(InSyscall::Signal(call)) = self.in_syscall.get_mut(&tid)
                && sender_ok(sender, call)
            {
                call.told = true;
                emit(sender, send(call));
            }
        }
    }
}

fn send(call: &SignalCall) -> EventKind {
    EventKind::SendSignal {
        target: call.target,
        signal: signal_name(call.sig),
    }
}

/// The process a pidfd of `pid`'s refers to (`Pid:` in its fdinfo).
fn pidfd_target(pid: i32, fd: i32) -> Option<i32> {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse().ok())
        .filter(|p: &i32| *p > 0)
}

/// Why the kernel raised `sig` itself, from its `si_code` (siginfo(2)): a fault's
/// kind, or the kernel as sender.
pub fn kernel_cause(sig: i32, code: i32) -> String {
    let named = match (sig, code) {
        (libc::SIGSEGV, 1) => "SEGV_MAPERR: a fault, the address is not mapped",
        (libc::SIGSEGV, 2) => "SEGV_ACCERR: a fault, no permission for that access",
        (libc::SIGBUS, 1) => "BUS_ADRALN: a fault, misaligned address",
        (libc::SIGBUS, 2) => "BUS_ADRERR: a fault, no such physical address",
        (libc::SIGBUS, 3) => "BUS_OBJERR: a fault, hardware error on the object",
        (libc::SIGFPE, 1) => "FPE_INTDIV: a fault, integer division by zero",
        (libc::SIGFPE, 2) => "FPE_INTOVF: a fault, integer overflow",
        (libc::SIGFPE, _) => "a floating-point fault",
        (libc::SIGILL, _) => "a fault, an illegal instruction",
        (libc::SIGTRAP, _) => "a trap (breakpoint or trace)",
        (libc::SIGCHLD, 1) => "CLD_EXITED: a child exited",
        (libc::SIGCHLD, 2) => "CLD_KILLED: a child was killed",
        (libc::SIGCHLD, 3) => "CLD_DUMPED: a child dumped core",
        (libc::SIGCHLD, 4) => "CLD_TRAPPED: a traced child stopped",
        (libc::SIGCHLD, 5) => "CLD_STOPPED: a child stopped",
        (libc::SIGCHLD, 6) => "CLD_CONTINUED: a child continued",
        (_, 0x80) => "SI_KERNEL: sent by the kernel",
        _ => "",
    };
    if named.is_empty() {
        format!("si_code {code} from the kernel for {}", signal_name(sig))
    } else {
        named.to_string()
    }
}
