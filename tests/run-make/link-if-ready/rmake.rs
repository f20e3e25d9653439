//@ ignore-cross-compile

// `-Z link-if-ready`: a binary compiled against the header of `dep` with `-Z no-link` writes its
// `.rlink` and links at once only when `dep`'s rlib was built together with that header. A
// missing rlib, or an rlib left from another build of `dep` with the same interface, leaves the
// link to `-Z link-only`. Linked at once, the binary equals the one built in a single step against
// the rlib, and its objects stay, so that the link step can be run again later.

use std::path::Path;

use run_make_support::rfs::{create_dir, read, remove_dir_all, remove_file, rename, write};
use run_make_support::{run, run_in_tmpdir, rust_lib_name, rustc};

const DEP: &str = "pub fn answer() -> u32 { helper() * 2 }\nfn helper() -> u32 { 21 }\n";
/// The same interface as `DEP`, another body.
const DEP_OTHER_BODY: &str = "pub fn answer() -> u32 { helper() + 1 }\nfn helper() -> u32 { 41 }\n";
const MAIN: &str = "fn main() { println!(\"{}\", dep::answer()); }\n";

fn build_dep(source: &str, out_dir: &str) {
    write("dep.rs", source);
    create_dir(out_dir);
    rustc()
        .input("dep.rs")
        .crate_type("rlib")
        .emit("metadata,link")
        .arg("-Zemit-header")
        .arg("-Zconsume-headers")
        .out_dir(out_dir)
        .run();
}

fn interface_hash(file: &str) -> String {
    let out = rustc().input(file).arg("-Zls=root").run().stdout_utf8();
    let line = out.lines().find(|l| l.contains("interface_hash")).expect("an interface hash");
    line.to_owned()
}

/// Compiles `main.rs` against `deps/libdep.rmeta` with `-Z link-if-ready`; returns rustc's JSON.
fn compile_against_header() -> String {
    write("main.rs", MAIN);
    rustc()
        .input("main.rs")
        .crate_type("bin")
        .extern_("dep", "deps/libdep.rmeta")
        .out_dir("out")
        .arg("-Zconsume-headers")
        .arg("-Zno-link")
        .arg("-Zlink-if-ready")
        .arg("--json=artifacts")
        .arg("--error-format=json")
        .run()
        .stderr_utf8()
}

fn link_only() {
    rustc().arg("-Zlink-only").arg("-Zconsume-headers").input("out/main.rlink").run();
}

fn main() {
    run_in_tmpdir(|| {
        // The reference: one step against the rlib, the flags off.
        build_dep(DEP, "deps");
        write("main.rs", MAIN);
        create_dir("reference");
        rustc().input("main.rs").extern_("dep", "deps/libdep.rlib").out_dir("reference").run();
        let reference = read("reference/main");
        remove_dir_all("deps");

        // Another build of `dep` with the same interface: its rlib must not be taken for ready.
        build_dep(DEP_OTHER_BODY, "other");
        build_dep(DEP, "deps");
        assert_eq!(interface_hash("other/libdep.rmeta"), interface_hash("deps/libdep.rmeta"));
        let rlib = format!("deps/{}", rust_lib_name("dep"));

        // No rlib yet: the `.rlink` is written, nothing is linked.
        create_dir("held");
        rename(&rlib, "held/libdep.rlib");
        create_dir("out");
        let json = compile_against_header();
        assert!(Path::new("out/main.rlink").exists());
        assert!(!Path::new("out/main").exists(), "linked without the rlib");
        assert!(!json.contains(r#""emit":"link""#), "{json}");

        // The rlib of the other build, same interface: not ready either.
        rename("other/libdep.rlib", &rlib);
        compile_against_header();
        assert!(!Path::new("out/main").exists(), "linked against an rlib of another build");
        remove_file(&rlib);

        // The rlib built with the header: linked at once, with an artifact notification.
        rename("held/libdep.rlib", &rlib);
        let json = compile_against_header();
        assert!(json.contains(r#""emit":"link""#), "{json}");
        assert!(Path::new("out/main.rlink").exists());
        assert!(read("out/main") == reference, "linked at once differs from the one-step build");
        run("out/main").assert_stdout_contains("42");

        // The objects stayed: the link step can run again, with the same result.
        remove_file("out/main");
        link_only();
        assert!(read("out/main") == reference, "linked again differs from the one-step build");

        // Without `-Z no-link` the flag is an error.
        rustc()
            .input("main.rs")
            .extern_("dep", "deps/libdep.rmeta")
            .out_dir("out")
            .arg("-Zconsume-headers")
            .arg("-Zlink-if-ready")
            .run_fail()
            .assert_stderr_contains(
                "`-Z link-if-ready` needs `-Z no-link` and `-Z consume-headers`",
            );
    });
}
