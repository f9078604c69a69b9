//! The traced program's stdout and stderr: read from non-blocking pipes and cut into
//! lines, each one a `print` event, so the program never writes over the screen.

use std::os::fd::{AsRawFd, OwnedFd};

/// Longest line kept whole; longer output is cut into pieces of this size, so each
/// `print` event still fits one atomic write on the wire.
const MAX_LINE: usize = 2048;

pub struct Stream {
    fd: Option<OwnedFd>,
    pending: Vec<u8>,
}

impl Stream {
    pub fn new(fd: OwnedFd) -> Stream {
        Stream {
            fd: Some(fd),
            pending: Vec::new(),
        }
    }

    pub fn raw_fd(&self) -> Option<i32> {
        self.fd.as_ref().map(|f| f.as_raw_fd())
    }

    /// Reads what is there now (the pipe is non-blocking); returns the complete lines.
    /// At EOF the pipe is closed and a last partial line is returned too.
    pub fn read_lines(&mut self) -> Vec<String> {
        let mut buf = [0u8; 8192];
        while let Some(fd) = self.fd.as_ref() {
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) => {
                    self.fd = None;
                    break;
                }
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(nix::errno::Errno::EINTR) => continue,
                // EAGAIN: nothing more for now. Anything else: the pipe is unusable.
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(_) => {
                    self.fd = None;
                    break;
                }
            }
        }
        let ended = self.fd.is_none();
        take_lines(&mut self.pending, ended)
    }
}

/// Splits complete lines off `pending` (all of it when `all`), cutting long ones.
pub fn take_lines(pending: &mut Vec<u8>, all: bool) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let cut = match pending.iter().position(|b| *b == b'\n') {
            Some(i) if i <= MAX_LINE => Some((i, 1)),
            _ if pending.len() > MAX_LINE => Some((MAX_LINE, 0)),
            None if all && !pending.is_empty() => Some((pending.len(), 0)),
            _ => None,
        };
        let Some((at, skip)) = cut else { break };
        let line: Vec<u8> = pending.drain(..at + skip).take(at).collect();
        lines.push(sanitize(&String::from_utf8_lossy(&line)));
    }
    lines
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

    #[test]
    fn lines_split_keep_partial_until_the_end() {
        let mut p = b"one\ntwo\nthr".to_vec();
        assert_eq!(take_lines(&mut p, false), ["one", "two"]);
        assert_eq!(p, b"thr");
        assert_eq!(take_lines(&mut p, true), ["thr"]);
        assert!(p.is_empty());
        let mut long = vec![b'x'; MAX_LINE + 10];
        long.push(b'\n');
        let got = take_lines(&mut long, false);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), MAX_LINE);
        assert_eq!(got[1].len(), 10);
    }

    #[test]
    fn escape_sequences_and_controls_are_dropped() {
        assert_eq!(sanitize("\x1b[01;34mdir\x1b[0m\r"), "dir");
        assert_eq!(sanitize("\x1b]0;title\x07a\tb\x08"), "a    b");
        assert_eq!(sanitize("\x1b]8;;x\x1b\\link"), "link");
        assert_eq!(sanitize("中文 ok"), "中文 ok");
    }
}
