//! Messages between scenario processes: a 4-byte length, then the item as JSON.
//! Reads and writes loop until the whole frame has moved (pipes may split them).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match nix::unistd::write(fd, buf) {
            Ok(n) => buf = &buf[n..],
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

pub fn read_exact(fd: BorrowedFd<'_>, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match nix::unistd::read(fd, buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf = &mut buf[n..],
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// One frame: length prefix and payload in a single buffer, so a frame of at most
/// PIPE_BUF bytes goes out in one atomic write.
#[allow(
    clippy::cast_possible_truncation,
    reason = "a message body is at most a pipe-sized frame (MAX_FRAME), far below 4 GiB: its length fits the u32 header"
)]
pub fn encode(item: &serde_json::Value) -> Vec<u8> {
    let body = serde_json::to_vec(item).unwrap_or_default();
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(&body);
    frame
}

pub fn send(fd: BorrowedFd<'_>, item: &serde_json::Value) -> io::Result<()> {
    write_all(fd, &encode(item))
}

pub fn recv(fd: BorrowedFd<'_>) -> io::Result<serde_json::Value> {
    let mut len = [0u8; 4];
    read_exact(fd, &mut len)?;
    let mut body = vec![0u8; u32::from_le_bytes(len) as usize];
    read_exact(fd, &mut body)?;
    serde_json::from_slice(&body).map_err(io::Error::other)
}

/// Whether a read would block right now (nothing buffered in the pipe or socket).
pub fn would_block(fd: BorrowedFd<'_>) -> bool {
    let mut pfd = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
    !matches!(nix::poll::poll(&mut pfd, nix::poll::PollTimeout::ZERO), Ok(n) if n > 0)
        && fd.as_raw_fd() >= 0
}
