#!/usr/bin/env python3
"""Start-up time to the menu's first frame: spawn `proclab` (or the given command) on a
PTY of 120x40 and time from the fork to the moment the terminal has received MARKER
(text only the drawn menu has; default "quit", the last word of its key line, drawn last. Spaces are never sent on a first frame (ratatui moves the cursor over blank cells), so MARKER is one word), then quit with `q`. Prints each run and the median.

    python3 scripts/first_frame.py [--runs N] [--marker TEXT] BINARY [ARGS...]
"""
import argparse, fcntl, os, pty, select, statistics, struct, sys, termios, time

def once(argv, marker):
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    took = None
    deadline = start + 10
    while time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        # Answer a cursor-position query (CSI 6n) as a terminal would.
        if b"\x1b[6n" in chunk:
            os.write(fd, b"\x1b[1;1R")
        if marker in seen:
            took = time.perf_counter() - start
            break
    os.write(fd, b"q")
    end = time.perf_counter() + 5
    while time.perf_counter() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:
                break
    os.waitpid(pid, 0)
    os.close(fd)
    return took

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--marker", default="quit")
    ap.add_argument("argv", nargs="+")
    a = ap.parse_args()
    times = []
    for _ in range(a.runs):
        t = once(a.argv, a.marker.encode())
        if t is None:
            sys.exit(f"{a.marker!r} never appeared")
        times.append(t * 1000)
    print(" ".join(f"{t:.1f}" for t in times))
    print(f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms over {a.runs} runs")

main()
