//! The migrations are embedded in the library at compile time: build it
//! again when one is added or changed, not only when Rust code changes.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
