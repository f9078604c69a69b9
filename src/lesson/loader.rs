//! Loading lessons from TOML: parse with spans, validate against the scenario, and
//! report every problem as `file:line:col: message`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::model::{Lesson, Step, Text};
use super::quiz::{AnswerSource, Choice, Condition, Quiz, SUMMARY_FIELDS};
use crate::scenario::{self, Scenario, params};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/lessons.rs"));
}

#[derive(Debug, Clone, PartialEq)]
pub struct LessonError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message may quote the lesson file: shown, never obeyed, and a huge
        // string cut (`crate::visible`).
        let message = crate::visible::cut_long_words(&self.message);
        write!(
            f,
            "{}:{}:{}: {}",
            crate::visible::escape(&self.file),
            self.line,
            self.col,
            crate::visible::escape_lines(&message)
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLesson {
    id: Spanned<String>,
    scenario: Spanned<String>,
    minutes: u32,
    title: Text,
    summary: Text,
    params: Option<Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>>,
    python: Spanned<String>,
    steps: Spanned<Vec<RawStep>>,
    process_lines: Option<BTreeMap<Spanned<String>, Spanned<usize>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    gate: Spanned<String>,
    line: Spanned<usize>,
    title: Text,
    text: Text,
    quiz: Option<Spanned<RawQuiz>>,
    #[serde(default)]
    keep_running: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiz {
    question: Text,
    choices: Spanned<Vec<Spanned<RawChoice>>>,
    answer: Spanned<RawAnswer>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawChoice {
    Plain(String),
    When {
        en: String,
        zh: String,
        when: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    result: Option<String>,
    value: Option<String>,
    process: Option<String>,
    summary: Option<String>,
}

/// 1-based line and column of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Reporter<'a> {
    file: &'a str,
    src: &'a str,
    errors: Vec<LessonError>,
}

impl Reporter<'_> {
    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, col) = line_col(self.src, span.start);
        self.errors.push(LessonError {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        });
    }
}

/// Parses and validates one lesson file; `cap` is the live-process cap to check
/// the lesson's params against.
pub fn parse(file: &str, src: &str, cap: u32) -> Result<Lesson, Vec<LessonError>> {
    let mut rep = Reporter {
        file,
        src,
        errors: Vec::new(),
    };
    let raw: RawLesson = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let message = e.message().trim().to_string();
            rep.at(e.span().unwrap_or(0..0), message);
            return Err(rep.errors);
        }
    };
    let Some(spec) = scenario::find(raw.scenario.get_ref()) else {
        rep.at(
            raw.scenario.span(),
            scenario::unknown(raw.scenario.get_ref()),
        );
        return Err(rep.errors);
    };
    if raw.id.get_ref().trim().is_empty() {
        rep.at(raw.id.span(), "id must not be empty");
    }

    let mut params = params::Params::defaults(spec.params);
    let params_span = raw.params.as_ref().map_or(0..0, |p| p.span());
    for (key, value) in raw.params.iter().flat_map(|p| p.get_ref()) {
        match params::parse_toml(spec.params, spec.id, key.get_ref(), value.get_ref()) {
            Ok(v) => params.set(key.get_ref(), v),
            Err(e) => rep.at(key.span(), e.message),
        }
    }
    // Over the cap is not a broken file: the lesson stays in the course, marked, so a
    // lowered `--cap` closes only the lessons that need more (check-lessons still
    // reports it as a problem).
    let over_cap = if rep.errors.is_empty()
        && let Err(message) = spec.check_cap(&params, cap)
    {
        let (line, col) = line_col(src, params_span.start);
        Some(LessonError {
            file: file.to_string(),
            line,
            col,
            message,
        })
    } else {
        None
    };

    let python_lines = raw.python.get_ref().lines().count();
    if python_lines == 0 {
        rep.at(raw.python.span(), "python must hold the lesson's program");
    }
    if raw.steps.get_ref().is_empty() {
        rep.at(raw.steps.span(), "a lesson needs at least one [[steps]]");
    }
    let mut steps = Vec::new();
    for s in raw.steps.into_inner() {
        if !spec.gates.contains(&s.gate.get_ref().as_str()) {
            rep.at(
                s.gate.span(),
                format!(
                    "scenario '{}' has no gate '{}'; its gates are: {}",
                    spec.id,
                    s.gate.get_ref(),
                    spec.gates.join(", ")
                ),
            );
        }
        let line = *s.line.get_ref();
        if line == 0 || line > python_lines {
            rep.at(
                s.line.span(),
                format!("line {line} is outside the python program (1..={python_lines})"),
            );
        }
        for (which, text) in [("title", &s.title), ("text", &s.text)] {
            if text.en.trim().is_empty() || text.zh.trim().is_empty() {
                rep.at(s.gate.span(), format!("step {which} needs both en and zh"));
            }
        }
        let quiz = s.quiz.and_then(|q| quiz(&mut rep, spec, q));
        steps.push(Step {
            gate: s.gate.into_inner(),
            line,
            title: s.title,
            text: s.text,
            quiz,
            keep_running: s.keep_running,
        });
    }
    let mut process_lines = BTreeMap::new();
    for (gate, line) in raw.process_lines.iter().flatten() {
        if !spec.process_gates.contains(&gate.get_ref().as_str()) {
            let known = if spec.process_gates.is_empty() {
                "none".to_string()
            } else {
                spec.process_gates.join(", ")
            };
            rep.at(
                gate.span(),
                format!(
                    "scenario '{}' has no per-process gate '{}'; its per-process gates: {known}",
                    spec.id,
                    gate.get_ref()
                ),
            );
        }
        let n = *line.get_ref();
        if n == 0 || n > python_lines {
            rep.at(
                line.span(),
                format!("line {n} is outside the python program (1..={python_lines})"),
            );
        }
        process_lines.insert(gate.get_ref().clone(), n);
    }
    if !rep.errors.is_empty() {
        return Err(rep.errors);
    }
    Ok(Lesson {
        id: raw.id.into_inner(),
        scenario: spec.id,
        minutes: raw.minutes,
        title: raw.title,
        summary: raw.summary,
        params,
        python: raw.python.into_inner().trim_start_matches('\n').to_string(),
        steps,
        process_lines,
        source: file.to_string(),
        over_cap,
    })
}

