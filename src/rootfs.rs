//! The parent's look at the filesystem before the clone: the rootfs, where
//! each mount point really is inside it, volume sources, env files.
//!
//! Paths inside the rootfs are resolved with `openat2(RESOLVE_IN_ROOT)` on
//! a directory fd of the rootfs, so absolute symlinks in an image (busybox's
//! `/bin/sh -> /bin/busybox`) and `..` stay inside it instead of reaching the
//! host. The child then gets host paths free of symlinks for its mounts.

use crate::error::Error;
use crate::sys::{self, AsFd, BorrowedFd, Errno, OwnedFd};
use crate::util::cstr::cpath;
use crate::util::file::open_file;
use crate::util::out::Buf;
use alloc::vec::Vec;
use rustix::fs::{Mode, OFlags, ResolveFlags};

/// An opened root filesystem.
pub struct Root {
    pub fd: OwnedFd,
    /// Its absolute host path, symlinks resolved; leaked, as the plan's
    /// paths (no drop code for it on any path).
    pub path: &'static [u8],
    /// Whether it is a directory.
    pub dir: bool,
    /// Its (device, inode): the child checks it opens this same directory.
    pub id: (u64, u64),
}

/// Opens `path` (on the host) as an `O_PATH` fd and returns it with its
/// canonical path. The error names the path, with `what` before it; with
/// `dir`, anything but a directory is refused (ENOTDIR).
pub fn open(path: &[u8], what: &str, dir: bool) -> Result<Root, Error> {
    let fd = open_file(path, OFlags::PATH).map_err(|e| Error::sys(what, path, e))?;
    let real = real_path(fd.as_fd(), path)?;
    let st = rustix::fs::fstat(&fd).map_err(|e| Error::sys(what, path, e))?;
    let is_dir = rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir();
    if dir && !is_dir {
        return Err(Error::sys(what, path, Errno::NOTDIR));
    }
    Ok(Root {
        fd,
        path: real.leak(),
        dir: is_dir,
        id: (st.st_dev, st.st_ino),
    })
}

/// The path of an open file (`name` in errors), from `/proc/self/fd/N`;
/// for a directory, where `getcwd` finds it when /proc is not mounted (early
/// boot): then volumes onto files still need the host's /proc.
fn real_path(fd: BorrowedFd<'_>, name: &[u8]) -> Result<Vec<u8>, Error> {
    let mut link = core::mem::ManuallyDrop::new(Buf::new()); // as the paths
    link.s("/proc/self/fd/")
        .u(sys::AsRawFd::as_raw_fd(&fd) as u64);
    let mut buf = [0u8; 4096];
    match rustix::fs::readlinkat_raw(rustix::fs::CWD, cpath(&link.0), &mut buf[..]) {
        Ok(n) => Ok(buf[..n].to_vec()),
        Err(e) => dir_path(fd, &mut buf)
            .map_err(|_| Error::sys("find the real path (through /proc/self/fd) of", name, e)),
    }
}

/// A directory's path: fchdir there, getcwd, and back to where hull was.
fn dir_path(dir: BorrowedFd<'_>, buf: &mut [u8]) -> sys::Result<Vec<u8>> {
    let here = rustix::fs::open(c".", OFlags::PATH | OFlags::CLOEXEC, Mode::empty())?;
    rustix::process::fchdir(dir)?;
    let path = sys::getcwd(buf).map(|p| p.to_vec());
    rustix::process::fchdir(&here)?;
    path
}

/// Opens `path` inside `root` (or on the host) as an `O_PATH` fd.
pub fn open_in(root: Option<&Root>, path: &[u8]) -> sys::Result<OwnedFd> {
    let (dir, how) = match root {
        Some(r) => (r.fd.as_fd(), ResolveFlags::IN_ROOT),
        None => (rustix::fs::CWD, ResolveFlags::empty()),
    };
    rustix::fs::openat2(
        dir,
        cpath(path),
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        how,
    )
}

/// The mode of `path` inside `root` (or on the host): one `statx` on the
/// host, an `openat2` and an `fstat` inside a root.
pub fn mode_in(root: Option<&Root>, path: &[u8]) -> sys::Result<u32> {
    let st = match root {
        Some(_) => rustix::fs::fstat(open_in(root, path)?)?,
        None => rustix::fs::stat(cpath(path))?,
    };
    Ok(st.st_mode)
}

/// The mount points the child would have to create inside `root`: for
/// each container path in `dsts`, its missing components, outermost first
/// (`/a`, `/a/b` for a missing `/a/b`). A failed start removes them again
/// ([`unmake`]). Looked up as the child looks them up, inside the root.
pub fn missing(root: &Root, dsts: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dst in dsts {
        let mut miss = Vec::new();
        let mut end = dst.len();
        while end > 0 && matches!(open_in(Some(root), &dst[..end]), Err(Errno::NOENT)) {
            miss.push(dst[..end].to_vec());
            end = dst[..end].iter().rposition(|&c| c == b'/').unwrap_or(0);
        }
        out.extend(
            miss.into_iter()
                .rev()
                .filter(|m| !out.contains(m))
                .collect::<Vec<_>>(),
        );
    }
    out
}

/// Removes, innermost first, what [`missing`] listed and a failed start
/// made of it: an empty directory, or an empty regular file (a file
/// volume's mount point). Each is looked up inside the root and removed
/// relative to its parent's fd; anything else is left as it is.
pub fn unmake(root: &[u8], made: &[Vec<u8>]) {
    let Ok(r) = open(root, "rootfs", true) else {
        return;
    };
    for m in made.iter().rev() {
        let cut = m.iter().rposition(|&c| c == b'/').unwrap_or(0);
        let (dir, name) = (&m[..cut.max(1)], &m[cut + 1..]);
        let Ok(d) = open_in(Some(&r), dir) else {
            continue;
        };
        let st = rustix::fs::statat(&d, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW);
        let Ok(st) = st else { continue };
        let kind = rustix::fs::FileType::from_raw_mode(st.st_mode);
        let flags = match kind {
            rustix::fs::FileType::Directory => rustix::fs::AtFlags::REMOVEDIR,
            rustix::fs::FileType::RegularFile if st.st_size == 0 => rustix::fs::AtFlags::empty(),
            _ => continue,
        };
        // (An O_PATH fd is enough for the *at calls.)
        let _ = rustix::fs::unlinkat(&d, name, flags);
    }
}

/// A `--device` host node: its type and permission bits and its device
/// number. Anything but a character or block device is refused.
pub fn device(path: &[u8]) -> Result<(u32, u64), Error> {
    let st = rustix::fs::stat(cpath(path)).map_err(|e| Error::sys("--device", path, e))?;
    let kind = st.st_mode & linux_raw_sys::general::S_IFMT;
    if kind != linux_raw_sys::general::S_IFCHR && kind != linux_raw_sys::general::S_IFBLK {
        let mut m = core::mem::ManuallyDrop::new(Buf::new()); // as the paths
        m.s("--device ").b(path).s(": not a device node");
        return Err(Error::new(crate::error::EXIT_RUNTIME, &m));
    }
    Ok((
        st.st_mode & (linux_raw_sys::general::S_IFMT | 0o777),
        st.st_rdev,
    ))
}
