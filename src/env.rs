//! The container's environment, docker style: cleared, then a sane PATH,
//! HOSTNAME, HOME and TERM, then the user's `-e` and `--env-file` in order.

use crate::error::Error;
use crate::resolve::DEFAULT_PATH;
use crate::spec::{Env, Spec};
use alloc::vec::Vec;
use core::ffi::CStr;

/// The environment the command gets, as `KEY=VALUE` entries.
pub fn build(spec: &Spec, host: &[&CStr]) -> Result<Vec<Vec<u8>>, Error> {
    let mut env: Vec<Vec<u8>> = Vec::new();
    if spec.env_host {
        for e in host {
            env.push(e.to_bytes().to_vec());
        }
    } else {
        let home: &[u8] = match spec.user {
            Some((uid, _)) if uid != 0 => b"/",
            _ => b"/root",
        };
        let term = host_value(host, b"TERM").unwrap_or(b"xterm");
        for (k, v) in [
            (&b"PATH="[..], DEFAULT_PATH),
            (b"HOSTNAME=", &spec.hostname),
            (b"HOME=", home),
            (b"TERM=", term),
        ] {
            let mut e = k.to_vec();
            e.extend_from_slice(v);
            env.push(e);
        }
    }
    // Socket activation passes on, as podman does: the sockets stay open
    // across the execve (see `run::close_inherited`), and the variables
    // say so to the command, whose pid in its namespace is 1 (2 under
    // hull's init).
    let n = listen_fds(host);
    if n > 0 {
        let mut tmp = [0; 20];
        env.push([b"LISTEN_FDS=", crate::util::out::dec(n as u64, &mut tmp)].concat());
        env.push(if spec.init {
            b"LISTEN_PID=2".to_vec()
        } else {
            b"LISTEN_PID=1".to_vec()
        });
        if let Some(names) = host_value(host, b"LISTEN_FDNAMES") {
            env.push([b"LISTEN_FDNAMES=", names].concat());
        }
    }
    for item in &spec.env {
        match item {
            Env::Var(v) => var(&mut env, host, v),
            Env::File(path) => {
                // A regular file of at most ENV_FILE_MAX bytes: /dev/zero
                // would never end, a FIFO might never open.
                let text = crate::util::file::read_regular(path, ENV_FILE_MAX).map_err(|e| {
                    let mut m = crate::util::out::Buf::new();
                    e.say(m.s("--env-file ").b(path).s(": "));
                    Error::new(crate::error::EXIT_RUNTIME, &m)
                })?;
                let mut rest = &text[..];
                while !rest.is_empty() {
                    let line = crate::util::text::tok(&mut rest, b'\n').trim_ascii();
                    if !line.is_empty() && line[0] != b'#' {
                        var(&mut env, host, line);
                    }
                }
            }
        }
    }
    Ok(last_wins(env))
}

/// The largest `--env-file` read, as docker's limit on a whole environment.
pub const ENV_FILE_MAX: u64 = 1 << 20;

/// Keeps, for each key, its last entry only, in the order of those last
/// entries (as if each later one replaced the earlier and moved to the
/// end). A hash table of the last index of each key makes it linear:
/// 100,000 variables take milliseconds, where removing duplicates one by
/// one took seconds.
fn last_wins(env: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let key = |e: &[u8]| -> usize { e.iter().position(|&c| c == b'=').unwrap_or(e.len()) };
    // Open addressing, at most half full; u32::MAX is an empty slot.
    let size = (env.len() * 2).next_power_of_two().max(2);
    let mut slots = alloc::vec![u32::MAX; size];
    let slot_of = |slots: &[u32], e: &[u8]| -> usize {
        let k = &e[..key(e)];
        // FNV-1a.
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for &c in k {
            h = (h ^ c as u64).wrapping_mul(0x100_0000_01b3);
        }
        let mut i = h as usize & (size - 1);
        while let Some(&j) = slots.get(i).filter(|&&j| j != u32::MAX) {
            let other = &env[j as usize];
            if other[..key(other)] == *k {
                break;
            }
            i = (i + 1) & (size - 1);
        }
        i
    };
    for (n, e) in env.iter().enumerate() {
        let i = slot_of(&slots, e);
        slots[i] = n as u32;
    }
    let keep: Vec<bool> = env
        .iter()
        .enumerate()
        .map(|(n, e)| slots[slot_of(&slots, e)] == n as u32)
        .collect();
    env.into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect()
}

