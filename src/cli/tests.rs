use super::*;
use clap::CommandFactory;

#[test]
fn cap_takes_a_positive_number_and_explains_the_rest() {
    assert_eq!(parse_cap("1"), Ok(1));
    assert_eq!(parse_cap("64"), Ok(64));
    assert_eq!(parse_cap("65"), Ok(65), "the command decides (check_cap)");
    assert!(parse_cap("0").unwrap_err().contains("at least 1"));
    assert!(parse_cap("many").unwrap_err().contains("1..=64"));
    assert!(parse_cap("99999999999999999999").is_err());
}

#[test]
fn completions_and_man_page_name_every_visible_subcommand() {
    let names = visible_subcommands();
    for known in [
        "list",
        "lesson",
        "run",
        "trace",
        "check-lessons",
        "completions",
        "man",
    ] {
        assert!(names.iter().any(|n| n == known), "{known} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("__")), "{names:?}");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    let bash = text(completions(Shell::Bash));
    let zsh = text(completions(Shell::Zsh));
    let fish = text(completions(Shell::Fish));
    let man = text(man_page());
    assert!(bash.contains("complete -F _proclab"), "{bash}");
    for (script, global) in [
        (&bash, "--lessons"),
        (&zsh, "--lessons"),
        (&fish, "-l lessons"),
    ] {
        assert!(
            !script.contains("__scenario-table"),
            "a hidden command offered"
        );
        assert!(script.contains(global), "the global options offered");
    }
    assert!(man.contains(".TH proclab 1"), "{man}");
    for name in &names {
        // Where each generator puts a subcommand: bash's case on "proclab,NAME",
        // zsh's 'NAME:about' list, fish's `-a "NAME"`, the man page's SUBCOMMANDS
        // list (roff escapes '-') and its COMMANDS section.
        assert!(bash.contains(&format!("proclab,{name})")), "bash: {name}");
        assert!(zsh.contains(&format!("'{name}:")), "zsh: {name}");
        assert!(fish.contains(&format!("-a \"{name}\"")), "fish: {name}");
        let escaped = name.replace('-', "\\-");
        assert!(
            man.contains(&format!("proclab\\-{escaped}(1)")),
            "man: {name}"
        );
        assert!(
            man.contains(&format!(".SS \"proclab {name}\"")),
            "man: {name}"
        );
    }
}

fn ceiling(cap: u32) -> crate::ceiling::Ceiling {
    crate::ceiling::Ceiling {
        cap,
        why: "RLIMIT_NPROC 1000 − 100 tasks you already run = 900".into(),
    }
}

fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("proclab").chain(args.iter().copied())).expect("parses")
}

/// `check_cap` with the cap in force.
fn cap_check(cli: &Cli, ceiling: impl FnOnce() -> crate::ceiling::Ceiling) -> Result<(), String> {
    cli.check_cap(cli.settings().expect("settings").cap, ceiling)
}

#[test]
fn only_trace_goes_above_64_and_only_up_to_the_machine_s_ceiling() {
    let never = || -> crate::ceiling::Ceiling { panic!("not needed") };
    assert_eq!(
        cap_check(&cli(&["--cap", "64", "run", "zombie"]), never),
        Ok(())
    );
    assert_eq!(
        cap_check(&cli(&["--cap", "9", "trace", "--", "true"]), never),
        Ok(())
    );
    let run = cap_check(&cli(&["--cap", "100", "run", "fork-fanout"]), never).unwrap_err();
    assert!(
        run.contains("100 is above proclab's hard ceiling of 64"),
        "{run}"
    );
    assert!(
        run.contains("1..=64") && run.contains("proclab trace"),
        "{run}"
    );
    assert!(
        cap_check(&cli(&["--cap", "65"]), never).is_err(),
        "the menu"
    );
    let trace = cli(&["trace", "--cap", "100", "--", "make", "-j"]);
    assert_eq!(trace.settings().map(|s| s.cap), Ok(100));
    assert_eq!(cap_check(&trace, || ceiling(900)), Ok(()));
    assert_eq!(cap_check(&trace, || ceiling(100)), Ok(()));
    let over = cap_check(&trace, || ceiling(99)).unwrap_err();
    assert!(
        over.contains("at most 99 live processes (RLIMIT_NPROC 1000"),
        "{over}"
    );
    assert!(over.contains("use 1..=99"), "{over}");
}

