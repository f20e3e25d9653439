// `-Z link-if-ready` decides whether a crate compiled with `-Z no-link -Z consume-headers` links at
// once: without those two flags it is an error.

//@ check-fail
//@ compile-flags: -Zlink-if-ready -Zconsume-headers

fn main() {}

//~? ERROR `-Z link-if-ready` needs `-Z no-link` and `-Z consume-headers`
