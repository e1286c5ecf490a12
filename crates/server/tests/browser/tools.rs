//! The outside programs the browser tests need, and what happens when one
//! is missing: under CI (`CI` set) the test fails; elsewhere it says loudly
//! that it was skipped and why, and passes without checking anything.
//!
//! - Chromium: `AFTERCARE_CHROMIUM`, else `chromium` on the `PATH`
//!   (Debian package `chromium`).
//! - ChromeDriver: `AFTERCARE_CHROMEDRIVER`, else `chromedriver` on the
//!   `PATH` (Debian package `chromium-driver`).
//! - axe-core: `AFTERCARE_AXE_JS` naming its `axe.min.js`, else
//!   `<target>/browser-tools/node_modules/axe-core/axe.min.js`, where
//!   `npm install --no-save --prefix target/browser-tools axe-core@4.14.1` puts it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the browser programs and the accessibility checker are.
#[derive(Clone)]
pub struct Tools {
    /// The Chromium executable.
    pub chromium: PathBuf,
    /// The ChromeDriver executable.
    pub chromedriver: PathBuf,
    /// The text of axe-core's `axe.min.js`, injected into each page checked.
    pub axe_source: Arc<str>,
}

impl Tools {
    /// Finds every tool, or returns `None` after saying why `test` is
    /// skipped. Under CI a missing tool is a failure instead.
    pub fn find_or_skip(test: &str) -> Option<Tools> {
        let chromium = executable("AFTERCARE_CHROMIUM", &["chromium", "chromium-browser"]);
        let chromedriver = executable("AFTERCARE_CHROMEDRIVER", &["chromedriver"]);
        let axe_path = axe_script();
        let axe_source = axe_path
            .as_deref()
            .and_then(|path| std::fs::read_to_string(path).ok());
        let mut missing = Vec::new();
        if chromium.is_none() {
            missing
                .push("Chromium (apt-get install chromium, or set AFTERCARE_CHROMIUM)".to_owned());
        }
        if chromedriver.is_none() {
            missing.push(
                "ChromeDriver (apt-get install chromium-driver, or set AFTERCARE_CHROMEDRIVER)"
                    .to_owned(),
            );
        }
        if axe_source.is_none() {
            missing.push(format!(
                "axe-core at {} (npm install --no-save --prefix target/browser-tools axe-core@4.14.1, \
                 or set AFTERCARE_AXE_JS to its axe.min.js)",
                axe_path.map_or_else(|| "?".to_owned(), |path| path.display().to_string())
            ));
        }
        if let (Some(chromium), Some(chromedriver), Some(axe_source)) =
            (chromium, chromedriver, axe_source)
        {
            return Some(Tools {
                chromium,
                chromedriver,
                axe_source: axe_source.into(),
            });
        }
        let missing = missing.join("; ");
        assert!(
            std::env::var_os("CI").is_none(),
            "browser test {test} needs tools that are missing under CI: {missing}"
        );
        say(&format!(
            "\n!!!!! SKIPPED browser test {test}: missing {missing}. \
             Nothing was checked in a browser. !!!!!\n"
        ));
        None
    }
}

/// Writes past the test harness's output capture, so that a skip is seen
/// even when the test passes.
pub fn say(message: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// The file an environment variable names, else the first of `names`
/// found on the `PATH`.
fn executable(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let search = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&search)
            .map(|folder| folder.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Where axe-core's script should be.
fn axe_script() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AFTERCARE_AXE_JS") {
        return Some(PathBuf::from(path));
    }
    Some(target_dir()?.join("browser-tools/node_modules/axe-core/axe.min.js"))
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set, else the folder
/// three levels above this test executable (`<target>/<profile>/deps/`).
pub fn target_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        // A relative setting is relative to where cargo ran: the workspace.
        return Some(if dir.is_absolute() {
            dir
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(dir)
        });
    }
    let executable = std::env::current_exe().ok()?;
    executable.ancestors().nth(3).map(Path::to_path_buf)
}

/// The folder for one test's screenshots, emptied of an earlier run's.
pub fn artifacts_dir(test: &str) -> PathBuf {
    let base = target_dir().unwrap_or_else(std::env::temp_dir);
    let dir = base.join("browser-artifacts").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|error| panic!("create {}: {error}", dir.display()));
    dir
}
