//! A recorded trace as Chrome Trace Event Format JSON (`{"traceEvents":[…]}`), which
//! ui.perfetto.dev and chrome://tracing open.
//!
//! The mapping: one track per process (`process_name` / `thread_name` metadata from
//! its spawn label, its PID as both pid and tid, sorted in spawn order); its life a
//! complete `X` slice from spawn to its reap (or its exit, or the trace's end), with a
//! nested `zombie` slice from exit to reap; every other event an instant (`i`) named
//! as the logs describe it; lock holds (`lock_acquire` → `lock_release`) and waits as
//! nested slices; `progress` as a counter; messages and signals as flow arrows
//! (`s` → `f`, one id each): `send_signal` → the target's handling or death,
//! `queue_put` → the `queue_get` of the same item, `send` → the `recv` of the same
//! item. Times are the events' `t_us`, in µs, as the format wants.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, eyre};
use serde_json::{Value, json};

use crate::describe::describe;
use crate::trace::event::{Event, EventKind};
use crate::trace::replay::load;

/// `proclab export FILE --format chrome [-o OUT]`.
pub fn run(file: &Path, output: Option<&Path>) -> Result<()> {
    let trace = load(file).map_err(|e| eyre!("{e}"))?;
    let name = file.display().to_string();
    for line in crate::playback::malformed_lines(&trace, &name) {
        eprintln!("proclab: {line}");
    }
    let out = output.map_or_else(|| default_output(file), Path::to_path_buf);
    let doc = chrome(&trace.events());
    let count = doc["traceEvents"].as_array().map_or(0, Vec::len);
    let f = std::fs::File::create(&out).wrap_err_with(|| format!("creating {}", out.display()))?;
    let mut w = std::io::BufWriter::new(f);
    serde_json::to_writer(&mut w, &doc).wrap_err_with(|| format!("writing {}", out.display()))?;
    w.flush()
        .wrap_err_with(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} ({count} trace events): open it in https://ui.perfetto.dev",
        out.display()
    );
    Ok(())
}

/// FILE with the extension `.json`; never FILE itself.
pub fn default_output(file: &Path) -> PathBuf {
    let out = file.with_extension("json");
    if out == file {
        file.with_extension("chrome.json")
    } else {
        out
    }
}

#[derive(Debug, Default)]
struct Proc {
    label: String,
    ppid: i32,
    spawn: u64,
    exit: Option<u64>,
    zombie: Option<u64>,
    reap: Option<(u64, Value)>,
    last: u64,
}

impl Proc {
    fn end(&self) -> u64 {
        let end = match (&self.reap, self.exit) {
            (Some((t, _)), _) => *t,
            (None, Some(t)) => t,
            (None, None) => self.last,
        };
        end.max(self.spawn)
    }

    /// The latest time a flow can bind to this track's life slice.
    fn clamp(&self, t: u64) -> u64 {
        t.clamp(self.spawn, self.end().saturating_sub(1).max(self.spawn))
    }
}

