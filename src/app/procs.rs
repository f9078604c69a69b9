//! The process table the screen shows: one row per process the run announced, kept
//! after it is reaped (a dimmed ghost) so the tree never jumps.

use std::collections::HashMap;

use crate::trace::event::WaitOutcome;

#[derive(Debug, Clone, PartialEq)]
pub struct ProcRow {
    pub pid: i32,
    pub ppid: i32,
    pub label: String,
    /// The kernel's state letter, once the observer has seen the process.
    pub state: Option<char>,
    pub reason: String,
    pub cpu: f32,
    /// Signals it ignores and signals it has a handler for, as the observer last read
    /// them from /proc/PID/status (kept on the ghost row: the last known dispositions).
    pub ignored: Vec<String>,
    pub caught: Vec<String>,
    /// The core it was last seen running on.
    pub core: Option<u32>,
    /// Self-reported exit code (`exit` event).
    pub exit_code: Option<i32>,
    /// The raw status and its meaning once the parent reaped it (or, with
    /// `released`, once the kernel released it with no wait: nobody collected it).
    pub reaped: Option<(i32, WaitOutcome)>,
    /// Gone with no wait (`released`), and why (the kernel reaped it itself).
    pub released: Option<String>,
    /// This process's own copies of the lesson's variables (`value` events), in the
    /// order they first appeared.
    pub values: Vec<(String, serde_json::Value)>,
    /// Stopped at a checkpoint while the run stands still (`hold` events): what it
    /// was doing then (`sleep`, `work`).
    pub holding: Option<String>,
    /// When the observer last read its state (`state` events' `t_us`).
    pub sampled_us: u64,
    /// Its latest lock or semaphore event: newer than `sampled_us`, it says more than
    /// the state read before it (the tree would lag the lock pane by up to a sample).
    pub lock_news: Option<LockNews>,
    /// Where it is in its Python program (`where` events from a traced CPython):
    /// (file, line, function), as last read.
    pub at: Option<(String, u32, String)>,
}

/// How long a lock event outranks an unchanged state read before it (see
/// `ProcRow::fresh_lock_news`).
pub const NEWS_KEEP_US: u64 = 300_000;

/// What a process's own lock event said, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockNews {
    pub t_us: u64,
    pub step: LockStep,
    /// `lock` or `semaphore`, as on the wire.
    pub lock: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStep {
    /// `blocked`: about to wait for it.
    Waits,
    /// `lock_acquire`.
    Took,
    /// `lock_release`.
    Gave,
}

impl ProcRow {
    pub fn is_ghost(&self) -> bool {
        self.reaped.is_some()
    }

    /// Its latest lock event if no state was read after it (a sample stamped at the
    /// same microsecond was read before it was stamped, so the event wins a tie), for
    /// three of the observer's reads (it reads every 100 ms and tells only changes):
    /// after that its silence says the state read before still holds. (Longer, a
    /// worker that takes the lock again and again while its state reads the same
    /// would say "just took" for good, and a sleeper woken into the same futex wait
    /// "about to wait".)
    /// Dead or gone, the lock's story is not why it stands.
    pub fn fresh_lock_news(&self, now_us: u64) -> Option<&LockNews> {
        if self.reaped.is_some() || self.state == Some('Z') {
            return None;
        }
        self.lock_news
            .as_ref()
            .filter(|n| n.t_us >= self.sampled_us && now_us < n.t_us + NEWS_KEEP_US)
    }

    /// What it was doing when it stopped with the run, while that hold is still why
    /// it stands: a stop by signal (T), death (Z) or a reap is its own reason, and
    /// the observer's reading of it wins over the older `hold` event. (Continued
    /// while the run still stands, it is back in proclab's wait: the hold shows again.)
    pub fn standing_with_run(&self) -> Option<&str> {
        match self.state {
            _ if self.reaped.is_some() => None,
            Some('T' | 'Z') => None,
            _ => self.holding.as_deref(),
        }
    }

    pub fn set_value(&mut self, name: &str, value: serde_json::Value) {
        match self.values.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((name.to_string(), value)),
        }
    }

    /// `num = 15 · &num = 0x7ffd…`: strings without their JSON quotes.
    pub fn values_text(&self) -> String {
        let shown: Vec<String> = self
            .values
            .iter()
            .map(|(n, v)| format!("{n} = {}", crate::trace::event::py_str(v)))
            .collect();
        shown.join(" · ")
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcTable {
    rows: Vec<ProcRow>,
    index: HashMap<i32, usize>,
}

/// One line of the drawn tree: which row, how deep, and the guide prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeLine {
    pub row: usize,
    pub prefix: String,
}

