// Two versions of one library: `--cfg v2` changes a private body, so the crate hash changes.

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
