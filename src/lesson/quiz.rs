//! Predict, then run: a question asked at a gate, graded by what *this* run reports
//! afterwards. A lesson names where the answer comes from (a `result`, a `value`, a
//! field of the `summary`), never the answer itself.

use serde_json::Value;

use super::model::Text;
use crate::trace::event::{Event, EventKind};

#[derive(Debug, Clone, PartialEq)]
pub struct Quiz {
    pub question: Text,
    pub choices: Vec<Choice>,
    pub answer: AnswerSource,
    /// The outcome changes from run to run (a race, a timing): a wrong guess is "not
    /// this time". False: a fixed fact, and a wrong guess is simply wrong.
    pub varies: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub text: Text,
    /// None: right when the reported value reads the same as `text`.
    pub when: Option<Condition>,
    /// Why this choice is right, or the misconception behind it: shown once the run
    /// has answered.
    pub why: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    pub op: Op,
    pub number: f64,
}

impl Condition {
    /// `"< 400000"`, `">= 2"`, `"== 20"`: an operator, then a number.
    pub fn parse(s: &str) -> Result<Condition, String> {
        let s = s.trim();
        let ops = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        let Some((op, rest)) = ops
            .iter()
            .find_map(|(sym, op)| s.strip_prefix(sym).map(|rest| (*op, rest)))
        else {
            return Err(format!(
                "'{s}' must start with ==, !=, <, <=, > or >=, then a number"
            ));
        };
        let number = rest
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("'{}' in '{s}' is not a number", rest.trim()))?;
        Ok(Condition { op, number })
    }

    #[allow(
        clippy::float_cmp,
        reason = "a quiz compares the number the run reported with the number the lesson wrote: exact equality is the question asked"
    )]
    fn holds(&self, x: f64) -> bool {
        match self.op {
            Op::Eq => x == self.number,
            Op::Ne => x != self.number,
            Op::Lt => x < self.number,
            Op::Le => x <= self.number,
            Op::Gt => x > self.number,
            Op::Ge => x >= self.number,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AnswerSource {
    /// A `result` event with this name.
    Result(String),
    /// A `value` event with this name, from the process with this label if given.
    Value {
        name: String,
        process: Option<String>,
    },
    /// `processes`, `leaked` or `duration_us` of the `summary`, or one of its results.
    Summary(String),
    /// A Python lesson: the word printed right after `after` in a line (of the
    /// process with this label, if given) — the program's own output.
    Printed {
        after: String,
        process: Option<String>,
    },
}

/// The summary's own fields a quiz may ask about (besides its results).
pub const SUMMARY_FIELDS: &[&str] = &["processes", "leaked", "duration_us"];

impl AnswerSource {
    /// The reported value if `e` is the event this source names. `label` is the
    /// label of the process that sent it.
    pub fn read(&self, e: &Event, label: Option<&str>) -> Option<Value> {
        match (self, &e.kind) {
            (AnswerSource::Result(want), EventKind::Result { name, value }) if name == want => {
                Some(value.clone())
            }
            (
                AnswerSource::Value {
                    name: want,
                    process,
                },
                EventKind::Value { name, value },
            ) if name == want && process.as_deref().is_none_or(|p| Some(p) == label) => {
                Some(value.clone())
            }
            (
                AnswerSource::Summary(field),
                EventKind::Summary {
                    processes,
                    leaked,
                    duration_us,
                    results,
                },
            ) => match field.as_str() {
                "processes" => Some((*processes).into()),
                "leaked" => Some((*leaked).into()),
                "duration_us" => Some((*duration_us).into()),
                other => results.get(other).cloned(),
            },
            (AnswerSource::Printed { after, process }, EventKind::Print { text })
                if process.as_deref().is_none_or(|p| Some(p) == label) =>
            {
                printed_after(text, after)
            }
            _ => None,
        }
    }
}

/// The word after `after` in `line`, as a number when it reads as one: `"total: 400"`
/// after `"total:"` is 400. Trailing punctuation (`,` `.` `;` `)`) is not part of it.
fn printed_after(line: &str, after: &str) -> Option<Value> {
    let (_, rest) = line.split_once(after)?;
    let word = rest.split_whitespace().next()?;
    let word = word.trim_end_matches([',', '.', ';', ')', ':']);
    if word.is_empty() {
        return None;
    }
    Some(match word.parse::<i64>() {
        Ok(n) => n.into(),
        Err(_) => match word.parse::<f64>() {
            Ok(x) if x.is_finite() => x.into(),
            _ => Value::String(word.to_string()),
        },
    })
}

/// How a reported value reads on screen and in a plain choice: numbers as JSON writes
/// them, strings without quotes.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        // A measured ratio or time reads as 1.06, not 1.0638684943451149.
        Value::Number(n) if n.is_f64() => n.as_f64().map_or(n.to_string(), |x| format!("{x:.2}")),
        other => other.to_string(),
    }
}

