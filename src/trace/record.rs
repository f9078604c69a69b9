//! Recording a run: the wire lines the front end receives, as they arrive, to a file
//! (`--record FILE`) and, in the terminal UI, into memory so `w` can save the trace so
//! far. A trace holds exactly what `--json` prints: main's `spawn`, the `run` line
//! (what ran), the scenario's events, the observer's `state` lines, `summary` last.
//!
//! No I/O error here is fatal: the caller turns it into a line in the log.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::event::{Event, EventKind};
use crate::scenario::Scenario;
use crate::scenario::params::{ParamValue, Params};

/// What ran, from the front end (the second line, after main's spawn): the scenario
/// and every parameter.
pub fn run_event(scenario: &str, params: &Params) -> Event {
    Event {
        t_us: 0,
        pid: nix::unistd::getpid().as_raw(),
        kind: EventKind::Run {
            scenario: scenario.to_string(),
            params: params_to_json(params),
            lesson: None,
        },
    }
}

/// The `run` line of `proclab trace`, naming the Python lesson whose program ran.
pub fn trace_run_event(lesson: Option<&str>) -> Event {
    Event {
        t_us: 0,
        pid: nix::unistd::getpid().as_raw(),
        kind: EventKind::Run {
            scenario: crate::ptrace::TRACED.id.to_string(),
            params: Map::new(),
            lesson: lesson.map(str::to_string),
        },
    }
}

pub fn params_to_json(params: &Params) -> Map<String, Value> {
    params
        .iter()
        .map(|(k, v)| {
            let v = match v {
                ParamValue::Int(n) => Value::from(*n),
                ParamValue::Bool(b) => Value::from(*b),
                ParamValue::Name(s) => Value::from(s.to_string()),
                ParamValue::IntList(l) => Value::from(l.to_vec()),
            };
            (k.clone(), v)
        })
        .collect()
}

/// Params from a `run` line, parsed and checked as `--set` would be.
pub fn params_from_json(spec: &Scenario, map: &Map<String, Value>) -> Result<Params, String> {
    let assignments: Vec<String> = map
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().map(Value::to_string).collect();
                format!("{k}={}", parts.join(","))
            }
            v => format!("{k}={v}"),
        })
        .collect();
    spec.params_from(&assignments).map_err(|e| e.to_string())
}

/// A trace file being written line by line, up to a limit (`replay`'s, by default:
/// every recording can be replayed); past it, `line` fails and the caller stops the
/// recording, saying why.
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    written: u64,
    limit: u64,
}

/// The most a `--record` file takes (as much as `replay` reads).
pub const RECORD_MAX_BYTES: u64 = 256 << 20;

impl Recorder {
    pub fn create(path: &Path) -> Result<Recorder, String> {
        let file = File::create(path)
            .map_err(|e| format!("cannot create the trace file {}: {e}", path.display()))?;
        Ok(Recorder {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(64 * 1024, file),
            written: 0,
            limit: RECORD_MAX_BYTES,
        })
    }

    /// The same recorder with another limit, in bytes.
    pub fn with_limit(mut self, limit: u64) -> Recorder {
        self.limit = limit;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn line(&mut self, line: &str) -> std::io::Result<()> {
        let after = self.written + line.len() as u64 + 1;
        if after > self.limit {
            self.out.flush()?;
            return Err(std::io::Error::other(format!(
                "it reached {} MiB, the most a recording takes (what `proclab replay` reads)",
                self.limit >> 20
            )));
        }
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.written = after;
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Starts the file over (a restarted run replaces the recorded one).
    pub fn truncate(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        let file = self.out.get_mut();
        file.set_len(0)?;
        self.written = 0;
        file.rewind()
    }
}

/// Events the tape keeps in memory for `w` (a few tens of MB at most).
pub const KEEP_IN_MEMORY: usize = 200_000;

/// The terminal UI's recording of the current run: every event it applies, in order,
/// kept in memory for `w` and written to the `--record` file as it comes. The summary
/// is held until the run is fully cleaned up (`finish`), so it stays the last line, as
/// in `--json`.
#[derive(Default)]
pub struct Tape {
    lines: Vec<String>,
    /// More events came than memory keeps for `w` (the `--record` file has them all).
    full: bool,
    summary: Option<Event>,
    last_t_us: u64,
    file: Option<Recorder>,
}

impl Tape {
    pub fn new(file: Option<Recorder>) -> Tape {
        Tape {
            file,
            ..Tape::default()
        }
    }

    /// A new run: forget the old one; the `--record` file starts over.
    pub fn restart(&mut self) -> Option<String> {
        self.lines.clear();
        self.full = false;
        self.summary = None;
        self.last_t_us = 0;
        let file = self.file.as_mut()?;
        file.truncate().err().map(|e| self.drop_file(e))
    }

    /// Records one event; the warning to log if the file could not take it.
    pub fn push(&mut self, e: &Event) -> Option<String> {
        if matches!(e.kind, EventKind::Summary { .. }) {
            self.summary = Some(e.clone());
            return None;
        }
        self.last_t_us = self.last_t_us.max(e.t_us);
        let line = match serde_json::to_string(e) {
            Ok(l) => l,
            Err(err) => return Some(format!("event not recorded: {err}")),
        };
        let failed = self.file.as_mut().and_then(|f| f.line(&line).err());
        let warning = failed.map(|e| self.drop_file(e));
        // A long chatty run (a traced `yes`) must not grow memory without end.
        if self.lines.len() >= KEEP_IN_MEMORY {
            if self.full {
                return warning;
            }
            self.full = true;
            return warning.or_else(|| {
                Some(format!(
                    "w will save only the first {KEEP_IN_MEMORY} events of this run; \
                     --record FILE keeps every one"
                ))
            });
        }
        self.lines.push(line);
        warning
    }

    pub fn holds_summary(&self) -> bool {
        self.summary.is_some()
    }

    /// The run is over and cleaned up: the summary goes last (and last in time).
    pub fn finish(&mut self) -> Option<String> {
        let line = self.summary_line()?;
        self.summary = None;
        let failed = self.file.as_mut().and_then(|f| f.line(&line).err());
        self.lines.push(line);
        failed.map(|e| self.drop_file(e))
    }

    pub fn flush(&mut self) -> Option<String> {
        let failed = self.file.as_mut()?.flush().err()?;
        Some(self.drop_file(failed))
    }

    fn summary_line(&self) -> Option<String> {
        let mut summary = self.summary.clone()?;
        summary.t_us = summary.t_us.max(self.last_t_us);
        serde_json::to_string(&summary).ok()
    }

    /// Every line so far (a held summary last).
    pub fn lines(&self) -> Vec<String> {
        let mut all = self.lines.clone();
        all.extend(self.summary_line());
        all
    }

    /// Writes the trace so far to `proclab-<scenario>-<stamp>.jsonl` in `dir` (never
    /// over an existing file); returns the path.
    pub fn save(&self, dir: &Path, scenario: &str, stamp: &str) -> Result<PathBuf, String> {
        let mut text = self.lines().join("\n");
        text.push('\n');
        let mut last_err = String::new();
        for n in 1..=20 {
            let name = match n {
                1 => format!("proclab-{scenario}-{stamp}.jsonl"),
                n => format!("proclab-{scenario}-{stamp}-{n}.jsonl"),
            };
            let path = dir.join(name);
            match File::create_new(&path).and_then(|mut f| f.write_all(text.as_bytes())) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    last_err = e.to_string();
                }
                Err(e) => return Err(format!("trace not saved to {}: {e}", path.display())),
            }
        }
        Err(format!("trace not saved: {last_err}"))
    }

