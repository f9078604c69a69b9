//! One run as the front end sees it: spawn the runner in its own process group with
//! PDEATHSIG and the control block on fd 3, read its event pipe on a thread, observe
//! its PIDs on another, and on every exit path kill the group and reap everything.
//!
//! Signals the learner sends (the signal menu) go through a pidfd per process, opened
//! when its `spawn` arrives and checked against the start time recorded for that
//! spawn, closed at its `reap`: never a plain `kill` on a number that might by then
//! name another process.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, eyre};
use crossbeam_channel::{Receiver, Sender, unbounded};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::control::{Control, Settings};
use crate::observe::{self, Track, procfs};
use crate::scenario::{Scenario, params::Params};
use crate::trace::event::{Event, EventKind};
use crate::trace::reader::{Line, for_each_line};

/// How long `Ended` waits for stderr's EOF after stdout's.
const STDERR_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// What a run sends to whoever drives it.
#[derive(Debug)]
pub enum RunMsg {
    Event(Event),
    /// An event from a scenario process, with the line exactly as it came (the
    /// `--json` front end passes it on without serialising it again).
    Wire(Event, String),
    /// Several of the above, in order: the reader hands over everything it has read in
    /// one go, so a busy run costs one wake-up per pipe read, not one per line.
    Batch(Vec<RunMsg>),
    /// A line on the wire that is not a valid event: reported, never fatal.
    Malformed {
        line: String,
        error: String,
    },
    /// A line the runner or a scenario process wrote to stderr.
    Stderr(String),
    /// Every process of the run closed the event pipe: the run is over.
    Ended,
}

pub struct RunRequest {
    pub scenario: &'static Scenario,
    pub params: Params,
    pub speed: f64,
    pub step_mode: bool,
    pub cap: u32,
    /// Report each CPU core's load (the screens draw it; the logs leave it out).
    pub cpu_cores: bool,
    /// Gates at which the others keep running while main is held (see `Control`).
    pub run_on: u64,
}

pub struct Session {
    runner: Option<Child>,
    pgid: Pid,
    /// Shared with the observer thread, which stamps its events on the run's clock.
    control: Arc<Control>,
    rx: Receiver<RunMsg>,
    stop_observer: Sender<()>,
    threads: Vec<JoinHandle<()>>,
    /// Every PID the run announced, with its start time, to check for leaks at the end.
    seen: Arc<Mutex<Vec<(i32, u64)>>>,
    /// For each announced process not yet reaped: a verified pidfd, or why none.
    pidfds: Pidfds,
    /// A Python lesson's program file: removed after the run's processes (fields drop
    /// after `Drop::drop` stopped them).
    pub(crate) scratch: Option<super::scratch::ScratchDir>,
}

/// PID → a pidfd known to refer to the process that announced itself with that PID.
type Pidfds = Arc<Mutex<HashMap<i32, Handle>>>;

/// What the signal menu holds for an announced process of the run.
enum Handle {
    /// A pidfd checked against the start time the process reported in its `spawn`.
    Verified(OwnedFd),
    /// No pidfd: why not (the menu says it when asked to signal the process).
    Refused(String),
}

impl Session {
    pub fn start(req: &RunRequest) -> Result<Session> {
        let control = Control::create(&Settings {
            speed: req.speed,
            step_mode: req.step_mode,
            cap: req.cap,
            run_on: req.run_on,
        })?;
        let mut args = vec![
            "__runner".to_string(),
            req.scenario.id.to_string(),
            std::process::id().to_string(),
        ];
        args.extend(req.params.to_assignments());
        // What ran, announced right after main's spawn, so a recorded trace knows it.
        let announce = crate::trace::record::run_event(req.scenario.id, &req.params);
        Session::launch(
            args,
            Stdio::null(),
            control,
            (req.cpu_cores, false),
            Some(announce),
        )
        .wrap_err("starting the scenario runner")
    }

