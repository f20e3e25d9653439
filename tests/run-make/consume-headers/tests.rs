// A test harness (`--test`) compiled against the header of `dep`.

#[test]
fn plain() {
    assert_eq!(dep::plain(10), 48);
}

#[test]
fn generic() {
    assert_eq!(dep::generic(3u64), "3/3");
}

#[test]
fn counter() {
    let mut c = dep::Counter::new();
    assert_eq!(c.hit(4), 1);
    assert_eq!(c.hit(5), 2);
    assert_eq!(other::other(pm::answer!()), 53);
}
