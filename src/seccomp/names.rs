//! x86_64 syscall names and numbers, straight from linux-raw-sys's `__NR_*`
//! constants: the table cannot drift from the kernel ABI hull is built
//! against, and a name this architecture lacks is simply not in it.
//!
//! The default profile resolves its names at compile time
//! ([`const_syscall_number`]); only a JSON profile looks names up at run
//! time ([`syscall_number`]), in a packed form built at compile time: the
//! names grouped by length (a lookup compares only the 20 or so of its
//! length), each character 5 bits (x86_64's names use 31 distinct ones),
//! each number 9 bits. 2.7 KB instead of the 3.9 KB of the names as text.

/// Writes the constants' names and their values, in the order given.
macro_rules! table {
    ($($nr:ident)*) => {
        /// The constants' names as written ("__NR_read __NR_write ..."),
        /// each followed by one space. Only read at compile time.
        const RAW: &[u8] = concat!($(stringify!($nr), " "),*).as_bytes();
        /// Their numbers, in the same order. Only read at compile time.
        const NUMBERS: &[u32] = &[$(linux_raw_sys::general::$nr),*];
    };
}

// Every `__NR_*` of linux-raw-sys's x86_64 `general` module, in its order
// (by number).
table! {
    __NR_read __NR_write __NR_open __NR_close __NR_stat __NR_fstat __NR_lstat __NR_poll
    __NR_lseek __NR_mmap __NR_mprotect __NR_munmap __NR_brk __NR_rt_sigaction
    __NR_rt_sigprocmask __NR_rt_sigreturn __NR_ioctl __NR_pread64 __NR_pwrite64 __NR_readv
    __NR_writev __NR_access __NR_pipe __NR_select __NR_sched_yield __NR_mremap __NR_msync
    __NR_mincore __NR_madvise __NR_shmget __NR_shmat __NR_shmctl __NR_dup __NR_dup2 __NR_pause
    __NR_nanosleep __NR_getitimer __NR_alarm __NR_setitimer __NR_getpid __NR_sendfile
    __NR_socket __NR_connect __NR_accept __NR_sendto __NR_recvfrom __NR_sendmsg __NR_recvmsg
    __NR_shutdown __NR_bind __NR_listen __NR_getsockname __NR_getpeername __NR_socketpair
    __NR_setsockopt __NR_getsockopt __NR_clone __NR_fork __NR_vfork __NR_execve __NR_exit
    __NR_wait4 __NR_kill __NR_uname __NR_semget __NR_semop __NR_semctl __NR_shmdt __NR_msgget
    __NR_msgsnd __NR_msgrcv __NR_msgctl __NR_fcntl __NR_flock __NR_fsync __NR_fdatasync
    __NR_truncate __NR_ftruncate __NR_getdents __NR_getcwd __NR_chdir __NR_fchdir __NR_rename
    __NR_mkdir __NR_rmdir __NR_creat __NR_link __NR_unlink __NR_symlink __NR_readlink
    __NR_chmod __NR_fchmod __NR_chown __NR_fchown __NR_lchown __NR_umask __NR_gettimeofday
    __NR_getrlimit __NR_getrusage __NR_sysinfo __NR_times __NR_ptrace __NR_getuid __NR_syslog
    __NR_getgid __NR_setuid __NR_setgid __NR_geteuid __NR_getegid __NR_setpgid __NR_getppid
    __NR_getpgrp __NR_setsid __NR_setreuid __NR_setregid __NR_getgroups __NR_setgroups
    __NR_setresuid __NR_getresuid __NR_setresgid __NR_getresgid __NR_getpgid __NR_setfsuid
    __NR_setfsgid __NR_getsid __NR_capget __NR_capset __NR_rt_sigpending __NR_rt_sigtimedwait
    __NR_rt_sigqueueinfo __NR_rt_sigsuspend __NR_sigaltstack __NR_utime __NR_mknod __NR_uselib
    __NR_personality __NR_ustat __NR_statfs __NR_fstatfs __NR_sysfs __NR_getpriority
    __NR_setpriority __NR_sched_setparam __NR_sched_getparam __NR_sched_setscheduler
    __NR_sched_getscheduler __NR_sched_get_priority_max __NR_sched_get_priority_min
    __NR_sched_rr_get_interval __NR_mlock __NR_munlock __NR_mlockall __NR_munlockall
    __NR_vhangup __NR_modify_ldt __NR_pivot_root __NR__sysctl __NR_prctl __NR_arch_prctl
    __NR_adjtimex __NR_setrlimit __NR_chroot __NR_sync __NR_acct __NR_settimeofday __NR_mount
    __NR_umount2 __NR_swapon __NR_swapoff __NR_reboot __NR_sethostname __NR_setdomainname
    __NR_iopl __NR_ioperm __NR_create_module __NR_init_module __NR_delete_module
    __NR_get_kernel_syms __NR_query_module __NR_quotactl __NR_nfsservctl __NR_getpmsg
    __NR_putpmsg __NR_afs_syscall __NR_tuxcall __NR_security __NR_gettid __NR_readahead
    __NR_setxattr __NR_lsetxattr __NR_fsetxattr __NR_getxattr __NR_lgetxattr __NR_fgetxattr
    __NR_listxattr __NR_llistxattr __NR_flistxattr __NR_removexattr __NR_lremovexattr
    __NR_fremovexattr __NR_tkill __NR_time __NR_futex __NR_sched_setaffinity
    __NR_sched_getaffinity __NR_set_thread_area __NR_io_setup __NR_io_destroy __NR_io_getevents
    __NR_io_submit __NR_io_cancel __NR_get_thread_area __NR_lookup_dcookie __NR_epoll_create
    __NR_epoll_ctl_old __NR_epoll_wait_old __NR_remap_file_pages __NR_getdents64
    __NR_set_tid_address __NR_restart_syscall __NR_semtimedop __NR_fadvise64 __NR_timer_create
    __NR_timer_settime __NR_timer_gettime __NR_timer_getoverrun __NR_timer_delete
    __NR_clock_settime __NR_clock_gettime __NR_clock_getres __NR_clock_nanosleep
    __NR_exit_group __NR_epoll_wait __NR_epoll_ctl __NR_tgkill __NR_utimes __NR_vserver
    __NR_mbind __NR_set_mempolicy __NR_get_mempolicy __NR_mq_open __NR_mq_unlink
    __NR_mq_timedsend __NR_mq_timedreceive __NR_mq_notify __NR_mq_getsetattr __NR_kexec_load
    __NR_waitid __NR_add_key __NR_request_key __NR_keyctl __NR_ioprio_set __NR_ioprio_get
    __NR_inotify_init __NR_inotify_add_watch __NR_inotify_rm_watch __NR_migrate_pages
    __NR_openat __NR_mkdirat __NR_mknodat __NR_fchownat __NR_futimesat __NR_newfstatat
    __NR_unlinkat __NR_renameat __NR_linkat __NR_symlinkat __NR_readlinkat __NR_fchmodat
    __NR_faccessat __NR_pselect6 __NR_ppoll __NR_unshare __NR_set_robust_list
    __NR_get_robust_list __NR_splice __NR_tee __NR_sync_file_range __NR_vmsplice
    __NR_move_pages __NR_utimensat __NR_epoll_pwait __NR_signalfd __NR_timerfd_create
    __NR_eventfd __NR_fallocate __NR_timerfd_settime __NR_timerfd_gettime __NR_accept4
    __NR_signalfd4 __NR_eventfd2 __NR_epoll_create1 __NR_dup3 __NR_pipe2 __NR_inotify_init1
    __NR_preadv __NR_pwritev __NR_rt_tgsigqueueinfo __NR_perf_event_open __NR_recvmmsg
    __NR_fanotify_init __NR_fanotify_mark __NR_prlimit64 __NR_name_to_handle_at
    __NR_open_by_handle_at __NR_clock_adjtime __NR_syncfs __NR_sendmmsg __NR_setns __NR_getcpu
    __NR_process_vm_readv __NR_process_vm_writev __NR_kcmp __NR_finit_module __NR_sched_setattr
    __NR_sched_getattr __NR_renameat2 __NR_seccomp __NR_getrandom __NR_memfd_create
    __NR_kexec_file_load __NR_bpf __NR_execveat __NR_userfaultfd __NR_membarrier __NR_mlock2
    __NR_copy_file_range __NR_preadv2 __NR_pwritev2 __NR_pkey_mprotect __NR_pkey_alloc
    __NR_pkey_free __NR_statx __NR_io_pgetevents __NR_rseq __NR_uretprobe
    __NR_pidfd_send_signal __NR_io_uring_setup __NR_io_uring_enter __NR_io_uring_register
    __NR_open_tree __NR_move_mount __NR_fsopen __NR_fsconfig __NR_fsmount __NR_fspick
    __NR_pidfd_open __NR_clone3 __NR_close_range __NR_openat2 __NR_pidfd_getfd __NR_faccessat2
    __NR_process_madvise __NR_epoll_pwait2 __NR_mount_setattr __NR_quotactl_fd
    __NR_landlock_create_ruleset __NR_landlock_add_rule __NR_landlock_restrict_self
    __NR_memfd_secret __NR_process_mrelease __NR_futex_waitv __NR_set_mempolicy_home_node
    __NR_cachestat __NR_fchmodat2 __NR_map_shadow_stack __NR_futex_wake __NR_futex_wait
    __NR_futex_requeue __NR_statmount __NR_listmount __NR_lsm_get_self_attr
    __NR_lsm_set_self_attr __NR_lsm_list_modules __NR_mseal __NR_setxattrat __NR_getxattrat
    __NR_listxattrat __NR_removexattrat __NR_open_tree_attr __NR_file_getattr __NR_file_setattr
}

