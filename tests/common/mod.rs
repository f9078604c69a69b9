//! Shared helpers for proclab's integration tests: the binary, unique environment tags
//! to find every process a run left behind, a spawned-process guard with timeouts, and
//! a small terminal model (ANSI stripper and screen) for the PTY tests.
//!
//! Tests never fork inside the harness: everything runs through `std::process::Command`
//! (or portable-pty), and every process of a run inherits the tag from the environment.

#![allow(
    clippy::cast_possible_wrap,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]
#![allow(dead_code)]

pub mod pty;

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The environment variable that marks every process of one test's run.
pub const TAG_VAR: &str = "PROCLAB_TEST_TAG";

/// How long the kernel gets to finish off a run's processes after the front end ended.
pub const GONE_WITHIN: Duration = Duration::from_secs(1);

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_proclab")
}

/// A tag no other test (in this run or any other) will use: name, pid, nanos, counter.
pub fn unique_tag(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{test}-{}-{nanos}-{n}", std::process::id())
}

/// `proclab <args>` with the tag in its environment, stdin closed, output piped.
pub fn proclab(tag: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env(TAG_VAR, tag)
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        // With RUST_BACKTRACE=1 inherited, color-eyre captures a backtrace for every
        // error (~0.35 s in a debug build) that is never printed; panics keep theirs.
        .env("RUST_LIB_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Reports a test that passes without judging anything (the machine cannot show what
/// it checks) as SKIPPED, with why, on the real stderr: `eprintln!` inside a test is
/// captured and shown only for failures, so a skip would pass as a silent green.
pub fn report_skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {why}");
}

// ---- finding processes by tag -------------------------------------------------------

/// PIDs of every live process whose environment holds `TAG_VAR=tag`. Entries we cannot
/// read (other users, processes that just ended, zombies) are skipped.
pub fn tagged_pids(tag: &str) -> Vec<i32> {
    let needle = format!("{TAG_VAR}={tag}");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|e| e == needle.as_bytes()) {
            pids.push(pid);
        }
    }
    pids.sort_unstable();
    pids
}

/// One line about a process, for failure messages: pid, state, ppid, command line.
pub fn describe_pid(pid: i32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // comm may hold spaces; the fields after the last ')' are fixed.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let mut fields = after.split_whitespace();
    let state = fields.next().unwrap_or("?");
    let ppid = fields.next().unwrap_or("?");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .replace('\0', " ")
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    format!("pid {pid} state {state} ppid {ppid}: {cmdline}")
}

