use dep::Shape;

const DOUBLED: u32 = dep::doubled(21);

fn main() {
    let mut counter = dep::Counter::new();
    counter.hit(1);
    let mut local: Vec<u16> = Vec::new();
    local.push(7);
    println!("{}", dep::plain(10));
    println!("{}", dep::generic((1u8, "x")));
    println!("{}", dep::inlined(pm::answer!()));
    println!("{}", dep::Square(1.5).describe());
    println!("{} {} {}", DOUBLED, other::other(1), dep::GREETING);
    println!("{:?} {} {}", dep::words("a b  c"), counter.hit(2), local.len());
}