/// The long options a command's `--help` lists.
fn options_of(name: &str) -> Vec<String> {
    let mut cmd = Cli::command();
    cmd.build();
    let sub = cmd.find_subcommand(name).expect("a command").clone();
    sub.get_arguments()
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect()
}

#[test]
fn each_command_s_help_lists_only_its_own_options() {
    let screen = ["--theme", "--present"];
    for (name, has, lacks) in [
        (
            "export",
            &[][..],
            &[
                "--theme",
                "--present",
                "--pace",
                "--lessons",
                "--cap",
                "--lang",
                "--python",
            ][..],
        ),
        (
            "completions",
            &[],
            &["--theme", "--lessons", "--cap", "--lang"],
        ),
        ("man", &[], &["--theme", "--lessons", "--cap"]),
        (
            "list",
            &["--lessons", "--lang", "--cap"],
            &["--theme", "--present", "--pace", "--python"],
        ),
        (
            "doctor",
            &["--python", "--cap"],
            &["--theme", "--present", "--pace", "--lessons", "--lang"],
        ),
        (
            "check-lessons",
            &["--cap"],
            &["--theme", "--present", "--pace", "--lessons", "--python"],
        ),
        (
            "lesson",
            &[
                "--lessons",
                "--python",
                "--lang",
                "--cap",
                "--theme",
                "--present",
                "--pace",
            ],
            &[],
        ),
        (
            "run",
            &["--lang", "--cap", "--theme", "--present", "--pace", "--set"],
            &["--lessons", "--python"],
        ),
        (
            "trace",
            &["--lang", "--cap", "--theme", "--present", "--pace"],
            &["--lessons", "--python"],
        ),
        (
            "replay",
            &["--lessons", "--lang", "--theme", "--present"],
            &["--cap", "--pace", "--python"],
        ),
    ] {
        let listed = options_of(name);
        for o in has {
            assert!(
                listed.iter().any(|l| l == o),
                "{name} takes {o}: {listed:?}"
            );
        }
        for o in lacks {
            assert!(
                !listed.iter().any(|l| l == o),
                "{name} lists {o}: {listed:?}"
            );
        }
    }
    // The menu (no command) takes them all.
    let cmd = Cli::command();
    for o in screen
        .iter()
        .chain(&["--lessons", "--python", "--lang", "--cap", "--pace"])
    {
        assert!(
            cmd.get_arguments()
                .any(|a| a.get_long().map(|l| format!("--{l}")).as_deref() == Some(*o)),
            "the menu takes {o}"
        );
    }
}

#[test]
fn options_given_before_or_after_the_command_alike() {
    let before = cli(&["--lang", "zh", "--theme", "light", "lesson", "zombie"]);
    let after = cli(&["lesson", "zombie", "--lang", "zh", "--theme", "light"]);
    assert_eq!(before.settings(), after.settings());
    let s = after.settings().expect("settings");
    assert_eq!(
        (s.lang.as_deref(), s.theme, s.cap),
        (Some("zh"), Theme::Light, MAX_CAP)
    );
    // The command's own place wins over before it.
    let both = cli(&["--cap", "9", "run", "zombie", "--cap", "5"]);
    assert_eq!(both.settings().map(|s| s.cap), Ok(5));
    // Defaults when neither says.
    let s = cli(&["list"]).settings().expect("settings");
    assert_eq!(
        (s.cap, s.theme, s.present, s.pace),
        (MAX_CAP, Theme::Dark, false, None)
    );
}

#[test]
fn an_option_before_a_command_that_does_not_take_it_is_refused() {
    let why = cli(&["--theme", "light", "export", "t.jsonl"])
        .settings()
        .unwrap_err();
    assert!(
        why.contains("--theme means nothing to `proclab export`")
            && why.contains("proclab export --help"),
        "{why}"
    );
    assert!(
        cli(&["--lessons", "d", "run", "zombie"])
            .settings()
            .is_err()
    );
    assert!(
        cli(&["--pace", "2", "replay", "t.jsonl"])
            .settings()
            .is_err()
    );
    // After the command, clap itself refuses it.
    assert!(Cli::try_parse_from(["proclab", "export", "t.jsonl", "--theme", "light"]).is_err());
}
