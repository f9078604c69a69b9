//! The parallel pi computation: pi = sqrt(8 · Σ 1/(2k+1)²), the terms split into
//! `workers` equal slices, one forked process per slice. Each worker reports its
//! progress and sends its partial sum back over its own Pipe; the parent adds the
//! parts in slice order. With `sweep`, the same sum runs with 1, 2, … workers and the
//! parent reports each time and speedup.

use nix::unistd::{Pid, getpid};
use serde_json::json;

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};
use crate::ipc::pipe::{Conn, pipe};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "pi",
    title: "Computing pi on every core",
    view: super::View::WORK,
    params: &[WORKERS, TERMS, SWEEP],
    gates: &["start", "forked", "summed", "swept"],
    process_gates: &[],
    reports: &["pi", "seconds", "slowed", "time_*", "speedup_*"],
    peak_processes: |p| {
        let workers = PiParams::from_params(p)?.workers;
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
        run(ctx, &PiParams::from_params(p)?);
        Ok(())
    },
};

const WORKERS: ParamSpec = ParamSpec {
    name: "workers",
    kind: ParamKind::Int { min: 1, max: 32 },
    default: ParamValue::Int(10),
    help: "processes, one slice of the series each",
};
const TERMS: ParamSpec = ParamSpec {
    name: "terms",
    kind: ParamKind::Int {
        min: 1,
        max: 100_000_000_000,
    },
    default: ParamValue::Int(10_000_000),
    help: "terms of the series in all",
};
const SWEEP: ParamSpec = ParamSpec {
    name: "sweep",
    kind: ParamKind::Bool,
    default: ParamValue::Bool(false),
    help: "run with 1, 2, … workers and report each speedup",
};

struct PiParams {
    workers: u32,
    terms: u64,
    /// Run with 1, 2, … workers, each round timed.
    sweep: bool,
}

impl Typed for PiParams {
    fn from_params(p: &Params) -> Result<PiParams, ParamError> {
        Ok(PiParams {
            workers: p.int(&WORKERS)?,
            terms: p.int(&TERMS)?,
            sweep: p.flag(&SWEEP)?,
        })
    }
}

/// Iterations between two looks at the pause flag (cheap: one atomic load).
const CHUNK: u64 = 1 << 16;
/// Progress events per worker over its slice.
const REPORTS: u64 = 50;

/// Σ 1/(2k+1)² for k in `range`, calling `between` every CHUNK terms.
#[allow(
    clippy::cast_precision_loss,
    reason = "the series as the Python program computes it (float(2 * k + 1)); k stays far below 2^52 (terms <= 1e11)"
)]
pub fn partial_sum(range: std::ops::Range<u64>, mut between: impl FnMut(u64)) -> f64 {
    let mut sum = 0.0f64;
    let mut k = range.start;
    while k < range.end {
        let stop = (k + CHUNK).min(range.end);
        for j in k..stop {
            let d = (2 * j + 1) as f64;
            sum += 1.0 / (d * d);
        }
        k = stop;
        between(k - range.start);
    }
    sum
}

/// Worker `i` of `n`: its slice of 0..terms (the last takes the remainder).
pub fn slice(i: u64, n: u64, terms: u64) -> std::ops::Range<u64> {
    let size = terms / n;
    let start = i * size;
    let end = if i + 1 == n { terms } else { start + size };
    start..end
}

fn run(ctx: &mut Ctx, p: &PiParams) {
    let (workers, terms) = (u64::from(p.workers), p.terms);
    ctx.print(format!(
        "main {}: {terms} terms, {workers} workers",
        getpid()
    ));
    ctx.gate("start");
    // Read as the work starts (a lesson in step mode slows the run before this gate
    // is released) and again when it is done (while playing, the front end slows it
    // a moment after main passed the gate).
    let slowed_at_start = ctx.slowed();
    if p.sweep {
        let mut first = None;
        for n in 1..=workers {
            let Some((pi, secs)) = compute(ctx, n, terms) else {
                return;
            };
            let base = *first.get_or_insert(secs);
            let speedup = base / secs;
            ctx.print(format!(
                "workers={n} pi={pi:.11} time={secs:.3}s speedup={speedup:.2}"
            ));
            ctx.result(&format!("time_{n}"), json!(secs));
            ctx.result(&format!("speedup_{n}"), json!(speedup));
        }
        if slowed_at_start || ctx.slowed() {
            ctx.print("(slow motion: these times are the slowed run's, not speed measurements)");
            ctx.result("slowed", json!(true));
        }
        ctx.gate("swept");
    } else if let Some((pi, secs)) = compute(ctx, workers, terms) {
        ctx.print(format!("pi = {pi:.11}"));
        ctx.print(format!("{workers} workers took {secs:.3}s"));
        if slowed_at_start || ctx.slowed() {
            // Said where the time is: a slowed run measures its slow motion.
            ctx.print("(slow motion: this time is the slowed run's, not a speed measurement)");
            ctx.result("slowed", json!(true));
        }
        ctx.result("pi", json!(pi));
        ctx.result("seconds", json!(secs));
        ctx.gate("summed");
    }
}

