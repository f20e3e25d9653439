// The header options are recognised and, while they do nothing yet, leave an ordinary build alone.
//@ build-pass
//@ compile-flags: -Z emit-header -Z consume-headers

fn main() {}
