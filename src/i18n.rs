//! The interface's words, one file per language: `assets/i18n/<code>.toml`, embedded
//! at build time (`build.rs`), so a third language is a file, not a code change.
//!
//! A file is TOML tables of templates; a key is the dotted path (`tree.title`), a
//! `{name}` in a template is filled by the caller. `[meta]` says how the language is
//! named (`meta.name`, for the `L` key) and whether its letters fit the presenter's
//! 8×8 big font (`meta.big_font`). English is the language every other falls back to;
//! `tests` fail when a key or a placeholder is missing in one language.
//!
//! Terms a learner meets in `ps`, man pages and Python (PID, PPID, SIGTERM, waitpid,
//! exit codes, `exit(1)`, syscall names, `Queue.put`) stay as they are in every
//! language: they are written into the templates as such (see `KEPT`).
//!
//! Below `app`, `ui`, `describe` and `lesson`: every one of them speaks through it.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::OnceLock;

mod english;
#[cfg(test)]
use english::reason_key;
pub use english::{cap_refusal, reason, state_word, wire};

mod files {
    include!(concat!(env!("OUT_DIR"), "/languages.rs"));
}

/// A language of the interface: an index into the embedded files (English is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lang(u8);

/// Where `code` is in the embedded files (`usize::MAX` if it is not).
const fn position(code: &str) -> usize {
    let mut i = 0;
    while i < files::LANGUAGES.len() {
        let have = files::LANGUAGES[i].0.as_bytes();
        let want = code.as_bytes();
        if have.len() == want.len() {
            let mut j = 0;
            while j < have.len() && have[j] == want[j] {
                j += 1;
            }
            if j == have.len() {
                return i;
            }
        }
        i += 1;
    }
    usize::MAX
}

// The two languages the lessons are written in have names in code (tests, the
// CJK-aware choices); any other is reached by its code.
#[allow(
    non_upper_case_globals,
    clippy::cast_possible_truncation,
    reason = "a language's index in the embedded files, of which there are a handful (a test keeps them under 256)"
)]
impl Lang {
    pub const En: Lang = Lang(position("en") as u8);
    pub const Zh: Lang = Lang(position("zh") as u8);

    /// Every language there is a file for, English first.
    pub fn all() -> impl Iterator<Item = Lang> {
        (0..files::LANGUAGES.len()).map(|i| Lang(i as u8))
    }

    /// `en`, `zh`: the file's name, and what `--lang` and a lesson's text tables use.
    pub fn code(self) -> &'static str {
        files::LANGUAGES[usize::from(self.0)].0
    }

    /// A language by its code; `zh_CN.UTF-8` and `zh-TW` are `zh` (what LANG holds).
    pub fn parse(s: &str) -> Option<Lang> {
        let base = s.split(['_', '-', '.', '@']).next().unwrap_or("");
        Lang::all().find(|l| l.code().eq_ignore_ascii_case(base))
    }

    /// From LC_ALL, LC_MESSAGES or LANG (the first set), as gettext reads them; a
    /// language without a file, `C` or `POSIX` is English.
    pub fn from_env() -> Lang {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(v) = std::env::var(var)
                && !v.is_empty()
            {
                return Lang::parse(&v).unwrap_or(Lang::En);
            }
        }
        Lang::En
    }

    /// The next language for the `L` key (back to the first after the last).
    pub fn next(self) -> Lang {
        Lang(((usize::from(self.0) + 1) % files::LANGUAGES.len()) as u8)
    }

    /// The language's own name (`English`, `中文`).
    pub fn name(self) -> &'static str {
        t(self, "meta.name")
    }

    /// Whether the presenter's 8×8 font has its letters (Latin only).
    pub fn big_font(self) -> bool {
        t(self, "meta.big_font") == "true"
    }
}

/// A text of a lesson in the languages its author wrote (`en = "…"`, `zh = "…"`, or a
/// code with a file in `assets/i18n/`). One language is enough: a missing one falls
/// back to English, then to any written (`check-lessons` notes it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Text(BTreeMap<String, String>);

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        use serde::de::Error;
        let map = BTreeMap::<String, String>::deserialize(d)?;
        if let Some(code) = map
            .keys()
            .find(|c| Lang::parse(c).is_none_or(|l| l.code() != *c))
        {
            let known: Vec<&str> = Lang::all().map(Lang::code).collect();
            return Err(D::Error::custom(format!(
                "'{code}' is not a language proclab has (it has: {})",
                known.join(", ")
            )));
        }
        Ok(Text(map))
    }
}

impl Text {
    /// The same words in every language (a number, a name).
    pub fn same(s: impl Into<String>) -> Text {
        let s = s.into();
        Text(
            Lang::all()
                .map(|l| (l.code().to_string(), s.clone()))
                .collect(),
        )
    }