/// The trace events for `events` (see the module doc).
pub fn chrome(events: &[Event]) -> Value {
    let trace_end = events.iter().map(|e| e.t_us).max().unwrap_or(0);
    let mut procs: BTreeMap<i32, Proc> = BTreeMap::new();
    let mut order: Vec<i32> = Vec::new();
    for e in events {
        if let EventKind::Spawn { ppid, label, .. } = &e.kind
            && !procs.contains_key(&e.pid)
        {
            order.push(e.pid);
            procs.insert(
                e.pid,
                Proc {
                    label: label.clone(),
                    ppid: *ppid,
                    spawn: e.t_us,
                    last: e.t_us,
                    ..Proc::default()
                },
            );
        }
    }
    // The front end gets a track only when it acted in the run (a signal sent).
    for e in events {
        if matches!(e.kind, EventKind::SendSignal { .. }) && !procs.contains_key(&e.pid) {
            order.push(e.pid);
            procs.insert(
                e.pid,
                Proc {
                    label: "proclab (front end)".into(),
                    last: trace_end,
                    ..Proc::default()
                },
            );
        }
    }
    for e in events {
        if let Some(p) = procs.get_mut(&e.pid) {
            p.last = p.last.max(e.t_us);
            match &e.kind {
                EventKind::Exit { .. } => p.exit = p.exit.or(Some(e.t_us)),
                EventKind::State { state, .. } if state.starts_with('Z') => {
                    p.zombie = p.zombie.or(Some(e.t_us))
                }
                _ => {}
            }
        }
        if let EventKind::Reap {
            child,
            code,
            signal,
            ..
        } = &e.kind
            && let Some(c) = procs.get_mut(child)
            && c.reap.is_none()
        {
            let how = match (code, signal) {
                (Some(c), _) => json!({ "exit code": c }),
                (_, Some(s)) => json!({ "killed by": s }),
                _ => json!({}),
            };
            c.reap = Some((e.t_us, how));
        }
        // Released by the kernel without a wait: its life ends there too.
        if let EventKind::Released {
            code, signal, why, ..
        } = &e.kind
            && let Some(c) = procs.get_mut(&e.pid)
            && c.reap.is_none()
        {
            let how = match (code, signal) {
                (Some(c), _) => json!({ "exit code": c, "released": why }),
                (_, Some(s)) => json!({ "killed by": s, "released": why }),
                _ => json!({ "released": why }),
            };
            c.reap = Some((e.t_us, how));
        }
    }
    // Never seen to end: alive, as far as the trace knows, until it stops.
    for p in procs.values_mut() {
        if p.reap.is_none() && p.exit.is_none() {
            p.last = trace_end;
        }
    }

    let mut out = Vec::new();
    for (i, pid) in order.iter().enumerate() {
        let p = &procs[pid];
        out.push(
            json!({"name": "process_name", "ph": "M", "pid": pid, "tid": pid,
            "args": {"name": format!("{} ({pid})", p.label)}}),
        );
        out.push(
            json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": pid,
            "args": {"name": p.label}}),
        );
        out.push(
            json!({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": pid,
            "args": {"sort_index": i}}),
        );
        let end = p.end();
        let mut args = json!({"pid": pid, "ppid": p.ppid});
        if let Some((_, how)) = &p.reap
            && let (Some(a), Some(h)) = (args.as_object_mut(), how.as_object())
        {
            a.extend(h.clone());
        }
        out.push(slice(&p.label, "process", *pid, p.spawn, end, args));
        let died = match (p.exit, p.zombie) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let (Some(from), Some((to, _))) = (died, &p.reap)
            && from < *to
        {
            out.push(slice(
                "zombie (exited, not yet reaped)",
                "zombie",
                *pid,
                from,
                *to,
                json!({}),
            ));
        }
    }

    locks(events, &procs, &mut out);
    let mut flows = Flows::default();
    for (i, e) in events.iter().enumerate() {
        if !procs.contains_key(&e.pid) {
            continue;
        }
        match &e.kind {
            EventKind::Run { .. } | EventKind::Cpu { .. } | EventKind::Spawn { .. } => {}
            EventKind::LockAcquire { .. } | EventKind::LockRelease { .. } => {}
            EventKind::Progress { done, total } => out.push(json!({"name": "progress",
                "ph": "C", "ts": e.t_us, "pid": e.pid, "tid": e.pid,
                "args": {"done": done, "left": total.saturating_sub(*done)}})),
            kind => {
                out.push(instant(e, describe(kind)));
                flows.on(i, events, &procs, &mut out);
            }
        }
    }

    let mut doc = json!({"traceEvents": out, "displayTimeUnit": "ms"});
    if let Some(run) = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Run { .. }))
        && let Ok(v) = serde_json::to_value(run)
    {
        doc["otherData"] = v;
    }
    doc
}

fn slice(name: &str, cat: &str, pid: i32, from: u64, to: u64, args: Value) -> Value {
    json!({"name": name, "cat": cat, "ph": "X", "ts": from, "dur": to.saturating_sub(from),
        "pid": pid, "tid": pid, "args": args})
}

fn instant(e: &Event, name: String) -> Value {
    let args = serde_json::to_value(e).unwrap_or(Value::Null);
    json!({"name": name, "cat": e.kind.name(), "ph": "i", "s": "t", "ts": e.t_us,
        "pid": e.pid, "tid": e.pid, "args": args})
}

