//! Shared helpers for proclab's integration tests: the binary, unique environment tags
//! to find every process a run left behind, a spawned-process guard with timeouts, and
//! a small terminal model (ANSI stripper and screen) for the PTY tests.
//!
//! Tests never fork inside the harness: everything runs through `std::process::Command`
//! (or portable-pty), and every process of a run inherits the tag from the environment.

#![allow(dead_code)]

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
    let left = wait_until_no_tagged(tag, GONE_WITHIN);
    assert!(
        left.is_empty(),
        "{} process(es) of the run outlived it (tag {tag}):\n{}",
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
enum Token<'a> {
    Text(char),
    /// `ESC [ params final`: params without the leading '?', and whether it had one.
    Csi {
        private: bool,
        params: &'a str,
        final_byte: char,
    },
    Control(char),
    /// Any other escape (OSC, charset, keypad…): ignored.
    Other,
}

/// Splits terminal output into text, control characters and escape sequences.
fn tokenize(text: &str) -> Vec<Token<'_>> {
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
                let raw = &text[start..j];
                let private = raw.starts_with(['?', '>', '<', '=']);
                let params = if private { &raw[1..] } else { raw };
                tokens.push(Token::Csi {
                    private,
                    params,
                    final_byte: bytes[j] as char,
                });
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

/// A minimal model of the terminal's screen: enough of cursor addressing, erasing and
/// the alternate screen to know what text is visible after ratatui's diffed redraws.
pub struct Screen {
    cols: usize,
    rows: usize,
    cells: Vec<Vec<String>>,
    main_saved: Option<Vec<Vec<String>>>,
    row: usize,
    col: usize,
}

impl Screen {
    pub fn new(cols: u16, rows: u16) -> Screen {
        let (cols, rows) = (cols as usize, rows as usize);
        Screen {
            cols,
            rows,
            cells: vec![vec![" ".to_string(); cols]; rows],
            main_saved: None,
            row: 0,
            col: 0,
        }
    }

    /// The screen after replaying `raw` from a blank terminal.
    pub fn replay(cols: u16, rows: u16, raw: &[u8]) -> Screen {
        let mut s = Screen::new(cols, rows);
        s.feed(raw);
        s
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.cols = cols as usize;
        self.rows = rows as usize;
        for line in self.cells.iter_mut() {
            line.resize(self.cols, " ".to_string());
        }
        self.cells
            .resize(self.rows, vec![" ".to_string(); self.cols]);
        self.row = self.row.min(self.rows.saturating_sub(1));
        self.col = self.col.min(self.cols.saturating_sub(1));
    }

    fn blank(&self) -> Vec<Vec<String>> {
        vec![vec![" ".to_string(); self.cols]; self.rows]
    }

    pub fn feed(&mut self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw).into_owned();
        for t in tokenize(&text) {
            match t {
                Token::Text(c) => self.put(c),
                Token::Control('\r') => self.col = 0,
                Token::Control('\n') => self.row = (self.row + 1).min(self.rows.saturating_sub(1)),
                Token::Control('\x08') => self.col = self.col.saturating_sub(1),
                Token::Control(_) | Token::Other => {}
                Token::Csi {
                    private,
                    params,
                    final_byte,
                } => self.csi(private, params, final_byte),
            }
        }
    }

    fn csi(&mut self, private: bool, params: &str, final_byte: char) {
        let nums: Vec<usize> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
        let n =
            |i: usize, default: usize| nums.get(i).copied().filter(|v| *v != 0).unwrap_or(default);
        let last_row = self.rows.saturating_sub(1);
        let last_col = self.cols.saturating_sub(1);
        if private {
            if nums.first() == Some(&1049) {
                match final_byte {
                    'h' if self.main_saved.is_none() => {
                        let blank = self.blank();
                        self.main_saved = Some(std::mem::replace(&mut self.cells, blank));
                    }
                    'l' => {
                        if let Some(main) = self.main_saved.take() {
                            self.cells = main;
                        }
                    }
                    _ => {}
                }
            }
            return;
        }
        match final_byte {
            'H' | 'f' => {
                self.row = (n(0, 1) - 1).min(last_row);
                self.col = (n(1, 1) - 1).min(last_col);
            }
            'A' => self.row = self.row.saturating_sub(n(0, 1)),
            'B' => self.row = (self.row + n(0, 1)).min(last_row),
            'C' => self.col = (self.col + n(0, 1)).min(last_col),
            'D' => self.col = self.col.saturating_sub(n(0, 1)),
            'G' => self.col = (n(0, 1) - 1).min(last_col),
            'd' => self.row = (n(0, 1) - 1).min(last_row),
            'J' => {
                let mode = nums.first().copied().unwrap_or(0);
                let (row, col) = (self.row, self.col);
                for (r, line) in self.cells.iter_mut().enumerate() {
                    for (c, cell) in line.iter_mut().enumerate() {
                        let erase = match mode {
                            0 => r > row || (r == row && c >= col),
                            1 => r < row || (r == row && c <= col),
                            _ => true,
                        };
                        if erase {
                            *cell = " ".to_string();
                        }
                    }
                }
            }
            'K' => {
                let mode = nums.first().copied().unwrap_or(0);
                let col = self.col;
                if let Some(line) = self.cells.get_mut(self.row) {
                    for (c, cell) in line.iter_mut().enumerate() {
                        let erase = match mode {
                            0 => c >= col,
                            1 => c <= col,
                            _ => true,
                        };
                        if erase {
                            *cell = " ".to_string();
                        }
                    }
                }
            }
            _ => {} // SGR and the rest do not move text
        }
    }

    fn put(&mut self, c: char) {
        let width = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if width == 0 || self.row >= self.rows || self.col >= self.cols {
            return;
        }
        self.cells[self.row][self.col] = c.to_string();
        if width == 2 && self.col + 1 < self.cols {
            self.cells[self.row][self.col + 1] = String::new();
        }
        self.col = (self.col + width).min(self.cols);
    }

    /// The visible text, one line per row (wide characters take one `char`).
    pub fn text(&self) -> String {
        self.cells
            .iter()
            .map(|line| line.concat())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.cells.iter().any(|line| line.concat().contains(needle))
    }
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
