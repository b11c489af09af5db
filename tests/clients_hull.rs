//! Issue 16's acceptance scenarios (tests/common/clients.rs): podman and
//! containerd drive hull's own binary through the OCI runtime command line
//! (`create`, `start`, `state`, `kill`, `delete`), as they drive runc in
//! tests/clients_runc.rs.
//!
//! Needs root, podman, conmon, containerd, ctr and busybox-static (.ci/run
//! installs them). Without them the scenarios skip loudly; under CI (the
//! `CI` variable set) a missing one is a failure.

#![cfg(feature = "oci")]

mod common;

/// The hull under test.
fn hull(_test: &str) -> Option<std::path::PathBuf> {
    Some(env!("CARGO_BIN_EXE_hull").into())
}

common::clients::client_scenarios!(hull);
