//! Scenarios: the lessons' programs, run for real inside the runner. Each one is a
//! plain function over a [`ctx::Ctx`] plus a static description (parameters, gates, and
//! how many processes it can have alive at once, checked against the cap before any
//! fork).

pub mod crash;
pub mod ctx;
pub mod event;
pub mod fork_fanout;
pub mod isolation;
pub mod lock;
pub mod orphan;
pub mod params;
pub mod pi;
pub mod pipe;
pub mod pool;
pub mod queue;
pub mod semaphore;
pub mod signals;
pub mod zombie;

use params::{ParamError, Params};

/// How the screens show a scenario: data on its definition, so the front end reads it
/// instead of matching scenario ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// The pane beside the process tree.
    pub pane: Pane,
    /// Whether each core's load is sampled for it (the observer's sysinfo; only the
    /// work pane draws it).
    pub samples_cores: bool,
}

impl View {
    /// The tree alone (a message pane still appears if messages pass).
    pub const TREE: View = View {
        pane: Pane::Tree,
        samples_cores: false,
    };
    pub const MESSAGES: View = View {
        pane: Pane::Messages,
        samples_cores: false,
    };
    /// Work shares and each core's load.
    pub const WORK: View = View {
        pane: Pane::Work,
        samples_cores: true,
    };
    /// Each core's load over time and what the program printed: a Python lesson's
    /// `pane = "cores"` (no scenario has it; a scenario's workers report progress).
    pub const CORES: View = View {
        pane: Pane::Cores,
        samples_cores: true,
    };
    pub const fn locks(primitive: Primitive) -> View {
        View {
            pane: Pane::Locks(primitive),
            samples_cores: false,
        }
    }
}

/// The pane a scenario's point lives in, beside the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// None of its own.
    Tree,
    /// Messages through a queue or a pipe.
    Messages,
    /// Each worker's progress and each core's load.
    Work,
    /// Each core's load over time, and the program's printed lines beside it.
    Cores,
    /// Who holds, waits for or sets the shared primitive.
    Locks(Primitive),
}

/// The synchronisation primitive a locks-pane scenario is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    Lock,
    Semaphore,
    Event,
}

pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    /// How the screens show it.
    pub view: View,
    pub params: &'static [params::ParamSpec],
    /// Gate names in the order the main process reaches them.
    pub gates: &'static [&'static str],
    /// Per-process step points (`Ctx::slot_gate`), which a lesson may map to lines.
    pub process_gates: &'static [&'static str],
    /// Names of the `result` and `value` events it reports (`*` ends a family, as in
    /// `time_*`): what a quiz's answer may name.
    pub reports: &'static [&'static str],
    /// The most processes alive at once for these params, with the arithmetic. It
    /// reads the scenario's typed parameters first (`params::Typed`), so it is also
    /// their check: `params_from` and `check_cap` call it before anything runs.
    pub peak_processes: fn(&Params) -> Result<(u64, String), ParamError>,
    /// The program, given its parameters (read into its typed struct once).
    pub run: fn(&mut ctx::Ctx, &Params) -> Result<(), ParamError>,
}

/// In course order.
pub const ALL: &[Scenario] = &[
    fork_fanout::SCENARIO,
    zombie::SCENARIO,
    signals::SCENARIO,
    orphan::SCENARIO,
    isolation::SCENARIO,
    crash::SCENARIO,
    queue::SCENARIO,
    pipe::SCENARIO,
    lock::SCENARIO,
    semaphore::SCENARIO,
    event::SCENARIO,
    pool::SCENARIO,
    pi::SCENARIO,
];

pub fn find(id: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.id == id)
}

pub fn ids() -> Vec<&'static str> {
    ALL.iter().map(|s| s.id).collect()
}

/// "unknown scenario 'x'; valid ids: …"
pub fn unknown(id: &str) -> String {
    format!(
        "unknown scenario '{id}'; valid scenario ids: {}",
        ids().join(", ")
    )
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scenario({})", self.id)
    }
}

/// Scenarios are static and named by their id.
impl PartialEq for Scenario {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Scenario {
    /// The parameters from `key=value` assignments over the defaults, checked once:
    /// each value against its spec, and all of them as the scenario's typed struct.
    pub fn params_from(&self, assignments: &[String]) -> Result<Params, ParamError> {
        let params = params::from_assignments(self.params, self.id, assignments)?;
        (self.peak_processes)(&params)?;
        Ok(params)
    }

    /// Refuses params whose peak process count passes `cap`, before anything forks.
    pub fn check_cap(&self, params: &Params, cap: u32) -> Result<(), String> {
        let (peak, arithmetic) = (self.peak_processes)(params).map_err(|e| e.message)?;
        if peak > u64::from(cap) {
            Err(format!(
                "refused: {arithmetic}, over the cap of {cap} live processes"
            ))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fanout_cap_arithmetic() {
        let s = find("fork-fanout").unwrap();
        let p = s
            .params_from(&["break_in_child=false".into(), "children=3".into()])
            .unwrap();
        assert!(s.check_cap(&p, 64).is_ok());
        let p = s
            .params_from(&["break_in_child=false".into(), "children=7".into()])
            .unwrap();
        let err = s.check_cap(&p, 64).unwrap_err();
        assert!(err.contains("2^7 = 128"), "{err}");
        assert!(err.contains("cap of 64"), "{err}");
        let p = s.params_from(&[]).unwrap();
        assert!(s.check_cap(&p, 11).is_ok());
        assert!(s.check_cap(&p, 10).is_err());
        assert!(unknown("nope").contains("fork-fanout"));
    }

    #[test]
    fn every_view_is_as_the_screens_had_it_by_id() {
        // The panes the front end used to choose by matching ids, now on the data.
        let pane = |id| find(id).unwrap().view.pane;
        for id in ["queue", "pipe"] {
            assert_eq!(pane(id), Pane::Messages, "{id}");
        }
        for id in ["pi", "pool"] {
            assert_eq!(pane(id), Pane::Work, "{id}");
        }
        assert_eq!(pane("lock"), Pane::Locks(Primitive::Lock));
        assert_eq!(pane("semaphore"), Pane::Locks(Primitive::Semaphore));
        assert_eq!(pane("event"), Pane::Locks(Primitive::Event));
        for s in ALL {
            // Only the work pane draws the cores, so only its scenarios pay for them.
            assert_eq!(s.view.samples_cores, s.view.pane == Pane::Work, "{}", s.id);
        }
    }

    /// Every scenario reads its typed parameters from its defaults and from each
    /// integer parameter at both ends of its range (a spec whose range the struct's
    /// type cannot hold fails here, not in a learner's run).
    #[test]
    fn every_scenario_reads_its_parameters() {
        for s in ALL {
            let defaults = params::Params::defaults(s.params);
            assert!((s.peak_processes)(&defaults).is_ok(), "{}", s.id);
            for spec in s.params {
                if let params::ParamKind::Int { min, max } = spec.kind {
                    for n in [min, max] {
                        let mut p = defaults.clone();
                        p.set(spec.name, params::ParamValue::Int(n));
                        assert!((s.peak_processes)(&p).is_ok(), "{} {}={n}", s.id, spec.name);
                    }
                }
            }
            // And nothing is read by a name that is not the scenario's.
            assert!(
                (s.peak_processes)(&params::Params::default()).is_ok() == s.params.is_empty(),
                "{}",
                s.id
            );
        }
    }
}
