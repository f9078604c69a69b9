//! What each traced process's descriptors refer to, as far as output and messages go,
//! kept between stops: a `readlink` of /proc/PID/fd/N costs more than the rest of a
//! read or write stop together. An entry is dropped when the descriptor can change:
//! at `close`, `dup2`/`dup3` onto it and `close_range` over it (each stops for the
//! tracer at its entry), at an exec (close-on-exec) and when the process ends. A new
//! descriptor only ever takes a number that was closed first, so it is never served
//! from a stale entry. Threads share their process's table (keyed by thread group).

use std::collections::HashMap;

/// What a descriptor refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdKind {
    /// The program's stdout (the tracer's PTY) or stderr (the tracer's pipe).
    Output(usize),
    /// A pipe, by inode (both ends share it).
    Pipe(u64),
    /// A socket, by its own inode (each end has one).
    Socket(u64),
    Other,
}

#[derive(Default)]
pub struct FdCache {
    kinds: HashMap<(i32, u64), FdKind>,
}

impl FdCache {
    /// What `fd` of process `tgid` refers to: from the cache, else from /proc (and then
    /// kept). `None` if the descriptor is not open.
    pub fn kind(
        &mut self,
        tgid: i32,
        fd: u64,
        classify: impl FnOnce(&str) -> FdKind,
    ) -> Option<FdKind> {
        if let Some(k) = self.kinds.get(&(tgid, fd)) {
            return Some(*k);
        }
        let target = std::fs::read_link(format!("/proc/{tgid}/fd/{fd}")).ok()?;
        let kind = classify(&target.to_string_lossy());
        self.kinds.insert((tgid, fd), kind);
        Some(kind)
    }

    /// `fd` may now refer to something else (or nothing).
    pub fn forget(&mut self, tgid: i32, fd: u64) {
        self.kinds.remove(&(tgid, fd));
    }

    /// `close_range(first, last)`.
    pub fn forget_range(&mut self, tgid: i32, first: u64, last: u64) {
        self.kinds
            .retain(|(t, fd), _| *t != tgid || *fd < first || *fd > last);
    }

    /// The process exec'd or ended.
    pub fn forget_process(&mut self, tgid: i32) {
        self.kinds.retain(|(t, _), _| *t != tgid);
    }
}

/// The inode in a /proc/PID/fd link's target of the given type (`pipe:[1234]`).
pub fn inode_of(target: &str, kind: &str) -> Option<u64> {
    target
        .strip_prefix(kind)?
        .strip_prefix(":[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The syscalls that change what a descriptor number refers to.
pub fn changes_fds(nr: i64) -> bool {
    #[cfg(target_arch = "x86_64")]
    if nr == libc::SYS_dup2 {
        return true;
    }
    matches!(nr, libc::SYS_close | libc::SYS_dup3 | libc::SYS_close_range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_kept_until_the_descriptor_can_change() {
        let mut c = FdCache::default();
        let me = nix::unistd::getpid().as_raw();
        let reads = std::cell::Cell::new(0);
        let classify = |t: &str| {
            reads.set(reads.get() + 1);
            inode_of(t, "pipe").map_or(FdKind::Other, FdKind::Pipe)
        };
        // fd 0 exists in the test process; the second look is served from the cache.
        assert!(c.kind(me, 0, classify).is_some());
        assert!(c.kind(me, 0, classify).is_some());
        assert_eq!(reads.get(), 1);
        c.forget_range(me, 0, 2);
        assert!(c.kind(me, 0, classify).is_some());
        c.forget(me, 0);
        assert!(c.kind(me, 0, classify).is_some());
        c.forget_process(me);
        assert!(c.kind(me, 0, classify).is_some());
        assert_eq!(reads.get(), 4);
        assert!(c.kind(me, 987_654, classify).is_none(), "not open");
        assert_eq!(inode_of("pipe:[42]", "pipe"), Some(42));
        assert_eq!(inode_of("socket:[7]", "socket"), Some(7));
        assert_eq!(inode_of("socket:[7]", "pipe"), None);
        assert!(changes_fds(libc::SYS_close) && !changes_fds(libc::SYS_read));
    }
}
