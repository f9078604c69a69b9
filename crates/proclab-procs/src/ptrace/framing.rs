//! Whole messages out of the bytes a traced process wrote to, or read from, a pipe or
//! a socket: each direction of each descriptor's channel, per process, is one byte
//! stream, cut into the messages the program sent or received however many reads or
//! writes they took.
//!
//! - A `multiprocessing` Connection (under every Queue, Pipe and Manager) frames each
//!   message with a 4-byte big-endian length: one message per frame, a pickle decoded
//!   (`pickle.rs`), raw bytes (`send_bytes`) shown as Python shows bytes. A length's
//!   first byte is 0 for any message under 16 MiB, and no text starts with a NUL
//!   byte: that tells a Connection from a shell pipe at its first bytes.
//! - Anything else is text, one message per line (a last partial line when the
//!   process ends), or binary data, shown by its size.
//!
//! A frame over `MAX_FRAME` is not read (only its size is shown): its bytes are
//! counted, never copied.

use std::collections::HashMap;

use serde_json::Value;

use super::output::sanitize;
use super::pickle;

/// Largest message decoded; bigger ones are shown by their size.
pub const MAX_FRAME: usize = 1 << 20;
/// Longest text line kept whole; a longer one is shown cut, saying so.
const MAX_LINE: usize = 64 * 1024;
/// Most characters of a text message put on the wire (a line is cut there).
const SHOWN_CHARS: usize = 1000;
/// Most bytes of a message's Python notation put on the wire: one event is one atomic
/// write of at most 4 KiB, escapes included. A longer one is shown cut, saying so.
const SHOWN_REPR_BYTES: usize = 1200;

/// One message: its value for the screens, and Python's notation of it if decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub item: Value,
    pub repr: Option<String>,
    /// A decoded tuple's items (`Pickled::parts`), for `manager.rs`.
    pub parts: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unknown,
    Frames,
    Text,
}

struct Stream {
    mode: Mode,
    pending: Vec<u8>,
    /// Bytes of an oversized frame still to pass over.
    skip: usize,
}

/// Which stream: process, channel (pipe or socket inode), and direction.
pub type Key = (i32, u64, bool);

#[derive(Default)]
pub struct Framing {
    streams: HashMap<Key, Stream>,
}

impl Framing {
    /// `total` bytes went through the stream `key`; `data` is what could be read of
    /// them (their first bytes: all of them unless the call moved more than the
    /// tracer reads). Returns the messages they complete.
    pub fn feed(&mut self, key: Key, total: usize, data: &[u8]) -> Vec<Message> {
        let s = self.streams.entry(key).or_insert(Stream {
            mode: Mode::Unknown,
            pending: Vec::new(),
            skip: 0,
        });
        let mut out = Vec::new();
        let mut data = data;
        // Bytes of an oversized frame, already told by its size.
        let passed = s.skip.min(data.len());
        s.skip -= passed;
        data = &data[passed..];
        s.pending.extend_from_slice(data);
        if s.mode == Mode::Unknown && !s.pending.is_empty() {
            s.mode = if s.pending[0] == 0 {
                Mode::Frames
            } else {
                Mode::Text
            };
        }
        match s.mode {
            Mode::Frames => frames(s, &mut out),
            Mode::Text => lines(s, &mut out, false),
            Mode::Unknown => {}
        }
        // What the tracer could not read: skipped if it is an oversized frame's,
        // else the stream lost its place and starts afresh.
        let unread = total.saturating_sub(passed + data.len());
        if unread > 0 {
            if s.skip >= unread {
                s.skip -= unread;
            } else {
                let lost = unread - s.skip + s.pending.len();
                out.push(marker(format!("<{lost} bytes not read>")));
                *s = Stream {
                    mode: Mode::Unknown,
                    pending: Vec::new(),
                    skip: 0,
                };
            }
        }
        out
    }

    /// The process ended: a last partial line of each of its text streams, and
    /// forget the rest. Returns (channel inode, written, message).
    pub fn finish(&mut self, pid: i32) -> Vec<(u64, bool, Message)> {
        let keys: Vec<Key> = self
            .streams
            .keys()
            .filter(|k| k.0 == pid)
            .copied()
            .collect();
        let mut out = Vec::new();
        for key in keys {
            if let Some(mut s) = self.streams.remove(&key)
                && s.mode == Mode::Text
            {
                let mut msgs = Vec::new();
                lines(&mut s, &mut msgs, true);
                out.extend(msgs.into_iter().map(|m| (key.1, key.2, m)));
            }
        }
        out
    }
}

