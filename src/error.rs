//! hull's errors: one line naming the step, the object and the errno text,
//! plus the exit status that goes with it.

use crate::sys::Errno;
pub use crate::util::errno::strerror;
use crate::util::out::Buf;
use alloc::vec::Vec;

/// Exit status for hull's own failures (docker, podman and crun agree).
pub const EXIT_RUNTIME: i32 = 125;
/// The command was found but could not be executed.
pub const EXIT_CANNOT_EXEC: i32 = 126;
/// The command was not found.
pub const EXIT_NOT_FOUND: i32 = 127;

/// A failure ready to print: `hull: <msg>` and exit with `code`.
#[derive(Debug, PartialEq, Eq)]
pub struct Error {
    pub code: i32,
    pub msg: Vec<u8>,
    /// A usage error also prints the short usage line.
    pub usage: bool,
}

impl Error {
    pub fn new(code: i32, msg: &Buf) -> Error {
        Error {
            code,
            msg: msg.0.clone(),
            usage: false,
        }
    }

    /// A runtime failure of `step` on `obj`: "mount /proc: Operation not permitted".
    pub fn sys(step: &str, obj: &[u8], e: Errno) -> Error {
        let mut m = Buf::new();
        m.step(step, obj).s(": ").s(strerror(e));
        // The buffer moved in, not copied as by Error::new.
        Error {
            code: EXIT_RUNTIME,
            msg: m.0,
            usage: false,
        }
    }

    /// A bad command line, said in fixed words (through usage_of: one
    /// out-of-line function is smaller than two).
    pub fn usage_text(msg: &str) -> Error {
        Error::usage_of(msg, b"", "")
    }

    /// A bad command line naming what was wrong: `pre`, `what`, `post`
    /// ("unknown option '" "--x" "'"). Out of line, as usage_text.
    #[inline(never)]
    pub fn usage_of(pre: &str, what: &[u8], post: &str) -> Error {
        let mut m = Buf::new();
        m.s(pre).b(what).s(post);
        Error {
            code: EXIT_RUNTIME,
            msg: m.0,
            usage: false,
        }
    }

    /// The same error, followed by the usage line: for a command line hull
    /// cannot make sense of (an unknown option or subcommand, no command),
    /// not for a bad value, which its one line says all about.
    pub fn with_usage(self) -> Error {
        Error {
            usage: true,
            ..self
        }
    }

    /// The full text as printed on standard error.
    pub fn render(&self, usage_line: &str) -> Vec<u8> {
        let mut b = Buf::new();
        b.s("hull: ").b(&self.msg).s("\n");
        if self.usage {
            b.s(usage_line);
        }
        b.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_step_object_and_errno() {
        let e = Error::sys("mount", b"/proc", Errno::PERM);
        assert_eq!(e.code, 125);
        assert_eq!(
            e.render("usage\n"),
            b"hull: mount /proc: Operation not permitted\n"
        );
        let e = Error::sys("symlink /dev/", b"ptmx", Errno::EXIST);
        assert_eq!(e.render(""), b"hull: symlink /dev/ptmx: File exists\n");
        let e = Error::sys("sethostname", b"", Errno::INVAL);
        assert_eq!(e.render(""), b"hull: sethostname: Invalid argument\n");
        assert_eq!(strerror(Errno::from_raw_os_error(4000)), "Unknown error");
        assert_eq!(
            strerror(Errno::from_raw_os_error(1)),
            "Operation not permitted"
        );
        assert_eq!(
            strerror(Errno::from_raw_os_error(131)),
            "State not recoverable"
        );
        assert_eq!(strerror(Errno::from_raw_os_error(29)), "Unknown error");
        // Every line is "N text", in order, each number once.
        let mut last = 0;
        for l in crate::util::errno::ERRNO_TEXT.lines() {
            let (n, t) = l.split_once(' ').unwrap();
            let n: i32 = n.parse().unwrap();
            assert!(n > last && !t.is_empty(), "{l}");
            assert_eq!(strerror(Errno::from_raw_os_error(n)), t);
            last = n;
        }
    }

    #[test]
    fn only_errors_with_usage_add_the_usage_line() {
        let e = Error::usage_of("unknown option '", b"--x", "'");
        assert_eq!((e.code, e.usage), (125, false));
        assert_eq!(e.render("usage: x\n"), b"hull: unknown option '--x'\n");
        let e = e.with_usage();
        assert_eq!(
            e.render("usage: x\n"),
            b"hull: unknown option '--x'\nusage: x\n"
        );
    }
}
