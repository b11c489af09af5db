//! Seccomp profiles as data, compiled to a classic BPF program by hull
//! itself (no libseccomp: hull has no libc).
//!
//! A [`Profile`] is a default action and a list of [`Rule`]s; [`compile`]
//! turns it into the `struct sock_filter` array that
//! `seccomp(SECCOMP_SET_MODE_FILTER)` takes, and [`Profile::verdict`] says
//! what that program answers for a call, without BPF, for tests and for
//! hull's check that its own last steps are allowed. [`default_profile`] is
//! docker's default profile; [`from_json`] reads docker's (and OCI's) JSON format.
//! Nothing here knows the command line.
//!
//! The program, x86_64 only (see [`compile`] for its shape):
//! - a call from another architecture, i386 included, kills the process
//!   (SIGSYS). hull refuses 32-bit programs outright rather than carry a
//!   second table: a foreign number must never get the native table's
//!   verdict (i386's 1 is `exit`, x86_64's 1 is `write`), and i386 has
//!   `socketcall`, whose arguments a filter cannot see;
//! - an x32 call (number with bit 30, 0x40000000) is killed the same way,
//!   before any lookup;
//! - a number above the highest one hull knows ([`MAX_NR`]) fails with
//!   ENOSYS, so that a libc newer than hull falls back to an older call
//!   instead of failing on EPERM;
//! - every other number gets the profile's verdict.

mod bpf;
mod json_profile;
mod names;
mod table;

pub use bpf::compile;
pub use json_profile::from_json;
pub use names::{MAX_NR, syscall_name, syscall_number};
pub use table::default_profile;

/// One BPF instruction, the kernel's `struct sock_filter`.
pub use linux_raw_sys::ptrace::sock_filter as SockFilter;

use alloc::vec::Vec;
use linux_raw_sys::ptrace as p;

/// What the filter does with a call (`SCMP_ACT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The call runs.
    Allow,
    /// The call fails with this errno, unrun.
    Errno(u16),
    /// The whole process dies of SIGSYS.
    KillProcess,
    /// The calling thread dies of SIGSYS.
    KillThread,
    /// The thread gets a SIGSYS it may handle.
    Trap,
    /// A ptrace tracer is told, with this value; without one, ENOSYS.
    Trace(u16),
    /// The call runs and is logged.
    Log,
}

impl Action {
    /// The value the filter returns for this action (`SECCOMP_RET_*`).
    pub fn ret(self) -> u32 {
        match self {
            Action::Allow => p::SECCOMP_RET_ALLOW,
            Action::Errno(e) => p::SECCOMP_RET_ERRNO | e as u32,
            Action::KillProcess => p::SECCOMP_RET_KILL_PROCESS,
            Action::KillThread => p::SECCOMP_RET_KILL_THREAD,
            Action::Trap => p::SECCOMP_RET_TRAP,
            Action::Trace(d) => p::SECCOMP_RET_TRACE | d as u32,
            Action::Log => p::SECCOMP_RET_LOG,
        }
    }

    /// Whether the call runs (what a profile's default must be for hull to
    /// let numbers it does not know through).
    fn runs(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }
}

/// How an argument is compared with a rule's value (`SCMP_CMP_*`). All
/// compare the 64-bit argument, unsigned, as libseccomp does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    /// `(arg & mask) == value`.
    MaskedEq(u64),
}

/// One argument condition of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arg {
    /// Which argument, 0 to 5.
    pub index: u8,
    pub cmp: Cmp,
    pub value: u64,
}

impl Arg {
    /// Whether the call's arguments satisfy this condition.
    pub fn holds(&self, args: &[u64; 6]) -> bool {
        let a = args[self.index as usize % 6];
        let v = self.value;
        match self.cmp {
            Cmp::Ne => a != v,
            Cmp::Lt => a < v,
            Cmp::Le => a <= v,
            Cmp::Eq => a == v,
            Cmp::Ge => a >= v,
            Cmp::Gt => a > v,
            Cmp::MaskedEq(mask) => a & mask == v,
        }
    }
}

/// One rule: the syscall, its action, and argument conditions that must
/// all hold. A syscall's rules with conditions are tried in order, and the
/// first whose conditions all hold decides; then its first rule without
/// conditions, if any; then the profile's default. (So a rule with
/// conditions is an exception to the syscall's plain rule, as in
/// libseccomp.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub nr: u32,
    pub action: Action,
    pub args: Vec<Arg>,
}

/// A seccomp profile: the default action and the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub default: Action,
    pub rules: Vec<Rule>,
}

/// The x32 ABI's bit in a syscall number.
const X32_BIT: u32 = linux_raw_sys::general::__X32_SYSCALL_BIT;

impl Profile {
    /// What the compiled program answers for an x86_64 call `nr` with
    /// `args` (any other architecture gets [`Action::KillProcess`]).
    ///
    /// An x32 number is killed. -1 (0xffffffff), which is no call (a tracer
    /// sets it to skip one), is not x32: like any number above [`MAX_NR`]
    /// it gets ENOSYS, unless the default action lets unknown calls run.
    pub fn verdict(&self, nr: u32, args: &[u64; 6]) -> Action {
        if nr >= X32_BIT && nr != u32::MAX {
            return Action::KillProcess;
        }
        if nr > MAX_NR {
            return self.above_max();
        }
        let mine = || self.rules.iter().filter(move |r| r.nr == nr);
        mine()
            .find(|r| !r.args.is_empty() && r.args.iter().all(|a| a.holds(args)))
            .or_else(|| mine().find(|r| r.args.is_empty()))
            .map_or(self.default, |r| r.action)
    }

    /// The action for a number above [`MAX_NR`].
    fn above_max(&self) -> Action {
        if self.default.runs() {
            self.default
        } else {
            Action::Errno(linux_raw_sys::errno::ENOSYS as u16)
        }
    }
}

#[cfg(test)]
mod tests;
