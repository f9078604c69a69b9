//! What the tracer reads about a traced process, and the events it builds from what
//! the kernel said: a release, a signal's disposition. (A reap is `EventKind::reap`,
//! the one constructor the runner, the tracer and the front end all use.)

use crate::procfs;
use crate::trace::event::{EventKind, WaitOutcome};

/// What the process will do with `sig`, from its masks in /proc/PID/status.
pub fn disposition(pid: i32, sig: i32) -> String {
    let bit = 1u64 << (sig - 1);
    let masks = procfs::read_sig_masks(pid).unwrap_or_default();
    if masks.caught & bit != 0 {
        "handler".into()
    } else if masks.ignored & bit != 0 {
        "ignored".into()
    } else if matches!(
        sig,
        libc::SIGCHLD | libc::SIGURG | libc::SIGWINCH | libc::SIGCONT
    ) {
        "default (nothing happens)".into()
    } else if super::sys::is_stop_signal(sig) {
        "default (stops)".into()
    } else {
        "default (terminates)".into()
    }
}

pub fn read_tgid(tid: i32) -> Option<i32> {
    let status = crate::procfs::read_status(tid)?;
    crate::procfs::status_field(&status, "Tgid")?.parse().ok()
}

pub fn read_comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

pub fn read_cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|c| *c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A `released` of `child` (the event goes under the child's PID), with its status
/// decoded.
pub fn released(parent: i32, status: i32, why: &str) -> EventKind {
    let (code, signal) = WaitOutcome::from_raw(status).fields();
    EventKind::Released {
        parent,
        status,
        code,
        signal,
        why: why.into(),
    }
}

/// Up to `len` bytes at `addr` in `pid`'s memory (fewer where the mapping ends), or
/// `None` if none could be read.
#[allow(
    clippy::cast_sign_loss,
    reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
)]
pub fn read_memory(pid: i32, addr: u64, len: usize) -> Option<Vec<u8>> {
    use nix::sys::uio::{RemoteIoVec, process_vm_readv};
    let mut buf = vec![0u8; len];
    let remote = RemoteIoVec {
        base: usize::try_from(addr).ok()?,
        len,
    };
    let n = process_vm_readv(
        nix::unistd::Pid::from_raw(pid),
        &mut [std::io::IoSliceMut::new(&mut buf)],
        &[remote],
    )
    .ok()
    .filter(|n| *n > 0)?;
    buf.truncate(n);
    Some(buf)
}

/// A NUL-terminated string at `addr` in `pid`'s memory (a path: at most PATH_MAX).
pub fn read_c_string(pid: i32, addr: u64) -> Option<String> {
    let bytes = read_memory(pid, addr, libc::PATH_MAX as usize)?;
    let end = bytes.iter().position(|b| *b == 0)?;
    Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
}