    /// Spawns `current_exe() args…` (the runner, or the tracer of `proclab trace`) in
    /// its own process group with PDEATHSIG and the control block on fd 3, and starts
    /// the threads that read its stdout and stderr and observe the PIDs it announces
    /// (with each core's load if `cpu_cores`; as tracees if `traced`).
    #[allow(
        clippy::cast_possible_wrap,
        reason = "a PID (at most pid_max, 2^22) always fits an i32; std hands it out as u32"
    )]
    pub(crate) fn launch(
        args: Vec<String>,
        stdin: Stdio,
        control: Control,
        (cpu_cores, traced): (bool, bool),
        announce: Option<crate::trace::event::Event>,
    ) -> Result<Session> {
        let exe = std::env::current_exe().wrap_err("finding proclab's own executable")?;
        let control_fd = control.raw_fd().unwrap_or(-1);
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: only async-signal-safe calls (prctl, dup2, fcntl, sigaction,
        // sigprocmask) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                reset_dispositions();
                libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                );
                let target = super::runner::CONTROL_FD;
                let ok = if control_fd == target {
                    libc::fcntl(target, libc::F_SETFD, 0) == 0
                } else {
                    libc::dup2(control_fd, target) == target
                };
                if ok {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let mut runner = cmd.spawn()?;
        let pgid = Pid::from_raw(runner.id() as i32);

        let (tx, rx) = unbounded();
        let (track_tx, track_rx) = unbounded();
        let (stop_observer, stop_rx) = unbounded();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let pidfds: Pidfds = Arc::default();
        let mut threads = Vec::new();

        // `Ended` must come after the last stderr line: the tracer or runner says why it
        // failed on stderr just before it exits, and a consumer stops reading at
        // `Ended`. The stderr reader drops this sender when it reaches EOF.
        let (stderr_open, stderr_closed) = crossbeam_channel::bounded::<()>(0);
        if let Some(stderr) = runner.stderr.take() {
            let tx = tx.clone();
            threads.push(std::thread::spawn(move || {
                let _open = stderr_open;
                for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                    let _ = tx.send(RunMsg::Stderr(line));
                }
            }));
        } else {
            drop(stderr_open);
        }
        if let Some(stdout) = runner.stdout.take() {
            let tx = tx.clone();
            let mut announce = announce;
            let seen = seen.clone();
            let pidfds = pidfds.clone();
            threads.push(std::thread::spawn(move || {
                // Both callbacks need the batch; they never run at the same time.
                let batch = std::cell::RefCell::new(Vec::new());
                let hand_over = || {
                    let lines = std::mem::take(&mut *batch.borrow_mut());
                    if !lines.is_empty() {
                        let _ = tx.send(RunMsg::Batch(lines));
                    }
                };
                for_each_line(
                    stdout,
                    |line, raw| {
                        let msg = forward(line, raw, &track_tx, &seen, &pidfds);
                        let t_us = match &msg {
                            RunMsg::Wire(e, _) => Some(e.t_us),
                            _ => None,
                        };
                        batch.borrow_mut().push(msg);
                        // What ran, right after main announced itself (the first line
                        // stays main's spawn): a recorded trace names its scenario.
                        if let (Some(t_us), Some(mut e)) = (t_us, announce.take()) {
                            e.t_us = t_us;
                            batch.borrow_mut().push(RunMsg::Event(e));
                        }
                    },
                    hand_over,
                );
                hand_over();
                // Every process of the run has closed stdout; stderr closes with them.
                // The bound is for a process that kept stderr alone open.
                let _ = stderr_closed.recv_timeout(STDERR_GRACE);
                let _ = tx.send(RunMsg::Ended);
            }));
        }
        let control = Arc::new(control);
        let clock = control.clone();
        let cores = cpu_cores;
        threads.push(std::thread::spawn(move || {
            observe::run(
                || clock.now_us(),
                cores,
                traced,
                || clock.must_wait(),
                track_rx,
                stop_rx,
                |e| tx.send(RunMsg::Event(e)).is_ok(),
            );
        }));

        Ok(Session {
            runner: Some(runner),
            pgid,
            control,
            rx,
            stop_observer,
            threads,
            seen,
            pidfds,
            scratch: None,
        })
    }

    /// Sends `signal` to `pid` through the pidfd opened and verified when its `spawn`
    /// arrived. A PID without one (never announced by this run, already reaped, or not
    /// verifiable) gets nothing: no plain `kill` on a bare number.
    pub fn signal(&self, pid: i32, signal: Signal) -> Result<()> {
        signal_through_pidfd(&self.pidfds, pid, signal)
    }

    pub fn messages(&self) -> &Receiver<RunMsg> {
        &self.rx
    }

    pub fn control(&self) -> &Control {
        &self.control
    }

    pub fn runner_pid(&self) -> i32 {
        self.pgid.as_raw()
    }

    /// Ends the run: SIGKILL to the whole group while the runner is still unreaped
    /// (so its PID, which names the group, cannot have been reused), then reap the
    /// runner and any orphans this subreaper adopted. Safe to call twice; the second
    /// call reports no reap.
    pub fn stop(&mut self) -> StopReport {
        let mut runner_reap = None;
        let mut adopted_reaps = Vec::new();
        if let Some(mut runner) = self.runner.take() {
            let _ = killpg(self.pgid, Signal::SIGKILL);
            if let Ok(status) = runner.wait() {
                runner_reap = Some(reap_event(
                    self.pgid.as_raw(),
                    status.into_raw(),
                    self.control.now_us(),
                ));
            }
            let now = self.control.now_us();
            adopted_reaps = reap_adopted(Duration::from_secs(2))
                .into_iter()
                .map(|(pid, status)| reap_event(pid, status, now))
                .collect();
        }
        if let Ok(mut fds) = self.pidfds.lock() {
            fds.clear();
        }
        let _ = self.stop_observer.send(());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        StopReport {
            leaked: self.leaked(),
            runner_reap,
            adopted_reaps,
        }
    }

    /// Processes the run announced that still exist with the same start time.
    fn leaked(&self) -> u32 {
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        seen.iter()
            .filter(|(pid, start)| procfs::read_stat(*pid).is_some_and(|s| s.start_ticks == *start))
            .count()
            .try_into()
            .unwrap_or(u32::MAX)
    }
}

