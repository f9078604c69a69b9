//! What only the kernel knows about a process, read from /proc: its state letter, when
//! it started (to notice a recycled PID), why it sleeps (`wchan`), and which signals
//! it ignores or catches (`SigIgn`, `SigCgt` in `status`).

/// The fields of /proc/PID/stat that the observer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub state: char,
    pub ppid: i32,
    pub pgid: i32,
    pub start_ticks: u64,
    /// The CPU it last ran on (field 39).
    pub processor: Option<u32>,
    /// User plus system CPU time so far, in clock ticks (fields 14 and 15).
    pub cpu_ticks: u64,
}

pub fn read_stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// The state letter of one thread (`/proc/TGID/task/TID/stat`).
pub fn read_task_state(tgid: i32, tid: i32) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/{tgid}/task/{tid}/stat")).ok()?;
    parse_state(&text)
}

/// Whether a process (or thread) in this state still runs code: not a zombie, not
/// dead (its memory is gone then).
pub fn runs_code(state: char) -> bool {
    !matches!(state, 'Z' | 'X' | 'x')
}

/// Whether `pid` exists and still runs code.
pub fn alive(pid: i32) -> bool {
    read_stat(pid).is_some_and(|s| runs_code(s.state))
}

/// The state letter alone (field 3), after the last ')'.
fn parse_state(text: &str) -> Option<char> {
    text[text.rfind(')')? + 1..].trim_start().chars().next()
}

/// Parses a stat line; the command name may hold spaces and parentheses, so fields
/// are counted from the last ')'.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state) of proc(5); starttime is field 22.
    Some(Stat {
        state: parse_state(text)?,
        ppid: fields.get(1)?.parse().ok()?,
        pgid: fields.get(2)?.parse().ok()?,
        start_ticks: fields.get(19)?.parse().ok()?,
        processor: fields.get(36).and_then(|f| f.parse().ok()),
        cpu_ticks: fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?,
    })
}

/// Clock ticks per second, the unit of `cpu_ticks`.
#[allow(
    clippy::cast_precision_loss,
    reason = "sysconf(_SC_CLK_TCK) is 100 or so: exact in an f64"
)]
pub fn ticks_per_second() -> f64 {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK) {
        Ok(Some(hz)) if hz > 0 => hz as f64,
        _ => 100.0,
    }
}

/// The `status` file of every process on the machine (that can still be read).
pub fn every_status() -> impl Iterator<Item = String> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
}

pub fn read_wchan(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/wchan"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The signal masks of /proc/PID/status: bit n-1 set means signal n.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigMasks {
    /// `SigIgn`: signals whose disposition is SIG_IGN.
    pub ignored: u64,
    /// `SigCgt`: signals with a handler installed.
    pub caught: u64,
}

pub fn read_sig_masks(pid: i32) -> Option<SigMasks> {
    parse_sig_masks(&read_status(pid)?)
}

/// The text of /proc/PID/status.
pub fn read_status(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/status")).ok()
}

/// The value of one `Key:` line of a status file, its first word (`Uid:` gives the
/// real UID of the four): `status_field(s, "Tgid")`.
pub fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|l| {
        l.strip_prefix(key)?
            .strip_prefix(':')?
            .split_whitespace()
            .next()
    })
}

/// A status field as a number (`parse`), or a hex mask.
pub fn status_number(status: &str, key: &str) -> Option<u64> {
    status_field(status, key)?.parse().ok()
}

fn status_mask(status: &str, key: &str) -> Option<u64> {
    u64::from_str_radix(status_field(status, key)?, 16).ok()
}

/// How many times the process has left a CPU: `voluntary_ctxt_switches` plus
/// `nonvoluntary_ctxt_switches` of a status file. Unchanged between two readings: it
/// has not run at all in between.
pub fn parse_switches(status: &str) -> Option<u64> {
    Some(
        status_number(status, "voluntary_ctxt_switches")?
            + status_number(status, "nonvoluntary_ctxt_switches")?,
    )
}

/// CAP_SYS_PTRACE (capabilities(7); libc has no constant) in `CapEff` of a status file.
pub fn may_ptrace(status: &str) -> bool {
    const CAP_SYS_PTRACE: u32 = 19;
    status_mask(status, "CapEff").is_some_and(|caps| caps & (1 << CAP_SYS_PTRACE) != 0)
}

/// Finds `SigIgn:` and `SigCgt:` (16 hex digits each) in a status file.
pub fn parse_sig_masks(status: &str) -> Option<SigMasks> {
    Some(SigMasks {
        ignored: status_mask(status, "SigIgn")?,
        caught: status_mask(status, "SigCgt")?,
    })
}

/// The signals set in a mask, in number order: `SIGPIPE` for 13; signals without a
/// name of their own (32 and up: the real-time range) as `SIGRT<n>`, n the number.
pub fn signal_names(mask: u64) -> Vec<String> {
    (1..=64)
        .filter(|n| mask & (1u64 << (n - 1)) != 0)
        .map(|n| {
            nix::sys::signal::Signal::try_from(n)
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|_| format!("SIGRT{n}"))
        })
        .collect()
}

/// The state letter as a word.
pub fn state_word(state: char) -> &'static str {
    match state {
        'R' => "running",
        'S' => "sleeping",
        'D' => "disk wait",
        'T' => "stopped",
        't' => "traced",
        'Z' => "zombie",
        'X' => "dead",
        'I' => "idle",
        _ => "unknown",
    }
}

