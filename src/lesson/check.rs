//! `proclab check-lessons PATH`: runs the real loader over a lesson folder (or one
//! file) and reports every problem as `file:line:col: message`, the way the app would
//! refuse them, plus the checks only a whole folder allows (ids used twice).
//!
//! A folder is read as `--lessons DIR` reads it: its `*.toml` files, not sub-folders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::loader::{self, LessonError};

/// What a check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Lesson files looked at.
    pub files: usize,
    /// Every problem, grouped by file (in file-name order), by position within one.
    pub errors: Vec<LessonError>,
    /// What is worth knowing but no problem (a language a lesson is not written in).
    pub notes: Vec<LessonError>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// "15 lessons OK" or "3 problems in 2 files".
    pub fn verdict(&self) -> String {
        if self.is_clean() {
            let notes = match self.notes.len() {
                0 => String::new(),
                n => format!(" ({})", plural(n, "note", "notes")),
            };
            return format!("{} OK{notes}", plural(self.files, "lesson", "lessons"));
        }
        let mut files: Vec<&str> = self.errors.iter().map(|e| e.file.as_str()).collect();
        files.dedup();
        format!(
            "{} in {}",
            plural(self.errors.len(), "problem", "problems"),
            plural(files.len(), "file", "files")
        )
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Checks `path`: a folder of `*.toml` lessons or a single lesson file. An `Err` is a
/// usage error (nothing to check), not a problem in a lesson.
pub fn check(path: &Path, cap: u32) -> Result<Report, String> {
    let files = lesson_files(path)?;
    let mut report = Report {
        files: files.len(),
        errors: Vec::new(),
        notes: Vec::new(),
    };
    // id → the file that used it first.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for file in &files {
        let name = file.display().to_string();
        let mut errors = match std::fs::read(file) {
            Err(e) => vec![at_start(&name, format!("cannot read the file: {e}"))],
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(e) => {
                    let (line, col) = line_col_bytes(e.as_bytes(), e.utf8_error().valid_up_to());
                    vec![LessonError {
                        file: name.clone(),
                        line,
                        col,
                        message: "a lesson file must be UTF-8 text".into(),
                    }]
                }
                Ok(src) => match loader::parse(&name, &src, cap) {
                    Err(errors) => errors,
                    // A lesson over the cap loads (marked) for the menu, but a check
                    // under that cap reports it.
                    Ok(mut lesson) => {
                        report.notes.append(&mut lesson.notes);
                        let mut found: Vec<LessonError> = lesson.over_cap.into_iter().collect();
                        match ids.get(&lesson.id) {
                            Some(first) => {
                                let (line, col) = id_position(&src);
                                found.push(LessonError {
                                    file: name.clone(),
                                    line,
                                    col,
                                    message: format!(
                                        "lesson id '{}' is also used by {first}",
                                        lesson.id
                                    ),
                                });
                            }
                            None => {
                                ids.insert(lesson.id, name.clone());
                            }
                        }
                        found
                    }
                },
            },
        };
        for e in &mut errors {
            // Some messages end with a list of parameters and its newline.
            e.message.truncate(e.message.trim_end().len());
        }
        errors.sort_by_key(|e| (e.line, e.col));
        report.errors.append(&mut errors);
    }
    Ok(report)
}

fn at_start(file: &str, message: String) -> LessonError {
    LessonError {
        file: file.to_string(),
        line: 1,
        col: 1,
        message,
    }
}

/// The lesson files `path` names, sorted; a usage error when there are none.
fn lesson_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "{}: no *.toml lesson files in this folder",
            path.display()
        ));
    }
    Ok(files)
}

/// Where the top-level `id = "…"` value starts (1:1 if it cannot be found).
fn id_position(src: &str) -> (usize, usize) {
    for (i, line) in src.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            break;
        }
        let Some(rest) = trimmed.strip_prefix("id") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let col = line.chars().count() - value.chars().count() + 1;
        return (i + 1, col);
    }
    (1, 1)
}

/// 1-based line and column (in characters) of a byte offset in not-quite-UTF-8 bytes.
fn line_col_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let last = before.rsplit(|b| *b == b'\n').next().unwrap_or_default();
    (line, String::from_utf8_lossy(last).chars().count() + 1)
}

/// The command: prints every problem, then the verdict; returns the exit code (0 clean,
/// 1 problems, 2 nothing to check).
pub fn run(path: &Path, cap: u32) -> u8 {
    match check(path, cap) {
        Err(usage) => {
            eprintln!("proclab: {usage}");
            2
        }
        Ok(report) => {
            // Notes first: the problems and the verdict end the output.
            for e in report.notes.iter().chain(&report.errors) {
                println!("{e}");
            }
            println!("{}", report.verdict());
            if report.is_clean() { 0 } else { 1 }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_count_problems_and_files() {
        let mut r = Report {
            files: 1,
            errors: Vec::new(),
            notes: Vec::new(),
        };
        assert_eq!(r.verdict(), "1 lesson OK");
        r.files = 15;
        assert_eq!(r.verdict(), "15 lessons OK");
        for f in ["a", "a", "b"] {
            r.errors.push(at_start(f, "x".into()));
        }
        assert_eq!(r.verdict(), "3 problems in 2 files");
        r.errors.truncate(1);
        assert_eq!(r.verdict(), "1 problem in 1 file");
    }

    #[test]
    fn id_position_points_at_the_value() {
        assert_eq!(id_position("# c\nid = \"x\"\n"), (2, 6));
        assert_eq!(id_position("idx = 1\n  id=\"y\""), (2, 6));
        assert_eq!(id_position("[t]\nid = 1"), (1, 1));
    }

    #[test]
    fn builtin_lessons_folder_is_clean() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
        let r = check(&dir, 64).unwrap();
        assert!(r.is_clean(), "{:?}", r.errors);
        assert!(r.files >= 15);
    }
}
