//! `clock_gettime(CLOCK_REALTIME)`: the wall clock, for the times the OCI
//! front-end writes (log lines, a container's creation time).

use super::raw;

/// `clock_gettime(CLOCK_REALTIME)`
/// ([clock_gettime(2)](https://man7.org/linux/man-pages/man2/clock_gettime.2.html))
/// as (seconds, nanoseconds) since the Unix epoch, by direct syscall as
/// [`super::monotonic_ns`] (no vDSO lookup). It cannot fail with a valid
/// clock and buffer; (0, 0) if it ever did.
pub fn realtime() -> (i64, u32) {
    let mut ts = [0i64; 2];
    // SAFETY: `ts` has the layout of a struct timespec and outlives the call.
    let r = unsafe {
        raw::syscall2(
            raw::SYS_CLOCK_GETTIME,
            linux_raw_sys::general::CLOCK_REALTIME as usize,
            ts.as_mut_ptr() as usize,
        )
    };
    match raw::check(r) {
        Ok(_) => (ts[0], ts[1] as u32),
        Err(_) => (0, 0),
    }
}

/// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds, by direct syscall.
///
/// rustix would go through the vDSO, whose lookup reads the auxiliary vector
/// from /proc, which an early-boot environment may not have mounted.
pub fn monotonic_ns() -> u64 {
    let mut ts = [0i64; 2];
    // SAFETY: `ts` has the layout of a struct timespec and outlives the call.
    unsafe {
        raw::syscall2(
            raw::SYS_CLOCK_GETTIME,
            linux_raw_sys::general::CLOCK_MONOTONIC as usize,
            ts.as_mut_ptr() as usize,
        )
    };
    ts[0] as u64 * 1_000_000_000 + ts[1] as u64
}
