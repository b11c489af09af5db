//! Issue 4: a real container. A busybox root filesystem, /dev, volumes,
//! the environment, the user, and the locked-down default; run as root.

mod common;
use common::*;

/// podman's default capability set, as /proc/self/status prints it:
/// docker's without MKNOD, NET_RAW and AUDIT_WRITE.
const DEFAULT_CAPS: &str = "00000000800405fb";

fn rootfs(test: &str) -> Option<Rootfs> {
    if !need_root(test) {
        return None;
    }
    Rootfs::new(test)
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}, stderr: {}",
        o.status,
        stderr(o)
    );
    stdout(o)
}

fn status_field(text: &str, field: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:\t")))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
        .to_string()
}

#[test]
fn the_container_sees_the_rootfs_not_the_host() {
    let Some(r) = rootfs("rootfs_sees_the_rootfs") else {
        return;
    };
    let host_only = TempDir::new("host-only");
    let o = r.run(&[
        "sh",
        "-c",
        &format!(
            "cat /ROOTFS_MARKER; test -e {} && echo host-visible; readlink /proc/$$/exe; pwd",
            host_only.path()
        ),
    ]);
    // sh is the image's busybox (/bin/sh -> /bin/busybox, resolved inside
    // the rootfs), not the host's /bin/sh.
    assert_eq!(ok(&o), "rootfs\n/bin/busybox\n/\n");
    assert!(!std::path::Path::new("/ROOTFS_MARKER").exists());
    // A command the host has but the image lacks is not found.
    let o = r.run(&["python3", "-c", "1"]);
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(stderr(&o), "hull: python3: command not found\n");
}

