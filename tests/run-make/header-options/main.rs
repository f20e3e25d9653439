fn main() {
    println!("{} {:?}", lib::add(40, 2), lib::twice(7u8));
}
