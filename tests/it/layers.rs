//! The structure ARCHITECTURE.md promises, checked on every test run (in
//! the spirit of rust-analyzer's tidy tests): modules use only their own
//! layer and the layers below it, in the order the document lists them; no
//! two files import each other; no source file is over 700 lines. The
//! layer order is read from ARCHITECTURE.md itself, the list a person
//! reads. Each failure names the file, the line and the rule. Test modules
//! (`#[cfg(test)]` at the end of a file) are left out: tests may reach
//! anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 700;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The layers of ARCHITECTURE.md's "## Layers" list, lowest first: each
/// numbered line names its modules in backquotes.
fn layers() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = text
        .split("\n## Layers")
        .nth(1)
        .expect("ARCHITECTURE.md has a '## Layers' section");
    let section = section.split("\n## ").next().unwrap_or("");
    let mut layers = BTreeMap::new();
    for line in section.lines() {
        let Some((number, rest)) = line.split_once(". ") else {
            continue;
        };
        let Ok(number) = number.trim().parse::<usize>() else {
            continue;
        };
        for name in rest.split('`').skip(1).step_by(2) {
            layers.insert(name.to_string(), number);
        }
    }
    assert!(
        layers.len() > 10,
        "the layers of ARCHITECTURE.md: {layers:?}"
    );
    layers
}

/// Every source file, relative to `src/`.
fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path.strip_prefix(root().join("src")).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    files
}

/// The lines of a file before its test module, numbered from 1.
fn code_lines(file: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(root().join("src").join(file)).unwrap();
    text.lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
        // A doc comment that links a module is no import.
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(i, line)| (i + 1, line.to_string()))
        .collect()
}

