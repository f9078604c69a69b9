//! Messages between processes as the flow pane draws them: what is in the queue now
//! (in order), who put and who got, who is blocked and on what, the queue's length
//! over time; for a Pipe, what is in flight each way. Built only from events.

use std::collections::VecDeque;

use serde_json::Value;

use crate::trace::event::{Event, EventKind, item_text};

/// Points of queue-length history kept for the sparkline.
pub const HISTORY: usize = 240;
/// Recent transfers shown under the queue.
pub const RECENT: usize = 6;
/// Recent messages kept for a pipe's pane: as many as a tall pane shows.
pub const RECENT_MESSAGES: usize = 40;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flow {
    pub queue: Option<QueueView>,
    pub pipe: Option<PipeView>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueView {
    pub name: String,
    /// Items believed in the queue, oldest first (a put appends, a get removes the item
    /// it got: with several producers the pipe's order is the writes' order, which the
    /// events show closely but not exactly).
    pub items: VecDeque<Value>,
    /// The queue's own count after the last call (`len` of the event).
    pub len: i64,
    pub producers: Vec<i32>,
    pub consumers: Vec<i32>,
    /// Processes waiting right now, and on what (`queue_full` / `queue_empty`).
    pub blocked: Vec<(i32, String)>,
    pub history: VecDeque<u64>,
    pub recent: VecDeque<Transfer>,
    pub puts: u64,
    pub gets: u64,
    pub first_us: u64,
    pub last_us: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    pub pid: i32,
    pub put: bool,
    pub item: Value,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PipeView {
    /// Ends in the order they were first used, with the process using each.
    pub ends: Vec<(String, i32)>,
    /// Sent and not yet received, per sending end.
    pub in_flight: Vec<(String, VecDeque<Message>)>,
    pub sent: Vec<(String, u64)>,
    pub blocked: Vec<i32>,
    /// The last sends (`true`) and receives, by end, with the process that made each.
    pub last: VecDeque<(String, bool, Message, i32)>,
}

/// A message through a pipe: its value, and how Python writes it (`item_text`: the
/// decoded pickle's repr when the event has one), as the pane and the log show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub item: Value,
    pub text: String,
}

impl Message {
    fn new(item: &Value, repr: Option<&str>) -> Self {
        Message {
            item: item.clone(),
            text: item_text(item, repr),
        }
    }
}

impl QueueView {
    /// Items got per second of the run, once there is a span to measure.
    #[allow(
        clippy::cast_precision_loss,
        reason = "a time or count of the run shown with a few decimals: far below 2^52, where an f64 is exact"
    )]
    pub fn rate(&self) -> Option<f64> {
        let span = self.last_us.saturating_sub(self.first_us);
        (span > 0 && self.gets > 0).then(|| self.gets as f64 * 1e6 / span as f64)
    }
}

fn add_once(list: &mut Vec<i32>, pid: i32) {
    if !list.contains(&pid) {
        list.push(pid);
    }
}

fn bump(counts: &mut Vec<(String, u64)>, end: &str) {
    match counts.iter_mut().find(|(e, _)| e == end) {
        Some(c) => c.1 += 1,
        None => counts.push((end.to_string(), 1)),
    }
}

impl Flow {
    /// Applies one event; events that are not about messages are ignored.
    pub fn apply(&mut self, e: &Event) {
        match &e.kind {
            EventKind::QueuePut { queue, item, len } | EventKind::QueueGet { queue, item, len } => {
                let put = matches!(e.kind, EventKind::QueuePut { .. });
                let q = self.queue.get_or_insert_with(|| QueueView {
                    name: queue.clone(),
                    first_us: e.t_us,
                    ..QueueView::default()
                });
                if q.name.is_empty() {
                    q.name = queue.clone();
                }
                q.blocked.retain(|(p, _)| *p != e.pid);
                if put {
                    add_once(&mut q.producers, e.pid);
                    q.items.push_back(item.clone());
                    q.puts += 1;
                } else {
                    add_once(&mut q.consumers, e.pid);
                    if let Some(i) = q.items.iter().position(|x| x == item) {
                        q.items.remove(i);
                    }
                    q.gets += 1;
                }
                q.len = *len;
                q.last_us = e.t_us;
                if q.history.len() == HISTORY {
                    q.history.pop_front();
                }
                q.history.push_back(u64::try_from(*len).unwrap_or(0));
                if q.recent.len() == RECENT {
                    q.recent.pop_front();
                }
                q.recent.push_back(Transfer {
                    pid: e.pid,
                    put,
                    item: item.clone(),
                });
            }
            EventKind::Blocked { on } if on.starts_with("queue_") => {
                if let Some(q) = self.queue.as_mut() {
                    q.blocked.retain(|(p, _)| *p != e.pid);
                    q.blocked.push((e.pid, on.clone()));
                } else {
                    let mut q = QueueView {
                        first_us: e.t_us,
                        ..QueueView::default()
                    };
                    q.blocked.push((e.pid, on.clone()));
                    if on == "queue_empty" {
                        q.consumers.push(e.pid);
                    } else {
                        q.producers.push(e.pid);
                    }
                    self.queue = Some(q);
                }
            }
            EventKind::Blocked { on } if on == "recv" => {
                let p = self.pipe.get_or_insert_with(PipeView::default);
                add_once(&mut p.blocked, e.pid);
            }
            EventKind::Send {
                channel,
                item,
                repr,
            } => {
                let p = self.pipe.get_or_insert_with(PipeView::default);
                if !p.ends.iter().any(|(c, _)| c == channel) {
                    p.ends.push((channel.clone(), e.pid));
                }
                let m = Message::new(item, repr.as_deref());
                match p.in_flight.iter_mut().find(|(c, _)| c == channel) {
                    Some((_, q)) => q.push_back(m.clone()),
                    None => p
                        .in_flight
                        .push((channel.clone(), VecDeque::from([m.clone()]))),
                }
                bump(&mut p.sent, channel);
                p.remember((channel, e.pid), true, m);
            }
            EventKind::Recv {
                channel,
                item,
                repr,
            } => {
                let p = self.pipe.get_or_insert_with(PipeView::default);
                if !p.ends.iter().any(|(c, _)| c == channel) {
                    p.ends.push((channel.clone(), e.pid));
                }
                p.blocked.retain(|x| *x != e.pid);
                // It came from the other end: drop it from that end's in-flight list.
                for (c, q) in p.in_flight.iter_mut() {
                    if c != channel
                        && let Some(i) = q.iter().position(|x| x.item == *item)
                    {
                        q.remove(i);
                        break;
                    }
                }
                p.remember((channel, e.pid), false, Message::new(item, repr.as_deref()));
            }
            EventKind::Reap { child, .. } => {
                if let Some(q) = self.queue.as_mut() {
                    q.blocked.retain(|(p, _)| p != child);
                }
                if let Some(p) = self.pipe.as_mut() {
                    p.blocked.retain(|x| x != child);
                }
            }
            _ => {}
        }
    }
}

