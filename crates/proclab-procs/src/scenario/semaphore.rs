//! `Semaphore(permits)`: at most `permits` workers inside at once; the others are
//! visibly queued, asleep in the kernel until a permit is given back.

use nix::unistd::getpid;

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::lock::{acquire, release};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};
use crate::ipc::{sem::Semaphore, shm::SharedRegion};

pub const SCENARIO: Scenario = Scenario {
    id: "semaphore",
    title: "Semaphore: at most N inside",
    view: super::View::locks(super::Primitive::Semaphore),
    params: &[PERMITS, WORKERS],
    gates: &["start", "forked", "done"],
    process_gates: &[],
    reports: &[],
    peak_processes: |p| {
        let workers = SemaphoreParams::from_params(p)?.workers;
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
        run(ctx, &SemaphoreParams::from_params(p)?);
        Ok(())
    },
};

const PERMITS: ParamSpec = ParamSpec {
    name: "permits",
    kind: ParamKind::Int { min: 1, max: 16 },
    default: ParamValue::Int(2),
    help: "workers allowed inside at once",
};
const WORKERS: ParamSpec = ParamSpec {
    name: "workers",
    kind: ParamKind::Int { min: 1, max: 16 },
    default: ParamValue::Int(5),
    help: "workers that want in",
};

struct SemaphoreParams {
    permits: u32,
    workers: u32,
}

impl Typed for SemaphoreParams {
    fn from_params(p: &Params) -> Result<SemaphoreParams, ParamError> {
        Ok(SemaphoreParams {
            permits: p.int(&PERMITS)?,
            workers: p.int(&WORKERS)?,
        })
    }
}

const INSIDE: f64 = 1.5;

fn run(ctx: &mut Ctx, p: &SemaphoreParams) {
    let (permits, workers) = (p.permits, p.workers);
    let Ok(region) = SharedRegion::new(4096) else {
        return ctx.print("cannot map shared memory");
    };
    let Ok(sem) = Semaphore::new(&region, permits) else {
        return ctx.print("cannot create the semaphore");
    };
    ctx.print(format!(
        "main {}: Semaphore({permits}), {workers} workers",
        getpid()
    ));
    ctx.gate("start");
    for i in 0..workers {
        if ctx.fork(&format!("worker {i}")) == Forked::Child {
            let held = acquire(ctx, &sem, "semaphore", "semaphore", true);
            ctx.print(format!("worker {i}: inside"));
            ctx.sleep(INSIDE);
            ctx.print(format!("worker {i}: leaving"));
            release(ctx, &sem, "semaphore", held);
            ctx.exit(0);
        }
    }
    ctx.gate("forked");
    ctx.wait_all();
    ctx.gate("done");
}
