//! The terminal the screens draw on, as full-screen programs treat it: entered (raw
//! mode, alternate screen, mouse reporting, cursor hidden) and left on every way out;
//! left before a job-control stop (Ctrl-Z, SIGTSTP) and entered again, redrawn, on
//! SIGCONT; and never touched again once it has gone away.
//!
//! Input is read on its own thread. crossterm's reader treats a terminal that hung up
//! (poll says POLLHUP/POLLERR, read returns 0 or EIO) as "no input yet" and polls again
//! at once, for ever: a screen whose terminal went away without a SIGHUP (a wrapper that
//! traps HUP, a disowned job) would spin a core and never end. So the thread first waits
//! for the terminal (and SIGWINCH) in its own `poll(2)`, sees a hangup there, and hands
//! crossterm only input that is really there to parse.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossbeam_channel::{Receiver, Sender, unbounded};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event as TermEvent, KeyCode, KeyEventKind,
    KeyModifiers,
};
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};

/// What the input thread (and the job-control signals) tell the main loop.
#[derive(Debug)]
pub enum Input {
    Event(TermEvent),
    /// The terminal went away (said why): the screen ends as on SIGHUP, and nothing
    /// more is written to the terminal.
    Hangup(String),
    /// Ctrl-Z (a key in raw mode) or SIGTSTP: leave the terminal and stop.
    Suspend,
    /// SIGCONT: the terminal may have been put back in cooked mode meanwhile (the shell
    /// does when a job stops, even for SIGSTOP): enter it again and redraw.
    Continue,
}

/// What the main loop does with one input.
pub enum Seen {
    /// A key, a click, a resize: the screen's to handle.
    Event(TermEvent),
    /// The terminal was left and entered again: draw everything.
    Redraw,
    /// The terminal is gone: end as on SIGHUP.
    Hangup,
    Nothing,
}

/// The screens' terminal.
pub struct Term {
    pub terminal: DefaultTerminal,
    /// The terminal went away: no drawing, no restoring.
    pub hung_up: bool,
    input: Receiver<Input>,
}

impl Term {
    /// Enters the terminal and starts the input thread and the job-control signals.
    pub fn open() -> Result<Term> {
        let terminal = ratatui::try_init().wrap_err("setting up the terminal")?;
        let _ = execute!(std::io::stdout(), EnableMouseCapture);
        restore_mouse_and_cursor_on_panic();
        let (tx, input) = unbounded();
        spawn_input_thread(tx.clone());
        // Not fatal: without them Ctrl-Z only does nothing.
        let _ = spawn_job_control_thread(tx);
        Ok(Term {
            terminal,
            hung_up: false,
            input,
        })
    }

    pub fn input(&self) -> Receiver<Input> {
        self.input.clone()
    }

    /// Draws a frame unless the terminal is gone; a terminal that went away while
    /// drawing (EIO) is a hangup, not an error.
    pub fn draw(&mut self, f: impl FnOnce(&mut ratatui::Frame)) -> Result<()> {
        if self.hung_up {
            return Ok(());
        }
        match self.terminal.draw(f) {
            Ok(_) => Ok(()),
            Err(e) if is_gone(&e) => {
                self.hung_up = true;
                Ok(())
            }
            Err(e) => Err(e).wrap_err("drawing the screen"),
        }
    }

    /// What one input means; job control is dealt with here.
    pub fn seen(&mut self, input: Result<Input, crossbeam_channel::RecvError>) -> Seen {
        match input {
            Ok(Input::Event(TermEvent::Key(k)))
                if k.kind != KeyEventKind::Release
                    && k.code == KeyCode::Char('z')
                    && k.modifiers.contains(KeyModifiers::CONTROL) =>
            {
                self.suspend();
                Seen::Nothing
            }
            Ok(Input::Event(ev)) => Seen::Event(ev),
            Ok(Input::Suspend) => {
                self.suspend();
                Seen::Nothing
            }
            Ok(Input::Continue) => {
                self.resume();
                Seen::Redraw
            }
            Ok(Input::Hangup(_)) | Err(_) => {
                self.hung_up = true;
                Seen::Hangup
            }
        }
    }

