//! End to end in a real pseudo-terminal: the menu, a lesson held at its steps, quitting
//! with q, Esc, Ctrl-C, SIGTERM and SIGHUP, a terminal too small to draw in (and then
//! grown), and a run played to its summary and restarted; a table of every exit path
//! (q, Ctrl-C, SIGINT, SIGTERM, SIGHUP, a panic, SIGKILL) mid-run of one scenario of
//! each kind; a resize storm; a non-UTF-8 locale. Each test checks that the
//! alternate screen is left, the cursor shown, raw mode undone, and that no process of
//! the run is left. Text is looked for on a modelled screen (`common::Screen`) or in the
//! output with escape codes stripped, since ratatui redraws only the cells that changed.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::pty::*;
use common::*;
use nix::sys::termios::{LocalFlags, tcgetattr};

fn assert_raw_mode(pty: &Pty) {
    let (icanon, echo) = pty.cooked_flags();
    assert!(
        !icanon && !echo,
        "[{}] the screens must run in raw mode: ICANON {icanon}, ECHO {echo}",
        pty.name
    );
}

#[test]
fn menu_open_lesson_step_and_quit() {
    let mut pty = Pty::spawn("pty_menu", &[], 120, 40);
    pty.wait_for(&["Lessons"], 0);
    assert_raw_mode(&pty);
    assert_eq!(
        wait_for_tagged(&pty.tag, 1, WAIT),
        1,
        "only the front end runs in the menu"
    );

    let mark = pty.len();
    pty.send("\r");
    pty.wait_for(&["Processes", "AT STEP 'start'"], mark);
    // The run is held at its first gate: front end + runner.
    let alive = wait_for_tagged(&pty.tag, 2, WAIT);
    assert!(
        alive >= 2,
        "the lesson's runner should be alive, saw {alive} tagged processes"
    );

    let mark = pty.len();
    pty.send(" ");
    pty.wait_for(&["AT STEP 'first-fork'"], mark);
    pty.wait_for(&["child 0"], mark);
    let alive = wait_for_tagged(&pty.tag, 3, Duration::from_secs(1));
    assert!(
        alive >= 3,
        "main's first child should be alive, saw {alive} tagged processes"
    );

    pty.quit_cleanly();
}

/// Space a few times into a lesson (main forking, children alive), then `signal` to
/// proclab itself: it must quit like q, restore the terminal and stop every process.
fn quit_signal_during_a_lesson(name: &str, signal: nix::sys::signal::Signal) {
    let mut pty = Pty::spawn(name, &["lesson", "fork-fanout"], 120, 40);
    pty.wait_for(&["Processes", "AT STEP 'start'"], 0);
    let mark = pty.len();
    pty.send(" ");
    pty.wait_for(&["AT STEP 'first-fork'"], mark);
    // Two more: run on from first-fork (forking every 0.4 s) with a permit to spare.
    pty.send(" ");
    pty.send(" ");
    let alive = wait_for_tagged(&pty.tag, 4, WAIT);
    assert!(
        alive >= 4,
        "front end, main and two children should be alive, saw {alive}"
    );
    assert_raw_mode(&pty);

    pty.signal(signal);
    let status = pty.wait_exit(WAIT);
    assert!(
        status.signal().is_none(),
        "{signal} must be handled, not fatal: {status:?}"
    );
    assert!(status.success(), "{signal} quits like q: {status:?}");
    pty.assert_clean_exit();
}

#[test]
fn sigterm_during_a_lesson_restores_the_terminal_and_stops_the_run() {
    quit_signal_during_a_lesson("pty_sigterm", nix::sys::signal::Signal::SIGTERM);
}

#[test]
fn sighup_during_a_lesson_restores_the_terminal_and_stops_the_run() {
    quit_signal_during_a_lesson("pty_sighup", nix::sys::signal::Signal::SIGHUP);
}

#[test]
fn sigquit_during_a_lesson_restores_the_terminal_and_stops_the_run() {
    quit_signal_during_a_lesson("pty_sigquit", nix::sys::signal::Signal::SIGQUIT);
}

#[test]
fn sigusr1_during_a_lesson_restores_the_terminal_and_stops_the_run() {
    quit_signal_during_a_lesson("pty_sigusr1", nix::sys::signal::Signal::SIGUSR1);
}

#[test]
fn sigalrm_during_a_lesson_restores_the_terminal_and_stops_the_run() {
    quit_signal_during_a_lesson("pty_sigalrm", nix::sys::signal::Signal::SIGALRM);
}

// ---- job control -------------------------------------------------------------------

/// proclab's state letter in /proc (T when stopped).
fn state_of(pid: i32) -> char {
    proc_entry(pid).map_or('?', |p| p.state)
}

fn wait_state(pty: &Pty, want: char) {
    let deadline = Instant::now() + WAIT;
    while state_of(pty.pid) != want {
        assert!(
            Instant::now() < deadline,
            "[{}] proclab never reached state {want} (it is {})",
            pty.name,
            state_of(pty.pid)
        );
        thread::sleep(Duration::from_millis(10));
    }
}

