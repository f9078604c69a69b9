//! The control block: one page of shared memory (a memfd, so nothing is left in
//! /dev/shm) that the front end writes and every scenario process reads. It carries
//! pause, speed, step permits, the run's clock origin and the live-process cap.
//!
//! Waiters sleep on a futex over `seq`, which the writer bumps on every change, so a
//! paused or gated process costs nothing and wakes at once.

use std::io::{Error, Result};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};

const MAGIC: u32 = 0x5052_4c42; // "PRLB"
const PAGE: usize = 4096;
/// How long a waiter sleeps before it looks again by itself. Every change wakes the
/// waiters (FUTEX_WAKE) and signals interrupt the wait, so this is only a safety net;
/// it is long because each wake-up shows the process as running (R) for a moment,
/// which a held run must not seem to be.
const WAIT_SLICE: Duration = Duration::from_secs(5);

/// An I/O error said with what was being done (this crate has no eyre: it is the front
/// end's, and the front end wraps these with `?` as any other `std::io::Error`).
fn context(what: &str) -> impl FnOnce(Error) -> Error + '_ {
    move |e| Error::new(e.kind(), format!("{what}: {e}"))
}

#[repr(C)]
struct Block {
    magic: AtomicU32,
    /// Futex word: bumped on every change so sleepers re-check.
    seq: AtomicU32,
    paused: AtomicU32,
    step_mode: AtomicU32,
    /// The speed in millionths: a lesson's slow motion goes down to 1/10000
    /// (`lesson::loader::SLOWEST`), which thousandths could not hold.
    speed_micro: AtomicU64,
    /// Step permits granted by the front end so far.
    permits: AtomicU64,
    /// Gates reached in step mode so far (each takes one ticket).
    tickets: AtomicU64,
    /// CLOCK_MONOTONIC at the start of the run, in nanoseconds.
    start_ns: AtomicU64,
    /// Processes of the run alive now (counted by fork and reap).
    live: AtomicU32,
    cap: AtomicU32,
    /// Processes the run created in all, the runner included.
    spawned: AtomicU32,
    /// "Be the scheduler": step permits per process slot, and how many each slot has
    /// used. A process at a slot gate waits (in step mode) until it has a permit.
    slot_permits: [AtomicU32; SLOTS],
    slot_taken: [AtomicU32; SLOTS],
    /// Gates (bit = index in the scenario's gate list) at which the rest of the run
    /// keeps running while main is held; at every other gate the whole run stands.
    run_on: AtomicU64,
    /// Processes held at a gate that stops the run (see `must_wait`).
    holding: AtomicU32,
    /// The lesson clock (see `lesson_ns`) is CLOCK_MONOTONIC minus this: the time the
    /// run has stood still so far, counted when each stand-still ends.
    base_ns: AtomicU64,
    /// While the run stands still, the lesson clock's value when it stopped (it reads
    /// that until the run goes on); 0 while it runs.
    frozen_at_ns: AtomicU64,
}

/// The descriptor the front end puts the control block on, for the runner and the
/// tracer.
pub const CONTROL_FD: i32 = 3;

/// Process slots for per-process gates (as many as the process cap allows).
pub const SLOTS: usize = 64;

const _: () = assert!(std::mem::size_of::<Block>() <= PAGE);

/// A mapping of the control block. Both sides hold one; forked children inherit it.
pub struct Control {
    block: NonNull<Block>,
    fd: Option<OwnedFd>,
}

// The block holds only atomics, so sharing the mapping between threads is sound.
unsafe impl Send for Control {}
unsafe impl Sync for Control {}

pub struct Settings {
    pub speed: f64,
    pub step_mode: bool,
    pub cap: u32,
    /// Gates at which the others keep running (bits by gate index).
    pub run_on: u64,
}

