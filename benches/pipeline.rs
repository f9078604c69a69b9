//! Benchmarks of the front end's hot paths: reading wire lines off a real pipe, parsing
//! them and applying them to the state (`update`), drawing a frame of a large process
//! tree, and the whole path from one `write(2)` to the end of the frame that shows it.
//!
//! `cargo bench --bench pipeline` prints, at the end, the ingest rates of the `wire`
//! group side by side with the raw pipe read rate of the same run, and the
//! event-to-screen latency (p50, p99) of single events arriving on an idle loop.

#![allow(
    clippy::cast_lossless,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "bench arithmetic: counts and durations turned into rates and ratios to print, all far below where the casts lose anything"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput, criterion_group};
use crossbeam_channel::{select, unbounded};
use proclab::app::{App, Msg, update};
use proclab::lesson::Lang;
use proclab::scenario;
use proclab::trace::event::{Event, EventKind};
use proclab::trace::reader::{Line, for_each_line, parse_line};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

/// A realistic mix: spawns, prints, states and reaps of `n` processes.
fn wire_lines(n: i32) -> Vec<String> {
    let mut lines = Vec::new();
    for pid in 1000..1000 + n {
        let ppid = if pid == 1000 {
            999
        } else {
            1000 + (pid - 1000) / 2
        };
        let kinds = [
            EventKind::Spawn {
                ppid,
                label: format!("child {pid}"),
                start: None,
            },
            EventKind::Print {
                text: format!("child {pid}: hello from the loop"),
            },
            EventKind::State {
                state: "S".into(),
                reason: "sleeping (time.sleep)".into(),
                cpu: Some(0.0),
                ignored: Vec::new(),
                caught: Vec::new(),
                core: None,
            },
            EventKind::Exit { code: 0 },
        ];
        for kind in kinds {
            lines.push(serde_json::to_string(&Event { t_us: 5, pid, kind }).unwrap());
        }
    }
    lines
}

fn app_with_run() -> App {
    let mut app = App::new(Vec::new(), Lang::En);
    let spec = scenario::find("fork-fanout").unwrap();
    let _ = app.open_run(spec, spec.params_from(&[]).unwrap(), 1.0);
    app
}

fn ingest(c: &mut Criterion) {
    let lines = wire_lines(200);
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter(|l| matches!(parse_line(l), Line::Event(_)))
                .count()
        })
    });
    group.bench_function("parse+update", |b| {
        b.iter(|| {
            let mut app = app_with_run();
            for l in &lines {
                if let Line::Event(e) = parse_line(l) {
                    update(&mut app, Msg::Event(e));
                }
            }
            app
        })
    });
    group.finish();
}

// ---- the wire through a real pipe ----------------------------------------------------

/// Processes in one `wire` iteration: 4 lines each (spawn, print, state, exit).
const WIRE_PROCS: i32 = 2000;
const WIRE_GROUP: &str = "wire_8000_lines_through_a_pipe";

/// Writes `bytes` into a fresh pipe(2) from a thread and hands the read end to `read`,
/// which returns how many lines it took; the writer writes in 64 KiB pieces, so the
/// reader is what is timed.
fn through_pipe(bytes: &'static [u8], read: impl FnOnce(std::io::PipeReader) -> usize) -> usize {
    let (reader, mut writer) = std::io::pipe().unwrap();
    let w = std::thread::spawn(move || {
        for piece in bytes.chunks(64 * 1024) {
            writer.write_all(piece).unwrap();
        }
    });
    let n = read(reader);
    w.join().unwrap();
    n
}

/// The reader's loop without parsing: 64 KiB reads, split into trimmed UTF-8 lines,
/// exactly as `for_each_line` does before it calls `parse_line`.
fn raw_lines(source: impl Read) -> usize {
    let mut reader = BufReader::with_capacity(64 * 1024, source);
    let mut buf = Vec::with_capacity(512);
    let mut n = 0;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return n,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                if !text.trim_end().is_empty() {
                    n += 1;
                }
            }
        }
    }
}

