//! The crate's layering (issue 14), read from the source: no import
//! circle between files, and none of the edges the layers forbid. An
//! import is a `crate::…` or `super::…` path in code (comments and doc
//! links are not imports; a file's test module may reach anything).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a layer may not import: (the importing top-level module, those it
/// must not reach; `*` is every module but the listed exceptions after
/// `!`).
const FORBIDDEN: &[(&str, &str)] = &[
    // The syscall layer imports nothing of the crate.
    ("sys", "* !sys"),
    // Helpers: the syscall layer only.
    ("util", "* !util !sys"),
    ("error", "* !error !util !sys"),
    // The container as data: front-end neutral.
    ("spec", "* !spec !util !error !sys"),
    // The planner never reaches a front-end, the parent, the child or
    // the bench.
    ("plan", "cli oci run child bench lib main"),
    // The child does only syscalls over the plan.
    ("child", "cli oci run bench cgroup lib main"),
    // The docker-like front-end: argv -> Spec (and bench's options), from
    // the data and the helpers alone; never the other front-end.
    ("cli", "* !cli !spec !util !error"),
    ("oci", "cli"),
];

/// Every .rs file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file of module path `parts` under src/, if there is one: the
/// longest prefix that names a file (`a/b.rs`, `a/b/mod.rs`).
fn file_of(src: &Path, parts: &[&str]) -> Option<PathBuf> {
    (1..=parts.len()).rev().find_map(|n| {
        let base = src.join(parts[..n].join("/"));
        [base.with_extension("rs"), base.join("mod.rs")]
            .into_iter()
            .find(|f| f.is_file())
    })
}

/// The module path of `file` (src/oci/cmd.rs: ["oci", "cmd"]).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The path segments that follow each `prefix` in `line`
/// (`crate::a::b::{c, d}` gives [a, b]).
fn paths<'a>(line: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let segs: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
        if !segs.is_empty() {
            out.push(segs);
        }
    }
    out
}

/// file -> the files it imports (itself left out).
fn graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut g = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let module = module_of(src, f);
        let parent: Vec<&str> = module[..module.len().saturating_sub(1)]
            .iter()
            .map(String::as_str)
            .collect();
        let mut to = BTreeSet::new();
        for line in text.lines() {
            let code = line.trim_start();
            if code.starts_with("#[cfg(test)]") {
                break;
            }
            if code.starts_with("//") {
                continue;
            }
            let code = code.split(" //").next().unwrap_or(code);
            for segs in paths(code, "crate::") {
                to.extend(file_of(src, &segs));
            }
            for segs in paths(code, "super::") {
                let mut full = parent.clone();
                full.extend(segs.iter().filter(|s| **s != "super"));
                to.extend(file_of(src, &full));
            }
        }
        to.remove(f);
        g.insert(f.clone(), to);
    }
    g
}

/// A circle in `g`, if there is one, as the files around it.
fn circle(g: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    // 0 unvisited, 1 on the current path, 2 done.
    fn visit(
        f: &PathBuf,
        g: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        mark: &mut BTreeMap<PathBuf, u8>,
        path: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        match mark.get(f).copied().unwrap_or(0) {
            1 => {
                let at = path.iter().position(|p| p == f).unwrap();
                return Some(path[at..].to_vec());
            }
            2 => return None,
            _ => {}
        }
        mark.insert(f.clone(), 1);
        path.push(f.clone());
        for t in g.get(f).into_iter().flatten() {
            if let Some(c) = visit(t, g, mark, path) {
                return Some(c);
            }
        }
        path.pop();
        mark.insert(f.clone(), 2);
        None
    }
    let mut mark = BTreeMap::new();
    g.keys()
        .find_map(|f| visit(f, g, &mut mark, &mut Vec::new()))
}

