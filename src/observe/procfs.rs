//! What only the kernel knows about a process, read from /proc: its state letter, when
//! it started (to notice a recycled PID), and why it sleeps (`wchan`).

/// The fields of /proc/PID/stat that the observer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub state: char,
    pub ppid: i32,
    pub pgid: i32,
    pub start_ticks: u64,
}

pub fn read_stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parses a stat line; the command name may hold spaces and parentheses, so fields
/// are counted from the last ')'.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state) of proc(5); starttime is field 22.
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgid: fields.get(2)?.parse().ok()?,
        start_ticks: fields.get(19)?.parse().ok()?,
    })
}

pub fn read_wchan(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/wchan"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
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
        let me = std::process::id() as i32;
        let s = read_stat(me).unwrap();
        assert!(s.start_ticks > 0);
    }
}
