//! No drift between what hull takes and what its documentation says (issue
//! 19): `hull run`'s option table (`run_options!` in src/cli.rs, what the
//! parser accepts), every command's `--help` (the real binary), the man
//! page (docs/hull.1) and the usage reference (docs/usage.md); every OCI
//! option the man page gives is one the binary takes; the README's
//! runnable blocks run and succeed; its figures carry their date; every
//! link between the documents resolves; and the man page renders without
//! a warning (`groff -ww`).

mod common;

use common::Bounded;
use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Every spelling of every option `hull run` accepts, from the parser's
/// own table (the `run_options!` rows: `"-t|--tty" => Tty,`).
fn run_options() -> BTreeSet<String> {
    let cli = read("src/cli.rs");
    let start = cli.find("\nrun_options! {\n").expect("run_options! table");
    let end = start + cli[start..].find("\n}\n").unwrap();
    let set: BTreeSet<String> = cli[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.split_once('"'))
        .flat_map(|(names, _)| names.split('|'))
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

/// The markdown section of `text` under the heading `name` (any level),
/// up to the next heading of the same or a higher level.
fn md_section(text: &str, name: &str) -> String {
    let mut out = String::new();
    let mut level = None;
    for line in text.lines() {
        let hashes = line.bytes().take_while(|&c| c == b'#').count();
        let heading = hashes > 0 && line[hashes..].starts_with(' ');
        match level {
            None if heading && line[hashes + 1..] == *name => level = Some(hashes),
            Some(l) if heading && hashes <= l => break,
            Some(_) => {
                out.push_str(line);
                out.push('\n');
            }
            None => {}
        }
    }
    assert!(level.is_some(), "no section '{name}'");
    out
}

/// The options in the first column of the markdown tables of `text`.
fn table_options(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("| `-"))
        .flat_map(|l| options_in(l.split(" | ").next().unwrap()))
        .collect()
}

