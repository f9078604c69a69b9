//! `multiprocessing.Pipe()`: a duplex connection, a socketpair as in CPython. Each
//! end can send and receive; `recv` blocks until a message arrives.

use std::os::fd::{AsFd, OwnedFd};

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};

use super::wire;

pub struct Conn {
    fd: OwnedFd,
}

pub fn pipe() -> std::io::Result<(Conn, Conn)> {
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    Ok((Conn { fd: a }, Conn { fd: b }))
}

impl Conn {
    pub fn send(&self, item: &serde_json::Value) -> std::io::Result<()> {
        wire::send(self.fd.as_fd(), item)
    }

    /// `conn.recv()`: `on_block` runs once, just before it really waits.
    pub fn recv(&self, on_block: impl FnOnce()) -> std::io::Result<serde_json::Value> {
        if wire::would_block(self.fd.as_fd()) {
            on_block();
        }
        wire::recv(self.fd.as_fd())
    }
}
