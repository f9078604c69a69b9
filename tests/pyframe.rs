//! `proclab::pyframe` against real CPython processes, one module of tests per version
//! (3.9 to 3.13): a stack read from memory agrees with the program's own
//! `traceback.extract_stack()` at the same point (file, function, line, every frame),
//! while the program is blocked, stopped (SIGSTOP) and running; `Process(target=worker)`
//! children (fork) say `worker`; a Pool's and a ProcessPoolExecutor's workers, a
//! Manager's server, the forkserver and the resource tracker are recognised.
//!
//! An interpreter that is not installed is skipped with a printed reason (the test
//! passes: libtest has no run-time skip). Every program says when it is ready on
//! stdout (polled with a deadline); it ends when its stdin closes, and its processes
//! are reaped by it; on any other path (a failed assertion) the whole process group is
//! killed and every process it reported is reaped (this test binary is a child
//! subreaper, so the orphans come to it).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use proclab::pyframe::{PyFrame, PyProcess, Role, WhyNot, role, target_function};

/// How long a program gets to say it is ready, or to end once told to.
const DEADLINE: Duration = Duration::from_secs(20);

// ---- finding interpreters ------------------------------------------------------------

/// An interpreter of version 3.`minor`, checked by running it: pyenv's versions, then
/// the usual directories, then PATH.
fn python(minor: u32) -> Option<PathBuf> {
    let name = format!("python3.{minor}");
    let mut candidates = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        let versions = Path::new(&home).join(".pyenv/versions");
        if let Ok(entries) = std::fs::read_dir(&versions) {
            let mut dirs: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&format!("3.{minor}.")))
                })
                .collect();
            dirs.sort();
            candidates.extend(dirs.into_iter().rev().map(|d| d.join("bin").join(&name)));
        }
    }
    candidates.push(Path::new("/usr/bin").join(&name));
    candidates.push(Path::new("/usr/local/bin").join(&name));
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join(&name)));
    }
    candidates.into_iter().find(|p| is_version(p, minor))
}

fn is_version(python: &Path, minor: u32) -> bool {
    let Ok(out) = Command::new(python)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == format!("3.{minor}")
}

// ---- running a program -----------------------------------------------------------------

/// A Python program in its own process group, its stdout read line by line on a
/// thread (so a wait for a line can have a deadline), its stdin kept open until
/// `finish`.
struct Program {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    script: PathBuf,
    /// Every PID the program reported: reaped (if they became ours) when it ends.
    reported: Vec<i32>,
    reaped: bool,
}

fn subreaper() {
    static ONCE: Once = Once::new();
    // Orphans of a program killed on a failure path then come to this process, which
    // reaps them, instead of to PID 1.
    ONCE.call_once(|| {
        // SAFETY: prctl with integer arguments only.
        let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(rc, 0, "PR_SET_CHILD_SUBREAPER");
    });
}

impl Program {
    fn start(python: &Path, name: &str, source: &str) -> Program {
        subreaper();
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "proclab-pyframe-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let script = dir.join(format!("{name}.py"));
        std::fs::write(&script, source).expect("write the script");
        let mut child = Command::new(python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("start python");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Program {
            child,
            stdin,
            lines,
            script,
            reported: Vec::new(),
            reaped: false,
        }
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("a PID fits an i32")
    }

    fn script(&self) -> String {
        self.script.to_string_lossy().into_owned()
    }

    /// The rest of the next line that starts with `prefix` (other lines are skipped).
    fn line(&mut self, prefix: &str) -> String {
        let end = Instant::now() + DEADLINE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.trim_start().to_string();
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("no {prefix:?} line within {DEADLINE:?}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the program ended before a {prefix:?} line")
                }
            }
        }
    }

    /// PIDs on the next line starting with `prefix`, remembered for reaping.
    fn pids(&mut self, prefix: &str) -> Vec<i32> {
        let pids: Vec<i32> = self
            .line(prefix)
            .split_whitespace()
            .map(|p| {
                p.parse()
                    .unwrap_or_else(|e| panic!("{p:?} in a {prefix} line: {e}"))
            })
            .collect();
        self.reported.extend(&pids);
        pids
    }

    fn send(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to the program");
        stdin.flush().expect("flush");
    }

    /// Closes stdin (every program ends then) and waits for it, with the deadline.
    fn finish(mut self) {
        drop(self.stdin.take());
        let end = Instant::now() + DEADLINE;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.reaped = true;
                    assert!(status.success(), "the program ended with {status}");
                    return;
                }
                Ok(None) if Instant::now() < end => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => panic!("the program did not end within {DEADLINE:?}"),
                Err(e) => panic!("wait: {e}"),
            }
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        if !self.reaped {
            // The group is named by the program's PID, which cannot be reused while it
            // is unreaped: the signal reaches no stranger.
            let _ = killpg(Pid::from_raw(self.pid()), Signal::SIGKILL);
            let _ = self.child.wait();
        }
        // Processes the program started and did not reap (it was killed, or they
        // outlived it: the resource tracker and the forkserver end when it has) are
        // this process's children now. Each gets a moment to end by itself, then is
        // killed, and is reaped. One that is not our child (ECHILD: its parent reaped
        // it) is left alone: its PID may already be someone else's.
        for &pid in &self.reported {
            let pid = Pid::from_raw(pid);
            let end = Instant::now() + Duration::from_secs(2);
            loop {
                match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::StillAlive) if Instant::now() < end => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Ok(WaitStatus::StillAlive) => {
                        // Unreaped and ours: the PID is still this process's.
                        let _ = kill(pid, Signal::SIGKILL);
                        let _ = waitpid(pid, None);
                        break;
                    }
                    _ => break,
                }
            }
        }
        if let Some(dir) = self.script.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Frames as `file:function:line`, innermost first, for assertion messages.
