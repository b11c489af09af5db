//! `hull bench`: start the same container N times and say how long it took.
//!
//! The plan is built once; every start goes through [`run::launch`] and
//! [`run::wait_exit`], the code path of `hull run`, timed with
//! CLOCK_MONOTONIC from just before its cgroup is made (just before clone3
//! for the baselines, which have none) until the cgroup is removed. The
//! child stamps its own steps into a page it shares with us ([`Trace`]), so
//! each start also splits into phases without the child allocating.
//!
//! Everything is integer nanoseconds: no floats, no core::fmt.

use crate::cgroup::Cgroup;
use crate::child::{T_CGROUP, T_CHILD, T_CLONE, T_EXITED, T_REAPED, T_REMOVED};
use crate::error::{EXIT_RUNTIME, Error};
use crate::plan::{Facts, Join, Plan};
use crate::resolve;
use crate::run;
use crate::spec::Spec;
use crate::sys::{self, AsFd, Trace};
use crate::util::cstr::cstring;
use crate::util::out::{Buf, eprint, print};
use crate::util::text::tok;
use alloc::ffi::CString;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::CStr;
use linux_raw_sys::general as g;
use rustix::fs::{Mode, OFlags};

pub mod oci;

pub use crate::cli::BenchOptions as Options;

/// `hull bench`. Returns 0, or the error that stopped it (status 125).
// Out of line: inlined into hull::main it would be copied there whole.
#[inline(never)]
pub fn bench(o: &mut Options, env: &[&CStr]) -> Result<i32, Error> {
    if !o.runtimes.is_empty() {
        return oci::bench(o, env);
    }
    if o.markdown || o.umount_unified || !o.bundle.is_empty() {
        return Err(Error::usage_text(
            "--bundle, --markdown and --umount-unified go with --runtime",
        ));
    }
    run::close_inherited(o.spec.preserve_fds, env);
    let mut facts = Facts::gather(&o.spec, env)?;
    let trace = Trace::new().map_err(|e| Error::sys("mmap", b"trace page", e))?;
    // The container's own cgroup, made and removed at each start of
    // hull's, as hull run does (and timed with it).
    let mut cgroup = run::find_cgroup(&o.spec, &facts)?;
    facts.join = Join::of(cgroup.as_ref());
    facts.trace = Some(trace);
    // As hull run: signals blocked before the clones (an init waits for its
    // command's SIGCHLD on a signalfd, which needs it blocked), each child
    // restoring the mask hull started with. A signal that would end hull
    // (SIGINT, SIGTERM...) ends the benchmark between two starts instead,
    // so that nothing is left behind.
    let (mask, signals, forwarded) = run::block()?;
    facts.sigmask = mask;
    let plan = Plan::build(&o.spec, &facts)?;
    if o.spec.dry_run {
        // The plan hull run would show (with the same cgroup join).
        print(&plan.describe().0);
        return Ok(0);
    }
    let flags = plan.clone_flags;
    // Plans hold memory only; never dropped, as the spec below.
    let mut vars = core::mem::ManuallyDrop::new(vec![plan]);
    // The baselines: the same command with no namespaces and no ops, through
    // the same code path (the floor: a plain fork+execve), and that again
    // running unshare(1) with hull's namespaces. Both from one spec, which
    // takes the command over (hull's plan has its own copy).
    // (Swapped in rather than built with `..Spec::default()`: 584 bytes smaller.)
    // Never dropped: the process ends soon after, and one more drop site
    // of a Spec would take its drop glue out of line (~250 bytes).
    let mut base = core::mem::ManuallyDrop::new(Spec::default());
    core::mem::swap(&mut base.command, &mut o.spec.command);
    for v in 1..3 * o.compare as usize {
        if v == 2 {
            // unshare(1) with hull's namespaces, then the command as given:
            // unshare looks it up in the same PATH the floor's was.
            let path = env.iter().find_map(|e| e.to_bytes().strip_prefix(b"PATH="));
            let Ok(exe) = resolve::command(None, b"unshare", path, None) else {
                eprint(b"hull bench: unshare (util-linux) not found: skipped\n");
                break;
            };
            let cmd = &mut base.command;
            cmd.insert(0, exe.into_bytes());
            let mut i = 1;
            for &(bit, a) in UNSHARE {
                if bit as u64 & !flags == 0 {
                    cmd.insert(i, a.as_bytes().to_vec());
                    i += 1;
                }
            }
        }
        let mut f = Facts::gather(&base, env)?;
        (f.trace, f.sigmask) = (Some(trace), mask);
        vars.push(Plan::bare(&base, &f));
    }
    // Columns of samples: each variant's total, then hull's phases: clone3,
    // one per kind of op (named by its step up to any ':', so new ops get
    // phases by themselves; ops of one kind add up), execve to exit, reap.
    // A phase adds up spans between trace slots.
    let k = vars.len();
    let mut names = VARIANTS[..k].to_vec();
    let mut spans = Vec::new();
    let ops = &vars[0].ops;
    let m = ops.len();
    for i in 0..m + 5 {
        let (name, a, z) = match i.checked_sub(2).and_then(|i| ops.get(i)) {
            Some(op) => (op.step().0, T_CHILD + i - 2, T_CHILD + i - 1),
            None if i == 0 => ("cgroup", T_CGROUP, T_CLONE),
            None if i == 1 => ("clone3", T_CLONE, T_CHILD),
            None if i == m + 2 => ("execve to exit", T_CHILD + m, T_EXITED),
            None if i == m + 3 => ("reap", T_EXITED, T_REAPED),
            None => ("cgroup removal", T_REAPED, T_REMOVED),
        };
        let name = name.split(':').next().unwrap_or(name);
        let c = match names[k..].iter().position(|&x| x == name) {
            Some(c) => k + c,
            None => {
                names.push(name);
                names.len() - 1
            }
        };
        spans.push([c, a, z]);
    }
    // Leaked, as the data below: they live until hull exits, and no drop
    // code is spent on them (on each error path, too).
    let (names, spans) = (names.leak(), spans.leak());

    // Open the chart's file now, so a bad path fails before the long part.
    let mut svg = None;
    if let Some(p) = o.svg.take() {
        let p = cstring(p);
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
        let fd = rustix::fs::open(p.as_c_str(), flags, Mode::from(0o644));
        svg = Some(fd.map_err(|e| Error::sys("open", p.to_bytes(), e))?);
    }
    // The commands get /dev/null for stdin and stdout (as with hyperfine):
    // no terminal is timed and `--json` stays alone on our stdout. stderr is
    // kept, so a failing command can say why.
    let out = rustix::io::fcntl_dupfd_cloexec(sys::stdout(), 3);
    let null = rustix::fs::open(c"/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty());
    if let (Ok(null), Ok(_)) = (null, &out) {
        for fd in 0..2 {
            let _ = sys::dup_onto(null.as_fd(), fd);
        }
    }

    let (n, w) = (o.n as usize, o.warmup as usize);
    let data = vec![0u32; names.len() * n].leak();
    let mut progress = Progress::start();
    let spec = &o.spec;
    let mut replan = || {
        facts.join = Join::Outside;
        Plan::build(spec, &facts)
    };
    for r in 0..w + n {
        let have = r.saturating_sub(w);
        progress.show(r, w + n, k, &|v| {
            (names[v].as_bytes(), &data[v * n..][..have])
        });
        // Interleaved, rotating who goes first, so drift hits all alike.
        for j in 0..k {
            let v = (r + j) % k;
            trace.stamp(T_CGROUP);
            if v == 0 {
                run::create_cgroup(&mut cgroup, spec, &vars[0])?;
            }
            let cg = if v == 0 { cgroup.as_ref() } else { None };
            once(&mut vars[v], cg, spec.debug, &mut replan)?;
            if let Some(cg) = cgroup.as_mut().filter(|_| v == 0) {
                cg.remove();
            }
            trace.stamp(T_REMOVED);
            stopped(signals.as_fd(), forwarded)?;
            let Some(i) = r.checked_sub(w) else { continue };
            let t = |a, z| sat(trace.get(z).saturating_sub(trace.get(a)));
            data[v * n + i] = t(T_CGROUP, T_REMOVED);
            for &[c, a, z] in &spans[..spans.len() * (v == 0) as usize] {
                data[c * n + i] += t(a, z);
            }
        }
    }

    progress.clear();
    let peak = vm_hwm(b"/proc/self/status");
    let mut hull = 0;
    let mut figs = Vec::new();
    for c in data.chunks_mut(n) {
        figs.push(figures(c, o.n, o.warmup, peak, &mut hull));
    }
    let figs = figs.leak();
    let r = Report {
        command: vars.first().map_or(&[], |p| p.argv.strings()),
        names,
        k,
        figs,
        data,
    };
    if let Some(fd) = svg {
        sys::write_all(fd.as_fd(), &r.svg().0).map_err(|e| Error::sys("write", b"svg", e))?;
    }
    let b = if o.json { r.json() } else { r.text() };
    if let Ok(fd) = out {
        let _ = sys::write_all(fd.as_fd(), &b.0);
    }
    Ok(0)
}

/// Fails with status 128+N when a signal N that hull would pass on to a
/// container is pending (SIGCHLD, every start's, is not one).
fn stopped(signals: sys::BorrowedFd<'_>, forwarded: sys::SigSet) -> Result<(), Error> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = [PollFd::from_borrowed_fd(signals, PollFlags::IN)];
    while poll(&mut fds, Some(&Timespec::default())).is_ok_and(|n| n > 0) {
        let Ok(sig) = sys::read_signal(signals) else {
            break;
        };
        let n = sig.as_raw() as u32;
        if forwarded & sys::sig_bit(n) != 0 {
            let mut m = Buf::new();
            m.s("bench: stopped by signal ")
                .u(n as u64)
                .s(": nothing is left behind");
            return Err(Error::new(128 + n as i32, &m));
        }
    }
    Ok(())
}

/// Names of the things started: hull's container and the baselines.
const VARIANTS: [&str; 3] = ["hull", "floor", "unshare"];

/// The unshare(1) command line for hull's namespaces: the default ones
/// (bit 0: always), and each optional one hull was asked for.
const UNSHARE: &[(u32, &str)] = &[
    (0, "--fork"),
    (0, "--pid"),
    (0, "--uts"),
    (0, "--mount"),
    (0, "--mount-proc"),
    (g::CLONE_NEWNET, "--net"),
    (g::CLONE_NEWIPC, "--ipc"),
    (g::CLONE_NEWCGROUP, "--cgroup"),
];

/// One start, stamped: launch, wait for the exit (pidfd readable), reap.
/// Any failure ends the benchmark: timings of failures mean nothing.
// Out of line: 16 bytes smaller.
#[inline(never)]
fn once(
    plan: &mut Plan,
    cgroup: Option<&Cgroup>,
    debug: bool,
    replan: &mut dyn FnMut() -> Result<Plan, Error>,
) -> Result<(), Error> {
    let (child, _) =
        run::launch(plan, cgroup, debug, replan, &mut |_| Ok(())).map_err(|e| Error {
            code: EXIT_RUNTIME,
            ..e
        })?;
    let _ = sys::wait_readable(child.pidfd.as_fd());
    sys::stamp(plan.trace, T_EXITED);
    let status = run::wait_exit(&child)?;
    sys::stamp(plan.trace, T_REAPED);
    if status == 0 {
        return Ok(());
    }
    let mut m = Buf::new();
    m.s("bench: ").b(plan.exe.to_bytes());
    tpl(
        &mut m,
        " failed with exit status \x01; timings of failed starts are not reported",
        &[status as u64],
    );
    Err(Error::new(EXIT_RUNTIME, &m))
}

/// Nanoseconds as a sample: at most u32::MAX (4.3 s).
pub fn sat(ns: u64) -> u32 {
    ns.min(u32::MAX as u64) as u32
}

/// The figures of one column of samples, in nanoseconds unless said. An
/// unknown figure is `u64::MAX` (JSON null).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub n: u64,
    pub warmup: u64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: u64,
    pub stddev: u64,
    pub starts_per_sec: u64,
    /// hull's median over this one, in thousandths.
    pub ratio: u64,
    /// hull's peak memory, in KiB.
    pub peak_kib: u64,
}

