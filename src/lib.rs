//! hull: a container runtime in one small static binary.
//!
//! The parent turns the command line into a [`spec::Spec`], the spec into a
//! [`plan::Plan`] (every string and flag prepared), makes one clone3 with all
//! the namespace flags, and the child walks the plan and execs. The
//! design notes are in docs/architecture.md.
//!
//! The library is `no_std` (it runs without libc); unit tests build it with std.

#![cfg_attr(not(test), no_std)]
// Every unsafe block is in the syscall layer (and the binary's main.rs).
#![deny(unsafe_code)]

extern crate alloc;

pub mod bench;
pub mod cgroup;
pub mod check;
pub mod child;
pub mod cli;
pub mod devices;
pub mod env;
pub mod error;
pub mod init;
pub mod netns;
#[cfg(feature = "oci")]
pub mod oci;
pub mod plan;
pub mod resolve;
pub mod rootfs;
pub mod run;
pub mod seccomp;
pub mod spec;
#[allow(unsafe_code)]
pub mod sys;
pub mod userns;
pub mod util;

use core::ffi::CStr;
use error::Error;
use util::out::{eprint, print};

/// The whole program: argv and envp in, exit status out.
pub fn main(args: &[&CStr], env: &[&CStr]) -> i32 {
    let argv = cli::bytes(args.get(1..).unwrap_or(&[]));
    // The OCI runtime's command line (runc's), when it is one.
    #[cfg(feature = "oci")]
    if let Some(code) = oci::cmd::main(&argv, env) {
        return code;
    }
    // Never dropped: the process exits right after, and the drop glue of a
    // Spec is code.
    let mut cmd = core::mem::ManuallyDrop::new(cli::parse(&argv));
    let result = match &mut *cmd {
        Ok(cli::Command::Help(text)) => {
            print(text.as_bytes());
            Ok(0)
        }
        Ok(cli::Command::Version) => {
            print(cli::VERSION_LINE.as_bytes());
            Ok(0)
        }
        Ok(cli::Command::Check) => Ok(check::check()),
        Ok(cli::Command::Run(spec)) => run::run(spec, env),
        #[cfg(feature = "bench")]
        Ok(cli::Command::Bench(o)) => bench::bench(o, env),
        #[cfg(not(feature = "bench"))]
        Ok(cli::Command::Bench(_)) => Ok(error::EXIT_RUNTIME),
        Err(e) => return fail(e),
    };
    result.unwrap_or_else(|e| fail(&e))
}

/// Prints `e` (with the usage line if it is a usage error); its status.
fn fail(e: &Error) -> i32 {
    eprint(&e.render(cli::USAGE));
    e.code
}
