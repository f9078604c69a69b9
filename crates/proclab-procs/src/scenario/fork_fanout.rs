//! Fork fan-out: the main process forks `children` children in a loop. Each child
//! reports itself and, like the tutorial's `break`, leaves the loop; without the break
//! every process keeps forking and the tree doubles each round (2^n processes).

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};

pub const SCENARIO: Scenario = Scenario {
    id: "fork-fanout",
    title: "Fork fan-out: one parent, many children",
    view: super::View::TREE,
    params: &[CHILDREN, BREAK_IN_CHILD],
    gates: &["start", "first-fork", "forked-all", "reaped-all"],
    process_gates: &[],
    reports: &[],
    peak_processes: |p| Ok(peak_processes(&Fanout::from_params(p)?)),
    run: |ctx, p| {
        run(ctx, &Fanout::from_params(p)?);
        Ok(())
    },
};

const CHILDREN: ParamSpec = ParamSpec {
    name: "children",
    kind: ParamKind::Int { min: 1, max: 63 },
    default: ParamValue::Int(10),
    help: "rounds of the fork loop",
};
const BREAK_IN_CHILD: ParamSpec = ParamSpec {
    name: "break_in_child",
    kind: ParamKind::Bool,
    default: ParamValue::Bool(true),
    help: "a child leaves the loop (false: every process forks again)",
};

struct Fanout {
    /// Rounds of the fork loop.
    children: u32,
    break_in_child: bool,
}

impl Typed for Fanout {
    fn from_params(p: &Params) -> Result<Fanout, ParamError> {
        Ok(Fanout {
            children: p.int(&CHILDREN)?,
            break_in_child: p.flag(&BREAK_IN_CHILD)?,
        })
    }
}

/// Seconds of lesson time between two forks, and how long a child lives.
const FORK_GAP: f64 = 0.4;
const CHILD_LIFE: f64 = 1.5;

fn peak_processes(p: &Fanout) -> (u64, String) {
    let n = p.children;
    if p.break_in_child {
        (
            u64::from(n) + 1,
            format!(
                "1 parent + {} = {}",
                super::params::count(n, "child", "children"),
                n + 1
            ),
        )
    } else {
        let total = 1u64.checked_shl(n).unwrap_or(u64::MAX);
        (
            total,
            format!(
                "without the break every process forks in each of {n} rounds: 2^{n} = {total} processes"
            ),
        )
    }
}

fn run(ctx: &mut Ctx, p: &Fanout) {
    let (rounds, leave_loop) = (p.children, p.break_in_child);
    let me = nix::unistd::getpid();
    // The prints are those of the lesson's Python program, so both can be compared.
    ctx.print(format!("main {me}: forking {rounds} times"));
    ctx.gate("start");

    let mut is_child = false;
    let mut round = 0;
    while round < rounds {
        let label = if ctx.is_main() {
            format!("child {round}")
        } else {
            format!("{}.{round}", ctx.label())
        };
        match ctx.fork(&label) {
            Forked::Parent(pid) => {
                ctx.print(format!("parent: forked {pid}"));
                if round == 0 && ctx.is_main() {
                    ctx.gate("first-fork");
                }
            }
            Forked::Child => {
                is_child = true;
                ctx.print(format!(
                    "child {round}: {}, ppid {}",
                    nix::unistd::getpid(),
                    nix::unistd::getppid()
                ));
                if leave_loop {
                    break;
                }
            }
        }
        ctx.sleep(FORK_GAP);
        round += 1;
    }

    if is_child {
        ctx.sleep(CHILD_LIFE);
    } else {
        ctx.gate("forked-all");
    }
    reap_in_fork_order(ctx);
    if is_child {
        ctx.exit(0);
    }
    ctx.gate("reaped-all");
    ctx.print("all children reaped");
}

/// `for pid in kids: os.waitpid(pid, 0)`, printing each status as the program does.
fn reap_in_fork_order(ctx: &mut Ctx) {
    for pid in ctx.children().to_vec() {
        if let Some(status) = ctx.wait_child(pid) {
            ctx.print(format!("reaped {pid}: status {}", status.raw()));
        }
    }
}
