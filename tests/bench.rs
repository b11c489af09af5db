//! `hull bench` end to end: the real binary, as root. No assertion here is
//! about speed (the machine is shared); they check the figures' shape, their
//! order, the files written and how failures stop the benchmark.
//!
//! `hull bench` is built in by default (the `bench` feature); built with
//! `--no-default-features`, only the refusal is checked.

mod common;
use common::*;

#[cfg(not(feature = "bench"))]
#[test]
fn without_the_feature_bench_says_how_to_get_it() {
    let o = run(&["bench", "/bin/true"]);
    assert_eq!(o.status.code(), Some(125));
    assert_eq!(
        stderr(&o),
        "hull: bench: not built in (cargo build --release --features bench)\n"
    );
}

#[cfg(feature = "bench")]
mod with_bench {
    use super::*;

    /// A JSON value, parsed strictly enough to catch malformed output.
    #[derive(Debug, PartialEq)]
    enum Json {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Arr(Vec<Json>),
        Obj(Vec<(String, Json)>),
    }

    impl Json {
        fn get(&self, key: &str) -> &Json {
            match self {
                Json::Obj(m) => {
                    &m.iter()
                        .find(|(k, _)| k == key)
                        .unwrap_or_else(|| panic!("no {key:?} in {self:?}"))
                        .1
                }
                _ => panic!("{key:?}: not an object: {self:?}"),
            }
        }
        fn num(&self, key: &str) -> f64 {
            match self.get(key) {
                Json::Num(n) => *n,
                v => panic!("{key:?} is not a number: {v:?}"),
            }
        }
    }

    /// Parses one JSON document (whitespace around it allowed, nothing else).
    fn parse_json(s: &str) -> Json {
        let b = s.as_bytes();
        let mut i = 0;
        let v = value(b, &mut i);
        skip_ws(b, &mut i);
        assert_eq!(i, b.len(), "trailing bytes after the JSON value: {s}");
        v
    }

    fn skip_ws(b: &[u8], i: &mut usize) {
        while *i < b.len() && b" \t\r\n".contains(&b[*i]) {
            *i += 1;
        }
    }

    fn expect(b: &[u8], i: &mut usize, lit: &[u8]) {
        assert!(
            b[*i..].starts_with(lit),
            "expected {:?} at byte {}",
            std::str::from_utf8(lit),
            *i
        );
        *i += lit.len();
    }

    fn value(b: &[u8], i: &mut usize) -> Json {
        skip_ws(b, i);
        match b[*i] {
            b'n' => {
                expect(b, i, b"null");
                Json::Null
            }
            b't' => {
                expect(b, i, b"true");
                Json::Bool(true)
            }
            b'f' => {
                expect(b, i, b"false");
                Json::Bool(false)
            }
            b'"' => Json::Str(string(b, i)),
            b'[' => {
                *i += 1;
                let mut v = Vec::new();
                skip_ws(b, i);
                if b[*i] == b']' {
                    *i += 1;
                    return Json::Arr(v);
                }
                loop {
                    v.push(value(b, i));
                    skip_ws(b, i);
                    *i += 1;
                    match b[*i - 1] {
                        b',' => {}
                        b']' => return Json::Arr(v),
                        c => panic!("bad array separator {:?} at {}", c as char, *i),
                    }
                }
            }
            b'{' => {
                *i += 1;
                let mut m = Vec::new();
                skip_ws(b, i);
                if b[*i] == b'}' {
                    *i += 1;
                    return Json::Obj(m);
                }
                loop {
                    skip_ws(b, i);
                    let k = string(b, i);
                    skip_ws(b, i);
                    expect(b, i, b":");
                    assert!(!m.iter().any(|(x, _)| *x == k), "duplicate key {k}");
                    m.push((k, value(b, i)));
                    skip_ws(b, i);
                    *i += 1;
                    match b[*i - 1] {
                        b',' => {}
                        b'}' => return Json::Obj(m),
                        c => panic!("bad object separator {:?} at {}", c as char, *i),
                    }
                }
            }
            _ => {
                let start = *i;
                while *i < b.len() && b"-+.eE0123456789".contains(&b[*i]) {
                    *i += 1;
                }
                let t = std::str::from_utf8(&b[start..*i]).unwrap();
                assert!(
                    !t.is_empty() && !t.starts_with('+'),
                    "bad value at byte {start}"
                );
                Json::Num(t.parse().unwrap_or_else(|_| panic!("bad number {t:?}")))
            }
        }
    }

