//! The observer thread: samples only the run's own PIDs every `INTERVAL`, and emits a
//! `state` event when a process's state, reason, CPU share or signal dispositions
//! (which signals it ignores or catches) visibly changed.

// The pure /proc parsing is shared with the tracer, so it lives in `proclab-procs`.
pub use proclab_procs::procfs;

use std::collections::BTreeMap;
use std::time::Duration;

use crossbeam_channel::{Receiver, select, tick};
use sysinfo::System;

use crate::trace::event::{Event, EventKind};
use proclab_procs::control::monotonic_ns;

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
    /// The state shown (`None`: none yet, see `shown_state`).
    state: Option<char>,
    /// What /proc said, for the next sample's decision.
    read: Reading,
    reason: String,
    cpu: f32,
    signals: procfs::SigMasks,
    core: Option<u32>,
    /// CPU time and when it was read, for the share since the last sample.
    cpu_ticks: u64,
    read_ns: u64,
}

/// One reading of a process's state letter, with how many times it had left a CPU so
/// far (`voluntary_ctxt_switches` + `nonvoluntary_ctxt_switches` in its status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub letter: char,
    pub switches: Option<u64>,
}

/// The state to show for the reading `now`, given the previous reading `last` and the
/// state shown so far (`None`: nothing to show yet).
///
/// In a trace (`traced`), every ptrace stop of a tracee reads as `t` while it lasts,
/// and the tracer answers each in the same loop turn: that `t` is proclab's own moment,
/// not a state of the program, so what was shown stays. The one stop the tracer leaves
/// standing is a real SIGSTOP/SIGTSTP group-stop (PTRACE_LISTEN), which the kernel also
/// shows as `t`: a `t` read twice with no context switch between (the process has not
/// run for a whole interval) is that stop, shown as `T`, as the program would be
/// without a tracer. Outside a trace every letter is shown as read.
pub fn shown_state(
    traced: bool,
    now: Reading,
    last: Option<Reading>,
    shown: Option<char>,
) -> Option<char> {
    if !traced || now.letter != 't' {
        return Some(now.letter);
    }
    let held =
        last.is_some_and(|l| l.letter == 't' && l.switches.is_some() && l.switches == now.switches);
    if held { Some('T') } else { shown }
}

/// Runs until `stop` is signalled or `emit` returns false (nobody listens).
/// With `cores`, it also reports every other tick how busy each CPU core is (sysinfo
/// needs 200 ms between two readings).
/// `now_us`: the run's clock (the lesson clock: it stands while the run does), for
/// the events' `t_us`. `traced`: the PIDs are tracees of `proclab trace` (see
/// `shown_state`).
pub fn run(
    now_us: impl Fn() -> u64,
    cores: bool,
    traced: bool,
    still: impl Fn() -> bool,
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
                // In a trace standing still (held at a step, paused), every tracee is
                // in proclab's own ptrace stop: a `t` then is the hold the wire tells
                // (`hold` events), never a group-stop of the program's.
                let standing = still();
                let moving = traced && !standing;
                if !sample(&mut watched, (traced, moving), &now_us, &mut emit) {
                    return;
                }
                ticks += 1;
                if cores && ticks.is_multiple_of(2) && !watched.is_empty()
                    && let Some(event) = core_usage(&mut sys, now_us())
                    // Not while the run stands still (held at a step, paused): the
                    // load over time is drawn on the lesson clock, which stands
                    // still then, so a step read for a minute does not push the
                    // run's own load out of the chart with idle readings. The
                    // reading is still taken (sysinfo measures from one refresh to
                    // the next), so the first one shown after is of the run moving.
                    && !standing
                    && !emit(event)
                {
                    return;
                }
            }
        }
    }
}

