//! Applying one event from the wire to the run's view: the process table, the panes'
//! models, the quizzes waiting for their answer, and the log line the event deserves.
//! Called only from `update`, so it is as pure as `update` is.

use super::quiz::QuizRun;
use super::signals;
use super::{LOG_KEEP, LogClass, LogEntry, RunView, Summary};
use crate::describe::said;
use crate::i18n::Said;
use crate::trace::event::{Event, EventKind, WaitOutcome, signal_name};

/// The log line for a graded prediction.
fn quiz_graded(
    quiz: &crate::lesson::quiz::Quiz,
    asked: &QuizRun,
    reported: &serde_json::Value,
) -> Said {
    let value = crate::lesson::quiz::value_text(reported);
    let said = asked
        .chosen
        .and_then(|i| quiz.choices.get(i))
        .map(|c| Said::Text(c.text.clone()));
    // A fixed fact is right or wrong; an outcome that varies held this time or not.
    match (said, asked.verdict(quiz), quiz.varies) {
        (Some(said), Some(true), true) => {
            crate::said!("quiz.log_right", said = said, value = value)
        }
        (Some(said), Some(true), false) => {
            crate::said!("quiz.log_fixed_right", said = said, value = value)
        }
        (Some(said), _, true) => crate::said!("quiz.log_wrong", said = said, value = value),
        (Some(said), _, false) => {
            crate::said!("quiz.log_fixed_wrong", said = said, value = value)
        }
        (None, _, _) => crate::said!("quiz.log_reported", value = value),
    }
}

/// A log line: at its time, under its process (0: the front end itself).
pub(super) fn log_for(run: &mut RunView, (t_us, pid): (u64, i32), text: Said, class: LogClass) {
    push_log(
        run,
        LogEntry {
            t_us,
            pid,
            text,
            class,
        },
    );
}

pub(super) fn push_log(run: &mut RunView, entry: LogEntry) {
    if run.log.len() >= LOG_KEEP {
        run.log.pop_front();
    }
    run.log.push_back(entry);
    // Scrolled back, the view stays on the lines being read.
    if run.log_scroll > 0 {
        run.log_scroll = (run.log_scroll + 1).min(run.log.len().saturating_sub(1));
    }
}

/// Every quiz still waiting for the run's answer looks at the event (a later question
/// does not stop an earlier one, answered by the summary say, from being graded).
fn grade_quizzes(run: &mut RunView, lesson: Option<&crate::lesson::Lesson>, e: &Event) {
    // The common case, on the hot path: nothing waits (no label copied per event).
    let Some(lesson) = lesson.filter(|_| run.quizzes.iter().any(|q| q.reported.is_none())) else {
        return;
    };
    let label = run.procs.get(e.pid).map(|p| p.label.clone());
    let variant = run.variant;
    let mut graded = Vec::new();
    for open in run.quizzes.iter_mut().filter(|q| q.reported.is_none()) {
        let Some(quiz) = lesson.step_quiz(open.step, variant) else {
            continue;
        };
        open.observe(quiz, e, label.as_deref());
        // Graded only if the learner answered: a skipped question says nothing.
        if let Some(reported) = &open.reported
            && open.chosen.is_some()
        {
            graded.push(quiz_graded(quiz, open, reported));
        }
    }
    for text in graded {
        log_for(run, (e.t_us, e.pid), text, LogClass::Gate);
    }
}

/// Keeps the last few readings of what other programs take of the CPUs: the cores'
/// total minus what the run's processes use. One reading can be off (a worker that
/// just exited was busy in it but is no longer counted), so the screen waits for
/// several in a row.
fn note_others(run: &mut RunView, cores: &[f32]) {
    const KEEP: usize = 3;
    let live: Vec<&crate::app::procs::ProcRow> = run
        .procs
        .rows()
        .iter()
        .filter(|p| p.reaped.is_none() && p.state != Some('Z'))
        .collect();
    let mut pids: Vec<i32> = live.iter().map(|p| p.pid).collect();
    pids.sort_unstable();
    if pids != run.work.others_pids {
        run.work.others.clear();
        run.work.others_pids = pids;
    }
    let ours: f64 = live.iter().map(|p| f64::from(p.cpu)).sum();
    let total: f64 = cores.iter().map(|c| f64::from(*c)).sum();
    if run.work.others.len() == KEEP {
        run.work.others.pop_front();
    }
    run.work.others.push_back((total - ours).max(0.0));
}

