//@ ignore-cross-compile
//@ needs-dynamic-linking

// `-Z consume-headers`: a crate of any linking type is compiled against the header (`.rmeta`) of
// `dep` before `dep`'s rlib exists, and linked later with `-Z link-only`. The final artifact must
// be byte-identical to the one built in a single step against the rlibs with the flags off, in a
// debug and in an optimized build. (A dylib or a proc-macro embeds its metadata, which under
// `-Z consume-headers` records its dependencies' interface hashes: it must equal the one built in
// a single step against the rlibs with that flag.) `dep` itself
// compiles against the header of `base`, which is found by search; `other` is an ordinary rlib
// and `pm` a proc-macro, mixed in on purpose.

use std::path::Path;

use run_make_support::rfs::{create_dir, read, remove_dir_all, rename};
use run_make_support::{
    dynamic_lib_name, run, run_in_tmpdir, rust_lib_name, rustc, static_lib_name,
};

struct Final {
    source: &'static str,
    crate_type: &'static str,
    output: String,
    /// The file name stem of the `.rlink` that `-Z no-link` writes.
    stem: &'static str,
}

fn finals() -> Vec<Final> {
    vec![
        Final { source: "main.rs", crate_type: "bin", output: "main".into(), stem: "main" },
        Final { source: "tests.rs", crate_type: "test", output: "tests".into(), stem: "tests" },
        Final {
            source: "clib.rs",
            crate_type: "cdylib",
            output: dynamic_lib_name("clib"),
            stem: "clib",
        },
        Final {
            source: "clib.rs",
            crate_type: "staticlib",
            output: static_lib_name("clib"),
            stem: "clib",
        },
        Final {
            source: "dylib.rs",
            crate_type: "dylib",
            output: dynamic_lib_name("dylib"),
            stem: "dylib",
        },
        Final {
            source: "pmh.rs",
            crate_type: "proc-macro",
            output: dynamic_lib_name("pmh"),
            stem: "pmh",
        },
    ]
}

/// Dylibs and proc-macros embed their metadata, and with it their dependencies' hashes.
fn carries_metadata(f: &Final) -> bool {
    matches!(f.crate_type, "dylib" | "proc-macro")
}

fn profile(cmd: &mut run_make_support::Rustc, release: bool) {
    cmd.edition("2021");
    if release {
        cmd.opt_level("3");
    } else {
        cmd.opt_level("0").debuginfo("2");
    }
}

/// Builds the libraries into `deps/`. With `headers`, each library also writes its header and
/// compiles against the headers of its own dependencies.
fn build_libraries(release: bool, headers: bool) {
    create_dir("deps");
    let mut pm = rustc();
    pm.input("pm.rs").crate_type("proc-macro").out_dir("deps");
    profile(&mut pm, release);
    pm.run();
    for (name, externs) in [("base", vec![]), ("other", vec![]), ("dep", vec!["base"])] {
        let mut lib = rustc();
        lib.input(format!("{name}.rs")).crate_type("rlib").emit("metadata,link").out_dir("deps");
        for dep in externs {
            lib.extern_(dep, format!("deps/lib{dep}.rmeta"));
        }
        if headers {
            lib.arg("-Zemit-header").arg("-Zconsume-headers");
        }
        profile(&mut lib, release);
        lib.run();
    }
}

fn final_rustc(f: &Final, release: bool) -> run_make_support::Rustc {
    let mut cmd = rustc();
    cmd.input(f.source).out_dir("out").library_search_path("dependency=deps");
    if f.crate_type == "test" {
        cmd.arg("--test");
    } else {
        cmd.crate_type(f.crate_type);
    }
    cmd.extern_("other", format!("deps/{}", rust_lib_name("other")))
        .extern_("pm", format!("deps/{}", dynamic_lib_name("pm")));
    profile(&mut cmd, release);
    cmd
}

fn check_profile(release: bool) {
    let what = if release { "optimized" } else { "debug" };

    // One step against the rlibs, the flags off: the reference.
    build_libraries(release, false);
    let mut reference = Vec::new();
    for f in &finals() {
        if carries_metadata(f) {
            reference.push(Vec::new());
            continue;
        }
        create_dir("out");
        final_rustc(f, release).extern_("dep", format!("deps/{}", rust_lib_name("dep"))).run();
        reference.push(read(format!("out/{}", f.output)));
        if f.crate_type == "bin" {
            let out = run("out/main").stdout_utf8();
            assert!(out.contains("hello from dep"), "{out}");
        }
        if f.crate_type == "test" {
            run("out/tests").assert_stdout_contains("3 passed");
        }
        remove_dir_all("out");
    }
    remove_dir_all("deps");

    // Headers: every final crate compiles before the rlibs of `dep` and `base` exist.
    build_libraries(release, true);
    for file in ["libdep.rmeta", "libdep.rlib"] {
        rustc()
            .input(format!("deps/{file}"))
            .arg("-Zls=root")
            .run()
            .assert_stdout_contains("interface_hash ");
    }
    for (f, expected) in finals().iter().zip(reference.iter_mut()) {
        if carries_metadata(f) {
            create_dir("out");
            final_rustc(f, release)
                .extern_("dep", format!("deps/{}", rust_lib_name("dep")))
                .arg("-Zconsume-headers")
                .run();
            *expected = read(format!("out/{}", f.output));
            remove_dir_all("out");
        }
    }
    create_dir("held");
    for (f, expected) in finals().iter().zip(reference) {
        let kind = f.crate_type;
        create_dir("out");
        for lib in ["dep", "base"] {
            rename(format!("deps/{}", rust_lib_name(lib)), format!("held/{}", rust_lib_name(lib)));
        }
        final_rustc(f, release)
            .extern_("dep", format!("deps/{}", "libdep.rmeta"))
            .arg("-Zconsume-headers")
            .arg("-Zno-link")
            .run();
        let rlink = format!("out/{}.rlink", f.stem);
        assert!(Path::new(&rlink).exists(), "{what} {kind}: no {rlink}");
        assert!(!Path::new(&format!("out/{}", f.output)).exists());

        // The link step gets the compile step's flags, as a build tool passes them: the
        // optimization level, for one, decides linker options.
        let link = || {
            let mut cmd = rustc();
            cmd.arg("-Zlink-only").arg("-Zconsume-headers").input(&rlink);
            profile(&mut cmd, release);
            cmd
        };

        // Linking now fails, naming the crate, its header and the missing rlib.
        let early = link().run_fail();
        early
            .assert_stderr_contains("the rlib of crate `dep` is missing")
            .assert_stderr_contains("the rlib of crate `base` is missing")
            .assert_stderr_contains("deps/libdep.rmeta")
            .assert_stderr_not_contains("panicked");

        // Once the rlibs exist the link step succeeds, and it can be run again.
        for lib in ["dep", "base"] {
            rename(format!("held/{}", rust_lib_name(lib)), format!("deps/{}", rust_lib_name(lib)));
        }
        for attempt in ["first", "second"] {
            link().run();
            assert!(
                read(format!("out/{}", f.output)) == expected,
                "{what} {kind}: {attempt} link against headers differs from the one-step build"
            );
        }
        if kind == "test" {
            run("out/tests").assert_stdout_contains("3 passed");
        }
        remove_dir_all("out");
    }
    remove_dir_all("held");
    remove_dir_all("deps");
}

fn main() {
    run_in_tmpdir(|| {
        check_profile(false);
        check_profile(true);
    });
}
