//! What the tracer knows about each traced process, updated stop by stop, and the
//! wire events each stop means. Every stop is resumed at once (except a real
//! group-stop, left stopped with PTRACE_LISTEN) so the states the observer reads stay
//! honest: a process is in tracing stop (`t`) only for the moment the tracer looks.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::fds::FdCache;
use super::framing::Framing;
use super::procinfo::{disposition, read_cmdline, read_comm, read_tgid};
use super::sys::{self, Stop};
use crate::procfs;
use crate::trace::event::{EventKind, WaitOutcome, signal_name};

pub struct Proc {
    pub ppid: i32,
    /// Thread ids of the process, its leader (the PID) included.
    threads: BTreeSet<i32>,
    /// The script it runs (`#!`), as execve was asked to run it, while its
    /// interpreter runs it (`/usr/bin/env` first, then the interpreter env execs).
    script: Option<String>,
}

/// A process that ended while its parent (another traced process) has not yet reaped
/// it: a zombie until a wait of its parent returns it (seen at that wait's exit), or
/// the tracer reaps it after adopting it.
pub(super) struct Zombie {
    pub pid: i32,
    pub status: i32,
    pub parent: i32,
    /// Its start time, to tell it from a process that reuses the PID (none if /proc
    /// could not be read before its status was collected).
    pub start_ticks: Option<u64>,
}

/// A syscall a thread is inside, entered at a seccomp stop and watched until it returns
/// (the thread was resumed with PTRACE_SYSCALL).
pub(super) enum InSyscall {
    /// A read from a pipe or socket: its inode, which of the two, and the buffer.
    Read {
        channel: u64,
        socket: bool,
        addr: u64,
    },
    /// wait4 / waitid: what a return means is read at the exit.
    Wait(super::waits::WaitCall),
    /// kill, tkill, tgkill, sigqueue, pidfd_send_signal.
    Signal(super::sigsend::SignalCall),
    /// fork, vfork, or clone of a new process, let through by the cap: counted until
    /// its child is known (the fork event).
    Fork { child_known: bool },
    /// A fork the cap refused at its entry: it returns EAGAIN at its exit.
    Refused,
    /// A write to the program's stdout or stderr, watched to its exit in a lesson: its
    /// bytes are then in the pipe, so the line it printed is told (and may reach a
    /// step) before the writer runs on.
    OutputWrite,
}

pub struct Table {
    /// The tracer's own PID: the parent of the command and of adopted orphans.
    me: i32,
    /// The command's PID: until its exec, its stops are the tracer's start-up.
    pub root: i32,
    root_execed: bool,
    pub procs: HashMap<i32, Proc>,
    tgid_of: HashMap<i32, i32>,
    /// Threads whose first (attach) stop has not been seen yet.
    fresh: HashSet<i32>,
    pub(super) zombies: Vec<Zombie>,
    /// Processes announced, the tracer included.
    pub spawned: u32,
    /// How the command ended: its raw wait status.
    pub root_status: Option<i32>,
    /// The pipe the tracer captures the program's stderr with: not a message channel.
    pub stderr_inode: u64,
    /// Most processes alive at once, the tracer included (`--cap`).
    pub cap: u32,
    /// The terminal the program's stdout is on (`/dev/pts/N`).
    pub stdout_tty: Option<String>,
    /// Writes to stdout (0) or stderr (1) just let start: (stream, pid, their data).
    pub output_writes: Vec<(usize, i32, Vec<u8>)>,
    /// Threads inside a syscall the tracer watches until it returns.
    pub(super) in_syscall: HashMap<i32, InSyscall>,
    /// New processes held at their first stop until the cap is checked with every
    /// stop so far handled (`admit_parked`), in the order they appeared.
    parked: Vec<i32>,
    /// The file each thread asked execve to run, until the exec event (a script's
    /// name, where /proc/PID/exe names its interpreter).
    pub(super) exec_file: HashMap<i32, String>,
    pub(super) framing: Framing,
    /// What each process's descriptors refer to (kept between stops).
    pub(super) fds: FdCache,
    /// Manager calls, replies and handshakes named (`manager.rs`).
    pub(super) manager: super::manager::Manager,
    /// Set (by the tracer's `emit`) when an event reached a step: the stop being
    /// handled is not answered, so the thread whose event it was stands exactly there
    /// while the run is held.
    pub step_reached: std::rc::Rc<std::cell::Cell<bool>>,
    /// Steps are waited for (a lesson, `trace --step`): writes to stdout and stderr are
    /// watched to their exit (`InSyscall::OutputWrite`).
    pub watch_output: bool,
    /// This stop's thread waits for the tracer to look at the output first (a watched
    /// write just returned).
    pub(super) hold_this_stop: bool,
    /// Stops handled but not answered, for a hold: (thread, signal to resume with,
    /// resume to the syscall's exit).
    pub unresumed: Vec<(i32, i32, bool)>,
}

