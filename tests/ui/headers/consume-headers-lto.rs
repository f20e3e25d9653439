// Cross-crate LTO reads the bitcode in upstream rlibs while generating code, so it cannot be used
// when compiling against headers.

//@ build-fail
//@ revisions: fat thin
//@[fat] compile-flags: -Zconsume-headers -Clto=fat
//@[thin] compile-flags: -Zconsume-headers -Clto=thin

fn main() {}

//[fat]~? ERROR `-Z consume-headers` cannot be combined with `-C lto=fat`
//[thin]~? ERROR `-Z consume-headers` cannot be combined with `-C lto=thin`