fn wire(c: &mut Criterion) {
    let lines = wire_lines(WIRE_PROCS);
    let count = lines.len();
    let bytes: &'static [u8] = Box::leak((lines.join("\n") + "\n").into_bytes().into_boxed_slice());
    let mut group = c.benchmark_group(WIRE_GROUP);
    group.throughput(Throughput::Elements(count as u64));
    group.bench_function("read", |b| {
        b.iter(|| assert_eq!(through_pipe(bytes, raw_lines), count))
    });
    group.bench_function("read+parse", |b| {
        b.iter(|| {
            let n = through_pipe(bytes, |r| {
                let mut n = 0;
                for_each_line(r, |l, _| n += matches!(l, Line::Event(_)) as usize, || {});
                n
            });
            assert_eq!(n, count);
        })
    });
    group.bench_function("read+parse+update", |b| {
        b.iter(|| {
            let mut app = app_with_run();
            let n = through_pipe(bytes, |r| {
                let mut n = 0;
                for_each_line(
                    r,
                    |l, _| {
                        if let Line::Event(e) = l {
                            update(&mut app, Msg::Event(e));
                            n += 1;
                        }
                    },
                    || {},
                );
                n
            });
            assert_eq!(n, count);
            app
        })
    });
    // As the front end runs it: the reader thread parses and hands every pipe read over
    // as one batch on a channel; the main thread applies the batches.
    group.bench_function("read+parse+channel+update", |b| {
        b.iter(|| {
            let (tx, rx) = unbounded::<Vec<Event>>();
            let (reader, mut writer) = std::io::pipe().unwrap();
            let w = std::thread::spawn(move || {
                for piece in bytes.chunks(64 * 1024) {
                    writer.write_all(piece).unwrap();
                }
            });
            let r = std::thread::spawn(move || {
                let batch = std::cell::RefCell::new(Vec::new());
                let hand_over = || {
                    let all = std::mem::take(&mut *batch.borrow_mut());
                    if !all.is_empty() {
                        let _ = tx.send(all);
                    }
                };
                for_each_line(
                    reader,
                    |l, _| {
                        if let Line::Event(e) = l {
                            batch.borrow_mut().push(e);
                        }
                    },
                    hand_over,
                );
                hand_over();
            });
            let mut app = app_with_run();
            let mut n = 0;
            for batch in rx {
                for e in batch {
                    update(&mut app, Msg::Event(e));
                    n += 1;
                }
            }
            w.join().unwrap();
            r.join().unwrap();
            assert_eq!(n, count);
            app
        })
    });
    group.finish();
}

// ---- render -------------------------------------------------------------------------

fn app_with_tree(procs: i32) -> App {
    let mut app = app_with_run();
    for l in wire_lines(procs) {
        if let Line::Event(e) = parse_line(&l) {
            update(&mut app, Msg::Event(e));
        }
    }
    app
}

fn render(c: &mut Criterion) {
    let app = app_with_tree(200);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    c.bench_function("render 200-process tree at 200x60", |b| {
        b.iter(|| terminal.draw(|f| proclab::ui::render(&app, f)).map(|_| ()))
    });
}

// ---- event to screen ----------------------------------------------------------------

