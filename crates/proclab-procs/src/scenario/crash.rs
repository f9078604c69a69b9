//! A crashing child: an uncaught error ends the child with exit code 1 (as an
//! uncaught Python exception does); the parent's wait returns, reports the exit code,
//! and the parent carries on. Along the way, `Process`'s attributes before start,
//! after start and after join.

use nix::unistd::getpid;

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::zombie::python_bool;
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "crash",
    title: "A crashing child and its exit code",
    view: super::View::TREE,
    params: &[],
    gates: &["start", "started", "joined"],
    process_gates: &[],
    reports: &["exitcode", "is_alive"],
    peak_processes: |_| Ok((2, "1 parent + 1 child = 2".into())),
    run: |ctx, _| {
        run(ctx);
        Ok(())
    },
};

const CHILD_WORKS: f64 = 1.5;
const NAME: &str = "Process-1";

fn run(ctx: &mut Ctx) {
    ctx.print(format!("main {}: p = Process(target=divide)", getpid()));
    attributes(ctx, None, false, None);
    ctx.gate("start");
    let child = match ctx.fork(NAME) {
        Forked::Child => {
            ctx.print(format!("{NAME} {}: dividing by zero", getpid()));
            ctx.sleep(CHILD_WORKS);
            let divisor = std::hint::black_box(0i64);
            // A real runtime error, as `1 / 0` is in Python; the runner's panic hook
            // prints it and ends this child with exit code 1.
            let q = 1i64
                .checked_div(divisor)
                .unwrap_or_else(|| panic!("ZeroDivisionError: division by zero"));
            ctx.print(format!("never printed: {q}"));
            ctx.exit(0);
        }
        Forked::Parent(pid) => pid,
    };
    let code_of = |o: crate::trace::event::WaitOutcome| match o {
        crate::trace::event::WaitOutcome::Exited(c) => c,
        other => -other.raw(),
    };
    // `is_alive()` polls: if the child already ended (a fast run), that poll reaped it
    // and, as in Python, set its exitcode; `join()` then returns at once.
    let early = ctx.poll_child(child).map(code_of);
    attributes(ctx, Some(child.as_raw()), early.is_none(), early);
    ctx.gate("started");
    let code = early.or_else(|| ctx.wait_child(child).map(code_of));
    attributes(ctx, Some(child.as_raw()), false, code);
    if let Some(code) = code {
        ctx.result("exitcode", code.into());
    }
    ctx.print("main: the child crashed, main carries on");
    ctx.gate("joined");
}

/// `p.name, p.pid, p.is_alive(), p.exitcode` as Python prints them.
fn attributes(ctx: &Ctx, pid: Option<i32>, alive: bool, exitcode: Option<i32>) {
    let none = || "None".to_string();
    ctx.emit(EventKind::Value {
        name: "is_alive".into(),
        value: alive.into(),
    });
    ctx.print(format!(
        "name={NAME} pid={} is_alive={} exitcode={}",
        pid.map_or_else(none, |p| p.to_string()),
        python_bool(alive),
        exitcode.map_or_else(none, |c| c.to_string()),
    ));
}
