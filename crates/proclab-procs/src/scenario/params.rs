//! Scenario parameters: typed specs, values parsed from `--set key=value` or from a
//! lesson's `[params]`, and errors that list what the scenario accepts.
//!
//! A scenario reads its values once, into a typed struct of its own (`Typed`), by
//! naming each `ParamSpec` constant: a misspelt parameter is a compile error, and a
//! value missing or of the wrong kind is an error, never a silent 0, false or "".

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    Int { min: i64, max: i64 },
    Bool,
    Choice(&'static [&'static str]),
    IntList,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: ParamValue,
    pub help: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Int(i64),
    Bool(bool),
    /// One of a `Choice`'s names (borrowed from the spec, so defaults can be const).
    Name(Cow<'static, str>),
    /// Borrowed for const defaults, owned when parsed.
    IntList(Cow<'static, [i64]>),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(n) => write!(f, "{n}"),
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Name(s) => write!(f, "{s}"),
            ParamValue::IntList(v) => {
                let parts: Vec<String> = v.iter().map(|n| n.to_string()).collect();
                write!(f, "{}", parts.join(","))
            }
        }
    }
}

/// The full set of values for one run: every spec'd key present.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params(BTreeMap<String, ParamValue>);

impl Params {
    pub fn defaults(specs: &[ParamSpec]) -> Params {
        Params(
            specs
                .iter()
                .map(|s| (s.name.to_string(), s.default.clone()))
                .collect(),
        )
    }

