//! The seccomp filter's syscalls at their entry, sent each to what it means: waits
//! (`waits.rs`), signals sent (`sigsend.rs`), execs (the file asked for), and reads and
//! writes: the program's own output put down to its writer, and messages through
//! pipes as `send` at a write's entry and `recv` at a read's exit.

use super::fds::{FdKind, inode_of};
use super::framing::{MAX_FRAME, Message};
use super::procinfo::read_memory;
use super::seccomp::{self, Call};
use super::table::{InSyscall, Table};
use crate::trace::event::EventKind;

type Emit<'a> = &'a mut dyn FnMut(i32, EventKind);

impl Table {
    /// A syscall the filter stops, at its entry (before it runs).
    #[allow(
        clippy::cast_possible_wrap,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    pub(super) fn on_syscall_entry(&mut self, tid: i32, tgid: i32, emit: Emit) {
        let Some(Call::Entry { nr, args }) = seccomp::syscall_info(tid) else {
            return;
        };
        let nr = nr as i64;
        match nr {
            libc::SYS_read | libc::SYS_write => self.on_io_entry(tid, tgid, nr, args, emit),
            libc::SYS_wait4 | libc::SYS_waitid => self.on_wait_entry(tid, nr, args),
            nr if super::forks::makes_a_process(nr) => self.on_fork_entry(tid),
            libc::SYS_execve | libc::SYS_execveat => {
                let path = if nr == libc::SYS_execve {
                    args[0]
                } else {
                    args[1]
                };
                if let Some(file) = super::procinfo::read_c_string(tgid, path) {
                    self.exec_file.insert(tid, file);
                }
            }
            nr if super::fds::changes_fds(nr) => {
                let (fd, last) = match nr {
                    libc::SYS_close => (args[0], args[0]),
                    libc::SYS_close_range => (args[0], args[1]),
                    _ => (args[1], args[1]), // dup2 / dup3: the new number
                };
                self.fds.forget_range(tgid, fd, last);
            }
            _ => self.on_signal_entry(tid, tgid, nr, args),
        }
    }

    /// A watched syscall returned.
    pub(super) fn on_syscall_exit(&mut self, tid: i32, tgid: i32, emit: Emit) {
        let Some(call) = self.in_syscall.remove(&tid) else {
            return;
        };
        let Some(Call::Exit { rval }) = seccomp::syscall_info(tid) else {
            return;
        };
        match call {
            InSyscall::Read {
                channel,
                socket,
                addr,
            } => self.on_read_exit(tgid, (channel, socket, addr), rval, emit),
            InSyscall::Wait(w) => self.on_wait_exit(tgid, w, rval, emit),
            InSyscall::Signal(s) => self.on_signal_exit(tgid, s, rval, emit),
            InSyscall::Fork { .. } => {}
            InSyscall::Refused => self.on_refused_fork_exit(tid, tgid, emit),
            // Its bytes are in the pipe: the tracer reads them before the writer goes
            // on, so a step at that line holds the writer right after its print.
            InSyscall::OutputWrite => self.hold_this_stop = true,
        }
    }

