//! Phrases that arrive in English, put in the screen's language: a state letter's word,
//! the observer's reasons (`procfs::reason`), the runner's and the tracer's phrases on
//! the wire (a signal's action, a fault's `si_code` cause, why the kernel released a
//! child) and a lesson's over-cap arithmetic. They are matched by their English, a
//! closed set proclab writes itself; anything unknown stays as it came.

use super::{Lang, t};
use crate::tr;

/// The state letter as a word (`S` sleeping), as `ps` would say it in this language.
pub fn state_word(lang: Lang, letter: char) -> &'static str {
    let key = match letter {
        'R' => "state.R",
        'S' => "state.S",
        'D' => "state.D",
        'T' => "state.T",
        't' => "state.t",
        'Z' => "state.Z",
        'X' => "state.X",
        'I' => "state.I",
        _ => "state.unknown",
    };
    t(lang, key)
}

/// Why a process waits (the observer's words, `procfs::reason`, which a recorded
/// trace carries in English too) in this language. A reason proclab does not know
/// stays as it came.
pub fn reason(lang: Lang, english: &str) -> String {
    if lang == Lang::En {
        return english.to_string();
    }
    if let Some(w) = english.strip_prefix("in the kernel: ") {
        return tr!(lang, "reason.in_kernel", wchan = w);
    }
    // A reason may carry what proclab adds after it (`· 45% CPU`).
    match reason_key(english) {
        Some(key) => t(lang, key).to_string(),
        None => english.to_string(),
    }
}

/// The key of one of `procfs::reason`'s phrases (a test keeps the two in step).
pub(super) fn reason_key(english: &str) -> Option<&'static str> {
    Some(match english {
        "exited; parent hasn't called waitpid" => "reason.zombie",
        "stopped by a signal" => "reason.stopped",
        "stopped by a tracer" => "reason.traced",
        "on a CPU or ready to run" => "reason.running",
        "waiting on a lock (futex)" => "reason.futex",
        "waiting for a child (waitpid)" => "reason.wait",
        "reading a pipe (nothing to read yet)" => "reason.pipe_read",
        "writing a pipe (pipe is full)" => "reason.pipe_write",
        "sleeping (time.sleep)" => "reason.sleep",
        "reading a socket" => "reason.socket",
        "waiting in poll/select" => "reason.poll",
        "sleeping in the kernel" => "reason.kernel",
        _ => return None,
    })
}

/// A phrase the runner or the tracer put on the wire (what a signal's arrival did,
/// why the kernel released a child), in this language; anything else as it came.
pub fn wire(lang: Lang, english: &str) -> String {
    let key = match english {
        "ignored" => "wire.ignored",
        "handler" => "wire.handler",
        "default (terminates)" => "wire.default_term",
        "default (stops)" => "wire.default_stop",
        "default (nothing happens)" => "wire.default_nothing",
        "default (terminates: SIGKILL cannot be caught, blocked or ignored)" => "wire.sigkill",
        "its parent ignores SIGCHLD, so the kernel reaped it at once" => "wire.released_ign",
        "its parent asked for no zombies (SA_NOCLDWAIT), so the kernel reaped it at once" => {
            "wire.released_nocldwait"
        }
        "not seen: it left the process table without a wait proclab saw" => "wire.not_seen",
        // Why the kernel raised a signal itself (the tracer's `kernel_cause`).
        "SEGV_MAPERR: a fault, the address is not mapped" => "wire.cause.segv_maperr",
        "SEGV_ACCERR: a fault, no permission for that access" => "wire.cause.segv_accerr",
        "BUS_ADRALN: a fault, misaligned address" => "wire.cause.bus_adraln",
        "BUS_ADRERR: a fault, no such physical address" => "wire.cause.bus_adrerr",
        "BUS_OBJERR: a fault, hardware error on the object" => "wire.cause.bus_objerr",
        "FPE_INTDIV: a fault, integer division by zero" => "wire.cause.fpe_intdiv",
        "FPE_INTOVF: a fault, integer overflow" => "wire.cause.fpe_intovf",
        "a floating-point fault" => "wire.cause.fpe",
        "a fault, an illegal instruction" => "wire.cause.ill",
        "a trap (breakpoint or trace)" => "wire.cause.trap",
        "CLD_EXITED: a child exited" => "wire.cause.cld_exited",
        "CLD_KILLED: a child was killed" => "wire.cause.cld_killed",
        "CLD_DUMPED: a child dumped core" => "wire.cause.cld_dumped",
        "CLD_TRAPPED: a traced child stopped" => "wire.cause.cld_trapped",
        "CLD_STOPPED: a child stopped" => "wire.cause.cld_stopped",
        "CLD_CONTINUED: a child continued" => "wire.cause.cld_continued",
        "SI_KERNEL: sent by the kernel" => "wire.cause.si_kernel",
        _ => return english.to_string(),
    };
    t(lang, key).to_string()
}

/// Why a lesson is closed under a lowered `--cap`, in this language: `check_cap`'s
/// English (`refused: 1 parent + 3 workers = 4, over the cap of 2 live processes`,
/// a closed set of words the scenarios use) read back term by term. Anything not
/// recognised stays as it came.
pub fn cap_refusal(lang: Lang, english: &str) -> String {
    let plain = english.trim_start_matches("refused: ");
    if lang == Lang::En {
        return plain.to_string();
    }
    let Some((arithmetic, rest)) = plain.split_once(", over the cap of ") else {
        return plain.to_string();
    };
    let Some(cap) = rest.strip_suffix(" live processes") else {
        return plain.to_string();
    };
    let said = if let Some(rounds) = arithmetic
        .strip_prefix("without the break every process forks in each of ")
        .and_then(|r| r.split_once(" rounds: "))
        .map(|(n, _)| n)
    {
        let total = arithmetic
            .rsplit(" = ")
            .next()
            .unwrap_or("")
            .trim_end_matches(" processes");
        tr!(lang, "cap.doubling", n = rounds, total = total)
    } else {
        let Some((terms, total)) = arithmetic.rsplit_once(" = ") else {
            return plain.to_string();
        };
        let terms: Vec<String> = terms.split(" + ").map(|t| cap_term(lang, t)).collect();
        format!("{} = {total}", terms.join(" + "))
    };
    tr!(lang, "cap.over", arithmetic = said, cap = cap)
}

/// One term of a cap's arithmetic (`3 workers`, `main`) in this language.
fn cap_term(lang: Lang, english: &str) -> String {
    let (n, role) = match english.split_once(' ') {
        Some((n, role)) if n.parse::<u64>().is_ok() => (Some(n), role),
        _ => (None, english),
    };
    let key = match role {
        "parent" => "cap.parent",
        "child" | "children" => "cap.child",
        "worker" | "workers" => "cap.worker",
        "pool workers" => "cap.pool_worker",
        "producer" | "producers" => "cap.producer",
        "consumer" | "consumers" => "cap.consumer",
        "waiter" | "waiters" => "cap.waiter",
        "setter" => "cap.setter",
        "caller" => "cap.caller",
        // A process's own name (`main`) or a word proclab does not know.
        _ => return english.to_string(),
    };
    let word = t(lang, key);
    match n {
        Some(n) => format!("{n} {word}"),
        None => word.to_string(),
    }
}
