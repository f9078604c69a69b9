//! Replaying a recorded trace: loading it (a bad line is reported with its number,
//! never fatal) and pacing it. `Player` is pure: it is told how much real time passed
//! and says which events are due; the front end owns the clock and the sleeping.
//!
//! Pacing follows the events' `t_us` divided by the speed, except that a stretch with
//! no event longer than [`MAX_GAP_US`] plays as that long: a run recorded step by step
//! holds at every gate for as long as the learner read, and a replay should not make
//! its viewer wait through that again. Times shown on screen stay the recorded ones.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use super::event::{Event, EventKind};
use super::reader::{Line, parse_line};

/// The longest quiet stretch a replay reproduces, in trace microseconds.
pub const MAX_GAP_US: u64 = 2_000_000;

/// One event of a trace, with where it came from.
#[derive(Debug, Clone)]
pub struct Entry {
    /// 1-based line number in the file.
    pub line_no: usize,
    /// The line as recorded (`--json` replays print it unchanged).
    pub raw: String,
    pub event: Event,
}

#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub entries: Vec<Entry>,
    /// Lines that are not events: (line number, what is wrong).
    pub malformed: Vec<(usize, String)>,
}

/// Reads a trace file; only a file that cannot be read at all is an error.
pub fn load(path: &Path) -> Result<Trace, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the trace {}: {e}", path.display()))?;
    Ok(parse(&String::from_utf8_lossy(&bytes)))
}

pub fn parse(text: &str) -> Trace {
    let mut trace = Trace::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Line::Event(event) => trace.entries.push(Entry {
                line_no: i + 1,
                raw: line.to_string(),
                event,
            }),
            Line::Malformed { error, .. } => trace.malformed.push((i + 1, error)),
        }
    }
    trace
}

impl Trace {
    /// The scenario and parameters the `run` line names.
    pub fn run_info(&self) -> Option<(&str, &Map<String, Value>)> {
        self.entries.iter().find_map(|e| match &e.event.kind {
            EventKind::Run {
                scenario, params, ..
            } => Some((scenario.as_str(), params)),
            _ => None,
        })
    }

    /// The Python lesson whose program the trace ran, if its `run` line names one.
    pub fn lesson_id(&self) -> Option<&str> {
        self.entries.iter().find_map(|e| match &e.event.kind {
            EventKind::Run { lesson, .. } => lesson.as_deref(),
            _ => None,
        })
    }

    /// The recording front end's PID: the `run` line's, else the parent of `main`.
    pub fn front_end(&self) -> Option<i32> {
        self.entries.iter().find_map(|e| match &e.event.kind {
            EventKind::Run { .. } => Some(e.event.pid),
            EventKind::Spawn { ppid, label, .. } if label == "main" => Some(*ppid),
            _ => None,
        })
    }

    pub fn events(&self) -> Vec<Event> {
        self.entries.iter().map(|e| e.event.clone()).collect()
    }
}

/// Whether a replay in step mode holds after this event: a gate of the main program
/// (per-process gates were the learner's choices when recorded; they just play).
pub fn holds(e: &Event) -> bool {
    matches!(e.kind, EventKind::Gate { slot: None, .. })
}

/// Where a replay stands: which events have been delivered and how far the play clock
/// has run. Pure: `advance` is told the real time that passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Player {
    /// Play time of each event (trace time with long gaps shortened), in µs.
    at: Vec<u64>,
    gate: Vec<bool>,
    next: usize,
    pos_us: f64,
    speed: f64,
    paused: bool,
    step_mode: bool,
    held: bool,
}

impl Player {
    pub fn new(events: &[Event], speed: f64, step_mode: bool) -> Player {
        let mut at = Vec::with_capacity(events.len());
        let (mut play, mut latest) = (0u64, 0u64);
        for e in events {
            // Lines from different processes may be a little out of time order.
            play += e.t_us.saturating_sub(latest).min(MAX_GAP_US);
            latest = latest.max(e.t_us);
            at.push(play);
        }
        Player {
            gate: events.iter().map(holds).collect(),
            at,
            next: 0,
            pos_us: 0.0,
            speed: positive(speed),
            paused: false,
            step_mode,
            held: false,
        }
    }

    /// Lets `real` time pass on the play clock (not while paused or held).
    pub fn advance(&mut self, real: Duration) {
        if !self.paused && !self.held && !self.finished() {
            self.pos_us += real.as_secs_f64() * 1e6 * self.speed;
        }
    }

    /// The events due now, as indices; in step mode this stops after a main gate and
    /// holds there until `release`.
    #[allow(
        clippy::cast_precision_loss,
        reason = "event times in microseconds: far below 2^52 (142 years)"
    )]
    pub fn due(&mut self) -> Range<usize> {
        let from = self.next;
        if self.held {
            return from..from;
        }
        while self.next < self.at.len() && self.at[self.next] as f64 <= self.pos_us {
            self.next += 1;
            if self.step_mode && self.gate[self.next - 1] {
                self.held = true;
                // The clock waits at the gate, so nothing after it is skipped.
                self.pos_us = self.at[self.next - 1] as f64;
                break;
            }
        }
        from..self.next
    }

    /// Real time until the next event is due; `None` while nothing will come by itself
    /// (paused, held at a gate, or at the end).
    #[allow(
        clippy::cast_precision_loss,
        reason = "event times in microseconds: far below 2^52 (142 years)"
    )]
    pub fn wait(&self) -> Option<Duration> {
        if self.paused || self.held || self.finished() {
            return None;
        }
        let ahead = (self.at[self.next] as f64 - self.pos_us).max(0.0);
        // Never a panic on an extreme speed or time: too long to wait is waiting for ever.
        Some(Duration::try_from_secs_f64(ahead / 1e6 / self.speed).unwrap_or(Duration::MAX))
    }

    /// Space at a held gate: go on.
    pub fn release(&mut self) {
        self.held = false;
    }

    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = positive(speed);
    }

    pub fn set_step_mode(&mut self, on: bool) {
        self.step_mode = on;
        if !on {
            self.held = false;
        }
    }

    /// Back to the beginning.
    pub fn restart(&mut self, speed: f64, step_mode: bool) {
        self.next = 0;
        self.pos_us = 0.0;
        self.held = false;
        self.paused = false;
        self.speed = positive(speed);
        self.step_mode = step_mode;
    }

    pub fn held(&self) -> bool {
        self.held
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Every event has been delivered.
    pub fn finished(&self) -> bool {
        self.next >= self.at.len()
    }
}

