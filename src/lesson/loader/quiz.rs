//! A step's quiz checked and built: its question, 2 to 9 choices (each a string or a
//! table with its words, a condition and a why), and the one place its answer comes
//! from.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::Reporter;
use crate::lesson::model::{Lang, Text};
use crate::lesson::quiz::{AnswerSource, Choice, Condition, Quiz, SUMMARY_FIELDS};
use crate::scenario::Scenario;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuiz {
    question: Text,
    /// Each a string, or a table (checked key by key in `choice`: serde's untagged
    /// enums would only say "did not match any variant").
    choices: Spanned<Vec<Spanned<toml::Value>>>,
    answer: Spanned<RawAnswer>,
    /// The outcome changes from run to run (races, timings); absent: a fixed fact.
    #[serde(default)]
    varies: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAnswer {
    result: Option<String>,
    value: Option<String>,
    process: Option<String>,
    summary: Option<String>,
    /// Python lessons: the word printed right after this text.
    printed: Option<String>,
}

/// Checks a step's quiz: 2 to 9 choices (the number keys), both languages, conditions
/// that parse, and exactly one place the answer comes from.
pub(super) fn quiz(rep: &mut Reporter, spec: &Scenario, raw: Spanned<RawQuiz>) -> Option<Quiz> {
    let span = raw.span();
    let raw = raw.into_inner();
    let before = rep.errors.len();
    rep.text(span.clone(), "quiz question", &raw.question);
    let n = raw.choices.get_ref().len();
    if !(2..=9).contains(&n) {
        rep.at(
            raw.choices.span(),
            format!("a quiz needs 2 to 9 choices (keys 1-9), not {n}"),
        );
    }
    let mut choices = Vec::new();
    for c in raw.choices.into_inner() {
        let at = c.span();
        if let Some(c) = choice(rep, at, c.into_inner()) {
            choices.push(c);
        }
    }
    let a_span = raw.answer.span();
    let a = raw.answer.into_inner();
    let python = spec.id == crate::ptrace::TRACED.id;
    let answer = match (a.result, a.value, a.summary, a.printed) {
        (Some(name), None, None, None) if a.process.is_none() && !python => {
            Some(AnswerSource::Result(name))
        }
        (None, Some(name), None, None) if !python => Some(AnswerSource::Value {
            name,
            process: a.process,
        }),
        (None, None, Some(field), None) if a.process.is_none() => {
            Some(AnswerSource::Summary(field))
        }
        (None, None, None, Some(after)) if python && !after.trim().is_empty() => {
            Some(AnswerSource::Printed {
                after,
                process: a.process,
            })
        }
        _ if python => {
            rep.at(
                a_span.clone(),
                "a python lesson's answer names one source: { printed = \"text before the value\", process = \"label\" } or { summary = \"processes\" } (also exit_code, signal)",
            );
            None
        }
        _ => {
            rep.at(
                a_span.clone(),
                "answer names one source: { result = \"name\" }, { value = \"name\", process = \"label\" } or { summary = \"processes\" }",
            );
            None
        }
    };
    // A name the scenario never reports would leave the quiz ungraded forever.
    let reported = |name: &str| {
        spec.reports.iter().any(|r| match r.strip_suffix('*') {
            Some(family) => name.starts_with(family),
            None => *r == name,
        })
    };
    let unknown = match &answer {
        Some(AnswerSource::Result(n) | AnswerSource::Value { name: n, .. }) => {
            (!reported(n)).then(|| n.clone())
        }
        Some(AnswerSource::Summary(f)) => {
            (!SUMMARY_FIELDS.contains(&f.as_str()) && !reported(f)).then(|| f.clone())
        }
        Some(AnswerSource::Printed { .. }) | None => None,
    };
    if let Some(name) = unknown {
        let known = if spec.reports.is_empty() {
            "none".to_string()
        } else {
            spec.reports.join(", ")
        };
        rep.at(
            a_span,
            format!(
                "scenario '{}' reports no '{name}' (it reports: {known}; a summary also has {})",
                spec.id,
                SUMMARY_FIELDS.join(", ")
            ),
        );
    }
    if rep.errors.len() > before {
        return None;
    }
    Some(Quiz {
        question: raw.question,
        choices,
        answer: answer?,
        varies: raw.varies,
    })
}

/// "an integer", "a table": a TOML value's type for a message.
fn a_type(v: &toml::Value) -> String {
    let t = v.type_str();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {t}")
}

/// The keys a choice table may have, for the messages.
const CHOICE_KEYS: &str = "text (or en, zh), when, why";

/// One quiz choice: `"20"`, or a table `{ text = "20", why = { en = "…", zh = "…" } }`,
/// its text per language (`en = "…", zh = "…"`) and a `when` condition if the words
/// are not the value itself. None (and the problem reported) if it is malformed.
fn choice(rep: &mut Reporter, at: Range<usize>, raw: toml::Value) -> Option<Choice> {
    let table = match raw {
        toml::Value::String(s) => {
            return Some(Choice {
                text: Text::same(s),
                when: None,
                why: None,
            });
        }
        toml::Value::Table(t) => t,
        other => {
            rep.at(
                at,
                format!(
                    "a quiz choice is a string (\"20\") or a table ({CHOICE_KEYS}), not {}",
                    a_type(&other)
                ),
            );
            return None;
        }
    };
    let before = rep.errors.len();
    let (mut same, mut langs, mut when, mut why) = (None, Vec::new(), None, None);
    for (key, value) in table {
        let lang = Lang::parse(&key).filter(|l| l.code() == key);
        match (key.as_str(), value, lang) {
            ("text", toml::Value::String(s), _) => same = Some(s),
            ("when", toml::Value::String(s), _) => match Condition::parse(&s) {
                Ok(c) => when = Some(c),
                Err(e) => rep.at(at.clone(), format!("choice condition {e}")),
            },
            ("why", toml::Value::Table(t), _) => match Text::deserialize(toml::Value::Table(t)) {
                Ok(t) => why = Some(t),
                Err(e) => rep.at(at.clone(), format!("a choice's why: {}", e.message())),
            },
            ("why", _, _) => rep.at(
                at.clone(),
                "a choice's why is written per language: why = { en = \"…\", zh = \"…\" }",
            ),
            (_, toml::Value::String(s), Some(lang)) => langs.push((lang, s)),
            ("text" | "when", v, _) | (_, v, Some(_)) => rep.at(
                at.clone(),
                format!("a choice's {key} is a string, not {}", a_type(&v)),
            ),
            (other, _, None) => rep.at(
                at.clone(),
                format!("unknown key '{other}' in a quiz choice (it may have: {CHOICE_KEYS})"),
            ),
        }
    }
    let text = match (same, langs.is_empty()) {
        (Some(s), true) => Text::same(s),
        (None, false) => {
            let pairs: Vec<(Lang, &str)> = langs.iter().map(|(l, s)| (*l, s.as_str())).collect();
            Text::of(&pairs)
        }
        (Some(_), false) => {
            rep.at(
                at,
                "a choice's words are written once: text = \"…\" (the same in every language) or per language (en = \"…\", zh = \"…\"), not both",
            );
            return None;
        }
        (None, true) => {
            // Unless its words were there, in the wrong type (said already).
            if rep.errors.len() == before {
                rep.at(
                    at,
                    "a quiz choice table needs its words: text = \"…\", or en = \"…\", zh = \"…\"",
                );
            }
            return None;
        }
    };
    rep.text(at.clone(), "quiz choice", &text);
    if let Some(why) = &why {
        rep.text(at, "a choice's why", why);
    }
    (rep.errors.len() == before).then_some(Choice { text, when, why })
}
