// Everything in this module is private to `up`: dependents only reach it through the
// non-generic, non-inline functions of the crate root, and through `doubled`, a const fn
// whose body (and so `twice`'s) dependents may evaluate.

use crate::Point;

pub struct Config {
    pub verbose: bool,
}

pub(crate) const fn twice(v: u32) -> u32 {
    v * 2
}

pub(crate) fn mix(data: &[u8]) -> u32 {
    let mut h: u32 = 17;
    for &b in data {
        h = h.wrapping_mul(31) ^ u32::from(b);
    }
    finish(h)
}

fn finish(h: u32) -> u32 {
    h ^ (h >> 15)
}

pub(crate) fn render(p: &Point) -> String {
    let mut out = String::new();
    out.push('(');
    out.push_str(&p.x.to_string());
    out.push_str(", ");
    out.push_str(&p.y.to_string());
    out.push(')');
    out
}

pub(crate) const WEIGHTS: &[(&str, u32)] = &[("low", 3), ("mid", 5), ("high", 7)];

pub(crate) fn weight(name: &str) -> u32 {
    for &(key, weight) in WEIGHTS {
        if key == name {
            return weight;
        }
    }
    mix(name.as_bytes())
}

pub(crate) static BASE: u32 = 40;
