//! The line writer every scenario process uses: one `write(2)` per event on the
//! inherited event pipe (stdout), at most PIPE_BUF bytes, so lines from many processes
//! never interleave. The tracer of `proclab trace` is the only writer of its wire, so
//! its lines may be longer (`ALONE_MAX_LINE`): a program's long output line stays one
//! `print` event.
//!
//! An event too long for its bound is made shorter inside, never cut as bytes: its
//! longest strings are cut (ending in `…`), then its longest lists and maps lose
//! entries, so every line written is one whole JSON event.

use serde_json::Value;

use super::event::{Event, EventKind};

/// Writes larger than this are not atomic on a pipe.
pub const MAX_LINE: usize = 4096;

/// The bound on a line of a writer that has the wire to itself (the tracer): room for
/// a `print` of the longest output line the tracer keeps (64 KiB, see
/// `ptrace::output`) even if every byte of it needs escaping.
pub const ALONE_MAX_LINE: usize = 256 * 1024;

/// Strings are never cut below this many bytes (a signal's name, a state letter).
const KEEP: usize = 16;

/// Serialises `event` as one line of at most `MAX_LINE` bytes, newline included.
pub fn encode_line(event: &Event) -> Vec<u8> {
    encode_line_within(event, MAX_LINE)
}

/// Serialises `event` as one line of at most `max` bytes, newline included: one whole
/// JSON event, made shorter inside if it has to be.
pub fn encode_line_within(event: &Event, max: usize) -> Vec<u8> {
    let mut buf = serde_json::to_vec(event).unwrap_or_default();
    if buf.len() >= max {
        buf = shortened(event, max - 1);
    }
    buf.push(b'\n');
    buf
}

/// `event` as JSON of fewer than `limit + 1` bytes: its longest string cut (or, when no
/// string is long enough to matter, its longest list or map halved), again, until it
/// fits. If nothing is left to shorten, a `print` of the same process says what was
/// dropped.
fn shortened(event: &Event, limit: usize) -> Vec<u8> {
    let Ok(mut value) = serde_json::to_value(event) else {
        return dropped(event, limit);
    };
    loop {
        let buf = serde_json::to_vec(&value).unwrap_or_default();
        if buf.len() <= limit {
            return buf;
        }
        // Cutting k bytes of a string removes at least k bytes of its JSON (escapes
        // only ever lengthen it); `…` adds 3.
        let excess = buf.len() - limit + 3;
        if !shrink(&mut value, excess) {
            return dropped(event, limit);
        }
    }
}

/// Makes `value` shorter by about `excess` bytes; false when nothing can shrink. The
/// top level's `kind` is the event's tag and is left alone.
fn shrink(value: &mut Value, excess: usize) -> bool {
    let Value::Object(top) = value else {
        return false;
    };
    let mut fields: Vec<&mut Value> = top
        .iter_mut()
        .filter(|(k, _)| k.as_str() != "kind")
        .map(|(_, v)| v)
        .collect();
    // Every string longer than some length C is cut to C, C as high as removes
    // `excess` bytes: the long strings shrink together, in one pass.
    let mut lens = Vec::new();
    for v in fields.iter() {
        string_lengths(v, &mut lens);
    }
    let removed =
        |c: usize| -> usize { lens.iter().filter(|l| **l > c + 3).map(|l| l - c - 3).sum() };
    let longest = lens.iter().copied().max().unwrap_or(0);
    if longest > KEEP {
        // The highest C in KEEP/2..longest that removes enough (or KEEP/2).
        let (mut lo, mut hi) = (KEEP / 2, longest - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if removed(mid) >= excess {
                lo = mid
            } else {
                hi = mid - 1
            }
        }
        for v in fields.iter_mut() {
            cut_strings(v, lo);
        }
        return true;
    }
    let most = fields.iter().map(|v| most_entries(v)).max().unwrap_or(0);
    if most < 2 {
        return false;
    }
    let Some(list) = fields.iter_mut().find_map(|v| list_of(v, most)) else {
        return false;
    };
    match list {
        Value::Array(items) => items.truncate(items.len() / 2),
        Value::Object(map) => {
            let keep: Vec<String> = map.keys().take(map.len() / 2).cloned().collect();
            map.retain(|k, _| keep.contains(k));
        }
        _ => return false,
    }
    true
}

