//! proclab on the slave side of a pseudo-terminal, for the end-to-end tests: keys in,
//! the screen modelled (`Screen`), exit paths checked (terminal restored, nothing left).

#![allow(
    clippy::cast_possible_wrap,
    reason = "test arithmetic on small known values (counts, PIDs, microseconds, exact binary speeds such as 0.5 and 2.0) and measurements printed as floats"
)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::*;
use nix::sys::termios::{LocalFlags, tcgetattr};
use portable_pty::{CommandBuilder, ExitStatus, MasterPty, PtySize, SlavePty, native_pty_system};

pub const ENTER_ALT: &[u8] = b"\x1b[?1049h";
pub const LEAVE_ALT: &[u8] = b"\x1b[?1049l";
pub const HIDE_CURSOR: &[u8] = b"\x1b[?25l";
pub const SHOW_CURSOR: &[u8] = b"\x1b[?25h";
pub const MOUSE_ON: &[u8] = b"\x1b[?1000h";
pub const MOUSE_OFF: &[u8] = b"\x1b[?1000l";
pub const WAIT: Duration = Duration::from_secs(10);

/// proclab running on the slave side of a PTY, its output gathered on a thread.
pub struct Pty {
    pub name: String,
    pub tag: String,
    pub size: (u16, u16),
    pub master: Box<dyn MasterPty + Send>,
    /// Kept open so the terminal (and its termios) outlives proclab until we checked it.
    pub slave: Option<Box<dyn SlavePty + Send>>,
    /// Kept until the end: portable-pty's writer sends "\n^D" when dropped.
    pub writer: Option<Box<dyn Write + Send>>,
    pub child: Option<Box<dyn portable_pty::Child + Send + Sync>>,
    pub pid: i32,
    pub out: Arc<Mutex<Vec<u8>>>,
}

/// Each thread of `pid`: name, state and the kernel function it sleeps in, to tell a
/// hang in proclab (and where) from a lost key.
pub fn threads_of(pid: i32) -> String {
    let read = |path: String| std::fs::read_to_string(path).unwrap_or_default();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return "  (gone)\n".into();
    };
    tasks
        .flatten()
        .map(|t| {
            let dir = t.path().display().to_string();
            let stat = read(format!("{dir}/stat"));
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next();
            format!(
                "  {} {} {} wchan={}\n",
                t.file_name().to_string_lossy(),
                read(format!("{dir}/comm")).trim(),
                state.unwrap_or("?"),
                read(format!("{dir}/wchan"))
            )
        })
        .collect()
}

impl Pty {
    pub fn spawn(name: &str, args: &[&str], cols: u16, rows: u16) -> Pty {
        Pty::spawn_with_env(name, args, cols, rows, &[])
    }