/// One pass over the watched PIDs; false when nobody listens any more.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "CPU ticks and nanoseconds of one 100 ms interval, and a percentage shown to one decimal as f32"
)]
fn sample(
    watched: &mut BTreeMap<i32, Option<Seen>>,
    (traced, moving): (bool, bool),
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
        let status = procfs::read_status(pid);
        let read = Reading {
            letter: stat.state,
            switches: status.as_deref().and_then(procfs::parse_switches),
        };
        let shown = seen.as_ref().and_then(|s| s.state);
        let state = if traced && !moving && read.letter == 't' {
            shown
        } else {
            shown_state(traced, read, seen.as_ref().map(|s| s.read), shown)
        };
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
        let reason = match (state, seen.as_ref()) {
            // A tracing stop of proclab's own: the reason shown stays too.
            (Some(shown), Some(old)) if shown != stat.state && old.state == Some(shown) => {
                old.reason.clone()
            }
            (Some(shown), _) => procfs::reason(shown, &wchan),
            (None, _) => String::new(),
        };
        let now = Seen {
            core: if state == Some('R') {
                stat.processor
            } else {
                None
            },
            cpu_ticks: stat.cpu_ticks,
            read_ns,
            start_ticks: stat.start_ticks,
            state,
            read,
            reason,
            cpu,
            // An unreadable status keeps the last known masks rather than inventing
            // "ignores nothing".
            signals: status
                .as_deref()
                .and_then(procfs::parse_sig_masks)
                .or_else(|| seen.as_ref().map(|s| s.signals))
                .unwrap_or_default(),
        };
        let changed = match seen {
            // Nothing to show yet (a new tracee first read in a tracing stop).
            _ if now.state.is_none() => false,
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
                    state: now.state.map(String::from).unwrap_or_default(),
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
        pid: nix::unistd::getpid().as_raw(),
        kind: EventKind::Cpu { cores },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(letter: char, switches: u64) -> Reading {
        Reading {
            letter,
            switches: Some(switches),
        }
    }

    /// The observer thread itself, watching this test's own process: no core reading
    /// while the run stands still, one soon after it moves again.
    #[test]
    fn cores_are_not_reported_while_the_run_stands_still() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
        let standing = Arc::new(AtomicBool::new(true));
        let asked = Arc::new(AtomicU32::new(0));
        let (ticked_tx, ticked) = crossbeam_channel::unbounded();
        let (track_tx, track) = crossbeam_channel::unbounded();
        let (stop_tx, stop) = crossbeam_channel::bounded(1);
        let (events_tx, events) = crossbeam_channel::unbounded();
        track_tx
            .send(Track::Add(nix::unistd::getpid().as_raw()))
            .unwrap();
        let observer = {
            let (standing, asked) = (standing.clone(), asked.clone());
            std::thread::spawn(move || {
                run(
                    || 0,
                    true,
                    false,
                    || {
                        let n = asked.fetch_add(1, SeqCst) + 1;
                        let _ = ticked_tx.send(n);
                        standing.load(SeqCst)
                    },
                    track,
                    stop,
                    |e| events_tx.send(e).is_ok(),
                )
            })
        };
        let wait = std::time::Duration::from_secs(10);
        // Seven ticks standing still: three core readings taken, none shown.
        while ticked.recv_timeout(wait).expect("the observer ticks") < 7 {}
        let cpu = |e: &Event| matches!(e.kind, EventKind::Cpu { .. });
        let shown: Vec<Event> = events.try_iter().filter(|e| cpu(e)).collect();
        assert!(
            shown.is_empty(),
            "core load while standing still: {shown:?}"
        );
        // Moving again: a reading within two ticks or so.
        standing.store(false, SeqCst);
        let first = std::iter::from_fn(|| events.recv_timeout(wait).ok()).find(|e| cpu(e));
        assert!(first.is_some(), "no core load once the run moves");
        stop_tx.send(()).unwrap();
        observer.join().unwrap();
    }

    #[test]
    fn a_tracing_stop_of_proclab_s_own_changes_nothing() {
        // Sleeping, then caught in a momentary ptrace stop: still sleeping.
        assert_eq!(
            shown_state(true, r('t', 11), Some(r('S', 10)), Some('S')),
            Some('S')
        );
        // Caught in two different stops (it ran in between): still what it was.
        assert_eq!(
            shown_state(true, r('t', 14), Some(r('t', 11)), Some('R')),
            Some('R')
        );
        // A new tracee first read in a stop: nothing to show yet.
        assert_eq!(shown_state(true, r('t', 1), None, None), None);
        // Other letters are shown as read.
        assert_eq!(
            shown_state(true, r('S', 12), Some(r('t', 11)), Some('S')),
            Some('S')
        );
        assert_eq!(
            shown_state(true, r('Z', 12), Some(r('t', 11)), Some('S')),
            Some('Z')
        );
    }

    #[test]
    fn a_real_sigstop_still_shows() {
        // Traced: the group-stop the tracer leaves standing reads `t` and the process
        // does not run between two samples: stopped by a signal.
        assert_eq!(
            shown_state(true, r('t', 11), Some(r('t', 11)), Some('S')),
            Some('T')
        );
        assert_eq!(
            shown_state(true, r('t', 11), Some(r('t', 11)), Some('T')),
            Some('T')
        );
        // Unknown switch counts prove nothing.
        let blind = Reading {
            letter: 't',
            switches: None,
        };
        assert_eq!(shown_state(true, blind, Some(blind), Some('S')), Some('S'));
        // Not traced: `T` (and even a debugger's `t`) as read.
        assert_eq!(
            shown_state(false, r('T', 11), Some(r('S', 10)), Some('S')),
            Some('T')
        );
        assert_eq!(
            shown_state(false, r('t', 11), Some(r('S', 10)), Some('S')),
            Some('t')
        );
    }
}
