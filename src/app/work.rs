//! CPU-bound work as the work pane draws it: each worker's progress, how busy each
//! core is over time, which task each pool worker runs, results in the order the
//! caller received them, and a speedup table. Built only from events.

use std::collections::VecDeque;

use serde_json::Value;

use crate::trace::event::{Event, EventKind};

/// Core-load samples kept per core (every 200 ms: the last 30 s or so).
pub const CORE_HISTORY: usize = 150;

/// The program's last printed lines kept for the cores pane (it shows those that fit).
pub const PRINTED_KEPT: usize = 64;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Work {
    /// (pid, done, total), in the order the workers first reported.
    pub progress: Vec<(i32, u64, u64)>,
    /// Per core, its load in percent over time.
    pub cores: Vec<VecDeque<u64>>,
    /// Which task a pool worker runs now (`value` named `task`; `None` when idle).
    pub running: Vec<(i32, Option<u64>)>,
    /// `result` events named `task`, in the order the caller received them.
    pub delivered: Vec<Value>,
    /// Pool results put on the result queue by their worker (a `send` on `results`):
    /// (task index, worker, when). One not yet in `delivered` is finished but not
    /// handed to the caller: `held_back`.
    pub ready: Vec<(u64, i32, u64)>,
    /// (workers, seconds, speedup) from a sweep's `time_N` / `speedup_N` results.
    pub sweep: Vec<(u64, f64, f64)>,
    /// CPU (percent of one core) other programs took at the last few core readings:
    /// the cores' load minus the run's own processes' (see `ingest`).
    pub others: VecDeque<f64>,
    /// The run's live processes at those readings: when they change (a worker starts
    /// or ends) the readings start over, since the loads then mix two moments.
    pub others_pids: Vec<i32>,
    /// The run's printed lines, the last `PRINTED_KEPT`: what the cores pane shows
    /// beside the load (a Python lesson's timings).
    pub printed: VecDeque<String>,
}

