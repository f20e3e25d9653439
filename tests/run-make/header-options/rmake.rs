//@ ignore-cross-compile

// `-Z emit-header` and `-Z consume-headers` are listed by `-Z help`, and they leave the crate hash
// alone: a library compiled with them has the crate hash of the same library compiled without
// them (its metadata only gains the interface hash and portable references), a binary compiled
// with them is byte-identical, and crates built either way link together.

use run_make_support::rfs::{create_dir, read};
use run_make_support::{assert_contains_regex, bin_name, run, run_in_tmpdir, rust_lib_name, rustc};

fn build_lib(dir: &str, header_flags: bool) {
    create_dir(dir);
    let mut lib = rustc();
    lib.input("lib.rs").out_dir(dir).crate_name("lib").emit("metadata,link");
    if header_flags {
        lib.arg("-Zemit-header").arg("-Zconsume-headers");
    }
    lib.run();
}

fn build_bin(lib_dir: &str, out_dir: &str, header_flags: bool) {
    create_dir(out_dir);
    let mut bin = rustc();
    bin.input("main.rs")
        .extern_("lib", format!("{lib_dir}/{}", rust_lib_name("lib")))
        .output(format!("{out_dir}/{}", bin_name("main")));
    if header_flags {
        bin.arg("-Zconsume-headers");
    }
    bin.run();
    let out = run(&format!("{out_dir}/{}", bin_name("main"))).stdout_utf8();
    assert_eq!(out.trim(), "42 (7, 7)");
}

/// The crate hash line of `-Z ls=root`.
fn crate_hash(path: &str) -> String {
    let out = rustc().input(path).arg("-Zls=root").run().stdout_utf8();
    out.lines().find(|l| l.starts_with("hash ")).expect("a hash line").to_owned()
}

fn main() {
    let help = rustc().arg("-Zhelp").run().stdout_utf8();
    assert_contains_regex(&help, r"-Z +emit-header=val -- write the crate's header");
    assert_contains_regex(&help, r"-Z +consume-headers=val -- compile against the headers");

    run_in_tmpdir(|| {
        build_lib("plain", false);
        build_lib("flags", true);
        assert_eq!(crate_hash("plain/liblib.rmeta"), crate_hash("flags/liblib.rmeta"));
        assert_eq!(
            crate_hash(&format!("plain/{}", rust_lib_name("lib"))),
            crate_hash(&format!("flags/{}", rust_lib_name("lib")))
        );

        build_bin("plain", "plain-bin", false);
        build_bin("flags", "flags-bin", true);
        assert_eq!(
            read(format!("plain-bin/{}", bin_name("main"))),
            read(format!("flags-bin/{}", bin_name("main"))),
            "the binary changed with the header flags on"
        );

        // Mixed: either library with either binary.
        build_bin("flags", "mixed-1", false);
        build_bin("plain", "mixed-2", true);
    });
}
