//! Memory is not shared after fork: each child gets a copy of the parent's memory
//! (copy-on-write pages), so changes in a child never reach the parent. The variable
//! even has the same virtual address in every process, holding different values.

use nix::unistd::getpid;

use super::Scenario;
use super::ctx::{Ctx, Forked};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "isolation",
    title: "After fork, memory is copied, not shared",
    view: super::View::TREE,
    params: &[],
    gates: &["start", "forked", "after"],
    process_gates: &[],
    reports: &["num", "&num"],
    peak_processes: |_| Ok((3, "1 parent + 2 children = 3".into())),
    run: |ctx, _| {
        run(ctx);
        Ok(())
    },
};

const BEFORE_CHANGE: f64 = 1.0;
const AFTER_CHANGE: f64 = 2.0;

fn run(ctx: &mut Ctx) {
    // `black_box` keeps `num` a real value in memory that each process reads and writes.
    let mut num: i64 = std::hint::black_box(10);
    show(ctx, &num);
    ctx.gate("start");
    for (label, add) in [("child +5", 5), ("child +10", 10)] {
        match ctx.fork(label) {
            Forked::Child => {
                ctx.sleep(BEFORE_CHANGE);
                num += add;
                show(ctx, &num);
                ctx.sleep(AFTER_CHANGE);
                ctx.exit(0);
            }
            Forked::Parent(_) => {}
        }
    }
    ctx.gate("forked");
    ctx.wait_all();
    show(ctx, &num);
    ctx.result("num", num.into());
    ctx.gate("after");
}

/// Prints and reports this process's `num` and where it lives in its address space.
fn show(ctx: &Ctx, num: &i64) {
    let value = std::hint::black_box(*num);
    ctx.emit(EventKind::Value {
        name: "num".into(),
        value: value.into(),
    });
    ctx.emit(EventKind::Value {
        name: "&num".into(),
        value: format!("{:p}", num).into(),
    });
    ctx.print(format!("{}: num = {value}", getpid()));
}
