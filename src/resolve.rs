//! Finding the command before the clone, the way execvp(3) would.
//!
//! Doing it in the parent means "command not found" is reported before any
//! namespace exists, and the child's execve gets a full path.

use crate::error::{EXIT_CANNOT_EXEC, EXIT_NOT_FOUND, Error, strerror};
use crate::rootfs::{Root, mode_in};
use crate::sys::Errno;
use crate::util::cstr::cstr;
use crate::util::out::Buf;
use alloc::ffi::CString;
use rustix::fs::{FileType, Mode};

/// The search path when the environment has no PATH (an initramfs, `env -i`).
pub const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What one candidate file is.
#[derive(Debug, PartialEq, Eq)]
enum Probe {
    Executable,
    /// It exists but cannot be run (no x bit, or a directory).
    NotExecutable(Errno),
    Missing(Errno),
    /// The lookup itself failed (EMFILE, ENOMEM, EIO...): hull's failure,
    /// not the command's absence.
    Failed(Errno),
}

/// Looks at `path`, inside `root` when there is one (so that the image's
/// absolute symlinks resolve in the image, not on the host).
fn probe(root: Option<&Root>, path: &[u8]) -> Probe {
    match mode_in(root, path) {
        // What execvp takes for "not here": go on with the search.
        Err(
            e @ (Errno::NOENT | Errno::NOTDIR | Errno::LOOP | Errno::NAMETOOLONG | Errno::ACCESS),
        ) => Probe::Missing(e),
        Err(e) => Probe::Failed(e),
        Ok(m) if FileType::from_raw_mode(m) == FileType::Directory => {
            Probe::NotExecutable(Errno::ISDIR)
        }
        Ok(m) if Mode::from_raw_mode(m).bits() & 0o111 == 0 => Probe::NotExecutable(Errno::ACCESS),
        // Other refusals (a noexec mount) surface as execve's own error.
        Ok(_) => Probe::Executable,
    }
}

/// Resolves `name` to the file execve should run, as the container will see
/// it: inside `root` when there is one.
///
/// A name with a `/` is used as given (relative to `workdir` if there is
/// one, since that is where the child will be). Otherwise each PATH entry is
/// tried in order; like execvp, a match that cannot be executed is remembered
/// and the search goes on.
// Out of line: measured smaller than inlined into its one caller.
#[inline(never)]
pub fn command(
    root: Option<&Root>,
    name: &[u8],
    path_var: Option<&[u8]>,
    workdir: Option<&[u8]>,
) -> Result<CString, Error> {
    if name.is_empty() {
        return Err(fail(EXIT_NOT_FOUND, b"''", NOT_FOUND));
    }
    if name.contains(&b'/') {
        let check = match workdir {
            Some(w) if name[0] != b'/' => join(w, name),
            _ => name,
        };
        return match probe(root, check) {
            Probe::Executable => Ok(cstr(name)),
            Probe::NotExecutable(e) => Err(fail(EXIT_CANNOT_EXEC, name, strerror(e))),
            Probe::Missing(e) => Err(fail(EXIT_NOT_FOUND, name, strerror(e))),
            Probe::Failed(e) => Err(Error::sys("look up the command", name, e)),
        };
    }
    let mut refused = None;
    for dir in path_var.unwrap_or(DEFAULT_PATH).split(|&c| c == b':') {
        // An empty entry means the current directory, as in execvp.
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let cand = join(dir, name);
        match probe(root, cand) {
            Probe::Executable => return Ok(cstr(cand)),
            Probe::NotExecutable(e) => refused = refused.or(Some(e)),
            Probe::Missing(_) => {}
            Probe::Failed(e) => return Err(Error::sys("look up the command", name, e)),
        }
    }
    Err(match refused {
        Some(e) => fail(EXIT_CANNOT_EXEC, name, strerror(e)),
        None => fail(EXIT_NOT_FOUND, name, NOT_FOUND),
    })
}

const NOT_FOUND: &str = "command not found";

/// `<name>: <text>`, exiting with `code`. One builder for the four messages.
fn fail(code: i32, name: &[u8], text: &str) -> Error {
    // Error::new copies it; not dropped, as the paths: no drop code.
    let mut m = core::mem::ManuallyDrop::new(Buf::new());
    Error::new(code, m.b(name).s(": ").s(text))
}

/// `dir/name` (one slash). Leaked, as the plan's paths: no drop code.
fn join(dir: &[u8], name: &[u8]) -> &'static [u8] {
    let mut p = dir.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p.leak()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tmpdir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("hull-resolve-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn file(path: &std::path::Path, mode: u32) {
        std::fs::write(path, b"#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn searches_path_in_order_and_skips_unexecutable() {
        let d = tmpdir("order");
        let (a, b) = (d.join("a"), d.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        file(&a.join("tool"), 0o644);
        file(&b.join("tool"), 0o755);
        let path = format!("{}:{}", a.display(), b.display());
        let got = command(None, b"tool", Some(path.as_bytes()), None).unwrap();
        assert_eq!(got.to_bytes(), b.join("tool").to_str().unwrap().as_bytes());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn not_found_is_127_and_unexecutable_is_126() {
        let d = tmpdir("codes");
        file(&d.join("plain"), 0o644);
        let path = d.to_str().unwrap().as_bytes().to_vec();
        let e = command(None, b"nosuch-hull-cmd", Some(&path), None).unwrap_err();
        assert_eq!(e.code, 127);
        assert_eq!(e.msg, b"nosuch-hull-cmd: command not found");
        let e = command(None, b"plain", Some(&path), None).unwrap_err();
        assert_eq!(e.code, 126);
        assert_eq!(e.msg, b"plain: Permission denied");
        let p = d.join("plain");
        let e = command(None, p.to_str().unwrap().as_bytes(), None, None).unwrap_err();
        assert_eq!(e.code, 126);
        let e = command(None, d.to_str().unwrap().as_bytes(), None, None).unwrap_err();
        assert_eq!(e.code, 126, "a directory cannot be executed");
        let e = command(None, b"/nonexistent/x", None, None).unwrap_err();
        assert_eq!(
            (e.code, &e.msg[..]),
            (127, &b"/nonexistent/x: No such file or directory"[..])
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn slash_names_are_taken_as_given_relative_to_workdir() {
        let d = tmpdir("slash");
        file(&d.join("run.sh"), 0o755);
        let got = command(
            None,
            b"./run.sh",
            None,
            Some(d.to_str().unwrap().as_bytes()),
        )
        .unwrap();
        assert_eq!(got.to_bytes(), b"./run.sh");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn default_path_when_unset() {
        let got = command(None, b"sh", None, None).unwrap();
        assert!(got.to_bytes().ends_with(b"/sh"));
    }
}
