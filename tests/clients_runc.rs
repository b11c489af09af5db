//! Issue 16's acceptance scenarios (podman and containerd driving an OCI
//! runtime, tests/common/clients.rs) run with runc, the reference runtime:
//! this proves the harness before hull speaks the OCI command line. The
//! same macro with hull's binary is the acceptance test of hull.
//!
//! Needs root, podman, conmon, containerd, ctr, runc and busybox-static
//! (.ci/run installs them). Without them the scenarios skip loudly; under
//! CI (the `CI` variable set) a missing one is a failure.

mod common;

/// runc from PATH (Debian's is /usr/sbin/runc).
fn runc(test: &str) -> Option<std::path::PathBuf> {
    common::clients::find_tool(test, "runc")
}

common::clients::client_scenarios!(runc);
