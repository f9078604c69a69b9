//! `proclab doctor`: what this machine supports that proclab relies on.

use std::io::IsTerminal;

use crate::observe::procfs;

pub fn report() -> String {
    let me = std::process::id() as i32;
    let mut out = String::new();
    let mut line = |ok: bool, what: &str, detail: String| {
        out.push_str(&format!(
            "{} {what:<22} {detail}\n",
            if ok { "ok  " } else { "WARN" }
        ));
    };
    let stat = procfs::read_stat(me);
    line(
        stat.is_some(),
        "/proc",
        if stat.is_some() {
            "readable".into()
        } else {
            "not mounted: no states".into()
        },
    );
    let wchan_ok = std::path::Path::new(&format!("/proc/{me}/wchan")).exists();
    line(
        wchan_ok,
        "/proc/PID/wchan",
        if wchan_ok {
            "present: reasons for waiting".into()
        } else {
            "missing: no reasons shown".into()
        },
    );
    let children = std::path::Path::new(&format!("/proc/{me}/task/{me}/children")).exists();
    line(
        children,
        "/proc/…/children",
        if children {
            "present".into()
        } else {
            "missing: leftovers found by waitpid only".into()
        },
    );
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    line(true, "CPU cores", format!("{cpus}"));
    // SAFETY: getrlimit into a local struct.
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let nproc = unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut lim) } == 0;
    let detail = if !nproc {
        "unknown".to_string()
    } else if lim.rlim_cur == libc::RLIM_INFINITY {
        "unlimited".to_string()
    } else {
        lim.rlim_cur.to_string()
    };
    line(
        true,
        "RLIMIT_NPROC",
        format!("{detail} (proclab caps a run at 64 live processes)"),
    );
    let tty = std::io::stdout().is_terminal();
    let size = ratatui::crossterm::terminal::size().ok();
    let detail = match (tty, size) {
        (true, Some((w, h))) => format!(
            "{w}×{h}{}",
            if w < 80 || h < 24 {
                " — below 80×24, enlarge it"
            } else {
                ""
            }
        ),
        _ => "not a terminal: use --headless or --json".into(),
    };
    line(
        tty && size.is_some_and(|(w, h)| w >= 80 && h >= 24),
        "terminal",
        detail,
    );
    let lang = std::env::var("LANG").unwrap_or_default();
    line(
        true,
        "LANG",
        if lang.is_empty() {
            "unset (English narration)".into()
        } else {
            lang
        },
    );
    out
}
