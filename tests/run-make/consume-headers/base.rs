// A dependency of `dep`: found by search (`-L dependency=`), never named on the command line.

pub fn scale(v: u32) -> u32 {
    v * 3
}

pub struct Counter {
    hits: Vec<u16>,
}

impl Counter {
    pub fn new() -> Counter {
        Counter { hits: Vec::new() }
    }

    pub fn hit(&mut self, v: u16) -> usize {
        self.hits.push(v);
        self.hits.len()
    }
}
