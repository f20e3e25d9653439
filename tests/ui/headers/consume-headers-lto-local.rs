// LTO that stays inside the crate works against headers: none at all, and the thin local LTO
// that optimized builds with several codegen units do by default.

//@ build-pass
//@ revisions: off local
//@[off] compile-flags: -Zconsume-headers -Clto=off
//@[local] compile-flags: -Zconsume-headers -Copt-level=2 -Ccodegen-units=4

fn main() {}