/// How many names there are.
const COUNT: usize = NUMBERS.len();

/// "__NR_", which each raw name starts with.
const PREFIX: usize = 5;

/// The names without their prefix, each followed by one space. Compile
/// time only (a `const`: it is not in the binary).
const NAMES: [u8; RAW.len() - PREFIX * COUNT] = strip_prefixes();

const fn strip_prefixes() -> [u8; RAW.len() - PREFIX * COUNT] {
    let mut out = [0u8; RAW.len() - PREFIX * COUNT];
    let (mut i, mut o) = (0, 0);
    while i < RAW.len() {
        // At the start of a word: check and skip "__NR_".
        assert!(RAW[i] == b'_' && RAW[i + 3] == b'R' && RAW[i + 4] == b'_');
        i += PREFIX;
        while RAW[i] != b' ' {
            out[o] = RAW[i];
            i += 1;
            o += 1;
        }
        out[o] = b' ';
        i += 1;
        o += 1;
    }
    out
}

/// Where each name starts in [`NAMES`], and where the last one ends (plus
/// its space).
const STARTS: [u16; COUNT + 1] = {
    let mut starts = [0u16; COUNT + 1];
    let (mut i, mut w) = (0, 1);
    while i < NAMES.len() {
        if NAMES[i] == b' ' {
            starts[w] = (i + 1) as u16;
            w += 1;
        }
        i += 1;
    }
    starts
};

