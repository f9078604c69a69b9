//! Python's `repr()` of the plain values (float, str, bytes), as CPython writes it.
//! Shared by the pickle decoder (`ptrace::pickle`) and the wire's `py_repr`
//! (`trace::event`), so it sits below both.

use std::fmt::Write as _;

use unicode_general_category::{GeneralCategory, get_general_category};

/// A string as Python's `repr()` writes it, quotes and escapes included.
pub fn str_repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str_repr(s, &mut out);
    out
}

/// A float as `repr()` writes it: the shortest digits that read back the same, in
/// positional notation from 1e-4 up to 1e16 (`0.1`, `1.0`, `-0.0`), else in scientific
/// notation with a signed two-digit exponent (`1e+100`, `1.5e-05`); `inf`, `nan`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` and `{}` also write the shortest round-trip digits.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let s = format!("{x}");
        if s.contains('.') { s } else { s + ".0" }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    }
}

/// Python's quote choice: single quotes, unless the text has a single quote and no
/// double quote.
fn quote(has_single: bool, has_double: bool) -> char {
    if has_single && !has_double { '"' } else { '\'' }
}

/// Whether `repr()` writes a non-ASCII character as itself (`str.isprintable`): not a
/// control, format, surrogate, private-use, unassigned or separator character.
fn printable(c: char) -> bool {
    !matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::SpaceSeparator
    )
}

/// `str_repr`, written onto `out`.
pub fn write_str_repr(s: &str, out: &mut String) {
    let q = quote(s.contains('\''), s.contains('"'));
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c if !c.is_ascii() && printable(c) => out.push(c),
            c => {
                let n = u32::from(c);
                let _ = if n <= 0xff {
                    write!(out, "\\x{n:02x}")
                } else if n <= 0xffff {
                    write!(out, "\\u{n:04x}")
                } else {
                    write!(out, "\\U{n:08x}")
                };
            }
        }
    }
    out.push(q);
}

/// Bytes as `repr()` writes them; `bytearray`'s repr (in CPython) escapes a single
/// quote even inside double quotes: `bytearray(b"it\'s")`.
pub fn write_bytes_repr(b: &[u8], out: &mut String, bytearray: bool) {
    let q = quote(b.contains(&b'\''), b.contains(&b'"'));
    out.push('b');
    out.push(q);
    for &x in b {
        match x {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            x if char::from(x) == q || (bytearray && x == b'\'') => {
                out.push('\\');
                out.push(char::from(x));
            }
            b' '..=b'~' => out.push(char::from(x)),
            x => {
                let _ = write!(out, "\\x{x:02x}");
            }
        }
    }
    out.push(q);
}
