#![crate_type = "rlib"]

pub fn add(a: u32, b: u32) -> u32 {
    a.wrapping_add(b)
}

#[inline]
pub fn twice<T: Copy>(x: T) -> (T, T) {
    (x, x)
}
