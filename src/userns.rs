//! Rootless containers: the user namespace and its id maps.
//!
//! The user namespace comes from the same clone3 as every other namespace
//! (the kernel makes it first, so the others are owned by it). Its id maps
//! can only be written from outside once the child exists, so the child
//! waits at `Op::AwaitParent` while the parent writes `/proc/PID/setgroups`,
//! `gid_map` and `uid_map`. Their text is built here, before the clone; only
//! the `/proc/PID` path waits for the pid.
//!
//! The kernel's rules (user_namespaces(7)): an unprivileged user may map
//! exactly one id, its own, and must write `deny` to `setgroups` before the
//! gid map; root may map any ranges of ids. hull applies the same rules
//! before cloning, so a map that could not be written is refused with one
//! line and nothing is started.

use crate::error::{EXIT_RUNTIME, Error};
use crate::spec::{IdMap, Spec};
use crate::sys::Errno;
use crate::util::out::Buf;
use alloc::vec::Vec;

pub use crate::spec::INVOKER;

/// Appends `inside<sep>outside<sep>count`.
fn range(b: &mut Buf, m: &IdMap, sep: u8) {
    b.u(m.inside as u64);
    b.0.push(sep);
    b.u(m.outside as u64);
    b.0.push(sep);
    b.u(m.count as u64);
}

/// The files under `/proc/PID` the parent writes, in the order it must.
pub const FILES: [&str; 3] = ["setgroups", "gid_map", "uid_map"];

/// What the parent writes for the child's user namespace: the whole
/// content of each of [`FILES`] (the kernel takes a map only in a single
/// write); an empty one is left alone.
pub type Maps = [Vec<u8>; 3];

/// The invoker as root: the map of a side no option gave.
static ME: [IdMap; 1] = [IdMap {
    inside: 0,
    outside: INVOKER,
    count: 1,
}];

/// The lines of map `i` (0: gids, 1: uids): as given; else the other
/// map's (one given serves both, as podman does with `--uidmap`); else the
/// invoker as root.
fn lines(spec: &Spec, i: usize) -> &[IdMap] {
    let (mine, other) = (&spec.id_maps[i], &spec.id_maps[1 - i]);
    if !mine.is_empty() {
        mine
    } else if !other.is_empty() {
        other
    } else {
        &ME
    }
}

/// Whether group `gid` of the container has an id outside: in its user
/// namespace's gid map when it has one (the default map makes the
/// invoker 0), else always.
pub fn maps_gid(spec: &Spec, userns: bool, gid: u32) -> bool {
    !userns
        || lines(spec, 0)
            .iter()
            .any(|m| (m.inside..=m.inside.saturating_add(m.count - 1)).contains(&gid))
}

/// The ids (uid, gid) the child must switch to right after the maps are
/// written, if any: with explicit ranges (root only), root's own ids may
/// not be mapped; it then becomes the `--map-user`/`--map-group` ids, or 0.
pub fn switch(spec: &Spec) -> Option<(u32, u32)> {
    let mut ids = [0, 0];
    let mut ranges = false;
    for (i, id) in ids.iter_mut().enumerate() {
        for m in lines(spec, i) {
            if m.outside == INVOKER {
                *id = m.inside;
            } else {
                ranges = true;
            }
        }
    }
    ranges.then_some((ids[1], ids[0]))
}

