//! `multiprocessing.Queue`, built as CPython builds it: a pipe carries the items, a
//! lock serialises readers and another writers, and a bounded semaphore of `maxsize`
//! permits makes `put` block while the queue is full. `get` blocks in the pipe read
//! while it is empty. No item is lost or duplicated: each frame is written whole under
//! the writers' lock and read whole under the readers' lock.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicI64, Ordering};

use super::sem::Semaphore;
use super::shm::SharedRegion;
use super::wire;

pub struct Queue<'a> {
    read: OwnedFd,
    write: OwnedFd,
    rlock: Semaphore<'a>,
    wlock: Semaphore<'a>,
    /// `maxsize` permits; `None` for an unbounded queue.
    slots: Option<Semaphore<'a>>,
    /// Items in the pipe now, for the `len` of each event.
    len: &'a AtomicI64,
}

/// Why a call is about to sleep: the `on` of the `blocked` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// `put` on a full queue (the bounded semaphore).
    Full,
    /// `get` on an empty queue (the pipe read).
    Empty,
    /// Another process holds the readers' or the writers' lock.
    Lock,
}

impl Wait {
    pub fn as_str(self) -> &'static str {
        match self {
            Wait::Full => "queue_full",
            Wait::Empty => "queue_empty",
            Wait::Lock => "lock",
        }
    }
}

/// Takes `lock`, telling `on_block` first if it must wait for it.
fn take(lock: &Semaphore, on_block: &mut impl FnMut(Wait)) {
    if !lock.try_acquire() {
        on_block(Wait::Lock);
        lock.acquire();
    }
}

/// What a call did, for the event the caller emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    /// It had to wait (full for `put`, empty for `get`).
    pub blocked: bool,
    /// Items in the queue right after the call.
    pub len: i64,
}

impl<'a> Queue<'a> {
    /// `maxsize` 0 means unbounded, as in Python.
    pub fn new(region: &'a SharedRegion, maxsize: u32) -> std::io::Result<Queue<'a>> {
        let (read, write) = nix::unistd::pipe()?;
        Ok(Queue {
            read,
            write,
            rlock: Semaphore::new(region, 1)?,
            wlock: Semaphore::new(region, 1)?,
            slots: if maxsize > 0 {
                Some(Semaphore::new(region, maxsize)?)
            } else {
                None
            },
            len: region.alloc()?,
        })
    }

    /// `q.put(item)`: `on_block` runs just before each real wait (for a slot, or for
    /// the writers' lock); `on_put` runs with the new length just before the item is
    /// written, so whatever it reports comes before any reader can have the item.
    pub fn put(
        &self,
        item: &serde_json::Value,
        mut on_block: impl FnMut(Wait),
        on_put: impl FnOnce(i64),
    ) -> std::io::Result<Op> {
        let mut blocked = false;
        if let Some(slots) = &self.slots
            && !slots.try_acquire()
        {
            blocked = true;
            on_block(Wait::Full);
            slots.acquire();
        }
        // Counted (and reported) before it is written, so a reader can never take it
        // out first and see a negative length or a get before its put; while it holds a
        // slot it is at most `maxsize`. Reported outside the writers' lock, so other
        // producers do not wait for the report.
        let len = self.len.fetch_add(1, Ordering::SeqCst) + 1;
        on_put(len);
        take(&self.wlock, &mut on_block);
        let sent = wire::send(self.write.as_fd(), item);
        self.wlock.release();
        sent.map(|()| Op { blocked, len })
    }

    /// `q.get()`: `on_block` runs just before each real wait (for the readers' lock,
    /// or for an item).
    pub fn get(&self, mut on_block: impl FnMut(Wait)) -> std::io::Result<(serde_json::Value, Op)> {
        take(&self.rlock, &mut on_block);
        // Empty by the shared count (no poll(2) per get): an item counted but not yet
        // written is a write in progress, not an empty queue.
        let blocked = self.len.load(Ordering::SeqCst) <= 0;
        if blocked {
            on_block(Wait::Empty);
        }
        let item = wire::recv(self.read.as_fd());
        let len = self.len.fetch_sub(1, Ordering::SeqCst) - 1;
        self.rlock.release();
        let item = item?;
        if let Some(slots) = &self.slots {
            slots.release();
        }
        Ok((item, Op { blocked, len }))
    }
}
