// The library whose header the final crates are compiled against.

pub use base::Counter;

pub const LIMIT: u32 = 1000;

pub static GREETING: &str = "hello from dep";

pub fn plain(v: u32) -> u32 {
    helper(v) + base::scale(v)
}

fn helper(v: u32) -> u32 {
    (0..v).filter(|x| x % 3 == 0).sum()
}

pub fn generic<T: Clone + std::fmt::Debug>(v: T) -> String {
    format!("{:?}/{:?}", v.clone(), v)
}

#[inline]
pub fn inlined(v: u32) -> u32 {
    v.wrapping_mul(2654435761) % LIMIT
}

pub trait Shape {
    fn area(&self) -> f64;
    fn describe(&self) -> String {
        format!("area {:.2}", self.area())
    }
}

pub struct Square(pub f64);

impl Shape for Square {
    fn area(&self) -> f64 {
        self.0 * self.0
    }
}

pub const fn doubled(v: u32) -> u32 {
    v * 2
}

pub fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}