    /// The value of a parameter some scenarios have and others not, for a pane that
    /// shows it when present (`None` when this run has no such parameter).
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.0.get(name)
    }

    /// `get` for an integer parameter: `None` when absent or of another kind.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        match self.0.get(name) {
            Some(ParamValue::Int(n)) => Some(*n),
            _ => None,
        }
    }

    /// `get` for a boolean parameter: `None` when absent or of another kind.
    pub fn get_flag(&self, name: &str) -> Option<bool> {
        match self.0.get(name) {
            Some(ParamValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    fn value(&self, spec: &ParamSpec) -> Result<&ParamValue, ParamError> {
        self.0.get(spec.name).ok_or_else(|| ParamError {
            message: format!("no value for the parameter '{}'", spec.name),
        })
    }

    /// An integer parameter in the type the scenario counts in (a count as `u32`, a
    /// number of terms as `u64`…): its spec's range is checked again, and a value the
    /// type cannot hold is an error rather than a wrapped number.
    pub fn int<T: TryFrom<i64>>(&self, spec: &ParamSpec) -> Result<T, ParamError> {
        match (self.value(spec)?, spec.kind) {
            (ParamValue::Int(n), ParamKind::Int { min, max }) if (min..=max).contains(n) => {
                T::try_from(*n).map_err(|_| wrong(spec, "an integer out of its type's range"))
            }
            _ => Err(wrong(spec, "an integer within its range")),
        }
    }

    pub fn flag(&self, spec: &ParamSpec) -> Result<bool, ParamError> {
        match (self.value(spec)?, spec.kind) {
            (ParamValue::Bool(b), ParamKind::Bool) => Ok(*b),
            _ => Err(wrong(spec, "true or false")),
        }
    }

    /// A choice, as the index of its name in the spec's list (the scenario maps it to
    /// an enum of its own).
    pub fn choice(&self, spec: &ParamSpec) -> Result<usize, ParamError> {
        match (self.value(spec)?, spec.kind) {
            (ParamValue::Name(name), ParamKind::Choice(names)) => names
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| wrong(spec, "one of its choices")),
            _ => Err(wrong(spec, "one of its choices")),
        }
    }

    pub fn ints<T: TryFrom<i64>>(&self, spec: &ParamSpec) -> Result<Vec<T>, ParamError> {
        match (self.value(spec)?, spec.kind) {
            (ParamValue::IntList(v), ParamKind::IntList) => v
                .iter()
                .map(|n| T::try_from(*n).map_err(|_| wrong(spec, "integers its type can hold")))
                .collect(),
            _ => Err(wrong(spec, "a list of integers")),
        }
    }

    pub fn set(&mut self, name: &str, value: ParamValue) {
        self.0.insert(name.to_string(), value);
    }

    /// `key=value` pairs, the form `--set` takes (used to hand params to the runner).
    pub fn to_assignments(&self) -> Vec<String> {
        self.0.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &ParamValue)> {
        self.0.iter()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    pub message: String,
}

fn wrong(spec: &ParamSpec, want: &str) -> ParamError {
    ParamError {
        message: format!("the parameter '{}' must be {want}", spec.name),
    }
}

/// A scenario's parameters as a struct of its own, read once from validated `Params`.
pub trait Typed: Sized {
    fn from_params(p: &Params) -> Result<Self, ParamError>;
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A readable list of a scenario's parameters with their defaults.
pub fn describe(specs: &[ParamSpec]) -> String {
    let mut out = String::new();
    for s in specs {
        let kind = match s.kind {
            ParamKind::Int { min, max } => format!("integer from {min} to {max}"),
            ParamKind::Bool => "true|false".to_string(),
            ParamKind::Choice(c) => c.join("|"),
            ParamKind::IntList => "comma-separated integers".to_string(),
        };
        out.push_str(&format!(
            "  {:<16} {:<28} default {:<10} {}\n",
            s.name,
            kind,
            s.default.to_string(),
            s.help
        ));
    }
    out
}

fn find<'a>(
    specs: &'a [ParamSpec],
    scenario: &str,
    key: &str,
) -> Result<&'a ParamSpec, ParamError> {
    specs
        .iter()
        .find(|s| s.name == key)
        .ok_or_else(|| ParamError {
            message: format!(
                "scenario '{scenario}' has no parameter '{key}'; its parameters are:\n{}",
                describe(specs)
            ),
        })
}

fn bad(spec: &ParamSpec, scenario: &str, got: &str) -> ParamError {
    ParamError {
        message: format!(
            "'{got}' is not a valid value for '{}' of scenario '{scenario}'; its parameters are:\n{}",
            spec.name,
            describe(std::slice::from_ref(spec))
        ),
    }
}

/// Parses one value given as text (`--set` form).
pub fn parse_text(
    specs: &[ParamSpec],
    scenario: &str,
    key: &str,
    text: &str,
) -> Result<ParamValue, ParamError> {
    let spec = find(specs, scenario, key)?;
    let text = text.trim();
    let value = match spec.kind {
        ParamKind::Int { min, max } => text
            .replace('_', "")
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .map(ParamValue::Int),
        // Words alike in any case, as choices are (`TRUE`, `Yes`; `signal=sigkill`).
        ParamKind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some(ParamValue::Bool(true)),
            "false" | "no" | "off" | "0" => Some(ParamValue::Bool(false)),
            _ => None,
        },
        ParamKind::Choice(choices) => choices
            .iter()
            .find(|c| c.eq_ignore_ascii_case(text))
            .map(|c| ParamValue::Name(Cow::Borrowed(*c))),
        ParamKind::IntList => text
            .split(',')
            .map(|p| {
                p.trim()
                    .replace('_', "")
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
            })
            .collect::<Option<Vec<i64>>>()
            .filter(|v| !v.is_empty())
            .map(|v| ParamValue::IntList(Cow::Owned(v))),
    };
    value.ok_or_else(|| bad(spec, scenario, text))
}

/// Parses one value given in TOML (a lesson's `[params]`).
pub fn parse_toml(
    specs: &[ParamSpec],
    scenario: &str,
    key: &str,
    value: &toml::Value,
) -> Result<ParamValue, ParamError> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_integer()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into())
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    };
    parse_text(specs, scenario, key, &text)
}

