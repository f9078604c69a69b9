//! Locks, semaphores and events as the lock pane draws them: who holds, who waits and
//! in what order, how long each waited and held, and how much of the time was spent
//! waiting. Built only from `lock_acquire`, `lock_release`, `blocked`, `value` and the
//! `result`s `expected` and `lost`.

use std::collections::BTreeMap;

use crate::trace::event::{Event, EventKind};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Locks {
    /// Per lock name (`lock`, `semaphore`), in the order first seen.
    pub locks: Vec<LockView>,
    /// Processes waiting for the event, in arrival order, and whether it is set.
    pub event_waiters: Vec<i32>,
    pub event_set_by: Option<(i32, u64)>,
    /// "Be the scheduler": the additions written so far (`wrote` values) and the last
    /// one, (writer, value written) — with one step at a time, what memory now holds.
    pub writes: u64,
    pub last_write: Option<(i32, i64)>,
    /// What the run reported at its end (`result` events `expected` and `lost`): the
    /// pane shows these, never numbers worked out from the parameters.
    pub expected: Option<i64>,
    pub lost: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LockView {
    pub name: String,
    /// Holders now, in the order they took it.
    pub holders: Vec<i32>,
    /// Waiting now, in the order they started waiting.
    pub waiting: Vec<i32>,
    /// Most holders at once.
    pub peak: usize,
    pub stats: BTreeMap<i32, Stats>,
    /// Processes that ended while holding it: their permit is never given back (a
    /// killed holder does not release a POSIX semaphore).
    pub lost: Vec<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    pub acquired: u64,
    pub waited_us: u64,
    pub held_us: u64,
}

impl LockView {
    /// The share of lock time spent waiting rather than holding.
    #[allow(
        clippy::cast_precision_loss,
        reason = "a time or count of the run shown with a few decimals: far below 2^52, where an f64 is exact"
    )]
    pub fn contention(&self) -> Option<f64> {
        let waited: u64 = self.stats.values().map(|s| s.waited_us).sum();
        let held: u64 = self.stats.values().map(|s| s.held_us).sum();
        (waited + held > 0).then(|| waited as f64 / (waited + held) as f64)
    }
}

impl Locks {
    fn lock(&mut self, name: &str) -> &mut LockView {
        if let Some(i) = self.locks.iter().position(|l| l.name == name) {
            return &mut self.locks[i];
        }
        self.locks.push(LockView {
            name: name.to_string(),
            ..LockView::default()
        });
        let last = self.locks.len() - 1;
        &mut self.locks[last]
    }

    pub fn apply(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Blocked { on } if on == "lock" || on == "semaphore" => {
                let l = self.lock(on);
                if !l.waiting.contains(&e.pid) {
                    l.waiting.push(e.pid);
                }
            }
            EventKind::Blocked { on } if on == "event" && !self.event_waiters.contains(&e.pid) => {
                self.event_waiters.push(e.pid);
            }
            EventKind::LockAcquire { lock, waited_us } => {
                let l = self.lock(lock);
                l.waiting.retain(|p| *p != e.pid);
                l.holders.push(e.pid);
                l.peak = l.peak.max(l.holders.len());
                let s = l.stats.entry(e.pid).or_default();
                s.acquired += 1;
                s.waited_us += waited_us;
            }
            EventKind::LockRelease { lock, held_us, .. } => {
                let l = self.lock(lock);
                if let Some(i) = l.holders.iter().position(|p| *p == e.pid) {
                    l.holders.remove(i);
                }
                l.stats.entry(e.pid).or_default().held_us += held_us;
            }
            EventKind::Value { name, value } if name == "event" && value.as_i64() == Some(1) => {
                self.event_set_by = Some((e.pid, e.t_us));
            }
            EventKind::Result { name, value } if name == "expected" => {
                self.expected = value.as_i64();
            }
            EventKind::Result { name, value } if name == "lost" => {
                self.lost = value.as_i64();
            }
            EventKind::Value { name, value } if name == "wrote" => {
                self.writes += 1;
                self.last_write = value.as_i64().map(|v| (e.pid, v));
            }
            EventKind::Reap { child, .. } => {
                for l in &mut self.locks {
                    l.waiting.retain(|p| p != child);
                    if l.holders.contains(child) {
                        l.holders.retain(|p| p != child);
                        l.lost.push(*child);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_that_ends_without_releasing_loses_its_permit() {
        let mut l = Locks::default();
        let acquire = EventKind::LockAcquire {
            lock: "semaphore".into(),
            waited_us: 0,
        };
        l.apply(&ev(7, acquire));
        let reap = EventKind::reap(7, 9);
        l.apply(&ev(1, reap));
        assert_eq!(l.locks[0].holders, Vec::<i32>::new());
        assert_eq!(l.locks[0].lost, vec![7]);
    }

    fn ev(pid: i32, kind: EventKind) -> Event {
        Event { t_us: 1, pid, kind }
    }

    #[test]
    fn holders_waiters_and_contention() {
        let mut l = Locks::default();
        l.apply(&ev(
            1,
            EventKind::LockAcquire {
                lock: "lock".into(),
                waited_us: 0,
            },
        ));
        l.apply(&ev(2, EventKind::Blocked { on: "lock".into() }));
        l.apply(&ev(3, EventKind::Blocked { on: "lock".into() }));
        let v = &l.locks[0];
        assert_eq!(
            (v.holders.clone(), v.waiting.clone()),
            (vec![1], vec![2, 3])
        );
        l.apply(&ev(
            1,
            EventKind::LockRelease {
                lock: "lock".into(),
                waited_us: 0,
                held_us: 300,
            },
        ));
        l.apply(&ev(
            2,
            EventKind::LockAcquire {
                lock: "lock".into(),
                waited_us: 100,
            },
        ));
        let v = &l.locks[0];
        assert_eq!((v.holders.clone(), v.waiting.clone()), (vec![2], vec![3]));
        assert_eq!(v.peak, 1);
        assert!((v.contention().unwrap() - 0.25).abs() < 1e-9);
    }

    #[test]
    fn event_waiters_and_the_set() {
        let mut l = Locks::default();
        l.apply(&ev(5, EventKind::Blocked { on: "event".into() }));
        l.apply(&ev(
            9,
            EventKind::Value {
                name: "event".into(),
                value: 1.into(),
            },
        ));
        assert_eq!(l.event_waiters, vec![5]);
        assert_eq!(l.event_set_by, Some((9, 1)));
    }

    #[test]
    fn hand_made_lost_update() {
        let mut l = Locks::default();
        for pid in [1, 2] {
            l.apply(&ev(
                pid,
                EventKind::Value {
                    name: "wrote".into(),
                    value: 1.into(),
                },
            ));
        }
        assert_eq!((l.writes, l.last_write), (2, Some((2, 1))));
    }
}