    /// Leaves the terminal as the shell wants it, then stops the whole process as
    /// SIGTSTP's default would. SIGCONT brings `Input::Continue`.
    fn suspend(&mut self) {
        if self.hung_up {
            return;
        }
        let _ = leave();
        let _ = nix::sys::signal::kill(nix::unistd::Pid::this(), nix::sys::signal::SIGSTOP);
    }

    /// Raw mode, the alternate screen and the mouse again, and a full redraw next.
    fn resume(&mut self) {
        if self.hung_up {
            return;
        }
        // crossterm skips enabling raw mode it believes is on: the shell may have set
        // cooked mode behind its back, so go through cooked first.
        let _ = disable_raw_mode();
        let entered = enable_raw_mode().and_then(|()| {
            execute!(
                std::io::stdout(),
                EnterAlternateScreen,
                EnableMouseCapture,
                cursor::Hide,
                Clear(ClearType::All)
            )
        });
        if let Err(e) = entered
            && is_gone(&e)
        {
            self.hung_up = true;
            return;
        }
        // The screen is blank now, but ratatui draws only what changed since its last
        // frame: a blank frame first makes the next one complete. (Not
        // `Terminal::clear`: it asks the terminal where the cursor is, and the answer
        // would come to the input thread.)
        let _ = self
            .terminal
            .draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()));
    }

    /// The way out: the terminal restored, unless it is gone (then it is left alone:
    /// there is nobody to restore it for, and nothing to say so on).
    pub fn close(self) {
        let Term {
            mut terminal,
            mut hung_up,
            ..
        } = self;
        if !hung_up {
            match leave() {
                // ratatui's own drop would show the cursor again otherwise.
                Ok(()) => {
                    let _ = terminal.show_cursor();
                }
                Err(e) if is_gone(&e) => hung_up = true,
                Err(e) => {
                    eprintln_quietly(&format!("proclab: could not restore the terminal: {e}"))
                }
            }
        }
        if hung_up {
            // Its drop would try to show the cursor on a terminal that is gone and
            // print the failure (`eprintln!`, which panics when stderr is gone too).
            std::mem::forget(terminal);
        }
    }
}

/// Mouse reporting off, cursor shown, the alternate screen left, raw mode off: each
/// step tried even if one before failed; the first error is returned.
fn leave() -> std::io::Result<()> {
    let mut out = std::io::stdout();
    let steps = [
        execute!(out, DisableMouseCapture),
        execute!(out, cursor::Show),
        execute!(out, LeaveAlternateScreen),
        disable_raw_mode(),
        out.flush(),
    ];
    steps.into_iter().find(Result::is_err).unwrap_or(Ok(()))
}

/// Whether an I/O error says the terminal is gone (EIO after a hangup, ENXIO, EBADF).
pub fn is_gone(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EIO) | Some(libc::ENXIO) | Some(libc::EBADF) | Some(libc::EPIPE)
    )
}

/// A line on stderr that may have nowhere to go (`eprintln!` would panic).
pub fn eprintln_quietly(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// ratatui's panic hook leaves raw mode and the alternate screen; the cursor would
/// come back only when the unwinding reaches the terminal's drop, and it knows nothing
/// of the mouse. Turn mouse reporting off and show the cursor in the hook too, so a
/// panic anywhere (any thread) leaves a usable terminal.
fn restore_mouse_and_cursor_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let mut out = std::io::stdout();
        let _ = execute!(out, DisableMouseCapture, cursor::Show);
        let _ = out.flush();
        previous(info);
    }));
}

/// How long crossterm may wait for the rest of what `poll` said was there.
const PARSE_WAIT: Duration = Duration::from_millis(2);

