//! Embeds the golden suite's cases (`crates/core/tests/golden/cases`) in
//! the binary, so that `aftercare guideline impact` and `aftercare
//! guideline safety-case` work from an installed copy, away from the
//! source tree. `include_str!` takes one file at a time; this writes the
//! list of them.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let cases = Path::new(&manifest).join("../core/tests/golden/cases");
    // A folder here makes cargo look at every file in it, so an added,
    // changed or removed case rebuilds the list.
    println!("cargo::rerun-if-changed={}", cases.display());

    let mut files: Vec<(String, String)> = match std::fs::read_dir(&cases) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .filter_map(|path| {
                let name = path.file_stem()?.to_str()?.to_owned();
                let full = path.canonicalize().ok()?.to_str()?.to_owned();
                Some((name, full))
            })
            .collect(),
        Err(error) => {
            println!(
                "cargo::warning=no golden cases embedded ({}: {error}); pass --cases DIR",
                cases.display()
            );
            Vec::new()
        }
    };
    files.sort();

    let mut code = String::from(
        "/// The golden suite's cases at build time: file name without `.json`, and the file.\n\
         pub const EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        let _ = writeln!(code, "    ({name:?}, include_str!({path:?})),");
    }
    code.push_str("];\n");
    std::fs::write(Path::new(&out).join("golden_cases.rs"), code)
        .expect("write the list of golden cases");
}
