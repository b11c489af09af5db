//! The C library's words for the errnos hull can meet.

use crate::sys::Errno;

/// The C library's message for an errno, for the errors hull can meet.
pub fn strerror(e: Errno) -> &'static str {
    let want = e.raw_os_error() as u64;
    let b = ERRNO_TEXT.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // One line: the number, a space, the text.
        let mut n = 0;
        while b[i].is_ascii_digit() {
            n = n * 10 + (b[i] - b'0') as u64;
            i += 1;
        }
        let start = i + 1;
        while b[i] != b'\n' {
            i += 1;
        }
        if n == want {
            return ERRNO_TEXT.get(start..i).unwrap_or_default();
        }
        i += 1;
    }
    "Unknown error"
}

// "errno text" lines, as glibc words them, so messages read the way users
// know. One string: a table of (i32, &str) costs 24 bytes of pointer and
// padding per entry (a kilobyte of the binary).
pub(crate) const ERRNO_TEXT: &str = "\
1 Operation not permitted
2 No such file or directory
3 No such process
4 Interrupted system call
5 Input/output error
6 No such device or address
7 Argument list too long
8 Exec format error
9 Bad file descriptor
10 No child processes
11 Resource temporarily unavailable
12 Cannot allocate memory
13 Permission denied
14 Bad address
15 Block device required
16 Device or resource busy
17 File exists
18 Invalid cross-device link
19 No such device
20 Not a directory
21 Is a directory
22 Invalid argument
23 Too many open files in system
24 Too many open files
25 Inappropriate ioctl for device
26 Text file busy
27 File too large
28 No space left on device
30 Read-only file system
31 Too many links
32 Broken pipe
34 Numerical result out of range
36 File name too long
38 Function not implemented
39 Directory not empty
40 Too many levels of symbolic links
75 Value too large for defined data type
87 Too many users
95 Operation not supported
97 Address family not supported by protocol
110 Connection timed out
122 Disk quota exceeded
131 State not recoverable
";
