//! The check-in is written in one place per backend: the writer's group
//! statement on PostgreSQL through sqlx (`batch/group_sqlx.rs`) and the
//! same statement on SQLite's own connection (`sqlite_writer.rs`). A second
//! statement writing `checkins` anywhere else in the workspace would be a
//! second path that could disagree with them about caps, idempotency or
//! alerts; this test fails when one appears.
//!
//! Erasure and retention delete check-ins (`records.rs`); an archive
//! restore writes every table through one generic statement. Both are
//! listed here on purpose.

#![allow(missing_docs)]

use std::path::{Path, PathBuf};

/// Where a statement that writes `checkins` may stand: (file, statement).
const ALLOWED: [(&str, &str); 3] = [
    (
        "crates/store/src/batch/group_sqlx.rs",
        "INSERT INTO checkins",
    ),
    ("crates/store/src/sqlite_writer.rs", "INSERT INTO checkins"),
    (
        "crates/store/src/records/erasure.rs",
        "DELETE FROM checkins",
    ),
];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != ".git" {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Every statement writing `checkins` in a text, by its normalised head
/// (`INSERT INTO checkins`, `UPDATE checkins`, …), case and spacing aside.
fn writes_of_checkins(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let mut found = Vec::new();
    for (at, window) in words.windows(2).enumerate() {
        if window[1] != "CHECKINS" {
            continue;
        }
        let head = match window[0].as_str() {
            "UPDATE" => "UPDATE checkins",
            // `INSERT INTO`, and SQLite's `INSERT OR IGNORE INTO`, … (a
            // Rust `.into()` before a field named `checkins` is not SQL).
            "INTO" => match at.checked_sub(1).map(|before| words[before].as_str()) {
                Some("REPLACE") => "REPLACE INTO checkins",
                Some("INSERT" | "IGNORE" | "ABORT" | "FAIL" | "ROLLBACK") => "INSERT INTO checkins",
                _ => continue,
            },
            "FROM" if at >= 1 && words[at - 1] == "DELETE" => "DELETE FROM checkins",
            _ => continue,
        };
        found.push(head.to_owned());
    }
    found
}

#[test]
fn checkins_are_written_by_one_statement_per_backend() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for top in ["crates", "fuzz"] {
        rust_files(&root.join(top), &mut files);
    }
    assert!(
        files.len() > 50,
        "the workspace's sources ({})",
        files.len()
    );
    let this_test = Path::new(file!()).file_name().expect("a file name");
    let mut unexpected = Vec::new();
    let mut seen = Vec::new();
    for path in files {
        if path.file_name() == Some(this_test) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        let relative = path
            .strip_prefix(&root)
            .expect("under the workspace")
            .to_string_lossy()
            .replace('\\', "/");
        for head in writes_of_checkins(&text) {
            if ALLOWED.contains(&(relative.as_str(), head.as_str())) {
                seen.push((relative.clone(), head));
            } else {
                unexpected.push(format!("{relative}: {head}"));
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "statements writing `checkins` outside the two backends' writers:\n{}",
        unexpected.join("\n")
    );
    for (file, head) in ALLOWED {
        let count = seen.iter().filter(|(f, h)| f == file && h == head).count();
        assert_eq!(count, 1, "{file} holds `{head}` exactly once");
    }
}

#[test]
fn the_scan_finds_writes_however_they_are_spelt() {
    assert_eq!(
        writes_of_checkins("insert  into\n checkins (id) values ($1)"),
        ["INSERT INTO checkins"]
    );
    assert_eq!(
        writes_of_checkins("UPDATE checkins SET body = $1"),
        ["UPDATE checkins"]
    );
    assert_eq!(
        writes_of_checkins("INSERT OR REPLACE INTO checkins"),
        ["REPLACE INTO checkins"]
    );
    assert!(writes_of_checkins("SELECT * FROM checkins").is_empty());
    assert!(writes_of_checkins("INSERT INTO checkins_archive").is_empty());
    assert!(writes_of_checkins("treatment.into(),\n checkins: vec![]").is_empty());
    assert_eq!(
        writes_of_checkins("INSERT OR IGNORE INTO checkins"),
        ["INSERT INTO checkins"]
    );
}
