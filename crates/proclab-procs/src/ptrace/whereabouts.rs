//! Where each traced CPython process is in its program, and what it is to it (a
//! Manager's server, a Pool worker, the `Process(target=f)` it runs), read from its
//! frames (`crate::pyframe`: memory reads only, nothing stopped, no thread).
//!
//! When: at a hold, for every held process (they stand still: the read is exact); in a
//! lesson, at the stops of a process not named yet (so a step naming a process by its
//! label matches its first event), and sampled while the program runs. A read that
//! fails says nothing: no `where` is invented. Costs in BENCHMARKS.md ("pyframe").

use std::collections::{BTreeMap, HashMap};

use crate::pyframe::{PyFrame, PyProcess, role, target_function};
use crate::trace::event::EventKind;

type Emit<'a> = &'a mut dyn FnMut(i32, EventKind);

/// How many stops of a process are read for its name before giving up (a process
/// that never runs a target function of its own, a non-Python program).
const NAME_TRIES: u32 = 40;

/// How many times attaching to a process is tried: an interpreter just exec'd has no
/// runtime state to find yet, and a program that is not Python never will.
const ATTACH_TRIES: u32 = 12;

#[derive(Default)]
struct Seen {
    /// None: not attached yet (tried `attach_tries` times).
    reader: Option<PyProcess>,
    attach_tries: u32,
    named: bool,
    tries: u32,
    last: Option<PyFrame>,
}

pub struct Whereabouts {
    /// The lesson's program file: its frames are the ones the code pane shows.
    program: Option<String>,
    /// Label by target function (a lesson's `[labels]`).
    labels: BTreeMap<String, String>,
    /// The command's own process: named by the lesson already (`main`).
    root: i32,
    procs: HashMap<i32, Seen>,
}

impl Whereabouts {
    pub fn new(program: Option<String>, labels: BTreeMap<String, String>, root: i32) -> Self {
        Whereabouts {
            program,
            labels,
            root,
            procs: HashMap::new(),
        }
    }

    /// Whether a stop of `tgid` should be used to name it.
    pub fn wants_name(&self, tgid: i32) -> bool {
        tgid != self.root
            && self.procs.get(&tgid).is_none_or(|s| {
                !s.named
                    && s.tries < NAME_TRIES
                    && (s.reader.is_some() || s.attach_tries < ATTACH_TRIES)
            })
    }

    /// The process replaced its program: what was read of it no longer applies.
    pub fn forget(&mut self, tgid: i32) {
        self.procs.remove(&tgid);
    }

    /// Reads `tgid`'s frames: tells where it is if that changed, and names it if it is
    /// not named yet. Returns false if nothing could be read.
    pub fn look(&mut self, tgid: i32, emit: Emit) -> bool {
        let seen = self.procs.entry(tgid).or_default();
        if seen.reader.is_none() {
            if seen.attach_tries >= ATTACH_TRIES {
                return false;
            }
            seen.attach_tries += 1;
            match PyProcess::attach(tgid) {
                Ok(r) => seen.reader = Some(r),
                // Not (yet) a CPython: tried again later, and afresh after an exec
                // (`forget`).
                Err(_) => return false,
            }
        }
        let Some(stack) = seen.reader.as_mut().and_then(|r| r.stack().ok()) else {
            seen.tries += 1;
            return false;
        };
        seen.tries += 1;
        let has_role = role(&stack).is_some();
        if !seen.named && tgid != self.root {
            let name = role(&stack)
                .map(|r| ("role", r.describe().to_string()))
                .or_else(|| {
                    target_function(&stack).map(|f| {
                        let label = self.labels.get(f).cloned().unwrap_or_else(|| f.to_string());
                        ("label", label)
                    })
                });
            if let Some((kind, name)) = name {
                seen.named = true;
                emit(
                    tgid,
                    EventKind::Value {
                        name: kind.into(),
                        value: name.into(),
                    },
                );
            }
        }
        // A library's process (a Manager's server, a Pool worker) still has the line
        // that forked it deep in its stack; what it does is its innermost frame.
        let program = self.program.as_deref().filter(|_| !has_role);
        let here = stack
            .iter()
            .find(|f| program.is_some_and(|p| f.file == p))
            .or_else(|| stack.first());
        if let Some(here) = here
            && seen.last.as_ref() != Some(here)
        {
            seen.last = Some(here.clone());
            emit(
                tgid,
                EventKind::Where {
                    file: here.file.clone(),
                    line: here.line,
                    function: here.function.clone(),
                },
            );
        }
        true
    }
}