fn show(stack: &[PyFrame]) -> String {
    stack
        .iter()
        .map(|f| format!("{}:{}:{}", f.file, f.function, f.line))
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// The 1-based number of the line holding `marker`.
fn line_of(source: &str, marker: &str) -> u32 {
    let i = source
        .lines()
        .position(|l| l.contains(marker))
        .expect("marker in the source");
    u32::try_from(i + 1).expect("small")
}

/// Attach and read until `accept` holds, with the deadline: a process just started
/// may not have its interpreter (or its function) yet.
fn read_until(pid: i32, accept: impl Fn(&[PyFrame]) -> bool) -> Vec<PyFrame> {
    let end = Instant::now() + DEADLINE;
    let mut last = String::new();
    let mut reader: Option<PyProcess> = None;
    while Instant::now() < end {
        if reader.is_none() {
            match PyProcess::attach(pid) {
                Ok(r) => reader = Some(r),
                Err(e) => last = format!("attach: {e}"),
            }
        }
        if let Some(r) = reader.as_mut() {
            match r.stack() {
                Ok(stack) if accept(&stack) => return stack,
                Ok(stack) => last = show(&stack),
                Err(e) => last = format!("stack: {e}"),
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("pid {pid}: not as expected within {DEADLINE:?}; last read:\n  {last}")
}

// ---- the programs ----------------------------------------------------------------------

/// Blocks in `wait_here` (main thread, a helper thread waiting beside it) after
/// printing its own `traceback.extract_stack()` from the same line; then, given a
/// byte, spins in `spin` until stdin closes. `wait_here` is reached through a class's
/// `__init__` called in a loop, so that 3.13 specialises the call and pushes the
/// `_Py_InitCleanup` shim frame the reader must leave out.
const STACK_PY: &str = r#"import json, sys, threading, traceback

stop = []


def helper_thread(ready):
    ready.set()
    threading.Event().wait()


def wait_here():
    print("STACK " + json.dumps([[f.filename, f.name, f.lineno] for f in traceback.extract_stack()]), flush=True); sys.stdin.buffer.read(1)  # WAIT


def middle():
    wait_here()


class Caller:
    def __init__(self, last):
        if last:
            middle()


def watch_stdin():
    sys.stdin.buffer.read(1)
    stop.append(True)


def spin():
    print("SPINNING", flush=True)  # SPIN
    x = 0  # SPIN
    while not stop:  # SPIN
        x += 1  # SPIN


if __name__ == "__main__":
    ready = threading.Event()
    threading.Thread(target=helper_thread, args=(ready,), daemon=True).start()
    ready.wait()
    for i in range(100):
        Caller(i == 99)  # warm: 3.13 then pushes its __init__ shim frame here
    threading.Thread(target=watch_stdin, daemon=True).start()
    spin()
"#;

/// Three `Process(target=worker)` children (fork), each blocked in `worker` until the
/// parent's stdin closes. Each announces itself with one write(2), so the lines of
/// three processes on one pipe never mix (`print` may write in pieces).
const CHILDREN_PY: &str = r#"import multiprocessing as mp, os, sys


def worker(r, w):
    os.close(w)
    os.write(1, b"CHILD %d\n" % os.getpid()); os.read(r, 1)  # WORKER


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    r, w = os.pipe()
    children = [ctx.Process(target=worker, args=(r, w)) for _ in range(3)]
    for c in children:
        c.start()
    sys.stdin.buffer.read()  # PARENT
    os.close(w)
    for c in children:
        c.join()
"#;

/// The machinery's own processes, their PIDs printed: a Pool, a ProcessPoolExecutor, a
/// Manager, the resource tracker, the forkserver.
const ROLES_PY: &str = r#"import concurrent.futures as cf, multiprocessing as mp, sys
from multiprocessing import forkserver, resource_tracker


def square(x):
    return x * x


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    pool = ctx.Pool(2)
    assert pool.map(square, range(4)) == [0, 1, 4, 9]
    ex = cf.ProcessPoolExecutor(2, mp_context=ctx)
    assert list(ex.map(square, range(4))) == [0, 1, 4, 9]
    mgr = ctx.Manager()
    value = mgr.Value("i", 7)
    resource_tracker.ensure_running()
    forkserver.ensure_running()
    print("POOL", *[p.pid for p in pool._pool])
    print("EXECUTOR", *ex._processes)
    print("MANAGER", mgr._process.pid)
    print("TRACKER", resource_tracker._resource_tracker._pid)
    print("FORKSERVER", forkserver._forkserver._forkserver_pid, flush=True)
    sys.stdin.buffer.read()
    pool.terminate()
    pool.join()
    ex.shutdown()
    mgr.shutdown()
"#;

// ---- the tests -------------------------------------------------------------------------

/// `traceback.extract_stack()` as printed by the program (outermost first), turned
/// innermost first.
fn traceback_view(json: &str) -> Vec<(String, String, u32)> {
    let frames: Vec<(String, String, u32)> = serde_json::from_str(json).expect("STACK json");
    frames.into_iter().rev().collect()
}

fn stack_agrees_with_traceback(python: &Path) {
    let mut prog = Program::start(python, "stack", STACK_PY);
    let script = prog.script();
    let tb = traceback_view(&prog.line("STACK"));
    let mut reader = PyProcess::attach(prog.pid()).expect("attach");
    eprintln!("pid {}: CPython {}", prog.pid(), reader.version());

    // Blocked: exactly what traceback says, frame by frame.
    let stack = reader.stack().expect("stack");
    let view: Vec<(String, String, u32)> = stack
        .iter()
        .map(|f| (f.file.clone(), f.name().to_string(), f.line))
        .collect();
    assert_eq!(view, tb, "py-spy's view:\n  {}", show(&stack));
    assert_eq!(stack[0].file, script);
    assert_eq!(stack[0].name(), "wait_here");
    assert_eq!(stack[0].line, line_of(STACK_PY, "# WAIT"));
    assert_eq!(stack[1].name(), "middle");
    assert_eq!(stack[2].name(), "__init__");
    assert_eq!(stack[3].function, "<module>");
    assert_eq!(target_function(&stack), None);
    assert_eq!(role(&stack), None);

    // Every thread: the main one as above, the helper in its function.
    let threads = reader.threads().expect("threads");
    assert_eq!(threads.len(), 2, "two Python threads");
    assert!(threads.iter().any(|t| t.frames == stack));
    assert!(
        threads
            .iter()
            .any(|t| t.frames.iter().any(|f| f.name() == "helper_thread"))
    );

    // Stopped (as the tracer holds it, or as a group-stop): the same.
    let pid = Pid::from_raw(prog.pid());
    kill(pid, Signal::SIGSTOP).expect("SIGSTOP");
    wait_for_state(prog.pid(), 'T');
    let stopped = reader.stack();
    kill(pid, Signal::SIGCONT).expect("SIGCONT");
    assert_eq!(stopped.as_ref(), Ok(&stack));

    // Running: the innermost frame is `spin`, on one of its lines, read after read.
    prog.send(b"g");
    prog.line("SPINNING");
    let spin_lines: Vec<u32> = STACK_PY
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("# SPIN"))
        .map(|(i, _)| u32::try_from(i + 1).expect("a line number"))
        .collect();
    let (mut good, mut failed) = (0, 0);
    for _ in 0..200 {
        match reader.stack() {
            Ok(s) => {
                assert_eq!(s[0].name(), "spin", "{}", show(&s));
                assert!(spin_lines.contains(&s[0].line), "{}", show(&s));
                assert_eq!(s[1].function, "<module>", "{}", show(&s));
                good += 1;
            }
            // A read racing the interpreter may fail; it must say why, not panic.
            Err(WhyNot::Unreadable(_)) => failed += 1,
            Err(e) => panic!("reading a running process: {e}"),
        }
    }
    eprintln!("running: {good} reads agreed, {failed} unreadable");
    assert!(good >= 190, "{good} of 200 reads of a running process");
    prog.finish();
}

fn wait_for_state(pid: i32, want: char) {
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.trim_start().chars().next());
        if state == Some(want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("pid {pid} not in state {want} within {DEADLINE:?}");
}

fn children_run_their_target(python: &Path) {
    let mut prog = Program::start(python, "children", CHILDREN_PY);
    let script = prog.script();
    let children: Vec<i32> = (0..3).flat_map(|_| prog.pids("CHILD")).collect();
    for &child in &children {
        let stack = read_until(child, |s| target_function(s).is_some());
        assert_eq!(target_function(&stack), Some("worker"), "{}", show(&stack));
        assert_eq!(role(&stack), None, "{}", show(&stack));
        assert_eq!(stack[0].file, script);
        assert_eq!(
            stack[0].line,
            line_of(CHILDREN_PY, "# WORKER"),
            "{}",
            show(&stack)
        );
        eprintln!("child {child}:\n  {}", show(&stack));
    }
    let parent_line = line_of(CHILDREN_PY, "# PARENT");
    let parent = read_until(prog.pid(), |s| {
        s.first().is_some_and(|f| f.line == parent_line)
    });
    assert_eq!(target_function(&parent), None);
    assert_eq!(role(&parent), None);
    prog.finish();
}

fn machinery_is_recognised(python: &Path) {
    let mut prog = Program::start(python, "roles", ROLES_PY);
    let pool = prog.pids("POOL");
    let executor = prog.pids("EXECUTOR");
    let manager = prog.pids("MANAGER");
    let tracker = prog.pids("TRACKER");
    let forkserver = prog.pids("FORKSERVER");
    assert_eq!(pool.len(), 2);
    assert!(!executor.is_empty());
    let expected = pool
        .iter()
        .map(|&p| (p, Role::PoolWorker))
        .chain(executor.iter().map(|&p| (p, Role::ProcessPoolWorker)))
        .chain(manager.iter().map(|&p| (p, Role::ManagerServer)))
        .chain(tracker.iter().map(|&p| (p, Role::ResourceTracker)))
        .chain(forkserver.iter().map(|&p| (p, Role::ForkServer)));
    for (pid, want) in expected {
        let stack = read_until(pid, |s| role(s).is_some());
        assert_eq!(role(&stack), Some(want), "pid {pid}:\n  {}", show(&stack));
        eprintln!("{} {pid}:\n  {}", want.describe(), show(&stack));
    }
    let parent = read_until(prog.pid(), |s| !s.is_empty());
    assert_eq!(role(&parent), None, "{}", show(&parent));
    prog.finish();
}

macro_rules! per_version {
    ($($module:ident => $minor:expr),* $(,)?) => {$(
        mod $module {
            use super::*;

            fn interpreter() -> Option<PathBuf> {
                let found = python($minor);
                if found.is_none() {
                    eprintln!("SKIPPED: no python3.{} found (pyenv, /usr/bin, /usr/local/bin, PATH)", $minor);
                }
                found
            }

            #[test]
            fn stack_agrees_with_traceback() {
                if let Some(p) = interpreter() {
                    super::stack_agrees_with_traceback(&p);
                }
            }

            #[test]
            fn children_run_their_target() {
                if let Some(p) = interpreter() {
                    super::children_run_their_target(&p);
                }
            }

            #[test]
            fn machinery_is_recognised() {
                if let Some(p) = interpreter() {
                    super::machinery_is_recognised(&p);
                }
            }
        }
    )*};
}

per_version! {
    python_3_9 => 9,
    python_3_10 => 10,
    python_3_11 => 11,
    python_3_12 => 12,
    python_3_13 => 13,
}

#[test]
fn a_program_that_is_not_python_is_said_to_be_so() {
    subreaper();
    let mut child = Command::new("sleep")
        .arg("30")
        .stdin(Stdio::null())
        .spawn()
        .expect("sleep");
    let pid = i32::try_from(child.id()).expect("a PID fits an i32");
    let got = PyProcess::attach(pid).err();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got, Some(WhyNot::NotPython));
}

#[test]
fn a_process_that_ended_is_gone() {
    let Some(python) = (9..=13).find_map(python) else {
        eprintln!("SKIPPED: no python3.9 to 3.13 found");
        return;
    };
    let mut prog = Program::start(
        &python,
        "gone",
        "import sys\nprint('UP', flush=True)\nsys.stdin.buffer.read()\n",
    );
    prog.line("UP");
    let mut reader = PyProcess::attach(prog.pid()).expect("attach");
    assert!(reader.stack().is_ok());
    let pid = prog.pid();
    prog.finish();
    // Reaped: no such process (its PID is not reused this soon).
    assert_eq!(reader.stack(), Err(WhyNot::Gone));
    assert_eq!(PyProcess::attach(pid).err(), Some(WhyNot::Gone));
}
