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
            // The module's own examples and tests name no real key.
            if path.extension().is_none_or(|x| x != "rs")
                || path.ends_with("i18n.rs")
                || path.ends_with("i18n/tests.rs")
            {
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