#[test]
fn dev_holds_only_the_safe_nodes() {
    let Some(r) = rootfs("dev_safe_nodes") else {
        return;
    };
    let o = r.run(&[
        "sh",
        "-c",
        "ls /dev | tr '\\n' ' '; echo; echo x > /dev/null && head -c 5 /dev/zero | wc -c; \
         for l in ptmx fd stdin; do readlink /dev/$l; done; grep -E ' /dev/(pts|shm|mqueue) ' /proc/self/mountinfo | cut -d' ' -f5,8",
    ]);
    let out = ok(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "
    );
    assert_eq!(lines.next().unwrap(), "5");
    assert_eq!(lines.next().unwrap(), "pts/ptmx");
    assert_eq!(lines.next().unwrap(), "/proc/self/fd");
    assert_eq!(lines.next().unwrap(), "/proc/self/fd/0");
    assert_eq!(lines.next().unwrap(), "/dev/pts devpts");
    assert_eq!(lines.next().unwrap(), "/dev/shm tmpfs");
    // The container's own IPC namespace's message queues, as docker's;
    // none of the host's with --ipc=host.
    assert_eq!(lines.next().unwrap(), "/dev/mqueue mqueue");
    let o = r.run(&["--ipc=host", "test", "-e", "/dev/mqueue"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The host's disks are absent.
    for disk in std::fs::read_dir("/sys/block").unwrap() {
        let name = disk.unwrap().file_name().into_string().unwrap();
        let o = r.run(&["test", "-e", &format!("/dev/{name}")]);
        assert_eq!(o.status.code(), Some(1), "/dev/{name} visible inside");
    }
}

#[test]
fn volumes_write_through_and_read_only_ones_refuse() {
    let Some(r) = rootfs("volumes") else { return };
    let rw = TempDir::new("vol-rw");
    let ro = TempDir::new("vol-ro");
    std::fs::write(ro.0.join("file"), "from host\n").unwrap();
    let file = TempDir::new("vol-file");
    std::fs::write(file.0.join("f"), "one file\n").unwrap();
    let o = r.run(&[
        "-v",
        &format!("{}:/data", rw.path()),
        "--volume",
        &format!("{}:/deep/new/ro:ro", ro.path()),
        "-v",
        &format!("{}/f:/etc/single", file.path()),
        "--tmpfs",
        "/mnt/scratch:size=1m",
        // mount(8)'s atime and symlink words are the mount's flags.
        "--tmpfs",
        "/mnt/flags:noatime,nosymfollow",
        "sh",
        "-c",
        "echo written > /data/new && cat /deep/new/ro/file /etc/single && \
         if echo x > /deep/new/ro/y; then echo ro-writable; fi; \
         echo s > /mnt/scratch/s && grep ' /mnt/scratch ' /proc/self/mountinfo | cut -d' ' -f9-; \
         grep ' /mnt/flags ' /proc/self/mountinfo | cut -d' ' -f6; \
         ln -s /etc /mnt/flags/l && ls /mnt/flags/l/ > /dev/null 2>&1 || echo not followed",
    ]);
    let out = ok(&o);
    assert_eq!(
        out,
        "from host\none file\ntmpfs rw,size=1024k\n\
         rw,nosuid,nodev,noatime,nosymfollow\nnot followed\n",
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("Read-only file system"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(rw.0.join("new")).unwrap(),
        "written\n"
    );
    assert!(!ro.0.join("y").exists());
    // Missing mount points were created in the (writable) rootfs, as a
    // directory or a file like their source.
    assert!(r.0.join("deep/new/ro").is_dir());
    assert!(r.0.join("etc/single").is_file());
    assert!(r.0.join("mnt/scratch").is_dir());

    // Without --rootfs too: onto an existing host path, in the private mount namespace.
    let target = TempDir::new("vol-target");
    let o = run(&[
        "run",
        "-v",
        &format!("{}:{}:ro", ro.path(), target.path()),
        "sh",
        "-c",
        &format!("cat {t}/file; touch {t}/z", t = target.path()),
    ]);
    assert_eq!(stdout(&o), "from host\n");
    assert!(
        stderr(&o).contains("Read-only file system"),
        "{}",
        stderr(&o)
    );
    assert!(
        !target.0.join("file").exists(),
        "the bind leaked to the host"
    );
}

#[test]
fn read_only_root_refuses_writes() {
    let Some(r) = rootfs("read_only") else { return };
    let o = r.run(&["--read-only", "touch", "/newfile"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("Read-only file system"),
        "{}",
        stderr(&o)
    );
    assert!(!r.0.join("newfile").exists());
    // A tmpfs on it stays writable.
    let o = r.run(&["--read-only", "--tmpfs", "/tmp", "touch", "/tmp/x"]);
    ok(&o);
    // A missing mount point cannot be created in a read-only root.
    let o = r.run(&["--read-only", "--tmpfs", "/nonexistent/dir", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: mount point /nonexistent/dir is missing, and the root is read-only (--read-only)\n"
    );
    assert!(!r.0.join("nonexistent").exists());
    // Without --rootfs, the host's root mount is read-only inside (only
    // there). Checked where the temp dir is on that mount.
    let dir = TempDir::new("ro-host");
    use std::os::unix::fs::MetadataExt;
    if std::fs::metadata(&dir.0).unwrap().dev() != std::fs::metadata("/").unwrap().dev() {
        skip(
            "read_only_root_refuses_writes",
            "the temp dir is not on the root mount (the rest of the test ran)",
        );
        return;
    }
    let o = run(&["run", "--read-only", "touch", &format!("{}/x", dir.path())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("Read-only file system"),
        "{}",
        stderr(&o)
    );
    std::fs::write(dir.0.join("y"), "host still writable").unwrap();
}

#[test]
fn env_user_and_workdir() {
    let Some(r) = rootfs("env_user_workdir") else {
        return;
    };
    let envfile = TempDir::new("envfile");
    let f = envfile.0.join("env");
    std::fs::write(&f, "# a comment\n\nFROM_FILE=file value\nB=from file\n").unwrap();
    let o = hull()
        .args([
            "run",
            "--rootfs",
            r.path(),
            "--hostname",
            "h1",
            "-e",
            "A=1",
            "--env-file",
        ])
        .arg(&f)
        .args(["-e", "B=later", "-e", "HULL_FROM_HOST", "env"])
        .env("HULL_FROM_HOST", "hv")
        .env("HULL_NOT_PASSED", "x")
        .env("TERM", "vt220")
        .output_bounded();
    let out = ok(&o);
    let mut vars: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with("PWD=") && !l.starts_with("SHLVL="))
        .collect();
    vars.sort();
    assert_eq!(
        vars,
        [
            "A=1",
            "B=later",
            "FROM_FILE=file value",
            "HOME=/root",
            "HOSTNAME=h1",
            "HULL_FROM_HOST=hv",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "TERM=vt220"
        ]
    );
    let o = r.run(&[
        "-u",
        "1000:1001",
        "-w",
        "/tmp",
        "sh",
        "-c",
        "id -u; id -g; id -G; pwd; echo $HOME; grep -E 'Cap(Eff|Prm|Bnd)' /proc/self/status",
    ]);
    let out = ok(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..5], ["1000", "1001", "1001", "/tmp", "/"]);
    // A non-root user has no effective capability; the bounding set stays.
    assert_eq!(status_field(&out, "CapEff"), "0000000000000000");
    assert_eq!(status_field(&out, "CapPrm"), "0000000000000000");
    assert_eq!(status_field(&out, "CapBnd"), DEFAULT_CAPS);
    let o = r.run(&["-u", "1000", "id"]);
    assert_eq!(ok(&o), "uid=1000 gid=0\n");
    let o = r.run(&["-w", "/nonexistent", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: chdir /nonexistent: No such file or directory\n"
    );
}

#[test]
fn capabilities_are_podmans_default_set() {
    let Some(r) = rootfs("capabilities") else {
        return;
    };
    let caps = |extra: &[&str]| {
        let mut a = extra.to_vec();
        a.extend_from_slice(&["cat", "/proc/self/status"]);
        ok(&r.run(&a))
    };
    let st = caps(&[]);
    for f in ["CapBnd", "CapEff", "CapPrm", "CapInh"] {
        assert_eq!(status_field(&st, f), DEFAULT_CAPS, "{f}");
    }
    assert_eq!(status_field(&st, "CapAmb"), "0000000000000000");
    assert_eq!(status_field(&st, "NoNewPrivs"), "0");
    // SYS_ADMIN is bit 21, NET_RAW bit 13.
    let st = caps(&["--cap-add", "sys_admin", "--cap-drop", "CAP_NET_RAW"]);
    let want = format!("{:016x}", (0x800405fbu64 | 1 << 21) & !(1 << 13));
    assert_eq!(status_field(&st, "CapBnd"), want);
    // docker's three extra ones, given back on purpose: NET_RAW (13),
    // MKNOD (27) and AUDIT_WRITE (29).
    let st = caps(&[
        "--cap-add",
        "NET_RAW",
        "--cap-add",
        "MKNOD",
        "--cap-add",
        "AUDIT_WRITE",
    ]);
    let want = format!("{:016x}", 0x800405fbu64 | 1 << 13 | 1 << 27 | 1 << 29);
    assert_eq!(want, "00000000a80425fb", "docker's default set");
    assert_eq!(status_field(&st, "CapBnd"), want);
    assert_eq!(status_field(&st, "CapEff"), want);
    let st = caps(&["--cap-drop", "ALL", "--no-new-privs"]);
    assert_eq!(status_field(&st, "CapBnd"), "0000000000000000");
    assert_eq!(status_field(&st, "CapEff"), "0000000000000000");
    assert_eq!(status_field(&st, "NoNewPrivs"), "1");
    // --privileged keeps what hull itself has.
    let host = std::fs::read_to_string("/proc/self/status").unwrap();
    let st = caps(&["--privileged"]);
    assert_eq!(status_field(&st, "CapEff"), status_field(&host, "CapEff"));
    // --cap-add ALL keeps every capability hull has, even where hull itself
    // lacks some (a sandbox without CAP_SYS_RESOURCE): it must not fail.
    let st = caps(&["--cap-add", "ALL"]);
    for f in ["CapBnd", "CapEff", "CapPrm"] {
        assert_eq!(status_field(&st, f), status_field(&host, "CapBnd"), "{f}");
    }
    // Without --rootfs as well.
    let o = run(&["run", "cat", "/proc/self/status"]);
    assert_eq!(status_field(&ok(&o), "CapBnd"), DEFAULT_CAPS);
    let o = run(&["run", "--cap-add", "NOSUCH", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).starts_with("hull: unknown capability 'NOSUCH'\n"));
}

/// A block device of the host that this process can open, as (major,
/// minor): the first in /sys/block (a sandbox may refuse the disks, and
/// leave loop devices).
fn openable_block_device() -> Option<(u32, u32)> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/block")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    let name = names
        .iter()
        .find(|n| std::fs::File::open(format!("/dev/{n}")).is_ok())?;
    let dev = std::fs::read_to_string(format!("/sys/block/{name}/dev")).ok()?;
    let (maj, min) = dev.trim().split_once(':')?;
    Some((maj.parse().ok()?, min.parse().ok()?))
}

#[test]
fn escapes_fail() {
    let Some(r) = rootfs("escapes") else { return };
    // No new mounts: no CAP_SYS_ADMIN (given back, the same mount works).
    let o = r.run(&["mount", "-t", "proc", "proc", "/mnt"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "mount: permission denied (are you root?)\n");
    let o = r.run(&[
        "--cap-add",
        "SYS_ADMIN",
        "sh",
        "-c",
        "mount -t proc proc /mnt && test -e /mnt/self/status && echo mounted",
    ]);
    assert_eq!(ok(&o), "mounted\n", "the control");
    let t = "escapes_fail";
    let Some((maj, min)) = openable_block_device() else {
        skip(
            t,
            "no block device in /sys/block that this process can open",
        );
        return;
    };
    let (maj, min) = (maj.to_string(), min.to_string());
    // A node of a host's block device: podman's default set has no
    // CAP_MKNOD, so mknod itself is refused, and nothing is made.
    let o = r.run(&["mknod", "/tmp/disk", "b", &maj, &min]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "mknod: /tmp/disk: Operation not permitted\n");
    assert!(!r.0.join("tmp/disk").exists());
    // With CAP_MKNOD (docker's default set) the node is made, but the device
    // list refuses to open it.
    let open = "head -c 1 /tmp/disk >/dev/null && echo opened";
    let o = r.run(&[
        "--cap-add",
        "MKNOD",
        "sh",
        "-c",
        &format!("mknod /tmp/disk b {maj} {min} && echo made; {open}"),
    ]);
    assert_eq!(stdout(&o), "made\n", "{}", stderr(&o));
    assert_eq!(stderr(&o), "head: /tmp/disk: Operation not permitted\n");
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let node = std::fs::metadata(r.0.join("tmp/disk")).expect("the node was made");
    assert!(node.file_type().is_block_device());
    assert_eq!(
        node.rdev(),
        rustix::fs::makedev(maj.parse().unwrap(), min.parse().unwrap())
    );
    // The control: with no device list (--privileged) the same node opens;
    // the list is what stopped it.
    let o = r.run(&["--privileged", "sh", "-c", open]);
    assert_eq!(ok(&o), "opened\n", "the control");
    // The host's root is reachable neither through /proc/1/root nor `..`.
    let host_only = TempDir::new("escape-marker");
    let p = host_only.path();
    let o = r.run(&[
        "sh",
        "-c",
        &format!(
            "ls /proc/1/root/ /proc/1/root/.. /.. /../.. | grep -c ROOTFS_MARKER; \
             cd /..; cd ..; ls ROOTFS_MARKER; \
             for d in /proc/1/root{p} /..{p} /../..{p}; do test -e $d && echo ESCAPED $d; done; true"
        ),
    ]);
    assert_eq!(ok(&o), "4\nROOTFS_MARKER\n");
}

#[test]
fn proc_and_sys_are_masked_and_read_only() {
    let Some(r) = rootfs("masks") else { return };
    let t = "proc_and_sys_are_masked_and_read_only";
    // Each mask of the plan (src/spec.rs MASKS) the host's kernel has. The
    // host's /proc/keys lists root's keys (the host's session keyring at
    // least), so the mask is what makes it read empty inside.
    let files = [
        "keys",
        "kcore",
        "latency_stats",
        "timer_list",
        "timer_stats",
        "sched_debug",
    ];
    let dirs = ["asound", "acpi", "scsi"];
    let here = |names: &[&'static str]| -> Vec<&'static str> {
        names
            .iter()
            .copied()
            .filter(|n| std::path::Path::new(&format!("/proc/{n}")).exists())
            .collect()
    };
    let (files, dirs) = (here(&files), here(&dirs));
    if !files.contains(&"keys") {
        skip(t, "this kernel has no /proc/keys");
        return;
    }
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("/proc/{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let o = r.run(&[
        "sh",
        "-c",
        &format!(
            "echo x > /proc/sys/kernel/hostname || echo sys-ro; \
             echo 1 > /sys/kernel/profiling || echo sysfs-ro; \
             for f in {}; do echo \"$f $(stat -c '%F %t:%T' $f) $(wc -c < $f)\"; done; \
             for d in {}; do echo \"$d $(ls -A $d | wc -l)\"; done; \
             echo mounts; cat /proc/self/mountinfo",
            list(&files),
            list(&dirs)
        ),
    ]);
    let out = ok(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("sys-ro"), "{out}");
    assert_eq!(lines.next(), Some("sysfs-ro"), "{out}");
    // A file mask: /dev/null bound on it (character device 1:3), empty.
    for f in &files {
        let want = format!("/proc/{f} character special file 1:3 0");
        assert_eq!(lines.next(), Some(want.as_str()), "{out}");
    }
    // A directory mask: an empty tmpfs.
    for d in &dirs {
        let want = format!("/proc/{d} 0");
        assert_eq!(lines.next(), Some(want.as_str()), "{out}");
    }
    assert_eq!(lines.next(), Some("mounts"), "{out}");
    // Each one is a mount point of its own in the container's table: a
    // bind of the null device, or a read-only tmpfs.
    let mounts: Vec<Vec<&str>> = lines.map(|l| l.split(' ').collect()).collect();
    let mount_at = |point: &str| {
        mounts
            .iter()
            .rev()
            .find(|m| m[4] == point)
            .unwrap_or_else(|| panic!("{point} is not a mount point: {out}"))
    };
    for f in &files {
        assert_eq!(mount_at(&format!("/proc/{f}"))[3], "/null", "{out}");
    }
    for d in &dirs {
        let m = mount_at(&format!("/proc/{d}"));
        let fstype = m[m.iter().position(|x| *x == "-").unwrap() + 1];
        assert_eq!(fstype, "tmpfs", "{out}");
        assert!(m[5].split(',').any(|o| o == "ro"), "{out}");
    }
    for ro in ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"] {
        if std::path::Path::new(ro).exists() {
            assert!(mount_at(ro)[5].split(',').any(|o| o == "ro"), "{ro}: {out}");
        }
    }
    // The directory masks are one filesystem (a copy of the first for each
    // other: one superblock, the same device number), not one each.
    let mut masked: Vec<String> = dirs.iter().map(|d| format!("/proc/{d}")).collect();
    for d in ["/sys/firmware", "/sys/devices/virtual/powercap"] {
        if std::path::Path::new(d).is_dir() {
            masked.push(d.to_string());
        }
    }
    if masked.len() < 2 {
        skip(
            t,
            "fewer than two directory masks on this kernel: no sharing to see",
        );
        return;
    }
    let devs: Vec<&str> = masked.iter().map(|d| mount_at(d)[2]).collect();
    assert!(
        devs.iter().all(|d| *d == devs[0]),
        "{masked:?} {devs:?}: {out}"
    );
}

/// A `--device` that hull makes anyway (/dev/null) is that node, and one
/// at a link's name (/dev/ptmx) is the link to the container's devpts:
/// neither fails the start (the node was made twice: EEXIST).
#[test]
fn a_device_hull_makes_anyway_is_that_node() {
    let Some(r) = rootfs("a_device_hull_makes_anyway_is_that_node") else {
        return;
    };
    let o = r.run(&[
        "--device",
        "/dev/null",
        "--device",
        "/dev/ptmx",
        "sh",
        "-c",
        "stat -c '%F %t:%T' /dev/null; readlink /dev/ptmx",
    ]);
    assert_eq!(ok(&o), "character special file 1:3\npts/ptmx\n");
}

/// A volume at /dev/shm (podman binds its own tmpfs there, sized by
/// --shm-size) is the only mount there: hull makes no tmpfs for it to
/// hide, and makes its mount point in its /dev, in a read-only root too.
#[test]
fn a_volume_at_dev_shm_is_the_only_mount_there() {
    let Some(r) = rootfs("a_volume_at_dev_shm_is_the_only_mount_there") else {
        return;
    };
    let vol = TempDir::new("shm-vol");
    std::fs::write(vol.0.join("mark"), "vol\n").unwrap();
    let o = r.run(&[
        "--read-only",
        "-v",
        &format!("{}:/dev/shm", vol.path()),
        "sh",
        "-c",
        "grep -c ' /dev/shm ' /proc/self/mountinfo; cat /dev/shm/mark",
    ]);
    assert_eq!(ok(&o), "1\nvol\n");
}

#[test]
fn nothing_is_left_mounted() {
    let Some(r) = rootfs("nothing_left") else {
        return;
    };
    let vol = TempDir::new("left-vol");
    // No other test of this binary mounts on the host meanwhile.
    let _lock = host_mounts_lock();
    let before = host_mountinfo();
    let mut child = hull()
        .args(["run", "--rootfs", r.path(), "--net", "-v"])
        .arg(format!("{}:/data:ro", vol.path()))
        .args(["--tmpfs", "/tmp", "sh", "-c", "read x"])
        .stdin(std::process::Stdio::piped())
        .spawn_bounded();
    let c = wait_for_child(child.id());
    wait_for_exec(c, "sh");
    let during = host_mountinfo();
    use std::io::Write;
    child.stdin().write_all(b"go\n").unwrap();
    assert!(child.wait().success(), "{}", child.stderr_now());
    assert_eq!(
        before, during,
        "the host's mount table changed while the container ran"
    );
    assert_eq!(before, host_mountinfo(), "the host's mount table changed");
    assert!(!before.contains(r.path()));
    for d in ["proc", "dev", "sys", "tmp", "data"] {
        let n = std::fs::read_dir(r.0.join(d))
            .map(|e| e.count())
            .unwrap_or(0);
        assert_eq!(n, 0, "{d} in the rootfs is not empty on the host");
    }
}

#[test]
fn net_gets_a_fresh_read_only_sysfs() {
    let Some(r) = rootfs("net_sysfs") else { return };
    let o = r.run(&[
        "--net",
        "sh",
        "-c",
        "ls /sys/class/net; awk '$5 == \"/sys\" {print $6, $8}' /proc/self/mountinfo",
    ]);
    assert_eq!(ok(&o), "lo\nro,nosuid,nodev,noexec,relatime sysfs\n");
}

#[test]
fn errors_are_one_line_and_125() {
    if !need_root("errors_are_one_line_and_125") {
        return;
    }
    let o = run(&["run", "--rootfs", "/nonexistent-hull-rootfs", "sh"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: rootfs /nonexistent-hull-rootfs: No such file or directory\n"
    );
    let o = run(&["run", "--rootfs", "/etc/passwd", "sh"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(stderr(&o), "hull: rootfs /etc/passwd: Not a directory\n");
    let o = run(&["run", "-v", "/nonexistent-hull-src:/data", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: volume source /nonexistent-hull-src: No such file or directory\n"
    );
    for bad in [
        "/tmp",
        "/tmp:data",
        "/tmp:/data:rx",
        ":/data",
        "/tmp:/a/../b",
        "/tmp:/data:ro:x",
    ] {
        let o = run(&["run", "-v", bad, "true"]);
        assert_eq!(o.status.code(), Some(125), "{bad}");
        assert_eq!(
            stderr(&o),
            format!(
                "hull: --volume '{bad}': expected SRC:DST[:ro|rw][,PROPAGATION] with an absolute DST\n"
            )
        );
    }
    let o = run(&["run", "-u", "bob", "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).starts_with("hull: --user 'bob': expected UID[:GID], numeric\n"));
}

/// `-v SRC:DST:rslave` (docker's words): what the host mounts below SRC
/// after the start appears inside; a volume of the same SRC without it
/// (private, the default) does not see it.
#[test]
fn an_rslave_volume_sees_the_hosts_later_mounts() {
    let Some(r) = rootfs("an_rslave_volume_sees_the_hosts_later_mounts") else {
        return;
    };
    let src = TempDir::new("rslave-src");
    let d = src.path().to_string();
    let _shared = SharedTmpfs::new(&d);
    let child = hull()
        .args(["run", "--rootfs", r.path()])
        .args(["-v", &format!("{d}:/s:ro,rslave"), "-v", &format!("{d}:/p")])
        .args([
            "sh",
            "-c",
            "while [ ! -e /s/go ]; do sleep 0.1; done; \
                cat /s/sub/m; cat /p/sub/m 2>/dev/null || echo none",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the container is up (it has made its mount points).
    let t = std::time::Instant::now();
    while !std::path::Path::new(&format!("{}/s", r.path())).exists() {
        assert!(t.elapsed().as_secs() < 20, "the container did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    sh_ok(&format!(
        "mount -t tmpfs tmpfs {d}/sub && echo hi > {d}/sub/m && touch {d}/go"
    ));
    let o = child.wait_with_output().unwrap();
    assert_eq!(ok(&o), "hi\nnone\n");
}

/// `-v SRC:DST:rshared` (docker's word; it was refused): a mount the
/// container makes below DST appears on the host below SRC, and stays
/// there once the container is gone; a source on a mount that is not
/// shared is refused before anything starts, naming it.
#[test]
fn an_rshared_volume_passes_the_containers_mounts_out() {
    let Some(r) = rootfs("an_rshared_volume_passes_the_containers_mounts_out") else {
        return;
    };
    let src = TempDir::new("rshared-src");
    let d = src.path().to_string();
    let shared = SharedTmpfs::new(&d);
    let o = r.run(&[
        "--cap-add",
        "SYS_ADMIN",
        "-v",
        &format!("{d}:/s:rshared"),
        "sh",
        "-c",
        "mount -t tmpfs tmpfs /s/sub && echo inside > /s/sub/f",
    ]);
    ok(&o);
    assert_eq!(
        std::fs::read_to_string(format!("{d}/sub/f")).unwrap(),
        "inside\n"
    );
    sh_ok(&format!(
        "umount {d}/sub && mount --make-rprivate {}",
        shared.0
    ));
    let o = r.run(&["-v", &format!("{d}:/s:rshared"), "true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        format!(
            "hull: volume source {d}: shared propagation needs a shared mount there (mount --make-shared)\n"
        )
    );
}
