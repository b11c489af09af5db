//! The parent's look at the filesystem before the clone: the rootfs, where
//! each mount point really is inside it, volume sources, env files.
//!
//! Paths inside the rootfs are resolved with `openat2(RESOLVE_IN_ROOT)` on
//! a directory fd of the rootfs, so absolute symlinks in an image (busybox's
//! `/bin/sh -> /bin/busybox`) and `..` stay inside it instead of reaching the
//! host. The child then gets host paths free of symlinks for its mounts.

use crate::error::Error;
use crate::out::Buf;
use crate::plan::cpath;
use crate::sys::{self, AsFd, BorrowedFd, Errno, OwnedFd};
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
}

/// Opens `path` (on the host) as an `O_PATH` fd and returns it with its
/// canonical path. The error names the path, with `what` before it; with
/// `dir`, anything but a directory is refused (ENOTDIR).
pub fn open(path: &[u8], what: &str, dir: bool) -> Result<Root, Error> {
    let fd = open_file(path, OFlags::PATH).map_err(|e| Error::sys(what, path, e))?;
    let real = real_path(fd.as_fd(), path)?;
    let is_dir = rustix::fs::fstat(&fd)
        .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir());
    if dir && !is_dir {
        return Err(Error::sys(what, path, Errno::NOTDIR));
    }
    Ok(Root {
        fd,
        path: real.leak(),
        dir: is_dir,
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

/// Where a mount point is on the host.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// Host path of the mount point, free of symlinks.
    /// Leaked, as the plan's paths: no drop code for it on any path.
    pub host: &'static [u8],
    /// How many of its last components do not exist yet.
    pub missing: usize,
}

/// Locates the container path `dst` (absolute, no `.`/`..`/empty
/// components: the command line checks) on the host: inside `root` when
/// there is one, else the host's own path, which must exist (hull never
/// creates directories on the host's tree).
pub fn locate(root: Option<&Root>, dst: &[u8]) -> Result<Target, Error> {
    let mut end = dst.len();
    let mut missing = 0;
    loop {
        // The deepest ancestor that exists, its real path, then the rest.
        let p = if end == 0 { b"/" } else { &dst[..end] };
        let found = match root {
            Some(_) => open_in(root, p).map(Some),
            None => mode_in(None, p).map(|_| None),
        };
        match found {
            // On the host's own tree, the path as given.
            Ok(None) => {
                return Ok(Target {
                    host: dst.to_vec().leak(),
                    missing: 0,
                });
            }
            Ok(Some(fd)) => {
                let mut host = real_path(fd.as_fd(), dst)?;
                // "/" (the path is absolute): the rest brings its own slash.
                if host.len() == 1 {
                    host.clear();
                }
                host.extend_from_slice(&dst[end..]);
                return Ok(Target {
                    host: host.leak(),
                    missing,
                });
            }
            Err(Errno::NOENT) if end > 0 && root.is_some() => {
                end = dst[..end].iter().rposition(|&c| c == b'/').unwrap_or(0);
                missing += 1;
            }
            Err(e) => return Err(Error::sys("mount point", dst, e)),
        }
    }
}

/// Opens the host's `path` with `flags`, close-on-exec. One call site for
/// the opens by path: smaller than each with its own C string.
pub fn open_file(path: &[u8], flags: OFlags) -> sys::Result<OwnedFd> {
    rustix::fs::open(cpath(path), flags | OFlags::CLOEXEC, Mode::empty())
}

/// Writes all of `data` to the existing file `path` (a cgroup or /proc
/// file: a map or a limit, which the kernel takes in one write).
pub fn write_file(path: &[u8], data: &[u8]) -> sys::Result<()> {
    let fd = open_file(path, OFlags::WRONLY)?;
    sys::write_all(fd.as_fd(), data)
}

/// Reads a whole (small) file.
pub fn read_file(path: &[u8]) -> sys::Result<Vec<u8>> {
    let fd = open_file(path, OFlags::RDONLY)?;
    // Not dropped on a failed read, as the paths: no drop code.
    let mut out = core::mem::ManuallyDrop::new(Vec::new());
    let mut buf = [0u8; 4096];
    loop {
        match sys::read_full(fd.as_fd(), &mut buf)? {
            0 => return Ok(core::mem::ManuallyDrop::into_inner(out)),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_inside_the_root_through_absolute_symlinks() {
        let d = std::env::temp_dir().join(format!("hull-locate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("real/sub")).unwrap();
        std::os::unix::fs::symlink("/real", d.join("link")).unwrap();
        std::os::unix::fs::symlink("/etc", d.join("hostetc")).unwrap();
        let root = open(d.to_str().unwrap().as_bytes(), "rootfs", true).unwrap();
        let base = d.to_str().unwrap();
        let got = |p: &str| {
            let t = locate(Some(&root), p.as_bytes()).unwrap();
            (String::from_utf8(t.host.to_vec()).unwrap(), t.missing)
        };
        assert_eq!(got("/link/sub"), (format!("{base}/real/sub"), 0));
        assert_eq!(
            got("/link/new/deeper"),
            (format!("{base}/real/new/deeper"), 2)
        );
        // An absolute link to a host path resolves in the root, not on the host.
        assert_eq!(got("/hostetc/x"), (format!("{base}/hostetc/x"), 2));
        assert_eq!(got(""), (base.to_string(), 0));
        let e = locate(None, b"/nonexistent-hull-dir").unwrap_err();
        assert_eq!(
            e.msg,
            b"mount point /nonexistent-hull-dir: No such file or directory"
        );
        assert_eq!(
            locate(None, b"/tmp").unwrap(),
            Target {
                host: b"/tmp",
                missing: 0
            }
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
