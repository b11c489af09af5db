//! What `hull spec` writes and what `hull features` prints.
//!
//! `hull spec` writes runc's `config.json` with hull's choices: `sh` on a
//! terminal in a read-only `rootfs` (a busybox tree is enough), podman's
//! capability set (`crate::spec::DEFAULT_CAPS`) for the bounding,
//! effective and permitted sets, docker's masked and read-only paths, the
//! device cgroup closed, new pid, network, ipc, uts, mount and cgroup
//! namespaces. `--rootless` changes what runc's does: a user namespace
//! mapping root to the invoking uid and gid, the host's network and a
//! bind of the host's `/sys`, no `gid=5` on devpts and no device list.
//!
//! Both documents are templates, compact JSON with marker characters, laid out
//! the way Go's `json.MarshalIndent` lays them out (tabs, as runc's):
//! smaller than the text itself, and the lists come from the tables the
//! reader uses, so what `features` claims is what `config` accepts.

use super::OCI_VERSION;
use super::config::{HOOKS, MOUNT_OPTIONS, NAMESPACES};
use crate::error::{EXIT_RUNTIME, Error};
use crate::spec::{CAP_NAMES, DEFAULT_CAPS};
use crate::sys::{self, AsFd, Errno};
use crate::util::out::Buf;
use alloc::vec::Vec;
use rustix::fs::{Mode, OFlags};

/// The seccomp actions (after `SCMP_ACT_`) and operators (after
/// `SCMP_CMP_`) `crate::seccomp::from_json` reads (a test holds the two
/// lists together), and the one architecture hull runs.
const SECCOMP_ACTIONS: &str = "ALLOW ERRNO KILL KILL_THREAD KILL_PROCESS TRAP TRACE LOG";
const SECCOMP_OPERATORS: &str = "NE LT LE EQ GE GT MASKED_EQ";

// Template markers (no string in the templates holds one): a part only
// the rootful (ROOTFUL) or the rootless (ROOTLESS) config has, up to END;
// the invoking uid and gid; the lists of names.
const ROOTFUL: u8 = b'<';
const ROOTLESS: u8 = b'>';
const END: u8 = b'|';
const UID: u8 = b'^';
const GID: u8 = b'~';
const LIST_CAPS: u8 = b'*';
const LIST_HOOKS: u8 = b'&';
const LIST_MOUNT_OPTIONS: u8 = b'%';
const LIST_NAMESPACES: u8 = b'$';
const LIST_ALL_CAPS: u8 = b'+';
const LIST_ACTIONS: u8 = b'!';
const LIST_OPERATORS: u8 = b'?';

/// The default config (the version goes in front of it).
const CONFIG: &str = concat!(
    r#","process":{"terminal":true,"user":{"uid":0,"gid":0},"args":["sh"],"#,
    r#""env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=xterm"],"#,
    r#""cwd":"/","capabilities":{"bounding":[*],"effective":[*],"permitted":[*]},"#,
    r#""rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],"noNewPrivileges":true},"#,
    r#""root":{"path":"rootfs","readonly":true},"hostname":"hull","mounts":["#,
    r#"{"destination":"/proc","type":"proc","source":"proc"},"#,
    r#"{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},"#,
    r#"{"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"<,"gid=5"|]},"#,
    r#"{"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]},"#,
    r#"{"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},"#,
    r#"<{"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]}|"#,
    r#">{"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]}|,"#,
    r#"{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]}],"#,
    r#""linux":{<"resources":{"devices":[{"allow":false,"access":"rwm"}]},|"#,
    r#">"uidMappings":[{"containerID":0,"hostID":^,"size":1}],"gidMappings":[{"containerID":0,"hostID":~,"size":1}],|"#,
    r#""namespaces":[{"type":"pid"},<{"type":"network"},|{"type":"ipc"},{"type":"uts"},{"type":"mount"},"#,
    r#"{"type":"cgroup"}>,{"type":"user"}|],"#,
    r#""maskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","#,
    r#""/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware","#,
    r#""/sys/devices/virtual/powercap"],"#,
    r#""readonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}}"#,
);

