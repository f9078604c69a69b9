//! The front end's side of `proclab trace`: spawn `proclab __tracer` like the runner
//! (own process group, PDEATHSIG, control block on fd 3 for the shared clock) and read
//! its stdout as the wire. Everything after the spawn — reading, observing announced
//! PIDs, pidfds for the signal menu, stopping with killpg and reaping — is the same
//! `Session` as a lesson's run.

use std::process::Stdio;

use color_eyre::eyre::{Result, WrapErr};

use super::control::{Control, Settings};
use super::session::Session;

/// What to trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRequest {
    /// The command and its arguments.
    pub argv: Vec<String>,
    /// Give the program the front end's stdin instead of /dev/null.
    pub stdin: bool,
    /// Leave reads and writes alone: no messages through pipes (`send` / `recv`).
    pub no_pipes: bool,
    /// Most processes alive at once, the tracer included (`--cap`).
    pub cap: u32,
    /// Report each CPU core's load (the screens draw it; the logs leave it out).
    pub cpu_cores: bool,
}

impl Session {
    pub fn start_trace(req: &TraceRequest) -> Result<Session> {
        // The tracer reads only the clock; speed, pause and steps mean nothing to a
        // program proclab did not write.
        let control = Control::create(&Settings {
            speed: 1.0,
            step_mode: false,
            cap: req.cap,
            run_on: 0,
        })?;
        let mut args = vec!["__tracer".to_string(), std::process::id().to_string()];
        if req.stdin {
            args.push("--stdin".into());
        }
        if req.no_pipes {
            args.push("--no-pipes".into());
        }
        args.extend(["--cap".to_string(), req.cap.to_string()]);
        args.push("--".into());
        args.extend(req.argv.iter().cloned());
        let stdin = if req.stdin {
            Stdio::inherit()
        } else {
            Stdio::null()
        };
        Session::launch(args, stdin, control, req.cpu_cores, None).wrap_err("starting the tracer")
    }
}
