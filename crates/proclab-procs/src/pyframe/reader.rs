//! `PyProcess`: one CPython process's frames, read through py-spy without stopping it.

use std::io::ErrorKind;
use std::path::Path;

use py_spy::PythonSpy;
use py_spy::config::{Config, LineNo, LockingStrategy};

use super::{PyFrame, WhyNot};

/// A CPython process whose interpreter has been located. Finding it (parsing the ELF
/// symbols of the binary or libpython, reading `_PyRuntime`) costs tens of
/// milliseconds, so it is done once by [`PyProcess::attach`] and kept; each
/// [`PyProcess::stack`] then costs only memory reads.
///
/// The layout found belongs to the program the process ran at `attach`: after an
/// `exec`, drop it and attach again. A forked child has its own memory: attach to it
/// too.
pub struct PyProcess {
    pid: i32,
    version: String,
    spy: PythonSpy,
}

/// One Python thread of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyThread {
    /// The interpreter's thread id (`threading.get_ident()`, a `pthread_t`).
    pub thread_id: u64,
    /// The kernel's thread id, where the interpreter records it (3.11+); `None` before.
    pub native_id: Option<i32>,
    /// Whether this thread held the GIL when it was read.
    pub owns_gil: bool,
    /// Innermost first.
    pub frames: Vec<PyFrame>,
}

impl PyProcess {
    /// Locates the interpreter of process `pid`. Never stops it, never attaches ptrace.
    pub fn attach(pid: i32) -> Result<PyProcess, WhyNot> {
        // Checked first, from /proc: py-spy on a program that is not Python would parse
        // its binary and then scan its memory for something that looks like an
        // interpreter; this says "not Python" at the cost of two /proc reads.
        if !looks_like_python(pid)? {
            return Err(WhyNot::NotPython);
        }
        let spy = PythonSpy::new(pid, &config()).map_err(|e| classify(pid, e.as_ref(), &e))?;
        let version = spy.version.to_string();
        Ok(PyProcess { pid, version, spy })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The interpreter's version, e.g. `3.12.1`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The main thread's frames, innermost first. The main thread is the one whose
    /// kernel id is the process's (3.11+ record it); before 3.11, the oldest thread
    /// state: CPython puts each new thread at the head of the interpreter's list, so the
    /// main thread's is last (in a forked child, the thread that forked is the only
    /// one).
    pub fn stack(&mut self) -> Result<Vec<PyFrame>, WhyNot> {
        let pid = self.pid;
        let mut threads = self.threads()?;
        let main = match threads.iter().position(|t| t.native_id == Some(pid)) {
            Some(i) => i,
            None if !threads.is_empty() => threads.len() - 1,
            // An interpreter with no thread state is starting or finalizing.
            None => return Err(WhyNot::Unreadable("no Python thread".into())),
        };
        Ok(threads.swap_remove(main).frames)
    }

    /// Every Python thread with its frames, in the interpreter's order (newest first).
    pub fn threads(&mut self) -> Result<Vec<PyThread>, WhyNot> {
        let pid = self.pid;
        let traces = self
            .spy
            .get_stack_traces()
            .map_err(|e| classify(pid, e.as_ref(), &e))?;
        Ok(traces
            .into_iter()
            .map(|t| PyThread {
                thread_id: t.thread_id,
                native_id: t.os_thread_id.and_then(|id| i32::try_from(id).ok()),
                owns_gil: t.owns_gil,
                frames: t
                    .frames
                    .into_iter()
                    .filter(|f| !is_init_shim(&f.filename, &f.name))
                    .map(|f| PyFrame {
                        file: f.filename,
                        function: f.name,
                        // py-spy says 0 (or less) when a frame has no line.
                        line: u32::try_from(f.line).unwrap_or(0),
                    })
                    .collect(),
            })
            .collect())
    }
}

impl std::fmt::Debug for PyProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyProcess")
            .field("pid", &self.pid)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// CPython 3.13's `_Py_InitCleanup`: a frame of two instructions the specialised
/// `Class(...)` call pushes under `__init__` (it checks that `__init__` returned None).
/// It runs no line of the program and `traceback` does not show it; its code object's
/// file and name are both `__init__` (py-spy removes the other shims, 3.12's `<shim>`
/// and 3.13's nameless ones, itself).
fn is_init_shim(file: &str, function: &str) -> bool {
    file == "__init__" && function == "__init__"
}

fn config() -> Config {
    Config {
        // Never stop the process: the tracer owns its stops, and a running program
        // must not be slowed. The price is that a read may race with the interpreter
        // (a frame popped while it is read): such a read fails or is stale, and the
        // next is fine.
        blocking: LockingStrategy::NonBlocking,
        native: false,
        // The current line, not the function's first line.
        lineno: LineNo::LastInstruction,
        // Thread names would read the `threading` module's dict on every call; the
        // full co_filename is kept as is (shortening stats `__init__.py` files).
        collect_thread_names: false,
        full_filenames: true,
        dump_locals: 0,
        // Every thread, not only the GIL holder: a process blocked in a read holds no
        // GIL and would show nothing.
        gil_only: false,
        ..Config::default()
    }
}

/// True if `/proc/PID/exe` is named `python…` or a `libpython…` is mapped (a shared
/// build, or a program embedding CPython).
fn looks_like_python(pid: i32) -> Result<bool, WhyNot> {
    let proc_dir = format!("/proc/{pid}");
    let exe = std::fs::read_link(format!("{proc_dir}/exe")).map_err(|e| io_why(pid, &e))?;
    if file_name_starts_with(&exe, "python") {
        return Ok(true);
    }
    let maps = std::fs::read_to_string(format!("{proc_dir}/maps")).map_err(|e| io_why(pid, &e))?;
    // Each line ends with the mapped path (if any) after five fields.
    Ok(maps
        .lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .any(|path| file_name_starts_with(Path::new(path), "libpython")))
}

fn file_name_starts_with(path: &Path, prefix: &str) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(prefix))
}

