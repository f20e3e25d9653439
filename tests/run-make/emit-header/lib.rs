pub fn plain(v: u32) -> u32 {
    v + 1
}

pub fn generic<T: Default>() -> T {
    T::default()
}