/// One parallel computation with `n` workers: returns pi and the wall time, from just
/// before the first fork to the moment the last worker finished its slice. The end is
/// each worker's own clock reading, not when main received it: in step mode main may
/// sit at its gate long after the work is done. Both ends are on the lesson clock
/// (CLOCK_MONOTONIC, one clock for every process, minus the time the run stood still
/// at steps or paused): that wait is the learner's, not the computation's.
#[allow(
    clippy::cast_precision_loss,
    reason = "nanoseconds of one computation as seconds: far below 2^52 ns (52 days)"
)]
fn compute(ctx: &mut Ctx, n: u64, terms: u64) -> Option<(f64, f64)> {
    let started_ns = ctx.control().lesson_ns();
    let mut parts: Vec<(Pid, Conn)> = Vec::new();
    for i in 0..n {
        let Ok((ours, theirs)) = pipe() else {
            ctx.print("cannot create a pipe");
            return None;
        };
        match ctx.fork(&format!("worker {i}")) {
            Forked::Child => worker(ctx, &theirs, slice(i, n, terms)),
            Forked::Parent(pid) => parts.push((pid, ours)),
        }
    }
    ctx.gate("forked");
    let mut total = 0.0;
    let mut finished_ns = started_ns;
    for (i, (pid, conn)) in parts.iter().enumerate() {
        let got = conn.recv(|| ctx.emit(EventKind::Blocked { on: "recv".into() }));
        let got = got.ok()?;
        let (part, done_ns) = (got[0].as_f64()?, got[1].as_u64()?);
        finished_ns = finished_ns.max(done_ns);
        ctx.emit(EventKind::Recv {
            channel: format!("worker {i}"),
            item: json!(part),
            repr: None,
        });
        total += part;
        ctx.wait_child(*pid);
    }
    let secs = finished_ns.saturating_sub(started_ns) as f64 / 1e9;
    Some(((8.0 * total).sqrt(), secs))
}

fn worker(ctx: &Ctx, conn: &Conn, range: std::ops::Range<u64>) -> ! {
    let total = range.end - range.start;
    let step = (total / REPORTS).max(1);
    let mut next = step;
    ctx.emit(EventKind::Progress { done: 0, total });
    let mut pace = super::ctx::Pace::start();
    let sum = partial_sum(range, |done| {
        // Stand still with the run (paused, or held at a step) without slowing the
        // loop: a few atomic loads per CHUNK terms.
        if ctx.control().must_wait() {
            ctx.stand_still("work");
        }
        if done >= next || done == total {
            ctx.emit(EventKind::Progress { done, total });
            next = done + step;
        }
        // A lesson's slow motion: each chunk is real work at full speed, then a rest.
        ctx.keep_pace(&mut pace);
    });
    ctx.emit(EventKind::Send {
        channel: "result".into(),
        item: json!(sum),
        repr: None,
    });
    // The partial sum, and when this slice was done (see `compute`).
    let _ = conn.send(&json!([sum, ctx.control().lesson_ns()]));
    ctx.exit(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_every_term_once() {
        let parts: Vec<_> = (0..3).map(|i| slice(i, 3, 10)).collect();
        assert_eq!(parts, vec![0..3, 3..6, 6..10]);
    }

    #[test]
    fn the_tutorials_value_to_twelve_digits() {
        let sum: f64 = (0..10)
            .map(|i| partial_sum(slice(i, 10, 10_000_000), |_| {}))
            .sum();
        let pi = (8.0 * sum).sqrt();
        assert_eq!(format!("{pi:.11}"), "3.14159262176");
    }
}
