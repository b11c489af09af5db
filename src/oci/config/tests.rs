//! The reader on the configs real clients send (captured on this kind of
//! machine: `runc spec`, `crun spec`, podman 4.3 and containerd 1.6's `ctr
//! run`, host paths renamed), and on broken ones, each with its message.

use super::*;
use serde_json::json;

const RUNC: &str = include_str!("../testdata/runc-spec.json");
const RUNC_ROOTLESS: &str = include_str!("../testdata/runc-spec-rootless.json");
const CRUN: &str = include_str!("../testdata/crun-spec.json");
const PODMAN: &str = include_str!("../testdata/podman-run.json");
const PODMAN_OPTS: &str = include_str!("../testdata/podman-options.json");
const CONTAINERD: &str = include_str!("../testdata/containerd-ctr-run.json");

const BUNDLE: &[u8] = b"/b";

fn ok(text: &str) -> Config {
    Config::parse(text.as_bytes(), BUNDLE)
        .unwrap_or_else(|e| panic!("{}", String::from_utf8_lossy(&e.msg)))
}

fn s(x: &str) -> Vec<u8> {
    x.as_bytes().to_vec()
}

fn strs(x: &[&str]) -> Vec<Vec<u8>> {
    x.iter().map(|x| s(x)).collect()
}

/// The mask of capabilities named without their `CAP_`.
fn caps(names: &[&str]) -> u64 {
    names
        .iter()
        .map(|n| 1u64 << find(CAP_NAMES, n.as_bytes()).unwrap())
        .sum()
}

const NOSUID: u32 = g::MOUNT_ATTR_NOSUID;
const NODEV: u32 = g::MOUNT_ATTR_NODEV;
const NOEXEC: u32 = g::MOUNT_ATTR_NOEXEC;
const RDONLY: u32 = g::MOUNT_ATTR_RDONLY;
const ATIME: u32 = g::MOUNT_ATTR__ATIME;

