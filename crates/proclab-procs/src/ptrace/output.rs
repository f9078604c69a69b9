//! The traced program's stdout and stderr: read from non-blocking pipes and cut into
//! lines, each one a `print` event, so the program never writes over the screen.
//!
//! A line is what a terminal would show: a `\r` (not the one of a `\r\n`) starts the
//! line over, so a progress bar (`print(f"\r{i}%", end="")`) is its last state. A line
//! is kept up to `MAX_LINE` bytes; the rest of it is left out and counted
//! (`… [cut: N more bytes]`). The tracer alone writes its wire, so a `print` of that
//! size is one line there (`trace::writer::ALONE_MAX_LINE`).

use std::os::fd::OwnedFd;

/// The most bytes of one line kept.
pub const MAX_LINE: usize = 64 * 1024;

/// The line being read: what a terminal would show of it so far.
#[derive(Debug, Default)]
struct Line {
    kept: Vec<u8>,
    /// Who wrote its first kept byte.
    writer: Option<i32>,
    /// Bytes past `MAX_LINE`, left out.
    cut: usize,
    /// A `\r` just came: a `\n` next ends the line, anything else starts it over.
    cr: bool,
}

impl Line {
    /// Takes one byte written by `pid`; returns a finished line.
    fn push(&mut self, byte: u8, pid: i32) -> Option<(i32, String)> {
        if std::mem::take(&mut self.cr) && byte != b'\n' {
            *self = Line::default();
        }
        match byte {
            b'\r' => self.cr = true,
            b'\n' => return Some(self.finish(pid)),
            _ if self.kept.len() < MAX_LINE => {
                self.writer.get_or_insert(pid);
                self.kept.push(byte);
            }
            _ => self.cut += 1,
        }
        None
    }

    fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.cut == 0
    }

    /// The line as text, with the writer of its first byte (`pid` if it is empty).
    fn finish(&mut self, pid: i32) -> (i32, String) {
        let Line {
            mut kept,
            writer,
            mut cut,
            ..
        } = std::mem::take(self);
        if cut > 0 {
            // Not half a character at the bound: a character cut in two goes whole.
            let mut at = kept.len();
            while at > 0 && kept[at - 1] & 0xC0 == 0x80 {
                at -= 1;
            }
            if at > 0 && kept[at - 1] >= 0xC0 {
                let need = match kept[at - 1] {
                    0xF0.. => 4,
                    0xE0.. => 3,
                    _ => 2,
                };
                if kept.len() - (at - 1) < need {
                    cut += kept.len() - (at - 1);
                    kept.truncate(at - 1);
                }
            }
        }
        let mut text = sanitize(&String::from_utf8_lossy(&kept));
        if cut > 0 {
            text.push_str(&format!(" … [cut: {cut} more bytes]"));
        }
        (writer.unwrap_or(pid), text)
    }
}

pub struct Stream {
    fd: Option<OwnedFd>,
    /// The line being read.
    line: Line,
    /// Lines finished and not handed over yet.
    done: Vec<(i32, String)>,
    /// Writes to this stream the tracer saw enter, with what they write, not read back
    /// yet (in the order they entered; concurrent writers may land in another order).
    announced: Vec<(i32, Vec<u8>)>,
    /// Who bytes no write announced are put down to (the command).
    fallback: i32,
}

impl Stream {
    pub fn new(fd: OwnedFd, fallback: i32) -> Stream {
        Stream {
            fd: Some(fd),
            line: Line::default(),
            done: Vec::new(),
            announced: Vec::new(),
            fallback,
        }
    }

    /// `pid` entered a `write` of `data` to this stream (seen at its seccomp stop,
    /// before any of it can be read back).
    pub fn wrote(&mut self, pid: i32, data: Vec<u8>) {
        if !data.is_empty() {
            // A write that failed never comes back: keep the list short regardless.
            if self.announced.len() >= 64 {
                self.announced.remove(0);
            }
            self.announced.push((pid, data));
        }
    }

    /// Appends bytes read back, putting each run of them down to the write whose data
    /// it is: matched by content, since two processes' writes may land in either
    /// order. Bytes no announced write explains (a `writev`, say) are the fallback's.
    fn append(&mut self, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() {
            let (pid, take) = match match_write(&mut self.announced, rest) {
                Some(found) => found,
                None => {
                    // Up to where some announced write's data begins, if anywhere.
                    let upto = (1..rest.len())
                        .find(|p| match_at(&self.announced, &rest[*p..]))
                        .unwrap_or(rest.len());
                    (self.fallback, upto)
                }
            };
            for &byte in &rest[..take] {
                self.done.extend(self.line.push(byte, pid));
            }
            rest = &rest[take..];
        }
    }

    /// The read end, while open (to poll).
    pub fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.fd.as_ref().map(std::os::fd::AsFd::as_fd)
    }

    /// Reads what is there now (the pipe is non-blocking); returns the complete lines.
    /// At EOF the pipe is closed and a last partial line is returned too.
    pub fn read_lines(&mut self) -> Vec<(i32, String)> {
        let mut buf = [0u8; 8192];
        while let Some(fd) = self.fd.as_ref() {
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) => {
                    self.fd = None;
                    break;
                }
                Ok(n) => self.append(&buf[..n]),
                Err(nix::errno::Errno::EINTR) => continue,
                // EAGAIN: nothing more for now. Anything else: the pipe is unusable.
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(_) => {
                    self.fd = None;
                    break;
                }
            }
        }
        // At EOF the last line counts even without its newline.
        if self.fd.is_none() && !self.line.is_empty() {
            let last = self.line.finish(self.fallback);
            self.done.push(last);
        }
        std::mem::take(&mut self.done)
    }
}

