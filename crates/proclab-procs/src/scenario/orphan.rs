//! Orphans: a parent exits while its child still runs. The kernel gives the child a
//! new parent: the nearest "child subreaper" above it (here the proclab runner), or
//! PID 1 without one. The adopter is the one that reaps it.

use nix::unistd::{getpid, getppid};

use super::Scenario;
use super::ctx::{Ctx, Forked, arm_after_adoption};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "orphan",
    title: "Orphans: the parent exits first",
    view: super::View::TREE,
    params: &[],
    gates: &["start", "orphaned", "adopted-reaped"],
    process_gates: &[],
    reports: &[],
    peak_processes: |_| Ok((3, "main + parent + child = 3".into())),
    run: |ctx, _| {
        run(ctx);
        Ok(())
    },
};

const PARENT_LIVES: f64 = 2.0;
const CHILD_AFTER_ADOPTION: f64 = 2.5;
/// Real time between two looks at the parent before adoption.
const ADOPTION_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// Debug trigger, for the tests only (ARCHITECTURE.md, "Debug triggers"):
/// `PROCLAB_DEBUG_ORPHAN_LOOK_AFTER_MS=N` makes the child wait N ms of real time before
/// it first calls getppid(), so a test can make the parent be gone by then (what a busy
/// machine does by chance) and check that the child prints its real parent.
pub const LOOK_AFTER_MS: &str = "PROCLAB_DEBUG_ORPHAN_LOOK_AFTER_MS";

fn run(ctx: &mut Ctx) {
    ctx.print(format!(
        "main {}: forking a parent that will not wait",
        getpid()
    ));
    ctx.gate("start");
    let parent = match ctx.fork("parent") {
        Forked::Child => parent(ctx),
        Forked::Parent(pid) => pid,
    };
    // main reaps the parent it forked...
    ctx.wait_child(parent);
    ctx.gate("orphaned");
    // ...and, as the subreaper that adopted it, the orphan too.
    if let Some((pid, outcome)) = ctx.wait_any() {
        ctx.print(format!(
            "main: reaped adopted {pid}, status {}",
            outcome.raw()
        ));
    }
    ctx.gate("adopted-reaped");
}

fn parent(ctx: &mut Ctx) -> ! {
    let me = getpid();
    match ctx.fork_with("child", false) {
        Forked::Child => child(ctx, me),
        Forked::Parent(pid) => {
            ctx.print(format!("parent {}: forked {pid}", getpid()));
            ctx.sleep(PARENT_LIVES);
            ctx.print(format!("parent {}: exiting without waiting", getpid()));
            ctx.exit(0)
        }
    }
}

/// `forked_by`: the parent that forked this child, its PID taken before the fork. What
/// the child prints is what getppid() says when it looks, as the Python program prints
/// `os.getppid()`: when the parent is already gone (a fast run, a busy machine), that
/// is the adopter.
fn child(ctx: &mut Ctx, forked_by: nix::unistd::Pid) -> ! {
    if let Some(delay) = std::env::var(LOOK_AFTER_MS)
        .ok()
        .and_then(|ms| ms.trim().parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(delay));
    }
    let first = getppid();
    ctx.print(format!("child {}: my parent is {first}", getpid()));
    // Until it is adopted this process has no parent-death signal, so it polls in real
    // time (never held by pause): if the whole run dies meanwhile (the front end killed
    // with SIGKILL), it must notice at once rather than linger under PID 1. It waits
    // for a parent other than the one that forked it (the Python program compares with
    // `first`, which would wait for ever if the adoption came before its first look).
    while getppid() == forked_by {
        std::thread::sleep(ADOPTION_POLL);
        ctx.check_interrupt();
    }
    let adopter = getppid();
    if adopter != ctx.runner_pid() {
        // Adopted by someone outside the lesson: main is gone, and so is the run.
        ctx.exit(1)
    }
    // Seen by the child itself: its parent is no longer the one that forked it.
    ctx.emit(EventKind::Reparent {
        old_ppid: forked_by.as_raw(),
        ppid: adopter.as_raw(),
    });
    // Only now can the parent-death signal point at the right parent.
    arm_after_adoption();
    ctx.print(format!("child {}: my parent is now {adopter}", getpid()));
    ctx.sleep(CHILD_AFTER_ADOPTION);
    ctx.exit(0)
}