fn wait_cooked(pty: &Pty, cooked: bool) {
    let deadline = Instant::now() + WAIT;
    while pty.cooked_flags() != (cooked, cooked) {
        assert!(
            Instant::now() < deadline,
            "[{}] the terminal never became {} (ICANON, ECHO = {:?})",
            pty.name,
            if cooked { "cooked" } else { "raw" },
            pty.cooked_flags()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// What the shell does when a job stops: the terminal back in cooked mode.
fn shell_takes_the_terminal_back(pty: &Pty) {
    use nix::sys::termios::{SetArg, tcsetattr};
    let fd = pty.master.as_raw_fd().expect("master fd");
    // SAFETY: the master stays open for as long as `pty` lives.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let mut t = tcgetattr(fd).expect("tcgetattr");
    t.local_flags |= LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG;
    tcsetattr(fd, SetArg::TCSANOW, &t).expect("tcsetattr");
}

/// A lesson at its first step is stopped by `stop` (a key or a signal to proclab);
/// stopped, the terminal is the shell's again (alternate screen left, cursor shown,
/// mouse off, cooked mode); SIGCONT (as `fg` sends) brings raw mode, the alternate
/// screen and the whole frame back; q then quits cleanly.
fn stop_and_continue(name: &str, stop: impl FnOnce(&mut Pty), proclab_restores: bool) {
    use nix::sys::signal::Signal;
    let mut pty = Pty::spawn(name, &["lesson", "fork-fanout"], 120, 40);
    pty.wait_for(&["Processes", "AT STEP 'start'"], 0);
    assert_raw_mode(&pty);
    let mark = pty.len();
    stop(&mut pty);
    wait_state(&pty, 'T');
    if proclab_restores {
        let deadline = Instant::now() + WAIT;
        let left = |raw: &[u8]| {
            let fresh = &raw[mark.min(raw.len())..];
            [LEAVE_ALT, SHOW_CURSOR, MOUSE_OFF]
                .iter()
                .all(|seq| find_bytes(fresh, seq, 0).is_some())
        };
        while !left(&pty.output()) {
            assert!(
                Instant::now() < deadline,
                "[{name}] stopping did not leave the alternate screen, show the cursor and \
                 turn the mouse off"
            );
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            pty.cooked_flags(),
            (true, true),
            "[{name}] stopped, the terminal is in cooked mode again"
        );
    } else {
        shell_takes_the_terminal_back(&pty);
    }
    let mark = pty.len();
    pty.signal(Signal::SIGCONT);
    wait_state(&pty, 'S');
    wait_cooked(&pty, false);
    // The reader may still be behind with what was drawn before the stop, so the
    // frame is looked for after the re-entry, not merely after the mark.
    let deadline = Instant::now() + WAIT;
    let entered = loop {
        if let Some(at) = find_bytes(&pty.output(), ENTER_ALT, mark) {
            break at;
        }
        assert!(
            Instant::now() < deadline,
            "[{name}] SIGCONT enters the alternate screen again"
        );
        thread::sleep(Duration::from_millis(10));
    };
    pty.wait_for(&["AT STEP 'start'"], entered);
    // Still alive and listening: a key works.
    let mark = pty.len();
    pty.send(" ");
    pty.wait_for(&["AT STEP 'first-fork'"], mark);
    pty.send_quit();
    let status = pty.wait_exit(WAIT);
    assert!(status.success(), "[{name}] q after fg: {status:?}");
    // The last bytes may still be on their way from the PTY to the reader thread.
    let last_of = |raw: &[u8], needle: &[u8]| raw.windows(needle.len()).rposition(|w| w == needle);
    let restored = |raw: &[u8]| {
        [
            (LEAVE_ALT, ENTER_ALT),
            (SHOW_CURSOR, HIDE_CURSOR),
            (MOUSE_OFF, MOUSE_ON),
        ]
        .iter()
        .all(|(undo, done)| last_of(raw, undo) > last_of(raw, done))
    };
    let deadline = Instant::now() + WAIT;
    while !restored(&pty.output()) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let raw = pty.output();
    let last = |needle: &[u8]| last_of(&raw, needle);
    assert!(
        last(LEAVE_ALT) > last(ENTER_ALT),
        "[{name}] alternate screen left"
    );
    assert!(
        last(SHOW_CURSOR) > last(HIDE_CURSOR),
        "[{name}] cursor shown"
    );
    assert!(
        last(MOUSE_OFF) > last(MOUSE_ON),
        "[{name}] mouse reporting off"
    );
    assert_eq!(pty.cooked_flags(), (true, true), "[{name}] raw mode undone");
    assert_no_tagged_left(&pty.tag);
}

#[test]
fn ctrl_z_key_restores_the_terminal_and_sigcont_redraws() {
    // In raw mode Ctrl-Z is a key (0x1a), not SIGTSTP: proclab must suspend itself.
    stop_and_continue("pty_ctrl_z", |pty| pty.send("\x1a"), true);
}

#[test]
fn sigtstp_restores_the_terminal_and_sigcont_redraws() {
    stop_and_continue(
        "pty_sigtstp",
        |pty| pty.signal(nix::sys::signal::Signal::SIGTSTP),
        true,
    );
}

/// SIGSTOP cannot be caught: the shell puts the terminal back in cooked mode, and
/// SIGCONT must bring raw mode back (or `q` would wait for Enter).
#[test]
fn sigstop_then_sigcont_comes_back_in_raw_mode() {
    stop_and_continue(
        "pty_sigstop",
        |pty| pty.signal(nix::sys::signal::Signal::SIGSTOP),
        false,
    );
}

#[test]
fn ctrl_c_key_in_a_lesson_quits_cleanly() {
    // In raw mode Ctrl-C is a key, not SIGINT: the keymap must turn it into quit.
    let mut pty = Pty::spawn("pty_ctrl_c", &["lesson", "fork-fanout"], 120, 40);
    pty.wait_for(&["AT STEP 'start'"], 0);
    let mark = pty.len();
    pty.send(" ");
    pty.wait_for(&["AT STEP 'first-fork'"], mark);
    let alive = wait_for_tagged(&pty.tag, 3, WAIT);
    assert!(
        alive >= 3,
        "front end, main and child 0 should be alive, saw {alive}"
    );
    pty.send("\x03");
    let status = pty.wait_exit(WAIT);
    assert!(status.success(), "Ctrl-C must quit cleanly, got {status:?}");
    pty.assert_clean_exit();
}

/// main's PID as the process tree shows it ("│29892   29888   main   …").
fn main_pid_on_screen(screen: &Screen) -> Option<i32> {
    screen.text().lines().find_map(|line| {
        let mut words = line.trim_start_matches(['│', ' ']).split_whitespace();
        let pid = words.next()?.parse().ok()?;
        let _ppid: i32 = words.next()?.parse().ok()?;
        (words.next()? == "main").then_some(pid)
    })
}

#[test]
fn run_screen_plays_to_the_summary_and_restarts_with_new_processes() {
    let args = ["run", "fork-fanout", "--set", "children=3", "--speed", "4"];
    let mut pty = Pty::spawn("pty_restart", &args, 120, 40);
    pty.wait_for(&["DONE · 4 processes · 0 leaked"], 0);
    let first_main = main_pid_on_screen(&pty.screen()).expect("main's row in the tree");
    // The run is over and cleaned up: only the front end is left.
    let left = wait_until_tagged_at_most(&pty.tag, 1);
    assert_eq!(left, 1, "only the front end may outlive a finished run");

    let mark = pty.len();
    pty.send("r");
    pty.wait_for(&["PLAYING"], mark);
    pty.wait_for(&["DONE · 4 processes · 0 leaked"], pty.len());
    let second_main = main_pid_on_screen(&pty.screen()).expect("main's row after the restart");
    assert_ne!(first_main, second_main, "a restart runs new processes");

    pty.quit_cleanly();
}

/// Polls (up to ~1 s) until at most `n` tagged processes are alive; returns the count.
fn wait_until_tagged_at_most(tag: &str, n: usize) -> usize {
    let deadline = Instant::now() + GONE_WITHIN;
    loop {
        let count = tagged_pids(tag).len();
        if count <= n || Instant::now() >= deadline {
            return count;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn too_small_terminal_says_so_and_q_still_quits() {
    let mut pty = Pty::spawn("pty_too_small", &["lesson", "fork-fanout"], 70, 20);
    pty.wait_for(&["Terminal too small"], 0);
    pty.wait_for(&["70×20", "80×24"], 0);
    assert!(
        !pty.screen().contains("Processes"),
        "nothing else may be drawn when too small"
    );
    // The lesson's run started anyway, held at its first step: q must stop it too.
    let alive = wait_for_tagged(&pty.tag, 2, WAIT);
    assert!(
        alive >= 2,
        "the lesson's runner should be alive, saw {alive}"
    );
    pty.quit_cleanly();
}

#[test]
fn growing_a_too_small_terminal_draws_the_lesson() {
    let mut pty = Pty::spawn("pty_resize", &["lesson", "fork-fanout"], 70, 20);
    pty.wait_for(&["Terminal too small"], 0);
    let mark = pty.len();
    pty.resize(120, 40);
    pty.wait_for(&["Processes", "AT STEP 'start'"], mark);
    assert!(
        !pty.screen().contains("Terminal too small"),
        "the warning must go once the terminal is big enough"
    );
    pty.quit_cleanly();
}

#[test]
fn esc_in_the_menu_quits() {
    let mut pty = Pty::spawn("pty_esc", &[], 120, 40);
    pty.wait_for(&["Lessons"], 0);
    pty.send("\x1b");
    let status = pty.wait_exit(WAIT);
    assert!(
        status.success(),
        "Esc in the menu must quit cleanly, got {status:?}"
    );
    pty.assert_clean_exit();
}

/// Presenter mode at a projector's 100×30: `c` puts the program big where the tree
/// was, the producing step's lines (produce and consume) marked from their first, the
/// tree beside it; `c` again brings the tree and the class numbers back.
#[test]
fn c_shows_the_code_big_in_presenter_mode() {
    let mut pty = Pty::spawn("pty_code_big", &["lesson", "queue", "--present"], 100, 30);
    pty.wait_for(&["AT STEP 'start'", "class time"], 0);
    // The first step asks a question: answer it, then on to the producing step.
    pty.send("3");
    pty.send(" ");
    pty.wait_screen("the producing step", |s| s.contains("AT STEP 'producing'"));
    assert!(!pty.screen().text().contains("def produce"), "no code yet");
    pty.send("c");
    pty.wait_screen("the code big", |s| {
        s.contains("┃17 def produce(q, i):") && s.contains(" c  tree ")
    });
    let shown = pty.screen().text();
    for label in ["producer 0", "consumer 2"] {
        assert!(shown.contains(label), "{label} beside the code:\n{shown}");
    }
    assert!(
        !shown.contains("class time"),
        "the numbers give way:\n{shown}"
    );
    pty.send("c");
    pty.wait_screen("the tree back", |s| {
        !s.contains("def produce") && s.contains("class time") && s.contains(" c  code ")
    });
    pty.quit_cleanly();
}

impl Pty {
    /// Waits until `done` holds for the modelled screen's text.
    fn wait_screen(&self, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.screen().text();
            if done(&text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[{}] {what}: not shown within {WAIT:?}. Screen:\n{text}",
                self.name
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The tree rows of the workers, top to bottom, as (label, rest of the row).
fn worker_rows(screen: &str) -> Vec<(String, String)> {
    screen
        .lines()
        .filter_map(|l| {
            let at = l.find("─ worker ")?;
            let row = &l[at + "─ ".len()..];
            let label = row.get(..8)?.to_string();
            Some((label, row.to_string()))
        })
        .collect()
}

/// "Be the scheduler", as a learner plays it: both workers read 0 before either writes,
/// and the real counter ends one short. Each step waits until the tree shows the
/// workers held where expected, as a learner would.
#[test]
fn scheduler_lesson_builds_a_lost_update_by_hand() {
    let held = |n: usize, gate: &'static str| {
        move |s: &str| {
            let needle = format!("held at step '{gate}'");
            worker_rows(s)
                .iter()
                .filter(|(_, r)| r.contains(&needle))
                .count()
                == n
        }
    };
    let mut pty = Pty::spawn("pty_scheduler", &["lesson", "scheduler"], 120, 40);
    pty.wait_for(&["AT STEP 'start'"], 0);
    pty.send(" ");
    pty.wait_for(&["AT STEP 'forked'"], 0);
    pty.send(" ");
    pty.wait_screen("both workers at 'read'", held(2, "read"));
    // Rows: main, then the workers in the order their spawn events arrived.
    let order: Vec<String> = worker_rows(&pty.screen().text())
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    let row_of = |label: &str| 1 + order.iter().position(|l| l == label).expect("worker row");
    let mut selected = 0;
    let mut run_next = |pty: &mut Pty, label: &str| {
        let target = row_of(label);
        while selected < target {
            pty.send("\x1b[B");
            selected += 1;
        }
        while selected > target {
            pty.send("\x1b[A");
            selected -= 1;
        }
        pty.send(" ");
    };
    // Round one: worker 0 reads, worker 1 reads, then both write.
    run_next(&mut pty, "worker 0");
    pty.wait_screen("worker 0 read", held(1, "write"));
    run_next(&mut pty, "worker 1");
    pty.wait_screen("worker 1 read", held(2, "write"));
    let rows = worker_rows(&pty.screen().text());
    assert!(rows.iter().all(|(_, r)| r.contains("read = 0")), "{rows:?}");
    run_next(&mut pty, "worker 0");
    pty.wait_screen("worker 0 wrote", |s| s.contains("shared counter = 1"));
    run_next(&mut pty, "worker 1");
    pty.wait_screen("worker 1 wrote", |s| s.contains("1 lost"));
    assert!(pty.screen().contains("shared counter = 1"));
    // Round two, one at a time: nothing more is lost.
    pty.wait_screen("both back at 'read'", held(2, "read"));
    run_next(&mut pty, "worker 0");
    pty.wait_screen("worker 0 read 1", |s| s.contains("read = 1"));
    run_next(&mut pty, "worker 0");
    pty.wait_screen("worker 0 wrote 2", |s| s.contains("shared counter = 2"));
    run_next(&mut pty, "worker 1");
    pty.wait_screen("worker 1 read 2", |s| s.contains("read = 2"));
    run_next(&mut pty, "worker 1");
    // Main's own reading of the counter, and the tally of the writes.
    pty.wait_screen("main read the counter", |s| {
        s.contains("AT STEP 'counted'")
            && s.contains("counter = 3")
            && s.contains("4 additions written · 1 lost")
    });
    pty.quit_cleanly();
}

// ---- every exit path, mid-run, for every kind of scenario ------------------------------

/// The ways out of a running scenario screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExitPath {
    Q,
    CtrlC,
    /// SIGINT from outside (`kill -INT`): in raw mode Ctrl-C is a key, this is not.
    Sigint,
    Sigterm,
    Sighup,
    /// `PROCLAB_DEBUG_PANIC_AFTER_MS`: the main loop panics mid-run.
    Panic,
    /// SIGKILL of the front end: nothing runs in proclab; PDEATHSIG takes the run down.
    Sigkill,
}

const EXIT_PATHS: [ExitPath; 7] = [
    ExitPath::Q,
    ExitPath::CtrlC,
    ExitPath::Sigint,
    ExitPath::Sigterm,
    ExitPath::Sighup,
    ExitPath::Panic,
    ExitPath::Sigkill,
];

/// When the panic path's front end panics. Every run below forks its first child well
/// before this and lasts seconds longer at `--speed 0.5` (checked: no DONE on screen).
const PANIC_AFTER_MS: &str = "2500";

/// A scenario with params that keep it running for several seconds, children alive
/// early. `pause`: CPU-bound, so Space pauses it once its workers are up (the table
/// does not need to burn the cores to test the exits).
struct MidRun {
    scenario: &'static str,
    sets: &'static [&'static str],
    pause: bool,
}

/// One of each kind: lifecycle, messages, sync, CPU.
const MID_RUNS: &[MidRun] = &[
    MidRun {
        scenario: "zombie",
        sets: &[],
        pause: false,
    },
    MidRun {
        scenario: "signals",
        sets: &["disposition=handler"],
        pause: false,
    },
    MidRun {
        scenario: "orphan",
        sets: &[],
        pause: false,
    },
    MidRun {
        scenario: "queue",
        sets: &["producers=1", "consumers=2", "items=20"],
        pause: false,
    },
    MidRun {
        scenario: "pipe",
        sets: &[],
        pause: false,
    },
    MidRun {
        scenario: "lock",
        sets: &["workers=2", "increments=40", "hold_ms=100"],
        pause: false,
    },
    MidRun {
        scenario: "semaphore",
        sets: &[],
        pause: false,
    },
    MidRun {
        scenario: "event",
        sets: &[],
        pause: false,
    },
    MidRun {
        scenario: "pool",
        sets: &["workers=2", "tasks=2000000,2000000", "pace_ms=300"],
        pause: false,
    },
    MidRun {
        scenario: "pi",
        sets: &["workers=2", "terms=4000000000"],
        pause: true,
    },
];

/// A process as /proc shows it, enough to know it again (PIDs are reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcEntry {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    state: char,
    start: u64,
}

fn proc_entry(pid: i32) -> Option<ProcEntry> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(ProcEntry {
        pid,
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

/// Every process (zombies included) in process group `pgrp`.
fn process_group(pgrp: i32) -> Vec<ProcEntry> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(proc_entry)
        .filter(|p| p.pgrp == pgrp)
        .collect()
}

/// The run's processes, zombies included: the runner (the tagged child of the front
/// end) leads their process group.
fn run_group(front_end: i32, tag: &str) -> Vec<ProcEntry> {
    let runner = tagged_pids(tag)
        .into_iter()
        .filter_map(proc_entry)
        .find(|p| p.ppid == front_end)
        .unwrap_or_else(|| panic!("no runner under the front end {front_end}"));
    process_group(runner.pid)
}

/// Waits until none of `group` exists any more (same PID and start time) and nothing
/// else is in its process group. After a SIGKILL of the front end nobody of proclab is
/// left to reap: a zombie adopted by PID 1 is that reaper's to collect, so it is
/// allowed there, as long as nothing of the run still runs.
fn assert_group_gone(name: &str, group: &[ProcEntry], zombies_of_init_allowed: bool) {
    let pgrp = group.first().map_or(0, |p| p.pgrp);
    let left = |p: &ProcEntry| !(zombies_of_init_allowed && p.state == 'Z' && p.ppid == 1);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let mut still: Vec<ProcEntry> = group
            .iter()
            .filter_map(|p| proc_entry(p.pid).filter(|now| now.start == p.start))
            .chain(process_group(pgrp))
            .filter(left)
            .collect();
        still.dedup();
        if still.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "[{name}] processes of the run left (zombies included): {still:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// What the run's processes map, checked mid-run: nothing named in /dev/shm (a named
/// POSIX shared-memory object is what could outlive a run; proclab's control block is
/// a memfd and its scenarios' region anonymous), and the control block's memfd indeed
/// mapped (so the maps were read, and the check is not empty). A diff of /dev/shm
/// before and after could not catch proclab naming something there and removing it,
/// and could fail on other programs' files.
fn assert_shared_memory_unnamed(name: &str, group: &[ProcEntry]) {
    let mut saw_control = false;
    for p in group {
        // A process may end between the listing and this read.
        let Ok(maps) = std::fs::read_to_string(format!("/proc/{}/maps", p.pid)) else {
            continue;
        };
        let named: Vec<&str> = maps.lines().filter(|l| l.contains("/dev/shm/")).collect();
        assert!(
            named.is_empty(),
            "[{name}] {} maps /dev/shm: {named:?}",
            p.pid
        );
        saw_control |= maps.contains("/memfd:proclab-control");
    }
    assert!(
        saw_control,
        "[{name}] no process of the run maps the control block's memfd"
    );
}

/// `proclab run <scenario>` in a PTY, left by `exit` while main and a child are alive.
fn exit_mid_run(run: &MidRun, exit: ExitPath) {
    use nix::sys::signal::Signal;
    let name = format!("exit_{}_{exit:?}", run.scenario);
    let mut args = vec!["run", run.scenario, "--speed", "0.5"];
    for s in run.sets {
        args.extend(["--set", s]);
    }
    let env: &[(&str, &str)] = if exit == ExitPath::Panic {
        &[("PROCLAB_DEBUG_PANIC_AFTER_MS", PANIC_AFTER_MS)]
    } else {
        &[]
    };
    let mut pty = Pty::spawn_with_env(&name, &args, 120, 40, env);
    // Mid-run: front end, main and at least one child alive.
    let alive = wait_for_tagged(&pty.tag, 3, WAIT);
    assert!(
        alive >= 3,
        "[{name}] the run should be under way, saw {alive}"
    );
    if run.pause {
        pty.send(" ");
    }
    let group = run_group(pty.pid, &pty.tag);
    assert!(group.len() >= 2, "[{name}] main and a child: {group:?}");
    assert_shared_memory_unnamed(&name, &group);
    let before = pty.len();
    match exit {
        ExitPath::Q => pty.send_quit(),
        ExitPath::CtrlC => pty.send("\x03"),
        ExitPath::Sigint => pty.signal(Signal::SIGINT),
        ExitPath::Sigterm => pty.signal(Signal::SIGTERM),
        ExitPath::Sighup => pty.signal(Signal::SIGHUP),
        ExitPath::Panic => {}
        ExitPath::Sigkill => pty.signal(Signal::SIGKILL),
    }
    let status = pty.wait_exit(WAIT);
    match exit {
        ExitPath::Sigkill => {
            assert!(status.signal().is_some(), "[{name}] killed: {status:?}");
        }
        ExitPath::Panic => {
            assert_eq!(status.exit_code(), 101, "[{name}] a panic exits 101");
            pty.assert_terminal_restored();
            // The message comes after the restore; the reader may still be behind.
            let deadline = Instant::now() + WAIT;
            let mut raw = pty.output();
            while !strip_ansi(&raw).contains("deliberate panic") && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(20));
                raw = pty.output();
            }
            let text = strip_ansi(&raw);
            assert!(
                text.contains("deliberate panic"),
                "[{name}] the panic message is shown:\n{}",
                tail(&text, 2000)
            );
            assert!(
                !strip_ansi(&raw[..before.min(raw.len())]).contains("DONE ·")
                    && !text.contains("DONE ·"),
                "[{name}] the run ended before the panic: not mid-run"
            );
        }
        _ => {
            assert!(status.success(), "[{name}] quits cleanly: {status:?}");
            pty.assert_clean_exit();
        }
    }
    assert_group_gone(&name, &group, exit == ExitPath::Sigkill);
    assert_no_tagged_left(&pty.tag);
}

/// Every exit path (q, Ctrl-C, SIGINT, SIGTERM, SIGHUP, a panic, SIGKILL) mid-run of one
/// scenario of each kind: mid-run, no shared memory of the run named in /dev/shm;
/// afterwards no process of the run, no zombie (but PID 1's after SIGKILL), and but for
/// SIGKILL the terminal restored.
/// One thread per scenario, its exits in turn.
#[test]
fn every_exit_path_mid_run_of_every_scenario_kind_leaves_nothing() {
    let started = Instant::now();
    in_parallel(
        MID_RUNS
            .iter()
            .map(|run| {
                let check: Box<dyn FnOnce() + Send> = Box::new(move || {
                    for exit in EXIT_PATHS {
                        exit_mid_run(run, exit);
                    }
                });
                (run.scenario.to_string(), check)
            })
            .collect(),
    );
    eprintln!(
        "{} scenarios × {} exit paths in {:?}",
        MID_RUNS.len(),
        EXIT_PATHS.len(),
        started.elapsed()
    );
}

// ---- hostile terminals ----------------------------------------------------------------

/// 50 resizes as fast as the PTY takes them, through sizes far below 80×24 (down to
/// 0×0) and back, while a run is drawing: no panic, the last size is drawn, q quits.
#[test]
fn resize_storm_mid_run_then_quit_cleanly() {
    let args = [
        "run",
        "fork-fanout",
        "--set",
        "children=4",
        "--speed",
        "0.5",
    ];
    let mut pty = Pty::spawn("pty_resize_storm", &args, 120, 40);
    pty.wait_for(&["Processes"], 0);
    let sizes = [
        (0, 0),
        (1, 1),
        (20, 5),
        (79, 23),
        (80, 24),
        (200, 60),
        (81, 25),
        (30, 100),
        (300, 10),
        (100, 30),
    ];
    for i in 0..50 {
        let (cols, rows) = sizes[i % sizes.len()];
        pty.resize(cols, rows);
    }
    // The last size is 100×30: big enough, so the run is drawn again.
    let mark = pty.len();
    pty.resize(100, 30);
    pty.wait_for(&["Processes"], mark);
    assert!(
        !pty.screen().contains("Terminal too small"),
        "100×30 is big enough"
    );
    pty.quit_cleanly();
}

/// At a step the whole run stands still: in the crash lesson the quiz asks what the
/// child's exitcode will be while the child is alive, and it must still be alive
/// (standing still, saying why) after 3 s at the step, though it crashes 1.5 s after
/// it starts. Space lets it go on: exit 1, status 256.
#[test]
fn at_a_step_the_whole_run_stands_still() {
    let mut pty = Pty::spawn("pty_stand_still", &["lesson", "crash"], 120, 40);
    pty.wait_for(&["AT STEP 'start'"], 0);
    pty.send(" ");
    pty.wait_for(&["AT STEP 'started'"], 0);
    pty.wait_screen("the child standing still", |s| {
        s.lines()
            .any(|l| l.contains("Process-1") && l.contains("run held"))
    });
    thread::sleep(Duration::from_secs(3));
    let screen = pty.screen().text();
    // Alive (not Z, not gone) and standing still; the state letter is the observer's
    // last reading, which a loaded machine may take while the process is between
    // two waits.
    let child = screen.lines().find(|l| l.contains("└─ Process-1"));
    assert!(
        child.is_some_and(|l| l.contains("sleeping (time.sleep) · run held")
            && !l.contains("zombie")
            && !l.contains("gone")),
        "the child must still be alive and standing still:\n{screen}"
    );
    assert!(
        !screen.contains("exit(1)"),
        "it crashed during the step:\n{screen}"
    );
    pty.send("1");
    pty.send(" ");
    pty.wait_for(&["status 256"], 0);
    pty.quit_cleanly();
}

/// SIGINT from the signal menu to main held at a step: main raises KeyboardInterrupt
/// there, before it forks, and ends by SIGINT as CPython's main does (status 2); no
/// child is created (a forked child must not inherit the pending interrupt).
#[test]
fn sigint_to_main_at_a_step_raises_there_and_ends_it_by_sigint() {
    let mut pty = Pty::spawn("pty_sigint_main", &["lesson", "zombie"], 120, 40);
    pty.wait_for(&["AT STEP 'start'"], 0);
    pty.send("s");
    pty.wait_for(&["SIGINT", "Sent through a pidfd"], 0);
    // SIGTERM is preselected; SIGINT is two rows down.
    pty.send("\x1b[B\x1b[B\r");
    pty.wait_for(&["reaped: SIGINT (status 2)", "KeyboardInterrupt"], 0);
    let screen = pty.screen().text();
    assert!(
        screen.contains("1 created"),
        "no child may be forked:\n{screen}"
    );
    pty.quit_cleanly();
}

/// A signal the learner sends while the run is held at a step takes effect at once:
/// the child with a SIGTERM handler, standing still with the run, runs its handler
/// (last words, exit 0) while main is still held.
#[test]
fn a_handled_signal_reaches_a_process_standing_still() {
    let args = ["run", "signals", "--step", "--set", "disposition=handler"];
    let mut pty = Pty::spawn("pty_signal_while_held", &args, 120, 40);
    pty.wait_for(&["AT STEP 'start'"], 0);
    pty.send(" ");
    pty.wait_for(&["AT STEP 'before-term'"], 0);
    pty.wait_screen("the child standing still", |s| {
        s.lines()
            .any(|l| l.contains("└─ child") && l.contains("run held"))
    });
    // Select the child (main is selected first), open the menu, send SIGTERM.
    pty.send("\x1b[B");
    pty.send("s");
    pty.wait_for(&["Signal → child"], 0);
    let sent = Instant::now();
    pty.send("\r");
    pty.wait_for(&["got SIGTERM, cleaning up"], 0);
    // At once, not when the held process looks again by itself (every 5 s): the
    // signal must end its wait.
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "the handler ran {:?} after the signal",
        sent.elapsed()
    );
    let screen = pty.screen().text();
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("AT STEP 'before-term'"),
        "main is still held at its step:\n{screen}"
    );
    pty.quit_cleanly();
}

/// A key that arrives together with a resize is not lost. crossterm's default input
/// source waits with edge-triggered epoll and, when a SIGWINCH and a key are ready at
/// once, returns the resize and forgets the key until the next one comes; proclab
/// builds crossterm with its poll(2) source instead. Each round resizes and presses a
/// key at the same moment, and the menu must follow every key.
#[test]
fn keys_pressed_during_a_resize_are_not_lost() {
    let listed = run_proclab(&unique_tag("list_for_keys"), &["list"], WAIT);
    let ids: Vec<String> = listed
        .stdout
        .lines()
        .filter_map(|l| l.split('\t').next().map(String::from))
        .collect();
    assert!(ids.len() >= 3, "{}", listed.stdout);
    let mut pty = Pty::spawn("pty_keys_with_resize", &[], 120, 40);
    pty.wait_for(&["Lessons"], 0);
    // Down to the last lesson, then up to the first: every key moves the selection.
    let path: Vec<(usize, &str)> = (1..ids.len())
        .map(|i| (i, "j"))
        .chain((0..ids.len() - 1).rev().map(|i| (i, "\x1b[A")))
        .collect();
    for (round, (index, key)) in path.into_iter().enumerate() {
        let size = if round % 2 == 0 { (100, 30) } else { (120, 40) };
        pty.resize(size.0, size.1);
        pty.send(key);
        pty.wait_for(&[&format!("proclab lesson {} ", ids[index])], pty.len());
    }
    pty.quit_cleanly();
}

/// LANG=C LC_ALL=C (no UTF-8): the menu, a lesson and its steps still work, and q quits
/// cleanly.
#[test]
fn non_utf8_locale_still_usable() {
    let env = [("LANG", "C"), ("LC_ALL", "C")];
    let mut pty = Pty::spawn_with_env("pty_lang_c", &[], 120, 40, &env);
    pty.wait_for(&["Lessons"], 0);
    let mark = pty.len();
    pty.send("\r");
    pty.wait_for(&["Processes", "AT STEP 'start'"], mark);
    let mark = pty.len();
    pty.send(" ");
    pty.wait_for(&["AT STEP 'first-fork'"], mark);
    pty.quit_cleanly();
}

/// `proclab trace` in the terminal: the traced program's processes appear in the tree
/// under the tracer, its output in the log (not over the screen), and q mid-trace
/// quits cleanly with nothing of the program left.
#[test]
fn trace_shows_the_program_and_q_leaves_nothing() {
    let dir = std::env::temp_dir().join(unique_tag("pty-trace"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let prog = dir.join("long.py");
    std::fs::write(
        &prog,
        "import os, time\nfor i in range(2):\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\nprint('forked two', flush=True)\ntime.sleep(60)\n",
    )
    .expect("writing the program");
    let prog = prog.to_str().expect("utf-8 path").to_string();
    let mut pty = Pty::spawn(
        "pty_trace",
        &["trace", "--", "/usr/bin/python3", &prog],
        120,
        40,
    );
    pty.wait_for(&["TRACING", "tracer", "└─ python3", "forked two"], 0);
    // Front end, tracer, the program and its two children.
    assert!(wait_for_tagged(&pty.tag, 5, WAIT) >= 5);
    // Quitting kills the program (SIGKILL): proclab exits as it ended, 128 + 9.
    pty.quit_with(137);
}

/// `proclab trace` in the terminal, quit after the program ended: proclab exits with
/// the program's exit code, as `time` and `strace` do.
#[test]
fn trace_quit_after_the_end_exits_with_the_program_s_code() {
    let mut pty = Pty::spawn(
        "pty_trace_code",
        &["trace", "--", "sh", "-c", "echo bye; exit 3"],
        120,
        40,
    );
    pty.wait_for(&["DONE", "bye"], 0);
    pty.quit_with(3);
}

/// A clicker's keys in a lesson: PgDn is the next step; ← runs the lesson again up to
/// the previous step (a new main, said so); Esc asks before it stops the run, another
/// key stays; B blanks the screen until a key; q asks, q again quits cleanly.
#[test]
fn a_clicker_goes_forward_and_back_and_leaving_asks_first() {
    let mut pty = Pty::spawn("pty_clicker", &["lesson", "fork-fanout"], 120, 40);
    pty.wait_for(&["AT STEP 'start'"], 0);
    let first_main = main_pid_on_screen(&pty.screen()).expect("main's row");
    let mark = pty.len();
    pty.send("\x1b[6~"); // PgDn
    pty.wait_for(&["AT STEP 'first-fork'"], mark);
    let mark = pty.len();
    pty.send("\x1b[D"); // ←
    pty.wait_for(&["running the lesson again up to step 1"], mark);
    pty.wait_screen("the first step of a new run", |s| {
        s.contains("AT STEP 'start'") && !s.contains(&format!("{first_main} "))
    });
    let second_main = main_pid_on_screen(&pty.screen()).expect("main's row after going back");
    assert_ne!(first_main, second_main, "going back runs new processes");

    let mark = pty.len();
    pty.send("\x1b");
    pty.wait_for(&["leave this run?"], mark);
    pty.send("\x1b[B"); // ↓: stays
    pty.wait_screen("the key bar back", |s| !s.contains("leave this run?"));
    assert!(
        pty.screen().text().contains("AT STEP 'start'"),
        "still in the run"
    );

    pty.send("B");
    pty.wait_screen("a blank screen", |s| s.trim().is_empty());
    pty.send("x");
    pty.send(" ");
    pty.wait_screen("the lesson back", |s| s.contains("AT STEP"));
    pty.quit_cleanly();
}

/// Variants inside the lesson: `v` lists them, Enter runs the one chosen (its program
/// in the code pane, its name in the narration); the outline (`o`) jumps to a later
/// step of the same variant, whose own question is asked there.
#[test]
fn a_variant_is_chosen_in_the_lesson_and_kept_through_the_outline() {
    let mut pty = Pty::spawn("pty_variant", &["lesson", "zombie"], 120, 40);
    pty.wait_for(&["AT STEP 'start'"], 0);
    let first_main = main_pid_on_screen(&pty.screen()).expect("main's row");
    pty.send("v");
    pty.wait_screen("the variant picker", |s| {
        s.contains("1. as written") && s.contains("2. killed by SIGTERM instead")
    });
    pty.send("\x1b[B"); // ↓
    pty.send("\r");
    pty.wait_screen("the variant running from its first step", |s| {
        s.contains("Variant: killed by SIGTERM instead (signal=SIGTERM)")
            && s.contains("AT STEP 'start'")
            && !s.contains(&format!("{first_main} "))
    });
    // The code pane shows the program the variant runs (K: up to its first lines).
    pty.send("KKK");
    pty.wait_screen("the variant's program", |s| {
        s.contains("SIG = signal.SIGTERM")
    });
    pty.send("o");
    pty.wait_screen("the outline", |s| {
        s.contains("A zombie: dead, not yet reaped")
    });
    pty.send("\x1b[B");
    pty.send("\x1b[B");
    pty.send("\r");
    pty.wait_screen("step 3 of the variant, its own question", |s| {
        s.contains("AT STEP 'killed'") && s.contains("by SIGTERM?") && s.contains("3. 15")
    });
    pty.quit_cleanly();
}
