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

/// The state letter as a word (`S` sleeping), as `ps` would say it in this language.
pub fn state_word(lang: Lang, letter: char) -> &'static str {
    let key = match letter {
        'R' => "state.R",
        'S' => "state.S",
        'D' => "state.D",
        'T' => "state.T",
        't' => "state.t",
        'Z' => "state.Z",
        'X' => "state.X",
        'I' => "state.I",
        _ => "state.unknown",
    };
    t(lang, key)
}

/// Why a process waits (the observer's words, `procfs::reason`, which a recorded
/// trace carries in English too) in this language. A reason proclab does not know
/// stays as it came.
pub fn reason(lang: Lang, english: &str) -> String {
    if lang == Lang::En {
        return english.to_string();
    }
    if let Some(w) = english.strip_prefix("in the kernel: ") {
        return tr!(lang, "reason.in_kernel", wchan = w);
    }
    // A reason may carry what proclab adds after it (`· 45% CPU`).
    match reason_key(english) {
        Some(key) => t(lang, key).to_string(),
        None => english.to_string(),
    }
}

/// The key of one of `procfs::reason`'s phrases (a test keeps the two in step).
fn reason_key(english: &str) -> Option<&'static str> {
    Some(match english {
        "exited; parent hasn't called waitpid" => "reason.zombie",
        "stopped by a signal" => "reason.stopped",
        "stopped by a tracer" => "reason.traced",
        "on a CPU or ready to run" => "reason.running",
        "waiting on a lock (futex)" => "reason.futex",
        "waiting for a child (waitpid)" => "reason.wait",
        "reading a pipe (nothing to read yet)" => "reason.pipe_read",
        "writing a pipe (pipe is full)" => "reason.pipe_write",
        "sleeping (time.sleep)" => "reason.sleep",
        "reading a socket" => "reason.socket",
        "waiting in poll/select" => "reason.poll",
        "sleeping in the kernel" => "reason.kernel",
        _ => return None,
    })
}

/// A phrase the runner or the tracer put on the wire (what a signal's arrival did,
/// why the kernel released a child), in this language; anything else as it came.
pub fn wire(lang: Lang, english: &str) -> String {
    let key = match english {
        "ignored" => "wire.ignored",
        "handler" => "wire.handler",
        "default (terminates)" => "wire.default_term",
        "default (stops)" => "wire.default_stop",
        "default (nothing happens)" => "wire.default_nothing",
        "default (terminates: SIGKILL cannot be caught, blocked or ignored)" => "wire.sigkill",
        "its parent ignores SIGCHLD, so the kernel reaped it at once" => "wire.released_ign",
        "its parent asked for no zombies (SA_NOCLDWAIT), so the kernel reaped it at once" => {
            "wire.released_nocldwait"
        }
        "not seen: it left the process table without a wait proclab saw" => "wire.not_seen",
        // Why the kernel raised a signal itself (the tracer's `kernel_cause`).
        "SEGV_MAPERR: a fault, the address is not mapped" => "wire.cause.segv_maperr",
        "SEGV_ACCERR: a fault, no permission for that access" => "wire.cause.segv_accerr",
        "BUS_ADRALN: a fault, misaligned address" => "wire.cause.bus_adraln",
        "BUS_ADRERR: a fault, no such physical address" => "wire.cause.bus_adrerr",
        "BUS_OBJERR: a fault, hardware error on the object" => "wire.cause.bus_objerr",
        "FPE_INTDIV: a fault, integer division by zero" => "wire.cause.fpe_intdiv",
        "FPE_INTOVF: a fault, integer overflow" => "wire.cause.fpe_intovf",
        "a floating-point fault" => "wire.cause.fpe",
        "a fault, an illegal instruction" => "wire.cause.ill",
        "a trap (breakpoint or trace)" => "wire.cause.trap",
        "CLD_EXITED: a child exited" => "wire.cause.cld_exited",
        "CLD_KILLED: a child was killed" => "wire.cause.cld_killed",
        "CLD_DUMPED: a child dumped core" => "wire.cause.cld_dumped",
        "CLD_TRAPPED: a traced child stopped" => "wire.cause.cld_trapped",
        "CLD_STOPPED: a child stopped" => "wire.cause.cld_stopped",
        "CLD_CONTINUED: a child continued" => "wire.cause.cld_continued",
        "SI_KERNEL: sent by the kernel" => "wire.cause.si_kernel",
        _ => return english.to_string(),
    };
    t(lang, key).to_string()
}