impl Figures {
    /// The figures in the order of [`JSON_OBJECT`], which the text
    /// templates follow too.
    pub fn row(&self) -> [u64; 12] {
        [
            self.n,
            self.warmup,
            self.min,
            self.p50,
            self.p90,
            self.p99,
            self.max,
            self.mean,
            self.stddev,
            self.starts_per_sec,
            self.ratio,
            self.peak_kib,
        ]
    }
}

/// Sorts `col` and works out its figures. The first column is hull's:
/// `hull` keeps its median for the ratios of the next ones.
pub fn figures(col: &mut [u32], n: u32, warmup: u32, peak: u64, hull: &mut u64) -> Figures {
    sort(col);
    let len = col.len().max(1) as u64;
    let mean = col.iter().map(|&x| x as u64).sum::<u64>() / len;
    // Squares split into quotient and remainder by n as they are summed, so
    // neither sum can overflow and the variance comes out exact.
    let (mut q, mut rem) = (0, 0);
    for &x in col.iter() {
        let d2 = (x as u64).abs_diff(mean).saturating_pow(2);
        q += d2 / len;
        rem += d2 % len;
    }
    let var = q + rem / len;
    let p50 = pct(col, 50);
    if *hull == 0 {
        *hull = p50.max(1);
    }
    Figures {
        n: n as u64,
        warmup: warmup as u64,
        min: pct(col, 0),
        p50,
        p90: pct(col, 90),
        p99: pct(col, 99),
        max: pct(col, 100),
        mean,
        stddev: isqrt(var),
        starts_per_sec: 1_000_000_000 / mean.max(1),
        ratio: *hull * 1000 / p50.max(1),
        peak_kib: peak,
    }
}

