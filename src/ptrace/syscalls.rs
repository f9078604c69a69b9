//! The seccomp filter's syscalls at their entry, sent each to what it means: waits
//! (`waits.rs`), signals sent (`sigsend.rs`), execs (the file asked for), and reads and
//! writes: the program's own output put down to its writer, and messages through
//! pipes as `send` at a write's entry and `recv` at a read's exit.

use super::pipes::{self, Call};
use super::table::{InSyscall, Table};
use crate::trace::event::EventKind;

type Emit<'a> = &'a mut dyn FnMut(i32, EventKind);

impl Table {
    /// A syscall the filter stops, at its entry (before it runs).
    pub(super) fn on_syscall_entry(&mut self, tid: i32, tgid: i32, emit: Emit) {
        let Some(Call::Entry { nr, args }) = pipes::syscall_info(tid) else {
            return;
        };
        let nr = nr as i64;
        match nr {
            libc::SYS_read | libc::SYS_write => self.on_io_entry(tid, tgid, nr, args, emit),
            libc::SYS_wait4 | libc::SYS_waitid => self.on_wait_entry(tid, nr, args),
            libc::SYS_execve | libc::SYS_execveat => {
                let path = if nr == libc::SYS_execve { args[0] } else { args[1] };
                if let Some(file) = super::procinfo::read_c_string(tgid, path) {
                    self.exec_file.insert(tid, file);
                }
            }
            _ => self.on_signal_entry(tid, tgid, nr, args),
        }
    }

    /// A watched syscall returned.
    pub(super) fn on_syscall_exit(&mut self, tid: i32, tgid: i32, emit: Emit) {
        let Some(call) = self.in_syscall.remove(&tid) else {
            return;
        };
        let Some(Call::Exit { rval }) = pipes::syscall_info(tid) else {
            return;
        };
        match call {
            InSyscall::Read { inode, addr } => self.on_read_exit(tgid, inode, addr, rval, emit),
            InSyscall::Wait(w) => self.on_wait_exit(tgid, w, rval, emit),
            InSyscall::Signal(s) => self.on_signal_exit(tgid, s, rval, emit),
        }
    }

    /// A `read` or `write` at its entry: a write to a pipe is a message sent now; a
    /// read from a pipe is watched until it returns.
    fn on_io_entry(&mut self, tid: i32, tgid: i32, nr: i64, args: [u64; 6], emit: Emit) {
        let Ok(target) = std::fs::read_link(format!("/proc/{tgid}/fd/{}", args[0])) else {
            return;
        };
        let target = target.to_string_lossy();
        let inode = pipes::pipe_inode(&target);
        let output = if self.stdout_tty.as_deref() == Some(&*target) {
            Some(0)
        } else if inode.is_some() && inode == Some(self.stderr_inode) {
            Some(1)
        } else {
            None
        };
        if let Some(stream) = output {
            // The program's own output: whose it is, for the `print` lines.
            if nr == libc::SYS_write
                && let Some(data) = pipes::peek(tgid, args[1], args[2] as usize)
            {
                self.output_writes.push((stream, tgid, data));
            }
            return;
        }
        let Some(inode) = inode else {
            return;
        };
        if nr == libc::SYS_read {
            self.in_syscall.insert(
                tid,
                InSyscall::Read {
                    inode,
                    addr: args[1],
                },
            );
        } else if nr == libc::SYS_write
            && let Some(data) = pipes::peek(tgid, args[1], args[2] as usize)
            && let Some(item) = self.framing.message(tgid, inode, true, &data)
        {
            let channel = format!("pipe {inode} write");
            emit(tgid, EventKind::Send { channel, item });
        }
    }

    /// A read from a pipe returned: what it got is a message received.
    fn on_read_exit(&mut self, tgid: i32, inode: u64, addr: u64, rval: i64, emit: Emit) {
        if rval > 0
            && let Some(data) = pipes::peek(tgid, addr, rval as usize)
            && let Some(item) = self.framing.message(tgid, inode, false, &data)
        {
            let channel = format!("pipe {inode} read");
            emit(tgid, EventKind::Recv { channel, item });
        }
    }
}
