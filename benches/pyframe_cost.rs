//! What reading a CPython process's frames costs (`proclab::pyframe`), per interpreter
//! version found (3.9 to 3.13; a missing one is skipped with a message):
//!
//! - `attach`: `PyProcess::attach` (parse the ELF symbols of the binary and libpython,
//!   find `_PyRuntime` and the interpreter): once per process, and again after an exec;
//! - `stack/blocked`: `stack()` of a process whose main thread is blocked in a read 6
//!   frames deep, beside a second thread (waiting on an Event): the case of a process
//!   held by the tracer or waiting in a lesson;
//! - `stack/running`: the same read of a process spinning in a loop 6 frames deep
//!   (a second thread waits on stdin), read while it runs on the other core.
//!
//! Each program is started with `process_group(0)`, says it is ready on stdout (read
//! with a deadline), and is killed and reaped when its bench is done (or on a panic).
//! `harness = false`, criterion; under `cargo test --benches` each routine runs once.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

use criterion::Criterion;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use proclab::pyframe::PyProcess;

const PROGRAM: &str = r#"import sys, threading

def deep(n, spin):
    if n:
        return deep(n - 1, spin)
    print("READY", flush=True)
    if spin:
        x = 0
        while True:
            x += 1
    sys.stdin.buffer.read(1)

threading.Thread(target=lambda: threading.Event().wait(), daemon=True).start()
deep(4, sys.argv[1] == "spin")
"#;

/// An interpreter of version 3.`minor`: pyenv's newest, /usr/bin, /usr/local/bin.
fn python(minor: u32) -> Option<PathBuf> {
    let name = format!("python3.{minor}");
    let mut candidates = Vec::new();
    if let Some(home) = std::env::var_os("HOME")
        && let Ok(entries) = std::fs::read_dir(Path::new(&home).join(".pyenv/versions"))
    {
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("3.{minor}.")))
            })
            .collect();
        dirs.sort();
        candidates.extend(dirs.into_iter().rev().map(|d| d.join("bin").join(&name)));
    }
    candidates.push(Path::new("/usr/bin").join(&name));
    candidates.push(Path::new("/usr/local/bin").join(&name));
    candidates.into_iter().find(|p| p.is_file())
}

/// A running program, killed (its group) and reaped when dropped.
struct Running(Child);

impl Running {
    fn start(python: &Path, script: &Path, mode: &str) -> Running {
        let mut child = Command::new(python)
            .arg(script)
            .arg(mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("start python");
        let stdout = child.stdout.take().expect("piped stdout");
        let running = Running(child);
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) if line == "READY" => return running,
                Ok(_) => {}
                Err(e) => panic!("the program did not say READY: {e}"),
            }
        }
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.0.id()).expect("a PID fits an i32")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Unreaped, so its PID (the group's id) is still its own.
        let _ = killpg(Pid::from_raw(self.pid()), Signal::SIGKILL);
        let _ = self.0.wait();
    }
}

fn bench_version(c: &mut Criterion, python: &Path, script: &Path) {
    let blocked = Running::start(python, script, "block");
    let mut reader = PyProcess::attach(blocked.pid()).expect("attach");
    let version = reader.version().to_string();
    let depth = reader.stack().expect("stack").len();
    assert_eq!(depth, 6, "deep(4..0) and <module>");

    let mut group = c.benchmark_group(format!("pyframe {version}"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("attach", |b| {
        b.iter(|| PyProcess::attach(blocked.pid()).expect("attach"))
    });
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("stack/blocked", |b| {
        b.iter(|| reader.stack().expect("stack"))
    });

    let running = Running::start(python, script, "spin");
    let mut spinning = PyProcess::attach(running.pid()).expect("attach");
    let (mut ok, mut failed) = (0u64, 0u64);
    group.bench_function("stack/running", |b| {
        b.iter(|| match spinning.stack() {
            Ok(s) => {
                ok += 1;
                s.len()
            }
            Err(_) => {
                failed += 1;
                0
            }
        })
    });
    group.finish();
    println!("pyframe {version}: running reads {ok} ok, {failed} failed (raced the interpreter)");
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let dir = std::env::temp_dir().join(format!("proclab-pyframe-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("deep.py");
    std::fs::write(&script, PROGRAM).expect("write the program");
    for minor in 9..=13 {
        match python(minor) {
            Some(python) => bench_version(&mut c, &python, &script),
            None => println!("pyframe 3.{minor}: skipped, no python3.{minor} found"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    c.final_summary();
}
