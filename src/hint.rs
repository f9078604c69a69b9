//! Help with mistakes on the command line: an id of the other kind (`run race`, where
//! `race` is a lesson), a near miss (`lesson zombies`), said with the command to type.

/// Edit distance (insertions, deletions, substitutions), for near misses.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// The candidate `word` most likely meant: within two edits (one for short words), or
/// one that starts with it or it starts with (`fork` → `fork-fanout`).
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    let most = if word.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .iter()
        .map(|c| (distance(&word, c), *c))
        .filter(|(d, _)| *d <= most)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
        .or_else(|| {
            let near: Vec<&str> = candidates
                .iter()
                .copied()
                .filter(|c| {
                    word.len() >= 3 && (c.starts_with(word.as_str()) || word.starts_with(c))
                })
                .collect();
            (near.len() == 1).then(|| near[0])
        })
}

/// `proclab lesson ID` with an id that is no lesson.
pub fn unknown_lesson(id: &str, lessons: &[&str], scenarios: &[&str]) -> String {
    let hint = if scenarios.contains(&id) {
        format!("'{id}' is a scenario, not a lesson: proclab run {id}")
    } else if let Some(near) = did_you_mean(id, lessons) {
        format!("unknown lesson '{id}'; did you mean '{near}'? proclab lesson {near}")
    } else if let Some(near) = did_you_mean(id, scenarios) {
        format!("unknown lesson '{id}'; '{near}' is a scenario: proclab run {near}")
    } else {
        format!("unknown lesson '{id}'")
    };
    format!("{hint}\nvalid lesson ids: {}", lessons.join(", "))
}

/// `proclab run SCENARIO` with an id that is no scenario.
pub fn unknown_scenario(id: &str, scenarios: &[&str], lessons: &[&str]) -> String {
    let hint = if lessons.contains(&id) {
        format!("'{id}' is a lesson, not a scenario: proclab lesson {id}")
    } else if let Some(near) = did_you_mean(id, scenarios) {
        format!("unknown scenario '{id}'; did you mean '{near}'? proclab run {near}")
    } else if let Some(near) = did_you_mean(id, lessons) {
        format!("unknown scenario '{id}'; '{near}' is a lesson: proclab lesson {near}")
    } else {
        format!("unknown scenario '{id}'")
    };
    format!("{hint}\nvalid scenario ids: {}", scenarios.join(", "))
}

/// `proclab list`: on a terminal, aligned columns under a header; otherwise the
/// contract's tab-separated lines (id, scenario, title), for scripts.
pub fn list(rows: &[(String, String, String)], terminal: bool) -> String {
    use unicode_width::UnicodeWidthStr;
    if !terminal {
        return rows
            .iter()
            .map(|(a, b, c)| format!("{a}\t{b}\t{c}\n"))
            .collect();
    }
    let head = (
        "ID".to_string(),
        "SCENARIO".to_string(),
        "TITLE".to_string(),
    );
    let all: Vec<&(String, String, String)> = std::iter::once(&head).chain(rows).collect();
    let w0 = all.iter().map(|r| r.0.width()).max().unwrap_or(0);
    let w1 = all.iter().map(|r| r.1.width()).max().unwrap_or(0);
    all.iter()
        .map(|(a, b, c)| {
            let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w - s.width()));
            format!("{}  {}  {c}\n", pad(a, w0), pad(b, w1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LESSONS: &[&str] = &["fork-fanout", "zombie", "race", "lock"];
    const SCENARIOS: &[&str] = &["fork-fanout", "zombie", "lock", "queue"];

    #[test]
    fn an_id_of_the_other_kind_names_the_command() {
        let said = unknown_scenario("race", SCENARIOS, LESSONS);
        assert!(
            said.starts_with("'race' is a lesson, not a scenario: proclab lesson race"),
            "{said}"
        );
        let said = unknown_lesson("queue", LESSONS, SCENARIOS);
        assert!(
            said.starts_with("'queue' is a scenario, not a lesson: proclab run queue"),
            "{said}"
        );
    }

    #[test]
    fn near_misses_are_suggested() {
        let said = unknown_lesson("zombies", LESSONS, SCENARIOS);
        assert!(
            said.contains("did you mean 'zombie'? proclab lesson zombie"),
            "{said}"
        );
        assert_eq!(did_you_mean("fork", SCENARIOS), Some("fork-fanout"));
        assert_eq!(did_you_mean("qeue", SCENARIOS), Some("queue"));
        assert_eq!(did_you_mean("xyz", SCENARIOS), None);
        let said = unknown_scenario("rase", SCENARIOS, LESSONS);
        assert!(
            said.contains("'race' is a lesson: proclab lesson race"),
            "{said}"
        );
        assert!(said.ends_with("valid scenario ids: fork-fanout, zombie, lock, queue"));
    }

    #[test]
    fn list_has_a_header_only_on_a_terminal() {
        let rows = vec![(
            "zombie".to_string(),
            "zombie".to_string(),
            "僵尸".to_string(),
        )];
        assert_eq!(list(&rows, false), "zombie\tzombie\t僵尸\n");
        assert_eq!(
            list(&rows, true),
            "ID      SCENARIO  TITLE\nzombie  zombie    僵尸\n"
        );
    }
}
