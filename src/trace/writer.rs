//! The line writer every scenario process uses: one `write(2)` per event on the
//! inherited event pipe (stdout), at most PIPE_BUF bytes, so lines from many processes
//! never interleave.

use super::event::{Event, EventKind};

/// Writes larger than this are not atomic on a pipe.
pub const MAX_LINE: usize = 4096;

/// Serialises `event` as one line of at most `MAX_LINE` bytes (long texts are cut).
pub fn encode_line(event: &Event) -> Vec<u8> {
    let mut buf = serde_json::to_vec(event).unwrap_or_default();
    if buf.len() >= MAX_LINE {
        let mut shorter = event.clone();
        if let EventKind::Print { text } = &mut shorter.kind {
            let keep = text.len().saturating_sub(buf.len() - MAX_LINE + 16);
            let mut cut = keep.min(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        buf = serde_json::to_vec(&shorter).unwrap_or_default();
        buf.truncate(MAX_LINE - 1);
    }
    buf.push(b'\n');
    buf
}

/// Emits one event on fd 1. Errors are ignored: if the front end is gone, this process
/// is about to receive its parent-death signal anyway.
pub fn write_line(event: &Event) {
    let buf = encode_line(event);
    let mut off = 0;
    while off < buf.len() {
        // SAFETY: writing from a live buffer to a descriptor we inherited.
        let n = unsafe { libc::write(1, buf[off..].as_ptr().cast(), buf.len() - off) };
        if n < 0 {
            if nix::errno::Errno::last() == nix::errno::Errno::EINTR {
                continue;
            }
            return;
        }
        off += n as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_prints_fit_one_atomic_write() {
        let e = Event {
            t_us: 1,
            pid: 2,
            kind: EventKind::Print {
                text: "é".repeat(5000),
            },
        };
        let line = encode_line(&e);
        assert!(line.len() <= MAX_LINE);
        assert_eq!(*line.last().unwrap(), b'\n');
        let back: Event = serde_json::from_slice(&line[..line.len() - 1]).unwrap();
        assert!(matches!(back.kind, EventKind::Print { text } if text.ends_with('…')));
    }
}
