pub fn scale(v: u32) -> u32 {
    v * 3
}

pub fn tally<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut sorted = items.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
}