impl Work {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a load clamped to 0..=100 and rounded first: fits a u64 exactly"
    )]
    pub fn apply(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Progress { done, total } => {
                match self.progress.iter_mut().find(|(p, _, _)| *p == e.pid) {
                    Some(slot) => *slot = (e.pid, *done, *total),
                    None => self.progress.push((e.pid, *done, *total)),
                }
            }
            EventKind::Cpu { cores } => {
                self.cores.resize_with(cores.len(), VecDeque::new);
                for (history, load) in self.cores.iter_mut().zip(cores) {
                    if history.len() == CORE_HISTORY {
                        history.pop_front();
                    }
                    history.push_back(load.clamp(0.0, 100.0).round() as u64);
                }
            }
            EventKind::Print { text } => {
                if self.printed.len() == PRINTED_KEPT {
                    self.printed.pop_front();
                }
                self.printed.push_back(text.clone());
            }
            EventKind::Value { name, value } if name == "task" => {
                let task = value.as_u64();
                match self.running.iter_mut().find(|(p, _)| *p == e.pid) {
                    Some(slot) => slot.1 = task,
                    None => self.running.push((e.pid, task)),
                }
            }
            EventKind::Send { channel, item, .. } if channel == "results" => {
                if let Some(index) = item.get("index").and_then(Value::as_u64) {
                    self.ready.push((index, e.pid, e.t_us));
                }
            }
            EventKind::Result { name, value } => {
                if name == "task" {
                    self.delivered.push(value.clone());
                } else if let Some(n) = name.strip_prefix("time_").and_then(|n| n.parse().ok()) {
                    self.sweep.push((n, value.as_f64().unwrap_or(0.0), 1.0));
                } else if let Some(n) = name
                    .strip_prefix("speedup_")
                    .and_then(|n| n.parse::<u64>().ok())
                    && let Some(row) = self.sweep.iter_mut().find(|r| r.0 == n)
                {
                    row.2 = value.as_f64().unwrap_or(0.0);
                }
            }
            _ => {}
        }
    }

    /// Results their worker finished (it said so as it sent them) that the caller has
    /// not received yet (no `task` result for them): (task index, worker, when sent).
    pub fn held_back(&self) -> Vec<(u64, i32, u64)> {
        self.ready
            .iter()
            .filter(|(index, _, _)| {
                !self
                    .delivered
                    .iter()
                    .any(|d| d.get("index").and_then(Value::as_u64) == Some(*index))
            })
            .copied()
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.progress.is_empty() && self.delivered.is_empty() && self.sweep.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(pid: i32, kind: EventKind) -> Event {
        Event {
            t_us: 10,
            pid,
            kind,
        }
    }

    #[test]
    fn progress_cores_tasks_and_sweep() {
        let mut w = Work::default();
        w.apply(&ev(
            5,
            EventKind::Progress {
                done: 10,
                total: 100,
            },
        ));
        w.apply(&ev(
            6,
            EventKind::Progress {
                done: 0,
                total: 100,
            },
        ));
        w.apply(&ev(
            5,
            EventKind::Progress {
                done: 100,
                total: 100,
            },
        ));
        assert_eq!(w.progress, vec![(5, 100, 100), (6, 0, 100)]);
        w.apply(&ev(
            1,
            EventKind::Cpu {
                cores: vec![99.6, 3.0],
            },
        ));
        assert_eq!(w.cores, vec![VecDeque::from([100]), VecDeque::from([3])]);
        w.apply(&ev(
            7,
            EventKind::Value {
                name: "task".into(),
                value: json!(1),
            },
        ));
        w.apply(&ev(
            7,
            EventKind::Value {
                name: "task".into(),
                value: Value::Null,
            },
        ));
        assert_eq!(w.running, vec![(7, None)]);
        w.apply(&ev(
            1,
            EventKind::Result {
                name: "time_2".into(),
                value: json!(0.5),
            },
        ));
        w.apply(&ev(
            1,
            EventKind::Result {
                name: "speedup_2".into(),
                value: json!(1.9),
            },
        ));
        assert_eq!(w.sweep, vec![(2, 0.5, 1.9)]);
        w.apply(&ev(
            1,
            EventKind::Result {
                name: "task".into(),
                value: json!({"index": 1}),
            },
        ));
        assert_eq!(w.delivered.len(), 1);
    }

    #[test]
    fn printed_lines_keep_the_last_ones() {
        let mut w = Work::default();
        for i in 0..PRINTED_KEPT + 2 {
            w.apply(&ev(
                1,
                EventKind::Print {
                    text: format!("line {i}"),
                },
            ));
        }
        assert_eq!(w.printed.len(), PRINTED_KEPT);
        assert_eq!(w.printed.front().map(String::as_str), Some("line 2"));
        let last = format!("line {}", PRINTED_KEPT + 1);
        assert_eq!(w.printed.back(), Some(&last));
    }

    #[test]
    fn a_result_sent_but_not_received_is_held_back() {
        let mut w = Work::default();
        let sent = |index: u64| EventKind::Send {
            channel: "results".into(),
            item: json!({"index": index, "result": 7}),
            repr: None,
        };
        w.apply(&ev(7, sent(1)));
        assert_eq!(w.held_back(), vec![(1, 7, 10)], "worker 7 sent task 1");
        // Another channel is not a pool result.
        w.apply(&ev(
            8,
            EventKind::Send {
                channel: "result".into(),
                item: json!(0.5),
                repr: None,
            },
        ));
        assert_eq!(w.held_back().len(), 1);
        w.apply(&ev(6, sent(0)));
        for index in [0, 1] {
            w.apply(&ev(
                1,
                EventKind::Result {
                    name: "task".into(),
                    value: json!({"index": index, "n": 5, "result": 7}),
                },
            ));
        }
        assert!(w.held_back().is_empty(), "the caller received both");
    }
}
