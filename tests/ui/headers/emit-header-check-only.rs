// A header is the metadata of a build that generates code: `-Z emit-header` rejects a build that
// only writes metadata (what `cargo check` does).

//@ check-fail
//@ compile-flags: -Zemit-header --crate-type=rlib

pub fn f() {}

//~? ERROR `-Z emit-header` needs `--emit` to include `metadata` and an output that generates code
