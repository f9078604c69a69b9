//! The shape of the code, checked (ARCHITECTURE.md, "Crates"):
//!
//! - no cycle between the top-level modules of either crate: every `crate::X` path in a
//!   module's files is an edge to `X`, and the graph must be acyclic, so each module
//!   can be read (and changed) knowing only the ones below it;
//! - `proclab-procs`, the code of the processes that fork, depends on none of the
//!   front end's crates (the ones that start threads or draw), nor on `proclab`.
//!
//! A text scan, not the compiler's view: it reads `crate::` paths (in `use` lines and
//! inline, braces included) outside comments, in every file but the test-only ones. That is every way these crates name a
//! module of their own; `super::` never leaves a top-level module here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module → the modules it names, each with one place that names it.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The identifiers a path names right after `crate::`: one, or each of a `{…}` group.
fn named_after(rest: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    // Split the group at its top-level commas; each part starts with a module name.
    let (mut depth, mut part_start, mut names) = (0usize, 0usize, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                names.push(ident(&group[part_start..i]));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                names.push(ident(&group[part_start..i]));
                part_start = i + 1;
            }
            _ => {}
        }
    }
    names
}

/// The module graph of one crate's `src`: files under `src/X/` or `src/X.rs` are `X`.
fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    assert!(!files.is_empty(), "no sources under {}", src.display());
    let mut g = Graph::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let module = first.trim_end_matches(".rs").to_string();
        // The crate roots only declare and re-export the modules.
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        // Test-only files (`tests.rs`, `*_tests.rs`, a `tests/` folder) may drive the
        // layer above the code they test (an app test that renders the screen): they
        // are not part of the shipped graph. Inline `mod tests` blocks still count.
        let test_only = rel.components().any(|c| c.as_os_str() == "tests")
            || rel
                .file_stem()
                .is_some_and(|s| s == "tests" || s.to_string_lossy().ends_with("_tests"));
        if test_only {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let edges = g.entry(module.clone()).or_default();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices("crate::") {
                for to in named_after(&line[at + "crate::".len()..]) {
                    if !to.is_empty() && to != module && to != "self" {
                        let place = format!("{}:{}", rel.display(), n + 1);
                        edges.entry(to).or_insert(place);
                    }
                }
            }
        }
    }
    g
}

/// A cycle of the graph, as the modules along it with where each edge is, if any.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    // Depth-first search with the path on a stack: an edge back into the stack closes
    // a cycle.
    fn visit(
        g: &Graph,
        node: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|m| m == node) {
            let mut cycle: Vec<String> = stack[pos..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if !done.insert(node.to_string()) {
            return None;
        }
        stack.push(node.to_string());
        for next in g.get(node).into_iter().flat_map(|e| e.keys()) {
            if let Some(c) = visit(g, next, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in g.keys() {
        if let Some(cycle) = visit(g, node, &mut Vec::new(), &mut done) {
            return Some(
                cycle
                    .windows(2)
                    .map(|w| format!("{} → {} ({})", w[0], w[1], g[&w[0]][&w[1]]))
                    .collect(),
            );
        }
    }
    None
}

fn assert_acyclic(src: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(src);
    if let Some(cycle) = find_cycle(&graph(&root)) {
        panic!(
            "the modules of {src} depend on each other in a circle:\n  {}",
            cycle.join("\n  ")
        );
    }
}

#[test]
fn front_end_modules_have_no_cycle() {
    assert_acyclic("src");
}

#[test]
fn forking_side_modules_have_no_cycle() {
    assert_acyclic("crates/proclab-procs/src");
}

#[test]
fn the_check_sees_a_cycle() {
    // The check itself, on a made-up graph: a → b → a must be found, a → b alone not.
    let mut g = Graph::new();
    g.entry("a".into())
        .or_default()
        .insert("b".into(), "a.rs:1".into());
    assert!(find_cycle(&g).is_none());
    g.entry("b".into())
        .or_default()
        .insert("a".into(), "b.rs:1".into());
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a → b (a.rs:1)".into(), "b → a (b.rs:1)".into()])
    );
    assert_eq!(named_after("ui::theme::Theme;"), ["ui"]);
    assert_eq!(
        named_after("{app::App, trace::{event, reader}, ui};"),
        ["app", "trace", "ui"]
    );
}

/// The forking side may not depend on what starts threads or belongs to the front end.
#[test]
fn forking_side_depends_on_no_front_end_crate() {
    const FRONT_END: &[&str] = &[
        "proclab",
        "ratatui",
        "crossterm",
        "sysinfo",
        "crossbeam-channel",
        "crossbeam",
        "signal-hook",
        "color-eyre",
        "tui-big-text",
        "clap",
    ];
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/proclab-procs/Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("reading {}: {e}", manifest.display()));
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        if !section.contains("dependencies") || line.starts_with('#') {
            continue;
        }
        let name = line
            .split(['=', '.'])
            .next()
            .unwrap_or_default()
            .trim()
            .trim_matches('"');
        assert!(
            !FRONT_END.contains(&name),
            "proclab-procs must not depend on `{name}` ({section}): it runs in the \
             processes that fork, see ARCHITECTURE.md, \"Crates\""
        );
    }
}

/// The screens choose by a scenario's `view` (data on its definition), never by
/// comparing its id: a new scenario then needs no edit up here.
#[test]
fn screens_do_not_match_scenario_ids() {
    let mut files = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    rust_files(&src.join("ui"), &mut files);
    rust_files(&src.join("app"), &mut files);
    files.push(src.join("tui.rs"));
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            let matches_id = code.contains("scenario.id ==")
                || code.contains("scenario.id !=")
                || code.contains("match run.scenario.id")
                || code.contains("match scenario.id");
            assert!(
                code.starts_with("//") || !matches_id,
                "{}:{}: choose by `scenario.view`, not by id: {code}",
                file.display(),
                n + 1
            );
        }
    }
}
