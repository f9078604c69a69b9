//! Which CPython a Python lesson runs on: `--python PATH`, else `python3` found on
//! PATH (as a shell would find it). Found without running anything; its version is
//! asked only where it is shown (`doctor`).

use std::path::{Path, PathBuf};

/// The interpreter to run Python lessons with, or why there is none (said in the
/// menu and by `proclab lesson`).
pub fn find(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return if is_executable(path) {
            Ok(path.to_path_buf())
        } else {
            Err(format!(
                "--python {}: no executable file there",
                path.display()
            ))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("python3"))
        .find(|p| is_executable(p))
        .ok_or_else(|| {
            "no python3 on PATH: install Python 3 (or give --python PATH) to run Python lessons"
                .to_string()
        })
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