/// A process's own lock or semaphore event, kept with its time for the tree: the
/// lock pane shows it at once, the next state sample comes up to 200 ms later.
fn note_lock_news(run: &mut RunView, e: &Event) {
    use super::procs::{LockNews, LockStep};
    let (step, lock) = match &e.kind {
        EventKind::Blocked { on } if on == "lock" || on == "semaphore" => (LockStep::Waits, on),
        EventKind::LockAcquire { lock, .. } => (LockStep::Took, lock),
        EventKind::LockRelease { lock, .. } => (LockStep::Gave, lock),
        _ => return,
    };
    if let Some(p) = run.procs.get_mut(e.pid) {
        p.lock_news = Some(LockNews {
            t_us: e.t_us,
            step,
            lock: lock.clone(),
        });
    }
}

/// Events a process sends only when it runs its own code: after one of them, it no
/// longer stands with the run. (Not what others tell of it: the observer's samples,
/// where a traced program stands, output read from its pipe.)
fn moves_on(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Exit { .. }
            | EventKind::Gate { .. }
            | EventKind::LockAcquire { .. }
            | EventKind::LockRelease { .. }
            | EventKind::QueuePut { .. }
            | EventKind::QueueGet { .. }
            | EventKind::Send { .. }
            | EventKind::Recv { .. }
            | EventKind::Result { .. }
            | EventKind::Progress { .. }
            | EventKind::HandleSignal { .. }
            | EventKind::Exec { .. }
            | EventKind::Released { .. }
    )
}