type Emit<'a> = &'a mut dyn FnMut(i32, EventKind);

impl Table {
    pub fn new(me: i32, root: i32) -> Table {
        Table {
            me,
            root,
            root_execed: false,
            procs: HashMap::new(),
            tgid_of: HashMap::new(),
            fresh: HashSet::new(),
            zombies: Vec::new(),
            spawned: 1,
            root_status: None,
            stderr_inode: 0,
            stdout_tty: None,
            cap: 64,
            output_writes: Vec::new(),
            in_syscall: HashMap::new(),
            parked: Vec::new(),
            exec_file: HashMap::new(),
            framing: Framing::default(),
            fds: FdCache::default(),
            manager: Default::default(),
            step_reached: Default::default(),
            watch_output: false,
            hold_this_stop: false,
            unresumed: Vec::new(),
        }
    }

    /// Announces a process (`spawn`) and starts following it.
    pub fn add_process(&mut self, pid: i32, ppid: i32, label: String, emit: Emit) {
        self.procs.insert(
            pid,
            Proc {
                ppid,
                threads: BTreeSet::from([pid]),
                script: None,
            },
        );
        self.tgid_of.insert(pid, pid);
        self.spawned += 1;
        // The new process is held stopped by ptrace here, so it cannot be reaped and
        // its PID cannot be reused: the start time read now is its own.
        let start = crate::procfs::read_stat(pid).map(|s| s.start_ticks);
        emit(pid, EventKind::Spawn { ppid, label, start });
    }

    /// Makes sure `tid` (a new tracee, from a fork event or its own first stop) is
    /// known; returns its thread group id.
    fn register(&mut self, tid: i32, emit: Emit) -> i32 {
        if let Some(&tgid) = self.tgid_of.get(&tid) {
            return tgid;
        }
        self.fresh.insert(tid);
        let tgid = read_tgid(tid).unwrap_or(tid);
        if tgid != tid && self.procs.contains_key(&tgid) {
            // A thread (CLONE_THREAD): part of its process, not a process of its own.
            self.tgid_of.insert(tid, tgid);
            self.set_threads(
                tgid,
                |t| {
                    t.insert(tid);
                },
                emit,
            );
            return tgid;
        }
        // The parent from the kernel (CLONE_PARENT and threads that fork included).
        let ppid = procfs::read_stat(tid).map_or(self.me, |s| s.ppid);
        let label = read_comm(tid).unwrap_or_else(|| "?".into());
        self.add_process(tid, ppid, label, emit);
        tid
    }

    fn set_threads(&mut self, tgid: i32, change: impl FnOnce(&mut BTreeSet<i32>), emit: Emit) {
        let Some(p) = self.procs.get_mut(&tgid) else {
            return;
        };
        let before = p.threads.len();
        change(&mut p.threads);
        let after = p.threads.len();
        if after != before {
            emit(
                tgid,
                EventKind::Value {
                    name: "threads".into(),
                    value: after.into(),
                },
            );
        }
    }

