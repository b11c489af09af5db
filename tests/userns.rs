//! Rootless containers: hull run by an unprivileged user (uid 65534, via
//! setpriv from the root test process), and root with explicit id maps.

mod common;
use common::*;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NOBODY: &str = "65534";

/// The hull binary where uid 65534 can run it: the built one if every
/// directory above it is searchable, else a 0755 copy in a private temp
/// directory, removed on drop.
struct Nobody {
    bin: PathBuf,
    copy: Option<PathBuf>,
}

impl Nobody {
    fn new(tag: &str) -> Nobody {
        let built = PathBuf::from(env!("CARGO_BIN_EXE_hull"));
        let ok = Command::new("setpriv")
            .args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
            .args(["test", "-x"])
            .arg(&built)
            .output_bounded()
            .status
            .success();
        if ok {
            return Nobody {
                bin: built,
                copy: None,
            };
        }
        let dir = std::env::temp_dir().join(format!("hull-userns-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = dir.join("hull");
        std::fs::copy(&built, &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        Nobody {
            bin,
            copy: Some(dir),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("setpriv");
        c.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
            .arg(&self.bin)
            .args(args)
            .current_dir("/")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output_bounded()
    }
}

impl Drop for Nobody {
    fn drop(&mut self) {
        if let Some(d) = &self.copy {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn ready(test: &str) -> bool {
    need_root(test) && need_tool(test, "setpriv")
}

/// A map file's lines with the kernel's column padding squeezed.
fn map(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn unprivileged_user_is_root_inside() {
    if !ready("unprivileged_user_is_root_inside") {
        return;
    }
    let n = Nobody::new("root");
    let o = n.run(&["run", "id", "-u"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "0\n");
    let o = n.run(&["run", "sh", "-c", "hostname; echo $$; id -g"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "container\n1\n0\n");
    // The maps: the invoker, and nothing else, is root inside; setgroups
    // was denied, as the kernel demands before an unprivileged gid map.
    let o = n.run(&[
        "run",
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
        "/proc/self/setgroups",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        map(&stdout(&o)),
        ["0 65534 1", "0 65534 1", "deny"],
        "{}",
        stdout(&o)
    );
    // --map-user: the invoker is that uid inside instead.
    let o = n.run(&["run", "--map-user", "1000", "--map-group", "100", "id"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("uid=1000") && stdout(&o).contains(" gid=100"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn unprivileged_container_is_isolated_and_owns_its_namespaces() {
    if !ready("unprivileged_container_is_isolated_and_owns_its_namespaces") {
        return;
    }
    let n = Nobody::new("iso");
    let ns = |name: &str| std::fs::read_link(format!("/proc/self/ns/{name}")).unwrap();
    let o = n.run(&[
        "run",
        "--net",
        "--ipc",
        "sh",
        "-c",
        "readlink /proc/self/ns/user /proc/self/ns/net /proc/self/ns/ipc; set -- /proc/[0-9]*; echo $#; cat /proc/net/dev | tail -n +3 | cut -d: -f1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert_ne!(lines[0], ns("user").to_str().unwrap());
    assert_ne!(lines[1], ns("net").to_str().unwrap());
    assert_ne!(lines[2], ns("ipc").to_str().unwrap());
    // Only sh itself: the container's /proc, not the host's.
    assert_eq!(lines[3], "1", "{out}");
    assert_eq!(lines[4], "lo", "{out}");
    // And lo is up.
    if need_tool("unprivileged_net", "ip") {
        let o = n.run(&["run", "--net", "ip", "-o", "link", "show", "lo"]);
        assert!(
            stdout(&o).contains("<LOOPBACK,UP,LOWER_UP>"),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn container_root_cannot_write_what_host_root_owns() {
    if !ready("container_root_cannot_write_what_host_root_owns") {
        return;
    }
    let n = Nobody::new("write");
    // Without a rootfs the host's tree is the container's view: root-owned
    // files are there, but their owner is not mapped in, so "root" inside
    // gets no more than the invoker outside.
    let before = std::fs::read("/etc/hostname").unwrap();
    let o = n.run(&["run", "sh", "-c", "echo pwned > /etc/hostname"]);
    // (The host's sh: dash says "sh: 1: cannot create", bash "sh: ...".)
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("/etc/hostname: Permission denied\n") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(std::fs::read("/etc/hostname").unwrap(), before);
    // A step the kernel refuses says so, and why.
    let dir = std::env::temp_dir().join(format!("hull-userns-private-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let o = n.run(&["run", "-w", dir.to_str().unwrap(), "true"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        format!(
            "hull: chdir {}: Permission denied (in a user namespace: not the host's root)\n",
            dir.display()
        )
    );
}

#[test]
fn unprivileged_exit_codes_are_as_for_root() {
    if !ready("unprivileged_exit_codes_are_as_for_root") {
        return;
    }
    let n = Nobody::new("codes");
    assert_eq!(n.run(&["run", "true"]).status.code(), Some(0));
    assert_eq!(n.run(&["run", "sh", "-c", "exit 7"]).status.code(), Some(7));
    let o = n.run(&["run", "nosuch-hull-command"]);
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(stderr(&o), "hull: nosuch-hull-command: command not found\n");
    let o = n.run(&["run", "/etc/passwd"]);
    assert_eq!(o.status.code(), Some(126));
    let o = n.run(&["run", "--bogus", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).starts_with("hull: unknown option '--bogus'\n"));
    let o = n.run(&["run", "sh", "-c", "sh -c 'kill -9 $$'"]);
    assert_eq!(o.status.code(), Some(137));
}

#[test]
fn debug_says_the_user_namespace_was_added() {
    if !ready("debug_says_the_user_namespace_was_added") {
        return;
    }
    let n = Nobody::new("debug");
    let o = n.run(&["run", "--debug", "true"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let said: Vec<&str> = err.lines().filter(|l| l.contains("userns")).collect();
    assert_eq!(said, ["hull: debug: not root: adding --userns"], "{err}");
    assert!(err.contains("CLONE_NEWUSER"), "{err}");
    // Asked for, it is not "added".
    let o = n.run(&["run", "--debug", "-U", "true"]);
    assert!(!stderr(&o).contains("not root"), "{}", stderr(&o));
    // Root gets none unless it asks.
    let o = run(&["run", "--dry-run", "true"]);
    assert!(!stdout(&o).contains("CLONE_NEWUSER"), "{}", stdout(&o));
    let o = run(&["run", "--dry-run", "-U", "true"]);
    assert!(
        stdout(&o).contains("|CLONE_NEWUSER|") && stdout(&o).contains("  2. wait for the parent"),
        "{}",
        stdout(&o)
    );
}

/// Runs `hull args` under strace as the unprivileged user; returns the
/// output and the clone calls strace saw.
fn traced_as_nobody(n: &Nobody, args: &[&str]) -> (Output, Vec<String>) {
    let log = std::env::temp_dir().join(format!(
        "hull-userns-strace-{}-{}",
        std::process::id(),
        args.join("_").len()
    ));
    let o = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o"])
        .arg(&log)
        .args([
            "setpriv",
            "--reuid",
            NOBODY,
            "--regid",
            NOBODY,
            "--clear-groups",
        ])
        .arg(&n.bin)
        .args(args)
        .current_dir("/")
        .output_bounded();
    let trace = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let clones = trace
        .lines()
        .filter(|l| l.contains("clone"))
        .map(String::from)
        .collect();
    (o, clones)
}

#[test]
fn refused_maps_are_one_line_125_and_nothing_is_cloned() {
    let test = "refused_maps_are_one_line_125_and_nothing_is_cloned";
    if !ready(test) || !need_tool(test, "strace") {
        return;
    }
    let n = Nobody::new("refuse");
    // The control: strace does see the clone of a container that starts.
    let (o, clones) = traced_as_nobody(&n, &["run", "true"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(clones.len(), 1, "{clones:?}");
    assert!(clones[0].contains("clone3("), "{clones:?}");
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "--uid-map", "0:100000:65536", "true"],
            "hull: --uid-map/--gid-map need root (hull does not use newuidmap/newgidmap); use --map-user/--map-group\n",
        ),
        (
            &["run", "--gid-map", "0:65534:1", "true"],
            "hull: --uid-map/--gid-map need root (hull does not use newuidmap/newgidmap); use --map-user/--map-group\n",
        ),
        (
            &["run", "--uid-map", "0:100000", "true"],
            "hull: --uid-map: invalid value '0:100000' (expected CONTAINER:HOST:COUNT)\n",
        ),
        (
            &["run", "--uid-map", "0:1:10", "--uid-map", "5:100:1", "true"],
            "hull: --uid-map: invalid value '5:100:1' (expected a range that overlaps no earlier one)\n",
        ),
        (
            &["run", "--map-user", "x", "true"],
            "hull: --map-user: invalid value 'x' (expected a numeric id)\n",
        ),
    ];
    for (args, want) in cases {
        let (o, clones) = traced_as_nobody(&n, args);
        assert_eq!(o.status.code(), Some(125), "{args:?}: {}", stderr(&o));
        // One line (a usage error adds the usage line, as for any bad flag).
        let err = stderr(&o);
        assert_eq!(err.lines().next(), Some(want.trim_end()), "{args:?}");
        assert!(
            err.lines().skip(1).all(|l| l.starts_with("usage: ")),
            "{err}"
        );
        assert!(clones.is_empty(), "{args:?} cloned: {clones:?}");
    }
    // Root is refused the same malformed and overlapping maps.
    let o = run(&["run", "--gid-map", "1:2:3:4", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).starts_with(
            "hull: --gid-map: invalid value '1:2:3:4' (expected CONTAINER:HOST:COUNT)\n"
        )
    );
}

#[test]
fn root_with_maps_is_uid_100000_on_the_host() {
    if !need_root("root_with_maps_is_uid_100000_on_the_host") {
        return;
    }
    let mut child = hull()
        .args([
            "run",
            "--uid-map",
            "0:100000:65536",
            "sh",
            "-c",
            "id -u; read x",
        ])
        .stdin(Stdio::piped())
        .spawn_bounded();
    let c = wait_for_child(child.id());
    wait_for_exec(c, "sh");
    let status = std::fs::read_to_string(format!("/proc/{c}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>())
            .unwrap()
    };
    // Real, effective, saved and filesystem ids, seen from the host.
    assert_eq!(field("Uid:"), ["100000"; 4], "{status}");
    assert_eq!(field("Gid:"), ["100000"; 4], "{status}");
    assert!(field("Groups:").is_empty(), "{status}");
    child.stdin().write_all(b"\n").unwrap();
    let o = child.wait_with_output();
    assert!(o.status.success());
    // ... and root inside.
    assert_eq!(String::from_utf8_lossy(&o.stdout), "0\n");
}

#[test]
fn root_with_maps_creates_files_owned_by_100000() {
    if !need_root("root_with_maps_creates_files_owned_by_100000") {
        return;
    }
    // Without a rootfs the host's tree is visible: a host directory made
    // writable for uid 100000 stands in for an rw volume.
    let dir = std::env::temp_dir().join(format!("hull-userns-owned-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(100000), Some(100000)).unwrap();
    let file = dir.join("made-inside");
    let o = run(&[
        "run",
        "--uid-map",
        "0:100000:65536",
        "sh",
        "-c",
        &format!(
            "touch {} && stat -c %u:%g {}",
            file.display(),
            file.display()
        ),
    ]);
    let meta = std::fs::metadata(&file);
    // Root-owned host files are not the container root's.
    let o2 = run(&[
        "run",
        "--uid-map",
        "0:100000:65536",
        "touch",
        "/etc/hull-userns-should-not-exist",
    ]);
    let leaked = Path::new("/etc/hull-userns-should-not-exist").exists();
    let _ = std::fs::remove_file("/etc/hull-userns-should-not-exist");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "0:0\n", "owned by root inside");
    let meta = meta.unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (100000, 100000),
        "owner on the host"
    );
    assert_eq!(o2.status.code(), Some(1), "{}", stderr(&o2));
    assert!(stderr(&o2).contains("Permission denied"), "{}", stderr(&o2));
    assert!(!leaked);
}

#[test]
fn root_with_userns_and_no_maps_is_itself() {
    if !need_root("root_with_userns_and_no_maps_is_itself") {
        return;
    }
    let o = run(&[
        "run",
        "--userns",
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(map(&stdout(&o)), ["0 0 1", "0 0 1"]);
    let o = run(&["run", "--userns", "readlink", "/proc/self/ns/user"]);
    let host = std::fs::read_link("/proc/self/ns/user").unwrap();
    assert_ne!(stdout(&o).trim(), host.to_str().unwrap());
}

#[test]
fn disabled_user_namespaces_are_named() {
    let test = "disabled_user_namespaces_are_named";
    if !need_root(test) || !need_tool(test, "unshare") {
        return;
    }
    // The limit is per user namespace: set to 0 inside a fresh one, it
    // binds only what runs there, not the other tests on this machine.
    let o = Command::new("unshare")
        .args(["--user", "--map-root-user", "sh", "-c"])
        .arg(format!(
            "echo 0 > /proc/sys/user/max_user_namespaces && exec {} run --userns true",
            env!("CARGO_BIN_EXE_hull")
        ))
        .output_bounded();
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "hull: user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0\n"
    );
    // Untouched outside.
    let max = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap();
    assert_ne!(max.trim(), "0");
}

/// A busybox root filesystem in a temp directory owned by uid 65534, as an
/// unprivileged user would unpack one (busybox copied, never hard-linked:
/// chown would reach the host's binary through the link).
struct NobodyRootfs(PathBuf);

impl NobodyRootfs {
    fn new(test: &str) -> Option<NobodyRootfs> {
        let bb = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.exists());
        let Some(bb) = bb else {
            skip(
                test,
                "busybox is not installed (.ci/run installs busybox-static)",
            );
            return None;
        };
        let dir = std::env::temp_dir().join(format!("hull-userns-rootfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["bin", "proc", "dev", "sys", "tmp", "etc", "mnt"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        std::fs::copy(bb, dir.join("bin/busybox")).unwrap();
        for applet in ["sh", "id", "cat", "touch", "ls", "echo"] {
            std::os::unix::fs::symlink("/bin/busybox", dir.join("bin").join(applet)).unwrap();
        }
        std::fs::write(dir.join("ROOTFS_MARKER"), "rootfs\n").unwrap();
        let o = Command::new("chown")
            .args(["-R", "-h", "65534:65534"])
            .arg(&dir)
            .output_bounded();
        assert!(o.status.success(), "{}", stderr(&o));
        Some(NobodyRootfs(dir))
    }
}

impl Drop for NobodyRootfs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn unprivileged_rootfs_with_volumes() {
    let test = "unprivileged_rootfs_with_volumes";
    if !ready(test) {
        return;
    }
    let Some(root) = NobodyRootfs::new(test) else {
        return;
    };
    let n = Nobody::new("rootfs");
    let vol = std::env::temp_dir().join(format!("hull-userns-vol-{}", std::process::id()));
    std::fs::create_dir_all(&vol).unwrap();
    std::os::unix::fs::chown(&vol, Some(65534), Some(65534)).unwrap();
    let host_before = std::fs::read("/etc/hostname").unwrap();
    let o = n.run(&[
        "run",
        "--rootfs",
        root.0.to_str().unwrap(),
        "-v",
        &format!("{}:/mnt", vol.display()),
        "-v",
        "/etc/hostname:/etc/hostname",
        "sh",
        "-c",
        "id -u; cat /ROOTFS_MARKER; echo $$; echo > /dev/null && echo null; \
         touch /mnt/made-inside && echo touched; echo pwned > /etc/hostname",
    ]);
    let made = std::fs::metadata(vol.join("made-inside"));
    let _ = std::fs::remove_dir_all(&vol);
    // The root switched (the marker), /dev works, the rw volume is written.
    assert_eq!(
        stdout(&o),
        "0\nrootfs\n1\nnull\ntouched\n",
        "{}",
        stderr(&o)
    );
    // ... but the root-owned host file bound in is not the container root's.
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "sh: can't create /etc/hostname: Permission denied\n"
    );
    assert_eq!(std::fs::read("/etc/hostname").unwrap(), host_before);
    let made = made.unwrap();
    assert_eq!(
        (made.uid(), made.gid()),
        (65534, 65534),
        "owner on the host"
    );
    // A user the maps lack is refused, saying why.
    let o = n.run(&[
        "run",
        "--rootfs",
        root.0.to_str().unwrap(),
        "-u",
        "1000",
        "id",
    ]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: set user: setgroups, setresgid, setresuid: setresuid: Invalid argument (an id not in the user namespace's maps)\n"
    );
    // -u with an id that is mapped works (setgroups is denied, and skipped).
    let o = n.run(&[
        "run",
        "--rootfs",
        root.0.to_str().unwrap(),
        "-u",
        "0:0",
        "id",
    ]);
    assert_eq!(stdout(&o), "uid=0 gid=0\n", "{}", stderr(&o));
}