fn positive(speed: f64) -> f64 {
    if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t_us: u64, kind: EventKind) -> Event {
        Event { t_us, pid: 1, kind }
    }

    fn print(t_us: u64) -> Event {
        ev(t_us, EventKind::Print { text: "x".into() })
    }

    fn gate(t_us: u64) -> Event {
        ev(
            t_us,
            EventKind::Gate {
                name: "g".into(),
                slot: None,
            },
        )
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn events_come_due_at_their_time_divided_by_speed() {
        let events = [print(0), print(1_000), print(3_000)];
        let mut p = Player::new(&events, 2.0, false);
        assert_eq!(p.due(), 0..1, "t = 0 is due at once");
        assert_eq!(p.wait(), Some(Duration::from_micros(500)));
        p.advance(Duration::from_micros(499));
        assert_eq!(p.due(), 1..1, "not yet");
        p.advance(Duration::from_micros(1));
        assert_eq!(p.due(), 1..2);
        p.advance(MS);
        assert_eq!(p.due(), 2..3, "3000 µs at 2× is due at 1.5 ms");
        assert!(p.finished() && p.wait().is_none());
    }

    #[test]
    fn pause_stops_the_clock() {
        let events = [print(0), print(1_000)];
        let mut p = Player::new(&events, 1.0, false);
        p.due();
        p.set_paused(true);
        p.advance(10 * MS);
        assert_eq!(p.due(), 1..1);
        assert_eq!(p.wait(), None);
        p.set_paused(false);
        p.advance(MS);
        assert_eq!(p.due(), 1..2);
    }

    #[test]
    fn step_mode_holds_after_a_main_gate_until_released() {
        let slot_gate = ev(
            50,
            EventKind::Gate {
                name: "w".into(),
                slot: Some(0),
            },
        );
        let events = [print(0), slot_gate, gate(100), print(100), print(200)];
        let mut p = Player::new(&events, 1.0, true);
        p.advance(Duration::from_secs(1));
        assert_eq!(p.due(), 0..3, "a per-process gate does not hold");
        assert!(p.held());
        p.advance(Duration::from_secs(1));
        assert_eq!(p.due(), 3..3, "held: nothing more, however long");
        assert_eq!(p.wait(), None);
        p.release();
        assert_eq!(p.due(), 3..4, "the clock stood at the gate's time");
        assert_eq!(p.wait(), Some(Duration::from_micros(100)));
        p.set_step_mode(false);
        p.advance(MS);
        assert_eq!(p.due(), 4..5);
    }

    #[test]
    fn leaving_step_mode_releases_and_restart_rewinds() {
        let events = [gate(0), print(10)];
        let mut p = Player::new(&events, 1.0, true);
        assert_eq!(p.due(), 0..1);
        assert!(p.held());
        p.set_step_mode(false);
        assert!(!p.held());
        p.advance(MS);
        assert_eq!(p.due(), 1..2);
        p.restart(4.0, false);
        assert!(!p.finished());
        assert_eq!(p.due(), 0..1);
    }

    #[test]
    fn long_quiet_stretches_are_shortened() {
        let events = [print(0), print(60_000_000), print(60_000_010)];
        let mut p = Player::new(&events, 1.0, false);
        p.due();
        assert_eq!(p.wait(), Some(Duration::from_micros(MAX_GAP_US)));
        p.advance(Duration::from_micros(MAX_GAP_US + 10));
        assert_eq!(p.due(), 1..3);
    }

    #[test]
    fn out_of_order_lines_do_not_go_back_in_time() {
        let events = [print(0), print(500), print(400), print(600)];
        let mut p = Player::new(&events, 1.0, false);
        p.advance(Duration::from_micros(500));
        assert_eq!(p.due(), 0..3);
        p.advance(Duration::from_micros(100));
        assert_eq!(p.due(), 3..4);
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number() {
        let t = parse(concat!(
            r#"{"t_us":0,"pid":9,"kind":"run","scenario":"zombie","params":{"seconds":1}}"#,
            "\n\nnot json\n",
            r#"{"t_us":5,"pid":10,"kind":"spawn","ppid":9,"label":"main"}"#,
            "\n"
        ));
        assert_eq!(t.entries.len(), 2);
        assert_eq!(t.entries[1].line_no, 4);
        assert_eq!(t.malformed.len(), 1);
        assert_eq!(t.malformed[0].0, 3);
        assert_eq!(t.run_info().map(|r| r.0), Some("zombie"));
        assert_eq!(t.front_end(), Some(9));
    }
}
