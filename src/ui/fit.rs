//! Sizes by need: the rows each pane gets from what it has to show, not fixed
//! percentages (a tree of 11 processes must not show 4 while a pane below it is
//! empty), and text cut where it does not fit ending with "…", never mid-glyph.

use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A pane in a stack: the rows it cannot do without, and the rows it could use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub min: u16,
    pub want: u16,
}

impl Part {
    pub fn new(min: u16, want: u16) -> Self {
        Self {
            min,
            want: want.max(min),
        }
    }
}

/// Rows for `parts` stacked in `total`: every part its `min` first (all cut alike if
/// even those do not fit), then, in the order given, each up to its `want`; what is
/// left goes to the part `rest`. The heights always add up to `total`.
pub fn stack(total: u16, parts: &[Part], rest: usize) -> Vec<u16> {
    let mins: u32 = parts.iter().map(|p| u32::from(p.min)).sum();
    let mut out: Vec<u16> = if mins > u32::from(total) {
        // Not even the least: each gets its share of what there is.
        parts
            .iter()
            .map(|p| u16::try_from(u32::from(p.min) * u32::from(total) / mins.max(1)).unwrap_or(0))
            .collect()
    } else {
        parts.iter().map(|p| p.min).collect()
    };
    let mut left = total.saturating_sub(out.iter().sum());
    for (h, p) in out.iter_mut().zip(parts) {
        let more = p.want.saturating_sub(*h).min(left);
        *h += more;
        left -= more;
    }
    if let Some(h) = out.get_mut(rest) {
        *h += left;
    }
    out
}

/// `text` in at most `width` columns, ending with "…" if it had to be cut.
pub fn ellipsis(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// A line of styled spans in at most `width` columns: cut where it runs out, the last
/// column an "…" in the style of the span it cut.
pub fn clip(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let w = span.content.width();
        if used + w < width {
            used += w;
            spans.push(span);
            continue;
        }
        let cut = ellipsis(&span.content, width - used);
        spans.push(Span::styled(cut, span.style));
        break;
    }
    Line::from(spans).style(line.style)
}

/// A line of styled spans wrapped at words into lines of at most `width` columns,
/// each character keeping its span's style (a label's colour survives the wrap).
pub fn wrap_styled(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    let styled: Vec<(char, ratatui::style::Style)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    let plain: String = styled.iter().map(|(c, _)| c).collect();
    let mut at = 0;
    super::wrap::wrap(&plain, width)
        .into_iter()
        .map(|row| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for c in row.chars() {
                // The wrap only drops spaces where it breaks: skip to this character.
                while styled.get(at).is_some_and(|(p, _)| *p != c) {
                    at += 1;
                }
                let style = styled.get(at).map_or_else(Default::default, |(_, s)| *s);
                at += 1;
                match spans.last_mut() {
                    Some(last) if last.style == style => last.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            Line::from(spans).style(line.style)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_gets_its_min_then_its_want_in_order_and_the_rest_goes_to_one() {
        let parts = [Part::new(4, 10), Part::new(3, 6), Part::new(5, 5)];
        assert_eq!(stack(40, &parts, 2), vec![10, 6, 24]);
        // Not enough for every want: the first ones are served first.
        assert_eq!(stack(20, &parts, 2), vec![10, 5, 5]);
        // Not even the mins: all cut alike, never more than there is.
        let h = stack(6, &parts, 2);
        assert!(h.iter().sum::<u16>() <= 6, "{h:?}");
        assert_eq!(stack(0, &parts, 0), vec![0, 0, 0]);
    }

    #[test]
    fn cut_text_ends_with_an_ellipsis_in_its_width() {
        assert_eq!(ellipsis("consumer 0 ⏸ empty", 40), "consumer 0 ⏸ empty");
        assert_eq!(ellipsis("consumer 0 ⏸ empty", 12), "consumer 0 …");
        assert_eq!(ellipsis("消费者进程", 5), "消费…");
        let line = Line::from(vec![
            Span::raw("holds:   "),
            Span::raw("worker 1 → worker 2"),
        ]);
        let cut = clip(line, 16);
        assert_eq!(cut.to_string(), "holds:   worker…");
        assert!(cut.width() <= 16);
    }

    #[test]
    fn a_wrapped_line_keeps_its_styles_and_its_words() {
        use ratatui::style::{Color, Style};
        let red = Style::new().fg(Color::Red);
        let line = Line::from(vec![
            Span::styled("▸ child", red),
            Span::raw("  PID 26111  gone: reaped, status 9 = 0x0009"),
        ]);
        let rows = wrap_styled(&line, 30);
        let text: Vec<String> = rows.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            ["▸ child  PID 26111  gone:", "reaped, status 9 = 0x0009"]
        );
        assert_eq!(rows[0].spans[0].content, "▸ child");
        assert_eq!(rows[0].spans[0].style, red);
        assert!(rows.iter().all(|r| r.width() <= 30));
    }
}