/// True if some announced write's data starts `rest` (or `rest` starts it).
fn match_at(announced: &[(i32, Vec<u8>)], rest: &[u8]) -> bool {
    announced
        .iter()
        .any(|(_, d)| rest.starts_with(d) || d.starts_with(rest))
}

/// The announced write whose data starts `rest`: its writer and how many bytes of
/// `rest` are its; the write is used up (or keeps what has not come back yet).
fn match_write(announced: &mut Vec<(i32, Vec<u8>)>, rest: &[u8]) -> Option<(i32, usize)> {
    if let Some(i) = announced.iter().position(|(_, d)| rest.starts_with(d)) {
        let (pid, d) = announced.remove(i);
        return Some((pid, d.len()));
    }
    let i = announced.iter().position(|(_, d)| d.starts_with(rest))?;
    let pid = announced[i].0;
    announced[i].1.drain(..rest.len());
    Some((pid, rest.len()))
}

/// The text of a line without what could move the cursor or recolour the screen it
/// is drawn on: escape sequences (CSI, OSC, two-byte) and control characters go, a tab
/// becomes spaces. The program's output is shown, never obeyed.
pub fn sanitize(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                // CSI: parameters, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines `runs` of (writer, bytes) make, the last one too if `eof`.
    fn lines_of(runs: &[(i32, &[u8])], eof: bool) -> Vec<(i32, String)> {
        let mut line = Line::default();
        let mut out = Vec::new();
        for (pid, bytes) in runs {
            for &b in *bytes {
                out.extend(line.push(b, *pid));
            }
        }
        if eof && !line.is_empty() {
            out.push(line.finish(1));
        }
        out
    }

    fn texts(lines: &[(i32, String)]) -> Vec<&str> {
        lines.iter().map(|(_, t)| t.as_str()).collect()
    }

    #[test]
    fn lines_split_keep_partial_until_the_end() {
        let runs: [(i32, &[u8]); 2] = [(7, b"one\n"), (8, b"two\nthr")];
        let got = lines_of(&runs, false);
        assert_eq!(got, [(7, "one".to_string()), (8, "two".to_string())]);
        assert_eq!(lines_of(&runs, true)[2], (8, "thr".to_string()));
        assert_eq!(lines_of(&[(5, b"\n")], false), [(5, String::new())]);
    }

    #[test]
    fn long_lines_are_kept_to_the_bound_and_say_what_was_cut() {
        let mut long = vec![b'x'; MAX_LINE + 10];
        long.push(b'\n');
        let got = lines_of(&[(3, &long)], false);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].1,
            format!("{} … [cut: 10 more bytes]", "x".repeat(MAX_LINE))
        );
        // Shorter than the bound: whole, no marker (the old 2048-byte cut is gone).
        let line = vec![b'y'; 5000];
        assert_eq!(lines_of(&[(3, &line)], true)[0].1.len(), 5000);
        // A character cut in two at the bound goes whole into the count.
        let mut wide = vec![b'a'; MAX_LINE - 1];
        wide.extend("é!\n".as_bytes());
        let got = lines_of(&[(3, &wide)], false);
        assert!(
            got[0].1.ends_with("a … [cut: 3 more bytes]"),
            "{}",
            &got[0].1[MAX_LINE - 8..]
        );
    }

    #[test]
    fn a_carriage_return_starts_the_line_over_as_a_terminal_does() {
        let mut bar = Vec::new();
        for i in 0..100 {
            bar.extend(format!("\r{i}%").bytes());
        }
        bar.push(b'\n');
        assert_eq!(texts(&lines_of(&[(4, &bar)], false)), ["99%"]);
        // Without a final newline, the last state at the end.
        assert_eq!(
            texts(&lines_of(&[(4, &bar[..bar.len() - 1])], true)),
            ["99%"]
        );
        // CRLF is one line end; a trailing \r leaves the line as it was.
        assert_eq!(texts(&lines_of(&[(4, b"a\r\nb\r")], true)), ["a", "b"]);
        // What comes after the last \r replaces the line, and is its writer's.
        let got = lines_of(&[(4, b"downloading\r"), (6, b"done\n")], false);
        assert_eq!(got, [(6, "done".to_string())]);
        // A \r also forgets what had been cut.
        let mut long = vec![b'z'; MAX_LINE + 5];
        long.extend(b"\rshort\n");
        assert_eq!(texts(&lines_of(&[(4, &long)], false)), ["short"]);
    }

    #[test]
    fn announced_writes_own_the_bytes_read_back() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let mut s = Stream::new(r, 1);
        s.wrote(30, b"there\n".to_vec());
        s.wrote(20, b"hi\n".to_vec());
        // 20's write landed first although 30's entered first.
        nix::unistd::write(&w, b"hi\nthere\nstray\n").unwrap();
        drop(w);
        let got = s.read_lines();
        let who: Vec<i32> = got.iter().map(|(p, _)| *p).collect();
        assert_eq!(who, [20, 30, 1], "{got:?}");
    }

    #[test]
    fn escape_sequences_and_controls_are_dropped() {
        assert_eq!(sanitize("\x1b[01;34mdir\x1b[0m\r"), "dir");
        assert_eq!(sanitize("\x1b]0;title\x07a\tb\x08"), "a    b");
        assert_eq!(sanitize("\x1b]8;;x\x1b\\link"), "link");
        assert_eq!(sanitize("中文 ok"), "中文 ok");
    }
}