/// Decides the user namespace for an invoker with effective ids `euid` and
/// `egid`, and builds the map texts. Pure. None: no user namespace.
///
/// - Not root: a user namespace is needed for any other namespace, so it is
///   always on. Container root (or `--map-user`/`--map-group`) is the
///   invoker; `setgroups` is denied first, as the kernel demands. Explicit
///   ranges are refused: the kernel lets an unprivileged user map only its
///   own id, which `--map-user`/`--map-group` do.
/// - Root with `--userns` and no maps: the same single mapping, 0 -> 0. The
///   container's root is then root's own uid, but with capabilities only
///   over the container's namespaces (no module loading, no raw devices,
///   no host mounts). Give `--uid-map 0:100000:65536` for ids that own
///   nothing on the host.
pub fn maps(spec: &Spec, euid: u32, egid: u32) -> Result<Option<Maps>, Error> {
    let root = euid == 0;
    if root && !spec.userns {
        return Ok(None);
    }
    let mut text = [Vec::new(), Vec::new(), Vec::new()];
    if !root {
        // Without this the kernel refuses an unprivileged gid_map: dropping
        // groups with setgroups(2) could open files that a group of the
        // invoker is denied.
        text[0] = b"deny\n".to_vec();
    }
    for (i, own) in [egid, euid].into_iter().enumerate() {
        let mut t = Buf::new();
        for m in lines(spec, i) {
            let mut m = *m;
            if m.outside == INVOKER {
                m.outside = own;
            } else if !root {
                return Err(Error::new(
                    EXIT_RUNTIME,
                    Buf::new().s("--uid-map/--gid-map need root (hull does not use newuidmap/newgidmap); use --map-user/--map-group"),
                ));
            }
            range(&mut t, &m, b' ');
            t.0.push(b'\n');
        }
        text[i + 1] = t.0;
    }
    Ok(Some(text))
}

/// Writes the maps for child `pid`, which is waiting at `Op::AwaitParent`.
/// Runs in the parent, after the clone.
pub fn write(maps: &Maps, pid: i32) -> Result<(), Error> {
    for (name, text) in FILES.iter().zip(maps) {
        if !text.is_empty() {
            let mut path = Buf::new();
            path.s("/proc/").u(pid as u64).s("/").s(name);
            crate::util::file::write_file(&path.0, text)
                .map_err(|e| Error::sys("write", &path.0, e))?;
        }
    }
    Ok(())
}

/// What hull says when clone3 could not make the user namespace because
/// the kernel is set to allow none.
pub const DISABLED: &str = "user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0";

/// Whether clone3's `e` means user namespaces are off: `max` is the start
/// of /proc/sys/user/max_user_namespaces. The kernel says ENOSPC then
/// (EPERM or EUSERS may come first from other checks, so those count too).
pub fn disabled(e: Errno, max: &[u8]) -> bool {
    (e == Errno::PERM || e == Errno::NOSPC || e == Errno::USERS) && max == b"0\n"
}

