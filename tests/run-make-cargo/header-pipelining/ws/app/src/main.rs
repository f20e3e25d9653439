fn main() {
    println!("{} {} {:?}", dep::plain(10), dep::inlined(7), dep::words("b a b"));
}
