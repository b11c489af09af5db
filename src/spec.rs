//! The container as data: what the user asked for, already validated.

use alloc::vec::Vec;

/// Longest hostname the kernel accepts (`__NEW_UTS_LEN`).
pub const HOSTNAME_MAX: usize = 64;

/// One container, as the command line described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The command and its arguments; never empty once parsed.
    pub command: Vec<Vec<u8>>,
    pub hostname: Vec<u8>,
    /// Directory to start in; `/` when not given.
    pub workdir: Option<Vec<u8>>,
    /// Extra namespaces beyond the default UTS + PID + mount.
    pub net: bool,
    pub ipc: bool,
    pub cgroupns: bool,
    /// Trace each step from the parent on standard error.
    pub debug: bool,
    /// Print the plan and exit without creating anything.
    pub dry_run: bool,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            command: Vec::new(),
            hostname: b"container".to_vec(),
            workdir: None,
            net: false,
            ipc: false,
            cgroupns: false,
            debug: false,
            dry_run: false,
        }
    }
}
