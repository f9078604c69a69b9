//! Where a Python lesson's program is written for CPython to run: a folder of the
//! front end's own (`$TMPDIR/proclab-<uid>/<front-end pid>-<n>/`, mode 0700), removed
//! when the run's session ends. A folder left by a front end that was killed (SIGKILL
//! leaves no chance to clean up) is removed by the next one that starts a lesson.
//!
//! Why a file and not `python3 -c`: under the spawn and forkserver start methods a
//! child imports the main module again from its path, and tracebacks and frames name
//! the file a learner can open.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A folder holding one run's program; removed (with what is in it) on drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl ScratchDir {
    /// Writes `source` as `<dir>/<file_name>` in a new folder; returns the folder and
    /// the file's path.
    pub fn with_program(file_name: &str, source: &str) -> std::io::Result<(ScratchDir, PathBuf)> {
        let base = base_dir();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&base)?;
        remove_abandoned(&base);
        let me = std::process::id();
        let path = base.join(format!("{me}-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
        // A folder of that name is a leftover of this very PID's earlier life.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        let dir = ScratchDir { path };
        let file = dir.path.join(file_name);
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)?;
        out.write_all(source.as_bytes())?;
        out.flush()?;
        Ok((dir, file))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `$TMPDIR/proclab-<uid>`: one per user, so two users of a classroom machine never
/// share (or fight over) it.
fn base_dir() -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is this process's real user.
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
    std::env::temp_dir().join(format!("proclab-{uid}"))
}

/// Removes the folders of front ends that are gone (their PID names no live process,
/// or a process started after the folder was made).
fn remove_abandoned(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if pid != nix::unistd::getpid().as_raw() && !alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_written_private_and_removed_with_the_folder() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, file) = ScratchDir::with_program("demo.py", "print('hi')\n").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "print('hi')\n");
        assert_eq!(file.file_name().unwrap(), "demo.py");
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o700,
            "only the user may read a lesson's folder"
        );
        let folder = dir.path().to_path_buf();
        drop(dir);
        assert!(!folder.exists(), "removed with its session");
    }

    #[test]
    fn a_dead_front_ends_folder_is_removed_by_the_next_one() {
        let base = base_dir();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&base)
            .unwrap();
        // PID 0 is never a process's.
        let stale = base.join("0-7");
        std::fs::create_dir_all(&stale).unwrap();
        let (dir, _) = ScratchDir::with_program("x.py", "").unwrap();
        assert!(!stale.exists());
        assert!(dir.path().exists(), "our own stays");
    }
}