/// memfd_create(2) with MFD_CLOEXEC, as the raw system call: glibc has the wrapper
/// only from 2.27, and the wheel is linked against glibc 2.17 (manylinux2014, see
/// ARCHITECTURE.md, "Decisions"); the kernel has had the call since 3.17.
fn memfd_create(name: &std::ffi::CStr) -> std::io::Result<OwnedFd> {
    // SAFETY: `name` is a valid NUL-terminated string; the call takes no other memory.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let fd =
        RawFd::try_from(fd).map_err(|_| std::io::Error::other("memfd_create: no descriptor"))?;
    // SAFETY: the kernel just returned this descriptor, and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Control {
    /// Creates a fresh block (front end side).
    pub fn create(settings: &Settings) -> Result<Control> {
        let fd = memfd_create(c"proclab-control")
            .map_err(context("memfd_create for the control block"))?;
        nix::unistd::ftruncate(&fd, PAGE.try_into().unwrap_or(i64::MAX))
            .map_err(|e| context("sizing the control block")(e.into()))?;
        let control = Self::map(fd)?;
        let b = control.block();
        b.speed_micro.store(speed_to_micro(settings.speed), SeqCst);
        b.step_mode.store(u32::from(settings.step_mode), SeqCst);
        b.cap.store(settings.cap, SeqCst);
        b.run_on.store(settings.run_on, SeqCst);
        b.start_ns.store(monotonic_ns(), SeqCst);
        b.magic.store(MAGIC, SeqCst);
        Ok(control)
    }

    /// Maps a block handed down as an inherited descriptor (runner side).
    ///
    /// # Safety
    /// `fd` must be an open descriptor this process owns.
    pub unsafe fn from_raw_fd(fd: RawFd) -> Result<Control> {
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let control = Self::map(fd)?;
        if control.block().magic.load(SeqCst) != MAGIC {
            return Err(Error::other(
                "descriptor does not hold a proclab control block",
            ));
        }
        Ok(control)
    }

    fn map(fd: OwnedFd) -> Result<Control> {
        let len = std::num::NonZeroUsize::new(PAGE).ok_or_else(|| Error::other("page size"))?;
        // SAFETY: a fresh shared mapping of a descriptor we own; nothing aliases it yet.
        let ptr = unsafe {
            mmap(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                &fd,
                0,
            )
        }
        .map_err(|e| context("mapping the control block")(e.into()))?;
        Ok(Control {
            block: ptr.cast(),
            fd: Some(fd),
        })
    }

    /// The descriptor to hand to the runner.
    pub fn raw_fd(&self) -> Option<RawFd> {
        self.fd.as_ref().map(|f| f.as_raw_fd())
    }

    /// Drops the descriptor (the mapping stays), so forked children do not hold it.
    pub fn close_fd(&mut self) {
        self.fd = None;
    }

    fn block(&self) -> &Block {
        // SAFETY: the mapping lives as long as `self` and holds only atomics.
        unsafe { self.block.as_ref() }
    }

    fn changed(&self) {
        let b = self.block();
        b.seq.fetch_add(1, SeqCst);
        futex_wake_all(&b.seq);
    }

    // ---- front end side -------------------------------------------------------

    pub fn set_paused(&self, paused: bool) {
        self.block().paused.store(u32::from(paused), SeqCst);
        if paused {
            self.begin_still();
        } else {
            self.end_still();
        }
        self.changed();
    }

    pub fn set_speed(&self, speed: f64) {
        self.block()
            .speed_micro
            .store(speed_to_micro(speed), SeqCst);
        self.changed();
    }

    /// Step mode makes every gate wait for a permit; leaving it releases them all.
    pub fn set_step_mode(&self, on: bool) {
        let b = self.block();
        if on {
            // Gates reached while playing took no ticket: start counting afresh.
            b.permits.store(b.tickets.load(SeqCst), SeqCst);
            for (permits, taken) in b.slot_permits.iter().zip(&b.slot_taken) {
                permits.store(taken.load(SeqCst), SeqCst);
            }
        }
        b.step_mode.store(u32::from(on), SeqCst);
        self.changed();
    }

    // ---- standing still: holds, pauses and the lesson clock ---------------------

    /// Whether a process should wait at its next checkpoint (a sleep slice, a chunk of
    /// work): the learner paused the run, or main is held at a step that stops it.
    pub fn must_wait(&self) -> bool {
        let b = self.block();
        b.paused.load(SeqCst) != 0 || b.holding.load(SeqCst) != 0
    }

    fn begin_still(&self) {
        let b = self.block();
        let at = monotonic_ns().saturating_sub(b.base_ns.load(SeqCst)).max(1);
        let _ = b.frozen_at_ns.compare_exchange(0, at, SeqCst, SeqCst);
    }

    /// Ends the stand-still if nothing keeps the run still any more. The clock goes on
    /// from where it stopped: the base moves first, while readers still see the frozen
    /// value, so no reader ever sees it jump.
    fn end_still(&self) {
        let b = self.block();
        if self.must_wait() {
            return;
        }
        let frozen = b.frozen_at_ns.load(SeqCst);
        if frozen == 0 {
            return;
        }
        b.base_ns
            .store(monotonic_ns().saturating_sub(frozen), SeqCst);
        let _ = b.frozen_at_ns.compare_exchange(frozen, 0, SeqCst, SeqCst);
    }

    /// CLOCK_MONOTONIC minus the time the run stood still (held at steps, paused):
    /// the clock events are stamped with and durations a lesson reports are measured
    /// on, so a learner reading a step does not make a computation or a lock hold
    /// look longer. It never runs backwards.
    pub fn lesson_ns(&self) -> u64 {
        let b = self.block();
        match b.frozen_at_ns.load(SeqCst) {
            0 => monotonic_ns().saturating_sub(b.base_ns.load(SeqCst)),
            frozen => frozen,
        }
    }

    pub fn grant_permit(&self) {
        self.block().permits.fetch_add(1, SeqCst);
        self.changed();
    }

    /// Lets the process at `slot` pass its next slot gate.
    pub fn grant_slot_permit(&self, slot: usize) {
        if let Some(p) = self.block().slot_permits.get(slot) {
            p.fetch_add(1, SeqCst);
            self.changed();
        }
    }

    pub fn spawned(&self) -> u32 {
        self.block().spawned.load(SeqCst)
    }

    pub fn start_ns(&self) -> u64 {
        self.block().start_ns.load(SeqCst)
    }

    /// Microseconds since the run started, on the lesson clock every process shares:
    /// it stands while the run stands still (held at a step, paused), so "after 1.5 s"
    /// in a lesson's text is 1.5 s in the log however long the learner read.
    pub fn now_us(&self) -> u64 {
        self.lesson_ns().saturating_sub(self.start_ns()) / 1000
    }

    /// Makes this block the process's clock for `process_now_us` (the panic hook
    /// stamps a traceback without a `Ctx`). Forked children inherit the mapping.
    pub fn set_as_process_clock(&self) {
        PROCESS_CLOCK.store(self.block.as_ptr(), SeqCst);
    }

    // ---- scenario side --------------------------------------------------------

    #[allow(
        clippy::cast_precision_loss,
        reason = "speed_micro is at most 1e15 (speed_to_micro), below 2^52: exact in an f64"
    )]
    pub fn speed(&self) -> f64 {
        self.block().speed_micro.load(SeqCst) as f64 / 1_000_000.0
    }

    pub fn paused(&self) -> bool {
        self.block().paused.load(SeqCst) != 0
    }

    /// Blocks while the run stands still (paused, or held at a step that stops it).
    pub fn wait_while_paused(&self) {
        self.wait_while_paused_unless(&|| false);
    }

    /// Like `wait_while_paused`, but returns as soon as `stop` says so (checked on every
    /// wake-up: a signal interrupts the futex wait).
    pub fn wait_while_paused_unless(&self, stop: &dyn Fn() -> bool) {
        let b = self.block();
        loop {
            let seen = b.seq.load(SeqCst);
            if !self.must_wait() || stop() {
                return;
            }
            futex_wait(&b.seq, seen, WAIT_SLICE);
        }
    }

    /// Waits at gate number `index` of the scenario: in step mode until a permit for
    /// this gate's ticket is granted. Unless the lesson lets the others run on at this
    /// gate, the whole run stands still meanwhile (every process stops at its next
    /// checkpoint), so the screen stays what the step's narration describes.
    /// `interrupted`: checked on every wake-up (a signal wakes the futex); when true the
    /// wait ends without a permit, so the caller can raise KeyboardInterrupt.
    pub fn pass_gate(&self, index: usize, interrupted: &dyn Fn() -> bool) {
        self.pass_gate_then(index, interrupted, &mut || {});
    }

    /// `pass_gate`, calling `holding` once the run is known to stand still (the clock
    /// frozen, `must_wait` true) and before waiting: the tracer stops the program
    /// there, so the observer never mistakes that stop for one of the program's.
    pub fn pass_gate_then(
        &self,
        index: usize,
        interrupted: &dyn Fn() -> bool,
        holding: &mut dyn FnMut(),
    ) {
        let b = self.block();
        if b.step_mode.load(SeqCst) != 0 {
            let ticket = b.tickets.fetch_add(1, SeqCst);
            let stops_the_run = index >= 64 || b.run_on.load(SeqCst) & (1 << index) == 0;
            if stops_the_run {
                b.holding.fetch_add(1, SeqCst);
                self.begin_still();
                self.changed();
                holding();
            }
            loop {
                let seen = b.seq.load(SeqCst);
                if b.step_mode.load(SeqCst) == 0 || b.permits.load(SeqCst) > ticket || interrupted()
                {
                    break;
                }
                futex_wait(&b.seq, seen, WAIT_SLICE);
            }
            if stops_the_run {
                b.holding.fetch_sub(1, SeqCst);
                self.end_still();
                self.changed();
            }
        }
        self.wait_while_paused();
    }

    /// Whether the run keeps going at gate number `index` (the lesson's step says
    /// `keep_running`), or nobody waits there (step mode is off).
    pub fn runs_on_at(&self, index: usize) -> bool {
        let b = self.block();
        b.step_mode.load(SeqCst) == 0 || (index < 64 && b.run_on.load(SeqCst) & (1 << index) != 0)
    }

    /// A per-process gate: in step mode, waits until the front end granted this slot a
    /// permit for it (the learner chose this process to take its next step).
    pub fn pass_slot_gate(&self, slot: usize) {
        let b = self.block();
        let (Some(permits), Some(taken)) = (b.slot_permits.get(slot), b.slot_taken.get(slot))
        else {
            return;
        };
        let ticket = taken.fetch_add(1, SeqCst);
        loop {
            let seen = b.seq.load(SeqCst);
            if b.step_mode.load(SeqCst) == 0 || permits.load(SeqCst) > ticket {
                break;
            }
            futex_wait(&b.seq, seen, WAIT_SLICE);
        }
        self.wait_while_paused();
    }

    /// Reserves a slot for one more live process; false when the cap is reached.
    pub fn reserve_process(&self) -> bool {
        let b = self.block();
        let cap = b.cap.load(SeqCst);
        let mut live = b.live.load(SeqCst);
        loop {
            if live >= cap {
                return false;
            }
            match b.live.compare_exchange(live, live + 1, SeqCst, SeqCst) {
                Ok(_) => {
                    b.spawned.fetch_add(1, SeqCst);
                    return true;
                }
                Err(now) => live = now,
            }
        }
    }

    /// Gives back a slot taken by `reserve_process` (fork failed, or child reaped).
    pub fn release_process(&self) {
        let _ = self
            .block()
            .live
            .fetch_update(SeqCst, SeqCst, |n| Some(n.saturating_sub(1)));
    }

    pub fn cap(&self) -> u32 {
        self.block().cap.load(SeqCst)
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let _ = PROCESS_CLOCK.compare_exchange(
            self.block.as_ptr(),
            std::ptr::null_mut(),
            SeqCst,
            SeqCst,
        );
        // SAFETY: we mapped exactly PAGE bytes at `block` and no reference outlives self.
        unsafe {
            let _ = munmap(self.block.cast(), PAGE);
        }
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "finite, clamped to 1..=1e15 first: positive and within u64"
)]
fn speed_to_micro(speed: f64) -> u64 {
    if speed.is_finite() && speed > 0.0 {
        (speed * 1_000_000.0).clamp(1.0, 1e15) as u64
    } else {
        1_000_000
    }
}