    /// `[(Lang::En, "…"), (Lang::Zh, "…")]`.
    pub fn of(pairs: &[(Lang, &str)]) -> Text {
        Text(
            pairs
                .iter()
                .map(|(l, s)| (l.code().to_string(), s.to_string()))
                .collect(),
        )
    }

    /// In `lang` if written, else English, else the first language written.
    pub fn get(&self, lang: Lang) -> &str {
        self.written(lang)
            .or_else(|| self.written(Lang::En))
            .or_else(|| self.0.values().find(|s| !s.trim().is_empty()))
            .map_or("", String::as_str)
    }

    /// Only what was written in `lang` (empty counts as not written).
    pub fn written(&self, lang: Lang) -> Option<&String> {
        self.0.get(lang.code()).filter(|s| !s.trim().is_empty())
    }

    /// Written in no language at all.
    pub fn is_blank(&self) -> bool {
        self.0.values().all(|s| s.trim().is_empty())
    }

    /// The languages of the interface this text has no words for.
    pub fn missing(&self) -> Vec<Lang> {
        Lang::all().filter(|l| self.written(*l).is_none()).collect()
    }
}

/// Every file's templates, flattened to dotted keys.
fn tables() -> &'static Vec<BTreeMap<String, String>> {
    static ALL: OnceLock<Vec<BTreeMap<String, String>>> = OnceLock::new();
    ALL.get_or_init(|| {
        files::LANGUAGES
            .iter()
            // A broken file (caught by the tests) is an empty one: English answers.
            .map(|(_, src)| parse(src).unwrap_or_default())
            .collect()
    })
}

/// A language file as its dotted keys and templates.
pub fn parse(src: &str) -> Result<BTreeMap<String, String>, String> {
    let table: toml::Table = toml::from_str(src).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    flatten("", &table, &mut out)?;
    Ok(out)
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out)?,
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Boolean(b) => {
                out.insert(key, b.to_string());
            }
            _ => return Err(format!("{key}: a template must be a string")),
        }
    }
    Ok(())
}

/// The template for `key` in `lang`, else in English, else the key itself (a test
/// keeps that from happening).
pub fn t(lang: Lang, key: &str) -> &'static str {
    let all = tables();
    all.get(usize::from(lang.0))
        .and_then(|m| m.get(key))
        .or_else(|| all.first().and_then(|m| m.get(key)))
        .map_or_else(|| leak_key(key), String::as_str)
}

/// A missing key is shown as itself; interned so `t` can stay `&'static`.
fn leak_key(key: &str) -> &'static str {
    static SEEN: OnceLock<std::sync::Mutex<BTreeMap<String, &'static str>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let Ok(mut seen) = seen.lock() else {
        return "?";
    };
    seen.entry(key.to_string())
        .or_insert_with(|| Box::leak(key.to_string().into_boxed_str()))
}

/// The template for `key` with its `{name}`s filled.
pub fn fill(lang: Lang, key: &str, args: &[(&str, &dyn Display)]) -> String {
    let template = t(lang, key);
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(&v.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `tr!(lang, "key")` or `tr!(lang, "key", name = value, …)`: the text now.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $key:literal) => {
        $crate::i18n::t($lang, $key)
    };
    ($lang:expr, $key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::fill($lang, $key, &[$((stringify!($name), &$value as &dyn std::fmt::Display)),+])
    };
}

/// Something to be said, in whatever language the screen has when it is drawn: the
/// log and the notices keep these, so `L` changes every line already there.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    /// As it is: a program's output, a path, a name, a number.
    Raw(String),
    /// A template and what fills it (itself said in the screen's language).
    Key(&'static str, Vec<(&'static str, Said)>),
    /// A state letter's word (`state_word`).
    State(char),
    /// Why a process waits, as the observer wrote it (`reason`).
    Reason(String),
    /// A phrase from the wire (`wire`).
    Wire(String),
    /// A method call on a named object: `name.method` (`call`).
    Call(String, String),
    /// A lesson's own words (written in one language or several: `Text::get`).
    Text(Text),
    /// Why a lesson is closed under a lowered `--cap` (`cap_refusal`).
    CapRefusal(String),
}

impl Said {
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Said::Raw(s) => s.clone(),
            Said::Key(key, args) => {
                let filled: Vec<(&str, String)> =
                    args.iter().map(|(n, v)| (*n, v.text(lang))).collect();
                let refs: Vec<(&str, &dyn Display)> = filled
                    .iter()
                    .map(|(n, v)| (*n, v as &dyn Display))
                    .collect();
                fill(lang, key, &refs)
            }
            Said::State(letter) => state_word(lang, *letter).to_string(),
            Said::Reason(english) => reason(lang, english),
            Said::Wire(english) => wire(lang, english),
            Said::Call(name, method) => call(lang, name, method),
            Said::Text(text) => text.get(lang).to_string(),
            Said::CapRefusal(english) => cap_refusal(lang, english),
        }
    }
}

