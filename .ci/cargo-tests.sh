#!/bin/sh
# cargo's own testsuite tests for -Z header-pipelining (tests/testsuite/header_pipelining.rs),
# built like our cargo (rustup's 1.95.0 against crates.io, outside the tree, whose
# .cargo/config.toml would point crates.io at the pruned vendor/), run against the +headers rustc:
# cargo's test support runs the `rustc` found first on PATH.
set -eu
cache=${RUST_HEADERS_CACHE:-$HOME/.cache/rust-headers}
src=${RUST_HEADERS_SRC:-$cache/src}
manifest="$src/src/tools/cargo/Cargo.toml"
[ -e "$src/src/tools/cargo/Cargo.lock" ] || cp "$src/src/tools/cargo/Cargo.lock.orig" "$src/src/tools/cargo/Cargo.lock"
stage0_cargo=$(rustup which --toolchain 1.95.0 cargo)
stage0_rustc=$(rustup which --toolchain 1.95.0 rustc)
cd "$cache"
# Without CI in the environment: cargo's test macros read it at compile time (and then insist on
# rustup's CARGO_HOME), so a CI run would also rebuild the testsuite that a local run built.
env -u CI -u TF_BUILD \
    CARGO_TARGET_DIR="$cache/cargo-test-target" CFG_RELEASE=1.95.0 CFG_RELEASE_CHANNEL=dev \
    CFG_VER_DESCRIPTION=rust-headers RUSTC="$stage0_rustc" \
    PATH="$cache/toolchain/bin:$PATH" \
    "$stage0_cargo" test --manifest-path "$manifest" --test testsuite -- header_pipelining:: "$@"
