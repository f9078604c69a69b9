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

use color_eyre::eyre::{Result, eyre};
use serde_json::{Value, json};

use crate::describe::describe;
use crate::trace::event::{Event, EventKind};
use crate::tracefile::{each_event, no_events};
use crate::visible::escape;

/// `proclab export FILE --format chrome [-o OUT]`. Streams: a first pass over the
/// file learns each process's life (`Facts`), a second writes every trace event as it
/// comes, so memory does not grow with the trace's length (only with its processes,
/// the locks held and the messages not yet received at one time).
pub fn run(file: &Path, output: Option<&Path>) -> Result<()> {
    let name = file.display().to_string();
    let meta = std::fs::metadata(file).map_err(|e| eyre!("cannot read the trace {name}: {e}"))?;
    if !meta.is_file() {
        return Err(eyre!(
            "{name} is not a regular file: export reads the trace twice (save it to a file first)"
        ));
    }
    let mut facts = Facts::default();
    let found = each_event(file, None, |_, _, e| facts.see(&e)).map_err(|e| eyre!("{e}"))?;
    for (n, why) in &found.malformed {
        crate::term::eprintln_quietly(&format!(
            "proclab: {}:{n}: not an event, skipped ({})",
            escape(&name),
            escape(why)
        ));
    }
    if facts.events == 0 {
        return Err(eyre!("{}", no_events(file, found.lines, &found.malformed)));
    }
    let out = output.map_or_else(|| default_output(file), Path::to_path_buf);
    let f =
        std::fs::File::create(&out).map_err(|e| eyre!("cannot create {}: {e}", out.display()))?;
    let mut sink = Writer::start(std::io::BufWriter::with_capacity(256 * 1024, f))
        .map_err(|e| eyre!("cannot write {}: {e}", out.display()))?;
    let layout = facts.layout();
    let mut emitter = Emitter::new(&layout);
    emitter.head(&mut sink);
    each_event(file, None, |_, _, e| emitter.on(&e, &mut sink)).map_err(|e| eyre!("{e}"))?;
    emitter.finish(&mut sink);
    let count = sink.count;
    sink.end(layout.run.as_ref())
        .map_err(|e| eyre!("cannot write {}: {e}", out.display()))?;
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

/// Where the trace events go: written as they come (`Writer`), or kept (tests).
trait Sink {
    fn push(&mut self, v: Value);
}

impl Sink for Vec<Value> {
    fn push(&mut self, v: Value) {
        Vec::push(self, v);
    }
}

/// `{"traceEvents":[…],"displayTimeUnit":"ms","otherData":…}` written one trace event
/// at a time; the first write error is kept and reported at the end.
struct Writer<W: Write> {
    out: W,
    count: usize,
    error: Option<std::io::Error>,
}

impl<W: Write> Writer<W> {
    fn start(mut out: W) -> std::io::Result<Writer<W>> {
        out.write_all(b"{\"traceEvents\":[")?;
        Ok(Writer {
            out,
            count: 0,
            error: None,
        })
    }

    fn end(mut self, run: Option<&Value>) -> std::io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.write_all(b"],\"displayTimeUnit\":\"ms\"")?;
        if let Some(run) = run {
            self.out.write_all(b",\"otherData\":")?;
            serde_json::to_writer(&mut self.out, run)?;
        }
        self.out.write_all(b"}")?;
        self.out.flush()
    }
}

