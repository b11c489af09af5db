//! Helpers every layer above the syscalls shares: text tokens and tables,
//! C strings and paths, whole files, output without `core::fmt`, `--debug`
//! lines, mountinfo, JSON and errno words. It imports nothing of the crate
//! but `sys`.
//!
//! **The leak policy.** Data that hull needs until it execs or exits (the
//! plan, its paths and strings, the environment) may be leaked rather than
//! dropped: a `Vec::leak` or a `ManuallyDrop`, which saves the drop code
//! (about 2 KiB of the binary), and costs nothing, as the process ends
//! soon. It holds only for data made once per process: nothing that a
//! command repeats (`hull bench`'s starts, a supervisor's loop) may leak, and
//! file descriptors and cgroups are never leaked while hull goes on. Paths
//! made here ([`cstr::join`], [`cstr::cpath`]) are leaked so.

pub mod cstr;
pub mod errno;
pub mod file;
pub mod json;
pub mod log;
pub mod mountinfo;
pub mod out;
pub mod text;
