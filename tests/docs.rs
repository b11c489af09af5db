//! No drift between the options hull takes and those its documentation
//! gives (issue 19): `hull run`'s option table (`RUN_OPTIONS` in
//! src/cli.rs, what the parser accepts), `hull run --help` and `hull bench
//! --help` (the real binary), the man page (docs/hull.1) and the README's
//! usage table. And the man page renders without a warning (`groff -ww`).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Every spelling of every option `hull run` accepts, from the parser's
/// own table.
fn run_options() -> BTreeSet<String> {
    let cli = read("src/cli.rs");
    let start = cli
        .find("const RUN_OPTIONS: &str = \"")
        .expect("RUN_OPTIONS")
        + 27;
    let end = start + cli[start..].find("\";").unwrap();
    let set: BTreeSet<String> = cli[start..end]
        .replace("\\\n", " ")
        .split([' ', '|'])
        .filter(|s| s.starts_with('-'))
        .map(str::to_string)
        .collect();
    assert!(set.len() > 40, "{set:?}");
    set
}

/// The options written in `text` (`-x`, `--name`), not counting a dash
/// inside a word (read-only, no-new-privileges).
fn options_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = text.as_bytes();
    for (i, _) in text.match_indices('-') {
        let before = i.checked_sub(1).map(|j| b[j]);
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        let rest = &text[i..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let word = rest[..end].trim_end_matches('-');
        let name = word.trim_start_matches('-');
        if name.starts_with(|c: char| c.is_ascii_alphabetic()) && word.len() - name.len() <= 2 {
            out.insert(word.to_string());
        }
    }
    out
}

/// The man page as text: roff's escaped dashes plain, fonts gone.
fn man() -> String {
    let mut t = read("docs/hull.1").replace("\\-", "-");
    for f in ["\\fB", "\\fI", "\\fR", "\\fP"] {
        t = t.replace(f, " ");
    }
    t
}

/// The man page's section `name`, up to the next.
fn section(man: &str, name: &str) -> String {
    let start = man
        .find(&format!(".SH {name}\n"))
        .unwrap_or_else(|| panic!("no section {name}"));
    let rest = &man[start + 4..];
    rest[..rest.find("\n.SH ").unwrap_or(rest.len())].to_string()
}

fn help(args: &[&str]) -> String {
    let o = common::hull().args(args).output().unwrap();
    assert!(o.status.success(), "hull {args:?}");
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn the_man_page_documents_every_run_option_and_no_other() {
    let taken = run_options();
    let man = man();
    let documented = options_in(&section(&man, "RUN OPTIONS"));
    let missing: Vec<_> = taken.difference(&documented).collect();
    assert!(missing.is_empty(), "not in docs/hull.1: {missing:?}");
    let extra: Vec<_> = documented
        .iter()
        .filter(|o| !taken.contains(*o) && !["-h", "--help"].contains(&o.as_str()))
        .collect();
    assert!(extra.is_empty(), "in docs/hull.1, not taken: {extra:?}");
}

#[test]
fn the_readme_documents_every_run_option() {
    let readme = options_in(&read("README.md"));
    let missing: Vec<_> = run_options()
        .into_iter()
        .filter(|o| !readme.contains(o))
        .collect();
    assert!(missing.is_empty(), "not in README.md: {missing:?}");
}

#[test]
fn the_help_lists_only_what_is_taken_and_the_man_page_has_it() {
    let taken = run_options();
    let listed = options_in(&help(&["run", "--help"]));
    let bogus: Vec<_> = listed
        .iter()
        .filter(|o| !taken.contains(*o) && !["-h", "--help"].contains(&o.as_str()))
        .collect();
    assert!(bogus.is_empty(), "hull run --help lists {bogus:?}");
    let man = man();
    let bench = options_in(&section(&man, "BENCH OPTIONS"));
    let missing: Vec<_> = options_in(&help(&["bench", "--help"]))
        .into_iter()
        .filter(|o| !bench.contains(o) && !["-h", "--help"].contains(&o.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "hull bench --help has, docs/hull.1 not: {missing:?}"
    );
}

#[test]
fn the_man_page_renders_without_warnings() {
    if !common::need_tool("man-page", "groff") {
        return;
    }
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/hull.1");
    let o = std::process::Command::new("groff")
        .args(["-ww", "-z", "-man"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}

/// The reader of options must tell an option from a dash in a word.
#[test]
fn options_are_told_from_dashes_in_words() {
    let got = options_in("use --net[=host] or -t, read-only, no-new-privileges, 3+N-1, --x- -");
    let want: BTreeSet<String> = ["--net", "-t", "--x"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, want);
}