    fn string(b: &[u8], i: &mut usize) -> String {
        expect(b, i, b"\"");
        let mut out = String::new();
        loop {
            let c = b[*i];
            *i += 1;
            match c {
                b'"' => return out,
                b'\\' => {
                    let e = b[*i];
                    *i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e as char),
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let h = std::str::from_utf8(&b[*i..*i + 4]).unwrap();
                            out.push(char::from_u32(u32::from_str_radix(h, 16).unwrap()).unwrap());
                            *i += 4;
                        }
                        _ => panic!("bad escape \\{}", e as char),
                    }
                }
                c if c < 0x20 => panic!("raw control byte in a string"),
                c => out.push(c as char),
            }
        }
    }

    const FIGURES: [&str; 12] = [
        "n",
        "warmup",
        "min",
        "p50",
        "p90",
        "p99",
        "max",
        "mean",
        "stddev",
        "starts_per_sec",
        "ratio",
        "peak_kib",
    ];

    /// The keys of an object, in the order printed.
    fn keys(v: &Json) -> Vec<&str> {
        match v {
            Json::Obj(m) => m.iter().map(|(k, _)| k.as_str()).collect(),
            _ => panic!("not an object: {v:?}"),
        }
    }

    /// The top-level keys, in docs/performance.md's order (its `--json` table).
    const TOP: [&str; 17] = [
        "command",
        "unit",
        "n",
        "warmup",
        "min",
        "p50",
        "p90",
        "p99",
        "max",
        "mean",
        "stddev",
        "starts_per_sec",
        "ratio",
        "peak_kib",
        "phases",
        "histogram",
        "compare",
    ];

    fn check_figures(v: &Json, n: f64) {
        for k in FIGURES {
            v.num(k);
        }
        assert_eq!(v.num("n"), n);
        let p: Vec<f64> = ["min", "p50", "p90", "p99", "max"]
            .iter()
            .map(|k| v.num(k))
            .collect();
        assert!(
            p.windows(2).all(|w| w[0] <= w[1]),
            "percentiles out of order: {p:?}"
        );
        assert!(p[0] > 0.0, "a start cannot take 0 ns");
        assert!(p[0] <= v.num("mean") && v.num("mean") <= p[4]);
    }

    #[test]
    fn json_has_the_documented_fields_in_order() {
        if !need_root("json_has_the_documented_fields_in_order") {
            return;
        }
        let o = run(&[
            "bench",
            "-n",
            "20",
            "--warmup",
            "2",
            "--json",
            "--",
            "/bin/true",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let j = parse_json(&stdout(&o));
        // Every documented field, in the documented order, and no other.
        assert_eq!(keys(&j), TOP);
        assert_eq!(TOP[2..14], FIGURES);
        check_figures(&j, 20.0);
        assert_eq!(
            j.get("command"),
            &Json::Arr(vec![Json::Str("/bin/true".into())])
        );
        assert_eq!(j.get("unit"), &Json::Str("ns".into()));
        assert_eq!(j.num("warmup"), 2.0);
        assert_eq!(j.num("ratio"), 1.0);
        assert!(j.num("peak_kib") > 0.0);
        assert_eq!(j.get("compare"), &Json::Null);
        // One phase per kind of step, in the order they run.
        let Json::Obj(phases) = j.get("phases") else {
            panic!("phases")
        };
        let names: Vec<&str> = phases.iter().map(|(k, _)| k.as_str()).collect();
        // (Other steps come and go as hull grows: each kind gets its phase.)
        // The container's own cgroup is made before the clone and removed
        // after the reap: both are part of every start.
        assert_eq!(names[..2], ["cgroup", "clone3"]);
        assert_eq!(
            names[names.len() - 3..],
            ["execve to exit", "reap", "cgroup removal"]
        );
        for step in [
            "make mounts private",
            "sethostname",
            "chdir",
            "mount proc on",
        ] {
            assert!(names.contains(&step), "no phase {step}: {names:?}");
        }
        // The phases are parts of one start: their medians cannot add up to
        // much more than the slowest start.
        let sum: f64 = phases
            .iter()
            .map(|(_, v)| if let Json::Num(n) = v { *n } else { panic!() })
            .sum();
        assert!(
            sum <= j.num("max") * 1.5,
            "phases {sum} vs max {}",
            j.num("max")
        );
        let h = j.get("histogram");
        assert_eq!(keys(h), ["from", "width", "above", "counts"]);
        let Json::Arr(counts) = h.get("counts") else {
            panic!("counts")
        };
        let total: f64 = counts
            .iter()
            .map(|c| if let Json::Num(n) = c { *n } else { panic!() })
            .sum();
        assert_eq!(total + h.num("above"), 20.0);
        assert_eq!(h.num("from"), j.num("min"));
    }

    #[test]
    fn options_of_run_apply_and_new_steps_get_phases() {
        if !need_root("options_of_run_apply_and_new_steps_get_phases") {
            return;
        }
        let o = run(&[
            "bench",
            "-n",
            "3",
            "--warmup=0",
            "--json",
            "--net",
            "--hostname",
            "b",
            "true",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let j = parse_json(&stdout(&o));
        j.get("phases").num("bring up loopback");
        assert_eq!(j.num("warmup"), 0.0);
    }

    #[test]
    fn compare_interleaves_the_floor_and_unshare() {
        if !need_root("compare_interleaves_the_floor_and_unshare")
            || !need_tool("compare", "unshare")
        {
            return;
        }
        let o = run(&[
            "bench",
            "-n",
            "10",
            "--compare",
            "--json",
            "--",
            "/bin/true",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let j = parse_json(&stdout(&o));
        assert_eq!(keys(&j), TOP);
        assert_eq!(keys(j.get("compare")), ["floor", "unshare"]);
        for peer in ["floor", "unshare"] {
            let p = j.get("compare").get(peer);
            // "each with the fields n to peak_kib", in that order.
            assert_eq!(keys(p), FIGURES, "{peer}");
            check_figures(p, 10.0);
            let r = p.num("ratio");
            assert!(
                (r - j.num("p50") / p.num("p50")).abs() < 0.01,
                "{peer}: ratio {r}"
            );
        }
        // The text report says the same.
        let o = run(&["bench", "-n", "5", "--compare", "/bin/true"]);
        let t = stdout(&o);
        assert!(
            t.contains("\ncompare (median, p99; hull's median over each):\n  hull "),
            "{t}"
        );
        assert!(
            t.contains("\n  floor ") && t.contains("\n  unshare "),
            "{t}"
        );
    }

    #[test]
    fn the_command_output_stays_out_of_the_report() {
        if !need_root("the_command_output_stays_out_of_the_report") {
            return;
        }
        let o = run(&["bench", "-n", "3", "--json", "--", "echo", "noise"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // Only the report: one line, which must parse.
        assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
        parse_json(&stdout(&o));
    }

    #[test]
    fn svg_is_well_formed() {
        if !need_root("svg_is_well_formed") {
            return;
        }
        let path = std::env::temp_dir().join(format!("hull-bench-{}.svg", std::process::id()));
        let p = path.to_str().unwrap();
        // A command with the three characters XML text must escape: the
        // chart's title names it.
        let o = run(&[
            "bench",
            "-n",
            "20",
            "--svg",
            p,
            "--",
            "sh",
            "-c",
            "test 1 -lt 2 && true # <x>",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(svg.starts_with("<svg ") && svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
        // Balanced tags, one root, nothing outside it, attributes quoted.
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = svg.trim_end();
        let mut roots = 0;
        while let Some(lt) = rest.find('<') {
            assert!(
                !stack.is_empty() || rest[..lt].trim().is_empty(),
                "text outside the root"
            );
            let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
            let tag = &rest[lt + 1..gt];
            assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                if stack.is_empty() {
                    roots += 1;
                }
                stack.push(tag.split_whitespace().next().unwrap());
            }
            rest = &rest[gt + 1..];
        }
        assert!(
            stack.is_empty() && rest.trim().is_empty(),
            "unclosed: {stack:?}"
        );
        assert_eq!(roots, 1);
        assert!(svg.contains("<polyline"));
        // The command, escaped...
        assert!(
            svg.contains(
                ">hull bench: sh -c test 1 -lt 2 &amp;&amp; true # &lt;x&gt; (n=20)</text>"
            ),
            "{svg}"
        );
        // ... and every '&' in the file starts one of XML's entities.
        for (i, _) in svg.match_indices('&') {
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| svg[i..].starts_with(e)),
                "a bare '&' at {i}: {}",
                &svg[i..(i + 20).min(svg.len())]
            );
        }
    }

    #[test]
    fn a_failing_command_stops_the_benchmark() {
        if !need_root("a_failing_command_stops_the_benchmark") {
            return;
        }
        let o = run(&["bench", "-n", "5", "--", "/bin/false"]);
        assert_eq!(o.status.code(), Some(125));
        assert_eq!(
            stderr(&o),
            "hull: bench: /bin/false failed with exit status 1; timings of failed starts are not reported\n"
        );
        assert_eq!(stdout(&o), "", "no timings of failures");
        let o = run(&["bench", "-n", "5", "--json", "--", "sh", "-c", "exit 7"]);
        assert_eq!(o.status.code(), Some(125));
        assert!(
            stderr(&o).contains("failed with exit status 7;"),
            "{}",
            stderr(&o)
        );
        assert_eq!(stdout(&o), "");
        // A failed setup step stops it too, named as hull run names it.
        let o = run(&[
            "bench",
            "-n",
            "5",
            "-w",
            "/nonexistent-dir",
            "--",
            "/bin/true",
        ]);
        assert_eq!(o.status.code(), Some(125));
        assert_eq!(
            stderr(&o),
            "hull: chdir /nonexistent-dir: No such file or directory\n"
        );
        // And the chart's file is checked before anything starts.
        let o = run(&["bench", "--svg", "/nonexistent-dir/x.svg", "/bin/true"]);
        assert_eq!(o.status.code(), Some(125));
        assert!(
            stderr(&o).starts_with("hull: open /nonexistent-dir/x.svg: "),
            "{}",
            stderr(&o)
        );
    }

    #[test]
    fn bad_counts_are_usage_errors() {
        let o = run(&["bench", "-n", "0", "/bin/true"]);
        assert_eq!(o.status.code(), Some(125));
        assert!(stderr(&o).starts_with("hull: -n: expected a whole number from 1 to 10000000\n"));
        let o = run(&["bench", "--help"]);
        assert!(stdout(&o).starts_with("usage: hull bench "));
    }
}