/// The integer square root, by Newton's method.
pub fn isqrt(v: u64) -> u64 {
    let (mut x, mut y) = (v, v.div_ceil(2));
    while y < x {
        x = y;
        y = (x + v / x) / 2;
    }
    x
}

/// The `p`th percentile (0..=100) of sorted data, by nearest rank: the
/// smallest value with at least p% of the data at or below it.
pub fn pct(sorted: &[u32], p: usize) -> u64 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).map_or(0, |&x| x as u64)
}

/// Heapsort: a few dozen bytes of code, where core's sort costs kilobytes.
pub fn sort(v: &mut [u32]) {
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end);
    }
}

fn sift(v: &mut [u32], mut root: usize, end: usize) {
    loop {
        let mut c = 2 * root + 1;
        if c >= end {
            return;
        }
        if c + 1 < end && v[c] < v[c + 1] {
            c += 1;
        }
        if v[root] >= v[c] {
            return;
        }
        v.swap(root, c);
        root = c;
    }
}

/// Histogram bins between min and p99; the last counts what lies above p99.
pub const BINS: usize = 12;

/// The width of a bin in ns, and the counts (the last one: above p99).
pub fn histogram(sorted: &[u32], f: &Figures) -> (u64, [u64; BINS + 1]) {
    let width = (f.p99 - f.min) / BINS as u64 + 1;
    let mut counts = [0; BINS + 1];
    for &x in sorted {
        let x = x as u64;
        let bin = if x > f.p99 {
            BINS
        } else {
            ((x - f.min) / width) as usize
        };
        counts[bin] += 1;
    }
    (width, counts)
}