/// Checks a step's quiz: 2 to 9 choices (the number keys), both languages, conditions
/// that parse, and exactly one place the answer comes from.
fn quiz(rep: &mut Reporter, spec: &Scenario, raw: Spanned<RawQuiz>) -> Option<Quiz> {
    let span = raw.span();
    let raw = raw.into_inner();
    let before = rep.errors.len();
    if raw.question.en.trim().is_empty() || raw.question.zh.trim().is_empty() {
        rep.at(span.clone(), "quiz question needs both en and zh");
    }
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
        match c.into_inner() {
            RawChoice::Plain(s) => choices.push(Choice {
                text: Text {
                    en: s.clone(),
                    zh: s,
                },
                when: None,
            }),
            RawChoice::When { en, zh, when } => match Condition::parse(&when) {
                Ok(c) => choices.push(Choice {
                    text: Text { en, zh },
                    when: Some(c),
                }),
                Err(e) => rep.at(at, format!("choice condition {e}")),
            },
        }
    }
    let a_span = raw.answer.span();
    let a = raw.answer.into_inner();
    let answer = match (a.result, a.value, a.summary) {
        (Some(name), None, None) if a.process.is_none() => Some(AnswerSource::Result(name)),
        (None, Some(name), None) => Some(AnswerSource::Value {
            name,
            process: a.process,
        }),
        (None, None, Some(field)) if a.process.is_none() => Some(AnswerSource::Summary(field)),
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
        None => None,
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
    })
}

/// Loads the lessons built into the binary, or every `*.toml` in `dir`, in file-name
/// order (file names start with the course position: `01-…`).
pub fn load(dir: Option<&Path>, cap: u32) -> Result<Vec<Lesson>, Vec<LessonError>> {
    let files: Vec<(String, String)> = match dir {
        None => builtin::BUILTIN
            .iter()
            .map(|(name, src)| (format!("lessons/{name}"), src.to_string()))
            .collect(),
        Some(dir) => read_dir(dir)?,
    };
    let mut lessons = Vec::new();
    let mut errors = Vec::new();
    for (name, src) in &files {
        match parse(name, src, cap) {
            Ok(l) => lessons.push(l),
            Err(mut e) => errors.append(&mut e),
        }
    }
    let mut ids = BTreeMap::new();
    for l in &lessons {
        if let Some(first) = ids.insert(l.id.clone(), l.source.clone()) {
            errors.push(LessonError {
                file: l.source.clone(),
                line: 1,
                col: 1,
                message: format!("lesson id '{}' is also used by {first}", l.id),
            });
        }
    }
    if errors.is_empty() {
        Ok(lessons)
    } else {
        Err(errors)
    }
}

fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, Vec<LessonError>> {
    let fail = |message: String| {
        vec![LessonError {
            file: dir.display().to_string(),
            line: 1,
            col: 1,
            message,
        }]
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| fail(format!("cannot read the folder: {e}")))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(fail("no *.toml lesson files in this folder".into()));
    }
    let mut files = Vec::new();
    for p in paths {
        let src = std::fs::read_to_string(&p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
        files.push((p.display().to_string(), src));
    }
    Ok(files)
}

#[cfg(test)]
mod tests;
