//! Reading a trace file (`replay`, `export`) with limits, so a file that is not a
//! trace cannot make proclab grow without end: no line longer than [`MAX_LINE`] is
//! held (proclab writes at most 256 KiB a line), and `replay`, which keeps every
//! event, reads at most [`REPLAY_MAX_BYTES`]. `export` streams (two passes over the
//! file), so only the line limit applies there. An empty file, or one without a
//! single event, is said to be no trace.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::trace::reader::{Line, parse_line};
use crate::trace::replay::{Entry, Trace};

/// The longest line read: four times the longest line proclab writes.
pub const MAX_LINE: usize = 1 << 20;

/// The most `replay` reads: about 3 million events, about 1.3 GB once loaded. A
/// `--record` file stops at the same size, so every recording can be replayed.
pub const REPLAY_MAX_BYTES: u64 = crate::trace::record::RECORD_MAX_BYTES;

/// What reading found besides the events.
#[derive(Debug, Default)]
pub struct Found {
    /// Non-blank lines.
    pub lines: usize,
    /// Lines that are not events: (line number, what is wrong).
    pub malformed: Vec<(usize, String)>,
}

/// Calls `event` for every event of `path` in order, with its line number and the
/// line; malformed lines are collected, blank ones skipped. Fails (saying why) when the
/// file cannot be read, a line is too long, or more than `max_bytes` come.
pub fn each_event(
    path: &Path,
    max_bytes: Option<u64>,
    mut event: impl FnMut(usize, &str, crate::trace::event::Event),
) -> Result<Found, String> {
    let name = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read the trace {name}: {e}"))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut found = Found::default();
    let mut buf = Vec::new();
    let mut total = 0u64;
    for line_no in 1.. {
        buf.clear();
        let n = reader
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("cannot read the trace {name}: {e}"))?;
        if n == 0 {
            break;
        }
        if buf.len() > MAX_LINE {
            return Err(format!(
                "{name}:{line_no}: a line longer than {} MiB: this is not a trace \
                 (proclab's lines are at most 256 KiB)",
                MAX_LINE >> 20
            ));
        }
        total += n as u64;
        if let Some(max) = max_bytes
            && total > max
        {
            return Err(format!(
                "{name}: more than {} MiB; replay reads at most that much (about 3 million \
                 events): cut the trace, or `proclab export` it (which streams)",
                max >> 20
            ));
        }
        let text = String::from_utf8_lossy(&buf);
        let line = text.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        found.lines += 1;
        match parse_line(line) {
            Line::Event(e) => event(line_no, line, e),
            Line::Malformed { error, .. } => found.malformed.push((line_no, error)),
        }
    }
    Ok(found)
}

/// The whole trace, for `replay` (at most [`REPLAY_MAX_BYTES`]); a file with no event
/// is an error saying what it holds.
pub fn load(path: &Path) -> Result<Trace, String> {
    let mut trace = Trace::default();
    let found = each_event(path, Some(REPLAY_MAX_BYTES), |line_no, raw, event| {
        trace.entries.push(Entry {
            line_no,
            raw: raw.to_string(),
            event,
        })
    })?;
    trace.malformed = found.malformed;
    if trace.entries.is_empty() {
        return Err(no_events(path, found.lines, &trace.malformed));
    }
    Ok(trace)
}

/// "FILE is empty" or "none of its N lines is an event (line 1: why)".
pub fn no_events(path: &Path, lines: usize, malformed: &[(usize, String)]) -> String {
    let name = path.display();
    let hint = "a trace is JSON lines, as `proclab run --json` prints them";
    match malformed.first() {
        None if lines == 0 => format!("{name} is empty: not a trace ({hint})"),
        None => format!("{name}: no events: not a trace ({hint})"),
        Some((n, why)) => format!(
            "{name}: not a trace: none of its {lines} lines is an event \
             (line {n}: {why}; {hint})"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "proclab-tracefile-{}-{}",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reading_stops_at_the_byte_limit_and_at_a_line_too_long() {
        let line = b"{\"t_us\":1,\"pid\":2,\"kind\":\"exit\",\"code\":0}\n";
        let path = file(&line.repeat(100));
        let mut n = 0;
        assert!(each_event(&path, Some(10_000), |_, _, _| n += 1).is_ok());
        assert_eq!(n, 100);
        let err = each_event(&path, Some(1000), |_, _, _| {}).unwrap_err();
        assert!(err.contains("more than"), "{err}");
        let long = file(&vec![b'x'; MAX_LINE + 10]);
        let err = each_event(&long, None, |_, _, _| {}).unwrap_err();
        assert!(err.contains(":1: a line longer than 1 MiB"), "{err}");
    }
}
