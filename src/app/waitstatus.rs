//! The raw status `waitpid` returns, decoded the way the tutorials draw it: 16 bits,
//! the high byte the exit code, bit 7 the core-dump flag, the low 7 bits the signal
//! that ended the process (0: it exited). Pure: text only.

use std::fmt;

use crate::i18n::Lang;
use crate::tr;
use crate::trace::event::signal_name;

/// One status in three parts, so a narrow screen can break between them:
/// `raw` → `fields` → `verdict`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// `status 9 = 0x0009`
    pub raw: String,
    /// `high byte 0, core 0, signal 9 (SIGKILL)`
    pub fields: String,
    /// `WIFSIGNALED, WTERMSIG = 9`
    pub verdict: String,
}

impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {} → {}", self.raw, self.fields, self.verdict)
    }
}

/// Decodes a raw wait status, in English.
pub fn decode(status: i32) -> Decoded {
    decode_in(status, Lang::En)
}

/// Decodes a raw wait status; the fields in `lang`, the macros as `wait(2)` names them.
pub fn decode_in(status: i32, lang: Lang) -> Decoded {
    let bits = status & 0xffff;
    let raw = format!("status {status} = 0x{bits:04X}");
    let high = (bits >> 8) & 0xff;
    let low7 = bits & 0x7f;
    let core = (bits >> 7) & 1;
    let (fields, verdict) = if bits == 0xffff {
        (
            tr!(lang, "status.continued").to_string(),
            "WIFCONTINUED".to_string(),
        )
    } else if bits & 0xff == 0x7f {
        (
            tr!(lang, "status.stopped", n = high, signal = signal_name(high)),
            format!("WIFSTOPPED, WSTOPSIG = {high}"),
        )
    } else if low7 == 0 {
        (
            tr!(lang, "status.exited", code = high),
            format!("WIFEXITED, WEXITSTATUS = {high}"),
        )
    } else {
        let dumped = if core == 1 { ", WCOREDUMP" } else { "" };
        (
            // A killed process has no exit code: the high byte is just 0.
            tr!(
                lang,
                "status.signaled",
                high = high,
                core = core,
                n = low7,
                signal = signal_name(low7)
            ),
            format!("WIFSIGNALED, WTERMSIG = {low7}{dumped}"),
        )
    };
    Decoded {
        raw,
        fields,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn killed_by_a_signal() {
        assert_eq!(
            decode(9).to_string(),
            "status 9 = 0x0009 → high byte 0, core 0, signal 9 (SIGKILL) → WIFSIGNALED, WTERMSIG = 9"
        );
        assert_eq!(
            decode(15).to_string(),
            "status 15 = 0x000F → high byte 0, core 0, signal 15 (SIGTERM) → WIFSIGNALED, WTERMSIG = 15"
        );
    }

    #[test]
    fn exited_with_a_code() {
        assert_eq!(
            decode(256).to_string(),
            "status 256 = 0x0100 → exit code 1 → WIFEXITED, WEXITSTATUS = 1"
        );
        assert_eq!(
            decode(0).to_string(),
            "status 0 = 0x0000 → exit code 0 → WIFEXITED, WEXITSTATUS = 0"
        );
        let d = decode(255 << 8);
        assert_eq!(d.raw, "status 65280 = 0xFF00");
        assert_eq!(d.verdict, "WIFEXITED, WEXITSTATUS = 255");
    }

    #[test]
    fn core_dump_bit() {
        // SIGSEGV (11) with bit 7 set: 0x8B.
        let d = decode(139);
        assert_eq!(d.raw, "status 139 = 0x008B");
        assert_eq!(d.fields, "high byte 0, core 1, signal 11 (SIGSEGV)");
        assert_eq!(d.verdict, "WIFSIGNALED, WTERMSIG = 11, WCOREDUMP");
    }

    #[test]
    fn stopped_and_continued() {
        // WUNTRACED: a stopped child reports 0x7F in the low byte, the signal above.
        let d = decode((19 << 8) | 0x7f);
        assert_eq!(d.raw, "status 4991 = 0x137F");
        assert_eq!(d.fields, "stop signal 19 (SIGSTOP), low byte 0x7F");
        assert_eq!(d.verdict, "WIFSTOPPED, WSTOPSIG = 19");
        assert_eq!(decode(0xffff).verdict, "WIFCONTINUED");
    }

    #[test]
    fn agrees_with_libc() {
        for status in [0, 1, 2, 9, 15, 139, 256, 0x0f00, 0x137f, 0xffff] {
            let d = decode(status);
            assert_eq!(d.verdict.starts_with("WIFEXITED"), libc::WIFEXITED(status));
            assert_eq!(
                d.verdict.starts_with("WIFSIGNALED"),
                libc::WIFSIGNALED(status)
            );
            assert_eq!(
                d.verdict.starts_with("WIFSTOPPED"),
                libc::WIFSTOPPED(status)
            );
            assert_eq!(
                d.verdict.contains("WCOREDUMP"),
                libc::WIFSIGNALED(status) && libc::WCOREDUMP(status)
            );
        }
    }
}