impl PipeView {
    fn remember(&mut self, (channel, pid): (&str, i32), sent: bool, m: Message) {
        if self.last.len() == RECENT_MESSAGES {
            self.last.pop_front();
        }
        self.last.push_back((channel.to_string(), sent, m, pid));
    }

    pub fn in_flight(&self, end: &str) -> Option<&VecDeque<Message>> {
        self.in_flight
            .iter()
            .find(|(c, _)| c == end)
            .map(|(_, q)| q)
    }

    pub fn sent_by(&self, end: &str) -> u64 {
        self.sent
            .iter()
            .find(|(c, _)| c == end)
            .map_or(0, |(_, n)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(t_us: u64, pid: i32, kind: EventKind) -> Event {
        Event { t_us, pid, kind }
    }

    #[test]
    fn queue_items_come_and_go_and_blocked_marks_clear() {
        let mut f = Flow::default();
        f.apply(&ev(
            1,
            20,
            EventKind::Blocked {
                on: "queue_empty".into(),
            },
        ));
        for (t, item) in [(2, 0), (3, 1)] {
            f.apply(&ev(
                t,
                10,
                EventKind::QueuePut {
                    queue: "q".into(),
                    item: json!(item),
                    len: item + 1,
                },
            ));
        }
        f.apply(&ev(
            1_000_002,
            20,
            EventKind::QueueGet {
                queue: "q".into(),
                item: json!(0),
                len: 1,
            },
        ));
        let q = f.queue.as_ref().unwrap();
        assert_eq!(q.items, VecDeque::from([json!(1)]));
        assert_eq!(
            (q.producers.clone(), q.consumers.clone()),
            (vec![10], vec![20])
        );
        assert!(q.blocked.is_empty(), "the get ends the wait");
        assert_eq!(q.history, VecDeque::from([1, 2, 1]));
        let rate = q.rate().unwrap();
        assert!((rate - 1.0).abs() < 0.01, "{rate}");
    }

    #[test]
    fn pipe_messages_are_in_flight_until_received() {
        let mut f = Flow::default();
        f.apply(&ev(
            1,
            1,
            EventKind::Send {
                channel: "parent_conn".into(),
                item: json!("ping 0"),
                repr: None,
            },
        ));
        f.apply(&ev(2, 1, EventKind::Blocked { on: "recv".into() }));
        let p = f.pipe.as_ref().unwrap();
        assert_eq!(p.in_flight("parent_conn").unwrap().len(), 1);
        assert_eq!(p.blocked, vec![1]);
        f.apply(&ev(
            3,
            2,
            EventKind::Recv {
                channel: "child_conn".into(),
                item: json!("ping 0"),
                repr: None,
            },
        ));
        f.apply(&ev(
            4,
            2,
            EventKind::Send {
                channel: "child_conn".into(),
                item: json!("pong 0"),
                repr: None,
            },
        ));
        f.apply(&ev(
            5,
            1,
            EventKind::Recv {
                channel: "parent_conn".into(),
                item: json!("pong 0"),
                repr: None,
            },
        ));
        let p = f.pipe.as_ref().unwrap();
        assert!(p.in_flight("parent_conn").unwrap().is_empty());
        assert!(p.in_flight("child_conn").unwrap().is_empty());
        assert!(p.blocked.is_empty());
        assert_eq!((p.sent_by("parent_conn"), p.sent_by("child_conn")), (1, 1));
        assert_eq!(
            p.ends,
            vec![
                ("parent_conn".to_string(), 1),
                ("child_conn".to_string(), 2)
            ]
        );
    }
}
