//! A terminal that goes away without a SIGHUP: proclab runs as the session leader of
//! a pseudo-terminal with SIGHUP blocked (as under a wrapper that traps HUP, or a
//! disowned job: the signal never arrives), and the test closes the master side, its
//! only copy, while a screen is up. Every screen (the menu, a lesson held at a step, a
//! finished run, a replay, a trace) must end as on SIGHUP within a deadline, with its
//! exit code, and leave no process of the run; nothing may spin meanwhile.

mod common;

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use crossbeam_channel::{Sender, unbounded};
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};

const COLS: u16 = 120;
const ROWS: u16 = 40;
const WAIT: Duration = Duration::from_secs(10);

/// proclab on a PTY whose master only this test holds (close-on-exec, so no child of
/// any test inherits it), read on a thread that closes it on request.
struct Pty {
    name: String,
    tag: String,
    child: Option<Child>,
    out: Arc<Mutex<Vec<u8>>>,
    ctl: Sender<Ctl>,
}

enum Ctl {
    Keys(Vec<u8>),
    Close,
}

impl Pty {
    fn spawn(name: &str, args: &[&str]) -> Pty {
        Pty::spawn_with(name, args, true, None)
    }

    /// `spawn`, SIGHUP blocked or not, stderr to `stderr` instead of the PTY.
    fn spawn_with(name: &str, args: &[&str], block_hup: bool, stderr: Option<Stdio>) -> Pty {
        let tag = unique_tag(name);
        let master =
            posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC).expect("posix_openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let slave_path = ptsname_r(&master).expect("ptsname");
        let ws = libc::winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads one winsize; the master is open.
        unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
        let slave: OwnedFd = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
            .open(&slave_path)
            .expect("opening the PTY's slave")
            .into();
        let stdio = || Stdio::from(slave.try_clone().expect("dup of the slave"));
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env(TAG_VAR, &tag)
            .env("TERM", "xterm-256color")
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stderr.unwrap_or_else(stdio));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Its own session, the PTY its controlling terminal, SIGHUP blocked:
                // the kernel's hangup signal stays pending and is never delivered.
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if !block_hup {
                    return Ok(());
                }
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, libc::SIGHUP);
                libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawning proclab on the PTY");
        drop(cmd);
        drop(slave);
        let out = Arc::new(Mutex::new(Vec::new()));
        let (ctl, orders) = unbounded::<Ctl>();
        let sink = out.clone();
        thread::spawn(move || {
            let mut master = Some(master);
            while let Some(m) = master.as_ref() {
                let mut fds = [PollFd::new(m.as_fd(), PollFlags::POLLIN)];
                let _ = poll(&mut fds, PollTimeout::from(20u8));
                let readable = fds[0]
                    .revents()
                    .is_some_and(|r| r.contains(PollFlags::POLLIN));
                if readable {
                    let mut chunk = [0u8; 8192];
                    match nix::unistd::read(m, &mut chunk) {
                        Ok(n) if n > 0 => sink.lock().unwrap().extend_from_slice(&chunk[..n]),
                        _ => {}
                    }
                }
                let mut close = false;
                for order in orders.try_iter() {
                    match order {
                        Ctl::Keys(k) => {
                            let _ = nix::unistd::write(m, &k);
                        }
                        Ctl::Close => {
                            close = true;
                            break;
                        }
                    }
                }
                if close {
                    // The only copy of the master: the terminal hangs up.
                    master = None;
                }
            }
        });
        Pty {
            name: name.to_string(),
            tag,
            child: Some(child),
            out,
            ctl,
        }
    }

    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let raw = self.out.lock().unwrap().clone();
            if Screen::replay(COLS, ROWS, &raw).contains(needle)
                || strip_ansi(&raw).contains(needle)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[{}] {needle:?} not shown within {WAIT:?}. Screen:\n{}",
                self.name,
                Screen::replay(COLS, ROWS, &raw).text()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&self, keys: &str) {
        self.ctl
            .send(Ctl::Keys(keys.as_bytes().to_vec()))
            .expect("the PTY thread");
    }

    fn close_master(&self) {
        self.ctl.send(Ctl::Close).expect("the PTY thread");
    }

    /// proclab's exit status, or a failure (with where its threads are and how much
    /// CPU it used) if it is still there after `WAIT`.
    fn wait_exit(&mut self) -> ExitStatus {
        let child = self.child.as_mut().expect("running");
        let pid = child.id();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return status;
            }
            if Instant::now() >= deadline {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                panic!(
                    "[{}] proclab still runs {WAIT:?} after its terminal went away (stat: {stat})",
                    self.name
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.ctl.send(Ctl::Close);
    }
}