/// Why a lesson is closed under a lowered `--cap`, in this language: `check_cap`'s
/// English (`refused: 1 parent + 3 workers = 4, over the cap of 2 live processes`,
/// a closed set of words the scenarios use) read back term by term. Anything not
/// recognised stays as it came.
pub fn cap_refusal(lang: Lang, english: &str) -> String {
    let plain = english.trim_start_matches("refused: ");
    if lang == Lang::En {
        return plain.to_string();
    }
    let Some((arithmetic, rest)) = plain.split_once(", over the cap of ") else {
        return plain.to_string();
    };
    let Some(cap) = rest.strip_suffix(" live processes") else {
        return plain.to_string();
    };
    let said = if let Some(rounds) = arithmetic
        .strip_prefix("without the break every process forks in each of ")
        .and_then(|r| r.split_once(" rounds: "))
        .map(|(n, _)| n)
    {
        let total = arithmetic
            .rsplit(" = ")
            .next()
            .unwrap_or("")
            .trim_end_matches(" processes");
        tr!(lang, "cap.doubling", n = rounds, total = total)
    } else {
        let Some((terms, total)) = arithmetic.rsplit_once(" = ") else {
            return plain.to_string();
        };
        let terms: Vec<String> = terms.split(" + ").map(|t| cap_term(lang, t)).collect();
        format!("{} = {total}", terms.join(" + "))
    };
    tr!(lang, "cap.over", arithmetic = said, cap = cap)
}

