//! What an installed proclab offers besides its screens: `proclab completions SHELL`
//! loads in bash and `proclab man` renders with man(1) (when they are installed). The
//! unit test in src/cli.rs checks that both name every subcommand.

mod common;

use std::process::Command;

use common::bin;

fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn bash_loads_the_completions() {
    if !has("bash") {
        eprintln!("skipped: no bash");
        return;
    }
    let script = format!(
        "source <('{}' completions bash) && complete -p proclab",
        bin()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("proclab"), "{stdout}");
}

#[test]
fn the_man_page_renders() {
    let page = Command::new(bin()).arg("man").output().expect("runs");
    assert!(page.status.success());
    let roff = String::from_utf8_lossy(&page.stdout);
    assert!(roff.contains(".TH proclab 1"), "{roff}");
    if !has("man") || !has("groff") {
        eprintln!("skipped rendering: no man or groff");
        return;
    }
    let file = std::env::temp_dir().join(format!("proclab-man-{}.1", std::process::id()));
    std::fs::write(&file, &page.stdout).expect("writes");
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .expect("man runs");
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for seen in ["SYNOPSIS", "COMMANDS", "proclab check-lessons", "--lessons"] {
        assert!(text.contains(seen), "{seen} in:\n{text}");
    }
}
