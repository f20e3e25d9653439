// `-Z emit-header` is a boolean option: anything else is rejected like any other bad `-Z` value.
//@ compile-flags: -Z emit-header=sometimes
//@ check-fail

fn main() {}

//~? ERROR incorrect value `sometimes` for unstable option `emit-header`