/// `parent_conn.recv()` reads as Python when the name is one; `worker 9.recv()` would
/// read as attribute access on a number, so a name that is not an identifier is said
/// apart: `recv() on worker 9`.
pub fn call(lang: Lang, name: &str, method: &str) -> String {
    let identifier = name
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_alphanumeric());
    if identifier {
        format!("{name}.{method}")
    } else {
        tr!(lang, "log.call_on", method = method, name = name)
    }
}

#[cfg(test)]
impl Said {
    /// Whether the English words contain `needle` (what tests ask of a log line).
    pub fn contains(&self, needle: &str) -> bool {
        self.text(Lang::En).contains(needle)
    }
}

/// In English: for messages to a log file, `Debug`-like uses and tests.
impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl From<String> for Said {
    fn from(s: String) -> Said {
        Said::Raw(s)
    }
}
impl From<&str> for Said {
    fn from(s: &str) -> Said {
        Said::Raw(s.to_string())
    }
}
impl From<&String> for Said {
    fn from(s: &String) -> Said {
        Said::Raw(s.clone())
    }
}
macro_rules! said_from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Said {
            fn from(n: $t) -> Said {
                Said::Raw(n.to_string())
            }
        }
    )*};
}
said_from_number!(i32, u32, i64, u64, usize, char);

/// `said!("key", name = value, …)`: a `Said` to be put in words when drawn.
#[macro_export]
macro_rules! said {
    ($key:literal) => {
        $crate::i18n::Said::Key($key, Vec::new())
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::Said::Key($key, vec![$((stringify!($name), $crate::i18n::Said::from($value))),+])
    };
}

/// A number of things: the `.one` template for 1 if the language has one (English
/// does, Chinese does not need it), else the plain one.
pub fn count(lang: Lang, key: &str, n: usize) -> String {
    let one = format!("{key}.one");
    let all = tables();
    let has_one = all
        .get(usize::from(lang.0))
        .is_some_and(|m| m.contains_key(&one));
    let chosen = if n == 1 && has_one {
        one
    } else {
        format!("{key}.many")
    };
    fill(lang, &chosen, &[("n", &n)])
}

/// Words kept as they are on every screen, in every language: what a learner meets
/// in `ps`, `kill -l`, man pages and Python's docs. The test that reads a Chinese
/// screen for English words allows these (and signal names, Python code and process
/// labels, which are the program's own names).
pub const KEPT: &[&str] = &[
    "PID",
    "PPID",
    "PGID",
    "SIGTERM",
    "SIGKILL",
    "SIGINT",
    "SIGHUP",
    "SIGSTOP",
    "SIGCONT",
    "SIGUSR1",
    "SIGUSR2",
    "SIGCHLD",
    "SIGPIPE",
    "SIGSEGV",
    "SIGTTIN",
    "SIGTTOU",
    "SIGXFSZ",
    "SIGQUIT",
    "SIGALRM",
    "waitpid",
    "wait",
    "fork",
    "exec",
    "exit",
    "futex",
    "pidfd",
    "poll",
    "select",
    "Ctrl",
    "Space",
    "Enter",
    "Esc",
    "Tab",
    "PgDn",
    "PgUp",
    "Home",
    "WIFEXITED",
    "WEXITSTATUS",
    "WIFSIGNALED",
    "WTERMSIG",
    "WCOREDUMP",
    "WIFSTOPPED",
    "WSTOPSIG",
    "WIFCONTINUED",
    "KeyboardInterrupt",
    "SigIgn",
    "SigCgt",
    "CPU",
    "Python",
    "python3",
    "proclab",
    "time.sleep",
    "status",
    "defunct",
    "EN",
    "core",
    "Ctrl-C",
    "jk",
    "replay",
];

/// Python's own names a screen may show as the code writes them (classes, methods,
/// literals): kept in every language, like `KEPT`.
pub const PYTHON: &[&str] = &[
    "Queue",
    "Pipe",
    "Pool",
    "Lock",
    "Semaphore",
    "Event",
    "Process",
    "Manager",
    "put",
    "get",
    "send",
    "recv",
    "acquire",
    "release",
    "wait",
    "set",
    "map",
    "imap",
    "join",
    "start",
    "None",
    "True",
    "False",
    "len",
    "maxsize",
    "print",
    "os",
    "event",
    "multiprocessing",
];

#[cfg(test)]
mod tests;