/// Polls until no tagged process is left, for up to `within`; returns the survivors.
pub fn wait_until_no_tagged(tag: &str, within: Duration) -> Vec<i32> {
    let deadline = Instant::now() + within;
    loop {
        let left = tagged_pids(tag);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Fails the test if any process carrying the tag is still alive after ~1 s.
pub fn assert_no_tagged_left(tag: &str) {
    assert_no_tagged_left_because(tag, "no process of a run may outlive it");
}

/// Like `assert_no_tagged_left`, with `why` (what should have ended them) leading the
/// message, then one line per survivor.
pub fn assert_no_tagged_left_because(tag: &str, why: &str) {
    let left = wait_until_no_tagged(tag, GONE_WITHIN);
    assert!(
        left.is_empty(),
        "{why}; {} process(es) of the run outlived it (tag {tag}):\n{}",
        left.len(),
        left.iter()
            .map(|p| describe_pid(*p))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Polls until at least `n` tagged processes are alive; returns how many were seen.
pub fn wait_for_tagged(tag: &str, n: usize, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        let count = tagged_pids(tag).len();
        if count >= n || Instant::now() >= deadline {
            return count;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// True if `pid` names an unreaped zombie whose command is proclab (a run's process
/// that exited but was never collected; zombies have no readable environment).
pub fn is_proclab_zombie(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let comm = stat
        .split_once('(')
        .and_then(|(_, r)| r.rsplit_once(')'))
        .map(|(c, _)| c);
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, r)| r.split_whitespace().next());
    comm == Some("proclab") && state == Some("Z")
}

// ---- a spawned proclab with a timeout ---------------------------------------------

/// What a finished run printed.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// A running proclab whose output is collected on threads. Dropping it before it ended
/// kills it (SIGKILL; its run dies through PDEATHSIG), so a failing test leaves nothing.
pub struct Running {
    child: Option<Child>,
    out_rx: mpsc::Receiver<(bool, Vec<u8>)>,
    started: Instant,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd.spawn().expect("spawning proclab");
        let (tx, out_rx) = mpsc::channel();
        let mut stdout = child.stdout.take().expect("stdout piped");
        let mut stderr = child.stderr.take().expect("stderr piped");
        let tx2 = tx.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            let _ = tx.send((true, buf));
        });
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            let _ = tx2.send((false, buf));
        });
        Running {
            child: Some(child),
            out_rx,
            started: Instant::now(),
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(-1)
    }

    /// Sends `signal` to the front end process.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), signal)
            .expect("signalling proclab");
    }

    /// SIGKILL to the front end, then reap it.
    pub fn kill_and_reap(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("still running");
        child.kill().expect("SIGKILL to proclab");
        child.wait().expect("reaping proclab")
    }

    /// Waits for the exit (panics after `timeout`, killing it) and collects the output.
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let deadline = self.started + timeout;
        let status = loop {
            let child = self.child.as_mut().expect("still running");
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                break status;
            }
            if Instant::now() >= deadline {
                drop(self);
                panic!("proclab did not exit within {timeout:?}");
            }
            thread::sleep(Duration::from_millis(5));
        };
        let elapsed = self.started.elapsed();
        self.collect(status, elapsed)
    }

    /// The output after `kill_and_reap`.
    pub fn collect_after_kill(self, status: ExitStatus) -> Finished {
        let elapsed = self.started.elapsed();
        self.collect(status, elapsed)
    }

    fn collect(self, status: ExitStatus, elapsed: Duration) -> Finished {
        let (mut stdout, mut stderr) = (None, None);
        for _ in 0..2 {
            // The pipes close when every holder ended; the run's processes do not hold
            // them, so this is quick. A stuck pipe is itself a bug worth failing on.
            match self.out_rx.recv_timeout(Duration::from_secs(5)) {
                Ok((true, b)) => stdout = Some(b),
                Ok((false, b)) => stderr = Some(b),
                Err(_) => panic!("proclab exited but its stdout/stderr stayed open for 5 s"),
            }
        }
        Finished {
            status,
            stdout: String::from_utf8_lossy(&stdout.unwrap_or_default()).into_owned(),
            stderr: String::from_utf8_lossy(&stderr.unwrap_or_default()).into_owned(),
            elapsed,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `proclab <args>` (tagged) to the end, within `timeout`.
pub fn run_proclab(tag: &str, args: &[&str], timeout: Duration) -> Finished {
    Running::spawn(proclab(tag, args)).finish(timeout)
}

/// Like `run_proclab`, and also the front end's PID (the parent of the run's `main`).
pub fn run_proclab_with_pid(tag: &str, args: &[&str], timeout: Duration) -> (i32, Finished) {
    let running = Running::spawn(proclab(tag, args));
    let pid = running.pid();
    (pid, running.finish(timeout))
}

// ---- the wire -------------------------------------------------------------------------

/// The events of a `--json` run: every line parsed as JSON, and the fields every event
/// has (`t_us`, `pid`, `kind`) checked.
pub fn parse_wire(stdout: &str) -> Vec<serde_json::Value> {
    assert!(
        stdout.ends_with('\n'),
        "output must end with a full line:\n{stdout}"
    );
    stdout
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {line}", i + 1));
            assert!(v["t_us"].is_u64(), "line {} has no t_us: {line}", i + 1);
            assert!(v["pid"].is_i64(), "line {} has no pid: {line}", i + 1);
            assert!(v["kind"].is_string(), "line {} has no kind: {line}", i + 1);
            v
        })
        .collect()
}

// ---- terminal output ----------------------------------------------------------------

/// One piece of a terminal byte stream.
enum Token {
    Text(char),
    Control(char),
    /// An escape sequence (CSI, OSC, charset, keypad…): ignored.
    Other,
}

