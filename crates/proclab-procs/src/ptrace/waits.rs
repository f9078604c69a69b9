//! Reaps as the kernel made them. A traced process's `wait4` / `waitid` stops for the
//! tracer at its entry and is watched to its exit: the child it returned, with the
//! status it got, is a `reap` by that process, in the order the waits returned.
//! The tracer's own waits reap the command and the orphans it adopted. A child whose
//! entry the kernel released with no wait (its parent ignores SIGCHLD or set
//! SA_NOCLDWAIT) is `released`, with no reaper named. Nothing is inferred from a /proc
//! entry vanishing: a zombie that leaves without a wait proclab saw is said to be so.

use super::procinfo::read_memory as read_bytes;
use super::procinfo::released;
use super::table::{InSyscall, Table, Zombie};
use crate::procfs;
use crate::trace::event::EventKind;

type Emit<'a> = &'a mut dyn FnMut(i32, EventKind);

/// A wait a thread is inside: which call, and its arguments (where the status or the
/// siginfo will be written).
pub struct WaitCall {
    nr: i64,
    args: [u64; 6],
}

/// `siginfo_t` offsets (the same on every 64-bit Linux): si_code, then si_pid in the
/// SIGCHLD member of the union.
const SI_CODE: usize = 8;
const SI_PID: usize = 16;

impl Table {
    pub(super) fn on_wait_entry(&mut self, tid: i32, nr: i64, args: [u64; 6]) {
        self.in_syscall
            .insert(tid, InSyscall::Wait(WaitCall { nr, args }));
    }

    /// A wait returned `rval`: if it collected a child's end, that is the reap.
    pub(super) fn on_wait_exit(&mut self, tgid: i32, call: WaitCall, rval: i64, emit: Emit) {
        let Some((child, status)) = reaped_by(tgid, &call, rval) else {
            return;
        };
        // Only a child that ended under a traced parent can be reaped by one: the
        // tracer collected its end first, or its parent could not have.
        let Some(i) = self.zombies.iter().position(|z| z.pid == child) else {
            return;
        };
        let z = self.zombies.remove(i);
        if z.parent != tgid {
            emit(
                child,
                EventKind::Reparent {
                    old_ppid: z.parent,
                    ppid: tgid,
                },
            );
        }
        emit(tgid, EventKind::reap(child, status.unwrap_or(z.status)));
    }

    /// A process ended whose parent is a traced process, and the tracer collected its
    /// status: a zombie until its parent waits, unless it is already gone.
    pub(super) fn ended_under_traced_parent(&mut self, z: Zombie, emit: Emit) {
        if still_there(&z) || self.waiting(z.parent) {
            // A zombie; or its parent's wait took it, and that wait's exit says so.
            self.zombies.push(z);
            return;
        }
        let parent_gone = procfs::read_stat(z.parent).is_none_or(|s| matches!(s.state, 'Z' | 'X'));
        if parent_gone {
            // Its parent died first: the tracer adopted it, and the wait that
            // collected its status reaped it.
            let me = self.me();
            emit(
                z.pid,
                EventKind::Reparent {
                    old_ppid: z.parent,
                    ppid: me,
                },
            );
            emit(me, EventKind::reap(z.pid, z.status));
            return;
        }
        // Released at once, when the tracer let go of it: its parent wants no zombies.
        let why = if ignores_sigchld(z.parent) {
            "its parent ignores SIGCHLD, so the kernel reaped it at once"
        } else {
            "its parent asked for no zombies (SA_NOCLDWAIT), so the kernel reaped it at once"
        };
        emit(z.pid, released(z.parent, z.status, why));
    }

    /// Zombies moved to another parent (a subreaper of the program's), and zombies
    /// gone with no wait seen: said, never turned into a reap.
    pub fn check_zombies(&mut self, emit: Emit) {
        let me = self.me();
        let zombies = std::mem::take(&mut self.zombies);
        for mut z in zombies {
            if still_there(&z) {
                if let Some(s) = procfs::read_stat(z.pid)
                    && s.ppid != z.parent
                    && s.ppid != me
                    && s.ppid > 0
                {
                    emit(
                        z.pid,
                        EventKind::Reparent {
                            old_ppid: z.parent,
                            ppid: s.ppid,
                        },
                    );
                    z.parent = s.ppid;
                }
                self.zombies.push(z);
            } else if self.waiting(z.parent) {
                self.zombies.push(z);
            } else {
                let why = "not seen: it left the process table without a wait proclab saw";
                emit(z.pid, released(z.parent, z.status, why));
            }
        }
    }

    /// True while a thread of process `tgid` is inside a wait.
    fn waiting(&self, tgid: i32) -> bool {
        self.in_syscall
            .iter()
            .any(|(tid, c)| matches!(c, InSyscall::Wait(_)) && self.tgid(*tid) == Some(tgid))
    }
}

/// The child a wait that returned `rval` reaped, with the raw status it wrote (if it
/// wrote one where the tracer can read it).
#[allow(
    clippy::cast_possible_truncation,
    reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
)]
fn reaped_by(tgid: i32, call: &WaitCall, rval: i64) -> Option<(i32, Option<i32>)> {
    if call.nr == libc::SYS_wait4 {
        // wait4(pid, *status, options, *rusage) → the child's PID; it may also report
        // a stop or a continue (WUNTRACED, WCONTINUED): not a reap, and not a zombie
        // of ours either, so the caller finds nothing.
        if rval <= 0 {
            return None;
        }
        let status = (call.args[1] != 0)
            .then(|| read_bytes(tgid, call.args[1], 4))
            .flatten()
            .and_then(|b| b.try_into().ok())
            .map(i32::from_ne_bytes);
        return Some((rval as i32, status));
    }
    // waitid(idtype, id, *infop, options, *rusage) → 0; the child is in the siginfo.
    // WNOWAIT only peeks: the child stays a zombie.
    if rval != 0 || call.args[3] & libc::WNOWAIT as u64 != 0 || call.args[2] == 0 {
        return None;
    }
    let info = read_bytes(tgid, call.args[2], SI_PID + 4)?;
    let word = |at: usize| {
        info.get(at..at + 4)?
            .try_into()
            .ok()
            .map(i32::from_ne_bytes)
    };
    let (code, pid) = (word(SI_CODE)?, word(SI_PID)?);
    let ended = matches!(code, libc::CLD_EXITED | libc::CLD_KILLED | libc::CLD_DUMPED);
    (ended && pid > 0).then_some((pid, None))
}

/// The ended process still has its /proc entry (a zombie), and it is the same one.
fn still_there(z: &Zombie) -> bool {
    procfs::read_stat(z.pid).is_some_and(|s| z.start_ticks.is_none_or(|t| t == s.start_ticks))
}

fn ignores_sigchld(pid: i32) -> bool {
    let bit = 1u64 << (libc::SIGCHLD - 1);
    procfs::read_sig_masks(pid).is_some_and(|m| m.ignored & bit != 0)
}