/// The length of name `w`.
const fn len_of(w: usize) -> usize {
    STARTS[w + 1] as usize - 1 - STARTS[w] as usize
}

/// The highest syscall number hull knows. A filter answers ENOSYS above it,
/// so that a libc newer than hull falls back rather than failing.
pub const MAX_NR: u32 = {
    let (mut max, mut w) = (0, 0);
    while w < COUNT {
        if NUMBERS[w] > max {
            max = NUMBERS[w];
        }
        w += 1;
    }
    max
};

/// The longest name's length.
const LONGEST: usize = {
    let (mut max, mut w) = (0, 0);
    while w < COUNT {
        if len_of(w) > max {
            max = len_of(w);
        }
        w += 1;
    }
    max
};

/// [`syscall_number`] at compile time, on the names as text.
pub const fn const_syscall_number(name: &[u8]) -> Option<u32> {
    let mut w = 0;
    while w < COUNT {
        if len_of(w) == name.len() && same(STARTS[w] as usize, name) {
            return Some(NUMBERS[w]);
        }
        w += 1;
    }
    None
}

/// Whether `NAMES[at..]` starts with `name`.
const fn same(at: usize, name: &[u8]) -> bool {
    let mut j = 0;
    while j < name.len() {
        if NAMES[at + j] != name[j] {
            return false;
        }
        j += 1;
    }
    true
}

// The packed form.