/// The block `set_as_process_clock` named; null before, and after it is unmapped.
static PROCESS_CLOCK: std::sync::atomic::AtomicPtr<Block> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

/// The run's clock (as `Control::now_us`) from the block this process named, if any.
pub fn process_now_us() -> Option<u64> {
    let block = NonNull::new(PROCESS_CLOCK.load(SeqCst))?;
    // A borrowed view: the mapping stays until its `Control` is dropped, which clears
    // the pointer first; the fd is not ours to close.
    let view = std::mem::ManuallyDrop::new(Control { block, fd: None });
    Some(view.now_us())
}

pub fn monotonic_ns() -> u64 {
    let ts = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC);
    // CLOCK_MONOTONIC is never negative.
    ts.map(|t| {
        u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000
            + u64::try_from(t.tv_nsec()).unwrap_or(0)
    })
    .unwrap_or(0)
}

/// Sleeps until `word` differs from `seen`, a wake-up, or the timeout. Shared (not
/// private) futex, because the word lives in memory mapped by several processes.
fn futex_wait(word: &AtomicU32, seen: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(timeout.subsec_nanos()),
    };
    // SAFETY: `word` is a valid aligned u32 for the whole call; the kernel only reads it.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            seen,
            &ts as *const libc::timespec,
            std::ptr::null::<u32>(),
            0,
        );
    }
}

