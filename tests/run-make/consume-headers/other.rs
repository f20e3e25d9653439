// An ordinary rlib dependency, given to the final crates as an rlib.

pub fn other(v: u32) -> u32 {
    v + 11
}