impl ProcTable {
    pub fn spawn(&mut self, pid: i32, ppid: i32, label: &str) {
        let row = ProcRow {
            pid,
            ppid,
            label: label.to_string(),
            state: None,
            reason: String::new(),
            cpu: 0.0,
            ignored: Vec::new(),
            caught: Vec::new(),
            exit_code: None,
            reaped: None,
            released: None,
            values: Vec::new(),
            core: None,
            holding: None,
            sampled_us: 0,
            lock_news: None,
            at: None,
        };
        match self.index.get(&pid) {
            // A recycled PID: the old row stays a ghost, the new process takes over.
            Some(&i) if self.rows[i].reaped.is_none() => self.rows[i] = row,
            _ => {
                self.index.insert(pid, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    pub fn get_mut(&mut self, pid: i32) -> Option<&mut ProcRow> {
        self.index.get(&pid).map(|&i| &mut self.rows[i])
    }

    /// The row index of `pid` (its newest row, if the PID was recycled).
    pub fn index_of(&self, pid: i32) -> Option<usize> {
        self.index.get(&pid).copied()
    }

    pub fn get(&self, pid: i32) -> Option<&ProcRow> {
        self.index.get(&pid).map(|&i| &self.rows[i])
    }

    pub fn rows(&self) -> &[ProcRow] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Processes not yet reaped that are not zombies either: really running or
    /// sleeping.
    pub fn alive(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.reaped.is_none() && r.state != Some('Z'))
            .count()
    }

    /// Zombies: dead, not yet reaped.
    pub fn zombies(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.reaped.is_none() && r.state == Some('Z'))
            .count()
    }

    /// Depth-first order by parent link, children in spawn order, with box-drawing
    /// guides. Rows whose parent is not in the table are roots.
    pub fn tree(&self) -> Vec<TreeLine> {
        let mut kids: HashMap<i32, Vec<usize>> = HashMap::new();
        let mut roots = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if r.ppid != r.pid && self.index.contains_key(&r.ppid) {
                kids.entry(r.ppid).or_default().push(i);
            } else {
                roots.push(i);
            }
        }
        let mut out = Vec::with_capacity(self.rows.len());
        // (row, guide so far, is last sibling, is root)
        let mut stack: Vec<(usize, String, bool, bool)> = roots
            .into_iter()
            .rev()
            .map(|r| (r, String::new(), true, true))
            .collect();
        while let Some((row, guide, last, root)) = stack.pop() {
            let prefix = if root {
                String::new()
            } else {
                format!("{guide}{}", if last { "└─ " } else { "├─ " })
            };
            out.push(TreeLine { row, prefix });
            let child_guide = if root {
                String::new()
            } else {
                format!("{guide}{}", if last { "   " } else { "│  " })
            };
            if let Some(children) = kids.get(&self.rows[row].pid) {
                let n = children.len();
                for (k, &c) in children.iter().enumerate().rev() {
                    stack.push((c, child_guide.clone(), k + 1 == n, false));
                }
            }
            if out.len() > self.rows.len() {
                break; // a parent-link cycle cannot happen with real PIDs; never loop
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_orders_children_under_parents() {
        let mut t = ProcTable::default();
        t.spawn(10, 1, "main");
        t.spawn(11, 10, "child 0");
        t.spawn(12, 10, "child 1");
        t.spawn(13, 11, "child 0.1");
        let lines: Vec<(i32, String)> = t
            .tree()
            .iter()
            .map(|l| (t.rows()[l.row].pid, l.prefix.clone()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (10, "".into()),
                (11, "├─ ".into()),
                (13, "│  └─ ".into()),
                (12, "└─ ".into()),
            ]
        );
    }

    #[test]
    fn recycled_pid_keeps_the_ghost() {
        let mut t = ProcTable::default();
        t.spawn(10, 1, "a");
        t.get_mut(10).unwrap().reaped = Some((0, WaitOutcome::Exited(0)));
        t.spawn(10, 1, "b");
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(10).unwrap().label, "b");
        assert_eq!(t.alive(), 1);
    }
}
