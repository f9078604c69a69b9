//! The observer thread: samples only the run's own PIDs every `INTERVAL`, and emits a
//! `state` event when a process's state, reason, CPU share or signal dispositions
//! (which signals it ignores or catches) visibly changed.

pub mod procfs;

use std::collections::BTreeMap;
use std::time::Duration;

use crossbeam_channel::{Receiver, select, tick};
use sysinfo::System;

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
    core: Option<u32>,
    /// CPU time and when it was read, for the share since the last sample.
    cpu_ticks: u64,
    read_ns: u64,
}

/// Runs until `stop` is signalled or `emit` returns false (nobody listens).
/// With `cores`, it also reports every other tick how busy each CPU core is (sysinfo
/// needs 200 ms between two readings).
/// `now_us`: the run's clock (the lesson clock: it stands while the run does), for
/// the events' `t_us`.
pub fn run(
    now_us: impl Fn() -> u64,
    cores: bool,
    track: Receiver<Track>,
    stop: Receiver<()>,
    mut emit: impl FnMut(Event) -> bool,
) {
    // Per-core load only; a process's CPU share comes from its own /proc stat, so the
    // two readings cannot disturb each other's intervals.
    let mut sys = System::new().ok();
    let mut ticks = 0u64;
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
                if !sample(&mut watched, &now_us, &mut emit) {
                    return;
                }
                ticks += 1;
                if cores && ticks.is_multiple_of(2) && !watched.is_empty()
                    && let Some(event) = core_usage(&mut sys, now_us())
                    && !emit(event)
                {
                    return;
                }
            }
        }
    }
}

/// One pass over the watched PIDs; false when nobody listens any more.
fn sample(
    watched: &mut BTreeMap<i32, Option<Seen>>,
    now_us: &impl Fn() -> u64,
    emit: &mut impl FnMut(Event) -> bool,
) -> bool {
    if watched.is_empty() {
        return true;
    }
    let hz = procfs::ticks_per_second();
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
        let read_ns = monotonic_ns();
        let cpu = match seen {
            Some(old) if read_ns > old.read_ns => {
                let busy = stat.cpu_ticks.saturating_sub(old.cpu_ticks) as f64 / hz;
                (busy * 1e9 / (read_ns - old.read_ns) as f64 * 100.0) as f32
            }
            _ => 0.0,
        };
        // Read after the process's files, so a state is never stamped before its cause.
        let t_us = now_us();
        let now = Seen {
            core: if stat.state == 'R' {
                stat.processor
            } else {
                None
            },
            cpu_ticks: stat.cpu_ticks,
            read_ns,
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
                    || old.core != now.core
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
                    core: now.core,
                },
            };
            if !emit(event) {
                return false;
            }
        }
        // The baseline moves every sample, so the CPU share is that of the last interval.
        *seen = Some(now);
    }
    for pid in gone {
        watched.remove(&pid);
    }
    true
}

/// How busy each core was since the last reading, as a `cpu` event.
fn core_usage(sys: &mut Option<System>, t_us: u64) -> Option<Event> {
    let sys = sys.as_mut()?;
    sys.refresh_cpu_usage();
    let cores: Vec<f32> = sys
        .cpus()
        .iter()
        .map(|c| (c.usage() * 10.0).round() / 10.0)
        .collect();
    (!cores.is_empty()).then(|| Event {
        t_us,
        pid: std::process::id() as i32,
        kind: EventKind::Cpu { cores },
    })
}
