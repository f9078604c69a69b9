//! Anonymous shared memory, mapped by the runner before it forks, so every scenario
//! process sees the same bytes. `MAP_SHARED | MAP_ANONYMOUS` has no name in /dev/shm:
//! nothing can be left behind when the processes end.

use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous};

/// Types for which all-zero bytes are a valid value: what [`SharedRegion::alloc`] may
/// hand out, since its memory comes zero-filled from `mmap` and is never written
/// before the reference is returned. Sealed (its supertrait is private), so only the
/// impls below exist, and each one says why zero is valid.
///
/// `alloc::<NonZeroU32>()` or `alloc::<&str>()` would have been undefined behaviour
/// in safe code; now it does not compile:
///
/// ```compile_fail
/// let region = proclab_procs::ipc::shm::SharedRegion::new(4096).unwrap();
/// let _ = region.alloc::<std::num::NonZeroU32>();
/// ```
///
/// ```compile_fail
/// let region = proclab_procs::ipc::shm::SharedRegion::new(4096).unwrap();
/// let _ = region.alloc::<&'static str>();
/// ```
///
/// The same call with a type that is valid when zero compiles (so the two above fail
/// for the bound, not for a typo):
///
/// ```
/// let region = proclab_procs::ipc::shm::SharedRegion::new(4096).unwrap();
/// let n = region.alloc::<std::sync::atomic::AtomicU32>().unwrap();
/// assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), 0);
/// ```
///
/// # Safety
///
/// An implementor must be valid (and safe to use through `&Self`) when every byte of
/// it is zero, and must need no drop: the region never runs destructors.
pub unsafe trait ZeroValid: sealed::Sealed {}

mod sealed {
    /// Private: no other crate (and no module outside `shm`) can add a `ZeroValid`.
    pub trait Sealed {}
}

// SAFETY: an atomic integer has the layout of its integer, for which zero is a value;
// none has a destructor.
unsafe impl ZeroValid for AtomicU32 {}
impl sealed::Sealed for AtomicU32 {}
// SAFETY: as above.
unsafe impl ZeroValid for AtomicU64 {}
impl sealed::Sealed for AtomicU64 {}
// SAFETY: as above.
unsafe impl ZeroValid for AtomicI64 {}
impl sealed::Sealed for AtomicI64 {}
// SAFETY: a `sem_t` is plain bytes until `sem_init` (which `Semaphore::new` calls on
// the zeroed storage before anything else uses it); `RawSem` has no destructor.
unsafe impl ZeroValid for super::sem::RawSem {}
impl sealed::Sealed for super::sem::RawSem {}

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
    /// region's life. `T: ZeroValid`: the bytes are zero, so only types for which zero
    /// is a value may be read from them.
    pub fn alloc<T: ZeroValid>(&self) -> std::io::Result<&T> {
        let align = std::mem::align_of::<T>().max(16);
        let size = std::mem::size_of::<T>();
        let mut start = 0;
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                start = used.next_multiple_of(align);
                (start + size <= self.len).then_some(start + size)
            })
            .map_err(|_| std::io::Error::other("shared region is full"))?;
        // SAFETY: in bounds (checked above), aligned, zero-filled by mmap (a valid `T`:
        // `T: ZeroValid`), never handed out twice; lives as long as `self`.
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