/// The `features` document (the versions go in front of it).
const FEATURES: &str = concat!(
    r#","hooks":[&],"mountOptions":[%],"linux":{"namespaces":[$],"capabilities":[+],"#,
    r#""cgroup":{"v1":true,"v2":true,"systemd":false,"systemdUser":false,"rdma":false},"#,
    r#""seccomp":{"enabled":true,"actions":[!],"operators":[?],"#,
    r#""archs":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"]},"#,
    r#""apparmor":{"enabled":false},"selinux":{"enabled":false},"intelRdt":{"enabled":false},"#,
    r#""mountExtensions":{"idmap":{"enabled":false}}}}"#,
);

/// Go's `json.MarshalIndent(v, "", "\t")` layout applied to compact JSON
/// as it is fed (no string in the templates holds a quote).
struct Pretty {
    b: Buf,
    depth: usize,
    quoted: bool,
    /// Right after a `[`: the next list item needs no comma.
    fresh: bool,
}

impl Pretty {
    fn feed(&mut self, text: &[u8]) {
        for &c in text {
            self.byte(c);
        }
    }

    fn byte(&mut self, c: u8) {
        let fresh = core::mem::replace(&mut self.fresh, false);
        if c == b'"' {
            self.quoted = !self.quoted;
        } else if self.quoted {
        } else if c == b'{' || c == b'[' {
            self.b.0.push(c);
            self.depth += 1;
            self.fresh = c == b'[';
            return self.newline();
        } else if c == b'}' || c == b']' {
            self.depth -= 1;
            if !fresh {
                self.newline();
            }
        } else if c == b',' {
            self.b.0.push(c);
            return self.newline();
        } else if c == b':' {
            self.b.s(": ");
            return;
        }
        self.b.0.push(c);
    }

    fn newline(&mut self) {
        self.b.s("\n");
        for _ in 0..self.depth {
            self.b.s("\t");
        }
    }

    /// The words of `table` (split at spaces and `|`) whose index is in
    /// `mask`, each as a string item `"PREFIXword"`.
    fn words(&mut self, prefix: &str, table: &str, mask: u64) {
        for (i, word) in table.split(' ').enumerate() {
            if mask >> i & 1 == 0 {
                continue;
            }
            for w in word.split('|') {
                if !self.fresh {
                    self.byte(b',');
                }
                self.feed(b"\"");
                self.feed(prefix.as_bytes());
                self.feed(w.as_bytes());
                self.feed(b"\"");
            }
        }
    }
}

/// Lays `template` out, with the `rootless` (uid, gid) or the rootful parts.
fn render(head: &[&str], template: &str, rootless: Option<(u32, u32)>) -> Vec<u8> {
    let mut p = Pretty {
        b: Buf::new(),
        depth: 0,
        quoted: false,
        fresh: false,
    };
    p.feed(b"{");
    for (i, h) in head.iter().enumerate() {
        p.feed(if i % 2 == 0 { b"\"" } else { b"\":\"" });
        p.feed(h.as_bytes());
        if i % 2 == 1 {
            p.feed(b"\"");
            if i + 1 < head.len() {
                p.feed(b",");
            }
        }
    }
    let mut skip = false;
    for &c in template.as_bytes() {
        match c {
            ROOTFUL | ROOTLESS => skip = (c == ROOTLESS) != rootless.is_some(),
            END => skip = false,
            _ if skip => {}
            UID | GID => {
                let (uid, gid) = rootless.unwrap_or_default();
                let mut n = Buf::new();
                n.u(if c == UID { uid } else { gid } as u64);
                p.feed(&n.0);
            }
            LIST_CAPS => p.words("CAP_", CAP_NAMES, DEFAULT_CAPS),
            LIST_HOOKS => p.words("", HOOKS, !0),
            LIST_MOUNT_OPTIONS => {
                for (i, t) in MOUNT_OPTIONS.iter().enumerate() {
                    p.words("", t, !0);
                    // The attributes and atime modes, recursive.
                    if i < 2 {
                        p.words("r", t, !0);
                    }
                }
            }
            LIST_NAMESPACES => p.words("", NAMESPACES, !0),
            LIST_ALL_CAPS => p.words("CAP_", CAP_NAMES, !0),
            LIST_ACTIONS => p.words("SCMP_ACT_", SECCOMP_ACTIONS, !0),
            LIST_OPERATORS => p.words("SCMP_CMP_", SECCOMP_OPERATORS, !0),
            _ => p.byte(c),
        }
    }
    p.b.s("\n");
    p.b.0
}

/// The `config.json` of `hull spec`; `rootless` with the invoking (uid, gid).
pub fn default_config(rootless: Option<(u32, u32)>) -> Vec<u8> {
    render(&["ociVersion", OCI_VERSION], CONFIG, rootless)
}

