//! Where a CPython process is in its Python program: each thread's frames (file,
//! function, line), read from the process's memory without stopping it.
//!
//! The reading is done by the `py-spy` crate used as a library (`PythonSpy`, with the
//! non-blocking locking strategy): it knows the interpreter layouts of CPython 2.7 to
//! 3.15, finds `_PyRuntime` from the ELF symbols of the binary or of libpython once,
//! and then only reads memory with `process_vm_readv`. On this path it starts no
//! thread and makes no ptrace request (checked with `strace -f`: only
//! `process_vm_readv`, and `/proc/PID/task` reads), so it is safe in the
//! single-threaded tracer, on processes the tracer holds or lets run.
//!
//! Self-contained on purpose (std, libc, nix, py-spy only): it will move into the
//! tracer's crate as it is.
//!
//! - [`PyProcess`]: one per process; `attach` once, then `stack` as often as wanted.
//! - [`target_function`], [`role`]: pure readings of a stack (which
//!   `Process(target=…)` function a child runs; whether it is a Manager's server, a
//!   Pool or ProcessPoolExecutor worker, a forkserver, the resource tracker).

mod reader;
mod roles;

pub use reader::{PyProcess, PyThread};
pub use roles::{Role, role, target_function};

use std::fmt;

/// One Python frame. `function` is the code object's qualified name where the
/// interpreter has one (3.11+: `Server.serve_forever`, `main.<locals>.work`), its plain
/// name before (3.9, 3.10: `serve_forever`); [`PyFrame::name`] is the plain name on
/// every version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyFrame {
    /// `co_filename`: the path as the program named it (a script given as a relative
    /// path stays relative).
    pub file: String,
    pub function: String,
    /// The line being run now (0 when the interpreter has none).
    pub line: u32,
}

impl PyFrame {
    /// The function's own name: the last part of a qualified name, so that a stack
    /// reads the same on 3.9 as on 3.13 (`Server.serve_forever` → `serve_forever`).
    pub fn name(&self) -> &str {
        // `<module>`, `<lambda>`, `<genexpr>` have no dot inside; `a.<locals>.b` ends
        // with the function's own name.
        self.function
            .rsplit_once('.')
            .map_or(self.function.as_str(), |(_, last)| last)
    }

    /// True if the frame runs in `file_suffix` (e.g. `multiprocessing/pool.py`) a
    /// function whose own name is `name`. The suffix must start at a path component,
    /// so `mypool.py` is not `pool.py`.
    pub fn is(&self, file_suffix: &str, name: &str) -> bool {
        self.name() == name && path_ends_with(&self.file, file_suffix)
    }
}

fn path_ends_with(path: &str, suffix: &str) -> bool {
    match path.strip_suffix(suffix) {
        Some(rest) => rest.is_empty() || rest.ends_with('/'),
        None => false,
    }
}

/// Why a process's frames could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhyNot {
    /// The process no longer exists, or is a zombie (its memory is gone).
    Gone,
    /// Neither its program nor any library it mapped is a CPython interpreter.
    NotPython,
    /// A CPython the reader cannot read: the version as far as it is known.
    UnsupportedVersion(String),
    /// The kernel refused to let this process read the other's memory (another user,
    /// Yama's ptrace_scope, a container without CAP_SYS_PTRACE).
    Permission,
    /// An interpreter was found but its state could not be read now: it is still
    /// starting or already finalizing, or (the process runs while it is read) a
    /// pointer changed under the reader. Worth trying again at the next sample.
    Unreadable(String),
}

impl fmt::Display for WhyNot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhyNot::Gone => write!(f, "the process has ended"),
            WhyNot::NotPython => write!(f, "not a CPython process"),
            WhyNot::UnsupportedVersion(v) => write!(f, "unsupported Python version: {v}"),
            WhyNot::Permission => write!(f, "not permitted to read the process's memory"),
            WhyNot::Unreadable(why) => write!(f, "the interpreter's state is unreadable: {why}"),
        }
    }
}

impl std::error::Error for WhyNot {}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(file: &str, function: &str) -> PyFrame {
        PyFrame {
            file: file.into(),
            function: function.into(),
            line: 1,
        }
    }

    #[test]
    fn name_is_the_last_part_of_a_qualified_name() {
        assert_eq!(
            frame("a.py", "Server.serve_forever").name(),
            "serve_forever"
        );
        assert_eq!(frame("a.py", "main.<locals>.work").name(), "work");
        assert_eq!(frame("a.py", "<module>").name(), "<module>");
        assert_eq!(frame("a.py", "worker").name(), "worker");
    }

    #[test]
    fn a_file_suffix_starts_at_a_path_component() {
        let f = frame("/usr/lib/python3.11/multiprocessing/pool.py", "worker");
        assert!(f.is("multiprocessing/pool.py", "worker"));
        assert!(!f.is("multiprocessing/pool.py", "run"));
        assert!(
            !frame("/home/me/mymultiprocessing/pool.py", "worker")
                .is("multiprocessing/pool.py", "worker")
        );
        assert!(frame("multiprocessing/pool.py", "worker").is("multiprocessing/pool.py", "worker"));
    }
}
