//! Producer–consumer through a `Queue(maxsize)`: producers put items, consumers get
//! them, and one `None` per consumer tells it to stop. A put on a full queue and a get
//! on an empty one really sleep in the kernel (the observer shows why).

use std::sync::atomic::{AtomicU64, Ordering};

use nix::unistd::getpid;
use serde_json::{Value, json};

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamKind, ParamSpec, ParamValue, Params};
use crate::ipc::{
    queue::{Queue, Wait},
    shm::SharedRegion,
};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "queue",
    title: "Queue: producers and consumers",
    view: super::View::MESSAGES,
    params: &[
        ParamSpec {
            name: "producers",
            kind: ParamKind::Int { min: 1, max: 16 },
            default: ParamValue::Int(2),
            help: "processes that put items",
        },
        ParamSpec {
            name: "consumers",
            kind: ParamKind::Int { min: 1, max: 16 },
            default: ParamValue::Int(3),
            help: "processes that get items",
        },
        ParamSpec {
            name: "maxsize",
            kind: ParamKind::Int {
                min: 0,
                max: 10_000,
            },
            default: ParamValue::Int(10),
            help: "queue capacity (0: unbounded)",
        },
        ParamSpec {
            name: "items",
            kind: ParamKind::Int {
                min: 0,
                max: 10_000_000,
            },
            default: ParamValue::Int(20),
            help: "items in all, shared out among the producers",
        },
        ParamSpec {
            name: "put_ms",
            kind: ParamKind::Int {
                min: 0,
                max: 10_000,
            },
            default: ParamValue::Int(200),
            help: "a producer's pause before each put (lesson time)",
        },
        ParamSpec {
            name: "get_ms",
            kind: ParamKind::Int {
                min: 0,
                max: 10_000,
            },
            default: ParamValue::Int(500),
            help: "a consumer's work on each item (lesson time)",
        },
    ],
    gates: &["start", "producing", "producers-done", "done"],
    process_gates: &[],
    reports: &["items"],
    peak_processes: |p| {
        let n = p.int("producers") + p.int("consumers") + 1;
        (
            n as u64,
            format!(
                "1 parent + {} + {} = {n}",
                super::params::count(p.int("producers"), "producer", "producers"),
                super::params::count(p.int("consumers"), "consumer", "consumers")
            ),
        )
    },
    run,
};

const QUEUE: &str = "q";

fn run(ctx: &mut Ctx, p: &Params) {
    let (producers, consumers) = (p.int("producers"), p.int("consumers"));
    let items = p.int("items");
    let (put_pause, get_work) = (
        p.int("put_ms") as f64 / 1000.0,
        p.int("get_ms") as f64 / 1000.0,
    );
    let region = match SharedRegion::new(4096) {
        Ok(r) => r,
        Err(e) => return ctx.print(format!("cannot map shared memory: {e}")),
    };
    let q = match Queue::new(&region, p.int("maxsize") as u32) {
        Ok(q) => q,
        Err(e) => return ctx.print(format!("cannot create the queue: {e}")),
    };
    // How many items the consumers really got (the quiz asks it): a word every
    // consumer adds to, read by main once all have been reaped.
    let Ok(got) = region.alloc::<AtomicU64>() else {
        return ctx.print("cannot map the shared counter");
    };
    ctx.print(format!(
        "main {}: Queue(maxsize={})",
        getpid(),
        p.int("maxsize")
    ));
    ctx.gate("start");
    let mut producer_pids = Vec::new();
    for i in 0..producers {
        match ctx.fork(&format!("producer {i}")) {
            Ok(Forked::Child) => {
                // Items i, i + producers, i + 2·producers, …: every item exactly once.
                for item in (i..items).step_by(producers as usize) {
                    ctx.sleep(put_pause);
                    put(ctx, &q, json!(item));
                }
                ctx.exit(0);
            }
            Ok(Forked::Parent(pid)) => producer_pids.push(pid),
            Err(_) => return,
        }
    }
    for j in 0..consumers {
        if let Ok(Forked::Child) = ctx.fork(&format!("consumer {j}")) {
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

fn consume(ctx: &Ctx, q: &Queue, j: i64, work: f64, got: &AtomicU64) -> ! {
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