/// The length of every string in `v` (itself, or inside its lists and maps).
fn string_lengths(v: &Value, out: &mut Vec<usize>) {
    match v {
        Value::String(s) => out.push(s.len()),
        Value::Array(items) => items.iter().for_each(|i| string_lengths(i, out)),
        Value::Object(map) => map.values().for_each(|i| string_lengths(i, out)),
        _ => {}
    }
}

/// Cuts every string in `v` that would get shorter to at most `c` bytes (at a
/// character's boundary) and `…`.
fn cut_strings(v: &mut Value, c: usize) {
    match v {
        Value::String(s) if s.len() > c + 3 => {
            let mut at = c;
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            s.truncate(at);
            s.push('…');
        }
        Value::Array(items) => items.iter_mut().for_each(|i| cut_strings(i, c)),
        Value::Object(map) => map.values_mut().for_each(|i| cut_strings(i, c)),
        _ => {}
    }
}

/// The most entries of any list or map in `v` (itself included).
fn most_entries(v: &Value) -> usize {
    match v {
        Value::Array(items) => items.iter().map(most_entries).fold(items.len(), usize::max),
        Value::Object(map) => map.values().map(most_entries).fold(map.len(), usize::max),
        _ => 0,
    }
}

/// A list or map in `v` (itself included) with `n` entries.
fn list_of(v: &mut Value, n: usize) -> Option<&mut Value> {
    let own = match v {
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => return None,
    };
    if own == n {
        return Some(v);
    }
    match v {
        Value::Array(items) => items.iter_mut().find_map(|i| list_of(i, n)),
        Value::Object(map) => map.values_mut().find_map(|i| list_of(i, n)),
        _ => None,
    }
}

/// What is written instead of an event that cannot be made to fit.
fn dropped(event: &Event, limit: usize) -> Vec<u8> {
    let note = Event {
        t_us: event.t_us,
        pid: event.pid,
        kind: EventKind::Print {
            text: format!(
                "[proclab: a '{}' event too long for one line was left out]",
                event.kind.name()
            ),
        },
    };
    let mut buf = serde_json::to_vec(&note).unwrap_or_default();
    buf.truncate(limit);
    buf
}

/// Emits one event on fd 1 as one `write` of at most `MAX_LINE` bytes. Errors are
/// ignored: if the front end is gone, this process is about to receive its
/// parent-death signal anyway.
pub fn write_line(event: &Event) {
    write_all(&encode_line(event));
}

/// The wire of its only writer (the tracer), written in batches: whole lines, many to
/// a `write`, so a busy program's stops do not each pay a syscall for their event.
/// A batch goes out when the tracer is about to wait for news (`flush`), when it holds
/// `BATCH_BYTES`, or when its first line is `BATCH_NS` old, so no event waits for
/// long; and when the batch is dropped, on every way out.
pub struct Batch {
    buf: std::cell::RefCell<Vec<u8>>,
    first_ns: std::cell::Cell<u64>,
    /// Where the lines go: stdout, the wire.
    fd: i32,
}

impl Default for Batch {
    fn default() -> Batch {
        Batch::to_fd(1)
    }
}

const BATCH_BYTES: usize = 32 * 1024;
const BATCH_NS: u64 = 5_000_000;

impl Batch {
    /// A batch written to `fd` (a test's pipe; the wire is `Batch::default()`).
    pub fn to_fd(fd: i32) -> Batch {
        Batch {
            buf: Default::default(),
            first_ns: Default::default(),
            fd,
        }
    }

    /// Adds `event`'s line; `now_ns` is the clock it was stamped from.
    pub fn push(&self, event: &Event, now_ns: u64) {
        let full = {
            let mut buf = self.buf.borrow_mut();
            if buf.is_empty() {
                self.first_ns.set(now_ns);
            }
            buf.extend(encode_line_within(event, ALONE_MAX_LINE));
            buf.len() >= BATCH_BYTES || now_ns.saturating_sub(self.first_ns.get()) >= BATCH_NS
        };
        if full {
            self.flush();
        }
    }

