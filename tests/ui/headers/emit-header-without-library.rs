// Only library crates have a header: `-Z emit-header` on a binary is an error.

//@ check-fail
//@ compile-flags: -Zemit-header --emit=metadata,link

fn main() {}

//~? ERROR `-Z emit-header` needs an `rlib` or `dylib` crate type