/// The reason behind a py-spy error: the process's own state first (a process that
/// died mid-read fails in many ways, and all of them mean "gone"), then the OS error
/// at the root of the error's chain, then py-spy's words.
/// `err` is py-spy's error as a std error (its chain is walked through `source`), and
/// `text` the same error for its words (`{:#}` prints the whole context chain), taken
/// apart so that this module need not name py-spy's error crate.
fn classify(
    pid: i32,
    err: &(dyn std::error::Error + 'static),
    text: &dyn std::fmt::Display,
) -> WhyNot {
    if !alive(pid) {
        return WhyNot::Gone;
    }
    for cause in std::iter::successors(Some(err), |e| e.source()) {
        // py-spy's memory reads fail with an io::Error, its /proc reads with nix's.
        let errno = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => io.raw_os_error(),
            None => cause
                .downcast_ref::<nix::errno::Errno>()
                .map(|errno| *errno as i32),
        };
        match errno {
            Some(libc::EPERM | libc::EACCES) => return WhyNot::Permission,
            Some(libc::ESRCH) => return WhyNot::Gone,
            _ => {}
        }
    }
    // `{:#}` joins anyhow's context chain: "Failed to …: cause".
    let text = format!("{text:#}");
    if text.contains("Unsupported version") {
        WhyNot::UnsupportedVersion(text)
    } else {
        WhyNot::Unreadable(text)
    }
}

fn io_why(pid: i32, err: &std::io::Error) -> WhyNot {
    match err.kind() {
        ErrorKind::PermissionDenied => WhyNot::Permission,
        ErrorKind::NotFound => WhyNot::Gone,
        _ if !alive(pid) => WhyNot::Gone,
        _ => WhyNot::Unreadable(err.to_string()),
    }
}

/// A process that exists and is not a zombie (a zombie's memory is already gone).
fn alive(pid: i32) -> bool {
    crate::procfs::alive(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_process_is_not_python() {
        assert_eq!(
            PyProcess::attach(nix::unistd::getpid().as_raw()).err(),
            Some(WhyNot::NotPython)
        );
    }

    #[test]
    fn a_process_that_does_not_exist_is_gone() {
        // Above the largest pid_max Linux allows (2^22), so no process has it.
        assert_eq!(PyProcess::attach(5_000_000).err(), Some(WhyNot::Gone));
        assert!(!alive(5_000_000));
        assert!(alive(nix::unistd::getpid().as_raw()));
    }

    #[test]
    fn a_python_name_is_recognised_by_its_file_name() {
        assert!(file_name_starts_with(
            Path::new("/usr/bin/python3.11"),
            "python"
        ));
        assert!(file_name_starts_with(
            Path::new("/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0"),
            "libpython"
        ));
        assert!(!file_name_starts_with(
            Path::new("/opt/python/bin/bash"),
            "python"
        ));
    }
}
