#!/usr/bin/env bash
# The `+headers` toolchain as a user meets it: it says what it is, lists its options, and builds and
# tests a small crate with a crates.io dependency exactly as rustup's stock 1.95.0 does.
set -euo pipefail
stock=1.95.0
fail() { echo "toolchain-smoke: $*" >&2; exit 1; }

version=$(rustc +headers -vV)
echo "$version" | head -1 | grep -q 'rust-headers' || fail "rustc +headers -vV does not say rust-headers: $(echo "$version" | head -1)"
cargo +headers -V | grep -q 'rust-headers' || fail "cargo +headers -V does not say rust-headers: $(cargo +headers -V)"
help=$(rustc +headers -Z help)
for flag in emit-header consume-headers; do
  grep -q -- "-Z  *$flag=val" <<<"$help" || fail "rustc +headers -Z help does not list -Z $flag"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cargo +"$stock" new -q --lib smoke
cd smoke
cat >> Cargo.toml <<'TOML'
itoa = "1"

[[bin]]
name = "smoke"
path = "src/main.rs"
TOML
cat > src/lib.rs <<'RS'
/// Formats `n` with thousands separators, through `itoa`.
pub fn grouped(n: u64) -> String {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups() {
        assert_eq!(super::grouped(1234567), "1,234,567");
        assert_eq!(super::grouped(12), "12");
    }
}
RS
cat > src/main.rs <<'RS'
fn main() {
    for n in [0u64, 999, 1000, 1_234_567_890] {
        println!("{}", smoke::grouped(n));
    }
}
RS
cargo +"$stock" generate-lockfile -q
run() {
  local tc=$1
  rm -rf target
  cargo +"$tc" build -q --all-targets
  cargo +"$tc" run -q > "run-$tc.out"
  cargo +"$tc" test -q 2>&1 | grep -E '^(test result|running)' | sed 's/finished in [0-9.]*s/finished/' > "test-$tc.out"
}
run "$stock"
run headers
diff -u "run-$stock.out" run-headers.out || fail "the binary behaves differently under +headers"
diff -u "test-$stock.out" test-headers.out || fail "the tests report differently under +headers"
grep -q '1 passed' test-headers.out || fail "the unit test did not run under +headers"
echo "toolchain-smoke: +headers builds, runs and tests a crates.io crate like $stock"
