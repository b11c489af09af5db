//! `--log FILE --log-format text|json`: one line per message, appended, in
//! the shapes runc's logger (logrus) writes and containerd reads back:
//!
//! ```text
//! {"level":"error","msg":"container does not exist","time":"2026-12-04T16:02:22Z"}
//! time="2026-12-04T16:02:22Z" level=error msg="container does not exist"
//! ```
//!
//! Times are UTC (hull reads no time zone database; runc writes UTC too
//! when the host's zone is UTC, as on containerd's nodes), in RFC 3339.

use crate::error::Error;
use crate::sys::{self, AsFd, OwnedFd};
use crate::util::json::write_str;
use crate::util::out::Buf;
use alloc::vec::Vec;
use rustix::fs::{Mode, OFlags};

/// An open log file.
pub struct Log {
    fd: OwnedFd,
    json: bool,
}

impl Log {
    /// Opens (creating it, mode 0644) `path` for appending, as runc does;
    /// `json` chooses `--log-format json` over `text`.
    pub fn open(path: &[u8], json: bool) -> Result<Log, Error> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND | OFlags::CLOEXEC;
        match rustix::fs::open(path, flags, Mode::from_raw_mode(0o644)) {
            Ok(fd) => Ok(Log { fd, json }),
            Err(e) => Err(Error::sys("open log file", path, e)),
        }
    }

    /// Appends one line at `level` ("error", "warning", "debug"), stamped
    /// now. One write(2) with O_APPEND: lines of concurrent writers (a
    /// shim's `delete` and a CLI's `kill`) do not interleave. A failure is
    /// ignored: there is nowhere left to report it.
    pub fn write(&self, level: &str, msg: &[u8]) {
        let line = line(self.json, level, msg, sys::realtime());
        let _ = sys::write_all(self.fd.as_fd(), &line);
    }
}

/// The line for `msg` at `level`, stamped `now` (seconds and nanoseconds
/// since the epoch), newline included.
pub fn line(json: bool, level: &str, msg: &[u8], now: (i64, u32)) -> Vec<u8> {
    let mut b = Buf::new();
    if json {
        b.s("{\"level\":\"").s(level).s("\",\"msg\":");
        write_str(&mut b, msg);
        b.s(",\"time\":\"");
        rfc3339(&mut b, now.0, 0);
        b.s("\"}\n");
    } else {
        b.s("time=\"");
        rfc3339(&mut b, now.0, 0);
        b.s("\" level=").s(level).s(" msg=");
        // logrus quotes a value unless it is made of these characters only.
        let plain = |c: &u8| c.is_ascii_alphanumeric() || b"-._/@^+".contains(c);
        if !msg.is_empty() && msg.iter().all(plain) {
            b.b(msg);
        } else {
            write_str(&mut b, msg);
        }
        b.s("\n");
    }
    b.0
}