/// Complete frames off `pending`.
fn frames(s: &mut Stream, out: &mut Vec<Message>) {
    loop {
        if s.pending.len() < 4 {
            return;
        }
        let len =
            u32::from_be_bytes([s.pending[0], s.pending[1], s.pending[2], s.pending[3]]) as usize;
        if len > MAX_FRAME {
            // Told by its size now; its bytes are passed over as they come.
            out.push(marker(format!("<message of {len} bytes, not decoded>")));
            let here = (s.pending.len() - 4).min(len);
            s.skip = len - here;
            s.pending.drain(..4 + here);
            continue;
        }
        if s.pending.len() < 4 + len {
            return;
        }
        let payload: Vec<u8> = s.pending.drain(..4 + len).skip(4).collect();
        out.push(shorten(decode(&payload)));
    }
}

/// A Connection message: a pickle (protocol 2 and up start with PROTO), else the raw
/// bytes `send_bytes` sent.
fn decode(payload: &[u8]) -> Message {
    if payload.first() == Some(&0x80) {
        return match pickle::decode(payload) {
            Some(p) => Message {
                item: p.value,
                repr: Some(p.repr),
                parts: p.parts,
            },
            // A pickle ends with STOP ('.'): one this module cannot show is told by its
            // size; other bytes that merely start like one (a random signature) are
            // bytes.
            None if payload.last() == Some(&b'.') => {
                marker(format!("<pickled object, {} bytes>", payload.len()))
            }
            None => marker(bytes_repr(payload)),
        };
    }
    marker(bytes_repr(payload))
}

/// Complete lines off `pending` (and the rest too when `all`), as text messages; data
/// that is not text is told by its size.
fn lines(s: &mut Stream, out: &mut Vec<Message>, all: bool) {
    loop {
        let cut = match s.pending.iter().position(|b| *b == b'\n') {
            Some(i) if i <= MAX_LINE => Some((i, 1)),
            _ if s.pending.len() > MAX_LINE => Some((MAX_LINE, 0)),
            None if all && !s.pending.is_empty() => Some((s.pending.len(), 0)),
            _ => None,
        };
        let Some((at, newline)) = cut else {
            return;
        };
        let line: Vec<u8> = s.pending.drain(..at + newline).take(at).collect();
        out.push(text(&line, newline == 0 && !all));
    }
}

fn text(line: &[u8], cut: bool) -> Message {
    let binary = line
        .iter()
        .any(|b| (*b < 0x20 && !matches!(b, b'\t' | b'\r')) || *b == 0x7f);
    let Some(s) = std::str::from_utf8(line).ok().filter(|_| !binary) else {
        return marker(format!("<{} bytes>", line.len()));
    };
    // A `\r` rewrites the line, as a terminal shows it.
    let s = s.rsplit('\r').find(|p| !p.is_empty()).unwrap_or("");
    let clean = sanitize(s);
    let mut shown: String = clean.chars().take(SHOWN_CHARS).collect();
    let chars = clean.chars().count();
    if chars > SHOWN_CHARS || cut {
        shown.push_str(&format!(
            " … [line cut at {} characters]",
            shown.chars().count()
        ));
    }
    plain(shown)
}

/// A message whose notation is too long for the wire, cut at a character boundary and
/// saying how long it was; its value becomes the cut text's head with that length, so
/// the screens can still tell one such message from another.
fn shorten(m: Message) -> Message {
    let Some(repr) = m.repr.as_deref().filter(|r| r.len() > SHOWN_REPR_BYTES) else {
        return m;
    };
    let mut end = SHOWN_REPR_BYTES;
    while !repr.is_char_boundary(end) {
        end -= 1;
    }
    let chars = repr.chars().count();
    let cut = format!("{}… [{chars} characters in all]", &repr[..end]);
    let head: String = repr.chars().take(40).collect();
    Message {
        item: Value::from(format!("{head}… ({chars} characters)")),
        repr: Some(cut),
        parts: m.parts,
    }
}

/// A line of text: a Python `str` (quoted in the log as Python quotes it).
fn plain(s: String) -> Message {
    Message {
        item: Value::from(s),
        repr: None,
        parts: Vec::new(),
    }
}

/// What proclab says in place of data it does not show, or a notation already made
/// (bytes): written as is, no quotes.
fn marker(s: String) -> Message {
    Message {
        item: Value::from(s.clone()),
        repr: Some(s),
        parts: Vec::new(),
    }
}