/// One term of a cap's arithmetic (`3 workers`, `main`) in this language.
fn cap_term(lang: Lang, english: &str) -> String {
    let (n, role) = match english.split_once(' ') {
        Some((n, role)) if n.parse::<u64>().is_ok() => (Some(n), role),
        _ => (None, english),
    };
    let key = match role {
        "parent" => "cap.parent",
        "child" | "children" => "cap.child",
        "worker" | "workers" => "cap.worker",
        "pool workers" => "cap.pool_worker",
        "producer" | "producers" => "cap.producer",
        "consumer" | "consumers" => "cap.consumer",
        "waiter" | "waiters" => "cap.waiter",
        "setter" => "cap.setter",
        "caller" => "cap.caller",
        // A process's own name (`main`) or a word proclab does not know.
        _ => return english.to_string(),
    };
    let word = t(lang, key);
    match n {
        Some(n) => format!("{n} {word}"),
        None => word.to_string(),
    }
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
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(template: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            out.insert(after[..close].to_string());
            rest = &after[close + 1..];
        }
        out
    }

    #[test]
    fn every_language_file_parses_with_every_key_and_placeholder() {
        let en = parse(files::LANGUAGES[0].1).expect("en.toml parses");
        assert_eq!(files::LANGUAGES[0].0, "en", "English comes first");
        for (code, src) in files::LANGUAGES {
            let other = parse(src).unwrap_or_else(|e| panic!("{code}.toml: {e}"));
            for (key, template) in &en {
                // `.one` is English grammar: a language without it uses `.many`.
                if key.ends_with(".one") {
                    continue;
                }
                let theirs = other
                    .get(key)
                    .unwrap_or_else(|| panic!("{code}.toml has no key '{key}'"));
                assert_eq!(
                    placeholders(theirs),
                    placeholders(template),
                    "{code}.toml: '{key}' fills other names than en.toml"
                );
            }
            for key in other.keys() {
                assert!(
                    en.contains_key(key),
                    "{code}.toml: '{key}' is not in en.toml"
                );
            }
        }
    }

    /// Every key the code names (`tr!(…, "key"`, `said!("key"`, `t(…, "key")`) is
    /// in English (so in every language, by the test above).
    #[test]
    fn every_key_used_in_the_code_exists() {
        let en = parse(files::LANGUAGES[0].1).expect("en.toml parses");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![root];
        let mut used = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src is readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                // This file's own examples name no real key.
                if path.extension().is_none_or(|x| x != "rs") || path.ends_with("i18n.rs") {
                    continue;
                }
                let src = std::fs::read_to_string(&path).expect("a source file");
                for (i, _) in src.match_indices("said!(\"") {
                    let key = src[i + 7..].split('"').next().unwrap_or("");
                    assert!(en.contains_key(key), "{}: no key '{key}'", path.display());
                    used += 1;
                }
                for (i, _) in src.match_indices("tr!(") {
                    let rest = &src[i + 4..];
                    let Some(q) = rest.find('"') else { continue };
                    // `tr!(lang, "key"`: the first string after one argument.
                    if rest[..q].contains(')') || !rest[..q].contains(',') {
                        continue;
                    }
                    let key = rest[q + 1..].split('"').next().unwrap_or("");
                    assert!(en.contains_key(key), "{}: no key '{key}'", path.display());
                    used += 1;
                }
            }
        }
        assert!(used > 100, "only {used} keys found: the scan is broken");
    }

    #[test]
    fn languages_by_code_and_environment_names() {
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("C"), None);
        assert_eq!(Lang::En.next(), Lang::Zh);
        assert_eq!(Lang::En.code(), "en");
        assert!(Lang::En.big_font() && !Lang::Zh.big_font());
    }

    #[test]
    fn templates_fill_and_missing_keys_show_themselves() {
        assert_eq!(tr!(Lang::En, "test.fill", name = 3), "3 of 3");
        assert_eq!(t(Lang::Zh, "no.such.key"), "no.such.key");
        assert_eq!(count(Lang::En, "count.process", 1), "1 process");
        assert_eq!(count(Lang::En, "count.process", 2), "2 processes");
        assert_eq!(count(Lang::Zh, "count.process", 1), "1 个进程");
        let s = said!("test.fill", name = 7);
        assert_eq!(s.text(Lang::En), "7 of 7");
    }

    /// Every phrase the observer can write has its translation.
    #[test]
    fn every_observer_reason_is_translated() {
        use crate::observe::procfs::reason as why;
        let mut phrases: Vec<String> = ['Z', 'T', 't', 'R'].iter().map(|s| why(*s, "")).collect();
        for wchan in [
            "futex_wait_queue",
            "do_wait",
            "pipe_read",
            "pipe_write",
            "hrtimer_nanosleep",
            "do_signal_stop",
            "unix_stream_read_generic",
            "do_sys_poll",
            "",
        ] {
            phrases.push(why('S', wchan));
        }
        for p in phrases {
            assert!(reason_key(&p).is_some(), "'{p}' has no translation");
        }
        assert_eq!(
            reason(Lang::Zh, "in the kernel: foo"),
            tr!(Lang::Zh, "reason.in_kernel", wchan = "foo")
        );
    }

    /// Every fault or kernel cause the tracer names has its words in each language
    /// (the `si_code`s siginfo(2) lists for the signals the tracer sees raised).
    #[test]
    fn every_kernel_cause_is_translated() {
        use crate::ptrace::sigsend::kernel_cause;
        let mut named = 0;
        for sig in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGFPE,
            libc::SIGILL,
            libc::SIGTRAP,
            libc::SIGCHLD,
        ] {
            for code in (1..=8).chain([0x80]) {
                let english = kernel_cause(sig, code);
                if english.starts_with("si_code ") {
                    continue; // one proclab has no name for: said as the number it is
                }
                named += 1;
                let zh = wire(Lang::Zh, &english);
                assert_ne!(zh, english, "'{english}' has no translation");
                assert_eq!(wire(Lang::En, &english), english);
            }
        }
        assert!(named >= 17, "{named} causes named");
    }

    /// Every scenario's arithmetic under a cap too low for it reads in Chinese with
    /// no English word left but a process's own name (`main`).
    #[test]
    fn every_cap_refusal_is_translated() {
        let mut checked = 0;
        for spec in crate::scenario::ALL {
            let mut sets = vec![Vec::new()];
            if spec.id == "fork-fanout" {
                sets.push(vec!["break_in_child=false".to_string()]);
            }
            for set in sets {
                let params = spec.params_from(&set).expect("defaults");
                let Err(english) = spec.check_cap(&params, 1) else {
                    continue;
                };
                checked += 1;
                let zh = cap_refusal(Lang::Zh, &english);
                let words: Vec<&str> = zh
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| w.len() > 1 && !KEPT.contains(w) && !["main", "break"].contains(w))
                    .collect();
                assert!(words.is_empty(), "{english} → {zh}: {words:?}");
                assert!(zh.contains("上限"), "{zh}");
                assert_eq!(
                    cap_refusal(Lang::En, &english),
                    english.trim_start_matches("refused: ")
                );
            }
        }
        assert!(checked >= 13, "{checked} refusals checked");
    }

    /// `Lang` is a `u8` index into the embedded files.
    #[test]
    fn the_languages_fit_a_lang() {
        assert!(files::LANGUAGES.len() <= usize::from(u8::MAX));
        assert_eq!(Lang::all().count(), files::LANGUAGES.len());
    }
}
