pub fn plain(v: u32) -> u32 {
    helper(v) + base::scale(v)
}

fn helper(v: u32) -> u32 {
    (0..v).filter(|x| x % 3 == 0).sum()
}

#[inline]
pub fn inlined(v: u32) -> u32 {
    v.wrapping_mul(2654435761) % 1000
}

pub fn words(s: &str) -> Vec<String> {
    base::tally(&s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
}
