//! Word wrapping by display width that also breaks between CJK characters
//! (ratatui breaks only at spaces, which leaves Chinese text ragged).

use unicode_width::UnicodeWidthChar;

/// True for characters a line may break before or after without a space.
fn breaks_freely(c: char) -> bool {
    c.width().unwrap_or(0) >= 2
}

/// CJK punctuation that must not start a line.
fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '；' | '：' | '、' | '！' | '？' | '）' | '”' | '’' | '》' | '」'
    )
}

/// CJK opening brackets and quotes, which must not end a line.
fn no_break_after(c: char) -> bool {
    matches!(c, '（' | '“' | '‘' | '《' | '「' | '『' | '【')
}

/// Whether a line may break between `prev` and `next`: after a space, or next to a
/// CJK character, but never before punctuation that must not start a line nor after
/// an opening bracket.
fn may_break_between(prev: char, next: char) -> bool {
    !no_break_before(next)
        && !no_break_after(prev)
        && (prev == ' ' || breaks_freely(prev) || breaks_freely(next))
}

/// Wraps `text` into lines of at most `width` columns (wider single words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0;
        // Where the line may be cut: byte index in `line` and the width before it.
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        for c in para.chars() {
            let w = c.width().unwrap_or(0);
            // `next_back` reads the last character from the end: O(1), whatever the
            // line's length (a long line must wrap in linear time).
            let last = line.chars().next_back();
            if line_w + w > width && !line.is_empty() {
                if c == ' ' {
                    // The line is full exactly at a space: break here.
                    out.push(std::mem::take(&mut line).trim_end().to_string());
                    line_w = 0;
                    cuts.clear();
                    continue;
                }
                let here = last
                    .filter(|l| may_break_between(*l, c))
                    .map(|_| (line.len(), line_w));
                // Else the last place allowed. A line that is one long word is cut
                // where it is full, unless punctuation would then start the next
                // line: then before the last character that may start one.
                let fallback = || {
                    if !no_break_before(c) {
                        return None;
                    }
                    line.char_indices()
                        .rev()
                        .find(|(i, ch)| *i > 0 && !no_break_before(*ch))
                        .map(|(i, _)| (i, 0))
                };
                let at = here
                    .or_else(|| cuts.iter().rev().find(|(i, _)| *i > 0).copied())
                    .or_else(fallback)
                    .map_or(line.len(), |(i, _)| i);
                let rest = line.split_off(at);
                out.push(line.trim_end().to_string());
                line = rest.trim_start().to_string();
                line_w = line.chars().map(|c| c.width().unwrap_or(0)).sum();
                // Cuts inside what moved down are found again from its characters.
                cuts.clear();
                let moved: Vec<char> = line.chars().collect();
                let mut at = 0;
                let mut w_at = 0;
                for pair in moved.windows(2) {
                    at += pair[0].len_utf8();
                    w_at += pair[0].width().unwrap_or(0);
                    if may_break_between(pair[0], pair[1]) {
                        cuts.push((at, w_at));
                    }
                }
                if c == ' ' && line.is_empty() {
                    continue;
                }
            }
            if let Some(l) = line.chars().next_back()
                && may_break_between(l, c)
            {
                cuts.push((line.len(), line_w));
            }
            line.push(c);
            line_w += w;
        }
        out.push(line.trim_end().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opening_bracket_never_ends_a_line() {
        let text = "SIGTERM 的处理函数是退出前做清理（刷新文件、删除临时文件）的地方";
        for width in 6..40 {
            let lines = wrap(text, width);
            for line in &lines[..lines.len() - 1] {
                let last = line.chars().last().unwrap_or(' ');
                assert!(!no_break_after(last), "width {width}: {line:?}");
            }
        }
    }

    #[test]
    fn cjk_punctuation_after_a_latin_word_does_not_start_a_line() {
        // "（SIGKILL）。" must not leave "）。" at the start of the next line.
        let text = "子进程收到信号（SIGKILL）。它的代码不再运行";
        for width in 8..30 {
            for line in wrap(text, width).iter().skip(1) {
                let first = line.chars().next().unwrap_or(' ');
                assert!(!no_break_before(first), "width {width}: {line:?}");
            }
        }
        let text = "状态是 0x0100，得到的是 256";
        for width in 6..26 {
            for line in wrap(text, width).iter().skip(1) {
                let first = line.chars().next().unwrap_or(' ');
                assert!(!no_break_before(first), "width {width}: {line:?}");
            }
        }
    }
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn english_breaks_at_spaces() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn chinese_fills_lines_and_keeps_punctuation_attached() {
        let lines = wrap("十个子进程现在都挂在 main 下面。前面几个已经退出了", 12);
        for l in &lines {
            assert!(l.width() <= 12, "{l:?} is too wide");
        }
        assert_eq!(lines[0], "十个子进程现");
        assert!(lines.iter().all(|l| !l.starts_with('。')), "{lines:?}");
        // Full at the punctuation: the character before it moves down with it.
        assert_eq!(wrap("一二三四。五", 8), vec!["一二三", "四。五"]);
        let joined: String = lines.concat().replace(' ', "");
        assert_eq!(joined, "十个子进程现在都挂在main下面。前面几个已经退出了");
    }

    /// A long line wraps in time linear in its length: every step looks at the line's
    /// end, never scans it. A scan per character would take minutes on these
    /// 200,000-character lines (tens of seconds even when built with optimisations);
    /// linear, each takes milliseconds.
    #[test]
    fn a_long_line_wraps_in_linear_time() {
        let lines = [
            "a".repeat(200_000),
            "ab ".repeat(70_000),
            "一".repeat(200_000),
            format!("ab{}", "。".repeat(200_000)),
            "（".repeat(200_000),
        ];
        for text in &lines {
            for width in [80, 10_000, 1_000_000] {
                let started = std::time::Instant::now();
                let wrapped = wrap(text, width);
                let took = started.elapsed();
                assert!(
                    took < std::time::Duration::from_secs(5),
                    "{} chars at width {width}: {took:?}",
                    text.chars().count()
                );
                let kept: usize = wrapped.iter().map(|l| l.replace(' ', "").len()).sum();
                assert_eq!(kept, text.replace(' ', "").len(), "width {width}");
            }
        }
    }

    #[test]
    fn newlines_are_kept() {
        assert_eq!(wrap("a\n\nb", 10), vec!["a", "", "b"]);
    }
}
