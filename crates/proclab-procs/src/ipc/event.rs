//! `multiprocessing.Event`: a flag in shared memory and a way to sleep until it is
//! set. Waiters sleep on a shared futex over the flag word (CPython uses a condition
//! variable built on semaphores; both are a real sleep in the kernel, never a spin).

use std::sync::atomic::{AtomicU32, Ordering};

use super::shm::SharedRegion;

#[derive(Clone, Copy)]
pub struct Event<'a> {
    flag: &'a AtomicU32,
}

impl<'a> Event<'a> {
    pub fn new(region: &'a SharedRegion) -> std::io::Result<Event<'a>> {
        Ok(Event {
            flag: region.alloc()?,
        })
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst) != 0
    }

    /// Sets the flag and wakes every waiter at once.
    pub fn set(&self) {
        self.flag.store(1, Ordering::SeqCst);
        // SAFETY: a futex wake on a live, aligned word; no timeout argument is read.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.flag.as_ptr(),
                libc::FUTEX_WAKE,
                i32::MAX,
            );
        }
    }

    /// Sleeps until the flag is set (returns at once if it already is).
    pub fn wait(&self) {
        while !self.is_set() {
            // SAFETY: waits only while the word still holds 0; shared (not private)
            // because the word is mapped by several processes.
            unsafe {
                libc::syscall(
                    libc::SYS_futex,
                    self.flag.as_ptr(),
                    libc::FUTEX_WAIT,
                    0u32,
                    std::ptr::null::<libc::timespec>(),
                    std::ptr::null::<u32>(),
                    0,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing;
    use std::sync::atomic::AtomicI32;

    #[test]
    fn set_releases_a_waiting_thread() {
        let region = SharedRegion::new(4096).unwrap();
        let event = Event::new(&region).unwrap();
        assert!(!event.is_set());
        let tid = AtomicI32::new(0);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                tid.store(testing::tid(), Ordering::SeqCst);
                event.wait();
            });
            // Asleep in the kernel's futex wait (not spinning, not returned), then
            // still there: only `set` may release it.
            assert!(
                testing::eventually(|| {
                    let t = tid.load(Ordering::SeqCst);
                    t != 0 && testing::asleep_in_futex(t)
                }),
                "the waiter sleeps in the futex"
            );
            assert!(!waiter.is_finished());
            event.set();
            waiter.join().unwrap();
        });
        assert!(event.is_set());
    }
}
