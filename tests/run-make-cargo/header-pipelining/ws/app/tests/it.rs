#[test]
fn plain() {
    assert_eq!(dep::plain(10), 48);
}

#[test]
fn words() {
    assert_eq!(dep::words("b a b"), ["a", "b"]);
}