/// Which bytes the names use.
const USED: [bool; 256] = {
    let mut used = [false; 256];
    let mut i = 0;
    while i < NAMES.len() {
        used[NAMES[i] as usize] = NAMES[i] != b' ';
        i += 1;
    }
    used
};

/// How many distinct bytes the names use.
const ALPHABET_LEN: usize = {
    let (mut c, mut n) = (0, 0);
    while c < 256 {
        if USED[c] {
            n += 1;
        }
        c += 1;
    }
    n
};

/// Those bytes, in ascending order: a character is stored as its place here.
static ALPHABET: [u8; ALPHABET_LEN] = {
    let mut out = [0u8; ALPHABET_LEN];
    let (mut c, mut n) = (0, 0);
    while c < 256 {
        if USED[c] {
            out[n] = c as u8;
            n += 1;
        }
        c += 1;
    }
    out
};

/// The bits needed for values up to `max`.
const fn bits_for(max: usize) -> usize {
    let mut b = 1;
    while max >> b != 0 {
        b += 1;
    }
    b
}

/// Bits per character, and per number.
const CHAR_BITS: usize = bits_for(ALPHABET_LEN - 1);
const NR_BITS: usize = bits_for(MAX_NR as usize);
const _: () = assert!(
    CHAR_BITS <= 9 && NR_BITS <= 9,
    "fields wider than field() reads"
);

/// The names in length order (by number within one length), as indexes
/// into [`NAMES`].
const ORDER: [u16; COUNT] = {
    let mut order = [0u16; COUNT];
    let (mut k, mut len) = (0, 1);
    while len <= LONGEST {
        let mut w = 0;
        while w < COUNT {
            if len_of(w) == len {
                order[k] = w as u16;
                k += 1;
            }
            w += 1;
        }
        len += 1;
    }
    order
};

/// For each length: where its names start in [`ORDER`] (the next length's
/// start is where they end), and where their characters start in [`CHARS`].
static BY_LEN: [(u16, u16); LONGEST + 2] = {
    let mut by = [(0u16, 0u16); LONGEST + 2];
    let mut len = 1;
    while len <= LONGEST {
        let (mut k, mut chars) = by[len];
        let mut w = 0;
        while w < COUNT {
            if len_of(w) == len {
                k += 1;
                chars += len as u16;
            }
            w += 1;
        }
        by[len + 1] = (k, chars);
        len += 1;
    }
    by
};

/// Characters in all, and the packed arrays' sizes.
const CHAR_COUNT: usize = NAMES.len() - COUNT;
const CHARS_LEN: usize = (CHAR_COUNT * CHAR_BITS).div_ceil(8);
const NRS_LEN: usize = (COUNT * NR_BITS).div_ceil(8);

/// Stores `v` as field `i` of `bits`-wide fields, low bit first.
const fn put<const N: usize>(out: &mut [u8; N], bits: usize, i: usize, v: usize) {
    assert!(v >> bits == 0);
    let mut b = 0;
    while b < bits {
        let at = i * bits + b;
        out[at / 8] |= ((v >> b & 1) << (at % 8)) as u8;
        b += 1;
    }
}

/// The names' characters in [`ORDER`], [`CHAR_BITS`] each.
static CHARS: [u8; CHARS_LEN] = {
    let mut out = [0u8; CHARS_LEN];
    let (mut k, mut i) = (0, 0);
    while k < COUNT {
        let w = ORDER[k] as usize;
        let mut j = 0;
        while j < len_of(w) {
            let c = NAMES[STARTS[w] as usize + j];
            let mut s = 0;
            while ALPHABET[s] != c {
                s += 1;
            }
            put(&mut out, CHAR_BITS, i, s);
            i += 1;
            j += 1;
        }
        k += 1;
    }
    out
};

/// Their numbers, [`NR_BITS`] each, in the same order.
static NRS: [u8; NRS_LEN] = {
    let mut out = [0u8; NRS_LEN];
    let mut k = 0;
    while k < COUNT {
        put(&mut out, NR_BITS, k, NUMBERS[ORDER[k] as usize] as usize);
        k += 1;
    }
    out
};