/// Appends the histogram of `sorted` (with its figures `f`): a line of
/// `#`s per bin (text), or `{"from":…,"width":…,"above":…,"counts":[…]}`.
pub fn hist(b: &mut Buf, json: bool, sorted: &[u32], f: &Figures) {
    let (width, counts) = histogram(sorted, f);
    if json {
        tpl(
            b,
            "{\"from\":\x01,\"width\":\x01,\"above\":\x01,\"counts\":[",
            &[f.min, width, counts[BINS]],
        );
    }
    let top = counts.iter().max().unwrap_or(&1);
    for (i, &c) in counts.iter().enumerate() {
        if json {
            if i == BINS {
                break;
            }
            sep(b, i);
        } else if i < BINS {
            tpl(b, "  \x02 ", &[f.min + i as u64 * width]);
        } else if c > 0 {
            tpl(b, " >\x02 ", &[f.p99]);
        } else {
            break;
        }
        for _ in 0..(c * 40).div_ceil(*top) * !json as u64 {
            b.s("#");
        }
        tpl(b, [" \x01\n", "\x01"][json as usize], &[c]);
    }
    if json {
        b.s("]}");
    }
}

/// The one-line progress display of a long run, on standard error when
/// it is a terminal (nothing otherwise): redrawn in place at most four
/// times a second, cleared at the end.
pub struct Progress {
    /// When the run began; 0 when there is no terminal to draw on.
    t0: u64,
    /// No redraw before this.
    next: u64,
}

impl Progress {
    pub fn start() -> Progress {
        let t0 = sys::monotonic_ns() * rustix::termios::isatty(sys::stderr()) as u64;
        Progress { t0, next: t0 }
    }