/// Why a process is in `state`, in words a learner can follow.
pub fn reason(state: char, wchan: &str) -> String {
    match state {
        'Z' => return "exited; parent hasn't called waitpid".into(),
        'T' => return "stopped by a signal".into(),
        't' => return "stopped by a tracer".into(),
        'R' => return "on a CPU or ready to run".into(),
        _ => {}
    }
    let w = wchan;
    // futex first: recent kernels name the futex sleep `futex_do_wait`.
    let why = if w.starts_with("futex") {
        "waiting on a lock (futex)"
    } else if w.contains("do_wait") || w.contains("wait4") || w.contains("waitid") {
        "waiting for a child (waitpid)"
    } else if w.contains("pipe_read") {
        "reading a pipe (nothing to read yet)"
    } else if w.contains("pipe_write") {
        "writing a pipe (pipe is full)"
    } else if w.contains("nanosleep") {
        "sleeping (time.sleep)"
    } else if w.contains("signal_stop") {
        "stopped by a signal"
    } else if w.contains("unix_stream") || w.contains("sk_wait") || w.contains("skb_recv") {
        "reading a socket"
    } else if w.contains("poll") || w.contains("select") {
        "waiting in poll/select"
    } else if w.is_empty() || w == "0" {
        "sleeping in the kernel"
    } else {
        return format!("in the kernel: {w}");
    };
    why.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_odd_command_name() {
        let line = "42 (a) b (c)) S 7 42 42 0 -1 4194560 1 0 0 0 3 4 0 0 20 0 1 0 12345 1000 100";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.state, 'S');
        assert_eq!(s.ppid, 7);
        assert_eq!(s.pgid, 42);
        assert_eq!(s.start_ticks, 12345);
    }

    #[test]
    fn reasons_from_wchan() {
        assert_eq!(reason('S', "do_wait"), "waiting for a child (waitpid)");
        assert_eq!(reason('S', "hrtimer_nanosleep"), "sleeping (time.sleep)");
        assert_eq!(
            reason('S', "anon_pipe_read"),
            "reading a pipe (nothing to read yet)"
        );
        assert_eq!(reason('S', "futex_wait_queue"), "waiting on a lock (futex)");
        assert_eq!(reason('S', "futex_do_wait"), "waiting on a lock (futex)");
        assert_eq!(reason('Z', ""), "exited; parent hasn't called waitpid");
        assert_eq!(reason('S', "ep_poll"), "waiting in poll/select");
    }

    #[test]
    fn reads_this_process() {
        let me = nix::unistd::getpid().as_raw();
        let s = read_stat(me).unwrap();
        assert!(s.start_ticks > 0);
        // Every Rust program ignores SIGPIPE (the runtime sets it before main).
        let masks = read_sig_masks(me).unwrap();
        assert!(signal_names(masks.ignored).contains(&"SIGPIPE".to_string()));
    }

    #[test]
    fn sig_masks_from_status() {
        let status = "Name:\tpython3\nState:\tS (sleeping)\nSigQ:\t0/63448\n\
                      SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n\
                      SigBlk:\t0000000000000000\nSigIgn:\t0000000001001000\n\
                      SigCgt:\t0000000180000002\nCapInh:\t0000000000000000\n";
        let m = parse_sig_masks(status).unwrap();
        assert_eq!(m.ignored, 0x0100_1000);
        assert_eq!(m.caught, 0x1_8000_0002);
        // CPython: ignores SIGPIPE (13) and SIGXFSZ (25), catches SIGINT (2).
        assert_eq!(signal_names(m.ignored), ["SIGPIPE", "SIGXFSZ"]);
        assert_eq!(signal_names(m.caught), ["SIGINT", "SIGRT32", "SIGRT33"]);
        assert!(parse_sig_masks("State:\tS\n").is_none());
        let switches = "voluntary_ctxt_switches:\t41\nnonvoluntary_ctxt_switches:\t2\n";
        assert_eq!(parse_switches(switches), Some(43));
        assert_eq!(parse_switches(status), None);
    }

    #[test]
    fn status_fields_by_name() {
        let status = "Name:\tpython3\nTgid:\t4242\nUid:\t1000\t1000\t1000\t1000\n\
                      CapEff:\t000001ffffffffff\nThreads:\t3\n";
        assert_eq!(status_field(status, "Tgid"), Some("4242"));
        assert_eq!(status_number(status, "Uid"), Some(1000), "the real UID");
        assert_eq!(status_number(status, "Threads"), Some(3));
        assert_eq!(
            status_field(status, "Tg"),
            None,
            "a whole key, not a prefix"
        );
        assert!(may_ptrace(status));
        assert!(!may_ptrace("CapEff:\t0000000000000000\n"));
        assert!(alive(std::process::id().try_into().unwrap()));
        assert!(runs_code('S') && !runs_code('Z') && !runs_code('X'));
    }

    #[test]
    fn signal_mask_bits() {
        assert!(signal_names(0).is_empty());
        assert_eq!(signal_names(1), ["SIGHUP"]);
        assert_eq!(signal_names(1 << 8), ["SIGKILL"]);
        assert_eq!(signal_names((1 << 14) | (1 << 17)), ["SIGTERM", "SIGCONT"]);
        assert_eq!(signal_names(1 << 33), ["SIGRT34"]);
        assert_eq!(signal_names(1 << 63), ["SIGRT64"]);
    }
}
