//! Reading the wire: split a byte stream into lines and parse each one. A malformed
//! line is reported to the caller, never fatal.

use std::io::{BufRead, BufReader, Read};

use super::event::{Event, EventKind};

#[derive(Debug)]
pub enum Line {
    Event(Event),
    Malformed { line: String, error: String },
}

pub fn parse_line(line: &str) -> Line {
    let error = match serde_json::from_str::<Event>(line) {
        Ok(e) if floats_are_finite(&e) => return Line::Event(e),
        // 1e39 parses as an f32 infinity, which JSON cannot write back (it would
        // become `null`): refused, so every event accepted here round-trips.
        Ok(_) => "a number is out of range for a 32-bit float".to_string(),
        Err(err) => err.to_string(),
    };
    Line::Malformed {
        line: line.chars().take(200).collect(),
        error,
    }
}

fn floats_are_finite(e: &Event) -> bool {
    match &e.kind {
        EventKind::State { cpu, .. } => cpu.is_none_or(f32::is_finite),
        EventKind::Cpu { cores } => cores.iter().all(|c| c.is_finite()),
        _ => true,
    }
}

/// Calls `each` with every non-empty line, parsed and as it came, until EOF or a read
/// error; calls `drained` whenever every line read so far has been handed over (just
/// before a read that may block), so a caller can pass lines on in batches.
pub fn for_each_line(
    source: impl Read,
    mut each: impl FnMut(Line, &str),
    mut drained: impl FnMut(),
) {
    let mut reader = BufReader::with_capacity(64 * 1024, source);
    let mut buf = Vec::with_capacity(512);
    loop {
        if reader.buffer().is_empty() {
            drained();
        }
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                let text = text.trim_end();
                if !text.is_empty() {
                    each(parse_line(text), text);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_reports_bad_lines() {
        let input = b"{\"t_us\":1,\"pid\":3,\"kind\":\"exit\",\"code\":0}\nnot json\n\n";
        let mut got = Vec::new();
        for_each_line(&input[..], |l, _| got.push(l), || {});
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[0], Line::Event(e) if e.pid == 3));
        assert!(matches!(&got[1], Line::Malformed { line, .. } if line == "not json"));
    }

    #[test]
    fn floats_beyond_f32_are_malformed() {
        let line = r#"{"t_us":1,"pid":7,"kind":"cpu","cores":[1e39]}"#;
        assert!(
            matches!(parse_line(line), Line::Malformed { error, .. } if error.contains("out of range"))
        );
        let line = r#"{"t_us":1,"pid":7,"kind":"state","state":"S","reason":"x","cpu":-1e39}"#;
        assert!(matches!(parse_line(line), Line::Malformed { .. }));
        let line = r#"{"t_us":1,"pid":7,"kind":"cpu","cores":[99.5]}"#;
        assert!(matches!(parse_line(line), Line::Event(_)));
    }

    #[test]
    fn floats_round_trip_exactly() {
        // serde_json's default float parsing is best effort: 1e-50 came back as
        // 9.999999999999999e-51 (hence its `float_roundtrip` feature).
        let line = r#"{"t_us":1,"pid":7,"kind":"value","name":"x","value":1e-50}"#;
        let Line::Event(e) = parse_line(line) else {
            panic!("rejected")
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"t_us":1,"pid":7,"kind":"value","name":"x","value":1e-50}"#
        );
    }
}
