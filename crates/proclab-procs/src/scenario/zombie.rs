//! Zombies and reaping: the parent kills a child that loops printing, then waits a
//! few seconds before `waitpid`. In between, the dead child is a real zombie (state
//! Z): only its PID and status remain, until the parent collects the status.

use std::borrow::Cow;

use nix::sys::signal::Signal;
use nix::unistd::getpid;

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};

pub const SCENARIO: Scenario = Scenario {
    id: "zombie",
    title: "Zombies: killed, but not yet reaped",
    view: super::View::TREE,
    params: &[SIGNAL],
    gates: &["start", "forked", "killed", "reaped"],
    process_gates: &[],
    reports: &["status"],
    peak_processes: |p| {
        Zombie::from_params(p)?;
        Ok((2, "1 parent + 1 child = 2".into()))
    },
    run: |ctx, p| {
        run(ctx, &Zombie::from_params(p)?);
        Ok(())
    },
};

/// The choices in the order `Zombie::from_params` maps them.
const SIGNAL: ParamSpec = ParamSpec {
    name: "signal",
    kind: ParamKind::Choice(&["SIGKILL", "SIGTERM"]),
    default: ParamValue::Name(Cow::Borrowed("SIGKILL")),
    help: "what the parent sends the child",
};

struct Zombie {
    /// What the parent sends the child.
    signal: Signal,
}

impl Typed for Zombie {
    fn from_params(p: &Params) -> Result<Zombie, ParamError> {
        let signal = match p.choice(&SIGNAL)? {
            0 => Signal::SIGKILL,
            _ => Signal::SIGTERM,
        };
        Ok(Zombie { signal })
    }
}

/// Seconds of lesson time: the child's print period, how long the parent lets it run,
/// and how long the parent leaves the zombie before reaping it.
const PERIOD: f64 = 1.0;
const RUN_FOR: f64 = 3.0;
const ZOMBIE_FOR: f64 = 3.0;

fn run(ctx: &mut Ctx, p: &Zombie) {
    let signal = p.signal;
    ctx.print(format!("main {}: forking a child", getpid()));
    ctx.gate("start");
    let child = match ctx.fork("child") {
        Forked::Child => loop {
            ctx.print(format!("child {}: still running", getpid()));
            ctx.sleep(PERIOD);
        },
        Forked::Parent(pid) => pid,
    };
    ctx.gate("forked");
    ctx.sleep(RUN_FOR);
    ctx.kill_child(child, signal);
    ctx.print(format!("main: sent {} to {child}", signal.as_str()));
    ctx.gate("killed");
    ctx.sleep(ZOMBIE_FOR);
    if let Some(outcome) = ctx.wait_child(child) {
        let status = outcome.raw();
        ctx.print(format!("main: waitpid returned ({child}, {status})"));
        ctx.print(format!(
            "WIFSIGNALED={} WTERMSIG={}",
            python_bool(libc::WIFSIGNALED(status)),
            libc::WTERMSIG(status)
        ));
        ctx.result("status", status.into());
    }
    ctx.gate("reaped");
}

/// `True` / `False`, as Python prints them.
pub fn python_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}