pub(super) fn on_event(run: &mut RunView, lesson: Option<&crate::lesson::Lesson>, e: Event) {
    run.now_us = run.now_us.max(e.t_us);
    run.flow.apply(&e);
    run.work.apply(&e);
    if let EventKind::Cpu { cores } = &e.kind {
        note_others(run, cores);
    }
    run.locks.apply(&e);
    grade_quizzes(run, lesson, &e);
    note_lock_news(run, &e);
    if moves_on(&e.kind)
        && let Some(p) = run.procs.get_mut(e.pid)
    {
        // Its own event says it moves: whatever hold it reported is over, even if
        // its `hold` off never came (stopped, killed, or an event lost to a full pipe).
        p.holding = None;
    }
    if matches!(e.kind, EventKind::Cpu { .. } | EventKind::Progress { .. }) {
        return; // drawn in the work pane; far too frequent for the log
    }
    if matches!(e.kind, EventKind::Run { .. }) {
        return; // what ran: the header says it
    }
    if let EventKind::Where {
        file,
        line,
        function,
    } = &e.kind
    {
        // Drawn in the code pane and the tree; read at every hold and sample, far too
        // frequent for the log.
        if let Some(p) = run.procs.get_mut(e.pid) {
            p.at = Some((file.clone(), *line, function.clone()));
        }
        return;
    }
    if let EventKind::Hold { on, during } = &e.kind {
        // Drawn in the tree; one pair per process at every step would drown the log.
        if let Some(p) = run.procs.get_mut(e.pid) {
            p.holding = on.then(|| during.clone().unwrap_or_default());
        }
        return;
    }
    // A second line some events add: what a signal did, or will do.
    let mut note = None;
    let class = match &e.kind {
        EventKind::Spawn { ppid, label, .. } => {
            run.procs.spawn(e.pid, *ppid, label);
            LogClass::Lifecycle
        }
        EventKind::State {
            state,
            reason,
            cpu,
            ignored,
            caught,
            core,
        } => {
            let mut change = None;
            if let Some(p) = run.procs.get_mut(e.pid) {
                let new = state.chars().next();
                if new != p.state {
                    change = Some((p.state, new));
                }
                p.state = new;
                p.sampled_us = e.t_us;
                p.reason = reason.clone();
                p.cpu = cpu.unwrap_or(0.0);
                p.ignored = ignored.clone();
                p.caught = caught.clone();
                p.core = *core;
            }
            // Drawn in the tree and too frequent for the log, except the changes a
            // signal makes: stopped, resumed, and exited (a zombie).
            if let Some((old, Some(new))) = change
                && let Some(text) = state_change(run, e.pid, old, new, reason)
            {
                log_for(run, (e.t_us, e.pid), text, LogClass::Lifecycle);
            }
            return;
        }
        EventKind::Exit { code } => {
            if let Some(p) = run.procs.get_mut(e.pid) {
                p.exit_code = Some(*code);
            }
            LogClass::Lifecycle
        }
        EventKind::Reap { child, status, .. } => {
            if let Some(p) = run.procs.get_mut(*child) {
                p.reaped = Some((*status, WaitOutcome::from_raw(*status)));
                p.state = None;
                p.reason.clear();
                p.cpu = 0.0;
                p.holding = None;
            }
            // Follow reaps done inside the run (not the front end's final one of main).
            let by_the_run = run.procs.get(e.pid).is_some();
            if run.follow
                && by_the_run
                && let Some(i) = run.procs.index_of(*child)
            {
                run.select_index(i);
            }
            run.slot_held.remove(child);
            if run.signal_menu.as_ref().is_some_and(|m| m.pid == *child) {
                run.signal_menu = None;
            }
            if let Some(sent) = run.signalled.remove(child) {
                let how = match WaitOutcome::from_raw(*status) {
                    WaitOutcome::Signaled(s) => {
                        crate::said!("signal.outcome_killed", signal = signal_name(s))
                    }
                    WaitOutcome::Exited(c) => crate::said!("signal.outcome_exited", code = c),
                    WaitOutcome::Other(_) => crate::said!("signal.outcome_ended"),
                };
                let by = match run.procs.get(e.pid) {
                    Some(r) => crate::said!("signal.by_labelled", pid = e.pid, label = &r.label),
                    None => Said::from(e.pid),
                };
                note = Some(crate::said!(
                    "signal.outcome",
                    head = signals::outcome_head(&sent, *child),
                    how = how,
                    by = by,
                    status = *status
                ));
            }
            LogClass::Lifecycle
        }
        EventKind::Released { status, why, .. } => {
            // Gone from the process table with no wait: no reaper to follow.
            if let Some(p) = run.procs.get_mut(e.pid) {
                p.reaped = Some((*status, WaitOutcome::from_raw(*status)));
                p.released = Some(why.clone());
                p.state = None;
                p.reason.clear();
                p.cpu = 0.0;
            }
            run.slot_held.remove(&e.pid);
            LogClass::Lifecycle
        }
        EventKind::SendSignal { target, signal } => {
            // A prediction now (from the observer's last reading); what really happens
            // is told when the target's state change or reap arrives. A signal
            // predicted to change nothing leaves an earlier one's outcome to be told.
            let (said, pending) = signals::on_send(run.procs.get(*target), signal);
            match pending {
                Some(sent) if sent.predicted_nothing => {
                    run.signalled.entry(*target).or_insert(sent);
                }
                Some(sent) => {
                    run.signalled.insert(*target, sent);
                }
                None => {}
            }
            note = said;
            LogClass::Lifecycle
        }
        EventKind::Reparent { ppid, .. } => {
            if let Some(p) = run.procs.get_mut(e.pid) {
                p.ppid = *ppid;
            }
            LogClass::Lifecycle
        }
        EventKind::Exec { program, argv } => {
            // The tree names a process by what it runs now (`sh` becomes `wc`), except
            // the names a Python lesson gave (its program's `main` runs python3).
            let lesson_named = lesson.is_some_and(|l| l.is_python());
            if let Some(p) = run.procs.get_mut(e.pid)
                && !(lesson_named && p.label == "main")
            {
                p.label = crate::ptrace::exec_label(program, argv);
            }
            LogClass::Lifecycle
        }
        EventKind::Value { name, value } => {
            if let Some(p) = run.procs.get_mut(e.pid) {
                // `role`: what the process is to the program (a traced Manager's
                // server): the tree names it so.
                match (name.as_str(), value.as_str()) {
                    // `label`: the name a Python lesson gives it (by the function
                    // it runs), read from its frames.
                    ("role" | "label", Some(name)) => p.label = name.to_string(),
                    _ => p.set_value(name, value.clone()),
                }
            }
            LogClass::Lifecycle
        }
        EventKind::Gate {
            name,
            slot: Some(slot),
        } => {
            // A per-process gate ("be the scheduler"): this process waits until the
            // learner picks it; the lesson's own step does not move.
            if run.step_mode() && !run.replay {
                run.slot_held.insert(e.pid, (*slot, name.clone()));
            }
            LogClass::Gate
        }
        EventKind::Gate { name, slot: None } => {
            run.gate = Some(name.clone());
            run.gate_pid = Some(e.pid);
            let step = lesson.and_then(|l| l.step_for_gate(name));
            if step.is_some() && step == run.step {
                // The same step again: the next round of a loop.
                run.gate_passes += 1;
            }
            if let Some(i) = step
                && run.step != Some(i)
            {
                run.gate_passes = 1;
                run.step = Some(i);
                run.narration_scroll = 0;
                run.code_scroll = 0;
                // Predict, then run: the question opens here; what follows answers it.
                if lesson.is_some_and(|l| l.step_quiz(i, run.variant).is_some())
                    && !run.quizzes.iter().any(|q| q.step == i)
                {
                    run.quizzes.push(super::quiz::QuizRun::new(i));
                }
            }
            // A Python lesson's step that lets the program run on holds nothing: Space
            // has nothing to release there (a compiled lesson's main still waits).
            let runs_on = lesson.is_some_and(|l| {
                l.is_python() && run.step.is_some_and(|i| l.steps[i].keep_running)
            });
            // A new hold: the pace counts from the first tick that sees it.
            run.phase.reach_gate(runs_on);
            LogClass::Gate
        }
        EventKind::Summary {
            processes,
            leaked,
            duration_us,
            ..
        } => {
            run.summary = Some(Summary {
                processes: *processes,
                leaked: *leaked,
                duration_us: *duration_us,
            });
            LogClass::Lifecycle
        }
        EventKind::HandleSignal { signal, action, .. } => {
            // The process (or the tracer, which sees every delivery) reports what the
            // signal did: the line itself is the outcome, so an ignored one that was
            // pending is told.
            if action.starts_with("ignored")
                && run
                    .signalled
                    .get(&e.pid)
                    .is_some_and(|s| &s.signal == signal)
            {
                run.signalled.remove(&e.pid);
            }
            LogClass::Lifecycle
        }
        EventKind::Print { .. } => LogClass::Print,
        EventKind::ForkFailed { .. } | EventKind::CapKill { .. } => LogClass::Warning,
        _ => LogClass::Lifecycle,
    };
    // What a process printed reads best as itself; the colour says it is output.
    let text = match e.kind {
        EventKind::Print { text } => Said::Raw(text),
        EventKind::SendSignal { target, signal } => {
            let to = match run.procs.get(target) {
                Some(p) => crate::said!("log.target_labelled", target = target, label = &p.label),
                None => Said::from(target),
            };
            match run.procs.get(target) {
                // The learner, through the signal menu: proclab itself sent it.
                _ if run.front_end == Some(e.pid) => {
                    crate::said!("log.you_send", signal = signal, to = to)
                }
                Some(p) => crate::said!(
                    "log.send_labelled",
                    signal = signal,
                    target = target,
                    label = &p.label
                ),
                None => said(&EventKind::SendSignal { target, signal }),
            }
        }
        kind => said(&kind),
    };
    log_for(run, (e.t_us, e.pid), text, class);
    if let Some(text) = note {
        log_for(run, (e.t_us, e.pid), text, LogClass::Lifecycle);
    }
}

