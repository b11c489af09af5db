//! The thin syscall layer: every `unsafe` block of the library lives here.
//!
//! Functions take `&CStr`, `BorrowedFd` or `OwnedFd` and return
//! `Result<_, Errno>`, in rustix's style. rustix is used wherever it has the
//! call; raw `syscall` instructions are written only for what it lacks or keeps
//! behind unstable APIs (execve and exit_group (rustix keeps them in its
//! unstable runtime module), clone3 with fork or vfork semantics, clone,
//! clock_gettime without the vDSO's auxv lookup, the SIOCSIFFLAGS ioctl, rt_sigprocmask and
//! signalfd4, fork for the init, dup2, TCGETS/TCSETS without rustix's
//! speed decoding, bpf(2) for device programs in [`bpf`], and seccomp).

pub use rustix::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
pub use rustix::io::Errno;

pub type Result<T> = core::result::Result<T, Errno>;

pub mod bpf;
mod clock;
mod clone;
mod io;
mod mem;
mod mount;
mod net;
pub mod proc;
mod raw;
mod seccomp;
mod signal;
mod socket;
mod tty;
pub use clock::{monotonic_ns, realtime};
pub use clone::*;
pub use io::*;
pub use mem::*;
pub use mount::*;
pub use net::*;
#[cfg(debug_assertions)]
pub use proc::IN_CHILD;
pub use proc::{note_cmdline, set_cmdline, unshare_timens};
pub use seccomp::set_filter;
pub use signal::*;
pub use socket::*;
pub use tty::*;