/// Splits terminal output into text, control characters and escape sequences.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or('\u{fffd}');
        if c != '\x1b' {
            tokens.push(if c.is_control() {
                Token::Control(c)
            } else {
                Token::Text(c)
            });
            i += c.len_utf8();
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'[') => {
                let start = i + 2;
                let mut j = start;
                while j < bytes.len() && !(0x40..=0x7e).contains(&bytes[j]) {
                    j += 1;
                }
                if j >= bytes.len() {
                    break; // an incomplete sequence at the end: wait for more
                }
                tokens.push(Token::Other);
                i = j + 1;
            }
            Some(b']') | Some(b'P') | Some(b'_') | Some(b'^') => {
                // String sequences end with BEL or ST (ESC \).
                let mut j = i + 2;
                while j < bytes.len()
                    && bytes[j] != 0x07
                    && !(bytes[j] == 0x1b && bytes.get(j + 1) == Some(&b'\\'))
                {
                    j += 1;
                }
                i = if j < bytes.len() && bytes[j] == 0x07 {
                    j + 1
                } else {
                    j + 2
                };
                tokens.push(Token::Other);
            }
            Some(b'(') | Some(b')') | Some(b'#') => {
                // ESC ( B and friends: skip the designator character too.
                i += 2;
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                tokens.push(Token::Other);
            }
            Some(_) => {
                i += 1;
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                tokens.push(Token::Other);
            }
            None => break,
        }
    }
    tokens
}

