//! The OCI runtime front-end: what podman, containerd and the other
//! clients of runc's command line hand a runtime, read into plain data.
//!
//! - [`config`]: a bundle's `config.json` → [`config::Config`];
//! - [`state`]: the state directory (`--root`), one locked, atomically
//!   written record per container, and the state JSON of the runtime spec;
//! - [`spec`]: the default `config.json` of `hull spec` and the
//!   `features` document;
//! - [`log`]: `--log FILE --log-format text|json`, lines as runc writes them;
//! - [`exec`]: a new process in a running container;
//! - [`update`]: a running container's cgroup limits;
//! - [`named`]: `hull run --name`'s record, in the same state directory.
//!
//! Nothing here launches anything: the commands turn a `Config` into the
//! container spec that `hull run` also builds, and run it.

pub mod cmd;
pub mod common;
pub mod config;
pub mod exec;
pub mod hooks;
pub mod log;
pub mod named;
pub mod spec;
pub mod state;
pub mod update;

/// The version of the runtime spec hull implements: written into the
/// config of `hull spec`, the state it reports and the `features` document.
pub const OCI_VERSION: &str = "1.1.0";

/// The index of `name` in `table`: words separated by spaces, each word
/// possibly several names separated by `|` (`"a|b c"`: a and b are 0, c
/// is 1). The same lookup as `cli::find`, which a front-end may not import.
fn find(table: &str, name: &[u8]) -> Option<usize> {
    table
        .split(' ')
        .position(|w| w.split('|').any(|n| n.as_bytes() == name))
}
