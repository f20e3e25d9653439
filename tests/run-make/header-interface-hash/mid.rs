//! `mid`: a library compiled against the header of `up`. Its own metadata refers to `up`'s
//! items, types, trait and macro, which is what must stay valid when `up` changes but its
//! interface hash does not.

pub struct Square {
    pub side: f64,
}

impl up::Shape for Square {
    fn area(&self) -> f64 {
        self.side * self.side
    }
}

pub struct Tally {
    pub counter: up::Counter,
    pub origin: up::Point,
}

pub const BATCH: u32 = up::LIMIT / 2;

pub fn tally(step: u32) -> Tally {
    Tally { counter: up::Counter::new(step), origin: up::Point { x: 1, y: -1 } }
}

pub fn total(data: &[u8]) -> u32 {
    up::checksum(data).wrapping_add(up::scale(2)).wrapping_add(up::largest(&[1, 5, 3]))
}

#[inline]
pub fn biggest(a: u32, b: u32) -> u32 {
    up::pick!(up::scale(a), b)
}

pub fn widest<T: PartialOrd + Copy>(items: &[T]) -> T {
    up::largest(items)
}

pub fn area_of(shape: &dyn up::Shape) -> f64 {
    shape.area()
}

pub fn first_items(counter: &mut up::Counter) -> u64 {
    counter.take(2).sum()
}

pub fn next_of<S: up::Source>(source: &mut S) -> Option<S::Item> {
    source.next_item()
}
