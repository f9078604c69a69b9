//! Text from outside proclab (a trace file, a traced program's argv, a lesson file, a
//! parameter typed on the command line) made safe to print on a terminal: every
//! control character is shown, never obeyed. ESC is `\e`, tab, newline and carriage
//! return are `\t`, `\n` and `\r`, any other (C0, DEL, C1) `\xNN`; so `\e]2;title\x07`
//! cannot retitle the terminal, write the clipboard (OSC 52) or move the cursor. The one
//! place every printed path goes through: the readable logs (`describe`, `readable`),
//! `list`, error messages; `--json` lines go through [`json_line`] instead, which keeps
//! them JSON.

use std::borrow::Cow;
use std::fmt::Write;

/// `s` with every control character escaped visibly (see the module doc).
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_but(s, None)
}

/// `escape`, keeping line breaks: for messages of several lines.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_but(s, Some('\n'))
}

fn escape_but(s: &str, keep: Option<char>) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && Some(c) != keep) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            c if Some(c) == keep => out.push(c),
            '\x1b' => out.push_str("\\e"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The longest run of non-blank characters a message repeats whole; a longer one
/// (a 5 MB string in a lesson file) is cut, saying its length.
pub const LONGEST_WORD: usize = 200;

/// `s` with every run of more than [`LONGEST_WORD`] non-blank characters cut to its
/// start and its length: `AAAA…… [5000000 characters]`.
pub fn cut_long_words(s: &str) -> Cow<'_, str> {
    let long = s
        .split(char::is_whitespace)
        .any(|w| w.len() > LONGEST_WORD && w.chars().count() > LONGEST_WORD);
    if !long {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let n = word.chars().count();
        if n > LONGEST_WORD {
            out.extend(word.chars().take(LONGEST_WORD / 4));
            let _ = write!(out, "… [{n} characters]");
        } else {
            out.push_str(word);
        }
        let blank = after.chars().next().map_or(0, char::len_utf8);
        out.push_str(&after[..blank]);
        rest = &after[blank..];
    }
    Cow::Owned(out)
}

/// A JSON line safe on a terminal and still the same JSON: DEL and the C1 controls
/// (which JSON allows raw inside strings, and some terminals obey: U+009B is CSI) become
/// `\u00NN` escapes; a tab or carriage return (which valid JSON has only between
/// tokens) becomes a space. Other control characters cannot be in valid JSON.
pub fn json_line(line: &str) -> Cow<'_, str> {
    if !line.chars().any(char::is_control) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in line.chars() {
        match c {
            '\t' | '\r' => out.push(' '),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert_eq!(escape("plain, 中文"), "plain, 中文");
        assert_eq!(
            escape("\x1b]2;pwned\x07a\tb\r\n\x7f\u{9b}2J"),
            "\\e]2;pwned\\x07a\\tb\\r\\n\\x7f\\x9b2J"
        );
        assert_eq!(escape_lines("one\ntwo\x1b[2J"), "one\ntwo\\e[2J");
    }

    #[test]
    fn long_words_are_cut_saying_their_length() {
        let big = "A".repeat(5_000_000);
        let message = format!("unknown scenario '{big}'; valid: a, b");
        let said = cut_long_words(&message);
        assert_eq!(
            said,
            format!(
                "unknown scenario '{}… [5000003 characters] valid: a, b",
                "A".repeat(49)
            )
        );
        assert!(matches!(
            cut_long_words("short words\nstay"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn json_lines_stay_the_same_json() {
        let line = "{\"text\":\"a\u{9b}2J\u{7f}b\"}\r";
        let safe = json_line(line);
        assert!(!safe.chars().any(char::is_control), "{safe:?}");
        let a: serde_json::Value = serde_json::from_str(line).unwrap();
        let b: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(a, b);
        assert!(matches!(json_line("{\"a\":1}"), Cow::Borrowed(_)));
    }
}