#[test]
fn the_usage_reference_documents_every_run_option_and_no_other() {
    let usage = read("docs/usage.md");
    let table = table_options(&md_section(&usage, "`hull run`"));
    let taken = run_options();
    let missing: Vec<_> = taken.difference(&table).collect();
    assert!(missing.is_empty(), "not in docs/usage.md: {missing:?}");
    let extra: Vec<_> = table
        .iter()
        .filter(|o| !taken.contains(*o) && !["-h", "--help"].contains(&o.as_str()))
        .collect();
    assert!(extra.is_empty(), "in docs/usage.md, not taken: {extra:?}");
    // And hull bench's.
    let bench = table_options(&md_section(&usage, "`hull bench`"));
    let listed = options_in(&help(&["bench", "--help"]));
    let missing: Vec<_> = listed
        .iter()
        .filter(|o| !bench.contains(*o) && !["-h", "--help"].contains(&o.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "hull bench --help has, docs/usage.md not: {missing:?}"
    );
}

/// The OCI commands, from the dispatcher's own table.
fn oci_commands() -> Vec<String> {
    let cmd = read("src/oci/cmd.rs");
    let start = cmd.find("const COMMANDS: &str =").expect("COMMANDS");
    let rest = &cmd[start..];
    let q = rest.find('"').unwrap() + 1;
    let list = &rest[q..q + rest[q..].find('"').unwrap()];
    let v: Vec<String> = list.split(' ').map(str::to_string).collect();
    assert!(v.len() >= 13, "{v:?}");
    v
}

/// The man page's subsection `.SS NAME...` of the OCI commands.
fn man_subsection(man: &str, name: &str) -> String {
    let oci = section(man, "OCI RUNTIME COMMANDS");
    let start = oci
        .find(&format!(".SS {name}"))
        .unwrap_or_else(|| panic!("no .SS {name} in docs/hull.1"));
    let rest = &oci[start + 4..];
    rest[..rest.find("\n.SS ").unwrap_or(rest.len())].to_string()
}

/// What the man page says of OCI command `c`: its subsection (pause and
/// resume share one; run's options are create's, and its own).
fn man_of(man: &str, c: &str) -> String {
    match c {
        "pause" | "resume" => man_subsection(man, "pause ID, resume ID"),
        "run" => man_subsection(man, "create") + &man_subsection(man, "run"),
        _ => man_subsection(man, c),
    }
}

#[test]
fn every_command_s_help_is_short_points_to_the_man_page_and_is_documented() {
    let man = man();
    let usage = read("docs/usage.md");
    let mut oci_usage = options_in(&md_section(&usage, "The OCI runtime commands"));
    oci_usage.extend(options_in(&md_section(
        &usage,
        "Named containers: `hull run --name`, `hull exec`",
    )));
    let global = options_in(&man_subsection(&man, "Global options"));
    let named = options_in(&section(&man, "EXEC AND NAMED CONTAINERS"));
    let top = help(&["--help"]);
    let mut helps = vec![
        ("--help".to_string(), top.clone()),
        ("run".to_string(), help(&["run", "--help"])),
        ("bench".to_string(), help(&["bench", "--help"])),
        ("check".to_string(), help(&["check", "--help"])),
    ];
    for c in oci_commands() {
        assert!(top.contains(&c), "hull --help does not name '{c}'");
        assert!(
            section(&man, "SYNOPSIS").contains(&c),
            "docs/hull.1's synopsis does not name '{c}'"
        );
        // (After a global flag: `hull run` alone is hull's own.)
        let text = help(&["--root", "/run/hull", &c, "--help"]);
        assert_eq!(help(&["--root", "/run/hull", &c, "-h"]), text, "{c} -h");
        let own = man_of(&man, &c);
        let mut documented = options_in(&own);
        documented.extend(global.iter().cloned());
        if c == "exec" {
            documented.extend(named.iter().cloned());
        }
        let missing: Vec<_> = options_in(&text)
            .into_iter()
            .filter(|o| !documented.contains(o))
            .collect();
        assert!(
            missing.is_empty(),
            "hull {c} --help has, docs/hull.1 not: {missing:?}"
        );
        let missing: Vec<_> = options_in(&text)
            .into_iter()
            .filter(|o| !oci_usage.contains(o))
            .collect();
        assert!(
            missing.is_empty(),
            "hull {c} --help has, docs/usage.md not: {missing:?}"
        );
        helps.push((c, text));
    }
    for (c, text) in helps {
        assert!(
            text.contains("man hull"),
            "hull {c} --help does not point to man hull"
        );
        let lines = text.lines().count();
        assert!(
            lines <= 45,
            "hull {c} --help is {lines} lines: keep it short"
        );
    }
}

/// The options roff text gives as tagged paragraphs (the line after each
/// `.TP`), not those its prose mentions.
fn tagged_options(roff: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = roff.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0] == ".TP")
        .flat_map(|w| options_in(w[1]))
        .collect()
}

/// Every option the man page gives an OCI command (or `hull exec`) is one
/// the binary takes: `unknown option` is the only answer that says not.
#[test]
fn every_oci_option_the_man_page_gives_is_taken() {
    let man = man();
    let dir = common::TempDir::new("docs-options");
    let mut checked = 0;
    let mut taken = BTreeSet::new();
    for c in oci_commands() {
        let mut opts = tagged_options(&man_of(&man, &c));
        if c == "exec" {
            opts.extend(tagged_options(&section(&man, "EXEC AND NAMED CONTAINERS")));
        }
        for o in opts {
            // With no id (nor a value), nothing is done: an option the
            // parser knows stops at "needs a value" or "id is needed".
            let out = common::hull()
                .args(["--root", dir.path(), &c, &o])
                .current_dir(dir.path())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("unknown option"), "hull {c} {o}: {err}");
            checked += 1;
            taken.insert(o);
        }
    }
    assert!(checked > 30, "{checked}");
    // And the usage reference gives no OCI option the man page (checked
    // above against the binary) does not.
    taken.extend(tagged_options(&man_subsection(&man, "Global options")));
    taken.extend(["--version".to_string(), "--help".to_string()]);
    let usage = read("docs/usage.md");
    let extra: Vec<_> = options_in(&md_section(&usage, "The OCI runtime commands"))
        .into_iter()
        .filter(|o| !taken.contains(o))
        .collect();
    assert!(
        extra.is_empty(),
        "in docs/usage.md's OCI commands, not taken: {extra:?}"
    );
}