    /// Writes what is held.
    pub fn flush(&self) {
        let mut buf = self.buf.borrow_mut();
        if !buf.is_empty() {
            write_all_to(self.fd, &buf);
            buf.clear();
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.flush();
    }
}

fn write_all(buf: &[u8]) {
    write_all_to(1, buf);
}

#[allow(
    clippy::cast_sign_loss,
    reason = "system call numbers, arguments and results reinterpreted as the kernel ABI defines them (numbers < 2^10, PIDs < 2^22, lengths and counts bounded by the call itself)"
)]
fn write_all_to(fd: i32, buf: &[u8]) {
    let mut off = 0;
    while off < buf.len() {
        // SAFETY: writing from a live buffer to a descriptor we inherited.
        let n = unsafe { libc::write(fd, buf[off..].as_ptr().cast(), buf.len() - off) };
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

    fn parse(line: &[u8]) -> Event {
        assert!(line.len() <= MAX_LINE, "{} bytes", line.len());
        assert_eq!(line.last(), Some(&b'\n'));
        serde_json::from_slice(&line[..line.len() - 1]).expect("one whole JSON event")
    }

    #[test]
    fn long_prints_fit_one_atomic_write() {
        let e = Event {
            t_us: 1,
            pid: 2,
            kind: EventKind::Print {
                text: "é".repeat(5000),
            },
        };
        let back = parse(&encode_line(&e));
        assert!(matches!(back.kind, EventKind::Print { text } if text.ends_with('…')));
        // Quotes and backslashes double in JSON: still one line that fits.
        let e = Event {
            t_us: 1,
            pid: 2,
            kind: EventKind::Print {
                text: "\"\\".repeat(3000),
            },
        };
        parse(&encode_line(&e));
    }

    /// The bug this replaced: any event but a `print` over 4 KiB was cut as bytes,
    /// leaving broken JSON on the wire.
    #[test]
    fn long_events_of_every_kind_stay_whole() {
        let exec = Event {
            t_us: 1,
            pid: 2,
            kind: EventKind::Exec {
                program: "/usr/bin/make".into(),
                argv: (0..2000).map(|i| format!("arg{i}")).collect(),
            },
        };
        let EventKind::Exec { program, argv } = parse(&encode_line(&exec)).kind else {
            panic!("still an exec")
        };
        assert_eq!(program, "/usr/bin/make");
        assert!(argv.len() < 2000 && argv[0] == "arg0", "{}", argv.len());
        let value = Event {
            t_us: 1,
            pid: 2,
            kind: EventKind::Value {
                name: "x".into(),
                value: serde_json::json!({"a": "y".repeat(9000), "b": [1, 2, 3]}),
            },
        };
        let back = parse(&encode_line(&value));
        assert!(matches!(&back.kind, EventKind::Value { name, .. } if name == "x"));
    }

    #[test]
    fn the_tracer_s_lines_may_be_longer() {
        let e = Event {
            t_us: 1,
            pid: 2,
            kind: EventKind::Print {
                text: "\"".repeat(64 * 1024 + 40),
            },
        };
        let line = encode_line_within(&e, ALONE_MAX_LINE);
        assert!(line.len() <= ALONE_MAX_LINE);
        let back: Event = serde_json::from_slice(&line[..line.len() - 1]).expect("whole");
        assert_eq!(back, e, "kept whole");
    }

    #[test]
    fn a_batch_goes_out_whole_lines_when_full_old_flushed_or_dropped() {
        use std::os::fd::AsRawFd;
        let (r, w) = nix::unistd::pipe().expect("pipe");
        nix::fcntl::fcntl(
            &r,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )
        .expect("non-blocking");
        let pending = || {
            let mut buf = vec![0u8; 1 << 20];
            let n = nix::unistd::read(&r, &mut buf).unwrap_or(0);
            buf.truncate(n);
            buf
        };
        let event = |n: i32| Event {
            t_us: 0,
            pid: n,
            kind: EventKind::Exit { code: n },
        };
        let batch = Batch::to_fd(w.as_raw_fd());
        batch.push(&event(1), 0);
        batch.push(&event(2), 1_000);
        assert!(pending().is_empty(), "held while young and small");
        batch.flush();
        let out = pending();
        let lines: Vec<Event> = out
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("a whole event"))
            .collect();
        assert_eq!(lines, [event(1), event(2)]);
        // Old enough: out at once.
        batch.push(&event(3), 10_000_000);
        batch.push(&event(4), 10_000_000 + BATCH_NS);
        assert_eq!(pending().iter().filter(|b| **b == b'\n').count(), 2);
        // Big enough: out at once.
        for i in 0..1000 {
            batch.push(&event(i), 20_000_000);
        }
        let out = pending();
        assert!(
            out.len() >= BATCH_BYTES && out.ends_with(b"\n"),
            "{}",
            out.len()
        );
        drop(batch);
        let rest = pending();
        assert!(
            rest.is_empty() || rest.ends_with(b"\n"),
            "dropped: the rest, whole"
        );
    }
}
