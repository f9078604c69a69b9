//! `Event`: waiters sleep until one process sets the flag; every waiter wakes at once.

use nix::unistd::getpid;
use serde_json::json;

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};
use crate::ipc::{event::Event, shm::SharedRegion};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "event",
    title: "Event: one signal wakes them all",
    view: super::View::locks(super::Primitive::Event),
    params: &[WAITERS],
    gates: &["start", "waiting", "set"],
    process_gates: &[],
    reports: &["event"],
    peak_processes: |p| {
        let waiters = EventParams::from_params(p)?.waiters;
        let n = waiters + 2;
        Ok((
            u64::from(n),
            format!(
                "1 parent + 1 setter + {} = {n}",
                super::params::count(waiters, "waiter", "waiters")
            ),
        ))
    },
    run: |ctx, p| {
        run(ctx, &EventParams::from_params(p)?);
        Ok(())
    },
};

const WAITERS: ParamSpec = ParamSpec {
    name: "waiters",
    kind: ParamKind::Int { min: 1, max: 16 },
    default: ParamValue::Int(3),
    help: "processes waiting for the event",
};

struct EventParams {
    waiters: u32,
}

impl Typed for EventParams {
    fn from_params(p: &Params) -> Result<EventParams, ParamError> {
        Ok(EventParams {
            waiters: p.int(&WAITERS)?,
        })
    }
}

const SETTER_PAUSE: f64 = 3.0;

fn run(ctx: &mut Ctx, p: &EventParams) {
    let waiters = p.waiters;
    let Ok(region) = SharedRegion::new(4096) else {
        return ctx.print("cannot map shared memory");
    };
    let Ok(event) = Event::new(&region) else {
        return ctx.print("cannot create the event");
    };
    ctx.print(format!("main {}: e = Event(), {waiters} waiters", getpid()));
    ctx.gate("start");
    for i in 0..waiters {
        if ctx.fork(&format!("waiter {i}")) == Forked::Child {
            ctx.print(format!("waiter {i}: waiting"));
            if !event.is_set() {
                ctx.emit(EventKind::Blocked { on: "event".into() });
                event.wait();
            }
            ctx.print(format!("waiter {i}: woke up"));
            ctx.exit(0);
        }
    }
    if ctx.fork("setter") == Forked::Child {
        ctx.sleep(SETTER_PAUSE);
        ctx.print("setter: e.set()");
        ctx.emit(EventKind::Value {
            name: "event".into(),
            value: json!(1),
        });
        event.set();
        ctx.exit(0);
    }
    ctx.gate("waiting");
    ctx.wait_all();
    ctx.gate("set");
}
