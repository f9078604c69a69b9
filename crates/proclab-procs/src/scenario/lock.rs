//! Lock contention and the shared-counter race: `workers` processes each add 1 to a
//! counter in shared memory `increments` times. The add is a real read, then a real
//! write: without the lock, two workers that read the same value both write value+1
//! and one update is lost. With the lock (a POSIX semaphore of value 1, as CPython's
//! `Lock`) only one worker is between the read and the write at a time.
//!
//! The workers wait at a start line (an Event) so they really overlap: with small
//! counts a worker may finish before the next one even starts, and nothing is lost.

use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

use nix::unistd::getpid;
use serde_json::json;

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};
use crate::ipc::{event::Event, sem::Semaphore, shm::SharedRegion};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "lock",
    title: "Lock: a shared counter, with and without",
    view: super::View::locks(super::Primitive::Lock),
    params: &[WORKERS, INCREMENTS, USE_LOCK, SCHEDULE, HOLD_MS],
    gates: &["start", "forked", "counted"],
    process_gates: &["read", "write"],
    reports: &["counter", "expected", "lost", "read", "wrote"],
    peak_processes: |p| {
        let workers = LockParams::from_params(p)?.workers;
        let n = workers + 1;
        Ok((
            u64::from(n),
            format!(
                "1 parent + {} = {n}",
                super::params::count(workers, "worker", "workers")
            ),
        ))
    },
    run: |ctx, p| {
        run(ctx, &LockParams::from_params(p)?);
        Ok(())
    },
};

const WORKERS: ParamSpec = ParamSpec {
    name: "workers",
    kind: ParamKind::Int { min: 1, max: 16 },
    default: ParamValue::Int(4),
    help: "processes adding to the counter",
};
const INCREMENTS: ParamSpec = ParamSpec {
    name: "increments",
    kind: ParamKind::Int {
        min: 1,
        max: 10_000_000,
    },
    default: ParamValue::Int(1000),
    help: "how many times each worker adds 1",
};
const USE_LOCK: ParamSpec = ParamSpec {
    name: "use_lock",
    kind: ParamKind::Bool,
    default: ParamValue::Bool(true),
    help: "hold the lock around each read-modify-write",
};
const SCHEDULE: ParamSpec = ParamSpec {
    name: "schedule",
    kind: ParamKind::Bool,
    default: ParamValue::Bool(false),
    help: "be the scheduler: in step mode each read and each write waits for you",
};
const HOLD_MS: ParamSpec = ParamSpec {
    name: "hold_ms",
    kind: ParamKind::Int {
        min: 0,
        max: 10_000,
    },
    default: ParamValue::Int(0),
    help: "lesson time spent between the read and the write",
};

/// Two of its switches are independent choices of the lesson (the lock, and whether
/// the learner schedules each step), not states of one thing: bools say that best.
struct LockParams {
    workers: u32,
    increments: i64,
    use_lock: bool,
    schedule: bool,
    /// Lesson seconds between the read and the write.
    hold: f64,
}

impl Typed for LockParams {
    fn from_params(p: &Params) -> Result<LockParams, ParamError> {
        Ok(LockParams {
            workers: p.int(&WORKERS)?,
            increments: p.int(&INCREMENTS)?,
            use_lock: p.flag(&USE_LOCK)?,
            schedule: p.flag(&SCHEDULE)?,
            hold: f64::from(p.int::<u32>(&HOLD_MS)?) / 1000.0,
        })
    }
}

/// Lock events are emitted for every acquisition up to this many per worker, then
/// only when a worker had to wait (keeps 4 × 100000 runs quick and the log readable).
const TRACE_ALL: i64 = 2000;

/// Additions between two looks at the run's speed (`pace`).
const PACE_BATCH: i64 = 1000;

/// A lesson's slow motion, every `PACE_BATCH` additions: the batch was real work at
/// full speed; slowed, this worker says how far it is (`added`, its own additions so
/// far, and `saw`, the shared counter as it read it just now: the tree shows both,
/// and the gap between the counter and everyone's additions is the updates lost so
/// far), then rests (`Ctx::keep_pace`). At full speed: one atomic load.
fn pace(ctx: &Ctx, counter: &AtomicI64, done: i64, paced: &mut super::ctx::Pace) {
    if ctx.slowed() {
        report_progress(ctx, counter, done);
    }
    ctx.keep_pace(paced);
}

/// `added` (this worker's additions so far) and `saw` (the shared counter read now).
fn report_progress(ctx: &Ctx, counter: &AtomicI64, done: i64) {
    let saw = counter.load(Relaxed);
    ctx.emit(EventKind::Value {
        name: "added".into(),
        value: json!(done),
    });
    ctx.emit(EventKind::Value {
        name: "saw".into(),
        value: json!(saw),
    });
}