    /// After `done` rounds of `all`: the count, the time taken and left,
    /// and the median so far (of the last 1000 samples) of `k` columns;
    /// `col(i)` gives column i's name and samples.
    pub fn show<'a>(
        &mut self,
        done: usize,
        all: usize,
        k: usize,
        col: &dyn Fn(usize) -> (&'a [u8], &'a [u32]),
    ) {
        let now = sys::monotonic_ns();
        if self.t0 == 0 || now < self.next {
            return;
        }
        self.next = now + 250_000_000;
        let took = now - self.t0;
        let left = took / done.max(1) as u64 * (all - done) as u64;
        let mut b = Buf::new();
        tpl(&mut b, "\r\x01/\x01 rounds", &[done as u64, all as u64]);
        for (t, what) in [(took, " elapsed"), (left, " left")] {
            let t = t / 1_000_000_000;
            tpl(&mut b, "  \x01:", &[t / 60]);
            b.u(t % 60 / 10).u(t % 10).s(what);
        }
        for i in 0..k {
            let (name, c) = col(i);
            if c.is_empty() {
                break;
            }
            let mut last = c[c.len().saturating_sub(1000)..].to_vec();
            sort(&mut last);
            b.s("  ").b(name);
            tpl(&mut b, " \x02 ms", &[pct(&last, 50)]);
        }
        eprint(&b.s("\x1b[K").0);
    }

    /// Clears the line.
    pub fn clear(&self) {
        if self.t0 != 0 {
            eprint(b"\r\x1b[K");
        }
    }
}

/// The start of every chart: its canvas, and the title up to the command
/// or bundle. Text is centred unless it says otherwise (fewer attributes).
pub const SVG_HEAD: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\" font-family=\"sans-serif\" font-size=\"12\" text-anchor=\"middle\">\n<rect width=\"640\" height=\"400\" fill=\"#fff\"/>\n<text x=\"340\" y=\"22\">hull bench:";

/// The peak resident memory in KiB (VmHWM) in `status` (a
/// `/proc/PID/status`), or u64::MAX without /proc.
pub fn vm_hwm(status: &[u8]) -> u64 {
    let text = crate::util::file::read_file(status).unwrap_or_default();
    let mut lines = &text[..];
    while !lines.is_empty() {
        // "VmHWM:\t     132 kB"
        let mut line = tok(&mut lines, b'\n');
        if tok(&mut line, b':') == b"VmHWM" {
            let mut k = 0;
            for &c in line {
                match c {
                    b'0'..=b'9' => k = k * 10 + (c - b'0') as u64,
                    b' ' | b'\t' => {}
                    _ => break,
                }
            }
            return k;
        }
    }
    u64::MAX
}

/// Appends template `t`, taking the next of `args` at each control byte:
/// `\x01` decimal (`null` for u64::MAX), `\x02` milliseconds from
/// nanoseconds ("0.812"), `\x03` thousandths ("1.138"), `\x05` skips it.
/// Templates over [`Figures`] keep the report writers small, where chains
/// of appends would cost kilobytes.
pub fn tpl(b: &mut Buf, t: &str, args: &[u64]) {
    let mut a = args.iter();
    for &c in t.as_bytes() {
        if c > 5 {
            b.0.push(c);
            continue;
        }
        let mut v = *a.next().unwrap_or(&0);
        match c {
            1 if v == u64::MAX => {
                b.s("null");
            }
            1 => {
                b.u(v);
            }
            2 | 3 => {
                // Thousandths: the whole part, then 1000 + the fraction
                // with its leading 1 turned into the point (no Buf::fixed).
                if c == 2 {
                    v /= 1000;
                }
                let at = b.u(v / 1000).0.len();
                b.u(1000 + v % 1000).0[at] = b'.';
            }
            _ => {}
        }
    }
}

/// A comma before every item of a JSON list but the first.
pub fn sep(b: &mut Buf, i: usize) {
    if i > 0 {
        b.s(",");
    }
}

/// One variant's figures as JSON members, and as an object.
pub const JSON_OBJECT: &str = "{\"n\":\x01,\"warmup\":\x01,\"min\":\x01,\"p50\":\x01,\"p90\":\x01,\"p99\":\x01,\"max\":\x01,\"mean\":\x01,\"stddev\":\x01,\"starts_per_sec\":\x01,\"ratio\":\x03,\"peak_kib\":\x01}";
const JSON_FIGURES: &str = JSON_OBJECT.split_at(1).1.split_at(JSON_OBJECT.len() - 2).0;