impl Choice {
    /// Whether this choice is right for the value the run reported.
    #[allow(
        clippy::float_cmp,
        reason = "a quiz compares the number the run reported with the number the lesson wrote: exact equality is the question asked"
    )]
    pub fn is_right(&self, reported: &Value) -> bool {
        let text = value_text(reported);
        let number = reported.as_f64().or_else(|| text.trim().parse().ok());
        match (&self.when, number) {
            (Some(c), Some(x)) => c.holds(x),
            (Some(_), None) => false,
            (None, _) => {
                let mine = self.text.get(super::model::Lang::En).trim();
                mine == text.trim()
                    || matches!(
                        (mine.parse::<f64>(), number),
                        (Ok(a), Some(b)) if a == b
                    )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(s: &str) -> Choice {
        Choice {
            text: Text::same(s),
            when: None,
            why: None,
        }
    }

    #[test]
    fn conditions_parse_and_hold() {
        let c = Condition::parse("< 400000").unwrap();
        assert!(c.holds(399_999.0) && !c.holds(400_000.0));
        assert!(Condition::parse(">=2").unwrap().holds(2.0));
        assert!(Condition::parse("== 20").unwrap().holds(20.0));
        assert!(Condition::parse("!= 20").unwrap().holds(19.0));
        assert!(
            Condition::parse("20")
                .unwrap_err()
                .contains("must start with")
        );
        assert!(
            Condition::parse("< many")
                .unwrap_err()
                .contains("not a number")
        );
    }

    #[test]
    fn plain_choices_match_the_reported_text_or_number() {
        assert!(plain("10").is_right(&json!(10)));
        assert!(plain("10").is_right(&json!(10.0)));
        assert!(!plain("15").is_right(&json!(10)));
        assert!(plain("3.14159262176").is_right(&json!(3.14159262176)));
        assert!(plain("SIGKILL").is_right(&json!("SIGKILL")));
    }

    #[test]
    fn condition_choices_need_a_number() {
        let fewer = Choice {
            when: Some(Condition::parse("< 400000").unwrap()),
            ..plain("fewer")
        };
        assert!(fewer.is_right(&json!(281_934)));
        assert!(!fewer.is_right(&json!(400_000)));
        assert!(!fewer.is_right(&json!("many")));
    }

    #[test]
    fn printed_sources_read_the_word_after_their_text() {
        let line = |pid, text: &str| Event {
            t_us: 1,
            pid,
            kind: EventKind::Print { text: text.into() },
        };
        let total = AnswerSource::Printed {
            after: "total:".into(),
            process: None,
        };
        assert_eq!(total.read(&line(3, "total: 400."), None), Some(json!(400)));
        assert_eq!(total.read(&line(3, "sum 400"), None), None);
        assert_eq!(
            total.read(&line(3, "total:"), None),
            None,
            "nothing after it"
        );
        assert_eq!(
            total.read(&line(3, "pi ~ total: 2.5, ok"), None),
            Some(json!(2.5))
        );
        let named = AnswerSource::Printed {
            after: "got".into(),
            process: Some("consumer".into()),
        };
        assert_eq!(
            named.read(&line(4, "got None"), Some("consumer")),
            Some(json!("None"))
        );
        assert_eq!(named.read(&line(4, "got None"), Some("main")), None);
    }

    #[test]
    fn sources_pick_their_event() {
        let ev = |kind| Event {
            t_us: 1,
            pid: 7,
            kind,
        };
        let num = AnswerSource::Value {
            name: "num".into(),
            process: Some("main".into()),
        };
        let v = ev(EventKind::Value {
            name: "num".into(),
            value: json!(10),
        });
        assert_eq!(num.read(&v, Some("main")), Some(json!(10)));
        assert_eq!(num.read(&v, Some("child 0")), None);
        let counter = AnswerSource::Result("counter".into());
        let r = ev(EventKind::Result {
            name: "counter".into(),
            value: json!(4000),
        });
        assert_eq!(counter.read(&r, None), Some(json!(4000)));
        assert_eq!(counter.read(&v, None), None);
        let s = ev(EventKind::Summary {
            processes: 11,
            leaked: 0,
            duration_us: 5,
            results: [("pi".to_string(), json!(3.1))].into_iter().collect(),
        });
        assert_eq!(
            AnswerSource::Summary("processes".into()).read(&s, None),
            Some(json!(11))
        );
        assert_eq!(
            AnswerSource::Summary("pi".into()).read(&s, None),
            Some(json!(3.1))
        );
    }
}