fn run(ctx: &mut Ctx, p: &LockParams) {
    let (workers, increments, use_lock) = (p.workers, p.increments, p.use_lock);
    let (hold, schedule) = (p.hold, p.schedule);
    let Ok(region) = SharedRegion::new(4096) else {
        return ctx.print("cannot map shared memory");
    };
    let (Ok(counter), Ok(lock), Ok(go)) = (
        region.alloc::<AtomicI64>(),
        Semaphore::new(&region, 1),
        Event::new(&region),
    ) else {
        return ctx.print("cannot create the shared counter");
    };
    let how = if use_lock { "with" } else { "without" };
    ctx.print(format!(
        "main {}: {workers} workers × {increments} increments, {how} the lock",
        getpid()
    ));
    ctx.gate("start");
    for i in 0..workers {
        if ctx.fork(&format!("worker {i}")) == Forked::Child {
            go.wait();
            let mut paced = super::ctx::Pace::start();
            for k in 0..increments {
                if k % PACE_BATCH == 0 && k > 0 && !schedule {
                    pace(ctx, counter, k, &mut paced);
                }
                let traced = k < TRACE_ALL;
                if schedule {
                    ctx.slot_gate(i as usize, "read");
                }
                let mut held = None;
                if use_lock {
                    held = acquire(ctx, &lock, "lock", "lock", traced);
                }
                // The race, for real: a load, then a store of what was loaded plus one.
                // `black_box` keeps every load and store in the loop: the compiler may
                // not fold a million of them into one, as it otherwise would.
                let shared = std::hint::black_box(counter);
                let seen = shared.load(Relaxed);
                if schedule {
                    ctx.emit(EventKind::Value {
                        name: "read".into(),
                        value: json!(seen),
                    });
                    ctx.slot_gate(i as usize, "write");
                }
                if hold > 0.0 {
                    ctx.sleep(hold);
                }
                shared.store(std::hint::black_box(seen + 1), Relaxed);
                if schedule {
                    ctx.emit(EventKind::Value {
                        name: "wrote".into(),
                        value: json!(seen + 1),
                    });
                }
                if use_lock {
                    release(ctx, &lock, "lock", held);
                }
            }
            // Slowed, the last batch is said too: the four `added` sum to every
            // addition made, to be compared with the counter.
            if ctx.slowed() && !schedule && increments > 0 {
                report_progress(ctx, counter, increments);
            }
            ctx.exit(0);
        }
    }
    ctx.gate("forked");
    go.set();
    ctx.wait_all();
    let (total, expected) = (counter.load(Relaxed), i64::from(workers) * increments);
    ctx.emit(EventKind::Value {
        name: "counter".into(),
        value: json!(total),
    });
    ctx.print(format!(
        "counter = {total}, expected {expected}, lost {}",
        expected - total
    ));
    ctx.result("counter", json!(total));
    ctx.result("expected", json!(expected));
    ctx.result("lost", json!(expected - total));
    ctx.gate("counted");
}

/// `sem.acquire()`: `blocked` (on `blocked_on`) if it must wait, then `lock_acquire`
/// with the wait. Returns when it was taken (lesson clock, ns) if the acquisition was reported (every one
/// while `traced`, and every one that waited), so the release is reported in pairs.
pub fn acquire(
    ctx: &Ctx,
    sem: &Semaphore,
    name: &str,
    blocked_on: &str,
    traced: bool,
) -> Option<u64> {
    // Waits and holds are timed on the lesson clock: a step held meanwhile is not the
    // lock's doing.
    let started = ctx.control().lesson_ns();
    let waited = !sem.try_acquire();
    if waited {
        ctx.emit(EventKind::Blocked {
            on: blocked_on.into(),
        });
        sem.acquire();
    }
    (traced || waited).then(|| {
        let now = ctx.control().lesson_ns();
        let waited_us = if waited {
            now.saturating_sub(started) / 1000
        } else {
            0
        };
        ctx.emit(EventKind::LockAcquire {
            lock: name.into(),
            waited_us,
        });
        now
    })
}

/// `sem.release()`, reported (with how long it was held) if the acquire was.
pub fn release(ctx: &Ctx, sem: &Semaphore, name: &str, held_since: Option<u64>) {
    // The event goes out before the release, so no one's acquire can precede it.
    if let Some(since) = held_since {
        ctx.emit(EventKind::LockRelease {
            lock: name.into(),
            waited_us: 0,
            held_us: ctx.control().lesson_ns().saturating_sub(since) / 1000,
        });
    }
    sem.release();
}
