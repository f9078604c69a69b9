//! Messages through pipes between traced processes, as `send` / `recv` events: a
//! seccomp filter (installed in the command before exec, inherited by everything it
//! starts) stops only `read` and `write` for the tracer; a write to a pipe is read out
//! of the writer's memory at its entry, a read from a pipe at its exit (after the
//! kernel filled the buffer). Every other syscall runs untouched.
//!
//! A `multiprocessing` Connection (under every Queue) frames each message with a 4-byte
//! big-endian length and pickles it; such messages are shown decoded (`pickle.rs`),
//! other pipe data (a shell pipeline) as text. The ends are named `pipe N write` and
//! `pipe N read` after the pipe's inode, so the flow pane pairs them.

use std::collections::HashMap;

use serde_json::Value;

use super::output::sanitize;
use super::pickle;

/// Most bytes of one read or write looked at.
const PEEK: usize = 4096;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7; // AUDIT_ARCH_AARCH64

/// The BPF program: `read` and `write` of this architecture → SECCOMP_RET_TRACE, all
/// else allowed. Built before the fork; installed by the child (`install`).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub fn filter() -> Vec<libc::sock_filter> {
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
    vec![
        stmt(LD_ABS, 4), // seccomp_data.arch
        jeq(AUDIT_ARCH, 0, 3),
        stmt(LD_ABS, 0), // seccomp_data.nr
        jeq(libc::SYS_read as u32, 2, 0),
        jeq(libc::SYS_write as u32, 1, 0),
        stmt(RET, libc::SECCOMP_RET_ALLOW),
        stmt(RET, libc::SECCOMP_RET_TRACE),
    ]
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub fn filter() -> Vec<libc::sock_filter> {
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
    Entry { nr: u64, args: [u64; 3] },
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
                    args: [s.args[0], s.args[1], s.args[2]],
                })
            }
            libc::PTRACE_SYSCALL_INFO_EXIT => Some(Call::Exit {
                rval: info.u.exit.sval,
            }),
            _ => None,
        }
    }
}

/// Up to `len` bytes at `addr` in `pid`'s memory.
pub fn peek(pid: i32, addr: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; len.min(PEEK)];
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: one local iovec over our own buffer; the remote one is only read.
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    if n < 0 {
        return None;
    }
    buf.truncate(n as usize);
    Some(buf)
}

/// The pipe inode in a /proc/PID/fd link's target (`pipe:[1234]`), if a pipe.
pub fn pipe_inode(target: &str) -> Option<u64> {
    target
        .strip_prefix("pipe:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Per process and pipe: a Connection's 4-byte length header seen alone (a reader
/// reads it first; a writer sends it alone before a message over 16 KiB).
#[derive(Default)]
pub struct Framing {
    header: HashMap<(i32, u64, bool), u32>,
}

impl Framing {
    /// What `data` (one write, or what one read returned) carries, and its Python
    /// repr when it is a decoded pickle, or `None` when it is only a length header to
    /// remember.
    pub fn message(
        &mut self,
        pid: i32,
        inode: u64,
        write: bool,
        data: &[u8],
    ) -> Option<(Value, Option<String>)> {
        let key = (pid, inode, write);
        if let Some(len) = self.header.remove(&key) {
            return Some(decode(data).unwrap_or_else(|| size_only(len as usize)));
        }
        if data.len() == 4 {
            let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
            if len > 0 && len < 1 << 30 {
                self.header.insert(key, len);
                return None;
            }
        }
        if data.len() > 4 {
            let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
            if len == data.len() - 4 && data[4] == 0x80 {
                return Some(decode(&data[4..]).unwrap_or_else(|| size_only(len)));
            }
        }
        Some((text(data), None))
    }

    /// A process ended: forget what it was in the middle of.
    pub fn forget(&mut self, pid: i32) {
        self.header.retain(|(p, _, _), _| *p != pid);
    }
}

fn decode(data: &[u8]) -> Option<(Value, Option<String>)> {
    let p = (data.first() == Some(&0x80)).then(|| pickle::decode(data))??;
    Some((p.value, Some(p.repr)))
}

/// A pickle not shown decoded: its size, written without quotes in the repr too.
fn size_only(len: usize) -> (Value, Option<String>) {
    let text = format!("<pickled object, {len} bytes>");
    (Value::from(text.clone()), Some(text))
}

/// Pipe data that is not a Connection message: text (one trailing newline dropped,
/// cut at 200 characters), else its size.
fn text(data: &[u8]) -> Value {
    let binary = data
        .iter()
        .any(|b| (*b < 0x20 && !matches!(b, b'\n' | b'\t' | b'\r')) || *b == 0x7f);
    match std::str::from_utf8(data).ok().filter(|_| !binary) {
        Some(s) => {
            let s = s.strip_suffix('\n').unwrap_or(s).replace('\n', "⏎");
            let mut shown: String = sanitize(&s).chars().take(200).collect();
            if shown.len() < s.len() && s.chars().count() > 200 {
                shown.push('…');
            }
            Value::from(shown)
        }
        None => Value::from(format!("<{} bytes>", data.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn connection_messages_and_text() {
        let mut f = Framing::default();
        let mut framed = 5u32.to_be_bytes().to_vec();
        framed.extend_from_slice(b"\x80\x04K\x07.");
        let seven = Some((json!(7), Some("7".to_string())));
        assert_eq!(f.message(1, 9, true, &framed), seven);
        // A reader takes the header, then the payload.
        assert_eq!(f.message(2, 9, false, &5u32.to_be_bytes()), None);
        assert_eq!(f.message(2, 9, false, b"\x80\x04K\x07."), seven);
        // A tuple: JSON has no such thing, the repr says it.
        let mut framed = 9u32.to_be_bytes().to_vec();
        framed.extend_from_slice(b"\x80\x04K\x01\x8c\x01a\x86.");
        assert_eq!(
            f.message(1, 9, true, &framed),
            Some((json!([1, "a"]), Some("(1, 'a')".to_string())))
        );
        // A pickle not shown decoded (a persistent id): its size.
        let mut framed = 5u32.to_be_bytes().to_vec();
        framed.extend_from_slice(b"\x80\x04NQ.");
        let size = "<pickled object, 5 bytes>";
        assert_eq!(
            f.message(1, 9, true, &framed),
            Some((json!(size), Some(size.to_string())))
        );
        let text = |s: &str| Some((json!(s), None));
        assert_eq!(f.message(3, 4, true, b"3\n"), text("3"));
        assert_eq!(f.message(3, 4, true, b"a\nb\n"), text("a⏎b"));
        assert_eq!(
            f.message(3, 4, true, &[0xff, 0xfe, 0, 1, 2]),
            text("<5 bytes>")
        );
        assert_eq!(f.message(3, 4, true, &[0; 8]), text("<8 bytes>"));
    }

    #[test]
    fn filter_jumps_land_on_returns() {
        let f = filter();
        if f.is_empty() {
            return;
        }
        assert_eq!(f.len(), 7);
        // Every jump stays inside the program; the last two are the returns.
        for (i, ins) in f.iter().enumerate() {
            if ins.code == 0x15 {
                assert!(i + 1 + usize::from(ins.jt.max(ins.jf)) < f.len());
            }
        }
        assert_eq!(f[6].k, libc::SECCOMP_RET_TRACE);
    }
}