/// Terminal input on its own thread: the terminal (stdin, checked to be one) and
/// SIGWINCH in one `poll(2)`, crossterm parsing the bytes. Ends with `Input::Hangup`
/// when the terminal hangs up or has nothing more to give.
fn spawn_input_thread(tx: Sender<Input>) {
    let winch = UnixStream::pair().and_then(|(rx, wx)| {
        rx.set_nonblocking(true)?;
        wx.set_nonblocking(true)?;
        signal_hook::low_level::pipe::register(libc::SIGWINCH, wx)?;
        Ok(rx)
    });
    std::thread::spawn(move || {
        let why = read_input(&tx, winch.ok());
        let _ = tx.send(Input::Hangup(why));
    });
}

/// Forwards input until the terminal is gone; returns why it is.
fn read_input(tx: &Sender<Input>, winch: Option<UnixStream>) -> String {
    let stdin = std::io::stdin();
    let tty = stdin.as_fd();
    loop {
        let mut fds = vec![PollFd::new(tty, PollFlags::POLLIN)];
        if let Some(w) = &winch {
            fds.push(PollFd::new(w.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return format!("poll on the terminal: {e}"),
        }
        let tty_ready = fds[0].revents().unwrap_or(PollFlags::POLLNVAL);
        let resized = fds
            .get(1)
            .and_then(PollFd::revents)
            .is_some_and(|r| r.contains(PollFlags::POLLIN));
        if tty_ready.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL) {
            return format!("the terminal hung up ({tty_ready:?})");
        }
        if resized {
            if let Some(w) = &winch {
                let mut buf = [0u8; 64];
                while matches!(std::io::Read::read(&mut &*w, &mut buf), Ok(n) if n > 0) {}
            }
            if let Ok((cols, rows)) = ratatui::crossterm::terminal::size()
                && tx
                    .send(Input::Event(TermEvent::Resize(cols, rows)))
                    .is_err()
            {
                return "the screen ended".into();
            }
        }
        if !tty_ready.contains(PollFlags::POLLIN) {
            continue;
        }
        // Readable with nothing to read is end of input (read would return 0): a
        // terminal in raw mode says "readable" only with a byte waiting.
        match unread_bytes(tty) {
            Ok(0) => return "end of input on the terminal".into(),
            Err(e) => return format!("the terminal is gone ({e})"),
            Ok(_) => {}
        }
        loop {
            match event::poll(PARSE_WAIT) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if tx.send(Input::Event(ev)).is_err() {
                            return "the screen ended".into();
                        }
                    }
                    Err(e) => return format!("reading the terminal: {e}"),
                },
                Ok(false) => break,
                Err(e) => return format!("reading the terminal: {e}"),
            }
        }
    }
}

/// Bytes waiting on the terminal (FIONREAD).
fn unread_bytes(fd: BorrowedFd<'_>) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer; the descriptor is open.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) };
    if rc == 0 {
        Ok(usize::try_from(n).unwrap_or(0))
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// SIGTSTP and SIGCONT as messages (the handlers only write to a pipe).
fn spawn_job_control_thread(tx: Sender<Input>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGCONT, SIGTSTP};
    let mut signals = signal_hook::iterator::Signals::new([SIGTSTP, SIGCONT])?;
    std::thread::spawn(move || {
        for sig in signals.forever() {
            let msg = if sig == SIGTSTP {
                Input::Suspend
            } else {
                Input::Continue
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
    Ok(())
}

/// The signals that would end proclab by default and that it handles instead: the run
/// is stopped and the terminal restored (`main`'s `quit_signals`, with the real-time
/// signals).
pub const QUIT_SIGNALS: [libc::c_int; 17] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGXCPU,
    libc::SIGIO,
    libc::SIGPWR,
    libc::SIGSYS,
    libc::SIGTRAP,
    libc::SIGABRT,
    libc::SIGXFSZ,
    libc::SIGSTKFLT,
];
