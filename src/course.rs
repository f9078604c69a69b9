//! What the learner has finished, remembered between sessions in the user's state
//! directory (`$XDG_STATE_HOME/proclab`, else `~/.local/state/proclab`). Losing it is
//! harmless, so every failure here is reported and otherwise ignored.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const FILE: &str = "finished.json";

#[derive(Serialize, Deserialize, Default)]
struct Saved {
    finished: BTreeSet<String>,
}

pub fn state_dir() -> Option<PathBuf> {
    let from_env = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    from_env("XDG_STATE_HOME")
        .or_else(|| from_env("HOME").map(|h| h.join(".local/state")))
        .map(|d| d.join("proclab"))
}

/// The ids of the lessons finished so far (empty if none, or unreadable).
pub fn load_finished() -> BTreeSet<String> {
    state_dir().map(|d| load_from(&d)).unwrap_or_default()
}

pub fn save_finished(finished: &BTreeSet<String>) -> std::io::Result<PathBuf> {
    let dir = state_dir().ok_or_else(|| std::io::Error::other("no HOME or XDG_STATE_HOME"))?;
    save_to(&dir, finished)
}

fn load_from(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join(FILE))
        .ok()
        .and_then(|s| serde_json::from_str::<Saved>(&s).ok())
        .map(|s| s.finished)
        .unwrap_or_default()
}

/// Writes the set atomically (a temporary file renamed over the old one), merged with
/// what is there now: another proclab may have finished lessons since this one started.
fn save_to(dir: &Path, finished: &BTreeSet<String>) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut finished = finished.clone();
    finished.extend(load_from(dir));
    let path = dir.join(FILE);
    let tmp = dir.join(format!("{FILE}.{}", std::process::id()));
    let json = serde_json::to_string_pretty(&Saved { finished })?;
    std::fs::write(&tmp, json + "\n")?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_lessons_survive_a_round_trip_and_junk_reads_as_none() {
        let dir = std::env::temp_dir().join(format!("proclab-course-{}", std::process::id()));
        assert!(load_from(&dir).is_empty(), "nothing saved yet");
        let set: BTreeSet<String> = ["zombie".to_string(), "pi".to_string()].into();
        let path = save_to(&dir.join("proclab"), &set).unwrap();
        assert_eq!(load_from(&dir.join("proclab")), set);
        // Another instance's lessons are kept, not overwritten.
        let other: BTreeSet<String> = ["queue".to_string()].into();
        save_to(&dir.join("proclab"), &other).unwrap();
        assert_eq!(load_from(&dir.join("proclab")).len(), 3);
        std::fs::write(&path, "not json").unwrap();
        assert!(load_from(&dir.join("proclab")).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
