// A library between `dep` and a binary, compiled against `dep`'s header.

pub fn via(v: u32) -> u32 {
    dep::plain(v)
}
