//! `proclab lesson ID --export-python FILE`: the lesson's program as a file a student
//! can run with `python3 FILE` and compare with what proclab showed.

use std::io::Write;
use std::path::Path;

use super::Lesson;

/// The program as the code pane shows it (for a variant, as the variant runs it),
/// ending with a newline.
pub fn python_source(lesson: &Lesson, variant: Option<usize>) -> String {
    let mut src = lesson.program(variant).into_owned();
    if !src.ends_with('\n') {
        src.push('\n');
    }
    src
}

/// Writes the program to `dest` (`-` is stdout). An existing file is kept unless
/// `force`.
pub fn export_python(
    lesson: &Lesson,
    variant: Option<usize>,
    dest: &Path,
    force: bool,
) -> Result<(), String> {
    let src = python_source(lesson, variant);
    if dest == Path::new("-") {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(src.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(dest).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} already exists; pass --force to overwrite it",
                dest.display()
            )
        } else {
            format!("cannot create {}: {e}", dest.display())
        }
    })?;
    file.write_all(src.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
    // On stderr: stdout stays clean for `--export-python -`.
    eprintln!(
        "wrote {} ({} lines): python3 {0}",
        dest.display(),
        src.lines().count()
    );
    Ok(())
}
