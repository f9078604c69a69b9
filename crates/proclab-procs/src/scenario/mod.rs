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

pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    pub params: &'static [params::ParamSpec],
    /// Gate names in the order the main process reaches them.
    pub gates: &'static [&'static str],
    /// Per-process step points (`Ctx::slot_gate`), which a lesson may map to lines.
    pub process_gates: &'static [&'static str],
    /// Names of the `result` and `value` events it reports (`*` ends a family, as in
    /// `time_*`): what a quiz's answer may name.
    pub reports: &'static [&'static str],
    /// The most processes alive at once for these params, with the arithmetic.
    pub peak_processes: fn(&Params) -> (u64, String),
    pub run: fn(&mut ctx::Ctx, &Params),
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
    pub fn params_from(&self, assignments: &[String]) -> Result<Params, ParamError> {
        params::from_assignments(self.params, self.id, assignments)
    }

    /// Refuses params whose peak process count passes `cap`, before anything forks.
    pub fn check_cap(&self, params: &Params, cap: u32) -> Result<(), String> {
        let (peak, arithmetic) = (self.peak_processes)(params);
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
}
