fn main() {
    println!("{}", mid::via(5));
}