    /// Like `spawn`, with extra environment variables (set last, so they win).
    pub fn spawn_with_env(
        name: &str,
        args: &[&str],
        cols: u16,
        rows: u16,
        env: &[(&str, &str)],
    ) -> Pty {
        let tag = unique_tag(name);
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(bin());
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env_remove("LC_ALL");
        cmd.env_remove("LC_MESSAGES");
        cmd.env(TAG_VAR, &tag);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair
            .slave
            .spawn_command(cmd)
            .expect("spawning proclab in the PTY");
        let pid = child.process_id().expect("proclab's PID") as i32;
        let mut reader = pair.master.try_clone_reader().expect("PTY reader");
        let writer = pair.master.take_writer().expect("PTY writer");
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&chunk[..n]),
                }
            }
        });
        Pty {
            name: name.to_string(),
            tag,
            size: (cols, rows),
            master: pair.master,
            slave: Some(pair.slave),
            writer: Some(writer),
            child: Some(child),
            pid,
            out,
        }
    }

    pub fn output(&self) -> Vec<u8> {
        self.out.lock().unwrap().clone()
    }

    pub fn len(&self) -> usize {
        self.out.lock().unwrap().len()
    }

    pub fn screen(&self) -> Screen {
        Screen::replay(self.size.0, self.size.1, &self.output())
    }

    pub fn send(&mut self, keys: &str) {
        let w = self.writer.as_mut().expect("writer");
        w.write_all(keys.as_bytes()).expect("writing to the PTY");
        w.flush().expect("flushing the PTY");
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resizing the PTY");
        self.size = (cols, rows);
    }

    /// Waits until every needle is visible: on the modelled screen, or in the text
    /// proclab drew since byte `since` (escape codes stripped).
    pub fn wait_for(&self, needles: &[&str], since: usize) {
        let deadline = Instant::now() + WAIT;
        loop {
            let raw = self.output();
            let screen = Screen::replay(self.size.0, self.size.1, &raw);
            let fresh = strip_ansi(&raw[since.min(raw.len())..]);
            if needles.iter().all(|n| screen.contains(n))
                || needles.iter().all(|n| fresh.contains(n))
            {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "[{}] {needles:?} not shown within {WAIT:?}. Screen:\n{}\n--- text since byte {since}:\n{}",
                    self.name,
                    screen.text(),
                    tail(&fresh, 3000)
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Bytes written to proclab's terminal that nobody has read yet (TIOCINQ on the
    /// slave side).
    pub fn unread_input(&self) -> i64 {
        use std::os::fd::AsRawFd;
        let Ok(slave) = std::fs::File::open(
            std::fs::read_link(format!("/proc/{}/fd/0", self.pid)).unwrap_or_default(),
        ) else {
            return -1;
        };
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int through the pointer; the file is open.
        let rc = unsafe { libc::ioctl(slave.as_raw_fd(), libc::FIONREAD, &mut n) };
        if rc == 0 { i64::from(n) } else { -1 }
    }

    /// ICANON and ECHO of the terminal proclab runs in (tcgetattr on the master
    /// reports the slave side's settings).
    pub fn cooked_flags(&self) -> (bool, bool) {
        let fd = self.master.as_raw_fd().expect("master fd");
        // SAFETY: the master stays open for as long as `self` lives.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let t = tcgetattr(fd).expect("tcgetattr on the PTY");
        (
            t.local_flags.contains(LocalFlags::ICANON),
            t.local_flags.contains(LocalFlags::ECHO),
        )
    }

    /// `q`: proclab exits with success, the terminal is restored and nothing of the
    /// run is left.
    pub fn quit_cleanly(&mut self) {
        self.quit_with(0);
    }

    /// `q`: proclab exits with `code`, the terminal is restored and nothing of the run
    /// is left.
    pub fn quit_with(&mut self, code: u32) {
        self.send_quit();
        let status = self.wait_exit(WAIT);
        assert_eq!(
            status.exit_code(),
            code,
            "[{}] q, got {status:?}",
            self.name
        );
        self.assert_clean_exit();
    }

    /// `q`, and `q` again when proclab asks first (a live run's processes would be
    /// stopped); returns once it asked and was answered, or once it is exiting.
    pub fn send_quit(&mut self) {
        let mark = self.len();
        self.send("q");
        let deadline = Instant::now() + WAIT;
        loop {
            let fresh = strip_ansi(&self.output()[mark..]);
            if fresh.contains("quit proclab?") {
                self.send("q");
                return;
            }
            let state = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
                .ok()
                .and_then(|s| s.rsplit_once(") ").and_then(|(_, r)| r.chars().next()));
            if matches!(state, None | Some('Z' | 'X')) || Instant::now() >= deadline {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for proclab to exit; panics (killing it) after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut().expect("still running");
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return status;
            }
            if Instant::now() >= deadline {
                let screen = self.screen().text();
                let (icanon, echo) = self.cooked_flags();
                panic!(
                    "[{}] proclab did not exit within {timeout:?}. ICANON {icanon}, ECHO \
                     {echo}, bytes unread on the terminal: {}. Its threads:\n{}Screen:\n{screen}",
                    self.name,
                    self.unread_input(),
                    threads_of(self.pid)
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), signal)
            .expect("signalling proclab");
    }

    /// After the exit: the alternate screen was entered and then left, raw mode was
    /// undone, nothing panicked, and no process of the run is left.
    pub fn assert_clean_exit(&self) {
        let raw = self.assert_terminal_restored();
        let text = strip_ansi(&raw);
        assert!(
            !text.contains("panicked"),
            "[{}] proclab panicked:\n{}",
            self.name,
            tail(&text, 3000)
        );
        assert_no_tagged_left(&self.tag);
    }

    /// The alternate screen was entered and then left, the cursor shown, raw mode
    /// undone; returns everything proclab wrote.
    pub fn assert_terminal_restored(&self) -> Vec<u8> {
        // The last bytes may still be in flight from the PTY: give the reader a moment.
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut raw = self.output();
        let shown_last = |raw: &[u8]| {
            raw.windows(SHOW_CURSOR.len())
                .rposition(|w| w == SHOW_CURSOR)
                > raw
                    .windows(HIDE_CURSOR.len())
                    .rposition(|w| w == HIDE_CURSOR)
        };
        while (find_bytes(&raw, LEAVE_ALT, 0).is_none() || !shown_last(&raw))
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(20));
            raw = self.output();
        }
        let entered = find_bytes(&raw, ENTER_ALT, 0)
            .unwrap_or_else(|| panic!("[{}] the alternate screen was never entered", self.name));
        let left_at = find_bytes(&raw, LEAVE_ALT, entered + ENTER_ALT.len());
        assert!(
            left_at.is_some(),
            "[{}] the alternate screen was not left after entering it",
            self.name
        );
        let left_at = left_at.unwrap();
        assert!(
            find_bytes(&raw, ENTER_ALT, left_at).is_none(),
            "[{}] the alternate screen was entered again after leaving it",
            self.name
        );
        let last_hide = raw
            .windows(HIDE_CURSOR.len())
            .rposition(|w| w == HIDE_CURSOR);
        let last_show = raw
            .windows(SHOW_CURSOR.len())
            .rposition(|w| w == SHOW_CURSOR);
        assert!(
            last_show > last_hide,
            "[{}] the cursor was left hidden",
            self.name
        );
        // Mouse reporting (clicks select processes) must be off again, or every click
        // in the shell afterwards would print escape codes.
        let last = |needle: &[u8]| raw.windows(needle.len()).rposition(|w| w == needle);
        if let Some(on) = last(MOUSE_ON) {
            assert!(
                last(MOUSE_OFF).is_some_and(|off| off > on),
                "[{}] mouse reporting was left on",
                self.name
            );
        }
        let (icanon, echo) = self.cooked_flags();
        assert!(
            icanon && echo,
            "[{}] raw mode left on: ICANON {icanon}, ECHO {echo}",
            self.name
        );
        raw
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.writer.take();
        self.slave.take();
    }
}

pub fn tail(s: &str, max_chars: usize) -> String {
    let n = s.chars().count();
    s.chars().skip(n.saturating_sub(max_chars)).collect()
}
