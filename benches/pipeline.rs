//! Benchmarks of the front end's hot paths: parsing wire lines and applying them to
//! the state (`update`), and drawing a frame of a large process tree.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proclab::app::{App, Msg, update};
use proclab::lesson::Lang;
use proclab::scenario;
use proclab::trace::event::{Event, EventKind};
use proclab::trace::reader::{Line, parse_line};
use ratatui::{Terminal, backend::TestBackend};

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

fn render(c: &mut Criterion) {
    let mut app = app_with_run();
    for l in wire_lines(200) {
        if let Line::Event(e) = parse_line(&l) {
            update(&mut app, Msg::Event(e));
        }
    }
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    c.bench_function("render 200-process tree at 200x60", |b| {
        b.iter(|| terminal.draw(|f| proclab::ui::render(&app, f)).map(|_| ()))
    });
}

criterion_group!(benches, ingest, render);
criterion_main!(benches);
