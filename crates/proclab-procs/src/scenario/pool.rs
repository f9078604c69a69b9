//! `Pool`: worker processes take tasks `task(n) = sum(range(n))` from a task queue and
//! put results on a result queue; the caller receives them in the order its call
//! promises — `map` all at once in submission order, `imap` one by one in submission
//! order, `imap_unordered` as they finish, `apply_async` one AsyncResult per task.

use std::borrow::Cow;
use std::collections::BTreeMap;

use nix::unistd::getpid;
use serde_json::{Value, json};

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};
use crate::ipc::{
    queue::{Queue, Wait},
    shm::SharedRegion,
};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "pool",
    title: "Pool: map, imap, imap_unordered",
    view: super::View::WORK,
    params: &[WORKERS, MODE, TASKS, PACE_MS],
    gates: &["start", "submitted", "collected"],
    process_gates: &[],
    reports: &["task"],
    peak_processes: |p| {
        let workers = PoolParams::from_params(p)?.workers;
        let n = workers + 1;
        Ok((
            u64::from(n),
            format!("1 caller + {workers} pool workers = {n}"),
        ))
    },
    run: |ctx, p| {
        run(ctx, &PoolParams::from_params(p)?);
        Ok(())
    },
};

const WORKERS: ParamSpec = ParamSpec {
    name: "workers",
    kind: ParamKind::Int { min: 1, max: 16 },
    default: ParamValue::Int(2),
    help: "processes in the pool",
};
/// The choices, in the order of `Mode`'s variants.
const MODES: &[&str] = &["map", "imap", "imap_unordered", "apply_async"];
const MODE: ParamSpec = ParamSpec {
    name: "mode",
    kind: ParamKind::Choice(MODES),
    default: ParamValue::Name(Cow::Borrowed("imap")),
    help: "how the caller receives the results",
};
const TASKS: ParamSpec = ParamSpec {
    name: "tasks",
    kind: ParamKind::IntList,
    default: ParamValue::IntList(Cow::Borrowed(&[2_000_000, 200_000])),
    help: "n of each task(n) = sum(range(n))",
};
const PACE_MS: ParamSpec = ParamSpec {
    name: "pace_ms",
    kind: ParamKind::Int {
        min: 0,
        max: 10_000,
    },
    default: ParamValue::Int(50),
    help: "lesson time a worker spends per 100,000 numbers (0: full speed)",
};

/// How the caller receives the results.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The whole list, in submission order, once all are done.
    Map,
    /// One by one in submission order.
    Imap,
    /// One by one as they finish.
    ImapUnordered,
    /// `apply_async(...).get()` for each, in submission order.
    ApplyAsync,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Map => MODES[0],
            Mode::Imap => MODES[1],
            Mode::ImapUnordered => MODES[2],
            Mode::ApplyAsync => MODES[3],
        }
    }
}

struct PoolParams {
    workers: u32,
    mode: Mode,
    /// n of each task(n).
    tasks: Vec<u64>,
    /// Lesson seconds per 100,000 numbers.
    pace: f64,
}

impl Typed for PoolParams {
    fn from_params(p: &Params) -> Result<PoolParams, ParamError> {
        let mode = match p.choice(&MODE)? {
            0 => Mode::Map,
            1 => Mode::Imap,
            2 => Mode::ImapUnordered,
            _ => Mode::ApplyAsync,
        };
        Ok(PoolParams {
            workers: p.int(&WORKERS)?,
            mode,
            tasks: p.ints(&TASKS)?,
            pace: f64::from(p.int::<u32>(&PACE_MS)?) / 1000.0,
        })
    }
}

const PACE_EVERY: u64 = 100_000;

fn run(ctx: &mut Ctx, p: &PoolParams) {
    let (workers, mode, tasks, pace) = (p.workers, p.mode, &p.tasks, p.pace);
    let Ok(region) = SharedRegion::new(4096) else {
        return ctx.print("cannot map shared memory");
    };
    let (Ok(todo), Ok(done)) = (Queue::new(&region, 0), Queue::new(&region, 0)) else {
        return ctx.print("cannot create the pool's queues");
    };
    ctx.print(format!(
        "main {}: Pool({workers}).{}(task, {tasks:?})",
        getpid(),
        mode.name()
    ));
    ctx.gate("start");
    for i in 0..workers {
        if ctx.fork(&format!("ForkPoolWorker-{}", i + 1)) == Forked::Child {
            work(ctx, &todo, &done, pace);
        }
    }
    for (index, n) in tasks.iter().enumerate() {
        let _ = todo.put(&json!([index, n]), |_| {}, |_| {});
    }
    ctx.gate("submitted");
    collect(ctx, &done, mode, tasks);
    for _ in 0..workers {
        let _ = todo.put(&Value::Null, |_| {}, |_| {});
    }
    ctx.wait_all();
    ctx.gate("collected");
}