/// The sysctl that turns user namespaces off.
pub const MAX_USER_NAMESPACES: &[u8] = b"/proc/sys/user/max_user_namespaces";

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(e: Error) -> String {
        String::from_utf8(e.msg).unwrap()
    }

    fn m(inside: u32, outside: u32, count: u32) -> IdMap {
        IdMap {
            inside,
            outside,
            count,
        }
    }

    fn spec() -> Spec {
        Spec {
            command: vec![b"true".to_vec()],
            ..Spec::default()
        }
    }

    /// Applies the options in order; the first error, or the spec.
    fn opts(args: &[(&str, &str)]) -> Result<Spec, Error> {
        let mut s = spec();
        for (flag, v) in args {
            // The error as cli::bad words it around the expectation.
            let (which, single) = match *flag {
                "--uid-map" => (crate::cli::UID, false),
                "--gid-map" => (crate::cli::GID, false),
                "--map-user" => (crate::cli::UID, true),
                _ => (crate::cli::GID, true),
            };
            crate::cli::id_map(&mut s, which, single, v.as_bytes()).map_err(|want| {
                let post = format!(": invalid value '{v}' (expected {want})");
                Error::usage_of("", flag.as_bytes(), &post)
            })?;
        }
        Ok(s)
    }

    #[test]
    fn parses_maps_and_ids() {
        let s = opts(&[
            ("--uid-map", "0:100000:65536"),
            ("--gid-map", "4294967293:1:2"),
            ("--map-user", "70000"),
        ])
        .unwrap();
        assert!(s.userns);
        assert_eq!(
            s.id_maps[1],
            vec![m(0, 100000, 65536), m(70000, INVOKER, 1)]
        );
        assert_eq!(s.id_maps[0], vec![m(4294967293, 1, 2)]);
        let s = opts(&[("--map-group", "0")]).unwrap();
        assert_eq!(s.id_maps, [vec![m(0, INVOKER, 1)], vec![]]);
        assert!(!spec().userns);
    }

    #[test]
    fn malformed_values_are_usage_errors() {
        for bad in [
            "",
            "0",
            "0:1",
            "0:1:",
            "0:1:0",
            "0:1:2:3",
            "a:1:1",
            "-1:0:1",
            "0:1:1 ",
            " 0:1:1",
            "1::1",
            ":1:1",
            "0:4294967295:1",
            "4294967294:0:2",
            "0:0:99999999999",
            "0:0:4294967296",
        ] {
            let e = opts(&[("--gid-map", bad)]).unwrap_err();
            assert_eq!((e.code, e.usage), (125, false), "{bad}");
            assert_eq!(
                msg(e),
                format!("--gid-map: invalid value '{bad}' (expected CONTAINER:HOST:COUNT)")
            );
        }
        for bad in ["", "x", "1:2", "4294967295", "-1", "1 "] {
            let e = opts(&[("--map-user", bad)]).unwrap_err();
            assert_eq!(e.code, 125, "{bad}");
            assert_eq!(
                msg(e),
                format!("--map-user: invalid value '{bad}' (expected a numeric id)")
            );
        }
        assert!(opts(&[("--map-user", "4294967294")]).is_ok());
    }

    #[test]
    fn overlapping_ranges_are_refused() {
        assert!(opts(&[("--uid-map", "0:1000:1"), ("--uid-map", "1:100000:65536")]).is_ok());
        // The uid and gid maps are separate.
        assert!(opts(&[("--uid-map", "0:1:5"), ("--gid-map", "0:1:5")]).is_ok());
        let e = opts(&[
            ("--uid-map", "0:100000:65536"),
            ("--uid-map", "65535:1000:1"),
        ]);
        assert_eq!(
            msg(e.unwrap_err()),
            "--uid-map: invalid value '65535:1000:1' (expected a range that overlaps no earlier one)"
        );
        let e = opts(&[("--gid-map", "0:1000:10"), ("--gid-map", "10:1009:1")]);
        assert_eq!(
            msg(e.unwrap_err()),
            "--gid-map: invalid value '10:1009:1' (expected a range that overlaps no earlier one)"
        );
        // Adjacent ranges are fine; a later one is checked against all.
        let e = opts(&[
            ("--uid-map", "0:0:10"),
            ("--uid-map", "10:10:10"),
            ("--uid-map", "100:5:1"),
        ]);
        assert_eq!(
            msg(e.unwrap_err()),
            "--uid-map: invalid value '100:5:1' (expected a range that overlaps no earlier one)"
        );
        // --map-user is a line of the uid map: it overlaps like one.
        let e = opts(&[("--uid-map", "0:100000:10"), ("--map-user", "5")]);
        assert_eq!(
            msg(e.unwrap_err()),
            "--map-user: invalid value '5' (expected a range that overlaps no earlier one)"
        );
        // Near the top of the id space, without overflow.
        let e = opts(&[
            ("--uid-map", "4294967290:0:5"),
            ("--uid-map", "4294967293:9:1"),
        ]);
        assert!(e.is_err());
        assert!(
            opts(&[
                ("--uid-map", "4294967290:0:4"),
                ("--uid-map", "4294967294:9:1")
            ])
            .is_ok()
        );
    }

    /// The three texts, and the ids the child switches to (if it does).
    fn run(s: &Spec, euid: u32, egid: u32) -> ([String; 3], Option<(u32, u32)>) {
        let maps = maps(s, euid, egid).unwrap().unwrap();
        (maps.map(|t| String::from_utf8(t).unwrap()), switch(s))
    }

    fn t(a: &str, b: &str, c: &str) -> [String; 3] {
        [a.into(), b.into(), c.into()]
    }

    #[test]
    fn root_without_userns_has_none() {
        assert_eq!(maps(&spec(), 0, 0).unwrap(), None);
    }

    #[test]
    fn non_root_gets_one_mapping_itself_to_root() {
        let got = run(&spec(), 1000, 100);
        assert_eq!(got, (t("deny\n", "0 100 1\n", "0 1000 1\n"), None));
    }

    #[test]
    fn map_user_and_group_choose_the_invokers_id_inside() {
        let s = opts(&[("--map-user", "1000")]).unwrap();
        // The uid line serves for gids too.
        let got = run(&s, 65534, 65533);
        assert_eq!(got, (t("deny\n", "1000 65533 1\n", "1000 65534 1\n"), None));
        let s = opts(&[("--map-user", "1000"), ("--map-group", "50")]).unwrap();
        assert_eq!(run(&s, 0, 0), (t("", "50 0 1\n", "1000 0 1\n"), None));
    }

    #[test]
    fn root_with_userns_maps_itself_or_the_given_ranges() {
        let mut s = spec();
        s.userns = true;
        assert_eq!(run(&s, 0, 0), (t("", "0 0 1\n", "0 0 1\n"), None));
        // A uid map alone serves for gids too; root, unmapped inside, must
        // become the container's root.
        let s = opts(&[("--uid-map", "0:100000:65536")]).unwrap();
        assert_eq!(
            run(&s, 0, 0),
            (t("", "0 100000 65536\n", "0 100000 65536\n"), Some((0, 0)))
        );
        let s = opts(&[
            ("--uid-map", "1:100000:65536"),
            ("--map-user", "0"),
            ("--gid-map", "0:200000:1000"),
            ("--gid-map", "1000:5:1"),
            ("--map-group", "2000"),
        ])
        .unwrap();
        assert_eq!(
            run(&s, 0, 0),
            (
                t(
                    "",
                    "0 200000 1000\n1000 5 1\n2000 0 1\n",
                    "1 100000 65536\n0 0 1\n"
                ),
                Some((0, 2000))
            )
        );
    }

    #[test]
    fn non_root_may_not_map_ranges() {
        for args in [
            &[("--uid-map", "0:100000:65536")][..],
            &[("--gid-map", "0:1000:1")],
            &[("--map-user", "0"), ("--gid-map", "0:5:1")],
        ] {
            let e = maps(&opts(args).unwrap(), 1000, 1000).unwrap_err();
            assert_eq!((e.code, e.usage), (125, false));
            assert_eq!(
                msg(e),
                "--uid-map/--gid-map need root (hull does not use newuidmap/newgidmap); use --map-user/--map-group"
            );
        }
        let s = opts(&[("--map-user", "7"), ("--map-group", "8")]).unwrap();
        assert_eq!(
            run(&s, 1000, 1001),
            (t("deny\n", "8 1001 1\n", "7 1000 1\n"), None)
        );
    }

    #[test]
    fn refusal_names_the_sysctl() {
        for e in [Errno::PERM, Errno::NOSPC, Errno::USERS] {
            assert!(disabled(e, b"0\n"));
        }
        // A limit merely reached is not "disabled"; other errors are not this.
        assert!(!disabled(Errno::NOSPC, b"10\n"));
        assert!(!disabled(Errno::NOSPC, b"0"));
        assert!(!disabled(Errno::NOSPC, b""));
        assert!(!disabled(Errno::INVAL, b"0\n"));
        assert_eq!(
            DISABLED,
            "user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0"
        );
    }
}
