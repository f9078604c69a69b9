//! Kill signals and dispositions: the child sets what SIGTERM does to it (default,
//! ignore, or a handler), the parent sends SIGTERM, and the outcome is whatever the
//! kernel does: killed (status 15), ignored (then SIGKILL, which nothing can catch or
//! ignore: status 9), or handled (last words, exit 0).
//!
//! Main looks once, with `WNOHANG`, after the grace, as the Python program does: a
//! child that has not ended by then (it ignores SIGTERM, or a busy machine has not run
//! it yet) is "still alive" and gets SIGKILL. What main prints is what it saw.

use std::borrow::Cow;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::unistd::getpid;

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "signals",
    title: "Signals: default, ignored, handled",
    view: super::View::TREE,
    params: &[DISPOSITION],
    gates: &["start", "before-term", "after-term", "reaped"],
    process_gates: &[],
    reports: &["status", CHILD_IGNORES],
    peak_processes: |p| {
        Disposition::from_params(p)?;
        Ok((2, "1 parent + 1 child = 2".into()))
    },
    run: |ctx, p| {
        run(ctx, Disposition::from_params(p)?);
        Ok(())
    },
};

/// Its choices, in the order of `Disposition`'s variants.
const DISPOSITION: ParamSpec = ParamSpec {
    name: "disposition",
    kind: ParamKind::Choice(&["default", "ignore", "handler"]),
    default: ParamValue::Name(Cow::Borrowed("default")),
    help: "what SIGTERM does to the child",
};

/// What SIGTERM does to the child.
#[derive(Clone, Copy)]
enum Disposition {
    Default,
    Ignore,
    Handler,
}

impl Disposition {
    /// The word the program prints (the choice's name).
    fn word(self) -> &'static str {
        match self {
            Disposition::Default => "default",
            Disposition::Ignore => "ignore",
            Disposition::Handler => "handler",
        }
    }
}

impl Typed for Disposition {
    fn from_params(p: &Params) -> Result<Disposition, ParamError> {
        Ok(match p.choice(&DISPOSITION)? {
            0 => Disposition::Default,
            1 => Disposition::Ignore,
            _ => Disposition::Handler,
        })
    }
}

const PERIOD: f64 = 1.0;
const RUN_FOR: f64 = 2.5;
const GRACE: f64 = 1.5;
/// Main's observation when the child is still alive after the grace: whether the
/// child's SigIgn mask (its /proc status, read by main then) has SIGTERM.
const CHILD_IGNORES: &str = "child's SigIgn has SIGTERM";

/// Set by the SIGTERM handler; only an atomic store is async-signal-safe enough.
static GOT_SIGTERM: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigterm(_: libc::c_int) {
    GOT_SIGTERM.store(true, Ordering::SeqCst);
    crate::scenario::ctx::wake_from_signal();
}

fn run(ctx: &mut Ctx, disposition: Disposition) {
    ctx.print(format!(
        "main {}: the child's SIGTERM disposition will be {}",
        getpid(),
        disposition.word()
    ));
    ctx.gate("start");
    // The child says when its disposition is set, so SIGTERM never arrives before it
    // (at a high --speed the lesson's sleep alone does not guarantee that).
    let Ok((ready_rx, ready_tx)) = nix::unistd::pipe() else {
        return ctx.print("cannot create a pipe");
    };
    let child = match ctx.fork("child") {
        Forked::Child => {
            drop(ready_rx);
            child(ctx, disposition, ready_tx)
        }
        Forked::Parent(pid) => pid,
    };
    drop(ready_tx);
    wait_until_ready(ctx, ready_rx);
    ctx.sleep(RUN_FOR);
    ctx.gate("before-term");
    ctx.kill_child(child, Signal::SIGTERM);
    ctx.print(format!("main: sent SIGTERM to {child}"));
    ctx.sleep(GRACE);
    // `os.waitpid(pid, os.WNOHANG)`, once: whatever the kernel says now is the answer,
    // as it is for CPython (no extra wait to make the outcome match the narration).
    if let Some(outcome) = ctx.poll_child(child) {
        print_status(ctx, child, outcome.raw());
        ctx.gate("after-term");
    } else {
        // Still alive. Why is main's to observe, not to declare in the child's name:
        // it reads the child's SigIgn mask now and reports that, under its own PID. (A
        // child that ignores SIGTERM never learns it was sent: the kernel discards it.)
        if let Some(masks) = crate::procfs::read_sig_masks(child.as_raw()) {
            let bit = 1u64 << (Signal::SIGTERM as u32 - 1);
            ctx.emit(EventKind::Value {
                name: CHILD_IGNORES.into(),
                value: (masks.ignored & bit != 0).into(),
            });
        }
        ctx.print(format!("main: {child} is still alive after SIGTERM"));
        ctx.gate("after-term");
        ctx.kill_child(child, Signal::SIGKILL);
        ctx.print(format!(
            "main: sent SIGKILL to {child}: it cannot be caught or ignored"
        ));
        if let Some(outcome) = ctx.wait_child(child) {
            print_status(ctx, child, outcome.raw());
        }
    }
    ctx.gate("reaped");
}

/// What waitpid returned (the reap event itself came from the wait).
fn print_status(ctx: &mut Ctx, child: nix::unistd::Pid, status: i32) {
    ctx.print(format!("main: waitpid returned ({child}, {status})"));
    ctx.result("status", status.into());
}

/// Blocks until the child wrote its byte (or ended: EOF), honouring KeyboardInterrupt.
fn wait_until_ready(ctx: &Ctx, ready: OwnedFd) {
    let mut byte = [0u8; 1];
    while let Err(nix::errno::Errno::EINTR) = nix::unistd::read(&ready, &mut byte) {
        ctx.check_interrupt();
    }
}

fn child(ctx: &mut Ctx, disposition: Disposition, ready: OwnedFd) -> ! {
    let handler = match disposition {
        Disposition::Ignore => SigHandler::SigIgn,
        Disposition::Handler => SigHandler::Handler(on_sigterm),
        Disposition::Default => SigHandler::SigDfl,
    };
    // Without SA_RESTART (which `signal()` would set): the signal must end a wait in
    // progress, so the handler's work runs at once even while the run stands still.
    let action = SigAction::new(handler, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handler only stores to atomics.
    let _ = unsafe { sigaction(Signal::SIGTERM, &action) };
    let _ = nix::unistd::write(&ready, &[1]);
    drop(ready);
    ctx.print(format!(
        "child {}: SIGTERM -> {}",
        getpid(),
        disposition.word()
    ));
    loop {
        ctx.print(format!("child {}: working", getpid()));
        for _ in 0..20 {
            ctx.sleep(PERIOD / 20.0);
            if GOT_SIGTERM.load(Ordering::SeqCst) {
                ctx.emit(EventKind::HandleSignal {
                    signal: "SIGTERM".into(),
                    action: "handler".into(),
                    sender: None,
                    cause: None,
                });
                ctx.print(format!("child {}: got SIGTERM, cleaning up", getpid()));
                ctx.exit(0);
            }
        }
    }
}
