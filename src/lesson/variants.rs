//! Which of a lesson's variants the command line asks for: by id (`--variant`) or by
//! the parameters it sets (`--set`, as `run` takes them). A `--set` that is no variant
//! is refused, listing them: the screens show the lesson's program, and a run with
//! other parameters would not be the program shown.

use super::Lesson;

/// The variant to run (`None`: the lesson as written), or why none.
pub fn chosen(lesson: &Lesson, id: Option<&str>, set: &[String]) -> Result<Option<usize>, String> {
    if let Some(id) = id {
        return lesson
            .variants
            .iter()
            .position(|v| v.id == id)
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "lesson '{}' has no variant '{id}'; {}",
                    lesson.id,
                    listed(lesson)
                )
            });
    }
    if set.is_empty() {
        return Ok(None);
    }
    // Read as `run` reads it (names in any case, numbers checked), then compared
    // with what each variant sets, read the same way.
    let spec = crate::scenario::find(lesson.scenario).ok_or_else(|| {
        format!(
            "lesson '{}' runs no scenario a --set could change",
            lesson.id
        )
    })?;
    let wanted = spec
        .params_from(set)
        .map_err(|e| format!("{}\n{}", e.message.trim_end(), listed(lesson)))?;
    let as_set = |v: &super::model::Variant| -> Vec<String> {
        v.set.iter().map(|(k, val)| format!("{k}={val}")).collect()
    };
    let found = lesson
        .variants
        .iter()
        .position(|v| spec.params_from(&as_set(v)).is_ok_and(|p| p == wanted));
    found.map(Some).ok_or_else(|| {
        format!(
            "lesson '{}' has no variant that sets exactly {}; {}",
            lesson.id,
            set.join(" "),
            listed(lesson)
        )
    })
}

fn listed(lesson: &Lesson) -> String {
    if lesson.variants.is_empty() {
        return format!(
            "it has none (proclab run {} --set … runs the scenario alone)",
            lesson.scenario
        );
    }
    let each: Vec<String> = lesson
        .variants
        .iter()
        .map(|v| {
            let set: Vec<String> = v
                .set
                .iter()
                .map(|(k, val)| format!("--set {k}={val}"))
                .collect();
            format!("{} ({})", v.id, set.join(" "))
        })
        .collect();
    format!("its variants: {}", each.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals() -> Lesson {
        crate::lesson::loader::load(None, 64)
            .unwrap()
            .into_iter()
            .find(|l| l.id == "signals")
            .unwrap()
    }

    #[test]
    fn a_variant_by_id_or_by_what_it_sets() {
        let l = signals();
        assert_eq!(chosen(&l, None, &[]), Ok(None));
        let ignore = chosen(&l, Some("ignore"), &[]).unwrap();
        assert_eq!(
            ignore,
            chosen(&l, None, &["disposition=ignore".into()]).unwrap()
        );
        let v = &l.variants[ignore.unwrap()];
        assert!(l.program(ignore).contains("DISPOSITION = 'ignore'"));
        assert!(!l.program(None).contains("DISPOSITION = 'ignore'"));
        assert_eq!(
            l.program(ignore).lines().count(),
            l.python.lines().count(),
            "the steps' lines stay where they were"
        );
        assert_eq!(l.params_for(ignore), &v.params);
        let why = chosen(&l, None, &["disposition=sometimes".into()]).unwrap_err();
        assert!(
            why.contains("not a valid value") && why.contains("ignore (--set disposition=ignore)"),
            "{why}"
        );
        // A valid set that no variant makes.
        let why = chosen(&l, None, &["disposition=default".into()]).unwrap_err();
        assert!(
            why.contains("no variant that sets exactly disposition=default"),
            "{why}"
        );
        assert!(
            chosen(&l, Some("nope"), &[])
                .unwrap_err()
                .contains("no variant 'nope'")
        );
        // Read as `run` reads it: its words for a malformed set, a name in any case.
        assert!(
            chosen(&l, None, &["oops".into()])
                .unwrap_err()
                .contains("--set takes key=value, got 'oops'")
        );
        assert_eq!(chosen(&l, None, &["disposition=IGNORE".into()]), Ok(ignore));
    }
}