fn futex_wake_all(word: &AtomicU32) {
    // SAFETY: as above; FUTEX_WAKE does not touch the timeout arguments.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn control(step: bool) -> Control {
        Control::create(&Settings {
            speed: 2.0,
            step_mode: step,
            cap: 2,
            run_on: 0b10,
        })
        .unwrap()
    }

    #[test]
    fn cap_is_enforced_and_released() {
        let c = control(false);
        assert!(c.reserve_process());
        assert!(c.reserve_process());
        assert!(!c.reserve_process());
        c.release_process();
        assert!(c.reserve_process());
        assert_eq!(c.spawned(), 3);
    }

    /// Gates reached in step mode so far (each took a ticket).
    fn tickets(c: &Control) -> u64 {
        c.block().tickets.load(SeqCst)
    }

    /// A thread that passes gate `index`, its kernel id published first.
    fn waiter_at(
        c: &std::sync::Arc<Control>,
        index: usize,
    ) -> (std::thread::JoinHandle<()>, std::sync::Arc<AtomicU32>) {
        let tid = std::sync::Arc::new(AtomicU32::new(0));
        let (c2, tid2) = (c.clone(), tid.clone());
        let waiter = std::thread::spawn(move || {
            tid2.store(testing::tid().unsigned_abs(), SeqCst);
            c2.pass_gate(index, &|| false);
        });
        (waiter, tid)
    }

    /// The waiter took its ticket and sleeps in the futex: it is at the gate, waiting.
    fn waits_at_the_gate(c: &Control, tid: &AtomicU32) -> bool {
        testing::eventually(|| {
            let tid = i32::try_from(tid.load(SeqCst)).unwrap_or(0);
            tid != 0 && tickets(c) == 1 && testing::asleep_in_futex(tid)
        })
    }

    #[test]
    fn permit_releases_a_gate_in_step_mode() {
        let c = std::sync::Arc::new(control(true));
        let (waiter, tid) = waiter_at(&c, 0);
        assert!(waits_at_the_gate(&c, &tid), "the waiter reaches the gate");
        // Asleep in the futex with no permit: a gate that let it through would have
        // returned instead.
        assert!(!waiter.is_finished(), "gate must hold without a permit");
        c.grant_permit();
        waiter.join().unwrap();
        assert!((c.speed() - 2.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_held_gate_stops_the_run_and_the_lesson_clock() {
        let c = std::sync::Arc::new(control(true));
        let (waiter, tid) = waiter_at(&c, 0);
        assert!(
            testing::eventually(|| c.must_wait()),
            "held at gate 0: the others must wait"
        );
        let mid = c.lesson_ns();
        assert!(waits_at_the_gate(&c, &tid));
        // Frozen: the same value however much time passes (not "a little later").
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(c.lesson_ns(), mid, "the lesson clock stands while held");
        c.grant_permit();
        waiter.join().unwrap();
        assert!(!c.must_wait(), "released");
        assert!(
            testing::eventually(|| c.lesson_ns() > mid),
            "the lesson clock runs again"
        );
    }

    #[test]
    fn a_run_on_gate_lets_the_others_run() {
        let c = std::sync::Arc::new(control(true));
        let (waiter, tid) = waiter_at(&c, 1);
        assert!(waits_at_the_gate(&c, &tid), "main reaches its gate");
        assert!(!waiter.is_finished(), "main still waits for its permit");
        assert!(!c.must_wait(), "gate 1 is run-on: the others go on");
        c.grant_permit();
        waiter.join().unwrap();
    }

    #[test]
    fn pause_stops_the_lesson_clock_too() {
        let c = control(false);
        c.set_paused(true);
        let a = c.lesson_ns();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(c.lesson_ns(), a, "frozen while paused");
        c.set_paused(false);
        assert!(!c.must_wait());
        assert!(testing::eventually(|| c.lesson_ns() > a), "runs again");
    }
}
