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

/// Wraps `text` into lines of at most `width` columns (wider single words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0;
        // Byte index in `line` where the line may be cut, and the width before it.
        let mut cut: Option<(usize, usize)> = None;
        // The break point before the last character, for punctuation that must not
        // start a line: it then takes the character before it along.
        let mut cut_before_last: Option<(usize, usize)> = None;
        for c in para.chars() {
            let w = c.width().unwrap_or(0);
            if line_w + w > width && !line.is_empty() {
                if c == ' ' {
                    // The line is full exactly at a space: break here.
                    out.push(std::mem::take(&mut line).trim_end().to_string());
                    line_w = 0;
                    cut = None;
                    continue;
                }
                let best = if no_break_before(c) {
                    cut_before_last
                } else {
                    cut
                };
                let (at, _) = match best {
                    Some(p) if p.0 > 0 => p,
                    _ => (line.len(), line_w),
                };
                let rest = line.split_off(at);
                out.push(line.trim_end().to_string());
                line = rest.trim_start().to_string();
                line_w = line.chars().map(|c| c.width().unwrap_or(0)).sum();
                cut = None;
                cut_before_last = None;
                if c == ' ' && line.is_empty() {
                    continue;
                }
            }
            if c == ' ' {
                line.push(c);
                line_w += w;
                cut = Some((line.len(), line_w));
                continue;
            }
            if breaks_freely(c) && !no_break_before(c) {
                cut = Some((line.len(), line_w));
            }
            cut_before_last = breaks_freely(c).then_some((line.len(), line_w));
            line.push(c);
            line_w += w;
            if breaks_freely(c) {
                cut = Some((line.len(), line_w));
            }
        }
        out.push(line.trim_end().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn newlines_are_kept() {
        assert_eq!(wrap("a\n\nb", 10), vec!["a", "", "b"]);
    }
}
