//! `app`: a binary compiled against the headers of `up` and `mid`, linked after their rlibs.

fn main() {
    let mut tally = mid::tally(3);
    tally.counter.tick();
    let square = mid::Square { side: 1.5 };
    let config = up::Config { verbose: false };
    println!("{}", mid::total(b"header"));
    println!("{} {}", mid::biggest(4, 20), mid::widest(&[2.5, 0.5]));
    println!("{} {}", tally.counter.tick(), up::describe(&tally.origin));
    println!("{} {}", mid::area_of(&square), config.verbose);
    println!("{} {}", up::clamped(100), up::doubled(mid::BATCH));
    println!("{}", up::evens(10).sum::<u32>());
    println!("{} {}", std::mem::size_of::<up::Slot>(), std::mem::size_of::<up::Byte>());
    let mut counter = up::Counter::new(2);
    println!("{} {:?}", mid::first_items(&mut counter), mid::next_of(&mut counter));
    println!("{} {} {}", up::weight("mid"), up::Level::High as u32, up::START);
    let located: fn() -> u32 = up::located;
    println!("{} {}", up::bumped(4u8), located());
}
