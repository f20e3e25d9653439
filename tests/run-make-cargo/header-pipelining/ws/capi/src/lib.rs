#[no_mangle]
pub extern "C" fn capi_plain(v: u32) -> u32 {
    dep::plain(v)
}