/// Applies `key=value` assignments over the defaults.
pub fn from_assignments(
    specs: &[ParamSpec],
    scenario: &str,
    assignments: &[String],
) -> Result<Params, ParamError> {
    let mut params = Params::defaults(specs);
    for a in assignments {
        let (key, text) = a.split_once('=').ok_or_else(|| ParamError {
            message: format!(
                "--set takes key=value, got '{a}'; the parameters of '{scenario}' are:\n{}",
                describe(specs)
            ),
        })?;
        let value = parse_text(specs, scenario, key.trim(), text)?;
        params.set(key.trim(), value);
    }
    Ok(params)
}

/// "1 child", "3 children": a count and its noun, for the cap's arithmetic.
pub fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[];

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec {
                name: "children",
                kind: ParamKind::Int { min: 1, max: 64 },
                default: ParamValue::Int(10),
                help: "how many",
            },
            ParamSpec {
                name: "break_in_child",
                kind: ParamKind::Bool,
                default: ParamValue::Bool(true),
                help: "child leaves the loop",
            },
            ParamSpec {
                name: "mode",
                kind: ParamKind::Choice(&["map", "imap"]),
                default: ParamValue::Name("map".into()),
                help: "",
            },
            ParamSpec {
                name: "tasks",
                kind: ParamKind::IntList,
                default: ParamValue::IntList(Cow::Borrowed(&[1, 2])),
                help: "",
            },
        ]
    }

    #[test]
    fn assignments_override_defaults() {
        let p = from_assignments(
            &specs(),
            "x",
            &[
                "children=3".into(),
                "break_in_child=false".into(),
                "mode=IMAP".into(),
                "tasks=2_000,5".into(),
            ],
        )
        .unwrap();
        let specs = specs();
        assert_eq!(p.int::<u32>(&specs[0]), Ok(3));
        assert_eq!(p.flag(&specs[1]), Ok(false));
        assert_eq!(p.choice(&specs[2]), Ok(1), "imap");
        assert_eq!(p.ints::<u64>(&specs[3]), Ok(vec![2000, 5]));
        assert!(SPECS.is_empty());
    }

    #[test]
    fn errors_list_the_parameters() {
        let e = from_assignments(&specs(), "x", &["kids=3".into()]).unwrap_err();
        assert!(e.message.contains("no parameter 'kids'"), "{}", e.message);
        assert!(e.message.contains("children") && e.message.contains("default 10"));
        let e = from_assignments(&specs(), "x", &["children=0".into()]).unwrap_err();
        assert!(e.message.contains("integer from 1 to 64"), "{}", e.message);
        let e = from_assignments(&specs(), "x", &["children".into()]).unwrap_err();
        assert!(e.message.contains("key=value"));
    }

    #[test]
    fn assignments_round_trip() {
        let p = Params::defaults(&specs());
        let again = from_assignments(&specs(), "x", &p.to_assignments()).unwrap();
        assert_eq!(p, again);
    }

    /// No silent defaults: a parameter the run does not have, or of another kind, or
    /// too big for the scenario's type, is an error (it used to read as 0/false/"").
    #[test]
    fn a_missing_or_mistyped_value_is_an_error() {
        let specs = specs();
        let empty = Params::default();
        assert!(
            empty
                .int::<u32>(&specs[0])
                .unwrap_err()
                .message
                .contains("no value")
        );
        let p = Params::defaults(&specs);
        assert!(p.flag(&specs[0]).is_err(), "children is no bool");
        assert!(p.int::<u8>(&specs[3]).is_err(), "tasks is a list");
        let mut big = Params::defaults(&specs);
        big.set("children", ParamValue::Int(1000));
        assert!(
            big.int::<u32>(&specs[0]).is_err(),
            "outside the spec's range"
        );
        let mut negative = Params::defaults(&specs);
        negative.set("tasks", ParamValue::IntList(Cow::Owned(vec![-1])));
        assert!(negative.ints::<u64>(&specs[3]).is_err());
    }
}
