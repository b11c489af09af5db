//! `bpf(2)` for cgroup device programs: load one, attach it to a cgroup,
//! ask what is attached, detach it.
//!
//! linux-raw-sys 0.12 has no `bpf` module, so the few `union bpf_attr`
//! members used here are laid out by hand below, from the kernel's
//! `include/uapi/linux/bpf.h` (offsets checked against the installed
//! header). The kernel takes a shorter attr than its own and zero-fills the
//! rest, so each call passes only the fields it sets.

use super::{OwnedFd, Result, raw};
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd};

const SYS_BPF: usize = linux_raw_sys::general::__NR_bpf as usize;

// enum bpf_cmd.
const BPF_PROG_LOAD: usize = 5;
const BPF_PROG_ATTACH: usize = 8;
const BPF_PROG_DETACH: usize = 9;
const BPF_PROG_QUERY: usize = 16;
/// enum bpf_prog_type: BPF_PROG_TYPE_CGROUP_DEVICE.
const PROG_TYPE_CGROUP_DEVICE: u32 = 15;

/// enum bpf_attach_type: `BPF_CGROUP_DEVICE`, the hook of device programs.
pub const CGROUP_DEVICE: u32 = 6;
/// Attach flag: a program in a descendant group replaces this one there.
pub const F_ALLOW_OVERRIDE: u32 = 1;
/// Attach flag: programs of descendant groups run as well as this one, and
/// an access is allowed only when every one of them allows it.
pub const F_ALLOW_MULTI: u32 = 2;
/// Query flag: the programs in effect (the group's own and inherited ones),
/// not only those attached to the group itself.
pub const F_QUERY_EFFECTIVE: u32 = 1;

/// One eBPF instruction, `struct bpf_insn`: opcode, destination register
/// (low nibble of `regs`) and source register (high nibble), offset,
/// immediate.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

/// `bpf(cmd, attr, size)`, with `attr` the leading u32 words of a `union
/// bpf_attr` (the kernel's own layout, little-endian u64s as two words).
fn bpf(cmd: usize, attr: &mut [u32]) -> Result<usize> {
    // SAFETY: `attr` is live and mutable for the call and its size is the
    // one passed. The kernel reads it, and writes back (BPF_PROG_QUERY)
    // only fields that callers make sure lie inside it. Any pointer in it
    // was set by the caller to a buffer live for the call, of the size
    // it names there.
    let r = unsafe { raw::syscall3(SYS_BPF, cmd, attr.as_mut_ptr() as usize, attr.len() * 4) };
    raw::check(r)
}

/// `bpf(BPF_PROG_LOAD)` of a `BPF_PROG_TYPE_CGROUP_DEVICE` program
/// (expected attach type `BPF_CGROUP_DEVICE`). With `log`, the verifier's
/// messages (level 1) go there; ENOSPC when they do not fit.
///
/// The license is the empty string: it only decides whether the program may
/// call GPL-only helpers, and a device program built by
/// [`crate::devices::program`] calls no helper at all.
///
/// The fd is close-on-exec (the kernel always makes bpf fds so).
/// <https://man7.org/linux/man-pages/man2/bpf.2.html>
pub fn prog_load_cgroup_device(insns: &[Insn], log: Option<&mut [u8]>) -> Result<OwnedFd> {
    let insns_ptr = insns.as_ptr() as u64;
    let license = c"".as_ptr() as u64;
    let (log_level, log_size, log_buf) = match log {
        Some(b) => (1, b.len() as u32, b.as_mut_ptr() as u64),
        None => (0, 0, 0),
    };
    // prog_type, insn_cnt, insns, license, log_level, log_size, log_buf,
    // kern_version, prog_flags, prog_name[16], prog_ifindex,
    // expected_attach_type: 72 bytes.
    #[rustfmt::skip]
    let mut attr: [u32; 18] = [
        PROG_TYPE_CGROUP_DEVICE, insns.len() as u32,
        insns_ptr as u32, (insns_ptr >> 32) as u32,
        license as u32, (license >> 32) as u32,
        log_level, log_size,
        log_buf as u32, (log_buf >> 32) as u32,
        0, 0,
        0, 0, 0, 0,
        0, CGROUP_DEVICE,
    ];
    let fd = bpf(BPF_PROG_LOAD, &mut attr)?;
    // SAFETY: the kernel just created this fd for us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `bpf(BPF_PROG_ATTACH)`: attaches `prog` to the cgroup (v2) directory
/// `cgroup` at `attach_type` with `flags` (0, [`F_ALLOW_OVERRIDE`] or
/// [`F_ALLOW_MULTI`]). The group holds the program from then on: `prog`
/// may be closed, and the program goes when the group is removed.
///
/// `cgroup` may be an `O_PATH` fd (the kernel takes it with `fget_raw`),
/// such as the one kept for `CLONE_INTO_CGROUP`.
pub fn prog_attach(
    cgroup: BorrowedFd<'_>,
    prog: BorrowedFd<'_>,
    attach_type: u32,
    flags: u32,
) -> Result<()> {
    // target_fd, attach_bpf_fd, attach_type, attach_flags.
    let mut attr = [
        cgroup.as_raw_fd() as u32,
        prog.as_raw_fd() as u32,
        attach_type,
        flags,
    ];
    bpf(BPF_PROG_ATTACH, &mut attr).map(drop)
}

/// `bpf(BPF_PROG_DETACH)`: detaches `prog` from the cgroup `cgroup` at
/// `attach_type`.
pub fn prog_detach(cgroup: BorrowedFd<'_>, prog: BorrowedFd<'_>, attach_type: u32) -> Result<()> {
    let mut attr = [
        cgroup.as_raw_fd() as u32,
        prog.as_raw_fd() as u32,
        attach_type,
        0,
    ];
    bpf(BPF_PROG_DETACH, &mut attr).map(drop)
}

/// `bpf(BPF_PROG_QUERY)` without program ids: how many programs the cgroup
/// `cgroup` has at `attach_type`, and its attach flags. With
/// [`F_QUERY_EFFECTIVE`] in `query_flags`, the count is of the programs in
/// effect there, inherited ones included.
pub fn prog_query(
    cgroup: BorrowedFd<'_>,
    attach_type: u32,
    query_flags: u32,
) -> Result<(u32, u32)> {
    // target_fd, attach_type, query_flags, attach_flags (out), prog_ids
    // (none), prog_cnt (in 0, out the count), then prog_attach_flags,
    // link_ids, link_attach_flags and revision, zero: newer kernels write
    // a revision back at bytes 56..64, which must land inside `attr`.
    let mut attr = [0u32; 16];
    attr[0] = cgroup.as_raw_fd() as u32;
    attr[1] = attach_type;
    attr[2] = query_flags;
    bpf(BPF_PROG_QUERY, &mut attr)?;
    Ok((attr[6], attr[3]))
}