/// The log line for a state change worth a line: into or out of stopped (T), and into
/// zombie (Z). Said as the outcome of a signal when one was sent to this process.
fn state_change(
    run: &mut RunView,
    pid: i32,
    old: Option<char>,
    new: char,
    reason: &str,
) -> Option<Said> {
    let stopped = |c: Option<char>| matches!(c, Some('T' | 't'));
    let into_stop = stopped(Some(new));
    let resumed = stopped(old) && !into_stop && new != 'Z';
    if !(into_stop || resumed || new == 'Z') {
        return None;
    }
    let word = Said::State(new);
    let pending = run.signalled.get(&pid).cloned();
    if let Some(sent) = pending {
        let head = signals::outcome_head(&sent, pid);
        let text = if into_stop {
            crate::said!("signal.into_stop", head = head, state = new)
        } else if resumed {
            crate::said!("signal.resumed", head = head, state = new, word = word)
        } else {
            // Still waiting for the reap, which tells how it ended.
            return Some(crate::said!("signal.into_zombie", head = head));
        };
        run.signalled.remove(&pid);
        return Some(text);
    }
    let from = old.map(|c| format!("{c} → ")).unwrap_or_default();
    Some(if resumed {
        crate::said!(
            "signal.state_resumed",
            from = from,
            state = new,
            word = word
        )
    } else {
        crate::said!(
            "signal.state_change",
            from = from,
            state = new,
            word = word,
            reason = Said::Reason(reason.to_string())
        )
    })
}