    /// Handles one `waitpid` result and resumes the thread (unless it is gone, or a
    /// new process held until the cap is checked).
    /// `before`: for an exit, the thread's /proc stat read before its status was
    /// collected.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    pub fn on_wait(&mut self, tid: i32, status: i32, before: Option<procfs::Stat>, emit: Emit) {
        let stop = sys::decode(status);
        if let Stop::Ended { status } = stop {
            self.on_ended(tid, status, before, emit);
            return;
        }
        let tgid = self.register(tid, emit);
        let resume_with = match stop {
            Stop::Ended { .. } => return,
            Stop::Forked => {
                if let Ok(new) = sys::event_msg(tid) {
                    self.register(new as i32, emit);
                }
                // The new process is counted as the run's from now on.
                if let Some(InSyscall::Fork { child_known }) = self.in_syscall.get_mut(&tid) {
                    *child_known = true;
                }
                0
            }
            Stop::Exec => {
                self.on_exec(tid, tgid, emit);
                0
            }
            // Not asked for (the `exit` is told from the status at the death), but a
            // stop is answered whatever it is.
            Stop::Exiting => 0,
            Stop::EventStop { sig } => {
                let startup = tgid == self.root && !self.root_execed;
                let first = self.fresh.remove(&tid);
                // A new process runs at once while even an overcount of what the run
                // holds (processes whose end is not collected yet count) leaves room;
                // near the cap it waits until every stop so far is handled and the
                // count is what the kernel really holds (`admit_parked`).
                if first && tid == tgid && !startup && self.held() > self.cap {
                    self.parked.push(tid);
                    return;
                }
                if !first && !startup && sys::is_stop_signal(sig) {
                    // A real SIGSTOP/SIGTSTP: stay stopped, as without a tracer.
                    let _ = sys::listen(tid);
                    return;
                }
                0
            }
            Stop::Signal { sig } => {
                self.on_signal(tid, tgid, sig, emit);
                sig
            }
            Stop::Seccomp => {
                self.on_syscall_entry(tid, tgid, emit);
                0
            }
            Stop::SyscallExit => {
                self.on_syscall_exit(tid, tgid, emit);
                0
            }
            Stop::Other => 0,
        };
        // At a step (or a watched write the tracer must look at first) the thread
        // stays where its event happened, answered when the run goes on.
        let watched = self.in_syscall.contains_key(&tid);
        if self.step_reached.get() || std::mem::take(&mut self.hold_this_stop) {
            self.unresumed.push((tid, resume_with, watched));
            return;
        }
        // ESRCH: killed meanwhile (SIGKILL needs no tracer); its end comes next.
        if watched {
            // Inside a watched syscall (a signal may stop it there): keep watching for
            // the syscall's exit.
            let _ = sys::syscall(tid, resume_with);
        } else {
            let _ = sys::cont(tid, resume_with);
        }
    }

    /// How many processes the kernel holds for the run now: every traced process not
    /// yet ended, every zombie not yet reaped, and the tracer.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    pub(super) fn held(&self) -> u32 {
        (self.procs.len() + self.zombies.len() + 1) as u32
    }

    /// With every stop so far handled: lets each new process held at its first stop
    /// run, unless it takes the run over the cap; such a process is killed before it
    /// runs any code of its own, and the tracer says so (`cap_kill`).
    #[allow(
        clippy::cast_possible_truncation,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    pub fn admit_parked(&mut self, emit: Emit) {
        if self.parked.is_empty() {
            return;
        }
        let parked = std::mem::take(&mut self.parked);
        // Those not yet admitted are not counted: each is weighed as it comes.
        let mut held = self.held() - parked.len() as u32;
        for pid in parked {
            held += 1;
            if held <= self.cap {
                // Its initial stop is a group-stop under PTRACE_SEIZE: PTRACE_CONT
                // ends it.
                let _ = sys::cont(pid, 0);
                continue;
            }
            // Killed, it stays in the kernel's table (its parent's zombie until that
            // parent waits): it still counts for the next ones.
            // Our tracee, unreaped (stopped at its first stop): its PID is its own.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            emit(
                self.me,
                EventKind::CapKill {
                    target: pid,
                    held,
                    cap: self.cap,
                },
            );
        }
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    fn on_exec(&mut self, tid: i32, tgid: i32, emit: Emit) {
        if tgid == self.root {
            self.root_execed = true;
        }
        // Every other thread is gone; a non-leader that exec'd now has the PID.
        let former = sys::event_msg(tid).map(|f| f as i32).unwrap_or(tid);
        self.tgid_of.remove(&former);
        let gone: Vec<i32> = self
            .procs
            .get(&tgid)
            .map(|p| p.threads.iter().copied().filter(|t| *t != tgid).collect())
            .unwrap_or_default();
        for t in &gone {
            self.tgid_of.remove(t);
            self.exec_file.remove(t);
        }
        self.tgid_of.insert(tgid, tgid);
        self.set_threads(tgid, |t| t.retain(|x| *x == tgid), emit);
        // Close-on-exec descriptors are gone; the new program starts its own streams.
        self.finish_streams(tgid, emit);
        let program = std::fs::read_link(format!("/proc/{tgid}/exe"))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut argv = read_cmdline(tgid);
        let asked = self
            .exec_file
            .remove(&former)
            .or(self.exec_file.remove(&tgid));
        let Some(p) = self.procs.get_mut(&tgid) else {
            return;
        };
        p.script = script_run(asked, &program, &argv, p.script.take());
        // A script's exec shows the script and its arguments, as the learner typed it.
        if let Some(i) = p
            .script
            .as_ref()
            .and_then(|s| argv.iter().position(|a| a == s))
        {
            argv.drain(..i);
        }
        emit(tgid, EventKind::Exec { program, argv });
    }

    fn on_signal(&mut self, tid: i32, tgid: i32, sig: i32, emit: Emit) {
        let info = sys::siginfo(tid).ok();
        // si_pid means a sender only for signals sent by a process (kill, tgkill,
        // sigqueue: si_code ≤ 0), not for the kernel's own (SIGCHLD, SIGSEGV, …).
        // SAFETY: reading si_pid of a siginfo the kernel filled in.
        let sender = info
            .filter(|i| i.si_code <= 0)
            .map(|i| unsafe { i.si_pid() });
        if sender == Some(self.me) && sig == libc::SIGCONT && !self.root_execed {
            return; // the tracer's own start-up signal
        }
        // The send, if a traced process made it and its call has not returned yet.
        if let Some(from) = sender {
            self.flush_sends(from, tgid, sig, emit);
        }
        let cause = info
            .filter(|i| i.si_code > 0)
            .map(|i| super::sigsend::kernel_cause(sig, i.si_code));
        emit(
            tgid,
            EventKind::HandleSignal {
                signal: signal_name(sig),
                action: disposition(tgid, sig),
                sender,
                cause,
            },
        );
    }

    fn on_ended(&mut self, tid: i32, status: i32, before: Option<procfs::Stat>, emit: Emit) {
        // A SIGKILL (or any fatal signal) a traced process sent, itself included: its
        // call may not have returned (or never will), but the death is its effect, so
        // the send is told first.
        if let WaitOutcome::Signaled(sig) = WaitOutcome::from_raw(status)
            && let Some(tgid) = self.tgid(tid)
        {
            self.flush_sends_to(tgid, sig, emit);
        }
        self.fresh.remove(&tid);
        self.in_syscall.remove(&tid);
        self.exec_file.remove(&tid);
        self.parked.retain(|p| *p != tid);
        // A zombie of a traced parent that died: the tracer (a subreaper) adopted it,
        // and this wait of the tracer's reaped it.
        if let Some(i) = self.zombies.iter().position(|z| z.pid == tid) {
            let z = self.zombies.remove(i);
            if z.parent != self.me {
                emit(
                    z.pid,
                    EventKind::Reparent {
                        old_ppid: z.parent,
                        ppid: self.me,
                    },
                );
            }
            emit(self.me, EventKind::reap(z.pid, z.status));
            return;
        }
        let Some(&tgid) = self.tgid_of.get(&tid) else {
            return;
        };
        self.tgid_of.remove(&tid);
        if tid != tgid {
            self.set_threads(
                tgid,
                |t| {
                    t.remove(&tid);
                },
                emit,
            );
            return;
        }
        let Some(p) = self.procs.remove(&tgid) else {
            return;
        };
        for t in p.threads.iter() {
            self.tgid_of.remove(t);
        }
        self.finish_streams(tgid, emit);
        if tgid == self.root {
            self.root_status = Some(status);
        }
        // The process's exit status is its leader's (exit_group sets it for every
        // thread); a death by signal has no `exit`, only its reap.
        if let WaitOutcome::Exited(code) = WaitOutcome::from_raw(status) {
            emit(tgid, EventKind::Exit { code });
        }
        // SIGKILL is never delivered where a tracer could see it: its effect, the
        // death, is the moment it is known to have struck.
        if WaitOutcome::from_raw(status) == WaitOutcome::Signaled(libc::SIGKILL) {
            emit(
                tgid,
                EventKind::HandleSignal {
                    signal: signal_name(libc::SIGKILL),
                    action: "default (terminates: SIGKILL cannot be caught, blocked or ignored)"
                        .into(),
                    sender: None,
                    cause: None,
                },
            );
        }
        // Its children now have a new parent (the tracer, or a subreaper of theirs).
        self.follow_orphans(tgid, emit);
        // Its parent when its status was collected (0: the kernel no longer says).
        let parent = before.map(|s| s.ppid).filter(|p| *p > 0).unwrap_or(p.ppid);
        if parent != p.ppid {
            emit(
                tgid,
                EventKind::Reparent {
                    old_ppid: p.ppid,
                    ppid: parent,
                },
            );
        }
        if parent == self.me {
            // Our own child: the tracer's wait that collected its status reaped it.
            emit(self.me, EventKind::reap(tgid, status));
            return;
        }
        self.ended_under_traced_parent(
            Zombie {
                pid: tgid,
                status,
                parent,
                start_ticks: before.map(|s| s.start_ticks),
            },
            emit,
        );
    }

    /// After `dead` ended: every process it was the parent of.
    fn follow_orphans(&mut self, dead: i32, emit: Emit) {
        for (&pid, p) in self.procs.iter_mut() {
            if p.ppid != dead {
                continue;
            }
            // ppid 0: the process is itself on its way out; its own end tells.
            if let Some(s) = procfs::read_stat(pid)
                && s.ppid != dead
                && s.ppid > 0
            {
                emit(
                    pid,
                    EventKind::Reparent {
                        old_ppid: dead,
                        ppid: s.ppid,
                    },
                );
                p.ppid = s.ppid;
            }
        }
    }

    /// Answers the stops kept for a hold (or for a look at the output), in order.
    pub fn resume_unresumed(&mut self) {
        for (tid, sig, watched) in std::mem::take(&mut self.unresumed) {
            // ESRCH: killed meanwhile; its end comes next.
            let _ = if watched {
                sys::syscall(tid, sig)
            } else {
                sys::cont(tid, sig)
            };
        }
    }

    /// Every known thread of every traced process: (thread id, its process's PID).
    pub fn threads(&self) -> Vec<(i32, i32)> {
        self.tgid_of.iter().map(|(t, g)| (*t, *g)).collect()
    }

    /// Every traced process still alive (for the last-resort cleanup).
    pub fn live(&self) -> Vec<i32> {
        self.procs.keys().copied().collect()
    }

    /// The thread group of a known thread.
    pub(super) fn tgid(&self, tid: i32) -> Option<i32> {
        self.tgid_of.get(&tid).copied()
    }

    pub(super) fn me(&self) -> i32 {
        self.me
    }
}

/// The script an exec runs, if any. The kernel runs a `#!` file's interpreter with the
/// file's path among the arguments: the file execve was asked for is not the program
/// that runs. An interpreter exec'd by `/usr/bin/env` for a script still runs that
/// script when its path is among the new arguments.
fn script_run(
    asked: Option<String>,
    program: &str,
    argv: &[String],
    running: Option<String>,
) -> Option<String> {
    let among_args = |s: &String| argv.iter().skip(1).any(|a| a == s);
    let same_file = |a: &str, b: &str| {
        std::fs::canonicalize(a).ok().is_some()
            && std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
    };
    match asked {
        Some(file) if !program.is_empty() && among_args(&file) && !same_file(&file, program) => {
            Some(file)
        }
        _ => running.filter(among_args),
    }
}