    fn drop_file(&mut self, e: std::io::Error) -> String {
        let path = self
            .file
            .take()
            .map(|f| f.path().display().to_string())
            .unwrap_or_default();
        format!("recording to {path} stopped: {e}")
    }
}

/// The local time as `YYYYmmdd-HHMMSS`, for file names.
pub fn local_stamp() -> String {
    // SAFETY: time(NULL) and localtime_r into a zeroed struct we own.
    let tm = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return format!("{now}");
        }
        tm
    };
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t_us: u64, kind: EventKind) -> Event {
        Event { t_us, pid: 7, kind }
    }

    #[test]
    fn params_round_trip_through_the_run_line() {
        let spec = crate::scenario::find("fork-fanout").unwrap();
        let params = spec.params_from(&["children=3".into()]).unwrap();
        let e = run_event(spec.id, &params);
        let EventKind::Run {
            scenario,
            params: map,
            ..
        } = &e.kind
        else {
            panic!("{e:?}")
        };
        assert_eq!(scenario, "fork-fanout");
        assert_eq!(map["children"], 3);
        assert_eq!(params_from_json(spec, map).unwrap(), params);
    }

    #[test]
    fn the_summary_stays_last_and_last_in_time() {
        let mut tape = Tape::new(None);
        let summary = EventKind::Summary {
            processes: 1,
            leaked: 0,
            duration_us: 5,
            results: Map::new(),
        };
        assert!(tape.push(&ev(5, summary)).is_none());
        tape.push(&ev(9, EventKind::Exit { code: 0 }));
        assert!(tape.holds_summary());
        tape.finish();
        let lines = tape.lines();
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains("\"summary\"") && lines[1].contains("\"t_us\":9"));
        tape.restart();
        assert!(tape.lines().is_empty());
    }

    #[test]
    fn save_never_overwrites() {
        let dir = std::env::temp_dir().join(format!("proclab-tape-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut tape = Tape::new(None);
        tape.push(&ev(1, EventKind::Exit { code: 0 }));
        let a = tape.save(&dir, "zombie", "20260101-000000").unwrap();
        let b = tape.save(&dir, "zombie", "20260101-000000").unwrap();
        assert_ne!(a, b);
        assert!(a.ends_with("proclab-zombie-20260101-000000.jsonl"));
        let text = std::fs::read_to_string(&b).unwrap();
        assert_eq!(text.lines().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(local_stamp().len() == 15, "{}", local_stamp());
    }

    #[test]
    fn memory_keeps_a_bounded_number_of_events_and_says_so_once() {
        let mut tape = Tape::new(None);
        let ev = |t_us| Event {
            t_us,
            pid: 1,
            kind: EventKind::Print { text: "x".into() },
        };
        let mut warnings = Vec::new();
        for t in 0..(KEEP_IN_MEMORY as u64 + 10) {
            warnings.extend(tape.push(&ev(t)));
        }
        assert_eq!(tape.lines().len(), KEEP_IN_MEMORY);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        tape.restart();
        assert!(tape.push(&ev(1)).is_none());
        assert_eq!(tape.lines().len(), 1);
    }
}
