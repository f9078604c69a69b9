//! The observer thread: samples only the run's own PIDs every `INTERVAL`, and emits a
//! `state` event when a process's state, reason, CPU share or signal dispositions
//! (which signals it ignores or catches) visibly changed.

pub mod procfs;

use std::collections::BTreeMap;
use std::time::Duration;

use crossbeam_channel::{Receiver, select, tick};
use sysinfo::{Pid as SysPid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::supervise::control::monotonic_ns;
use crate::trace::event::{Event, EventKind};

pub const INTERVAL: Duration = Duration::from_millis(100);

/// Which PIDs to watch; the reader thread sends these as spawns and reaps arrive.
#[derive(Debug, Clone, Copy)]
pub enum Track {
    Add(i32),
    Remove(i32),
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    start_ticks: u64,
    state: char,
    reason: String,
    cpu: f32,
    signals: procfs::SigMasks,
}

/// Runs until `stop` is signalled or `emit` returns false (nobody listens).
pub fn run(
    start_ns: u64,
    track: Receiver<Track>,
    stop: Receiver<()>,
    mut emit: impl FnMut(Event) -> bool,
) {
    let mut sys = System::new().ok();
    let mut watched: BTreeMap<i32, Option<Seen>> = BTreeMap::new();
    let ticker = tick(INTERVAL);
    loop {
        select! {
            recv(track) -> msg => match msg {
                Ok(Track::Add(pid)) => { watched.entry(pid).or_insert(None); }
                Ok(Track::Remove(pid)) => { watched.remove(&pid); }
                Err(_) => return,
            },
            recv(stop) -> _ => return,
            recv(ticker) -> _ => {
                if !sample(&mut sys, &mut watched, start_ns, &mut emit) {
                    return;
                }
            }
        }
    }
}

/// One pass over the watched PIDs; false when nobody listens any more.
fn sample(
    sys: &mut Option<System>,
    watched: &mut BTreeMap<i32, Option<Seen>>,
    start_ns: u64,
    emit: &mut impl FnMut(Event) -> bool,
) -> bool {
    if watched.is_empty() {
        return true;
    }
    let pids: Vec<SysPid> = watched.keys().map(|p| SysPid::from(*p as usize)).collect();
    if let Some(sys) = sys.as_mut() {
        sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&pids),
            true,
            ProcessRefreshKind::nothing().with_cpu(),
        );
    }
    let t_us = monotonic_ns().saturating_sub(start_ns) / 1000;
    let mut gone = Vec::new();
    for (&pid, seen) in watched.iter_mut() {
        let Some(stat) = procfs::read_stat(pid) else {
            gone.push(pid);
            continue;
        };
        if seen
            .as_ref()
            .is_some_and(|s| s.start_ticks != stat.start_ticks)
        {
            // The PID was recycled by a process outside the run: stop watching it.
            gone.push(pid);
            continue;
        }
        let wchan = if matches!(stat.state, 'S' | 'D') {
            procfs::read_wchan(pid)
        } else {
            String::new()
        };
        let cpu = sys
            .as_ref()
            .and_then(|s| s.process(SysPid::from(pid as usize)))
            .map(|p| p.cpu_usage())
            .unwrap_or(0.0);
        let now = Seen {
            start_ticks: stat.start_ticks,
            state: stat.state,
            reason: procfs::reason(stat.state, &wchan),
            cpu,
            // An unreadable status keeps the last known masks rather than inventing
            // "ignores nothing".
            signals: procfs::read_sig_masks(pid)
                .or_else(|| seen.as_ref().map(|s| s.signals))
                .unwrap_or_default(),
        };
        let changed = match seen {
            None => true,
            Some(old) => {
                old.state != now.state
                    || old.reason != now.reason
                    || (old.cpu - now.cpu).abs() >= 10.0
                    || old.signals != now.signals
            }
        };
        if changed {
            let event = Event {
                t_us,
                pid,
                kind: EventKind::State {
                    state: now.state.to_string(),
                    reason: now.reason.clone(),
                    cpu: Some((now.cpu * 10.0).round() / 10.0),
                    ignored: procfs::signal_names(now.signals.ignored),
                    caught: procfs::signal_names(now.signals.caught),
                },
            };
            if !emit(event) {
                return false;
            }
            *seen = Some(now);
        }
    }
    for pid in gone {
        watched.remove(&pid);
    }
    true
}