#[test]
fn runc_spec() {
    let c = ok(RUNC);
    assert_eq!(c.oci_version, b"1.0.2-dev");
    assert_eq!(c.root, b"/b/rootfs");
    assert!(c.root_readonly);
    assert_eq!(c.hostname.as_deref(), Some(&b"runc"[..]));
    let p = c.process.as_ref().unwrap();
    assert_eq!(p.args, strs(&["sh"]));
    assert_eq!(p.env.len(), 2);
    assert_eq!((p.uid, p.gid, p.umask), (0, 0, None));
    assert!(p.terminal && p.no_new_privs);
    let three = caps(&["AUDIT_WRITE", "KILL", "NET_BIND_SERVICE"]);
    assert_eq!(three, 1 << 29 | 1 << 5 | 1 << 10);
    assert_eq!(p.caps, [three, three, 0, three, three]);
    assert_eq!(
        p.rlimits,
        [Rlimit {
            resource: 7,
            soft: 1024,
            hard: 1024
        }]
    );
    assert_eq!(c.mounts.len(), 7);
    assert_eq!(
        (&c.mounts[0].dst[..], &c.mounts[0].fstype[..]),
        (&b"/proc"[..], &b"proc"[..])
    );
    assert_eq!(c.mounts[0].opts, MountOpts::default());
    let dev = &c.mounts[1].opts;
    assert_eq!(
        (dev.set, dev.clear),
        (NOSUID | g::MOUNT_ATTR_STRICTATIME, ATIME)
    );
    assert_eq!(dev.data, strs(&["mode=755", "size=65536k"]));
    let pts = &c.mounts[2];
    assert_eq!(pts.fstype, b"devpts");
    assert_eq!(pts.opts.set, NOSUID | NOEXEC);
    assert_eq!(
        pts.opts.data,
        strs(&["newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
    );
    assert_eq!(c.mounts[5].opts.set, NOSUID | NOEXEC | NODEV | RDONLY);
    let cg = &c.mounts[6].opts;
    assert_eq!(
        (cg.set, cg.clear),
        (NOSUID | NOEXEC | NODEV | RDONLY, ATIME)
    );
    assert!(c.mounts.iter().all(|m| m.bind.is_none()));
    let flags: Vec<u32> = c.namespaces.iter().map(|n| n.flag).collect();
    assert_eq!(
        flags,
        [
            g::CLONE_NEWPID,
            g::CLONE_NEWNET,
            g::CLONE_NEWIPC,
            g::CLONE_NEWUTS,
            g::CLONE_NEWNS
        ]
    );
    assert!(c.namespaces.iter().all(|n| n.path.is_none()));
    assert_eq!(
        c.resources.devices,
        [DeviceRule {
            allow: false,
            kind: b'a',
            major: None,
            minor: None,
            access: DEV_READ | DEV_WRITE | DEV_MKNOD
        }]
    );
    assert_eq!(c.masked_paths.len(), 10);
    assert_eq!(c.readonly_paths[3], b"/proc/sys");
    assert!(c.seccomp.is_none() && c.uid_maps.is_empty() && c.hooks.iter().all(Vec::is_empty));
    assert_eq!(c.namespace(g::CLONE_NEWUSER), None);
}

#[test]
fn runc_spec_rootless() {
    let c = ok(RUNC_ROOTLESS);
    let one = [IdMap {
        inside: 0,
        outside: 0,
        count: 1,
    }];
    assert_eq!((&c.uid_maps[..], &c.gid_maps[..]), (&one[..], &one[..]));
    assert!(c.namespace(g::CLONE_NEWUSER).is_some());
    assert!(c.namespace(g::CLONE_NEWNET).is_none());
    // /sys: the host's, bound recursively, read-only.
    let sys = &c.mounts[5];
    assert_eq!((&sys.dst[..], &sys.src[..]), (&b"/sys"[..], &b"/sys"[..]));
    assert_eq!(sys.bind, Some(true));
    assert_eq!(sys.opts.set, NOSUID | NOEXEC | NODEV | RDONLY);
    assert!(sys.opts.data.is_empty());
    assert!(c.resources.devices.is_empty());
}

#[test]
fn crun_spec() {
    let c = ok(CRUN);
    let p = c.process.unwrap();
    // crun writes an empty inheritable set.
    assert_eq!(p.caps[INHERITABLE], 0);
    assert_eq!(p.caps[AMBIENT], p.caps[BOUNDING]);
    assert_eq!(c.hostname.as_deref(), Some(&b"crun"[..]));
}

#[test]
fn podman_run() {
    let c = ok(PODMAN);
    assert_eq!(c.root, b"/var/lib/containers/storage/overlay/82bf2d309e5a03a46dfb551ca683148bf399734534d9b0bfb5ae29ee756382bf/merged");
    assert!(!c.root_readonly);
    let p = c.process.as_ref().unwrap();
    assert_eq!(p.args, strs(&["sleep", "100"]));
    assert_eq!(p.umask, Some(0o22));
    assert!(!p.terminal && !p.no_new_privs);
    let podman = caps(&[
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ]);
    assert_eq!(podman, crate::spec::DEFAULT_CAPS);
    assert_eq!(p.caps, [podman, podman, 0, podman, 0]);
    assert_eq!(p.rlimits.len(), 2);
    assert_eq!(p.rlimits[1].resource, g::RLIMIT_NPROC);
    let host = &c.mounts[5];
    assert_eq!(host.dst, b"/etc/hostname");
    assert_eq!(host.bind, Some(false));
    assert_eq!(host.opts.propagation, g::MS_PRIVATE | g::MS_REC);
    let shm = &c.mounts[7];
    assert_eq!(
        (shm.bind, shm.opts.set),
        (Some(false), NOSUID | NOEXEC | NODEV)
    );
    let cgroup = &c.mounts[9];
    assert_eq!(cgroup.fstype, b"cgroup");
    assert_eq!(cgroup.opts.propagation, g::MS_PRIVATE | g::MS_REC);
    assert_eq!(c.annotations.len(), 8);
    assert_eq!(c.annotations[0], (s("io.container.manager"), s("libpod")));
    assert_eq!(c.sysctl, [(s("net.ipv4.ping_group_range"), s("0 0"))]);
    assert_eq!(c.resources.pids_limit, Some(2048));
    assert_eq!(
        c.cgroups_path.as_deref(),
        Some(&b"/libpod_parent/libpod-a57d3088cf4edef3b0187de76b0e0bb4eed35100dc518dac15f3214e84554992"[..])
    );
    assert_eq!(c.masked_paths.len(), 11);
    // podman's own profile: returns ENOSYS by default, and the seccomp
    // compiler takes it.
    let sc = c.seccomp.as_ref().unwrap();
    assert_eq!(sc.get(b"defaultErrnoRet").and_then(Value::u64), Some(38));
    let profile = crate::seccomp::from_json(sc, p.caps[EFFECTIVE], (6, 1)).unwrap();
    assert_eq!(profile.default, crate::seccomp::Action::Errno(38));
    assert!(!profile.rules.is_empty());
}

#[test]
fn podman_options() {
    // podman run -t --user 1000:1000 --read-only -v DIR:/data:ro
    // --tmpfs /scratch:size=1m --memory 64m --pids-limit 50 --cap-drop ALL
    // --cap-add NET_ADMIN -e FOO=bar -w /tmp --hostname hh --sysctl ...
    // --ulimit nofile=512:512 --oom-score-adj 100 --security-opt no-new-privileges
    let c = ok(PODMAN_OPTS);
    assert!(c.root_readonly);
    let p = c.process.as_ref().unwrap();
    assert_eq!((p.uid, p.gid, &p.groups[..]), (1000, 1000, &[1000][..]));
    assert_eq!(p.caps, [1 << 12; 5]);
    assert!(p.terminal && p.no_new_privs);
    assert_eq!(p.console_size, None);
    assert_eq!(p.oom_score_adj, Some(100));
    assert_eq!(p.cwd, b"/tmp");
    assert_eq!(p.env[3], b"FOO=bar");
    assert_eq!(
        p.rlimits[0],
        Rlimit {
            resource: 7,
            soft: 512,
            hard: 512
        }
    );
    let scratch = &c.mounts[0];
    assert_eq!(
        (&scratch.dst[..], &scratch.fstype[..]),
        (&b"/scratch"[..], &b"tmpfs"[..])
    );
    assert!(scratch.opts.copy_up);
    assert_eq!(
        (scratch.opts.set, scratch.opts.clear),
        (NOSUID | NODEV, RDONLY)
    );
    assert_eq!(scratch.opts.data, strs(&["size=1m"]));
    let data = &c.mounts[4];
    assert_eq!(
        (&data.dst[..], &data.src[..]),
        (&b"/data"[..], &b"/srv/data"[..])
    );
    assert_eq!(data.bind, Some(true));
    assert_eq!(data.opts.set, RDONLY);
    assert_eq!(c.resources.memory_limit, Some(64 << 20));
    assert_eq!(c.resources.memory_swap, Some(128 << 20));
    assert_eq!(c.resources.pids_limit, Some(50));
    assert_eq!(c.hostname.as_deref(), Some(&b"hh"[..]));
    assert_eq!(c.sysctl[0], (s("net.ipv4.ip_forward"), s("1")));
}

#[test]
fn containerd_ctr_run() {
    // ctr run --memory-limit 67108864 --cpus 0.5 --env FOO=bar --cwd /tmp
    // --annotation com.example.k=v --mount type=bind,...,options=rbind:ro
    // --rootfs-propagation rslave IMG ID sh -c 'exit 7'
    let c = ok(CONTAINERD);
    assert_eq!(c.root, b"/b/rootfs");
    let p = c.process.as_ref().unwrap();
    assert_eq!(p.args, strs(&["sh", "-c", "exit 7"]));
    assert_eq!(p.caps[INHERITABLE], 0);
    assert_eq!(p.caps[BOUNDING].count_ones(), 14);
    let r = &c.resources;
    assert_eq!(
        (r.cpu_shares, r.cpu_quota, r.cpu_period),
        (Some(1024), Some(50000), Some(100000))
    );
    assert_eq!(r.memory_limit, Some(67108864));
    assert_eq!(r.devices.len(), 10);
    // `{"type": "c", "major": 136}`: every pty.
    assert_eq!(
        r.devices[8],
        DeviceRule {
            allow: true,
            kind: b'c',
            major: Some(136),
            minor: None,
            access: DEV_READ | DEV_WRITE | DEV_MKNOD
        }
    );
    assert_eq!(c.rootfs_propagation, g::MS_SLAVE | g::MS_REC);
    assert_eq!(c.cgroups_path.as_deref(), Some(&b"/default/hull-ctr-2"[..]));
    assert_eq!(c.annotations, [(s("com.example.k"), s("v"))]);
    assert_eq!(c.hostname, None);
    let data = c.mounts.last().unwrap();
    assert_eq!((data.bind, data.opts.set), (Some(true), RDONLY));
}

#[test]
fn mount_option_words() {
    let parse = |w: &[&str]| mount_options(&strs(w));
    let (bind, o) = parse(&["ro", "rw", "nosuid", "suid", "nodev"]).unwrap();
    assert_eq!(bind, None);
    assert_eq!((o.set, o.clear), (NODEV, RDONLY | NOSUID));
    let (_, o) = parse(&["rro", "rnosuid", "rexec", "rnodiratime", "nosymfollow"]).unwrap();
    assert_eq!(
        (o.rset, o.rclear),
        (RDONLY | NOSUID | g::MOUNT_ATTR_NODIRATIME, NOEXEC)
    );
    assert_eq!((o.set, o.clear), (g::MOUNT_ATTR_NOSYMFOLLOW, 0));
    // The last atime option wins, and each clears the mode first.
    for (w, mode) in [
        ("noatime", g::MOUNT_ATTR_NOATIME),
        ("strictatime", g::MOUNT_ATTR_STRICTATIME),
        ("relatime", g::MOUNT_ATTR_RELATIME),
        ("atime", g::MOUNT_ATTR_RELATIME),
        ("norelatime", g::MOUNT_ATTR_RELATIME),
    ] {
        let (_, o) = parse(&["strictatime", "noatime", w]).unwrap();
        assert_eq!((o.set, o.clear), (mode, ATIME), "{w}");
    }
    let (_, o) = parse(&["rnoatime"]).unwrap();
    assert_eq!((o.rset, o.rclear, o.set), (g::MOUNT_ATTR_NOATIME, ATIME, 0));
    assert_eq!(parse(&["bind"]).unwrap().0, Some(false));
    assert_eq!(parse(&["rbind", "ro"]).unwrap().0, Some(true));
    for (i, w) in PROPAGATION.split(' ').enumerate() {
        let (_, o) = parse(&[w]).unwrap();
        let rec = if i % 2 == 1 { g::MS_REC } else { 0 };
        assert_eq!(o.propagation, PROPAGATION_FLAGS[i / 2] | rec, "{w}");
    }
    // Data options pass through in order, `r`-words included.
    let (_, o) = parse(&[
        "mode=1777",
        "rsize=8192",
        "newinstance",
        "defaults",
        "silent",
        "r",
    ])
    .unwrap();
    assert_eq!(
        o.data,
        strs(&["mode=1777", "rsize=8192", "newinstance", "r"])
    );
    assert_eq!((o.set, o.rset), (0, 0));
    assert_eq!(parse(&["ro", "idmap"]), Err(1));
    assert_eq!(parse(&["remount"]), Err(0));
}

#[test]
fn unknown_fields_and_nulls_are_ignored() {
    let mut v: serde_json::Value = serde_json::from_str(PODMAN).unwrap();
    let extra = json!({"x": [1, {"y": null}]});
    for ptr in [
        "",
        "/process",
        "/process/user",
        "/linux",
        "/linux/resources",
        "/mounts/0",
        "/root",
    ] {
        v.pointer_mut(ptr).unwrap()["hullTestUnknown"] = extra.clone();
    }
    v["solaris"] = json!({"milestone": "x"});
    v["linux"]["resources"]["blockIO"] = json!({"weight": 10});
    v["process"]["consoleSize"] = json!(null);
    // (serde_json sorts members: the reference goes through it too.)
    let plain: serde_json::Value = serde_json::from_str(PODMAN).unwrap();
    assert_eq!(ok(&v.to_string()), ok(&plain.to_string()));
    // `null` for an optional field is as good as no field.
    let mut v: serde_json::Value = serde_json::from_str(RUNC).unwrap();
    v["hostname"] = json!(null);
    v["linux"]["maskedPaths"] = json!(null);
    let c = ok(&v.to_string());
    assert_eq!((c.hostname, c.masked_paths.len()), (None, 0));
}

#[test]
fn console_size_needs_a_terminal() {
    let mut v: serde_json::Value = serde_json::from_str(RUNC).unwrap();
    v["process"]["consoleSize"] = json!({"height": 25, "width": 80});
    assert_eq!(
        ok(&v.to_string()).process.unwrap().console_size,
        Some((25, 80))
    );
    v["process"]["terminal"] = json!(false);
    assert_eq!(ok(&v.to_string()).process.unwrap().console_size, None);
}

#[test]
fn everything_else_runc_honours() {
    let mut v: serde_json::Value = serde_json::from_str(RUNC).unwrap();
    v["domainname"] = json!("example.org");
    v["process"]["user"]["umask"] = json!(63);
    v["process"]["apparmorProfile"] = json!("p");
    v["process"]["selinuxLabel"] = json!("l");
    v["linux"]["namespaces"] = json!([
        {"type": "network", "path": "/run/netns/x"}, {"type": "uts"}, {"type": "time"},
        {"type": "user", "path": "/proc/1/ns/user"}, {"type": "cgroup"}
    ]);
    v["linux"]["timeOffsets"] =
        json!({"monotonic": {"secs": -5, "nanosecs": 7}, "boottime": {"secs": 9}});
    v["linux"]["personality"] = json!({"domain": "LINUX32", "flags": []});
    v["linux"]["devices"] = json!([
        {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
        {"type": "p", "path": "/dev/fifo"}
    ]);
    v["linux"]["resources"]["memory"] = json!({"limit": -1, "reservation": 1024, "kernel": -1});
    v["linux"]["resources"]["cpu"] = json!({"quota": -1, "cpus": "0-1", "mems": "0"});
    v["linux"]["mountLabel"] = json!("m");
    v["hooks"] = json!({
        "createRuntime": [{"path": "/bin/a", "args": ["a", "1"], "env": ["K=V"], "timeout": 5}],
        "poststop": [{"path": "/bin/b"}, {"path": "/bin/c"}]
    });
    let c = ok(&v.to_string());
    assert_eq!(c.domainname.as_deref(), Some(&b"example.org"[..]));
    let p = c.process.as_ref().unwrap();
    assert_eq!(p.umask, Some(0o77));
    assert_eq!(
        (p.apparmor_profile.as_deref(), p.selinux_label.as_deref()),
        (Some(&b"p"[..]), Some(&b"l"[..]))
    );
    assert_eq!(c.namespaces[0].path.as_deref(), Some(&b"/run/netns/x"[..]));
    assert!(c.namespace(g::CLONE_NEWTIME).is_some());
    // (In serde_json's order: it sorts members.)
    assert_eq!(
        c.time_offsets,
        [(g::CLOCK_BOOTTIME, 9, 0), (g::CLOCK_MONOTONIC, -5, 7)]
    );
    assert_eq!(c.personality, Some(8));
    assert_eq!(
        c.devices[0],
        Device {
            kind: b'c',
            path: s("/dev/fuse"),
            major: 10,
            minor: 229,
            mode: Some(0o666),
            uid: Some(0),
            gid: Some(0)
        }
    );
    assert_eq!(
        (c.devices[1].kind, c.devices[1].major, c.devices[1].mode),
        (b'p', 0, None)
    );
    let r = &c.resources;
    assert_eq!(
        (r.memory_limit, r.memory_reservation, r.memory_swap),
        (Some(-1), Some(1024), None)
    );
    assert_eq!(
        (r.cpu_quota, r.cpus.as_deref(), r.mems.as_deref()),
        (Some(-1), Some(&b"0-1"[..]), Some(&b"0"[..]))
    );
    assert_eq!(c.mount_label.as_deref(), Some(&b"m"[..]));
    assert_eq!(
        c.hooks[CREATE_RUNTIME],
        [Hook {
            path: s("/bin/a"),
            args: strs(&["a", "1"]),
            env: strs(&["K=V"]),
            timeout: Some(5)
        }]
    );
    assert_eq!(c.hooks[POSTSTOP].len(), 2);
    assert!(c.hooks[PRESTART].is_empty());
}

/// The runc spec with `edit` applied: its one-line error.
fn error(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(RUNC).unwrap();
    edit(&mut v);
    match Config::parse(v.to_string().as_bytes(), BUNDLE) {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(e) => {
            assert_eq!((e.code, e.usage), (125, false));
            String::from_utf8(e.msg).unwrap()
        }
    }
}

#[test]
fn each_malformed_config_has_its_message() {
    type Edit = fn(&mut serde_json::Value);
    let cases: &[(Edit, &str)] = &[
        (
            |v| v["linux"]["namespaces"][2]["type"] = json!("foo"),
            "linux.namespaces[2].type: unknown namespace 'foo'",
        ),
        (
            |v| v["linux"]["namespaces"][4] = json!({"type": "pid"}),
            "linux.namespaces[4].type: 'pid' given twice",
        ),
        (
            |v| v["linux"]["namespaces"][0]["path"] = json!("ns/pid"),
            "linux.namespaces[0].path: 'ns/pid' is not an absolute path",
        ),
        (
            |v| v["linux"]["namespaces"][0] = json!({}),
            "linux.namespaces[0].type: missing",
        ),
        (
            |v| {
                v.as_object_mut().unwrap().remove("ociVersion");
            },
            "ociVersion: missing",
        ),
        (
            |v| v["ociVersion"] = json!("2.0.0"),
            "ociVersion: unsupported version '2.0.0' (hull reads 1.x)",
        ),
        (
            |v| v["ociVersion"] = json!(1),
            "ociVersion: expected a string",
        ),
        (
            |v| {
                v["root"].as_object_mut().unwrap().remove("path");
            },
            "root.path: missing",
        ),
        (|v| v["root"] = json!("rootfs"), "root: expected an object"),
        (
            |v| v["root"]["readonly"] = json!("yes"),
            "root.readonly: expected true or false",
        ),
        (
            |v| v["hostname"] = json!("h".repeat(65)),
            "hostname: longer than 64 bytes",
        ),
        (|v| v["process"] = json!([]), "process: expected an object"),
        (
            |v| v["process"]["args"] = json!([]),
            "process.args: needs one entry at least",
        ),
        (
            |v| {
                v["process"].as_object_mut().unwrap().remove("args");
            },
            "process.args: needs one entry at least",
        ),
        (
            |v| v["process"]["args"] = json!(["sh", 1]),
            "process.args[1]: expected a string",
        ),
        (
            |v| v["process"]["args"] = json!("sh"),
            "process.args: expected an array",
        ),
        (
            |v| v["process"]["cwd"] = json!("tmp"),
            "process.cwd: 'tmp' is not an absolute path",
        ),
        (
            |v| {
                v["process"].as_object_mut().unwrap().remove("cwd");
            },
            "process.cwd: missing",
        ),
        (
            |v| {
                v["process"]["env"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("FOO"))
            },
            "process.env[2]: 'FOO' is not KEY=VALUE",
        ),
        (
            |v| v["process"]["user"]["uid"] = json!(-1),
            "process.user.uid: expected an integer from 0 to 4294967295",
        ),
        (
            |v| v["process"]["user"]["uid"] = json!(1.5),
            "process.user.uid: expected an integer from 0 to 4294967295",
        ),
        (
            |v| {
                v["process"]["user"].as_object_mut().unwrap().remove("gid");
            },
            "process.user.gid: missing",
        ),
        (
            |v| v["process"]["user"]["umask"] = json!(512),
            "process.user.umask: expected an integer from 0 to 511",
        ),
        (
            |v| v["process"]["user"]["additionalGids"] = json!([5, "6"]),
            "process.user.additionalGids[1]: expected an integer from 0 to 4294967295",
        ),
        (
            |v| v["process"]["consoleSize"] = json!({"height": 25}),
            "process.consoleSize.width: missing",
        ),
        (
            |v| v["process"]["consoleSize"] = json!({"height": 70000, "width": 1}),
            "process.consoleSize.height: expected an integer from 0 to 65535",
        ),
        (
            |v| {
                v["process"]["capabilities"]["bounding"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("CAP_FOO"))
            },
            "process.capabilities.bounding[3]: unknown capability 'CAP_FOO'",
        ),
        (
            |v| v["process"]["capabilities"]["ambient"][0] = json!("KILL"),
            "process.capabilities.ambient[0]: unknown capability 'KILL'",
        ),
        (
            |v| v["process"]["capabilities"]["effective"][0] = json!("cap_kill"),
            "process.capabilities.effective[0]: unknown capability 'cap_kill'",
        ),
        (
            |v| v["process"]["capabilities"] = json!(["CAP_KILL"]),
            "process.capabilities: expected an object",
        ),
        (
            |v| v["process"]["rlimits"][0]["type"] = json!("RLIMIT_FOO"),
            "process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'",
        ),
        (
            |v| {
                v["process"]["rlimits"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}))
            },
            "process.rlimits[1].type: 'RLIMIT_NOFILE' given twice",
        ),
        (
            |v| v["process"]["rlimits"][0]["soft"] = json!(2048),
            "process.rlimits[0].soft: above the hard limit",
        ),
        (
            |v| {
                v["process"]["rlimits"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("hard");
            },
            "process.rlimits[0].hard: missing",
        ),
        (
            |v| v["process"]["oomScoreAdj"] = json!(1001),
            "process.oomScoreAdj: expected an integer from -1000 to 1000",
        ),
        (
            |v| v["process"]["noNewPrivileges"] = json!(1),
            "process.noNewPrivileges: expected true or false",
        ),
        (
            |v| v["process"]["scheduler"] = json!({"policy": "SCHED_FIFO"}),
            "process.scheduler: not supported by hull",
        ),
        (
            |v| v["process"]["ioPriority"] = json!({"class": "IOPRIO_CLASS_RT"}),
            "process.ioPriority: not supported by hull",
        ),
        (
            |v| v["mounts"][0]["destination"] = json!("proc"),
            "mounts[0].destination: 'proc' is not an absolute path",
        ),
        (
            |v| {
                v["mounts"][6]
                    .as_object_mut()
                    .unwrap()
                    .remove("destination");
            },
            "mounts[6].destination: missing",
        ),
        (
            |v| {
                v["mounts"][1]["options"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("idmap"))
            },
            "mounts[1].options[4]: unsupported mount option 'idmap'",
        ),
        (
            |v| v["mounts"][1]["options"][0] = json!(7),
            "mounts[1].options[0]: expected a string",
        ),
        (
            |v| v["mounts"][2]["uidMappings"] = json!([{"containerID": 0, "hostID": 1, "size": 1}]),
            "mounts[2].uidMappings: not supported by hull",
        ),
        (|v| v["mounts"] = json!({}), "mounts: expected an array"),
        (
            |v| v["hooks"] = json!({"prestart": [{"path": "hook"}]}),
            "hooks.prestart[0].path: 'hook' is not an absolute path",
        ),
        (
            |v| v["hooks"] = json!({"poststop": [{"path": "/h", "timeout": 0}]}),
            "hooks.poststop[0].timeout: expected an integer from 1 to 2147483647",
        ),
        (
            |v| v["hooks"] = json!({"poststart": [{"args": []}]}),
            "hooks.poststart[0].path: missing",
        ),
        (
            |v| v["annotations"] = json!({"a": "b", "c": 1}),
            "annotations.c: expected a string",
        ),
        (
            |v| v["annotations"] = json!({"": "x"}),
            "annotations: empty key",
        ),
        (|v| v["linux"] = json!(true), "linux: expected an object"),
        (
            |v| v["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 1000}]),
            "linux.uidMappings[0].size: missing",
        ),
        (
            |v| v["linux"]["devices"] = json!([{"type": "x", "path": "/dev/x"}]),
            "linux.devices[0].type: unknown device type 'x'",
        ),
        (
            |v| v["linux"]["devices"] = json!([{"type": "c", "path": "/dev/x", "minor": 1}]),
            "linux.devices[0].major: missing",
        ),
        (
            |v| {
                v["linux"]["devices"] =
                    json!([{"type": "b", "path": "dev/x", "major": 1, "minor": 1}])
            },
            "linux.devices[0].path: 'dev/x' is not an absolute path",
        ),
        (
            |v| v["linux"]["resources"]["devices"][0]["access"] = json!("rwx"),
            "linux.resources.devices[0].access: 'rwx' is not made of r, w and m",
        ),
        (
            |v| v["linux"]["resources"]["devices"][0] = json!({"access": "rwm"}),
            "linux.resources.devices[0].allow: missing",
        ),
        (
            |v| v["linux"]["resources"]["devices"][0]["type"] = json!("p"),
            "linux.resources.devices[0].type: unknown device type 'p'",
        ),
        (
            |v| v["linux"]["resources"]["devices"][0]["major"] = json!(-2),
            "linux.resources.devices[0].major: expected an integer from -1 to 4294967295",
        ),
        (
            |v| v["linux"]["resources"]["memory"] = json!({"limit": -2}),
            "linux.resources.memory.limit: expected an integer from -1 to 9223372036854775807",
        ),
        (
            |v| v["linux"]["resources"]["cpu"] = json!({"shares": "1024"}),
            "linux.resources.cpu.shares: expected an integer from 0 to 18446744073709551615",
        ),
        (
            |v| v["linux"]["resources"]["pids"] = json!({}),
            "linux.resources.pids.limit: missing",
        ),
        (
            |v| v["linux"]["cgroupsPath"] = json!("/a/../b"),
            "linux.cgroupsPath: '.' or '..' in '/a/../b'",
        ),
        (
            |v| v["linux"]["sysctl"] = json!({"net.ipv4.ip_forward": 1}),
            "linux.sysctl.net.ipv4.ip_forward: expected a string",
        ),
        (
            |v| v["linux"]["seccomp"] = json!("unconfined"),
            "linux.seccomp: expected an object",
        ),
        (
            |v| v["linux"]["rootfsPropagation"] = json!("foo"),
            "linux.rootfsPropagation: unknown propagation 'foo'",
        ),
        (
            |v| v["linux"]["maskedPaths"][0] = json!("proc/acpi"),
            "linux.maskedPaths[0]: 'proc/acpi' is not an absolute path",
        ),
        (
            |v| v["linux"]["readonlyPaths"] = json!("/proc/sys"),
            "linux.readonlyPaths: expected an array",
        ),
        (
            |v| v["linux"]["timeOffsets"] = json!({"realtime": {"secs": 1}}),
            "linux.timeOffsets.realtime: unknown clock 'realtime'",
        ),
        (
            |v| v["linux"]["timeOffsets"] = json!({"boottime": {"nanosecs": 1000000000u64}}),
            "linux.timeOffsets.boottime.nanosecs: expected an integer from 0 to 999999999",
        ),
        (
            |v| v["linux"]["personality"] = json!({"domain": "LINUX64"}),
            "linux.personality.domain: unknown personality domain 'LINUX64'",
        ),
        (
            |v| v["linux"]["personality"] = json!({"domain": "LINUX", "flags": ["x"]}),
            "linux.personality.flags: no flag is supported",
        ),
        (
            |v| v["linux"]["intelRdt"] = json!({"closID": "x"}),
            "linux.intelRdt: not supported by hull",
        ),
        (
            |v| v["linux"]["netDevices"] = json!({"eth1": {}}),
            "linux.netDevices: not supported by hull",
        ),
        // What needs a namespace the config does not ask for.
        (
            |v| {
                v["linux"]["namespaces"].as_array_mut().unwrap().remove(3);
            },
            "hostname: needs a uts namespace in linux.namespaces",
        ),
        (
            |v| v["linux"]["timeOffsets"] = json!({"boottime": {"secs": 1}}),
            "linux.timeOffsets: needs a time namespace in linux.namespaces",
        ),
        (
            |v| v["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 1000, "size": 1}]),
            "linux.gidMappings: needs a user namespace in linux.namespaces",
        ),
        (
            |v| {
                v["linux"]["namespaces"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"type": "user"}))
            },
            "linux: a new user namespace needs uidMappings and gidMappings",
        ),
    ];
    for (edit, want) in cases {
        assert_eq!(error(edit), format!("config.json: {want}"));
    }
}

#[test]
fn not_a_config_at_all() {
    let e =
        |t: &str| String::from_utf8(Config::parse(t.as_bytes(), BUNDLE).unwrap_err().msg).unwrap();
    assert_eq!(
        e("{"),
        "config.json: not JSON: unexpected end of input at byte 1"
    );
    assert_eq!(
        e("{\"ociVersion\": \"1.0.0\",}"),
        "config.json: not JSON: expected a string key at byte 23"
    );
    assert_eq!(e("[]"), "config.json: not a JSON object");
    assert_eq!(e("{}"), "config.json: ociVersion: missing");
    // The least a config may be: no process (create may do without one).
    let c = Config::parse(
        br#"{"ociVersion": "1.1.0", "root": {"path": "/r"}}"#,
        BUNDLE,
    )
    .unwrap();
    assert_eq!((c.root, c.process), (s("/r"), None));
}
