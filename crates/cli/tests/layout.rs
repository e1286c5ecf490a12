//! The workspace keeps the shape ARCHITECTURE.md describes: no source file
//! grows past about 600 lines of non-test code, and no crate holds half of
//! the workspace's code. Both were reached by splitting files and crates
//! along domain lines; this test keeps them from drifting back.

#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The most lines of non-test code one source file may have.
const MOST_LINES_IN_A_FILE: usize = 600;

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The lines of `text` before its unit tests (a `#[cfg(test)]` at the
/// start of a line, which by the project's habit opens the file's last
/// module).
fn non_test_lines(text: &str) -> usize {
    text.lines()
        .take_while(|line| !line.starts_with("#[cfg(test)]"))
        .count()
}

/// Non-test lines by crate, and every file over the limit.
fn measure(root: &Path) -> (BTreeMap<String, usize>, Vec<(PathBuf, usize)>) {
    let mut by_crate = BTreeMap::new();
    let mut too_long = Vec::new();
    let crates = std::fs::read_dir(root.join("crates")).expect("the crates folder");
    for entry in crates.flatten() {
        let source = entry.path().join("src");
        if !source.is_dir() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&source, &mut files);
        let mut total = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            let lines = non_test_lines(&text);
            if lines > MOST_LINES_IN_A_FILE {
                too_long.push((file, lines));
            }
            total += lines;
        }
        by_crate.insert(entry.file_name().to_string_lossy().into_owned(), total);
    }
    (by_crate, too_long)
}

#[test]
fn no_file_is_long_and_no_crate_holds_half_the_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (by_crate, too_long) = measure(&root);
    assert!(
        by_crate.len() >= 5,
        "expected the five crates of ARCHITECTURE.md, found {by_crate:?}"
    );
    assert!(
        too_long.is_empty(),
        "files over {MOST_LINES_IN_A_FILE} lines of non-test code (split them along domain lines): {too_long:?}"
    );
    let all: usize = by_crate.values().sum();
    for (name, lines) in &by_crate {
        assert!(
            lines * 2 < all,
            "crate {name} holds {lines} of the workspace's {all} lines of non-test code, half or more: {by_crate:?}"
        );
    }
}

#[test]
fn unit_tests_do_not_count_as_code() {
    let text = "fn a() {}\nfn b() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n";
    assert_eq!(non_test_lines(text), 2);
    assert_eq!(non_test_lines("fn a() {}\n"), 1);
}