/// Receives every result and hands them to the caller in the order `mode` promises.
fn collect(ctx: &mut Ctx, done: &Queue, mode: Mode, tasks: &[u64]) {
    let mut waiting: BTreeMap<usize, u64> = BTreeMap::new();
    let mut next = 0;
    let mut all = Vec::new();
    for _ in 0..tasks.len() {
        let Ok((item, _)) = done.get(|why: Wait| {
            ctx.emit(EventKind::Blocked {
                on: why.as_str().into(),
            })
        }) else {
            return;
        };
        let (Some(index), Some(result)) = (
            item[0].as_u64().and_then(|i| usize::try_from(i).ok()),
            item[1].as_u64(),
        ) else {
            continue;
        };
        let Some(&n) = tasks.get(index) else {
            continue;
        };
        match mode {
            Mode::ImapUnordered => deliver(ctx, index, n, result),
            Mode::Map => {
                waiting.insert(index, result);
            }
            Mode::Imap | Mode::ApplyAsync => {
                // imap and apply_async(...).get() in submission order: a finished task
                // waits for the ones submitted before it.
                waiting.insert(index, result);
                while let Some(result) = waiting.remove(&next) {
                    deliver(ctx, next, tasks[next], result);
                    next += 1;
                }
            }
        }
    }
    if mode == Mode::Map {
        // map returns the whole list, in submission order, only when all are done.
        for (index, result) in std::mem::take(&mut waiting) {
            all.push(result);
            ctx.result(
                "task",
                json!({"index": index, "n": tasks[index], "result": result}),
            );
        }
        ctx.print(format!("map returned {all:?}"));
    }
}

fn deliver(ctx: &mut Ctx, index: usize, n: u64, result: u64) {
    ctx.result("task", json!({"index": index, "n": n, "result": result}));
    ctx.print(format!("task({n}) = {result}"));
}

/// A pool worker: take a task, compute it for real, put the result; stop on None.
fn work(ctx: &Ctx, todo: &Queue, done: &Queue, pace: f64) -> ! {
    loop {
        let Ok((task, _)) = todo.get(|why: Wait| {
            ctx.emit(EventKind::Blocked {
                on: why.as_str().into(),
            })
        }) else {
            ctx.exit(1)
        };
        let (Some(index), Some(n)) = (task[0].as_u64(), task[1].as_u64()) else {
            ctx.exit(0)
        };
        ctx.emit(EventKind::Value {
            name: "task".into(),
            value: json!(index),
        });
        let result = sum_range(n, |done| {
            ctx.emit(EventKind::Progress { done, total: n });
            ctx.sleep(pace);
        });
        // Idle before the result goes out, so the caller can never hold a result whose
        // worker still shows the task.
        ctx.emit(EventKind::Value {
            name: "task".into(),
            value: Value::Null,
        });
        // Said as it goes onto the result queue: the screens mark a result the worker
        // finished and the caller has not been handed yet (held back by imap's order)
        // from this and the caller's `task` result, both observed.
        ctx.emit(EventKind::Send {
            channel: "results".into(),
            item: json!({"index": index, "result": result}),
            repr: None,
        });
        let _ = done.put(&json!([index, result]), |_| {}, |_| {});
    }
}

/// `sum(range(n))` by really adding every number (`black_box` stops the compiler from
/// using the closed form), calling `every` after each PACE_EVERY numbers.
pub fn sum_range(n: u64, mut every: impl FnMut(u64)) -> u64 {
    let mut total = 0u64;
    let mut i = 0;
    while i < n {
        let stop = (i + PACE_EVERY).min(n);
        for k in i..stop {
            total = total.wrapping_add(std::hint::black_box(k));
        }
        i = stop;
        every(i);
    }
    total
}

#[cfg(test)]
mod tests {
    #[test]
    fn sum_range_is_sum_of_range() {
        assert_eq!(super::sum_range(2_000_000, |_| {}), 1_999_999_000_000);
        assert_eq!(super::sum_range(0, |_| {}), 0);
    }
}
