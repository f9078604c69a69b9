//! Anonymous shared memory, mapped by the runner before it forks, so every scenario
//! process sees the same bytes. `MAP_SHARED | MAP_ANONYMOUS` has no name in /dev/shm:
//! nothing can be left behind when the processes end.

use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous};

/// A fixed-size shared mapping with a bump allocator for the primitives placed in it.
/// Allocation happens before fork (in one process); afterwards only the contents change.
pub struct SharedRegion {
    base: NonNull<u8>,
    len: usize,
    used: AtomicUsize,
}

// The region only hands out pointers to types that are themselves safe to share
// across processes (atomics, POSIX semaphores initialised as pshared).
unsafe impl Send for SharedRegion {}
unsafe impl Sync for SharedRegion {}

impl SharedRegion {
    pub fn new(len: usize) -> std::io::Result<SharedRegion> {
        let size = NonZeroUsize::new(len.max(4096)).ok_or(std::io::ErrorKind::InvalidInput)?;
        // SAFETY: a fresh anonymous mapping; nothing else refers to it yet.
        let base = unsafe {
            mmap_anonymous(
                None,
                size,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )
        }?;
        Ok(SharedRegion {
            base: base.cast(),
            len: size.get(),
            used: AtomicUsize::new(0),
        })
    }

    /// Places a zeroed `T` in the region and returns a reference valid for the
    /// region's life. `T` must be valid when all-zero (atomics, `sem_t` before init).
    pub fn alloc<T>(&self) -> std::io::Result<&T> {
        let align = std::mem::align_of::<T>().max(16);
        let size = std::mem::size_of::<T>();
        let mut start = 0;
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                start = used.next_multiple_of(align);
                (start + size <= self.len).then_some(start + size)
            })
            .map_err(|_| std::io::Error::other("shared region is full"))?;
        // SAFETY: in bounds (checked above), aligned, zero-filled by mmap, never handed
        // out twice; lives as long as `self`.
        Ok(unsafe { &*self.base.as_ptr().add(start).cast::<T>() })
    }
}

impl Drop for SharedRegion {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; references cannot outlive self.
        unsafe {
            let _ = nix::sys::mman::munmap(self.base.cast(), self.len);
        }
    }
}