/// The top-level module of a file (`insights` for `insights/mod.rs`).
fn module_of(file: &Path) -> String {
    let first = file
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The module path of a file: `["insights", "one_pass"]`.
fn module_path(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The source file that holds the module path `path`, or the nearest
/// module above it that has a file (an item's module).
fn file_of(path: &[String], files: &BTreeSet<PathBuf>) -> Option<PathBuf> {
    (1..=path.len()).rev().find_map(|n| {
        let joined = path[..n].join("/");
        [format!("{joined}.rs"), format!("{joined}/mod.rs")]
            .into_iter()
            .map(PathBuf::from)
            .find(|candidate| files.contains(candidate))
    })
}

/// The module paths a line names: `crate::a::b`, `super::x`, `self::x`.
fn named_paths(line: &str, here: &[String]) -> Vec<Vec<String>> {
    let words = |rest: &str| -> Vec<String> {
        rest.split("::")
            .map(|w| {
                w.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|w| !w.is_empty())
            .collect()
    };
    let mut found = Vec::new();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", here[..here.len().saturating_sub(1)].to_vec()),
        ("self::", here.to_vec()),
    ] {
        for (at, _) in line.match_indices(prefix) {
            let before = line[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut path = base.clone();
            path.extend(words(&line[at + prefix.len()..]));
            found.push(path);
        }
    }
    found
}

/// Each use in `lines` of `module` (layer `own`) of a module of a higher
/// layer, as a message naming the file, the line and the rule.
fn up_a_layer(
    file: &Path,
    module: &str,
    own: usize,
    lines: &[(usize, String)],
    layers: &BTreeMap<String, usize>,
) -> Vec<String> {
    let mut broken = Vec::new();
    for (number, line) in lines {
        let named = named_paths(line, &[]);
        // `crate::` paths come first in what `named_paths` returns.
        for path in named.iter().take(line.matches("crate::").count()) {
            let Some((target, &layer)) = path.first().and_then(|t| Some((t, layers.get(t)?)))
            else {
                continue;
            };
            if layer > own {
                broken.push(format!(
                    "src/{}:{number}: '{module}' (layer {own}) uses '{target}' (layer {layer}): a module uses only its layer and those below",
                    file.display()
                ));
            }
        }
    }
    broken
}

#[test]
fn modules_use_only_their_layer_and_those_below() {
    let layers = layers();
    let mut broken = Vec::new();
    for file in sources() {
        let module = module_of(&file);
        if module == "main" || module == "lib" {
            continue;
        }
        let Some(&own) = layers.get(&module) else {
            broken.push(format!(
                "src/{}: module '{module}' is in no layer of ARCHITECTURE.md",
                file.display()
            ));
            continue;
        };
        broken.extend(up_a_layer(&file, &module, own, &code_lines(&file), &layers));
    }
    assert!(broken.is_empty(), "\n{}", broken.join("\n"));
}

#[test]
fn no_two_files_import_each_other() {
    let files: BTreeSet<PathBuf> = sources().into_iter().collect();
    let mut uses: BTreeMap<PathBuf, BTreeMap<PathBuf, usize>> = BTreeMap::new();
    for file in &files {
        let here = module_path(file);
        for (number, line) in code_lines(file) {
            for path in named_paths(&line, &here) {
                if let Some(target) = file_of(&path, &files).filter(|t| t != file) {
                    uses.entry(file.clone())
                        .or_default()
                        .entry(target)
                        .or_insert(number);
                }
            }
        }
    }
    // A module's own file and its submodules' files (a `mod.rs` that
    // re-exports them, children that use its helpers) are one unit.
    let parent_of = |a: &PathBuf, b: &PathBuf| {
        let (pa, pb) = (module_path(a), module_path(b));
        pb.len() == pa.len() + 1 && pb.starts_with(&pa)
    };
    let mut broken = Vec::new();
    for (a, targets) in &uses {
        for (b, line) in targets {
            let back = uses.get(b).and_then(|t| t.get(a));
            if let (Some(back), true) = (back, a < b && !parent_of(a, b) && !parent_of(b, a)) {
                broken.push(format!(
                    "src/{}:{line} and src/{}:{back} import each other: move what both need into a file of its own",
                    a.display(),
                    b.display()
                ));
            }
        }
    }
    assert!(broken.is_empty(), "\n{}", broken.join("\n"));
}

#[test]
fn no_source_file_is_over_700_lines() {
    let broken: Vec<String> = sources()
        .into_iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(root().join("src").join(&file))
                .unwrap()
                .lines()
                .count();
            (lines > MAX_FILE_LINES).then(|| {
                format!(
                    "src/{}:{lines}: over {MAX_FILE_LINES} lines: split it by concern",
                    file.display()
                )
            })
        })
        .collect();
    assert!(broken.is_empty(), "\n{}", broken.join("\n"));
}

#[test]
fn the_checks_fail_on_what_they_forbid() {
    // The parsing of paths the checks rely on, and the order they read.
    let here = vec!["insights".to_string(), "one_pass".to_string()];
    assert_eq!(
        named_paths("use super::activity::{fold, Bits};", &here),
        // A group's names are not followed: its module is what is used.
        [vec!["insights".to_string(), "activity".to_string()]]
    );
    assert_eq!(
        named_paths("    let x = crate::report::files::csv_file(a);", &[]),
        [vec!["report", "files", "csv_file"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()]
    );
    assert!(named_paths("let a = b::super::c;", &here).is_empty());
    let layers = layers();
    assert!(layers["support"] < layers["report"], "{layers:?}");
    assert!(layers["report"] < layers["pipeline"], "{layers:?}");
    // A use up a layer is named with its file and line; one down is not.
    let lines = vec![
        (3, "use crate::problems::Problem;".to_string()),
        (7, "    let x = crate::pipeline::run(&r);".to_string()),
    ];
    let file = Path::new("report/files.rs");
    assert_eq!(
        up_a_layer(file, "report", layers["report"], &lines, &layers),
        [format!(
            "src/report/files.rs:7: 'report' (layer {}) uses 'pipeline' (layer {}): a module uses only its layer and those below",
            layers["report"], layers["pipeline"]
        )]
    );
}