/// Counts the bytes a frame would send to the terminal.
#[derive(Default)]
struct Counting(usize);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Single events on an idle loop, as the TUI handles them: a `print` line written to a
/// pipe with one write(2); the reader thread (the production `for_each_line`) parses it
/// and hands it over on a crossbeam channel; the main thread, blocked in `select!`,
/// wakes, runs `update` and draws a 200×60 frame through ratatui's crossterm backend
/// (escape codes encoded, written to a byte counter instead of a TTY). Returns the time
/// from just before write(2) to the end of the draw, for each of `n` events, with
/// `gap` of idleness before each.
fn event_to_screen(n: usize, gap: Duration) -> Vec<Duration> {
    let mut app = app_with_tree(200);
    let area = Rect::new(0, 0, 200, 60);
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(Counting::default()),
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )
    .unwrap();
    terminal.draw(|f| proclab::ui::render(&app, f)).unwrap();
    let (tx, rx) = unbounded::<Vec<Event>>();
    let (reader, mut writer) = std::io::pipe().unwrap();
    let r = std::thread::spawn(move || {
        let batch = std::cell::RefCell::new(Vec::new());
        let hand_over = || {
            let all = std::mem::take(&mut *batch.borrow_mut());
            if !all.is_empty() {
                let _ = tx.send(all);
            }
        };
        for_each_line(
            reader,
            |l, _| {
                if let Line::Event(e) = l {
                    batch.borrow_mut().push(e);
                }
            },
            hand_over,
        );
        hand_over();
    });
    let quit = crossbeam_channel::never::<()>();
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let line = serde_json::to_string(&Event {
            t_us: 10 + i as u64,
            pid: 1000 + (i % 200) as i32,
            kind: EventKind::Print {
                text: format!("child: line {i} of the idle loop"),
            },
        })
        .unwrap()
            + "\n";
        std::thread::sleep(gap);
        let t0 = Instant::now();
        writer.write_all(line.as_bytes()).unwrap();
        select! {
            recv(rx) -> batch => {
                for e in batch.unwrap() {
                    update(&mut app, Msg::Event(e));
                }
            }
            recv(quit) -> _ => unreachable!(),
        }
        terminal.draw(|f| proclab::ui::render(&app, f)).unwrap();
        times.push(t0.elapsed());
    }
    drop(writer);
    r.join().unwrap();
    times
}

fn latency(c: &mut Criterion) {
    c.bench_function("event to screen (write to end of draw)", |b| {
        b.iter_custom(|iters| {
            event_to_screen(iters as usize, Duration::from_micros(200))
                .into_iter()
                .sum()
        })
    });
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Prints the latency distribution of single events after a real pause (idle loop: the
/// reader blocked in read(2), the main thread in `select!`).
fn report_latency() {
    let mut times = event_to_screen(500, Duration::from_millis(2));
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "event to screen, 500 single events 2 ms apart, 200x60 frame: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (goal: one frame, 16.7 ms) -> {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(times[times.len() - 1]),
        if percentile(&times, 0.99) <= Duration::from_micros(16_700) {
            "met"
        } else {
            "NOT met"
        }
    );
}

/// The time per iteration criterion estimated in this run (started at `since`).
fn estimate_ns(group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let home = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("criterion"))
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion"));
    let path = home.join(group).join(id).join("new/estimates.json");
    if path.metadata().and_then(|m| m.modified()).ok()? < since {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| v["mean"]["point_estimate"].as_f64())
}

fn report_wire(since: SystemTime) {
    let lines = (WIRE_PROCS * 4) as f64;
    let rate = |id: &str| estimate_ns(WIRE_GROUP, id, since).map(|ns| lines / (ns / 1e9));
    let Some(raw) = rate("read") else {
        eprintln!("no wire figures: the group was filtered out");
        return;
    };
    println!();
    println!("wire, {lines} lines through a pipe (lines/s, and the share of the raw read rate):");
    println!("  read (64 KiB reads, split into lines)  {raw:>12.0}   1.00");
    for id in [
        "read+parse",
        "read+parse+update",
        "read+parse+channel+update",
    ] {
        if let Some(r) = rate(id) {
            println!("  {id:<38} {r:>12.0}   {:.2}", r / raw);
        }
    }
    if let Some(r) = rate("read+parse+update") {
        println!(
            "ingest (read+parse+update) {:.2} M events/s (goal: at least 1 M/s) -> {}",
            r / 1e6,
            if r >= 1e6 { "met" } else { "NOT met" }
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = ingest, render, wire, latency
}

fn main() {
    let started = SystemTime::now();
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only a real measurement (`cargo bench` passes --bench) leaves fresh estimates;
    // `cargo test --benches` runs each routine once and measures nothing.
    if std::env::args().any(|a| a == "--bench") {
        report_wire(started);
        report_latency();
    }
}
