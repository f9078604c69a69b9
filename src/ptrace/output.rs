//! The traced program's stdout and stderr: read from non-blocking pipes and cut into
//! lines, each one a `print` event, so the program never writes over the screen.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd};

/// Longest line kept whole; longer output is cut into pieces of this size, so each
/// `print` event still fits one atomic write on the wire.
const MAX_LINE: usize = 2048;

pub struct Stream {
    fd: Option<OwnedFd>,
    pending: Vec<u8>,
    /// Who wrote the pending bytes, in order: (pid, bytes).
    owners: VecDeque<(i32, usize)>,
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
            pending: Vec::new(),
            owners: VecDeque::new(),
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
            match self.owners.back_mut() {
                Some((p, n)) if *p == pid => *n += take,
                _ => self.owners.push_back((pid, take)),
            }
            rest = &rest[take..];
        }
        self.pending.extend_from_slice(data);
    }

    pub fn raw_fd(&self) -> Option<i32> {
        self.fd.as_ref().map(|f| f.as_raw_fd())
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
        let ended = self.fd.is_none();
        take_lines(&mut self.pending, &mut self.owners, ended)
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

/// Splits complete lines off `pending` (all of it when `all`), cutting long ones; each
/// with the writer of its first byte (`owners` says who wrote the pending bytes).
pub fn take_lines(
    pending: &mut Vec<u8>,
    owners: &mut VecDeque<(i32, usize)>,
    all: bool,
) -> Vec<(i32, String)> {
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
        let writer = owners.front().map_or(0, |(pid, _)| *pid);
        let mut used = at + skip;
        while used > 0 {
            let Some((_, n)) = owners.front_mut() else {
                break;
            };
            let take = (*n).min(used);
            *n -= take;
            used -= take;
            if *n == 0 {
                owners.pop_front();
            }
        }
        lines.push((writer, sanitize(&String::from_utf8_lossy(&line))));
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
        let mut owners = VecDeque::from([(7, 4), (8, 7)]);
        let got = take_lines(&mut p, &mut owners, false);
        assert_eq!(got, [(7, "one".to_string()), (8, "two".to_string())]);
        assert_eq!(p, b"thr");
        assert_eq!(
            take_lines(&mut p, &mut owners, true),
            [(8, "thr".to_string())]
        );
        assert!(p.is_empty() && owners.is_empty());
        let mut long = vec![b'x'; MAX_LINE + 10];
        long.push(b'\n');
        let got = take_lines(&mut long, &mut VecDeque::new(), false);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), MAX_LINE);
        assert_eq!(got[1].1.len(), 10);
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
