//! The tracer's side of `read` and `write` stops (the seccomp filter's syscalls): the
//! program's own output put down to its writer, and messages through pipes as `send`
//! at a write's entry and `recv` at a read's exit.

use super::pipes::{self, Call};
use super::table::Table;
use crate::trace::event::EventKind;

type Emit<'a> = &'a mut dyn FnMut(i32, EventKind);

impl Table {
    /// A `read` or `write` (the seccomp filter's syscalls) at its entry: a write to a
    /// pipe is a message sent now; a read from a pipe is watched until it returns.
    pub(super) fn on_syscall_entry(&mut self, tid: i32, tgid: i32, emit: Emit) {
        let Some(Call::Entry { nr, args }) = pipes::syscall_info(tid) else {
            return;
        };
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
            if nr == libc::SYS_write as u64
                && let Some(data) = pipes::peek(tgid, args[1], args[2] as usize)
            {
                self.output_writes.push((stream, tgid, data));
            }
            return;
        }
        let Some(inode) = inode else {
            return;
        };
        if nr == libc::SYS_read as u64 {
            self.reading.insert(tid, (inode, args[1]));
        } else if nr == libc::SYS_write as u64
            && let Some(data) = pipes::peek(tgid, args[1], args[2] as usize)
            && let Some((item, repr)) = self.framing.message(tgid, inode, true, &data)
        {
            let channel = format!("pipe {inode} write");
            emit(
                tgid,
                EventKind::Send {
                    channel,
                    item,
                    repr,
                },
            );
        }
    }

    /// A read from a pipe returned: what it got is a message received.
    pub(super) fn on_read_exit(&mut self, tid: i32, tgid: i32, emit: Emit) {
        let Some((inode, addr)) = self.reading.remove(&tid) else {
            return;
        };
        if let Some(Call::Exit { rval }) = pipes::syscall_info(tid)
            && rval > 0
            && let Some(data) = pipes::peek(tgid, addr, rval as usize)
            && let Some((item, repr)) = self.framing.message(tgid, inode, false, &data)
        {
            let channel = format!("pipe {inode} read");
            emit(
                tgid,
                EventKind::Recv {
                    channel,
                    item,
                    repr,
                },
            );
        }
    }
}
