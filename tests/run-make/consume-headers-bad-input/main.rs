fn main() {
    println!("{}", dep::plain(5));
}