/// Field `i` of the `bits`-wide fields packed in `packed`.
fn field(packed: &[u8], bits: usize, i: usize) -> usize {
    let at = i * bits;
    // Two bytes hold any field of up to 9 bits (asserted on NR_BITS).
    let byte = |k| {
        packed
            .get(at / 8 + k)
            .map_or(0, |&b| (b as usize) << (8 * k))
    };
    (byte(0) | byte(1)) >> (at % 8) & ((1 << bits) - 1)
}

/// Character `j` of the `k`th name in [`ORDER`], which is `len` long.
fn char_at(k: usize, len: usize, j: usize) -> u8 {
    let (first, chars) = BY_LEN[len];
    let i = chars as usize + (k - first as usize) * len + j;
    ALPHABET.get(field(&CHARS, CHAR_BITS, i)).map_or(0, |&c| c)
}

/// The x86_64 number of the syscall called `name` ("openat"), or None if
/// this architecture has no such call (as libseccomp, a profile naming one
/// skips it).
pub fn syscall_number(name: &[u8]) -> Option<u32> {
    let len = name.len();
    let (first, end) = (BY_LEN.get(len)?.0, BY_LEN.get(len + 1)?.0);
    let k = (first as usize..end as usize).find(|&k| {
        name.iter()
            .enumerate()
            .all(|(j, &c)| char_at(k, len, j) == c)
    })?;
    Some(field(&NRS, NR_BITS, k) as u32)
}

/// The name of syscall `nr` on x86_64, for messages.
pub fn syscall_name(nr: u32) -> Option<alloc::vec::Vec<u8>> {
    let k = (0..COUNT).find(|&k| field(&NRS, NR_BITS, k) == nr as usize)?;
    let len = (1..=LONGEST).find(|&len| BY_LEN[len + 1].0 as usize > k)?;
    Some((0..len).map(|j| char_at(k, len, j)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_raw_sys::general as g;
    use std::vec::Vec;

    #[test]
    fn names_map_to_the_kernel_numbers() {
        assert_eq!(syscall_number(b"read"), Some(0));
        assert_eq!(syscall_number(b"openat"), Some(g::__NR_openat));
        assert_eq!(syscall_number(b"rseq"), Some(334));
        assert_eq!(syscall_number(b"pidfd_send_signal"), Some(424));
        assert_eq!(syscall_number(b"clone3"), Some(g::__NR_clone3));
        assert_eq!(syscall_number(b"_sysctl"), Some(156));
        assert_eq!(syscall_number(b"file_setattr"), Some(MAX_NR));
        assert_eq!(MAX_NR, 469);
        // Not on x86_64, or not a syscall at all.
        let long = [b'a'; 300];
        for name in [
            &b"chown32"[..],
            b"mmap2",
            b"recv",
            b"",
            b"rea",
            b"reads",
            b"READ",
            &long,
        ] {
            assert_eq!(syscall_number(name), None, "{name:?}");
            assert_eq!(const_syscall_number(name), None, "{name:?}");
        }
        assert_eq!((ALPHABET_LEN, CHAR_BITS, NR_BITS, LONGEST), (31, 5, 9, 23));
        std::println!(
            "packed: {} + {} + {} + {} bytes",
            CHARS.len(),
            NRS.len(),
            ALPHABET.len(),
            BY_LEN.len() * 4
        );
    }

    #[test]
    fn every_name_round_trips() {
        let names: Vec<&[u8]> = NAMES.split(|&b| b == b' ').take(COUNT).collect();
        assert_eq!(names.len(), COUNT);
        for (w, name) in names.iter().enumerate() {
            let nr = syscall_number(name).unwrap();
            assert_eq!(nr, NUMBERS[w]);
            assert_eq!(const_syscall_number(name), Some(nr));
            assert_eq!(syscall_name(nr).as_deref(), Some(*name));
            // One character off, or one more or fewer: not found.
            let mut other = name.to_vec();
            other[name.len() / 2] ^= 1;
            if !names.contains(&&other[..]) {
                assert_eq!(syscall_number(&other), None);
            }
            assert_eq!(
                syscall_number(&name[1..]).map(|_| ()),
                names.contains(&&name[1..]).then_some(())
            );
        }
        assert_eq!(syscall_name(336), None);
        assert_eq!(syscall_name(MAX_NR + 1), None);
    }
}