    /// A `read` or `write` at its entry: a write to the program's stdout or stderr is
    /// put down to its writer; a write to a pipe or socket is fed to its stream (the
    /// messages it completes are sent now); a read from one is watched until it
    /// returns.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    fn on_io_entry(&mut self, tid: i32, tgid: i32, nr: i64, args: [u64; 6], emit: Emit) {
        let (tty, stderr) = (self.stdout_tty.clone(), self.stderr_inode);
        let classify = |t: &str| classify(t, tty.as_deref(), stderr);
        let Some(kind) = self.fds.kind(tgid, args[0], classify) else {
            return;
        };
        let (channel, socket) = match kind {
            FdKind::Output(stream) => {
                // The program's own output: whose it is, for the `print` lines.
                if nr == libc::SYS_write
                    && let Some(data) = read_memory(tgid, args[1], args[2] as usize)
                {
                    self.output_writes.push((stream, tgid, data));
                    if self.watch_output {
                        self.in_syscall.insert(tid, InSyscall::OutputWrite);
                    }
                }
                return;
            }
            FdKind::Pipe(inode) => (inode, false),
            FdKind::Socket(inode) => (inode, true),
            FdKind::Other => return,
        };
        if nr == libc::SYS_read {
            let addr = args[1];
            self.in_syscall.insert(
                tid,
                InSyscall::Read {
                    channel,
                    socket,
                    addr,
                },
            );
            return;
        }
        let total = args[2] as usize;
        let data = read_memory(tgid, args[1], total.min(READ_AT_MOST)).unwrap_or_default();
        for m in self.framing.feed((tgid, channel, true), total, &data) {
            self.tell(tgid, channel, socket, true, m, emit);
        }
    }

    /// A read from a pipe or socket returned: the messages it completes are received.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
    )]
    pub(super) fn on_read_exit(
        &mut self,
        tgid: i32,
        read: (u64, bool, u64),
        rval: i64,
        emit: Emit,
    ) {
        let (channel, socket, addr) = read;
        if rval <= 0 {
            return;
        }
        let total = rval as usize;
        let data = read_memory(tgid, addr, total.min(READ_AT_MOST)).unwrap_or_default();
        for m in self.framing.feed((tgid, channel, false), total, &data) {
            self.tell(tgid, channel, socket, false, m, emit);
        }
    }

    /// A message sent or received, as the program wrote it when it is a Manager's
    /// call, reply or handshake; the first request a process answers makes it the
    /// Manager's server in the tree.
    fn tell(
        &mut self,
        tgid: i32,
        channel: u64,
        socket: bool,
        sent: bool,
        mut m: Message,
        emit: Emit,
    ) {
        if let Some(read) = self.manager.read((tgid, channel), sent, &m) {
            if read.server {
                emit(
                    tgid,
                    EventKind::Value {
                        name: "role".into(),
                        value: "Manager server".into(),
                    },
                );
            }
            m.repr = read.repr.or(m.repr);
        }
        emit(tgid, message(channel, socket, sent, m));
    }

    /// A process ended or exec'd: what it was in the middle of reading or writing. A
    /// last line without its newline is a message of its own.
    pub(super) fn finish_streams(&mut self, tgid: i32, emit: Emit) {
        self.fds.forget_process(tgid);
        for (channel, sent, m) in self.framing.finish(tgid) {
            // Which kind of channel it was is gone with the descriptor: the inode
            // names it either way.
            emit(tgid, message(channel, false, sent, m));
        }
    }
}

/// Most bytes of one read or write the tracer copies (a bigger frame is skipped).
const READ_AT_MOST: usize = MAX_FRAME + 4;

fn classify(target: &str, stdout_tty: Option<&str>, stderr_inode: u64) -> FdKind {
    if stdout_tty == Some(target) {
        return FdKind::Output(0);
    }
    if let Some(inode) = inode_of(target, "pipe") {
        return if inode == stderr_inode {
            FdKind::Output(1)
        } else {
            FdKind::Pipe(inode)
        };
    }
    inode_of(target, "socket").map_or(FdKind::Other, FdKind::Socket)
}

/// A `send` or `recv` event on a channel: a pipe's ends are named by direction (both
/// share the inode), a socket by its own inode (each end has its own).
fn message(channel: u64, socket: bool, sent: bool, m: Message) -> EventKind {
    let channel = match (socket, sent) {
        (true, _) => format!("socket {channel}"),
        (false, true) => format!("pipe {channel} write"),
        (false, false) => format!("pipe {channel} read"),
    };
    let (item, repr) = (m.item, m.repr);
    if sent {
        EventKind::Send {
            channel,
            item,
            repr,
        }
    } else {
        EventKind::Recv {
            channel,
            item,
            repr,
        }
    }
}