/// Bytes as Python's `repr` writes them: `b'\x00\x01ab'`.
pub fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = String::from("b");
    s.push(quote);
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            c if c as char == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push(quote);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(
        clippy::cast_possible_truncation,
        reason = "test frames of a few bytes"
    )]
    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut f = (payload.len() as u32).to_be_bytes().to_vec();
        f.extend_from_slice(payload);
        f
    }

    fn items(msgs: Vec<Message>) -> Vec<Value> {
        msgs.into_iter().map(|m| m.item).collect()
    }

    #[test]
    fn a_frame_is_one_message_however_many_reads_it_takes() {
        let mut f = Framing::default();
        let whole = frame(b"\x80\x04K\x07.");
        // A writer sends it in one write.
        assert_eq!(items(f.feed((1, 9, true), whole.len(), &whole)), [json!(7)]);
        // A reader takes the header, then the payload in two reads.
        let key = (2, 9, false);
        assert!(f.feed(key, 4, &whole[..4]).is_empty());
        assert!(f.feed(key, 2, &whole[4..6]).is_empty());
        assert_eq!(items(f.feed(key, 3, &whole[6..])), [json!(7)]);
        // Two frames in one read.
        let mut two = frame(b"\x80\x04K\x01.");
        two.extend(frame(b"\x80\x04K\x02."));
        assert_eq!(items(f.feed(key, two.len(), &two)), [json!(1), json!(2)]);
    }

    #[test]
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a test header for MAX_FRAME + 10 bytes, far below 4 GiB"
    )]
    fn a_big_message_is_whole_and_a_huge_one_is_told_by_its_size() {
        let mut f = Framing::default();
        // 5000 characters: more than one page, still one message.
        let text = "x".repeat(5000);
        let mut pickle = vec![0x80, 0x04, 0x8d];
        pickle.extend((text.len() as u64).to_le_bytes());
        pickle.extend(text.as_bytes());
        pickle.push(b'.');
        let whole = frame(&pickle);
        let key = (3, 4, false);
        let mut got = Vec::new();
        for chunk in whole.chunks(4096) {
            got.extend(f.feed(key, chunk.len(), chunk));
        }
        assert_eq!(got.len(), 1, "one message");
        let repr = got[0].repr.as_deref().expect("decoded");
        assert!(repr.starts_with("'xxx"), "{repr}");
        assert!(repr.ends_with("… [5002 characters in all]"), "{repr}");
        assert!(repr.len() < 1300);
        // Over MAX_FRAME: the tracer read only the header of the first write; the
        // rest passes unread, and the next frame is found again.
        let big = MAX_FRAME + 10;
        let mut header = (big as u32).to_be_bytes().to_vec();
        header.extend([0u8; 6]);
        let got = items(f.feed((5, 4, true), 4 + big, &header));
        assert_eq!(
            got,
            [json!(format!("<message of {big} bytes, not decoded>"))]
        );
        let next = frame(b"\x80\x04K\x05.");
        assert_eq!(items(f.feed((5, 4, true), next.len(), &next)), [json!(5)]);
    }

    #[test]
    fn raw_bytes_show_as_python_bytes() {
        let mut f = Framing::default();
        let whole = frame(b"#CHALLENGE#\x00\x01'");
        let m = f.feed((1, 2, true), whole.len(), &whole);
        assert_eq!(m[0].repr.as_deref(), Some("b\"#CHALLENGE#\\x00\\x01'\""));
        assert_eq!(bytes_repr(b"a\nb\\"), "b'a\\nb\\\\'");
    }

    #[test]
    fn shell_pipes_are_text_lines() {
        let mut f = Framing::default();
        let key = (1, 5, true);
        assert_eq!(items(f.feed(key, 6, b"one\ntw")), [json!("one")]);
        assert_eq!(items(f.feed(key, 5, b"o\nthr")), [json!("two")]);
        // A `\r` rewrite: what the terminal shows is what is after the last one.
        assert_eq!(items(f.feed(key, 10, b"\r10%\r100%\n")), [json!("100%")]);
        let rest = f.finish(1);
        assert!(rest.is_empty(), "{rest:?}");
        assert_eq!(items(f.feed(key, 4, b"last")), Vec::<Value>::new());
        let rest = f.finish(1);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].2.item, json!("last"));
        assert_eq!(
            items(f.feed((2, 5, true), 3, &[0xff, 0xfe, b'\n'])),
            [json!("<2 bytes>")]
        );
    }
}