/// Appends `secs` since the epoch as RFC 3339 in UTC,
/// `2026-12-04T16:02:54Z`, with `nanos` as a fraction when not 0 and its
/// trailing zeros dropped (`…:54.22032882Z`, Go's `RFC3339Nano`).
pub fn rfc3339(b: &mut Buf, secs: i64, nanos: u32) {
    let days = secs.div_euclid(86400);
    let day_secs = secs.rem_euclid(86400) as u64;
    // The proleptic Gregorian calendar from a day count (Howard Hinnant's
    // civil_from_days), in 400-year eras of 146097 days from 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe as i64 + (month <= 2) as i64;
    b.i(year);
    for (sep, n) in [
        (b'-', month),
        (b'-', day),
        (b'T', day_secs / 3600),
        (b':', day_secs / 60 % 60),
        (b':', day_secs % 60),
    ] {
        b.0.push(sep);
        b.0.push(b'0' + (n / 10) as u8);
        b.0.push(b'0' + (n % 10) as u8);
    }
    if nanos > 0 {
        let mut frac = [b'0'; 9];
        let mut n = nanos;
        for d in frac.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let len = 9 - frac.iter().rev().take_while(|&&d| d == b'0').count();
        b.s(".").b(&frac[..len]);
    }
    b.s("Z");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(secs: i64, nanos: u32) -> String {
        let mut b = Buf::new();
        rfc3339(&mut b, secs, nanos);
        String::from_utf8(b.0).unwrap()
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(time(0, 0), "1970-01-01T00:00:00Z");
        // The line runc wrote on this machine, and the creation time it reported.
        assert_eq!(time(1_796_400_142, 0), "2026-12-04T16:02:22Z");
        assert_eq!(
            time(1_796_400_174, 220_328_820),
            "2026-12-04T16:02:54.22032882Z"
        );
        assert_eq!(time(951_782_400, 5), "2000-02-29T00:00:00.000000005Z");
        assert_eq!(
            time(4_107_542_399, 999_999_999),
            "2100-02-28T23:59:59.999999999Z"
        );
        assert_eq!(time(-1, 0), "1969-12-31T23:59:59Z");
        // Every day for 1000 years from 1970 against std's own arithmetic
        // of the same calendar (days from civil, the inverse direction).
        let mut days = 0i64;
        for y in 1970..2970i64 {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let lens = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            for (m, &len) in lens.iter().enumerate() {
                for d in 1..=len {
                    let want = format!("{y}-{:02}-{d:02}T00:00:00Z", m + 1);
                    assert_eq!(time(days * 86400, 0), want);
                    days += 1;
                }
            }
        }
    }

    #[test]
    fn lines_as_runc_writes_them() {
        let now = (1_796_400_142, 123);
        let j = line(true, "error", b"container does not exist", now);
        assert_eq!(
            String::from_utf8(j).unwrap(),
            "{\"level\":\"error\",\"msg\":\"container does not exist\",\"time\":\"2026-12-04T16:02:22Z\"}\n"
        );
        let t = line(false, "error", b"container does not exist", now);
        assert_eq!(
            String::from_utf8(t).unwrap(),
            "time=\"2026-12-04T16:02:22Z\" level=error msg=\"container does not exist\"\n"
        );
        let t = line(false, "debug", b"created", now);
        assert_eq!(
            String::from_utf8(t).unwrap(),
            "time=\"2026-12-04T16:02:22Z\" level=debug msg=created\n"
        );
        // Quotes, backslashes and newlines are escaped: one line per message.
        let j = line(true, "error", b"a \"b\"\\\nc", now);
        let v: serde_json::Value = serde_json::from_slice(&j).unwrap();
        assert_eq!(v["msg"], "a \"b\"\\\nc");
        assert_eq!(j.iter().filter(|&&c| c == b'\n').count(), 1);
        assert!(line(false, "error", b"", now).ends_with(b" msg=\"\"\n"));
    }

    #[test]
    fn appends_to_the_file() {
        let dir = std::env::temp_dir().join(format!("hull-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.json");
        std::fs::write(&path, "earlier\n").unwrap();
        let p = path.to_str().unwrap().as_bytes();
        let log = Log::open(p, true).unwrap();
        log.write("error", b"one");
        Log::open(p, false).unwrap().write("warning", b"two words");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0], "earlier");
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(
            (v["level"].as_str(), v["msg"].as_str()),
            (Some("error"), Some("one"))
        );
        // Stamped now, to the second.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let stamp = v["time"].as_str().unwrap();
        assert!(
            stamp == time(now as i64, 0) || stamp == time(now as i64 - 1, 0),
            "{stamp}"
        );
        assert!(
            lines[2].ends_with("level=warning msg=\"two words\""),
            "{}",
            lines[2]
        );
        let e = Log::open(b"/nonexistent-dir/x", true).err().unwrap();
        assert_eq!(
            e.msg,
            b"open log file /nonexistent-dir/x: No such file or directory"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
