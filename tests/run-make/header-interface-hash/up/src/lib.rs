//! `up`: the library that the edit corpus (`edits.txt`) edits. Its dependents are `mid` (a
//! library) and `app` (a binary); between them they use every kind of item below.

mod macros;
mod private;

pub use private::Config;

/// The largest batch that `app` asks for.
pub const LIMIT: u32 = 64;

pub struct Point {
    pub x: i32,
    pub y: i32,
}

pub struct Counter {
    count: u64,
    step: u32,
}

impl Counter {
    pub fn new(step: u32) -> Counter {
        Counter { count: 0, step }
    }

    pub fn tick(&mut self) -> u64 {
        self.count += u64::from(self.step);
        self.count
    }
}

pub trait Shape {
    fn area(&self) -> f64;
}

#[macro_export]
macro_rules! pick {
    ($a:expr, $b:expr) => {
        if $a > $b { $a } else { $b }
    };
}

// Generic and inline items: their bodies travel in the header.
pub fn largest<T: PartialOrd + Copy>(items: &[T]) -> T {
    let mut best = items[0];
    for &item in items {
        if item > best {
            best = item;
        }
    }
    best
}

#[inline]
pub fn scale(v: u32) -> u32 {
    v * 3 + 1
}

pub const fn doubled(v: u32) -> u32 {
    private::twice(v)
}

pub fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|v| v % 2 == 0)
}

pub fn checksum(data: &[u8]) -> u32 {
    private::mix(data)
}

pub fn describe(p: &Point) -> String {
    private::render(p)
}

pub fn clamped(v: u32) -> u32 {
    clamp_limit(v)
}

fn clamp_limit(v: u32) -> u32 {
    if v > LIMIT { LIMIT } else { v }
}

/// A trait with an associated type, and impls with associated types: their bounds and types are
/// part of the interface.
pub trait Source {
    type Item: Copy;

    fn next_item(&mut self) -> Option<Self::Item>;
}

impl Source for Counter {
    type Item = u64;

    fn next_item(&mut self) -> Option<u64> {
        Some(self.tick())
    }
}

/// A slot whose element type has a default: `app` names it without arguments.
pub struct Slot<T = u32>(pub T);

/// A re-exported primitive type.
pub use std::primitive::u8 as Byte;

impl Iterator for Counter {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        self.next_item()
    }
}

/// A lookup whose table is a `pub(crate)` const that only private, non-generic code reads, as
/// ripgrep's `DEFAULT_TYPES` is.
pub fn weight(name: &str) -> u32 {
    private::weight(name)
}

/// Explicit discriminants, which `app` casts.
pub enum Level {
    Low = 1,
    High = 2,
}

/// A pub const that reads a private static.
pub const START: u32 = private::BASE + 2;

/// A generic body whose arithmetic comes from a macro with collapsed debuginfo, called from
/// another macro: its debuginfo line is that inner call site.
pub fn bumped<T: Into<u32>>(v: T) -> u32 {
    macros::outer!(v.into())
}

/// A non-generic `#[track_caller]` fn that `app` calls through a fn pointer.
#[track_caller]
pub fn located() -> u32 {
    std::panic::Location::caller().line()
}