/// What stopping a run found.
#[derive(Debug)]
pub struct StopReport {
    /// Processes of the run still alive after the cleanup (should be 0).
    pub leaked: u32,
    /// The front end's own `waitpid` of the runner: a real `reap` event.
    pub runner_reap: Option<Event>,
    /// Processes of the run that outlived the runner (its main was killed, say), were
    /// adopted by the front end as subreaper, and reaped by it here: real `reap`s.
    pub adopted_reaps: Vec<Event>,
}

/// A `reap` by the front end (this process) of `child`.
fn reap_event(child: i32, status: i32, t_us: u64) -> Event {
    Event {
        t_us,
        pid: nix::unistd::getpid().as_raw(),
        kind: EventKind::reap(child, status),
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Tracks spawns and reaps (observer, pidfds, leak check) and makes the message.
fn forward(
    line: Line,
    raw: &str,
    track: &Sender<Track>,
    seen: &Mutex<Vec<(i32, u64)>>,
    pidfds: &Mutex<HashMap<i32, Handle>>,
) -> RunMsg {
    match line {
        Line::Event(event) => {
            match &event.kind {
                EventKind::Spawn { start, .. } => {
                    // The start time the process reported itself names it even if it was
                    // reaped and its PID reused before this line was read. Without one
                    // there is nothing to check a pidfd against: a start time read now
                    // would only "verify" whoever holds the PID now against itself. So
                    // no pidfd then, and the menu says why.
                    let handle = match start {
                        Some(start_ticks) => open_verified_pidfd(event.pid, *start_ticks)
                            .map_or_else(Handle::Refused, Handle::Verified),
                        None => Handle::Refused(
                            "its spawn carried no start time, so proclab cannot tell it from \
                             a process that took its PID since: no pidfd was opened"
                                .into(),
                        ),
                    };
                    if let Ok(mut fds) = pidfds.lock() {
                        fds.insert(event.pid, handle);
                    }
                    // The leak check only counts (it signals nothing), so a start read
                    // now is good enough there for a spawn without one.
                    let start =
                        start.or_else(|| procfs::read_stat(event.pid).map(|s| s.start_ticks));
                    if let (Some(start_ticks), Ok(mut s)) = (start, seen.lock()) {
                        s.push((event.pid, start_ticks));
                    }
                    let _ = track.send(Track::Add(event.pid));
                }
                EventKind::Reap { child, .. } => {
                    if let Ok(mut fds) = pidfds.lock() {
                        fds.remove(child);
                    }
                    let _ = track.send(Track::Remove(*child));
                }
                _ => {}
            }
            RunMsg::Wire(event, raw.to_string())
        }
        Line::Malformed { line, error } => RunMsg::Malformed { line, error },
    }
}

/// A pidfd for `pid`, kept only if it refers to the process that started at
/// `start_ticks` (the start time its `spawn` event carries, read by the process
/// itself). The start time is read again after the pidfd is opened, and the pidfd's
/// process is checked to still exist after that read: a PID is not reused before its
/// process is reaped, so the start time read was the pidfd's process's own, and it
/// matches only if that is the process that announced itself.
/// Otherwise, why not (for the signal menu).
fn open_verified_pidfd(pid: i32, start_ticks: u64) -> Result<OwnedFd, String> {
    let gone = || "it was already gone when its spawn was read".to_string();
    // SAFETY: pidfd_open(pid, 0) takes integers and returns a new descriptor or -1.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let Ok(raw) = i32::try_from(raw) else {
        return Err(gone());
    };
    if raw < 0 {
        let e = std::io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::ESRCH) => gone(),
            _ => format!("pidfd_open failed: {e}"),
        });
    }
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let stat = procfs::read_stat(pid).ok_or_else(gone)?;
    if stat.start_ticks != start_ticks {
        return Err(
            "its PID names another process now (another start time): no pidfd was opened".into(),
        );
    }
    // Signal 0: only "does it still exist" (a zombie does; a reaped process not).
    pidfd_send_signal(&fd, 0).map_err(|_| gone())?;
    Ok(fd)
}

