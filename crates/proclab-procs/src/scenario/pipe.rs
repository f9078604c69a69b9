//! `Pipe()`: two processes talk both ways over one duplex connection. The parent
//! sends "ping k", the child answers "pong k"; each `recv` sleeps in the kernel until
//! the other side has sent.

use nix::unistd::getpid;
use serde_json::{Value, json};

use super::Scenario;
use super::ctx::{Ctx, Forked};
use super::params::{ParamError, ParamKind, ParamSpec, ParamValue, Params, Typed};
use crate::ipc::pipe::{Conn, pipe};
use crate::trace::event::EventKind;

pub const SCENARIO: Scenario = Scenario {
    id: "pipe",
    title: "Pipe: messages both ways",
    view: super::View::MESSAGES,
    params: &[MESSAGES],
    gates: &["start", "first-send", "done"],
    process_gates: &[],
    reports: &[],
    peak_processes: |p| {
        PipeParams::from_params(p)?;
        Ok((2, "1 parent + 1 child = 2".into()))
    },
    run: |ctx, p| {
        run(ctx, &PipeParams::from_params(p)?);
        Ok(())
    },
};

const MESSAGES: ParamSpec = ParamSpec {
    name: "messages",
    kind: ParamKind::Int {
        min: 1,
        max: 1_000_000,
    },
    default: ParamValue::Int(5),
    help: "pings the parent sends",
};

struct PipeParams {
    /// Pings the parent sends.
    messages: u32,
}

impl Typed for PipeParams {
    fn from_params(p: &Params) -> Result<PipeParams, ParamError> {
        Ok(PipeParams {
            messages: p.int(&MESSAGES)?,
        })
    }
}

const THINK: f64 = 0.8;

fn run(ctx: &mut Ctx, p: &PipeParams) {
    let Ok((parent_conn, child_conn)) = pipe() else {
        return ctx.print("cannot create the pipe");
    };
    ctx.print(format!(
        "main {}: parent_conn, child_conn = Pipe()",
        getpid()
    ));
    ctx.gate("start");
    match ctx.fork("child") {
        Forked::Child => answer(ctx, &child_conn),
        Forked::Parent(_) => {}
    }
    for k in 0..p.messages {
        ctx.sleep(THINK);
        send(ctx, &parent_conn, "parent_conn", json!(format!("ping {k}")));
        if k == 0 {
            ctx.gate("first-send");
        }
        if let Some(reply) = recv(ctx, &parent_conn, "parent_conn") {
            ctx.print(format!("parent got {reply}"));
        }
    }
    send(ctx, &parent_conn, "parent_conn", Value::Null);
    ctx.wait_all();
    ctx.gate("done");
}

fn answer(ctx: &Ctx, conn: &Conn) -> ! {
    loop {
        let Some(msg) = recv(ctx, conn, "child_conn") else {
            ctx.exit(1)
        };
        let Some(text) = msg.as_str() else {
            ctx.print("child: got None, stopping");
            ctx.exit(0);
        };
        ctx.print(format!("child got {msg}"));
        ctx.sleep(THINK / 2.0);
        send(ctx, conn, "child_conn", json!(text.replace("ping", "pong")));
    }
}

/// The event goes out before the bytes, so a `recv` event can never precede the
/// `send` it answers.
fn send(ctx: &Ctx, conn: &Conn, channel: &str, item: Value) {
    ctx.emit(EventKind::Send {
        channel: channel.into(),
        item: item.clone(),
        repr: None,
    });
    if let Err(e) = conn.send(&item) {
        ctx.print(format!("{channel}.send failed: {e}"));
    }
}

fn recv(ctx: &Ctx, conn: &Conn, channel: &str) -> Option<Value> {
    let item = conn
        .recv(|| ctx.emit(EventKind::Blocked { on: "recv".into() }))
        .ok()?;
    ctx.emit(EventKind::Recv {
        channel: channel.into(),
        item: item.clone(),
        repr: None,
    });
    Some(item)
}
