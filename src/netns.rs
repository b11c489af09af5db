//! hull's shared, empty network namespace: where a default container's
//! network lives.
//!
//! A container must not share the host's network namespace (its packet
//! sockets would see the host's traffic, its abstract unix sockets would
//! reach the host's services), but a fresh network namespace per start
//! costs about 0.5 ms here, as much as the rest of a start. So by default
//! a container joins one namespace made once: only `lo`, up, and
//! `net.ipv4.ping_group_range` set as podman sets it. It is kept as a bind
//! mount of its nsfs file at [`NETNS`], made on first use
//! (under a lock, so two first starts do not race), and joined with one
//! `setns` in the child, which costs next to nothing.
//!
//! The trade-off: default containers share that namespace with each other
//! (its loopback and abstract unix sockets), though not with the host.
//! `--net=none` gives a container one of its own; `--net=host` the host's.
//! When the shared one cannot be had (no /run, no /proc, a user namespace),
//! a container gets one of its own, as with `--net=none`.

use crate::sys::{self, AsFd, IntoRawFd};
use crate::util::cstr::cpath;
use crate::util::file::{open_file, write_file};
use rustix::fs::{FlockOperation, Mode, OFlags};

/// Where hull keeps its shared, empty network namespace.
pub const NETNS: &[u8] = b"/run/hull/netns";

/// The shared namespace's fd (close-on-exec, open until hull exits), made
/// first when `create` and it does not exist yet; None when it cannot be had.
pub fn open(create: bool) -> Option<i32> {
    if let Some(fd) = existing() {
        return Some(fd);
    }
    if create {
        let _ = make();
    }
    existing()
}

/// The namespace, if it is there: the file at [`NETNS`] must be a mounted
/// namespace, not the plain file a failed first start may have left.
fn existing() -> Option<i32> {
    let fd = open_file(NETNS, OFlags::RDONLY).ok()?;
    sys::is_namespace(fd.as_fd()).then(|| fd.into_raw_fd())
}

/// Makes the namespace and binds it at [`NETNS`]; hull itself goes back
/// to the network namespace it came from.
fn make() -> sys::Result<()> {
    let dir = &NETNS[..NETNS.len() - 6];
    match rustix::fs::mkdir(cpath(dir), Mode::from_raw_mode(0o700)) {
        Ok(()) | Err(sys::Errno::EXIST) => {}
        Err(e) => return Err(e),
    }
    let lock = open_file(dir, OFlags::RDONLY | OFlags::DIRECTORY)?;
    rustix::fs::flock(&lock, FlockOperation::LockExclusive)?;
    // Another hull may have made it while we waited for the lock.
    if existing().is_some() {
        return Ok(());
    }
    // The mount point: a plain file.
    drop(rustix::fs::open(
        cpath(NETNS),
        OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o444),
    )?);
    let home = open_file(b"/proc/self/ns/net", OFlags::RDONLY)?;
    sys::unshare_netns()?;
    let made = (|| {
        sys::loopback_up()?;
        // (/proc/sys/net is the opener's namespace's: the new one's.)
        write_file(b"/proc/sys/net/ipv4/ping_group_range", b"0 0")?;
        rustix::mount::mount_bind(c"/proc/self/ns/net", cpath(NETNS))
    })();
    // Back where hull was: a container started with --net=host by this
    // process must get the host's namespace.
    sys::join_netns(sys::AsRawFd::as_raw_fd(&home))?;
    made
}