/// Lock holds and waits as slices nested in each process's life.
fn locks(events: &[Event], procs: &BTreeMap<i32, Proc>, out: &mut Vec<Value>) {
    let mut held: HashMap<(i32, &str), Vec<u64>> = HashMap::new();
    for e in events {
        let Some(p) = procs.get(&e.pid) else { continue };
        match &e.kind {
            EventKind::LockAcquire { lock, waited_us } => {
                if *waited_us > 0 {
                    let from = e.t_us.saturating_sub(*waited_us).max(p.spawn);
                    let name = format!("waits for {lock}");
                    out.push(slice(&name, "lock", e.pid, from, e.t_us, json!({})));
                }
                held.entry((e.pid, lock)).or_default().push(e.t_us);
            }
            EventKind::LockRelease { lock, .. } => {
                if let Some(from) = held.get_mut(&(e.pid, lock.as_str())).and_then(Vec::pop) {
                    let name = format!("holds {lock}");
                    out.push(slice(&name, "lock", e.pid, from, e.t_us, json!({})));
                }
            }
            _ => {}
        }
    }
    // Still held when the process died (or the trace ends): held to its end.
    let mut left: Vec<_> = held.into_iter().collect();
    left.sort();
    for ((pid, lock), starts) in left {
        for from in starts {
            let to = procs[&pid].exit.unwrap_or(procs[&pid].end()).max(from);
            out.push(slice(
                &format!("holds {lock}"),
                "lock",
                pid,
                from,
                to,
                json!({}),
            ));
        }
    }
}

/// Flow arrows, paired in order: each `s` gets one `f` with the same id.
#[derive(Default)]
struct Flows {
    next_id: u64,
    /// Puts and sends not yet matched: (event index).
    open: Vec<usize>,
}

impl Flows {
    fn on(
        &mut self,
        i: usize,
        events: &[Event],
        procs: &BTreeMap<i32, Proc>,
        out: &mut Vec<Value>,
    ) {
        let e = &events[i];
        match &e.kind {
            EventKind::QueuePut { .. } | EventKind::Send { .. } => self.open.push(i),
            EventKind::QueueGet { queue, item, .. } => {
                let found = self.open.iter().position(|&j| {
                    matches!(&events[j].kind, EventKind::QueuePut { queue: q, item: it, .. }
                        if q == queue && it == item)
                });
                if let Some(k) = found {
                    let from = &events[self.open.remove(k)];
                    let name = format!("{queue}: {item}");
                    self.arrow(&name, "queue", from, e.pid, e.t_us, procs, out);
                }
            }
            EventKind::Recv { item, .. } => {
                let found = self.open.iter().position(|&j| {
                    matches!(&events[j].kind, EventKind::Send { item: it, .. }
                        if it == item && events[j].pid != e.pid)
                });
                if let Some(k) = found {
                    let from = &events[self.open.remove(k)];
                    let name = format!("message: {item}");
                    self.arrow(&name, "pipe", from, e.pid, e.t_us, procs, out);
                }
            }
            EventKind::SendSignal { target, signal } => {
                if let Some(t) = signal_outcome(events, i, *target, signal, procs) {
                    self.arrow(signal, "signal", e, *target, t, procs, out);
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn arrow(
        &mut self,
        name: &str,
        cat: &str,
        from: &Event,
        to_pid: i32,
        to_t: u64,
        procs: &BTreeMap<i32, Proc>,
        out: &mut Vec<Value>,
    ) {
        let (Some(a), Some(b)) = (procs.get(&from.pid), procs.get(&to_pid)) else {
            return;
        };
        self.next_id += 1;
        let id = self.next_id;
        let s = a.clamp(from.t_us);
        let f = b.clamp(to_t.max(s));
        out.push(
            json!({"name": name, "cat": cat, "ph": "s", "id": id, "ts": s,
            "pid": from.pid, "tid": from.pid}),
        );
        out.push(
            json!({"name": name, "cat": cat, "ph": "f", "bp": "e", "id": id, "ts": f,
            "pid": to_pid, "tid": to_pid}),
        );
    }
}

/// When a signal took effect on its target: its handler ran, its state changed
/// (stopped, resumed, a zombie), or, failing those, its reap.
fn signal_outcome(
    events: &[Event],
    sent: usize,
    target: i32,
    signal: &str,
    procs: &BTreeMap<i32, Proc>,
) -> Option<u64> {
    let p = procs.get(&target)?;
    let after = &events[sent + 1..];
    after
        .iter()
        .find(|e| {
            e.pid == target
                && match &e.kind {
                    EventKind::HandleSignal { signal: s, .. } => s == signal,
                    EventKind::State { .. } => true,
                    _ => false,
                }
        })
        .map(|e| e.t_us)
        .or_else(|| p.reap.as_ref().map(|(t, _)| *t))
}

#[cfg(test)]
mod tests;