/// One screen: how to open it, what shows it is up, keys to press then (and what they
/// show), and the exit code a SIGHUP gives there.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    shown: &'static str,
    then: Option<(&'static str, &'static str)>,
    code: i32,
}

fn hang_up(case: &Case) {
    let mut pty = Pty::spawn(case.name, case.args);
    pty.wait_for(case.shown);
    if let Some((keys, shown)) = case.then {
        pty.send(keys);
        pty.wait_for(shown);
    }
    let before = tagged_pids(&pty.tag).len();
    pty.close_master();
    let status = pty.wait_exit();
    assert_eq!(
        (status.code(), status.signal()),
        (Some(case.code), None),
        "[{}] a hangup ends the screen as SIGHUP does ({before} tagged processes before)",
        case.name
    );
    assert_no_tagged_left_because(&pty.tag, "the terminal went away");
}

#[test]
fn every_screen_ends_when_its_terminal_goes_away_without_sighup() {
    let cases = [
        Case {
            name: "hangup_menu",
            args: &[],
            shown: "Lessons",
            then: None,
            code: 0,
        },
        Case {
            name: "hangup_lesson_step",
            args: &["lesson", "fork-fanout"],
            shown: "AT STEP 'start'",
            then: Some((" ", "AT STEP 'first-fork'")),
            code: 0,
        },
        Case {
            name: "hangup_finished_run",
            args: &["run", "fork-fanout", "--set", "children=2", "--speed", "20"],
            shown: "DONE ·",
            then: None,
            code: 0,
        },
        Case {
            name: "hangup_replay",
            args: &[
                "replay",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/fork-fanout-3.jsonl"
                ),
            ],
            shown: "REPLAY",
            then: None,
            code: 0,
        },
        Case {
            name: "hangup_trace",
            args: &["trace", "--", "sleep", "60"],
            shown: "TRACING",
            // The program still ran: stopping the run killed it, 128 + SIGKILL.
            then: None,
            code: 137,
        },
    ];
    let checks = cases
        .into_iter()
        .map(|case| {
            let name = case.name.to_string();
            let check: Box<dyn FnOnce() + Send> = Box::new(move || hang_up(&case));
            (name, check)
        })
        .collect();
    in_parallel(checks);
}

/// The lesson held at a step with children alive: the runner and its children are
/// stopped and reaped too, not only the front end.
#[test]
fn a_lesson_at_a_step_stops_its_processes_when_the_terminal_goes_away() {
    let mut pty = Pty::spawn("hangup_lesson_children", &["lesson", "fork-fanout"]);
    pty.wait_for("AT STEP 'start'");
    pty.send(" ");
    pty.wait_for("AT STEP 'first-fork'");
    pty.send("  ");
    let alive = wait_for_tagged(&pty.tag, 4, WAIT);
    assert!(alive >= 4, "front end, main and two children: saw {alive}");
    pty.close_master();
    let status = pty.wait_exit();
    assert!(status.success(), "as on SIGHUP: {status:?}");
    assert_no_tagged_left_because(&pty.tag, "the terminal went away at a step");
}

/// Closing the window mid-run (SIGHUP arrives, the terminal is gone): proclab ends as
/// on SIGHUP and says nothing about a terminal it could not restore (it used to print
/// "Failed to restore terminal: Input/output error").
#[test]
fn closing_the_window_mid_run_ends_quietly() {
    let dir = std::env::temp_dir().join(unique_tag("hangup-stderr"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let err_path = dir.join("stderr.txt");
    let err = std::fs::File::create(&err_path).expect("stderr file");
    let mut pty = Pty::spawn_with(
        "hangup_window",
        &["run", "fork-fanout", "--speed", "0.5"],
        false,
        Some(Stdio::from(err)),
    );
    pty.wait_for("child 0");
    pty.close_master();
    let status = pty.wait_exit();
    assert!(status.success(), "as on SIGHUP: {status:?}");
    assert_no_tagged_left_because(&pty.tag, "the window was closed");
    let said = std::fs::read_to_string(&err_path).expect("stderr");
    assert!(said.is_empty(), "nothing to say on stderr, got:\n{said}");
}
