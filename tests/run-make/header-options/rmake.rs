//@ ignore-cross-compile

// `-Z emit-header` and `-Z consume-headers` are listed by `-Z help`, and they leave the crate hash
// alone: a library and a binary compiled with them are byte-identical to the same crates compiled
// without them, so crates built either way link together.

use run_make_support::rfs::{create_dir, read};
use run_make_support::{assert_contains_regex, bin_name, run, run_in_tmpdir, rust_lib_name, rustc};

fn build(dir: &str, header_flags: bool) {
    create_dir(dir);
    let mut lib = rustc();
    lib.input("lib.rs").out_dir(dir).crate_name("lib").emit("metadata,link");
    if header_flags {
        lib.arg("-Zemit-header").arg("-Zconsume-headers");
    }
    lib.run();
    let mut bin = rustc();
    bin.input("main.rs").extern_("lib", format!("{dir}/{}", rust_lib_name("lib"))).output(format!(
        "{dir}/{}",
        bin_name("main")
    ));
    if header_flags {
        bin.arg("-Zconsume-headers");
    }
    bin.run();
}

fn main() {
    let help = rustc().arg("-Zhelp").run().stdout_utf8();
    assert_contains_regex(&help, r"-Z +emit-header=val -- write the crate's header");
    assert_contains_regex(&help, r"-Z +consume-headers=val -- compile against the headers");

    run_in_tmpdir(|| {
        build("plain", false);
        build("flags", true);
        assert_eq!(
            read(format!("plain/{}", rust_lib_name("lib"))),
            read(format!("flags/{}", rust_lib_name("lib"))),
            "the rlib changed with the header flags on"
        );
        assert_eq!(
            read("plain/liblib.rmeta"),
            read("flags/liblib.rmeta"),
            "the header changed with the header flags on"
        );
        assert_eq!(
            read(format!("plain/{}", bin_name("main"))),
            read(format!("flags/{}", bin_name("main"))),
            "the binary changed with the header flags on"
        );
        let out = run(&format!("flags/{}", bin_name("main"))).stdout_utf8();
        assert_eq!(out.trim(), "42 (7, 7)");
    });
}
