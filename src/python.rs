//! Which CPython a Python lesson runs on: `--python PATH`, else `python3` found on
//! PATH (as a shell would find it). Found without running anything; its version is
//! asked only where it is shown (`doctor`).

use std::path::{Path, PathBuf};

use crate::i18n::{Lang, Said};
use crate::said;

/// Why there is no interpreter for Python lessons: said in the menu in the screen's
/// language (`said`), and in English by `proclab lesson` and `doctor` (`Display`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoPython {
    /// `--python PATH` names no executable file.
    NotExecutable(PathBuf),
    /// No `python3` in any folder of PATH.
    NotOnPath,
    /// Nobody looked (an `App` before `main` dresses it).
    NotLookedFor,
}

impl NoPython {
    pub fn said(&self) -> Said {
        match self {
            NoPython::NotExecutable(path) => {
                said!("python.not_executable", path = path.display().to_string())
            }
            NoPython::NotOnPath => said!("python.not_on_path"),
            NoPython::NotLookedFor => said!("python.not_looked_for"),
        }
    }
}

impl std::fmt::Display for NoPython {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.said().text(Lang::En))
    }
}

/// The interpreter to run Python lessons with, or why there is none (said in the
/// menu and by `proclab lesson`).
pub fn find(explicit: Option<&Path>) -> Result<PathBuf, NoPython> {
    if let Some(path) = explicit {
        return if is_executable(path) {
            Ok(path.to_path_buf())
        } else {
            Err(NoPython::NotExecutable(path.to_path_buf()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("python3"))
        .find(|p| is_executable(p))
        .ok_or(NoPython::NotOnPath)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The interpreter itself, as it names itself (`sys.executable`): a `python3` that is
/// a wrapper script (pyenv's shims, conda's) would otherwise run a shell and a dozen
/// helper processes under the tracer before the lesson's program, and a lesson's
/// steps would count their forks. Runs it once.
pub fn resolve(python: &Path) -> Result<PathBuf, String> {
    let out = std::process::Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && !path.is_empty() && is_executable(Path::new(&path)) {
        Ok(PathBuf::from(path))
    } else {
        Err(format!(
            "{} did not say where its interpreter is (sys.executable): {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `Python 3.11.2`, as the interpreter says it (runs it once).
pub fn version(python: &Path) -> Result<String, String> {
    let out = std::process::Command::new(python)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    let text = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    })
    .trim()
    .to_string();
    if out.status.success() && text.starts_with("Python 3") {
        Ok(text)
    } else {
        Err(format!(
            "{} is not a Python 3 ({})",
            python.display(),
            if text.is_empty() {
                "it said nothing"
            } else {
                &text
            }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_path_must_be_an_executable_file() {
        assert!(
            find(Some(Path::new("/nonexistent/python")))
                .unwrap_err()
                .to_string()
                .contains("--python")
        );
        assert!(
            find(Some(Path::new("/tmp"))).is_err(),
            "a folder is no interpreter"
        );
        assert_eq!(
            find(Some(Path::new("/bin/sh"))).unwrap(),
            PathBuf::from("/bin/sh")
        );
    }

    #[test]
    fn a_program_that_is_not_python_is_said_so() {
        let e = version(Path::new("/bin/true")).unwrap_err();
        assert!(e.contains("not a Python 3"), "{e}");
    }

    #[test]
    fn a_wrapper_resolves_to_the_interpreter_it_runs() {
        let python = Path::new("/usr/bin/python3");
        if !python.exists() {
            eprintln!("skipped: no /usr/bin/python3 on this machine");
            return;
        }
        let dir = std::env::temp_dir().join(format!("proclab-wrap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wrapper = dir.join("python3");
        std::fs::write(&wrapper, "#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let real = resolve(&wrapper);
        let _ = std::fs::remove_dir_all(&dir);
        let real = real.unwrap();
        assert_ne!(real, wrapper);
        assert!(real.starts_with("/usr/bin"), "{}", real.display());
        assert!(resolve(Path::new("/bin/true")).is_err());
    }

    #[test]
    fn the_system_python_reports_its_version() {
        let python = Path::new("/usr/bin/python3");
        if !python.exists() {
            eprintln!("skipped: no /usr/bin/python3 on this machine");
            return;
        }
        assert!(version(python).unwrap().starts_with("Python 3."));
    }
}
