//! `update`: a running container's cgroup limits, changed. runc's flags
//! (`--memory`, `--memory-swap`, `--memory-reservation`, `--pids-limit`,
//! `--cpu-quota`, `--cpu-period`, `--cpu-share`, `--cpuset-cpus`,
//! `--cpuset-mems`), or `--resources FILE` (`-`: standard input) with
//! config.json's `linux.resources` object, as podman and containerd give
//! it; a flag wins over the file.
//!
//! Each limit is written into the first of the container's groups that has
//! its file: cgroup2's name, else cgroup v1's. A group `create` did not
//! make (no limit of that controller was asked for then, on a v1 host) has
//! no such file: that is an error naming it, never a silent no-op.

use super::common::{FAILED, Opts, not};
use super::config::Resources;
use super::state::{Root, Status};
use crate::cgroup::{self, lines};
use crate::error::Error;
use crate::util::out::{Buf, parse_u64, size};
use alloc::vec::Vec;
use core::mem::ManuallyDrop;

pub fn update(o: &Opts, root: &Root, id: &[u8]) -> Result<i32, Error> {
    let c = root.container(id)?;
    c.lock()?;
    let rec = ManuallyDrop::new(c.load()?);
    let status = rec.status();
    if !matches!(status, Status::Created | Status::Running | Status::Paused) {
        return Err(not(id, status, ": nothing to update"));
    }
    let mut r = ManuallyDrop::new(match o.resources {
        Some(f) => {
            let text = match f {
                b"-" => crate::util::file::read_fd(crate::sys::stdin()),
                _ => crate::util::file::read_file(f),
            }
            .map_err(|e| Error::sys("read", f, e))?;
            Resources::parse(&text, &[b"--resources ", f].concat())?
        }
        None => Resources::default(),
    });
    from_flags(&mut r, o)?;
    apply(&rec.cgroup, &r)?;
    Ok(0)
}

/// `update`'s limit flags, in the order [`from_flags`] reads them.
const FLAGS: &str = "--memory|-m --memory-swap --memory-reservation --pids-limit --cpu-quota \
    --cpu-period --cpu-share|--cpu-shares --cpuset-cpus --cpuset-mems";

/// The limits `update`'s flags give, over `r`: the first three sizes
/// (bytes, or with k, m or g), the next four numbers, each also -1 for no
/// limit; then the cpuset lists, as given.
#[inline(never)]
pub(super) fn from_flags(r: &mut Resources, o: &Opts) -> Result<(), Error> {
    for &(k, v) in &o.limits {
        let i = super::find(FLAGS, k).unwrap_or(8);
        if i >= 7 {
            *(if i == 7 { &mut r.cpus } else { &mut r.mems }) = Some(v.to_vec());
            continue;
        }
        let n = match v {
            // (a period or a weight has no "unlimited")
            b"-1" if i < 5 => Some(-1),
            _ => if i < 3 { size(v) } else { parse_u64(v) }
                .filter(|&n| n <= i64::MAX as u64)
                .map(|n| n as i64),
        };
        let Some(n) = n else {
            let mut m = Buf::new();
            m.b(k).s(": '").b(v).s("' is not ");
            m.s(if i < 3 {
                "a size (bytes, or with k, m or g)"
            } else {
                "a number"
            });
            return Err(Error::new(FAILED, m.s(if i < 5 { " nor -1" } else { "" })));
        };
        match i {
            0 => r.memory_limit = Some(n),
            1 => r.memory_swap = Some(n),
            2 => r.memory_reservation = Some(n),
            3 => r.pids_limit = Some(n),
            4 => r.cpu_quota = Some(n),
            5 => r.cpu_period = Some(n as u64),
            _ => r.cpu_shares = Some(n as u64),
        }
    }
    Ok(())
}

/// What cgroup2's cpu.max is given for a new `quota` and/or `period`. It
/// takes "QUOTA [PERIOD]": the one not given is kept as it is, the quota
/// read back from `now` (the file's "QUOTA PERIOD") as it cannot be left
/// out.
fn cpu_max(quota: Option<i64>, period: Option<u64>, now: impl FnOnce() -> Vec<u8>) -> Buf {
    let mut b = Buf::new();
    match quota {
        Some(q) if q >= 0 => b.u(q as u64),
        Some(_) => b.s("max"),
        None => b.b(now().split(|&c| c == b' ').next().unwrap_or_default()),
    };
    if b.0.is_empty() {
        b.s("max");
    }
    if let Some(p) = period {
        b.s(" ").u(p);
    }
    b
}

