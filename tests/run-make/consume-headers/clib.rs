// A C ABI library, built as a cdylib and as a staticlib against the header of `dep`.

#[no_mangle]
pub extern "C" fn clib_plain(v: u32) -> u32 {
    dep::plain(v) + other::other(v)
}

#[no_mangle]
pub extern "C" fn clib_generic_len(v: u64) -> usize {
    dep::generic(v).len() + pm::answer!() as usize
}
