// A Rust dylib compiled against the header of `dep`.

pub fn dy(v: u32) -> u32 {
    dep::plain(v) + dep::inlined(v)
}