/// The `features` document (runtime-spec features.md).
pub fn features() -> Vec<u8> {
    render(
        &["ociVersionMin", "1.0.0", "ociVersionMax", OCI_VERSION],
        FEATURES,
        None,
    )
}

/// Writes `text` as `DIR/config.json`, which must not exist yet (runc
/// refuses to overwrite one too).
pub fn write_config(dir: &[u8], text: &[u8]) -> Result<(), Error> {
    let mut path = dir.to_vec();
    path.extend_from_slice(b"/config.json");
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
    match rustix::fs::open(&path[..], flags, Mode::from_raw_mode(0o644)) {
        Ok(fd) => sys::write_all(fd.as_fd(), text).map_err(|e| Error::sys("write", &path, e)),
        Err(Errno::EXIST) => Err(Error::new(
            EXIT_RUNTIME,
            Buf::new().b(&path).s(" exists already: remove it first"),
        )),
        Err(e) => Err(Error::sys("create", &path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::config::{Config, EFFECTIVE};
    use serde_json::json;

    fn text(b: Vec<u8>) -> String {
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn default_config_reads_back() {
        let t = text(default_config(None));
        let c = Config::parse(t.as_bytes(), b"/b").unwrap();
        assert_eq!(c.oci_version, OCI_VERSION.as_bytes());
        assert_eq!(
            (c.root.as_slice(), c.root_readonly),
            (&b"/b/rootfs"[..], true)
        );
        let p = c.process.as_ref().unwrap();
        assert_eq!(p.caps, [DEFAULT_CAPS, DEFAULT_CAPS, 0, DEFAULT_CAPS, 0]);
        assert_eq!(p.args, [b"sh".to_vec()]);
        assert_eq!(c.namespaces.len(), 6);
        assert!(c.uid_maps.is_empty());
        assert_eq!(c.resources.devices.len(), 1);
        assert_eq!(c.masked_paths.len(), 11);
        assert_eq!(c.mounts[2].opts.data.last().unwrap(), b"gid=5");
        assert_eq!(c.mounts[5].fstype, b"sysfs");
        // The layout of `runc spec` (Go's MarshalIndent with tabs).
        assert!(
            t.starts_with(
                "{\n\t\"ociVersion\": \"1.1.0\",\n\t\"process\": {\n\t\t\"terminal\": true,\n"
            ),
            "{t}"
        );
        assert!(
            t.contains("\n\t\t\"args\": [\n\t\t\t\"sh\"\n\t\t],\n"),
            "{t}"
        );
        assert!(
            t.contains(
                "\t\t\t\"bounding\": [\n\t\t\t\t\"CAP_CHOWN\",\n\t\t\t\t\"CAP_DAC_OVERRIDE\",\n"
            ),
            "{t}"
        );
        assert!(
            t.ends_with("\t\t\t\"/proc/sysrq-trigger\"\n\t\t]\n\t}\n}\n"),
            "{t}"
        );
        // Exactly the JSON it says.
        let mut compact = Buf::new();
        crate::util::json::write(
            &mut compact,
            &crate::util::json::parse(t.as_bytes()).unwrap(),
        );
        let squeezed = t.replace(['\n', '\t'], "").replace("\": ", "\":");
        assert_eq!(squeezed, String::from_utf8(compact.0).unwrap());
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(
            v["process"]["capabilities"]["bounding"]
                .as_array()
                .unwrap()
                .len(),
            11
        );
        assert_eq!(v["process"]["capabilities"]["bounding"][10], "CAP_SETFCAP");
    }

    #[test]
    fn rootless_config() {
        let t = text(default_config(Some((1000, 1001))));
        let c = Config::parse(t.as_bytes(), b"/b").unwrap();
        let map = |outside| {
            [crate::spec::IdMap {
                inside: 0,
                outside,
                count: 1,
            }]
        };
        assert_eq!(
            (&c.uid_maps[..], &c.gid_maps[..]),
            (&map(1000)[..], &map(1001)[..])
        );
        let flags: Vec<u32> = c.namespaces.iter().map(|n| n.flag).collect();
        use linux_raw_sys::general as g;
        assert_eq!(
            flags,
            [
                g::CLONE_NEWPID,
                g::CLONE_NEWIPC,
                g::CLONE_NEWUTS,
                g::CLONE_NEWNS,
                g::CLONE_NEWCGROUP,
                g::CLONE_NEWUSER
            ]
        );
        assert!(c.resources.devices.is_empty());
        assert!(!c.mounts[2].opts.data.contains(&b"gid=5".to_vec()));
        assert_eq!(
            (c.mounts[5].bind, &c.mounts[5].src[..]),
            (Some(true), &b"/sys"[..])
        );
        // runc's rootless spec differs from its rootful one in the same places.
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(
            v["linux"]["uidMappings"],
            json!([{"containerID": 0, "hostID": 1000, "size": 1}])
        );
        assert!(v["linux"].get("resources").is_none());
    }

    #[test]
    fn features_as_the_reader_knows_them() {
        let t = text(features());
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v["ociVersionMin"], "1.0.0");
        assert_eq!(v["ociVersionMax"], OCI_VERSION);
        let list = |p: &str| -> Vec<String> {
            v.pointer(p)
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            list("/hooks"),
            [
                "prestart",
                "createRuntime",
                "createContainer",
                "startContainer",
                "poststart",
                "poststop"
            ]
        );
        assert_eq!(
            list("/linux/namespaces"),
            [
                "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"
            ]
        );
        let caps = list("/linux/capabilities");
        assert_eq!(
            (caps.len(), caps[0].as_str(), caps[40].as_str()),
            (41, "CAP_CHOWN", "CAP_CHECKPOINT_RESTORE")
        );
        // Every capability, namespace and mount option it names, the reader takes.
        let mut base: serde_json::Value = serde_json::from_slice(&default_config(None)).unwrap();
        base["process"]["capabilities"]["ambient"] = json!(caps);
        base["linux"]["namespaces"] = json!(
            list("/linux/namespaces")
                .iter()
                .map(|t| json!({"type": t}))
                .collect::<Vec<_>>()
        );
        base["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 1000, "size": 1}]);
        base["linux"]["gidMappings"] = base["linux"]["uidMappings"].clone();
        let opts = list("/mountOptions");
        for o in [
            "rro",
            "rnosuid",
            "strictatime",
            "rstrictatime",
            "rbind",
            "runbindable",
            "tmpcopyup",
            "defaults",
            "nosymfollow",
        ] {
            assert!(opts.iter().any(|x| x == o), "{o}");
        }
        base["mounts"][0]["options"] = json!(opts);
        let c = Config::parse(base.to_string().as_bytes(), b"/b").unwrap();
        assert_eq!(
            c.process.unwrap().caps[crate::oci::config::AMBIENT],
            (1 << 41) - 1
        );
        assert!(
            c.mounts[0].opts.data.is_empty(),
            "{:?}",
            c.mounts[0].opts.data
        );
        // Every seccomp action and operator it names, the compiler takes.
        for a in list("/linux/seccomp/actions") {
            let p = json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": a}]});
            let p = crate::util::json::parse(p.to_string().as_bytes()).unwrap();
            crate::seccomp::from_json(&p, 0, (6, 1)).unwrap_or_else(|e| panic!("{a}: {:?}", e.msg));
        }
        for op in list("/linux/seccomp/operators") {
            let p = json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": op}]}]});
            let p = crate::util::json::parse(p.to_string().as_bytes()).unwrap();
            crate::seccomp::from_json(&p, 0, (6, 1))
                .unwrap_or_else(|e| panic!("{op}: {:?}", e.msg));
        }
        assert_eq!(v["linux"]["mountExtensions"]["idmap"]["enabled"], false);
        assert_eq!(v["linux"]["cgroup"]["systemd"], false);
        assert!(t.starts_with("{\n\t\"ociVersionMin\": \"1.0.0\",\n\t\"ociVersionMax\": \"1.1.0\",\n\t\"hooks\": [\n\t\t\"prestart\",\n"), "{t}");
        let _ = EFFECTIVE;
    }

    #[test]
    fn config_is_written_once() {
        let dir = std::env::temp_dir().join(format!("hull-spec-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap().as_bytes();
        write_config(d, b"{}\n").unwrap();
        assert_eq!(std::fs::read(dir.join("config.json")).unwrap(), b"{}\n");
        let e = write_config(d, b"x").unwrap_err();
        assert_eq!(
            e.msg,
            [d, b"/config.json exists already: remove it first"].concat()
        );
        assert_eq!(std::fs::read(dir.join("config.json")).unwrap(), b"{}\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