/// Writes what `r` sets into the container's groups `dirs`.
fn apply(dirs: &[u8], r: &Resources) -> Result<(), Error> {
    let max = |v: i64| -> Buf {
        let mut b = Buf::new();
        if v < 0 {
            b.s("max")
        } else {
            b.u(v as u64)
        };
        b
    };
    let v1 = |v: i64| -> Buf {
        let mut b = Buf::new();
        b.i(v.max(-1));
        b
    };
    // 0 is "not given" for these two, as runc reads them (containerd and
    // Kubernetes send a swap of 0 for none).
    let set = |v: Option<i64>| v.filter(|&n| n != 0);
    if let Some(m) = set(r.memory_limit) {
        let set_memory = || {
            cgroup::set(
                dirs,
                "memory.max",
                "memory.limit_in_bytes",
                &max(m).0,
                &v1(m).0,
            )
        };
        match set(r.memory_swap) {
            None => set_memory()?,
            Some(s) if s >= 0 && (m < 0 || s < m) => {
                return Err(Error::new(
                    FAILED,
                    Buf::new().s("--memory-swap: below --memory"),
                ));
            }
            Some(s) => {
                // v1 refuses memory above memory+swap, and memory+swap
                // below memory: raised, swap goes first; lowered, memory.
                let swap2 = if s < 0 { -1 } else { s - m };
                let set_swap = || {
                    cgroup::set(
                        dirs,
                        "memory.swap.max",
                        "memory.memsw.limit_in_bytes",
                        &max(swap2).0,
                        &v1(s).0,
                    )
                };
                if set_memory().is_err() {
                    set_swap()?;
                    set_memory()?;
                } else {
                    set_swap()?;
                }
            }
        }
    } else if set(r.memory_swap).is_some() {
        return Err(Error::usage_text(
            "--memory-swap needs --memory (memory plus swap)",
        ));
    }
    if let Some(m) = r.memory_reservation {
        cgroup::set(
            dirs,
            "memory.low",
            "memory.soft_limit_in_bytes",
            &max(m).0,
            &v1(m).0,
        )?;
    }
    if let Some(p) = r.pids_limit {
        // (runc reads 0 as no limit too.)
        let p = if p <= 0 { -1 } else { p };
        cgroup::set(dirs, "pids.max", "pids.max", &max(p).0, &max(p).0)?;
    }
    if r.cpu_quota.is_some() || r.cpu_period.is_some() {
        let both = cpu_max(r.cpu_quota, r.cpu_period, || {
            lines(dirs)
                .find_map(|d| crate::util::file::read_file(&[d, b"/cpu.max"].concat()).ok())
                .unwrap_or_default()
        });
        if let Some(p) = r.cpu_period {
            cgroup::set(
                dirs,
                "cpu.max",
                "cpu.cfs_period_us",
                &both.0,
                &v1(p as i64).0,
            )?;
        }
        if let Some(q) = r.cpu_quota {
            cgroup::set(dirs, "cpu.max", "cpu.cfs_quota_us", &both.0, &v1(q).0)?;
        }
    }
    if let Some(s) = r.cpu_shares {
        // The kernel's range, and the weight systemd and runc map it to:
        // as `create` writes them.
        let l = crate::spec::Limits::default();
        let at = |v2| cgroup::value(crate::spec::Knob::CpuShares, s, &l, v2).0;
        cgroup::set(dirs, "cpu.weight", "cpu.shares", &at(true), &at(false))?;
    }
    for (v, file) in [(&r.cpus, "cpuset.cpus"), (&r.mems, "cpuset.mems")] {
        if let Some(v) = v {
            cgroup::set(dirs, file, file, v, v)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cpu_max;

    #[test]
    fn cpu_max_keeps_what_is_not_given() {
        let now = || b"50000 200000\n".to_vec();
        let unused = || -> Vec<u8> { panic!("read back with a quota given") };
        // A period alone keeps the quota (it once wrote "max 100000",
        // which lifted the limit).
        assert_eq!(cpu_max(None, Some(100_000), now).0, b"50000 100000");
        // A quota alone keeps the period (it once wrote the default's).
        assert_eq!(cpu_max(Some(20_000), None, unused).0, b"20000");
        assert_eq!(cpu_max(Some(-1), Some(10_000), unused).0, b"max 10000");
        assert_eq!(cpu_max(None, Some(10_000), Vec::new).0, b"max 10000");
    }
}
