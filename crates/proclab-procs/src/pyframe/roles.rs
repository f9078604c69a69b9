//! What a stack says a process is: pure functions over frames, innermost first.

use super::PyFrame;

/// A process the multiprocessing machinery runs for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A `multiprocessing.Manager()`'s server process (`BaseManager._run_server`,
    /// `Server.serve_forever` in `multiprocessing/managers.py`).
    ManagerServer,
    /// A `multiprocessing.Pool` worker (`worker` in `multiprocessing/pool.py`).
    PoolWorker,
    /// A `concurrent.futures.ProcessPoolExecutor` worker (`_process_worker` in
    /// `concurrent/futures/process.py`).
    ProcessPoolWorker,
    /// The forkserver (`main` in `multiprocessing/forkserver.py`).
    ForkServer,
    /// The resource tracker (`main` in `multiprocessing/resource_tracker.py`).
    ResourceTracker,
}

impl Role {
    /// A short English name, for a label.
    pub fn describe(self) -> &'static str {
        match self {
            Role::ManagerServer => "Manager server",
            Role::PoolWorker => "Pool worker",
            Role::ProcessPoolWorker => "ProcessPoolExecutor worker",
            Role::ForkServer => "forkserver",
            Role::ResourceTracker => "resource tracker",
        }
    }
}

const PROCESS_PY: &str = "multiprocessing/process.py";
const FORKSERVER_PY: &str = "multiprocessing/forkserver.py";

/// The function a `multiprocessing.Process(target=f)` child runs: the frame that
/// `BaseProcess.run` (`multiprocessing/process.py`) called, by its own name (`f`).
/// `None` before the child has reached its target, after it returned, and for a
/// process that is no such child. A Pool's or an executor's worker answers with the
/// library's function (`worker`, `_process_worker`): ask [`role`] first.
pub fn target_function(stack: &[PyFrame]) -> Option<&str> {
    // Innermost first: the target is the frame just inside `run`. The innermost `run`
    // is the one that counts (a target may itself start a process with fork, whose
    // child then has two `run`s; the newer is nearer the top).
    let run = stack.iter().position(|f| f.is(PROCESS_PY, "run"))?;
    let callee = run.checked_sub(1).map(|i| &stack[i])?;
    Some(callee.name())
}

/// Which machinery process this is, if any. The innermost frame that says so decides,
/// so a process forked by a forkserver or a Pool worker (whose stacks still hold the
/// frames of the process they were forked in) is what it runs now.
pub fn role(stack: &[PyFrame]) -> Option<Role> {
    for frame in stack {
        let found = if frame.is("multiprocessing/pool.py", "worker") {
            Some(Role::PoolWorker)
        } else if frame.is("concurrent/futures/process.py", "_process_worker") {
            Some(Role::ProcessPoolWorker)
        } else if frame.is("multiprocessing/managers.py", "serve_forever")
            || frame.is("multiprocessing/managers.py", "_run_server")
        {
            Some(Role::ManagerServer)
        } else if frame.is("multiprocessing/resource_tracker.py", "main") {
            Some(Role::ResourceTracker)
        } else if frame.is(FORKSERVER_PY, "main") {
            Some(Role::ForkServer)
        } else {
            None
        };
        if found.is_some() {
            return found;
        }
        // A child of the forkserver, or of anything else, that has reached
        // `BaseProcess._bootstrap` runs its own target: the frames further out are
        // those of the process it was forked from. `_serve_one` is the forkserver's
        // child before it gets there.
        if frame.is(PROCESS_PY, "_bootstrap") || frame.is(FORKSERVER_PY, "_serve_one") {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One stack of `stacks.txt` with what it should give.
    struct Captured {
        what: String,
        target: Option<String>,
        role: Option<Role>,
        frames: Vec<PyFrame>,
    }

    fn captured() -> Vec<Captured> {
        let text = include_str!("stacks.txt");
        let mut out = Vec::new();
        for block in text.split("\n== ").skip(1) {
            let mut lines = block.lines();
            let header = lines.next().unwrap_or_default();
            let fields: Vec<&str> = header.split(" | ").collect();
            assert_eq!(fields.len(), 3, "header {header:?}");
            let target = (fields[1] != "-").then(|| fields[1].to_string());
            let role = match fields[2] {
                "-" => None,
                "PoolWorker" => Some(Role::PoolWorker),
                "ProcessPoolWorker" => Some(Role::ProcessPoolWorker),
                "ManagerServer" => Some(Role::ManagerServer),
                "ResourceTracker" => Some(Role::ResourceTracker),
                "ForkServer" => Some(Role::ForkServer),
                other => panic!("unknown role {other:?}"),
            };
            let frames = lines
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    // file:function:line, the file possibly holding ':' itself.
                    let mut parts = l.rsplitn(3, ':');
                    let line = parts.next().and_then(|n| n.parse().ok());
                    let function = parts.next();
                    let file = parts.next();
                    match (file, function, line) {
                        (Some(file), Some(function), Some(line)) => PyFrame {
                            file: file.into(),
                            function: function.into(),
                            line,
                        },
                        _ => panic!("bad frame line {l:?}"),
                    }
                })
                .collect();
            out.push(Captured {
                what: fields[0].to_string(),
                target,
                role,
                frames,
            });
        }
        out
    }

    #[test]
    fn captured_stacks_give_their_target_and_role() {
        let stacks = captured();
        assert_eq!(stacks.len(), 14);
        for c in &stacks {
            assert_eq!(
                target_function(&c.frames),
                c.target.as_deref(),
                "{}",
                c.what
            );
            assert_eq!(role(&c.frames), c.role, "{}", c.what);
        }
    }

    #[test]
    fn nothing_is_read_from_an_empty_or_partial_stack() {
        assert_eq!(target_function(&[]), None);
        assert_eq!(role(&[]), None);
        // `run` as the innermost frame: the child is between `run` and its target.
        let run = PyFrame {
            file: "/usr/lib/python3.11/multiprocessing/process.py".into(),
            function: "BaseProcess.run".into(),
            line: 108,
        };
        assert_eq!(target_function(std::slice::from_ref(&run)), None);
    }

    #[test]
    fn a_file_of_the_same_name_elsewhere_is_not_the_library() {
        let frames = [PyFrame {
            file: "/home/me/my_multiprocessing/pool.py".into(),
            function: "worker".into(),
            line: 3,
        }];
        assert_eq!(role(&frames), None);
    }
}
