//! A POSIX semaphore in shared memory (`sem_init` with pshared = 1), which is how
//! CPython builds `multiprocessing.Lock` (value 1) and `Semaphore(n)`. Waiting is a
//! futex sleep in the kernel, never a spin.

use std::cell::UnsafeCell;

use super::shm::SharedRegion;

#[repr(transparent)]
pub struct RawSem(UnsafeCell<libc::sem_t>);

// The kernel and libc synchronise access to a pshared semaphore.
unsafe impl Sync for RawSem {}

#[derive(Clone, Copy)]
pub struct Semaphore<'a> {
    sem: &'a RawSem,
}

impl<'a> Semaphore<'a> {
    /// A semaphore with `value` permits, shared with every process forked afterwards.
    pub fn new(region: &'a SharedRegion, value: u32) -> std::io::Result<Semaphore<'a>> {
        let sem: &RawSem = region.alloc()?;
        // SAFETY: fresh zeroed storage in a shared mapping, initialised exactly once.
        if unsafe { libc::sem_init(sem.0.get(), 1, value) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Semaphore { sem })
    }

    /// Takes a permit without waiting; false when none is free.
    pub fn try_acquire(&self) -> bool {
        // SAFETY: an initialised semaphore.
        unsafe { libc::sem_trywait(self.sem.0.get()) == 0 }
    }

    /// Takes a permit, sleeping in the kernel until one is free.
    pub fn acquire(&self) {
        // SAFETY: an initialised semaphore; EINTR (a signal) just retries.
        while unsafe { libc::sem_wait(self.sem.0.get()) } != 0 {
            let err = std::io::Error::last_os_error();
            // Anything else means the semaphore is broken: going on without the permit
            // would silently break mutual exclusion, so fail loudly (in a scenario
            // process a panic is an uncaught exception: traceback, exit code 1).
            assert!(
                err.raw_os_error() == Some(libc::EINTR),
                "sem_wait failed: {err}"
            );
        }
    }

    pub fn release(&self) {
        // SAFETY: an initialised semaphore.
        unsafe {
            libc::sem_post(self.sem.0.get());
        }
    }
}