/// The printable text of terminal output: escape sequences and control characters
/// (except newlines) removed. Text drawn with cursor moves may run together.
pub fn strip_ansi(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    for t in tokenize(&text) {
        match t {
            Token::Text(c) => out.push(c),
            Token::Control('\n') => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// The terminal's screen as a real emulator keeps it (the `vt100` crate: cursor
/// addressing, erasing, scrolling, wide characters, the alternate screen), to know
/// what text is visible after ratatui's diffed redraws.
pub struct Screen {
    parser: vt100::Parser,
}

impl Screen {
    pub fn new(cols: u16, rows: u16) -> Screen {
        Screen {
            parser: vt100::Parser::new(nonzero(rows), nonzero(cols), 0),
        }
    }

    /// The screen after replaying `raw` from a blank terminal.
    pub fn replay(cols: u16, rows: u16, raw: &[u8]) -> Screen {
        let mut s = Screen::new(cols, rows);
        s.feed(raw);
        s
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser.set_size(nonzero(rows), nonzero(cols));
    }

    pub fn feed(&mut self, raw: &[u8]) {
        self.parser.process(raw);
    }

    /// The visible text, one line per row, every row as wide as the screen (blank
    /// cells as spaces; a wide character takes one `char` for its two cells).
    pub fn text(&self) -> String {
        let screen = self.parser.screen();
        let (rows, cols) = screen.size();
        (0..rows.get())
            .map(|r| {
                (0..cols.get())
                    .filter_map(|c| screen.cell(r, c))
                    .filter(|cell| !cell.is_wide_continuation())
                    .map(|cell| match cell.contents() {
                        "" => " ",
                        text => text,
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.text().lines().any(|line| line.contains(needle))
    }
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN)
}

/// Where `needle` first occurs in `haystack` at or after `from`.
pub fn find_bytes(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() || needle.is_empty() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Runs `proclab <args>` (tagged `name`) and checks a refusal: a failed exit, nothing on
/// stdout, every one of `must_mention` on stderr, no process left. Returns the output
/// for further checks (an exact exit code, say).
pub fn assert_refused(
    name: &str,
    args: &[&str],
    must_mention: &[&str],
    timeout: Duration,
) -> Finished {
    let tag = unique_tag(name);
    let out = run_proclab(&tag, args, timeout);
    assert!(
        !out.status.success(),
        "{args:?} must fail, stderr:\n{}",
        out.stderr
    );
    assert_eq!(out.stdout, "", "{args:?} must print nothing on stdout");
    for m in must_mention {
        assert!(
            out.stderr.contains(m),
            "{args:?}: stderr lacks {m:?}:\n{}",
            out.stderr
        );
    }
    assert_no_tagged_left(&tag);
    out
}

// ---- a checked `--json` run, and checks on threads -----------------------------------

/// Runs each `(name, check)` on its own thread and fails if any of them failed (each
/// failure is printed with its thread's name). Each check drives its own proclab, so
/// runs overlap in wall time while nothing forks in the test process.
pub fn in_parallel(checks: Vec<(String, Box<dyn FnOnce() + Send>)>) {
    let failed: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = checks
            .into_iter()
            .map(|(name, check)| {
                let h = thread::Builder::new()
                    .name(name.clone())
                    .spawn_scoped(s, check)
                    .expect("spawning a test thread");
                (name, h)
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|(name, h)| h.join().is_err().then_some(name))
            .collect()
    });
    assert!(
        failed.is_empty(),
        "failed: {failed:?} (see the panics above)"
    );
}

/// The `pid` of an event.
pub fn event_pid(e: &serde_json::Value) -> i64 {
    e["pid"].as_i64().expect("pid")
}

/// The `t_us` of an event.
pub fn event_t_us(e: &serde_json::Value) -> u64 {
    e["t_us"].as_u64().expect("t_us")
}

/// A finished `--json` run whose common facts were checked (see `run_json_checked`).
pub struct JsonRun {
    /// What ran, for failure messages: `queue --speed 4 --set items=5`.
    pub what: String,
    pub stdout: String,
    /// Every line, in the order the front end printed them.
    pub events: Vec<serde_json::Value>,
    /// The front end: the `proclab` process the test started, main's parent and reaper.
    pub front_end: i64,
    /// The runner, which plays the Python main program.
    pub main: i64,
    /// Spawn events by PID.
    pub spawns: std::collections::BTreeMap<i64, serde_json::Value>,
    pub elapsed: Duration,
}

impl JsonRun {
    /// Context for an assertion message: what ran and everything it printed (long
    /// outputs are cut in the middle).
    pub fn ctx(&self) -> String {
        const KEEP: usize = 12_000;
        let out = if self.stdout.len() <= 2 * KEEP {
            self.stdout.clone()
        } else {
            let s = &self.stdout;
            let head_end = (0..=KEEP)
                .rev()
                .find(|i| s.is_char_boundary(*i))
                .unwrap_or(0);
            let tail_start = (s.len() - KEEP..=s.len())
                .find(|i| s.is_char_boundary(*i))
                .unwrap_or(s.len());
            format!(
                "{}\n[… {} bytes …]\n{}",
                &self.stdout[..head_end],
                tail_start - head_end,
                &self.stdout[tail_start..]
            )
        };
        format!("[{}]\n{out}", self.what)
    }

    /// Events of `kind`, in line order.
    pub fn of_kind(&self, kind: &str) -> Vec<&serde_json::Value> {
        self.events.iter().filter(|e| e["kind"] == kind).collect()
    }

    /// Events of `kind` carrying `pid` in their `pid` field, in line order.
    pub fn by(&self, pid: i64, kind: &str) -> Vec<&serde_json::Value> {
        self.events
            .iter()
            .filter(|e| e["kind"] == kind && event_pid(e) == pid)
            .collect()
    }

    /// `(line, event)` of every event of `kind`, in line order (`line` indexes `events`).
    pub fn lines_of(&self, kind: &str) -> Vec<(usize, &serde_json::Value)> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, e)| e["kind"] == kind)
            .collect()
    }

    /// `(line, event)` of every event of `kind` from `pid`, in line order.
    pub fn lines_by(&self, pid: i64, kind: &str) -> Vec<(usize, &serde_json::Value)> {
        self.lines_of(kind)
            .into_iter()
            .filter(|(_, e)| event_pid(e) == pid)
            .collect()
    }

    /// The PID of the one process spawned with `label`.
    pub fn pid_of(&self, label: &str) -> i64 {
        let pids: Vec<i64> = self
            .spawns
            .iter()
            .filter(|(_, s)| s["label"] == label)
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(
            pids.len(),
            1,
            "exactly one process labelled {label:?} expected {}",
            self.ctx()
        );
        pids[0]
    }

    /// The one reap of `child` (`run_json_checked` checked there is exactly one).
    pub fn reap_of(&self, child: i64) -> &serde_json::Value {
        self.events
            .iter()
            .find(|e| e["kind"] == "reap" && e["child"] == child)
            .unwrap_or_else(|| panic!("{child} was never reaped {}", self.ctx()))
    }

    /// The last line (`run_json_checked` checked it is the one summary).
    pub fn summary(&self) -> &serde_json::Value {
        self.events.last().expect("some events")
    }

    /// The value of the one `result` event named `name`.
    pub fn result(&self, name: &str) -> &serde_json::Value {
        let r: Vec<&serde_json::Value> = self
            .of_kind("result")
            .into_iter()
            .filter(|r| r["name"] == name)
            .collect();
        assert_eq!(r.len(), 1, "one result {name:?} expected {}", self.ctx());
        &r[0]["value"]
    }

    /// Checks that every process but main is main's own child and was reaped by main,
    /// not by an adopter (`run_json_checked` allows adoption; flat runs such as `pi` and
    /// `pool` have none).
    pub fn assert_all_children_of_main(&self) {
        let ctx = self.ctx();
        for (p, s) in self.spawns.iter().filter(|(p, _)| **p != self.main) {
            assert_eq!(s["ppid"], self.main, "{p}'s parent is main {ctx}");
            assert_eq!(
                event_pid(self.reap_of(*p)),
                self.main,
                "{p} is reaped by main {ctx}"
            );
        }
    }

    /// Checks that `pid` reported `exit` with `code` exactly once and that its parent
    /// (or adopter) reaped it with that exit code.
    pub fn assert_exited(&self, pid: i64, code: i64) {
        let ctx = self.ctx();
        let exits = self.by(pid, "exit");
        assert_eq!(exits.len(), 1, "{pid} reports one exit {ctx}");
        assert_eq!(exits[0]["code"], code, "{pid}'s exit code {ctx}");
        let reap = self.reap_of(pid);
        assert_eq!(reap["status"], code << 8, "{pid}'s raw wait status {ctx}");
        assert_eq!(reap["code"], code, "{pid}'s decoded exit code {ctx}");
        assert!(
            reap.get("signal").is_none(),
            "{pid} exited, not killed {ctx}"
        );
    }
}

/// Runs `proclab run <scenario> --json --speed <speed> [--set s]…` (tagged) to its end
/// and checks what every run must show:
/// - success, nothing on stderr, every line an event (`t_us`, `pid`, `kind`);
/// - one `summary`, the last line, counting every spawn, `leaked` 0, its `results`
///   those of the `result` events;
/// - every spawn has a distinct PID; one `main`, whose parent is the front end;
/// - every process is reaped exactly once, by its parent or its adopter (`reparent`),
///   main by the front end;
/// - no `fork_failed`; `state` events only for the run's processes;
/// - no process carrying the run's tag is left afterwards.
pub fn run_json_checked(
    scenario: &str,
    sets: &[String],
    speed: &str,
    timeout: Duration,
) -> JsonRun {
    run_json_checked_with(&[], scenario, sets, speed, timeout)
}

/// `run_json_checked` with options before `run` (`--cap 8`), which `what` then shows.
pub fn run_json_checked_with(
    global: &[&str],
    scenario: &str,
    sets: &[impl AsRef<str>],
    speed: &str,
    timeout: Duration,
) -> JsonRun {
    run_json_checked_env(&[], global, scenario, sets, speed, timeout)
}

/// `run_json_checked_with`, with `env` added to proclab's environment (a debug trigger).
pub fn run_json_checked_env(
    env: &[(&str, &str)],
    global: &[&str],
    scenario: &str,
    sets: &[impl AsRef<str>],
    speed: &str,
    timeout: Duration,
) -> JsonRun {
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};

    let mut args = global.to_vec();
    args.extend(["run", scenario, "--json", "--speed", speed]);
    for s in sets {
        args.extend(["--set", s.as_ref()]);
    }
    let what = args
        .iter()
        .filter(|a| **a != "run" && **a != "--json")
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let tag = unique_tag(&format!("json-{scenario}"));
    let mut cmd = proclab(&tag, &args);
    cmd.envs(env.iter().copied());
    let running = Running::spawn(cmd);
    let front_end = i64::from(running.pid());
    let out = running.finish(timeout);
    assert!(
        out.status.success(),
        "[{what}] exit {:?}, stderr:\n{}\nstdout:\n{}",
        out.status,
        out.stderr,
        out.stdout
    );
    assert_eq!(
        out.stderr, "",
        "[{what}] a clean run writes nothing to stderr"
    );
    let events = parse_wire(&out.stdout);
    let run = JsonRun {
        what,
        stdout: out.stdout,
        events,
        front_end,
        main: 0,
        spawns: BTreeMap::new(),
        elapsed: out.elapsed,
    };
    let ctx = run.ctx();
    let events = &run.events;

    let summaries = events.iter().filter(|e| e["kind"] == "summary").count();
    assert_eq!(summaries, 1, "exactly one summary expected {ctx}");
    let summary = events.last().expect("some events");
    assert_eq!(summary["kind"], "summary", "the summary must be last {ctx}");

    let mut spawns = BTreeMap::new();
    for s in events.iter().filter(|e| e["kind"] == "spawn") {
        assert!(
            spawns.insert(event_pid(s), s.clone()).is_none(),
            "PID {} spawned twice {ctx}",
            event_pid(s)
        );
    }
    let mains: Vec<i64> = spawns
        .iter()
        .filter(|(_, s)| s["label"] == "main")
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(mains.len(), 1, "exactly one main expected {ctx}");
    let main = mains[0];
    assert_eq!(
        spawns[&main]["ppid"], front_end,
        "main's parent must be the front end {ctx}"
    );

    let mut reapers: BTreeMap<i64, BTreeSet<i64>> = spawns
        .iter()
        .map(|(p, s)| (*p, BTreeSet::from([s["ppid"].as_i64().expect("ppid")])))
        .collect();
    for r in events.iter().filter(|e| e["kind"] == "reparent") {
        if let Some(set) = reapers.get_mut(&event_pid(r)) {
            set.insert(r["ppid"].as_i64().expect("reparent.ppid"));
        }
    }
    let mut reaped: BTreeMap<i64, usize> = BTreeMap::new();
    for r in events.iter().filter(|e| e["kind"] == "reap") {
        let child = r["child"].as_i64().expect("reap.child");
        let allowed = reapers
            .get(&child)
            .unwrap_or_else(|| panic!("reap of {child}, which never spawned: {r} {ctx}"));
        assert!(
            allowed.contains(&event_pid(r)),
            "{child} reaped by {}, which is neither its parent nor its adopter {ctx}",
            event_pid(r)
        );
        *reaped.entry(child).or_default() += 1;
    }
    for p in spawns.keys() {
        assert_eq!(
            reaped.get(p).copied().unwrap_or(0),
            1,
            "process {p} ({}) must be reaped exactly once {ctx}",
            spawns[p]["label"]
        );
    }
    let main_reap = events
        .iter()
        .find(|e| e["kind"] == "reap" && e["child"] == main)
        .expect("main's reap");
    assert_eq!(
        event_pid(main_reap),
        front_end,
        "the front end reaps main {ctx}"
    );

    assert!(
        !events.iter().any(|e| e["kind"] == "fork_failed"),
        "no fork may fail {ctx}"
    );
    for s in events.iter().filter(|e| e["kind"] == "state") {
        assert!(
            spawns.contains_key(&event_pid(s)),
            "state for a PID outside the run: {s} {ctx}"
        );
    }

    assert_eq!(
        summary["processes"],
        spawns.len(),
        "the summary counts every spawn {ctx}"
    );
    assert_eq!(summary["leaked"], 0, "nothing may leak {ctx}");
    // The summary's results as the runner builds them (crates/proclab-procs/src/scenario/ctx.rs): a name
    // reported once keeps its value; a name reported again (the pool's one `task` per
    // task) collects every value into a list, in line order. Last-wins would contradict
    // the summary of any run that repeats a name, so it is not what is checked here.
    let mut by_name: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in events.iter().filter(|e| e["kind"] == "result") {
        by_name
            .entry(r["name"].as_str().expect("name").to_string())
            .or_default()
            .push(r["value"].clone());
    }
    let results: serde_json::Map<String, Value> = by_name
        .into_iter()
        .map(|(name, mut values)| {
            let value = if values.len() == 1 {
                values.remove(0)
            } else {
                Value::Array(values)
            };
            (name, value)
        })
        .collect();
    assert_eq!(
        summary["results"],
        Value::Object(results),
        "the summary's results are the result events {ctx}"
    );

    assert_no_tagged_left(&tag);
    JsonRun {
        main,
        spawns,
        ..run
    }
}

// ---- finding a process's events around a line -----------------------------------------

impl JsonRun {
    /// The line (index into `events`) of `e`, which must be one of this run's events.
    pub fn line_of(&self, e: &serde_json::Value) -> usize {
        self.events
            .iter()
            .position(|x| std::ptr::eq(x, e))
            .expect("an event of this run")
    }

    /// The first event of `pid` after line `line` whose kind is not in `skip`.
    pub fn next_of(&self, pid: i64, line: usize, skip: &[&str]) -> Option<&serde_json::Value> {
        self.events[line + 1..]
            .iter()
            .find(|e| event_pid(e) == pid && !skip.iter().any(|k| e["kind"] == *k))
    }

    /// The last event of `pid` before line `line` whose kind is not in `skip`.
    pub fn prev_of(&self, pid: i64, line: usize, skip: &[&str]) -> Option<&serde_json::Value> {
        self.events[..line]
            .iter()
            .rfind(|e| event_pid(e) == pid && !skip.iter().any(|k| e["kind"] == *k))
    }

    /// The last `state` the observer reported for `pid` whose sample is at least
    /// `slack_us` older than `t_us` (the stamp is taken just after the /proc read).
    pub fn state_before(&self, pid: i64, t_us: u64, slack_us: u64) -> Option<&serde_json::Value> {
        self.by(pid, "state")
            .into_iter()
            .rfind(|s| event_t_us(s) + slack_us < t_us)
    }
}