/// The README's code blocks marked `<!-- runnable -->` run, in order, in one
/// fresh directory, each with `sh -e` and hull on the PATH, and succeed.
#[test]
fn the_readme_s_runnable_blocks_succeed() {
    if !common::need_root("readme_blocks")
        || !common::need_tool("readme_blocks", "busybox")
        || !common::need_tool("readme_blocks", "setpriv")
    {
        return;
    }
    let readme = read("README.md");
    let mut blocks = Vec::new();
    let mut rest = readme.as_str();
    let mark = "<!-- runnable -->\n```sh\n";
    while let Some(at) = rest.find(mark) {
        rest = &rest[at + mark.len()..];
        let end = rest.find("```").expect("an unclosed block");
        blocks.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    assert!(blocks.len() >= 5, "{} runnable blocks", blocks.len());
    let dir = common::TempDir::new("readme");
    // A copy any user may run (the rootless example runs as nobody).
    let bin = std::path::Path::new(dir.path()).join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_hull"), bin.join("hull")).unwrap();
    let work = std::path::Path::new(dir.path()).join("work");
    std::fs::create_dir(&work).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for b in blocks {
        let o = std::process::Command::new("sh")
            .args(["-e", "-c", &b])
            .current_dir(&work)
            .env("PATH", &path)
            .output_bounded();
        assert!(
            o.status.success(),
            "README block failed ({:?}):\n{b}\nstdout: {}\nstderr: {}",
            o.status,
            common::stdout(&o),
            common::stderr(&o)
        );
    }
}

/// Every figure in the README (a time, a ratio, a size) stands in a
/// section that says when it was measured.
#[test]
fn the_readme_s_figures_carry_their_date() {
    check_dated(&read("README.md")).unwrap();
    // The check must see an undated figure.
    assert!(check_dated("# x\n\n## Figures\n\nhull starts in 1.5 ms.\n").is_err());
    assert!(check_dated("## Figures\n\nOn 2026-12-05: 1.5 ms, 0.52×.\n").is_ok());
}

fn check_dated(text: &str) -> Result<(), String> {
    let is_date = |w: &[u8]| {
        w.len() == 10
            && w.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
    };
    let mut sections = vec![String::new()];
    for line in text.lines() {
        if line.starts_with('#') {
            sections.push(String::new());
        }
        let last = sections.last_mut().unwrap();
        last.push_str(line);
        last.push('\n');
    }
    for s in sections {
        let dated = s.as_bytes().windows(10).any(is_date);
        for line in s.lines() {
            let b = line.as_bytes();
            let figure = (0..b.len()).any(|i| {
                b[i].is_ascii_digit()
                    && [" ms", "×", " KiB", " bytes", "x "]
                        .iter()
                        .any(|u| line[i + 1..].starts_with(u))
            });
            if figure && !dated {
                return Err(format!("a figure with no date in its section: {line}"));
            }
        }
    }
    Ok(())
}

/// The GitHub anchor of a heading: lower case, punctuation dropped, spaces
/// as dashes.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every relative link in the README and docs/ names a file that exists,
/// and an anchor that is one of its headings.
#[test]
fn links_between_the_documents_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    assert!(files.len() >= 10, "{files:?}");
    let mut bad = Vec::new();
    let mut links = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let target = &rest[..rest.find(')').unwrap_or(0)];
            if target.contains("://") || target.is_empty() {
                continue;
            }
            links += 1;
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() {
                f.clone()
            } else {
                f.parent().unwrap().join(file)
            };
            let Ok(body) = std::fs::read_to_string(&path) else {
                bad.push(format!("{}: {target}: no such file", f.display()));
                continue;
            };
            if !anchor.is_empty()
                && !body
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .any(|l| slug(l.trim_start_matches('#')) == anchor)
            {
                bad.push(format!("{}: {target}: no such heading", f.display()));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(links > 20, "{links} links");
    assert_eq!(
        slug("Named containers: `hull run --name`, `hull exec`"),
        "named-containers-hull-run---name-hull-exec"
    );
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
