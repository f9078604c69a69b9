//! A lesson's `[[variants]]` checked and built: the same lesson with other
//! parameters, the program lines that change with them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::Reporter;
use crate::i18n::Text;
use crate::scenario::{Scenario, params};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariant {
    id: Spanned<String>,
    name: Spanned<Text>,
    /// Parameters that differ from the lesson's `[params]`.
    set: Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
    /// Lines of the program that change with them, so the code shown is what runs.
    #[serde(default)]
    code: Vec<Spanned<RawRewrite>>,
    /// Steps whose words change with the variant, by gate: what the lesson says of
    /// the run must be what this run shows (a status of 15, not 9).
    #[serde(default)]
    steps: BTreeMap<Spanned<String>, Spanned<RawStepWords>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStepWords {
    title: Option<Spanned<Text>>,
    text: Option<Spanned<Text>>,
    /// The step's question as this variant asks it (its choices must hold the
    /// answers this run can give).
    quiz: Option<Spanned<super::quiz::RawQuiz>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRewrite {
    from: String,
    to: String,
}

/// A lesson's variants: an id each (unique, not `default`), a name, parameters the
/// scenario has (over the lesson's own, under the cap), and the program lines that
/// change with them (each found exactly once, as many lines after as before).
pub(super) fn check(
    rep: &mut Reporter,
    spec: &Scenario,
    base: &params::Params,
    raw: Option<Vec<Spanned<RawVariant>>>,
    python: &str,
    gates: &[String],
    cap: u32,
) -> Vec<crate::lesson::model::Variant> {
    let mut out: Vec<crate::lesson::model::Variant> = Vec::new();
    for v in raw.unwrap_or_default() {
        let span = v.span();
        let v = v.into_inner();
        let id = v.id.get_ref().trim().to_string();
        if id.is_empty() || id == "default" || out.iter().any(|o| o.id == id) {
            rep.at(
                v.id.span(),
                format!("a variant needs an id of its own (not empty, not 'default', not used twice): '{id}'"),
            );
        }
        rep.text(v.name.span(), "variant name", v.name.get_ref());
        if spec.id == crate::ptrace::TRACED.id {
            rep.at(
                span.clone(),
                "a python lesson has no variants yet: its program is what runs",
            );
        }
        let mut params = base.clone();
        let mut set = Vec::new();
        for (key, value) in v.set.get_ref() {
            match params::parse_toml(spec.params, spec.id, key.get_ref(), value.get_ref()) {
                Ok(p) => {
                    set.push((key.get_ref().clone(), p.to_string()));
                    params.set(key.get_ref(), p);
                }
                Err(e) => rep.at(key.span(), e.message),
            }
        }
        if v.set.get_ref().is_empty() {
            rep.at(v.set.span(), "a variant sets at least one parameter");
        }
        // Over the hard ceiling a variant is a mistake; over a lowered `--cap` it is
        // only not offered (as a lesson over it is closed, not broken).
        if let Err(message) = spec.check_cap(&params, crate::ceiling::MAX_CAP) {
            rep.at(v.set.span(), message);
        }
        let fits = spec.check_cap(&params, cap).is_ok();
        let mut code = Vec::new();
        for r in v.code {
            let at = r.span();
            let r = r.into_inner();
            let found = python.matches(r.from.as_str()).count();
            if r.from.is_empty() || found != 1 {
                rep.at(
                    at,
                    format!(
                        "'{}' must occur exactly once in python (found {found})",
                        r.from
                    ),
                );
            } else if r.from.lines().count() != r.to.lines().count() {
                rep.at(
                    at,
                    "a rewrite keeps the number of lines (the steps name lines)",
                );
            } else {
                code.push((r.from, r.to));
            }
        }
        let steps = step_words(rep, spec, v.steps, gates);
        if !fits {
            continue;
        }
        out.push(crate::lesson::model::Variant {
            id,
            name: v.name.into_inner(),
            set,
            params,
            code,
            steps,
        });
    }
    out
}

/// A variant's own words for some steps, keyed by the step's index: each names a
/// gate of the lesson's steps and says something (a title, a text, a quiz).
fn step_words(
    rep: &mut Reporter,
    spec: &Scenario,
    raw: BTreeMap<Spanned<String>, Spanned<RawStepWords>>,
    gates: &[String],
) -> BTreeMap<usize, crate::lesson::model::StepWords> {
    let mut out = BTreeMap::new();
    for (gate, words) in raw {
        let Some(index) = gates.iter().position(|g| g == gate.get_ref()) else {
            rep.at(
                gate.span(),
                format!(
                    "'{}' is not a step of this lesson (its steps' gates: {})",
                    gate.get_ref(),
                    gates.join(", ")
                ),
            );
            continue;
        };
        let span = words.span();
        let words = words.into_inner();
        if words.title.is_none() && words.text.is_none() && words.quiz.is_none() {
            rep.at(span, "a variant's step says a title, a text or a quiz");
            continue;
        }
        for (what, text) in [("title", &words.title), ("text", &words.text)] {
            if let Some(t) = text {
                rep.text(t.span(), &format!("variant step {what}"), t.get_ref());
            }
        }
        out.insert(
            index,
            crate::lesson::model::StepWords {
                title: words.title.map(Spanned::into_inner),
                text: words.text.map(Spanned::into_inner),
                quiz: words.quiz.and_then(|q| super::quiz::quiz(rep, spec, q)),
            },
        );
    }
    out
}
