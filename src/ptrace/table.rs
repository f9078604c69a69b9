//! What the tracer knows about each traced process, updated stop by stop, and the
//! wire events each stop means. Every stop is resumed at once (except a real
//! group-stop, left stopped with PTRACE_LISTEN) so the states the observer reads stay
//! honest: a process is in tracing stop (`t`) only for the moment the tracer looks.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::pipes::Framing;
use super::procinfo::{disposition, read_cmdline, read_comm, read_tgid, reap};
use super::sys::{self, Stop};
use crate::observe::procfs;
use crate::trace::event::{EventKind, WaitOutcome, signal_name};

pub struct Proc {
    pub ppid: i32,
    /// Thread ids of the process, its leader (the PID) included.
    threads: BTreeSet<i32>,
}

/// A process that ended while its parent (another traced process) has not yet called
/// `waitpid`: a zombie until its parent reaps it, which only /proc can tell.
struct Zombie {
    pid: i32,
    status: i32,
    parent: i32,
    start_ticks: u64,
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
    zombies: Vec<Zombie>,
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
    /// Threads inside a `read` from a pipe: the pipe and the buffer, until it returns.
    pub(super) reading: HashMap<i32, (u64, u64)>,
    pub(super) framing: Framing,
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
            reading: HashMap::new(),
            framing: Framing::default(),
        }
    }

    /// Announces a process (`spawn`) and starts following it.
    pub fn add_process(&mut self, pid: i32, ppid: i32, label: String, emit: Emit) {
        self.procs.insert(
            pid,
            Proc {
                ppid,
                threads: BTreeSet::from([pid]),
            },
        );
        self.tgid_of.insert(pid, pid);
        self.spawned += 1;
        // The new process is held stopped by ptrace here, so it cannot be reaped and
        // its PID cannot be reused: the start time read now is its own.
        let start = crate::observe::procfs::read_stat(pid).map(|s| s.start_ticks);
        emit(pid, EventKind::Spawn { ppid, label, start });
    }

    pub fn has_zombies(&self) -> bool {
        !self.zombies.is_empty()
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
        self.add_process(tid, ppid, label.clone(), emit);
        // The cap holds for a learner's program too (a fork loop gone wrong): a process
        // past it is ended before it runs a single instruction of its own.
        let live = self.procs.len() as u32 + 1;
        if live > self.cap {
            // SAFETY: our tracee, unreaped (stopped at its first stop): its PID is its own.
            unsafe { libc::kill(tid, libc::SIGKILL) };
            emit(
                ppid,
                EventKind::ForkFailed {
                    label,
                    error: format!(
                        "{live} live processes, over the cap of {}: the tracer killed {tid} (SIGKILL) before it ran",
                        self.cap
                    ),
                },
            );
        }
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

    /// Handles one `waitpid` result and resumes the thread (unless it is gone).
    /// `before`: for an exit, the thread's /proc stat read before its status was
    /// collected.
    pub fn on_wait(&mut self, tid: i32, status: i32, before: Option<procfs::Stat>, emit: Emit) {
        // Reaps by parents first, so a parent's own exit never reads before them.
        if self.has_zombies() {
            self.check_zombies(emit);
        }
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
                0
            }
            Stop::Exec => {
                self.on_exec(tid, tgid, emit);
                0
            }
            Stop::Exiting => {
                // The leader's exit status is the process's (exit_group sets it for
                // every thread); a death by signal has no `exit`, only its reap.
                if tid == tgid
                    && let Ok(msg) = sys::event_msg(tid)
                    && let WaitOutcome::Exited(code) = WaitOutcome::from_raw(msg as i32)
                {
                    emit(tgid, EventKind::Exit { code });
                }
                0
            }
            Stop::EventStop { sig } => {
                let startup = tgid == self.root && !self.root_execed;
                if !self.fresh.remove(&tid) && !startup && sys::is_stop_signal(sig) {
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
                self.on_read_exit(tid, tgid, emit);
                0
            }
            Stop::Other => 0,
        };
        // ESRCH: killed meanwhile (SIGKILL needs no tracer); its end comes next.
        if self.reading.contains_key(&tid) {
            // Inside a read from a pipe (a signal may stop it there): keep watching for
            // the syscall's exit.
            let _ = sys::syscall(tid, resume_with);
        } else {
            let _ = sys::cont(tid, resume_with);
        }
    }

    fn on_exec(&mut self, tid: i32, tgid: i32, emit: Emit) {
        if tgid == self.root {
            self.root_execed = true;
        }
        // Every other thread is gone; a non-leader that exec'd now has the PID.
        if let Ok(former) = sys::event_msg(tid) {
            self.tgid_of.remove(&(former as i32));
        }
        let gone: Vec<i32> = self
            .procs
            .get(&tgid)
            .map(|p| p.threads.iter().copied().filter(|t| *t != tgid).collect())
            .unwrap_or_default();
        for t in &gone {
            self.tgid_of.remove(t);
        }
        self.tgid_of.insert(tgid, tgid);
        self.set_threads(tgid, |t| t.retain(|x| *x == tgid), emit);
        let program = std::fs::read_link(format!("/proc/{tgid}/exe"))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let argv = read_cmdline(tgid);
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
        let name = signal_name(sig);
        if let Some(from) = sender
            && from != tgid
            && self.procs.contains_key(&from)
        {
            emit(
                from,
                EventKind::SendSignal {
                    target: tgid,
                    signal: name.clone(),
                },
            );
        }
        emit(
            tgid,
            EventKind::HandleSignal {
                signal: name,
                action: disposition(tgid, sig),
            },
        );
    }

    fn on_ended(&mut self, tid: i32, status: i32, before: Option<procfs::Stat>, emit: Emit) {
        self.fresh.remove(&tid);
        self.reading.remove(&tid);
        self.framing.forget(tid);
        // A zombie whose parent died: adopted by the tracer (a subreaper), reaped now.
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
            emit(self.me, reap(z.pid, z.status));
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
        if tgid == self.root {
            self.root_status = Some(status);
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
        match before {
            // A zombie until its real parent (a traced process) waits.
            Some(s) if parent != self.me => self.zombies.push(Zombie {
                pid: tgid,
                status,
                parent,
                start_ticks: s.start_ticks,
            }),
            // Our own child: collecting its status reaped it.
            _ => emit(parent, reap(tgid, status)),
        }
    }

    /// After `dead` ended: every process (and zombie) it was the parent of.
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

    /// Zombies whose parent has reaped them since: /proc no longer shows them (or
    /// shows another process under that PID). Emits the parent's `reap`.
    pub fn check_zombies(&mut self, emit: Emit) {
        let me = self.me;
        self.zombies.retain_mut(|z| match procfs::read_stat(z.pid) {
            Some(s) if s.start_ticks == z.start_ticks => {
                if s.ppid != z.parent && s.ppid != me && s.ppid > 0 {
                    emit(
                        z.pid,
                        EventKind::Reparent {
                            old_ppid: z.parent,
                            ppid: s.ppid,
                        },
                    );
                    z.parent = s.ppid;
                }
                true
            }
            _ => {
                emit(z.parent, reap(z.pid, z.status));
                false
            }
        });
    }

    /// Every traced process still alive (for the last-resort cleanup).
    pub fn live(&self) -> Vec<i32> {
        self.procs.keys().copied().collect()
    }
}
