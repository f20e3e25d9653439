// Three versions of one library: `--cfg v2` changes a private body, so the crate hash changes
// but the interface hash does not; `--cfg v3` makes `plain` inline, which changes both.

#[cfg_attr(v3, inline)]
pub fn plain(v: u32) -> u32 {
    helper(v) + 1
}

#[cfg(not(v2))]
fn helper(v: u32) -> u32 {
    v * 3
}

#[cfg(v2)]
fn helper(v: u32) -> u32 {
    v * 4
}