/// Everything measured, ready to print.
pub struct Report<'a> {
    pub command: &'a [CString],
    /// Column names: the variants (hull first), then the phases.
    pub names: &'a [&'a str],
    /// How many columns are variants.
    pub k: usize,
    /// The figures of each column.
    pub figs: &'a [Figures],
    /// The sorted samples, column after column.
    pub data: &'a [u32],
}

impl Report<'_> {
    fn col(&self, c: usize) -> &[u32] {
        let n = self.data.len() / self.figs.len();
        &self.data[c * n..][..n]
    }

    /// The terminal report.
    pub fn text(&self) -> Buf {
        self.report(false)
    }

    /// The same figures as one JSON object (schema in docs/performance.md).
    pub fn json(&self) -> Buf {
        self.report(true)
    }

    /// The terminal report, or (`json`) the JSON object: one walk over the
    /// figures for both, each part from a pair of templates (two writers
    /// measured 344 bytes larger).
    fn report(&self, json: bool) -> Buf {
        let f = &self.figs[0];
        let mut b = Buf::new();
        b.s(if json {
            "{\"command\":["
        } else {
            "hull bench:"
        });
        for (i, a) in self.command.iter().enumerate() {
            if json {
                sep(&mut b, i);
                crate::util::json::write_str(&mut b, a.to_bytes());
            } else {
                b.s(" ").b(a.to_bytes());
            }
        }
        if json {
            b.s("],\"unit\":\"ns\",");
            tpl(&mut b, JSON_FIGURES, &f.row());
        } else {
            tpl(
                &mut b,
                "\n  \x01 starts after \x01 warm-up, clone3 to reaped, in ms:\n  min \x02  p50 \x02  p90 \x02  p99 \x02  max \x02\n  mean \x02  stddev \x02  \x01 starts/s",
                &f.row(),
            );
            if f.peak_kib != u64::MAX {
                tpl(&mut b, "  peak memory \x01 KiB", &[f.peak_kib]);
            }
        }
        b.s(if json {
            ",\"phases\":{"
        } else {
            "\nphases (median):\n"
        });
        for c in self.k..self.names.len() {
            self.item(&mut b, json, c, c - self.k);
            tpl(
                &mut b,
                ["\x02\n", "\x01"][json as usize],
                &[self.figs[c].p50],
            );
        }
        b.s(if json {
            "},\"histogram\":"
        } else {
            "histogram:\n"
        });
        hist(&mut b, json, self.col(0), f);
        if json {
            b.s(",\"compare\":");
        } else if self.k > 1 {
            b.s("compare (median, p99; hull's median over each):\n");
        }
        // Text: every variant's row; JSON: an object for each baseline.
        for c in json as usize..self.k {
            if json {
                b.s(["{", ""][(c > 1) as usize]);
            }
            self.item(&mut b, json, c, c.saturating_sub(1));
            tpl(
                &mut b,
                [
                    "\x05\x05\x05\x02  \x05\x02  \x05\x05\x05\x05\x03x\n",
                    JSON_OBJECT,
                ][json as usize],
                &self.figs[c].row(),
            );
        }
        if json {
            b.s(if self.k > 1 { "}}\n" } else { "null}\n" });
        }
        b
    }

    /// Starts an item named after column `c`, the `i`th of its list: a
    /// line of the text report with the name in a column, or a JSON member.
    fn item(&self, b: &mut Buf, json: bool, c: usize, i: usize) {
        let name = self.names[c];
        if json {
            sep(b, i);
            b.s("\"").s(name).s("\":");
            return;
        }
        // Padded to 24 columns, with at least one space.
        b.s("  ")
            .s(name)
            .s(&"                      "[name.len().min(21)..]);
    }

    /// A self-contained SVG chart: the latency CDF of each variant, up to
    /// the largest p99 or twice the largest median, whichever is less (a
    /// noisy tail would squash the rest).
    pub fn svg(&self) -> Buf {
        let (mut lo, mut p50, mut p99) = (u64::MAX, 0, 0);
        for f in &self.figs[..self.k] {
            lo = lo.min(f.min);
            p50 = p50.max(f.p50);
            p99 = p99.max(f.p99);
        }
        let hi = p99.min(2 * p50).max(lo + 1);
        let mut b = Buf::new();
        b.s(SVG_HEAD);
        for a in self.command {
            xml_text(b.s(" "), a.to_bytes());
        }
        tpl(
            &mut b,
            " (n=\x01)</text>\n<text x=\"340\" y=\"392\">start latency CDF, ms, clone3 to reaped</text>\n",
            &[self.figs[0].n],
        );
        for i in 0..5 {
            // Grid lines and labels at the quarters of each axis.
            let (x, y) = (60 + i * 140, 340 - i * 75);
            tpl(
                &mut b,
                "<path stroke=\"#ccc\" d=\"M60 \x01H620M\x01 40V340\"/>\n<text x=\"54\" y=\"\x01\" text-anchor=\"end\">\x01%</text>\n<text x=\"\x01\" y=\"358\">\x02</text>\n",
                &[y, x, y + 4, i * 25, x, lo + (hi - lo) * i / 4],
            );
        }
        for v in 0..self.k {
            // Blue, red, green: a hue each, computed rather than a table.
            let hue = (210 + 150 * v as u64) % 360;
            tpl(
                &mut b,
                "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"hsl(\x01,70%,45%)\" points=\"",
                &[hue],
            );
            for q in 0..=100 {
                let x = pct(self.col(v), q as usize);
                if x <= hi {
                    tpl(
                        &mut b,
                        "\x01,\x01 ",
                        &[60 + (x - lo) * 560 / (hi - lo), 340 - q * 3],
                    );
                }
            }
            tpl(
                &mut b,
                "\"/>\n<text x=\"70\" y=\"\x01\" fill=\"hsl(\x01,70%,45%)\" text-anchor=\"start\">",
                &[60 + 16 * v as u64, hue],
            );
            b.s(self.names[v]).s("</text>\n");
        }
        b.s("</svg>\n");
        b
    }
}

