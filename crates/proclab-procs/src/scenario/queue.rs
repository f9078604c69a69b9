//! Producer–consumer through a `Queue(maxsize)`: producers put items, consumers get
//! them, and one `None` per consumer tells it to stop. A put on a full queue and a get
//! on an empty one really sleep in the kernel (the observer shows why).

use std::sync::atomic::{AtomicU64, Ordering};

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
    id: "queue",
    title: "Queue: producers and consumers",
    view: super::View::MESSAGES,
    params: &[PRODUCERS, CONSUMERS, MAXSIZE, ITEMS, PUT_MS, GET_MS],
    gates: &["start", "producing", "producers-done", "done"],
    process_gates: &[],
    reports: &["items"],
    peak_processes: |p| {
        let QueueParams {
            producers,
            consumers,
            ..
        } = QueueParams::from_params(p)?;
        let n = producers + consumers + 1;
        Ok((
            u64::from(n),
            format!(
                "1 parent + {} + {} = {n}",
                super::params::count(producers, "producer", "producers"),
                super::params::count(consumers, "consumer", "consumers")
            ),
        ))
    },
    run: |ctx, p| {
        run(ctx, &QueueParams::from_params(p)?);
        Ok(())
    },
};

const PRODUCERS: ParamSpec = ParamSpec {
    name: "producers",
    kind: ParamKind::Int { min: 1, max: 16 },
    default: ParamValue::Int(2),
    help: "processes that put items",
};
const CONSUMERS: ParamSpec = ParamSpec {
    name: "consumers",
    kind: ParamKind::Int { min: 1, max: 16 },
    default: ParamValue::Int(3),
    help: "processes that get items",
};
const MAXSIZE: ParamSpec = ParamSpec {
    name: "maxsize",
    kind: ParamKind::Int {
        min: 0,
        max: 10_000,
    },
    default: ParamValue::Int(10),
    help: "queue capacity (0: unbounded)",
};
const ITEMS: ParamSpec = ParamSpec {
    name: "items",
    kind: ParamKind::Int {
        min: 0,
        max: 10_000_000,
    },
    default: ParamValue::Int(20),
    help: "items in all, shared out among the producers",
};
const PUT_MS: ParamSpec = ParamSpec {
    name: "put_ms",
    kind: ParamKind::Int {
        min: 0,
        max: 10_000,
    },
    default: ParamValue::Int(200),
    help: "a producer's pause before each put (lesson time)",
};
const GET_MS: ParamSpec = ParamSpec {
    name: "get_ms",
    kind: ParamKind::Int {
        min: 0,
        max: 10_000,
    },
    default: ParamValue::Int(500),
    help: "a consumer's work on each item (lesson time)",
};

struct QueueParams {
    producers: u32,
    consumers: u32,
    /// The queue's capacity (0: unbounded).
    maxsize: u32,
    items: u32,
    /// Lesson seconds a producer pauses before each put, and a consumer works on
    /// each item.
    put_pause: f64,
    get_work: f64,
}

impl Typed for QueueParams {
    fn from_params(p: &Params) -> Result<QueueParams, ParamError> {
        let secs = |spec| p.int::<u32>(spec).map(|ms| f64::from(ms) / 1000.0);
        Ok(QueueParams {
            producers: p.int(&PRODUCERS)?,
            consumers: p.int(&CONSUMERS)?,
            maxsize: p.int(&MAXSIZE)?,
            items: p.int(&ITEMS)?,
            put_pause: secs(&PUT_MS)?,
            get_work: secs(&GET_MS)?,
        })
    }
}

const QUEUE: &str = "q";

fn run(ctx: &mut Ctx, p: &QueueParams) {
    let (producers, consumers, items) = (p.producers, p.consumers, p.items);
    let (put_pause, get_work) = (p.put_pause, p.get_work);
    let region = match SharedRegion::new(4096) {
        Ok(r) => r,
        Err(e) => return ctx.print(format!("cannot map shared memory: {e}")),
    };
    let q = match Queue::new(&region, p.maxsize) {
        Ok(q) => q,
        Err(e) => return ctx.print(format!("cannot create the queue: {e}")),
    };
    // How many items the consumers really got (the quiz asks it): a word every
    // consumer adds to, read by main once all have been reaped.
    let Ok(got) = region.alloc::<AtomicU64>() else {
        return ctx.print("cannot map the shared counter");
    };
    ctx.print(format!("main {}: Queue(maxsize={})", getpid(), p.maxsize));
    ctx.gate("start");
    let mut producer_pids = Vec::new();
    for i in 0..producers {
        match ctx.fork(&format!("producer {i}")) {
            Forked::Child => {
                // Items i, i + producers, i + 2·producers, …: every item exactly once.
                // `step_by` takes a usize; a u32 always fits one on the targets proclab
                // builds for (64-bit Linux), and `max(1)` cannot matter (1..=16).
                let step = usize::try_from(producers).unwrap_or(usize::MAX).max(1);
                for item in (i..items).step_by(step) {
                    ctx.sleep(put_pause);
                    put(ctx, &q, json!(item));
                }
                ctx.exit(0);
            }
            Forked::Parent(pid) => producer_pids.push(pid),
        }
    }
    for j in 0..consumers {
        if ctx.fork(&format!("consumer {j}")) == Forked::Child {
            consume(ctx, &q, j, get_work, got);
        }
    }
    ctx.gate("producing");
    for pid in producer_pids {
        ctx.wait_child(pid);
    }
    ctx.gate("producers-done");
    for _ in 0..consumers {
        put(ctx, &q, Value::Null);
    }
    ctx.wait_all();
    ctx.result("items", got.load(Ordering::SeqCst).into());
    ctx.gate("done");
}

/// The `queue_put` event is written before the item, so no `queue_get` of it can
/// come first on the wire.
fn put(ctx: &Ctx, q: &Queue, item: Value) {
    let blocked = |why: Wait| {
        ctx.emit(EventKind::Blocked {
            on: why.as_str().into(),
        })
    };
    let put = |len| {
        ctx.emit(EventKind::QueuePut {
            queue: QUEUE.into(),
            item: item.clone(),
            len,
        })
    };
    if let Err(e) = q.put(&item, blocked, put) {
        ctx.print(format!("q.put failed: {e}"));
    }
}

fn consume(ctx: &Ctx, q: &Queue, j: u32, work: f64, got: &AtomicU64) -> ! {
    loop {
        let blocked = |why: Wait| {
            ctx.emit(EventKind::Blocked {
                on: why.as_str().into(),
            })
        };
        let Ok((item, op)) = q.get(blocked) else {
            ctx.exit(1)
        };
        ctx.emit(EventKind::QueueGet {
            queue: QUEUE.into(),
            item: item.clone(),
            len: op.len,
        });
        if item.is_null() {
            ctx.print(format!("consumer {j}: got None, stopping"));
            ctx.exit(0);
        }
        got.fetch_add(1, Ordering::SeqCst);
        // No print per item: the queue_get event says it (and keeps busy runs fast).
        ctx.sleep(work);
    }
}
