//! Text generated from the command line's definition: the completion scripts
//! (clap_complete) and the man page (clap_mangen), so neither drifts from it.

use clap::CommandFactory;

use super::{Cli, Shell};

/// The completion script for `shell`, generated from the definition above (so it
/// never drifts from it).
pub fn completions(shell: Shell) -> Vec<u8> {
    // clap_complete completes hidden subcommands too: offer only what `--help` lists.
    let full = Cli::command();
    let mut cmd = clap::Command::new("proclab")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "proclab", &mut out);
    out
}

/// The man page (roff), generated from the definition above: one page for the whole
/// tool, so besides the SUBCOMMANDS list (which names proclab-CMD(1) pages, as
/// clap_mangen does), a COMMANDS section gives each command's synopsis, description
/// and options here.
pub fn man_page() -> Vec<u8> {
    man_page_into(Vec::new()).expect("writing to a Vec cannot fail")
}

fn man_page_into(mut out: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        let full = format!("proclab {}", sub.get_name());
        let about = sub
            .get_long_about()
            .or(sub.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        let head = roff::Roff::new()
            .control("SS", [full.as_str()])
            .text([roff::roman(about)])
            .to_roff();
        out.extend_from_slice(head.as_bytes());
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(&full));
        let mut part = Vec::new();
        sub_man.render_synopsis_section(&mut part)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            sub_man.render_options_section(&mut part)?;
        }
        // The sub-page's own headings become paragraphs of this command's section.
        let part = String::from_utf8_lossy(&part)
            .replace(".SH SYNOPSIS\n", ".PP\n")
            .replace(".SH OPTIONS\n", ".PP\n");
        out.extend_from_slice(part.as_bytes());
    }
    man.render_extra_section(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// The subcommands `--help` lists (not the hidden ones), as typed.
pub fn visible_subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}