/// Text for an XML element: `&`, `<` and `>` as entities.
pub fn xml_text(b: &mut Buf, s: &[u8]) {
    for &c in s {
        match c {
            b'&' => b.s("&amp;"),
            b'<' => b.s("&lt;"),
            b'>' => b.s("&gt;"),
            _ => b.b(&[c]),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts() {
        let mut v = vec![5, 3, 9, 1, 1, 8, 0, 7];
        sort(&mut v);
        assert_eq!(v, [0, 1, 1, 3, 5, 7, 8, 9]);
        let mut v: Vec<u32> = (0..1000).map(|i| (i * 7919) % 1009).collect();
        let mut w = v.clone();
        sort(&mut v);
        w.sort();
        assert_eq!(v, w);
        sort(&mut []);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!((pct(&v, 0), pct(&v, 50), pct(&v, 99)), (1, 50, 99));
        assert_eq!(pct(&v, 100), 100);
        let v = [10, 20, 30, 40];
        assert_eq!((pct(&v, 50), pct(&v, 90), pct(&v, 99)), (20, 40, 40));
        assert_eq!(pct(&[7], 50), 7);
        assert_eq!(pct(&[], 50), 0);
    }

    #[test]
    fn square_roots() {
        for v in [0u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, u32::MAX as u64 * 7] {
            let r = isqrt(v);
            assert!(r * r <= v && (r + 1) * (r + 1) > v, "isqrt({v}) = {r}");
        }
    }

    #[test]
    fn figures_of_a_column() {
        let mut v = vec![9, 2, 4, 4, 4, 5, 5, 7];
        let mut hull = 0;
        let f = figures(&mut v, 8, 3, 100, &mut hull);
        assert_eq!(v, [2, 4, 4, 4, 5, 5, 7, 9]);
        // n, warmup, min, p50, p90, p99, max, mean, stddev, starts/s, ratio, peak
        assert_eq!(f.row(), [8, 3, 2, 4, 9, 9, 9, 5, 2, 200_000_000, 1000, 100]);
        assert_eq!((f.p50, f.p99, f.ratio), (4, 9, 1000));
        let mut v = vec![8; 3];
        assert_eq!(figures(&mut v, 3, 0, 0, &mut hull).ratio, 500);
        let mut v = vec![u32::MAX; 3];
        let f = figures(&mut v, 3, 0, u64::MAX, &mut 0);
        assert_eq!(
            (f.mean, f.stddev, f.peak_kib),
            (u32::MAX as u64, 0, u64::MAX)
        );
    }

    #[test]
    fn histogram_bins_to_p99_and_counts_the_rest() {
        let mut v: Vec<u32> = (0..100).collect();
        let f = figures(&mut v, 100, 0, 0, &mut 0);
        let (width, counts) = histogram(&v, &f);
        assert_eq!(width, 99 / 12 + 1);
        assert_eq!(counts.iter().sum::<u64>(), 100);
        assert_eq!((counts[0], counts[BINS]), (9, 1));
    }

    #[test]
    fn templates_and_escapes() {
        let mut b = Buf::new();
        tpl(
            &mut b,
            "a\x01 b\x02 c\x03 \x05d\x01",
            &[7, 1_234_567, 1138, 9, u64::MAX],
        );
        assert_eq!(b.as_bytes(), b"a7 b1.234 c1.138 dnull");
        let mut b = Buf::new();
        crate::util::json::write_str(&mut b, b"a\"b\\c\n\x1f");
        assert_eq!(b.as_bytes(), br#""a\"b\\c\u000a\u001f""#);
        let mut b = Buf::new();
        xml_text(&mut b, b"a<b>&c");
        assert_eq!(b.as_bytes(), b"a&lt;b&gt;&amp;c");
    }

    /// Two variants of 50 samples each, and two phases.
    fn report(f: impl FnOnce(&Report)) {
        let mut data: Vec<u32> = (0..50).map(|i| 800_000 + i * 1000).collect();
        data.extend((0..50).map(|i| 700_000 + i * 1000));
        data.extend([1000; 50]);
        data.extend([3000; 50]);
        let mut hull = 0;
        let figs: Vec<Figures> = data
            .chunks_mut(50)
            .map(|c| figures(c, 50, 2, 120, &mut hull))
            .collect();
        let command = [CString::from(c"/bin/true"), CString::from(c"a\"<b")];
        f(&Report {
            command: &command,
            names: &["hull", "floor", "clone3", "reap"],
            k: 2,
            figs: &figs,
            data: &data,
        });
    }

    #[test]
    fn json_report() {
        report(|r| {
            let j = String::from_utf8(r.json().0).unwrap();
            let figures = r#""n":50,"warmup":2,"min":800000,"p50":824000,"p90":844000,"p99":849000,"max":849000,"mean":824500,"stddev":14430,"starts_per_sec":1212,"ratio":1.000,"peak_kib":120"#;
            let head = format!(
                r#"{{"command":["/bin/true","a\"<b"],"unit":"ns",{figures},"phases":{{"clone3":1000,"reap":3000}},"histogram":{{"from":800000,"width":4084,"above":0,"counts":[5,4,4,4,4,4,4,4,4,4,4,5]}},"compare":{{"floor":{{"#
            );
            assert!(j.starts_with(&head), "{j}");
            assert!(
                j.ends_with(
                    r#""ratio":1.138,"peak_kib":120}}}
"#
                ),
                "{j}"
            );
        });
    }

    #[test]
    fn text_report() {
        report(|r| {
            let t = String::from_utf8(r.text().0).unwrap();
            assert!(t.starts_with("hull bench: /bin/true a\"<b\n  50 starts after 2 warm-up, clone3 to reaped, in ms:\n  min 0.800  p50 0.824  p90 0.844  p99 0.849  max 0.849\n  mean 0.824  stddev 0.014  1212 starts/s  peak memory 120 KiB\nphases (median):\n  clone3                0.001\n  reap                  0.003\nhistogram:\n  0.800 ######################################## 5\n"), "{t}");
            assert!(
                t.contains("\n  0.844 ######################################## 5\ncompare"),
                "{t}"
            );
            assert!(t.ends_with("compare (median, p99; hull's median over each):\n  hull                  0.824  0.849  1.000x\n  floor                 0.724  0.749  1.138x\n"), "{t}");
        });
    }

    #[test]
    fn svg_report() {
        report(|r| {
            let s = String::from_utf8(r.svg().0).unwrap();
            assert!(
                s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
                "{s}"
            );
            assert!(s.contains("hull bench: /bin/true a\"&lt;b (n=50)"), "{s}");
            assert_eq!(s.matches("<polyline").count(), 2);
            assert!(s.ends_with("</svg>\n"));
        });
    }
}
