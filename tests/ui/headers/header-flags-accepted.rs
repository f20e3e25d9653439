// A library built with both header flags and no headers among its inputs builds as usual.

//@ build-pass
//@ compile-flags: -Z emit-header -Z consume-headers --crate-type=rlib --emit=metadata,link

pub fn f() -> u32 {
    7
}