/// How many sockets systemd's socket activation passed hull (fds 3 to
/// 3+N-1): `LISTEN_FDS=N`, when `LISTEN_PID` is hull's own pid (else they
/// were meant for another process); 0 when none.
pub fn listen_fds(host: &[&CStr]) -> u32 {
    let pid = rustix::process::getpid().as_raw_nonzero().get() as u64;
    let n = host_value(host, b"LISTEN_FDS").and_then(crate::util::out::parse_u64);
    match host_value(host, b"LISTEN_PID").and_then(crate::util::out::parse_u64) {
        Some(p) if p == pid => n.unwrap_or(0).min(65536) as u32,
        _ => 0,
    }
}

/// The value of `key` in a `KEY=VALUE` list.
pub fn lookup<'a>(env: impl IntoIterator<Item = &'a [u8]>, key: &[u8]) -> Option<&'a [u8]> {
    env.into_iter()
        .find_map(|e| e.strip_prefix(key).and_then(|r| r.strip_prefix(b"=")))
}

fn host_value<'a>(host: &[&'a CStr], key: &[u8]) -> Option<&'a [u8]> {
    lookup(host.iter().map(|e| e.to_bytes()), key)
}

/// `KEY=VALUE` sets KEY, replacing an earlier value; a bare `KEY` takes
/// the host's value, or nothing when the host has none (as docker does).
fn var(env: &mut Vec<Vec<u8>>, host: &[&CStr], v: &[u8]) {
    let kv = match v.iter().position(|&c| c == b'=') {
        Some(_) => v.to_vec(),
        None => match host_value(host, v) {
            Some(val) => [v, b"=", val].concat(),
            None => return,
        },
    };
    // Duplicates are resolved once, at the end (see `last_wins`).
    env.push(kv);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[Vec<u8>]) -> Vec<String> {
        v.iter()
            .map(|e| String::from_utf8(e.clone()).unwrap())
            .collect()
    }

    #[test]
    fn cleared_with_defaults_then_overrides_in_order() {
        let mut spec = Spec {
            env: vec![
                Env::Var(b"A=1".to_vec()),
                Env::Var(b"HOSTVAR".to_vec()),
                Env::Var(b"MISSING".to_vec()),
                Env::Var(b"A=2".to_vec()),
                Env::Var(b"PATH=/x".to_vec()),
            ],
            ..Spec::default()
        };
        let host = [c"HOSTVAR=h v", c"TERM=vt100", c"SECRET=1"];
        let got = s(&build(&spec, &host).unwrap());
        assert_eq!(
            got,
            [
                "HOSTNAME=container",
                "HOME=/root",
                "TERM=vt100",
                "HOSTVAR=h v",
                "A=2",
                "PATH=/x"
            ]
        );
        spec.user = Some((1000, 0));
        spec.env.clear();
        let got = s(&build(&spec, &[]).unwrap());
        assert!(got.contains(&"HOME=/".to_string()), "{got:?}");
        assert!(got.contains(&"TERM=xterm".to_string()), "{got:?}");
        assert!(got[0].starts_with("PATH=/usr/local/sbin:"));
    }

    #[test]
    fn env_host_keeps_the_host_and_env_files_parse() {
        let f = std::env::temp_dir().join(format!("hull-envfile-{}", std::process::id()));
        std::fs::write(&f, "# comment\n\n  B=two words\nHOSTVAR\nC=x=y\n").unwrap();
        let mut spec = Spec {
            env_host: true,
            env: vec![
                Env::File(f.to_str().unwrap().as_bytes().to_vec()),
                Env::Var(b"C=z".to_vec()),
            ],
            ..Spec::default()
        };
        let got = s(&build(&spec, &[c"HOSTVAR=1", c"B=1"]).unwrap());
        std::fs::remove_file(&f).unwrap();
        assert_eq!(got, ["B=two words", "HOSTVAR=1", "C=z"]);
        spec.env = vec![Env::File(b"/nonexistent-hull-env".to_vec())];
        let e = build(&spec, &[]).unwrap_err();
        assert_eq!(e.code, 125);
        assert_eq!(
            e.msg,
            b"--env-file /nonexistent-hull-env: No such file or directory"
        );
    }
}