/// `Session::signal`: through the verified pidfd for `pid`, or not at all. A pidfd
/// whose process was reaped meanwhile (its `reap` not read yet) answers ESRCH: the
/// process is already gone, and nobody else gets the signal.
fn signal_through_pidfd(
    pidfds: &Mutex<HashMap<i32, Handle>>,
    pid: i32,
    signal: Signal,
) -> Result<()> {
    let fds = pidfds
        .lock()
        .map_err(|_| eyre!("the pidfd table is poisoned"))?;
    let fd = match fds.get(&pid) {
        Some(Handle::Verified(fd)) => fd,
        Some(Handle::Refused(why)) => {
            return Err(eyre!(
                "proclab cannot signal {pid}: {why}; nothing was sent"
            ));
        }
        None => {
            return Err(eyre!(
                "{pid} is not a live process of this run (never announced, or already reaped): nothing was sent"
            ));
        }
    };
    // Under the lock, so the reader thread cannot close the pidfd meanwhile.
    pidfd_send_signal(fd, signal as i32)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ESRCH) => eyre!("{pid} is already gone (reaped): nothing was sent"),
            _ => eyre!(e),
        })
        .wrap_err_with(|| format!("pidfd_send_signal({signal}) to {pid}"))
}

fn pidfd_send_signal(fd: &OwnedFd, signal: i32) -> std::io::Result<()> {
    // SAFETY: pidfd_send_signal(pidfd, sig, NULL, 0): a descriptor we own, an integer,
    // no siginfo, no flags.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Reaps children this process adopted as a subreaper, until none is left or the
/// deadline passes (they were all sent SIGKILL, so this is quick); returns each PID
/// with its raw status.
fn reap_adopted(within: Duration) -> Vec<(i32, i32)> {
    let deadline = Instant::now() + within;
    let mut reaped = Vec::new();
    loop {
        let mut status = 0;
        // SAFETY: plain syscall.
        let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if r > 0 {
            reaped.push((r, status));
            continue;
        }
        if r < 0 || Instant::now() > deadline {
            return reaped;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A program started from a shell ignores nothing and blocks nothing (an interactive
/// shell ignores SIGTTIN/SIGTTOU for itself and resets them for its jobs); the front
/// end's own ignored signals (the terminal's job control) and mask would otherwise
/// pass through exec to the runner and every process of the run, where the screens
/// read them from /proc as the lesson's. So the child sets every ignored signal back
/// to its default and unblocks all, as a shell does, before exec. Only
/// async-signal-safe calls: it runs between fork and exec.
fn reset_dispositions() {
    // SAFETY: sigaction and sigprocmask on plain values, no allocation.
    unsafe {
        for sig in 1..libc::SIGRTMAX() {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
            {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &default, std::ptr::null_mut());
            }
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
    }
}

/// Makes this process a child subreaper: the second net under the runner.
pub fn become_subreaper() {
    let _ = nix::sys::prctl::set_child_subreaper(true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pidfd_kept_only_for_the_recorded_process() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let start = procfs::read_stat(pid).unwrap().start_ticks;
        assert!(
            open_verified_pidfd(pid, start + 1)
                .unwrap_err()
                .contains("another start time"),
        );
        let fd = open_verified_pidfd(pid, start).expect("the process we recorded");
        pidfd_send_signal(&fd, libc::SIGKILL).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        // Reaped: the pidfd still names that process, and the kernel says it is gone
        // rather than signalling whoever gets the number next.
        let err = pidfd_send_signal(&fd, libc::SIGTERM).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH));
        assert!(open_verified_pidfd(pid, start).is_err());
    }

    fn reap_line(child: i32) -> Line {
        Line::Event(Event {
            t_us: 0,
            pid: 1,
            kind: EventKind::reap(child, 9),
        })
    }

    /// The signal menu's path: a handle for a process reaped before its `reap` was read
    /// says "already gone" and signals nobody; once the `reap` is read the handle is
    /// dropped and the PID is no process of the run at all.
    #[test]
    fn a_stale_handle_answers_already_gone_instead_of_signalling() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let start = procfs::read_stat(pid).unwrap().start_ticks;
        let table: Pidfds = Arc::default();
        let fd = open_verified_pidfd(pid, start).expect("a verified pidfd");
        table.lock().unwrap().insert(pid, Handle::Verified(fd));

        signal_through_pidfd(&table, pid, Signal::SIGSTOP).expect("alive: sent");
        signal_through_pidfd(&table, pid, Signal::SIGKILL).expect("alive: sent");
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));

        let err = signal_through_pidfd(&table, pid, Signal::SIGTERM).unwrap_err();
        assert!(format!("{err:#}").contains("already gone"), "{err:#}");

        let (track, _rx) = unbounded();
        let seen = Mutex::new(Vec::new());
        let _ = forward(reap_line(pid), "", &track, &seen, &table);
        assert!(
            table.lock().unwrap().is_empty(),
            "the reap drops the handle"
        );
        let err = signal_through_pidfd(&table, pid, Signal::SIGTERM).unwrap_err();
        assert!(
            format!("{err:#}").contains("not a live process of this run"),
            "{err:#}"
        );
    }

    fn spawn_line(pid: i32, start: Option<u64>) -> Line {
        Line::Event(Event {
            t_us: 0,
            pid,
            kind: EventKind::Spawn {
                ppid: 1,
                label: "child".into(),
                start,
            },
        })
    }

    /// A spawn without a start time opens no pidfd: reading the start time now would
    /// check whoever holds the PID against itself. The menu's answer says why, and the
    /// process (alive, and ours here) gets nothing.
    #[test]
    fn a_spawn_without_a_start_time_gets_no_pidfd() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let table: Pidfds = Arc::default();
        let (track, _rx) = unbounded();
        let seen = Mutex::new(Vec::new());
        let _ = forward(spawn_line(pid, None), "", &track, &seen, &table);
        assert!(matches!(
            table.lock().unwrap().get(&pid),
            Some(Handle::Refused(_))
        ));
        let err = signal_through_pidfd(&table, pid, Signal::SIGKILL).unwrap_err();
        let said = format!("{err:#}");
        assert!(
            said.contains("cannot signal") && said.contains("no start time"),
            "{said}"
        );
        assert!(child.try_wait().unwrap().is_none(), "nothing was sent");

        // The same process announced with its real start time can be signalled.
        let start = procfs::read_stat(pid).unwrap().start_ticks;
        let _ = forward(spawn_line(pid, Some(start)), "", &track, &seen, &table);
        signal_through_pidfd(&table, pid, Signal::SIGKILL).expect("verified: sent");
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    }
}