impl<W: Write> Sink for Writer<W> {
    fn push(&mut self, v: Value) {
        if self.error.is_some() {
            return;
        }
        let sep: &[u8] = if self.count == 0 { b"" } else { b"," };
        let written = self
            .out
            .write_all(sep)
            .and_then(|()| serde_json::to_writer(&mut self.out, &v).map_err(Into::into));
        match written {
            Ok(()) => self.count += 1,
            Err(e) => self.error = Some(e),
        }
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

/// What the first pass learns, per PID seen (its spawn, exit, zombie state, end).
#[derive(Default)]
struct Facts {
    events: usize,
    trace_end: u64,
    /// PIDs with a spawn, in spawn order, and their first spawn's (t, ppid, label).
    spawned: Vec<i32>,
    spawn: HashMap<i32, (u64, i32, String)>,
    /// Senders of signals, in order of their first send.
    senders: Vec<i32>,
    seen: HashMap<i32, Seen>,
    run: Option<Value>,
}

/// One PID's facts: its latest event, first exit, first zombie state, first end
/// (a reap of it, or its release by the kernel).
#[derive(Default)]
struct Seen {
    last: u64,
    exit: Option<u64>,
    zombie: Option<u64>,
    end: Option<(u64, Value)>,
}

impl Facts {
    fn see(&mut self, e: &Event) {
        self.events += 1;
        self.trace_end = self.trace_end.max(e.t_us);
        let me = self.seen.entry(e.pid).or_default();
        me.last = me.last.max(e.t_us);
        match &e.kind {
            EventKind::Spawn { ppid, label, .. } if !self.spawn.contains_key(&e.pid) => {
                self.spawned.push(e.pid);
                self.spawn.insert(e.pid, (e.t_us, *ppid, label.clone()));
            }
            EventKind::SendSignal { .. } if !self.senders.contains(&e.pid) => {
                self.senders.push(e.pid)
            }
            EventKind::Exit { .. } => me.exit = me.exit.or(Some(e.t_us)),
            EventKind::State { state, .. } if state.starts_with('Z') => {
                me.zombie = me.zombie.or(Some(e.t_us))
            }
            EventKind::Released {
                code, signal, why, ..
            } if me.end.is_none() => {
                let how = match (code, signal) {
                    (Some(c), _) => json!({ "exit code": c, "released": why }),
                    (_, Some(s)) => json!({ "killed by": s, "released": why }),
                    _ => json!({ "released": why }),
                };
                me.end = Some((e.t_us, how));
            }
            EventKind::Reap {
                child,
                code,
                signal,
                ..
            } => {
                let c = self.seen.entry(*child).or_default();
                if c.end.is_none() {
                    let how = match (code, signal) {
                        (Some(c), _) => json!({ "exit code": c }),
                        (_, Some(s)) => json!({ "killed by": s }),
                        _ => json!({}),
                    };
                    c.end = Some((e.t_us, how));
                }
            }
            EventKind::Run { .. } if self.run.is_none() => {
                self.run = serde_json::to_value(e).ok();
            }
            _ => {}
        }
    }

    /// The tracks: every spawned process, then the front end if it sent a signal.
    fn layout(mut self) -> Layout {
        let mut procs = BTreeMap::new();
        let mut order = Vec::new();
        for pid in &self.spawned {
            let (spawn, ppid, label) = self.spawn.remove(pid).unwrap_or_default();
            let seen = self.seen.remove(pid).unwrap_or_default();
            order.push(*pid);
            let mut p = Proc {
                label,
                ppid,
                spawn,
                exit: seen.exit,
                zombie: seen.zombie,
                reap: seen.end,
                last: seen.last.max(spawn),
            };
            // Never seen to end: alive, as far as the trace knows, until it stops.
            if p.reap.is_none() && p.exit.is_none() {
                p.last = self.trace_end;
            }
            procs.insert(*pid, p);
        }
        // The front end gets a track only when it acted in the run (a signal sent).
        for pid in &self.senders {
            if !procs.contains_key(pid) {
                order.push(*pid);
                procs.insert(
                    *pid,
                    Proc {
                        label: "proclab (front end)".into(),
                        last: self.trace_end,
                        ..Proc::default()
                    },
                );
            }
        }
        Layout {
            procs,
            order,
            run: self.run,
        }
    }
}

struct Layout {
    procs: BTreeMap<i32, Proc>,
    order: Vec<i32>,
    run: Option<Value>,
}

/// The trace events for `events` (see the module doc), kept in memory: the same
/// passes as `run`, over a slice.
pub fn chrome(events: &[Event]) -> Value {
    let mut facts = Facts::default();
    for e in events {
        facts.see(e);
    }
    let layout = facts.layout();
    let mut out: Vec<Value> = Vec::new();
    let mut emitter = Emitter::new(&layout);
    emitter.head(&mut out);
    for e in events {
        emitter.on(e, &mut out);
    }
    emitter.finish(&mut out);
    let mut doc = json!({"traceEvents": out, "displayTimeUnit": "ms"});
    if let Some(run) = layout.run {
        doc["otherData"] = run;
    }
    doc
}

/// The second pass: what each event adds, as it comes.
struct Emitter<'a> {
    layout: &'a Layout,
    /// Locks held: (pid, lock) → when each hold began.
    held: HashMap<(i32, String), Vec<u64>>,
    flows: Flows,
}

impl<'a> Emitter<'a> {
    fn new(layout: &'a Layout) -> Emitter<'a> {
        Emitter {
            layout,
            held: HashMap::new(),
            flows: Flows::default(),
        }
    }

    /// Each process's track: its names, sort index, life slice and zombie slice.
    fn head(&self, out: &mut impl Sink) {
        let procs = &self.layout.procs;
        for (i, pid) in self.layout.order.iter().enumerate() {
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
    }

    fn on(&mut self, e: &Event, out: &mut impl Sink) {
        let procs = &self.layout.procs;
        let Some(p) = procs.get(&e.pid) else { return };
        // A signal sent earlier takes effect here (its handler runs, its state changes).
        self.flows.effect(e, procs, out);
        match &e.kind {
            EventKind::Run { .. } | EventKind::Cpu { .. } | EventKind::Spawn { .. } => {}
            EventKind::LockAcquire { lock, waited_us } => {
                if *waited_us > 0 {
                    let from = e.t_us.saturating_sub(*waited_us).max(p.spawn);
                    let name = format!("waits for {lock}");
                    out.push(slice(&name, "lock", e.pid, from, e.t_us, json!({})));
                }
                self.held
                    .entry((e.pid, lock.clone()))
                    .or_default()
                    .push(e.t_us);
            }
            EventKind::LockRelease { lock, .. } => {
                if let Some(from) = self.held.get_mut(&(e.pid, lock.clone())).and_then(Vec::pop) {
                    let name = format!("holds {lock}");
                    out.push(slice(&name, "lock", e.pid, from, e.t_us, json!({})));
                }
            }
            EventKind::Progress { done, total } => out.push(json!({"name": "progress",
                "ph": "C", "ts": e.t_us, "pid": e.pid, "tid": e.pid,
                "args": {"done": done, "left": total.saturating_sub(*done)}})),
            kind => {
                out.push(instant(e, describe(kind)));
                self.flows.on(e, procs, out);
            }
        }
    }

    /// The trace is over: signals never seen to act end at their target's reap, and
    /// locks still held are held to their holder's end.
    fn finish(&mut self, out: &mut impl Sink) {
        let procs = &self.layout.procs;
        self.flows.finish(procs, out);
        let mut left: Vec<_> = std::mem::take(&mut self.held).into_iter().collect();
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
}

/// Flow arrows, paired in order: each `s` gets one `f` with the same id.
#[derive(Default)]
struct Flows {
    next_id: u64,
    /// Puts and sends not yet matched, in order.
    open: Vec<Open>,
    /// Signals sent and not yet seen to act: (sender, when, target, signal).
    signals: Vec<(i32, u64, i32, String)>,
}

/// A put or a send waiting for its get or recv.
struct Open {
    pid: i32,
    t_us: u64,
    queue: Option<String>,
    item: Value,
}

impl Flows {
    fn on(&mut self, e: &Event, procs: &BTreeMap<i32, Proc>, out: &mut impl Sink) {
        match &e.kind {
            EventKind::QueuePut { queue, item, .. } => self.open.push(Open {
                pid: e.pid,
                t_us: e.t_us,
                queue: Some(queue.clone()),
                item: item.clone(),
            }),
            EventKind::Send { item, .. } => self.open.push(Open {
                pid: e.pid,
                t_us: e.t_us,
                queue: None,
                item: item.clone(),
            }),
            EventKind::QueueGet { queue, item, .. } => {
                let found = self
                    .open
                    .iter()
                    .position(|o| o.queue.as_ref() == Some(queue) && &o.item == item);
                if let Some(k) = found {
                    let from = self.open.remove(k);
                    let name = format!("{queue}: {item}");
                    self.arrow(
                        &name,
                        "queue",
                        (from.pid, from.t_us),
                        (e.pid, e.t_us),
                        procs,
                        out,
                    );
                }
            }
            EventKind::Recv { item, .. } => {
                let found = self
                    .open
                    .iter()
                    .position(|o| o.queue.is_none() && &o.item == item && o.pid != e.pid);
                if let Some(k) = found {
                    let from = self.open.remove(k);
                    let name = format!("message: {item}");
                    self.arrow(
                        &name,
                        "pipe",
                        (from.pid, from.t_us),
                        (e.pid, e.t_us),
                        procs,
                        out,
                    );
                }
            }
            EventKind::SendSignal { target, signal } if procs.contains_key(target) => {
                self.signals.push((e.pid, e.t_us, *target, signal.clone()));
            }
            _ => {}
        }
    }

    /// When a signal took effect on its target: its handler ran or its state changed
    /// (stopped, resumed, a zombie); failing those, at its reap (`finish`).
    fn effect(&mut self, e: &Event, procs: &BTreeMap<i32, Proc>, out: &mut impl Sink) {
        if !self.signals.iter().any(|s| s.2 == e.pid) {
            return;
        }
        let acts = |signal: &str| match &e.kind {
            EventKind::HandleSignal { signal: s, .. } => s == signal,
            EventKind::State { .. } => true,
            _ => false,
        };
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.signals)
            .into_iter()
            .partition(|(_, _, target, signal)| *target == e.pid && acts(signal));
        self.signals = waiting;
        for (from, t, target, signal) in done {
            self.arrow(&signal, "signal", (from, t), (target, e.t_us), procs, out);
        }
    }

    fn finish(&mut self, procs: &BTreeMap<i32, Proc>, out: &mut impl Sink) {
        for (from, t, target, signal) in std::mem::take(&mut self.signals) {
            if let Some((reaped, _)) = procs.get(&target).and_then(|p| p.reap.as_ref()) {
                let reaped = *reaped;
                self.arrow(&signal, "signal", (from, t), (target, reaped), procs, out);
            }
        }
    }

    /// An arrow from (pid, time) to (pid, time), both bound to their tracks' lives.
    fn arrow(
        &mut self,
        name: &str,
        cat: &str,
        (from_pid, from_t): (i32, u64),
        (to_pid, to_t): (i32, u64),
        procs: &BTreeMap<i32, Proc>,
        out: &mut impl Sink,
    ) {
        let (Some(a), Some(b)) = (procs.get(&from_pid), procs.get(&to_pid)) else {
            return;
        };
        self.next_id += 1;
        let id = self.next_id;
        let s = a.clamp(from_t);
        let f = b.clamp(to_t.max(s));
        out.push(
            json!({"name": name, "cat": cat, "ph": "s", "id": id, "ts": s,
            "pid": from_pid, "tid": from_pid}),
        );
        out.push(
            json!({"name": name, "cat": cat, "ph": "f", "bp": "e", "id": id, "ts": f,
            "pid": to_pid, "tid": to_pid}),
        );
    }
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

#[cfg(test)]
mod tests;