/// The edges of `g` that [`FORBIDDEN`] forbids, as "from -> to".
fn forbidden(src: &Path, g: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<String> {
    let top = |f: &Path| module_of(src, f).first().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (from, tos) in g {
        for to in tos {
            let (a, b) = (top(from), top(to));
            let banned = FORBIDDEN.iter().any(|(layer, rule)| {
                let words: Vec<&str> = rule.split(' ').collect();
                *layer == a
                    && if words[0] == "*" {
                        !words.contains(&format!("!{b}").as_str())
                    } else {
                        words.contains(&b.as_str())
                    }
            });
            if banned {
                out.push(format!("{} -> {}", from.display(), to.display()));
            }
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_file_imports_its_way_back_to_itself() {
    let src = src();
    let g = graph(&src);
    assert!(g.len() > 40, "read {} files", g.len());
    if let Some(c) = circle(&g) {
        let names: Vec<String> = c.iter().map(|f| f.display().to_string()).collect();
        panic!("import circle: {}", names.join(" -> "));
    }
}

#[test]
fn no_layer_reaches_what_it_must_not() {
    let src = src();
    let bad = forbidden(&src, &graph(&src));
    assert!(bad.is_empty(), "forbidden imports:\n{}", bad.join("\n"));
}

/// The checks themselves, on a made-up tree: they must see an edge added.
#[test]
fn the_checks_catch_a_circle_and_a_forbidden_edge() {
    let dir = std::env::temp_dir().join(format!("hull-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sys")).unwrap();
    std::fs::create_dir_all(dir.join("oci")).unwrap();
    let put = |p: &str, s: &str| std::fs::write(dir.join(p), s).unwrap();
    put("sys/mod.rs", "// crate::run in a comment is no import\n");
    put(
        "run.rs",
        "use crate::sys::{self, Fork};\nuse crate::plan::Plan;\n",
    );
    put("plan.rs", "use crate::sys;\n");
    put("oci/cmd.rs", "use super::exec::exec;\n");
    put("oci/exec.rs", "use crate::run;\n");
    let g = graph(&dir);
    assert_eq!(circle(&g), None);
    assert!(forbidden(&dir, &g).is_empty(), "{:?}", forbidden(&dir, &g));
    // A circle through super:: and crate::.
    put("oci/exec.rs", "use super::cmd::Opts;\n");
    let c = circle(&graph(&dir)).expect("the circle cmd <-> exec");
    assert_eq!(c.len(), 2);
    // The syscall layer reaching up; the planner reaching the parent.
    put("sys/mod.rs", "pub fn f() { crate::run::g() }\n");
    put("plan.rs", "use crate::run::launch;\n");
    let bad = forbidden(&dir, &graph(&dir));
    assert_eq!(bad.len(), 2, "{bad:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `unsafe` is denied in the whole library but the syscall layer: the
/// crate root says so, and sys is the one module allowed.
#[test]
fn unsafe_code_is_denied_but_in_sys() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    assert!(
        lib.contains("#![deny(unsafe_code)]"),
        "lib.rs must deny unsafe_code"
    );
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut allows = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains("allow(unsafe_code)") {
                let next = text.lines().nth(i + 1).unwrap_or("");
                allows.push(format!("{}: {}", f.display(), next.trim()));
            }
        }
    }
    assert_eq!(allows.len(), 1, "{allows:#?}");
    assert!(allows[0].ends_with("pub mod sys;"), "{allows:#?}");
}

/// The plan's field names, read from `pub struct Plan { … }` in plan.rs.
fn plan_fields(plan_rs: &str) -> Vec<String> {
    let start = plan_rs.find("pub struct Plan {").expect("struct Plan");
    let body = &plan_rs[start..start + plan_rs[start..].find("\n}").unwrap()];
    body.lines()
        .filter_map(|l| l.trim().strip_prefix("pub ")?.split_once(':'))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The places in `text` (one file) that change a plan after it is built:
/// an assignment to a field of `plan`, `p` or `vars[…]`, a change of its
/// op list, or (in plan.rs) a method of `impl Plan` taking `&mut self`.
fn patches(text: &str, fields: &[String], is_plan_rs: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_impl = false;
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if is_plan_rs {
            if line.starts_with("impl Plan {") {
                in_impl = true;
            } else if line.starts_with('}') {
                in_impl = false;
            }
            if in_impl && code.contains("fn ") && code.contains("&mut self") {
                out.push(format!("{}: {}", i + 1, line.trim()));
            }
        }
        for f in fields {
            for (at, _) in code.match_indices(&format!(".{f}")) {
                let before = &code[..at];
                let receiver = before.ends_with("plan")
                    || before.ends_with(" p")
                    || before.ends_with("(p")
                    || before.ends_with(']') && before.contains("vars[");
                let after = code[at + f.len() + 1..].trim_start();
                let changes = (after.starts_with('=') && !after.starts_with("=="))
                    || [
                        ".push(",
                        ".insert(",
                        ".retain(",
                        ".clear(",
                        ".remove(",
                        ".truncate(",
                    ]
                    .iter()
                    .any(|m| after.starts_with(m));
                if receiver && changes {
                    out.push(format!("{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    out
}

/// `Plan::build` takes the spec and the facts, and nothing patches the
/// plan afterwards (issue 14): what the launcher knows goes into the facts
/// before the build.
#[test]
fn nothing_patches_a_plan_after_it_is_built() {
    let src = src();
    let plan_rs = std::fs::read_to_string(src.join("plan.rs")).unwrap();
    let fields = plan_fields(&plan_rs);
    assert!(
        fields.len() > 8 && fields.iter().any(|f| f == "sigmask"),
        "{fields:?}"
    );
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // A file's test module may build plans any way it likes.
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let is_plan_rs = f.ends_with("src/plan.rs");
        for p in patches(text, &fields, is_plan_rs) {
            bad.push(format!("{}:{p}", f.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "a plan patched after its build:\n{}",
        bad.join("\n")
    );
    // The check itself sees each kind of patch.
    let made_up = "impl Plan {\n    pub fn set_terminal(&mut self) {}\n}\n\
                   fn f() {\n    plan.sigmask = mask;\n    p.ops.insert(0, Op::AwaitParent);\n\
                   vars[0].trace = None;\n    if plan.sigmask == 0 {}\n}\n";
    assert_eq!(patches(made_up, &fields, true).len(), 4, "{made_up}");
}
