//@ ignore-cross-compile

// Bad input around headers gets a clear error naming the crate and the file, never an ICE, and
// loses nothing already built: corrupt, truncated and foreign headers, a header given without
// `-Z consume-headers`, a missing, mismatched or unreadable rlib at the link step (an rlib
// rebuilt with the same interface links), a library compiled against another interface
// (E0460, noting the change), an `.rlink` compiled against headers linked without the flag, a
// truncated `.rlink`.

use run_make_support::rfs::{copy, read, remove_file, rename, write};
use run_make_support::{CompletedProcess, bin_name, run, run_in_tmpdir, rustc};

fn build_dep(version: u32) {
    let mut cmd = rustc();
    cmd.input("dep.rs").crate_type("rlib").emit("metadata,link").arg("-Zemit-header");
    if version > 1 {
        cmd.cfg(&format!("v{version}"));
    }
    cmd.run();
}

fn compile_main(no_link: bool) -> run_make_support::Rustc {
    let mut cmd = rustc();
    cmd.input("main.rs").extern_("dep", "libdep.rmeta").arg("-Zconsume-headers");
    if no_link {
        cmd.arg("-Zno-link");
    }
    cmd
}

fn link_only(consume_headers: bool) -> run_make_support::Rustc {
    let mut cmd = rustc();
    cmd.arg("-Zlink-only").input("main.rlink");
    if consume_headers {
        cmd.arg("-Zconsume-headers");
    }
    cmd
}

fn no_ice(out: &CompletedProcess) {
    out.assert_stderr_not_contains("panicked")
        .assert_stderr_not_contains("internal compiler error");
}

fn main() {
    run_in_tmpdir(|| {
        build_dep(1);
        let header = read("libdep.rmeta");

        // A corrupt header.
        write("libdep.rmeta", b"this is not a header at all");
        let out = compile_main(true).run_fail();
        out.assert_stderr_contains("found invalid metadata files for crate `dep`")
            .assert_stderr_contains("libdep.rmeta");
        no_ice(&out);

        // A truncated header, as a build killed while writing it would leave (rustc itself writes
        // it to a temporary file and renames it).
        write("libdep.rmeta", &header[..header.len() / 2]);
        let out = compile_main(true).run_fail();
        out.assert_stderr_contains("found invalid metadata files for crate `dep`")
            .assert_stderr_contains("libdep.rmeta");
        no_ice(&out);

        // A header from another compiler: its version string differs.
        let mut foreign = header.clone();
        let at = foreign.windows(6).position(|w| w == b"rustc ").expect("version string");
        let digit = at + 6;
        assert!(foreign[digit].is_ascii_digit());
        foreign[digit] = if foreign[digit] == b'9' { b'8' } else { b'9' };
        write("libdep.rmeta", &foreign);
        let out = compile_main(true).run_fail();
        out.assert_stderr_contains(
            "found crate `dep` compiled by an incompatible version of rustc",
        )
        .assert_stderr_contains("libdep.rmeta");
        no_ice(&out);
        write("libdep.rmeta", &header);

        // A header given to a binary without `-Z consume-headers`: rejected as without the patch.
        let out = rustc().input("main.rs").extern_("dep", "libdep.rmeta").run_fail();
        out.assert_stderr_contains("crate `dep` required to be available in rlib format");
        no_ice(&out);

        // A promised rlib without any header.
        let out = rustc()
            .input("main.rs")
            .extern_("dep", "nowhere/libdep.rlib")
            .arg("-Zconsume-headers")
            .run_fail();
        out.assert_stderr_contains("extern location for dep does not exist: nowhere/libdep.rlib");
        no_ice(&out);

        // Linking in the same process needs the rlib by then.
        rename("libdep.rlib", "held.rlib");
        let out = compile_main(false).run_fail();
        out.assert_stderr_contains("the rlib of crate `dep` is missing")
            .assert_stderr_contains("libdep.rmeta")
            .assert_stderr_contains("libdep.rlib");
        no_ice(&out);

        // Compiled against the header of v1, before any rlib exists.
        compile_main(true).run();
        rename("held.rlib", "libdep.rlib");
        let v1_rlib = read("libdep.rlib");

        // An `.rlink` compiled against headers needs `-Z consume-headers` to be linked.
        let out = link_only(false).run_fail();
        out.assert_stderr_contains("`main.rlink` was compiled against crate headers")
            .assert_stderr_contains("-Z link-only -Z consume-headers");
        no_ice(&out);

        // An rlib from another build of `dep` with the same interface (v2 changes a private
        // body): its interface hash matches the header's, so it links, with the new body.
        build_dep(2);
        link_only(true).run();
        assert_eq!(run(&bin_name("main")).stdout_utf8().trim(), "21");

        // An rlib whose interface changed (v3 makes `plain` inline): not one the header
        // belongs to.
        build_dep(3);
        let out = link_only(true).run_fail();
        out.assert_stderr_contains(
            "the rlib of crate `dep` does not match the header this crate was compiled against",
        )
        .assert_stderr_contains("this crate recorded `dep` as")
        .assert_stderr_contains("libdep.rmeta`")
        .assert_stderr_contains("libdep.rlib` has crate hash")
        .assert_stderr_contains("and interface hash");
        no_ice(&out);

        // A library compiled against another interface of `dep`: loading its metadata is E0460,
        // with a note that the interface changed.
        build_dep(2);
        rustc()
            .input("mid.rs")
            .crate_type("rlib")
            .emit("metadata,link")
            .extern_("dep", "libdep.rmeta")
            .arg("-Zemit-header")
            .arg("-Zconsume-headers")
            .run();
        build_dep(3);
        let out = rustc()
            .input("user.rs")
            .extern_("mid", "libmid.rmeta")
            .library_search_path(".")
            .arg("-Zconsume-headers")
            .arg("-Zno-link")
            .run_fail();
        out.assert_stderr_contains(
            "found possibly newer version of crate `dep` which `mid` depends on",
        )
        .assert_stderr_contains("the interface of `dep` changed");
        no_ice(&out);

        // An rlib that is not an archive.
        write("libdep.rlib", b"garbage");
        let out = link_only(true).run_fail();
        out.assert_stderr_contains("cannot read the rlib of crate `dep`")
            .assert_stderr_contains("libdep.rlib");
        no_ice(&out);

        // A truncated `.rlink`.
        copy("main.rlink", "main.rlink.full");
        let rlink = read("main.rlink");
        write("main.rlink", &rlink[..rlink.len() / 2]);
        let out = link_only(true).run_fail();
        out.assert_stderr_contains("corrupt metadata encountered in `main.rlink`");
        no_ice(&out);

        // Nothing was lost: with the right rlib back, the same `.rlink` links.
        rename("main.rlink.full", "main.rlink");
        write("libdep.rlib", &v1_rlib);
        write("libdep.rmeta", &header);
        link_only(true).run();
        assert_eq!(run(&bin_name("main")).stdout_utf8().trim(), "16");
        remove_file(bin_name("main"));

        // `-C prefer-dynamic`: the standard library is linked as a dylib, `dep` from its rlib.
        compile_main(true).arg("-Cprefer-dynamic").run();
        link_only(true).arg("-Cprefer-dynamic").run();
        let two_steps = read(bin_name("main"));
        rustc().input("main.rs").extern_("dep", "libdep.rlib").arg("-Cprefer-dynamic").run();
        assert!(read(bin_name("main")) == two_steps, "-C prefer-dynamic: outputs differ");
    });
}
