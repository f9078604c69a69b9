#!/usr/bin/env python3
"""Turns a terminal capture with colours (`tmux capture-pane -e -p`) into an SVG.

Used by scripts/screenshot.sh to make the README's screenshot from a real session.
Handles the SGR codes tmux emits: reset, bold, dim, reverse, 16/256/RGB colours.
"""
import html
import re
import sys
import unicodedata

CELL_W, CELL_H, FONT = 8.4, 17, 14
BASE16 = ["#1d1f21", "#cc342b", "#198844", "#d8a200", "#3971ed", "#a36ac7", "#3971ed",
          "#c5c8c6", "#666666", "#ff5f5f", "#5fd75f", "#ffd75f", "#5fafff", "#d787ff",
          "#5fd7ff", "#ffffff"]
FG, BG = "#d0d0d0", "#111111"


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def apply_sgr(params, st):
    codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            st.update(fg=None, bg=None, bold=False, dim=False, rev=False)
        elif c == 1:
            st["bold"] = True
        elif c == 2:
            st["dim"] = True
        elif c == 22:
            st.update(bold=False, dim=False)
        elif c == 7:
            st["rev"] = True
        elif c == 27:
            st["rev"] = False
        elif 30 <= c <= 37:
            st["fg"] = BASE16[c - 30]
        elif 90 <= c <= 97:
            st["fg"] = BASE16[c - 90 + 8]
        elif 40 <= c <= 47:
            st["bg"] = BASE16[c - 40]
        elif 100 <= c <= 107:
            st["bg"] = BASE16[c - 100 + 8]
        elif c == 39:
            st["fg"] = None
        elif c == 49:
            st["bg"] = None
        elif c in (38, 48) and i + 1 < len(codes):
            key = "fg" if c == 38 else "bg"
            if codes[i + 1] == 5 and i + 2 < len(codes):
                st[key] = xterm256(codes[i + 2])
                i += 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                st[key] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                i += 4
        i += 1


def width(ch):
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def main():
    lines = sys.stdin.read().split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    cols = 0
    out = []
    st = dict(fg=None, bg=None, bold=False, dim=False, rev=False)
    for y, raw in enumerate(lines):
        x = 0
        for m in re.finditer(r"\x1b\[([0-9;]*)m|([^\x1b])", raw):
            if m.group(1) is not None or m.group(0).startswith("\x1b"):
                apply_sgr(m.group(1), st)
                continue
            ch = m.group(2)
            w = width(ch)
            fg, bg = st["fg"] or FG, st["bg"]
            if st["rev"]:
                fg, bg = (st["bg"] or BG), (st["fg"] or FG)
            px, py = x * CELL_W, y * CELL_H
            if bg:
                out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                           % (px, py, w * CELL_W + 0.5, CELL_H, bg))
            if ch != " ":
                weight = ' font-weight="bold"' if st["bold"] else ""
                opacity = ' opacity="0.6"' if st["dim"] else ""
                out.append('<text x="%.1f" y="%d" fill="%s"%s%s>%s</text>'
                           % (px, py + CELL_H - 4, fg, weight, opacity, html.escape(ch)))
            x += w
        cols = max(cols, x)
    W, H = cols * CELL_W, len(lines) * CELL_H
    print('<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%d" '
          'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="%d">'
          % (W, H, FONT))
    print('<rect width="100%%" height="100%%" fill="%s"/>' % BG)
    print("\n".join(out))
    print("</svg>")


if __name__ == "__main__":
    main()
