//! Tests for `-Z header-pipelining`.
//!
//! The ordering tests use a rustc wrapper that makes the build of the library `dep` end only once
//! a crate that links has been compiled against `dep`'s header. Without header pipelining that
//! never happens before `dep` ends, and the wrapper gives up after a minute, which the test sees.

use std::fs;
use std::path::{Path, PathBuf};

use crate::prelude::*;
use cargo_test_support::{Execs, Project, basic_manifest, project};

/// The wrapper. It drops `-Z link-if-ready`, so that a unit compiled against headers always links
/// in a step of its own. It logs, for each compile against headers (`-Z no-link`) and each link
/// (`-Z link-only`), whether the held crate (`dep`, or `HEADER_TEST_HELD`) had ended
/// (`dep_done`); it holds that crate's end until 300 ms after a compile against headers has run
/// (at most 60 s), that of crate `HEADER_TEST_HOLD_FOR` if set;
/// with `KILL_CARGO_AT_LINK` set it kills cargo when a link starts;
/// with `FAIL_DEP` set the held crate fails after it has written its header.
const WRAPPER: &str = r#"
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // These tests watch the link step: rustc must not link in the compile when `dep` is quick.
    if let Some(i) = args.windows(2).position(|w| w[0] == "-Z" && w[1] == "link-if-ready") {
        args.drain(i..i + 2);
    }
    let held = std::env::var("HEADER_TEST_HELD").unwrap_or_else(|_| "dep".to_string());
    let markers = std::env::var("HEADER_TEST_MARKERS").unwrap();
    let markers = Path::new(&markers);
    let crate_name = args
        .windows(2)
        .find(|w| w[0] == "--crate-name")
        .map(|w| w[1].clone())
        .unwrap_or_default();
    let compile = args.iter().any(|a| a == "no-link");
    let link = args.iter().any(|a| a == "link-only");
    let dep_done = markers.join("dep-done").exists();
    let log = |line: String| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(markers.join("log"))
            .unwrap();
        writeln!(f, "{line}").unwrap();
    };
    if compile {
        log(format!("compile {crate_name} dep_done={dep_done}"));
    }
    if link {
        log(format!("link {crate_name} dep_done={dep_done}"));
        if std::env::var_os("KILL_CARGO_AT_LINK").is_some() {
            #[cfg(unix)]
            {
                let cargo = std::os::unix::process::parent_id();
                Command::new("kill").arg("-9").arg(cargo.to_string()).status().unwrap();
                std::thread::sleep(Duration::from_secs(1));
            }
            std::process::exit(1);
        }
    }
    let status = Command::new(&args[0]).args(&args[1..]).status().unwrap();
    let awaited = std::env::var("HEADER_TEST_HOLD_FOR").map_or(true, |name| name == crate_name);
    if compile && awaited {
        std::fs::write(markers.join("consumer-compiled"), "").unwrap();
    }
    if crate_name == held && !args.iter().any(|a| a == "--test") {
        let start = Instant::now();
        while !markers.join("consumer-compiled").exists() && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Give cargo time to see that compile end and start waiting for `dep`'s rlib, so that the
        // wait is long enough to show in `--timings`.
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(markers.join("dep-done"), "").unwrap();
        if std::env::var_os("FAIL_DEP").is_some() {
            eprintln!("injected failure after the header");
            std::process::exit(1);
        }
    }
    std::process::exit(status.code().unwrap_or(1));
}
"#;

fn build_wrapper() -> PathBuf {
    let p = project()
        .at("wrapper")
        .file("Cargo.toml", &basic_manifest("wrapper", "1.0.0"))
        .file("src/main.rs", WRAPPER)
        .build();
    p.cargo("build").run();
    p.bin("wrapper")
}

/// The manifest of package `name` (edition 2021), with `rest` after `[package]`.
fn manifest(name: &str, rest: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{rest}\n")
}

/// A workspace member `foo` with a bin, an integration test and an example, over a library `dep`.
fn consumer_project(extra_foo_manifest: &str) -> Project {
    project()
        .file(
            "Cargo.toml",
            &manifest(
                "foo",
                &format!("[dependencies]\ndep = {{ path = \"dep\" }}\n{extra_foo_manifest}"),
            ),
        )
        .file(
            "src/main.rs",
            "fn main() { println!(\"{}\", dep::answer()); }",
        )
        .file(
            "tests/t.rs",
            "#[test] fn t() { assert_eq!(dep::answer(), 42); }",
        )
        .file(
            "examples/ex.rs",
            "fn main() { println!(\"{}\", dep::answer() + 1); }",
        )
        .file("dep/Cargo.toml", &basic_manifest("dep", "0.1.0"))
        .file(
            "dep/src/lib.rs",
            "pub fn answer() -> u32 { helper() * 2 } fn helper() -> u32 { 21 }",
        )
        .build()
}

fn markers(p: &Project) -> PathBuf {
    let dir = p.root().join("markers");
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn log(p: &Project) -> String {
    fs::read_to_string(p.root().join("markers/log")).unwrap_or_default()
}

/// `cargo <cmd>` with `-Z header-pipelining` allowed, every rustc run through the wrapper.
fn wrapped(p: &Project, cmd: &str, wrapper: &Path, markers: &Path) -> Execs {
    let mut execs = p.cargo(cmd);
    execs
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .env("RUSTC_WRAPPER", wrapper)
        .env("HEADER_TEST_MARKERS", markers);
    execs
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn bin_compiles_before_dependency_ends_and_links_after() {
    let wrapper = build_wrapper();
    let p = consumer_project("");
    let markers = markers(&p);
    wrapped(&p, "build -Z header-pipelining --timings -v", &wrapper, &markers)
        .with_stderr_contains("[RUNNING] `[..]--crate-name dep [..]-Z emit-header[..]`")
        .with_stderr_contains(
            "[RUNNING] `[..]--crate-name foo [..]-Z consume-headers -Z no-link [..]--extern dep=[ROOT]/foo/target/debug/deps/libdep-[HASH].rmeta`",
        )
        .with_stderr_contains(
            "[RUNNING] `[..]-Z consume-headers[..]-Z link-only [ROOT]/foo/target/debug/deps/foo-[HASH].rlink`",
        )
        .run();
    let log = log(&p);
    assert!(log.contains("compile foo dep_done=false"), "{log}");
    assert!(log.contains("link foo dep_done=true"), "{log}");
    assert!(!log.contains("link foo dep_done=false"), "{log}");
    p.process(&p.bin("foo")).with_stdout_data("42\n").run();

    // The timing report shows the wait for `dep`'s rlib and the link as sections of `foo`.
    let foo = timed_unit(&p, "foo");
    // (A zero-length "other" section may follow: cargo rounds the link's end.)
    assert!(
        section_names(&foo).starts_with(&["frontend", "link-wait", "link"]),
        "{foo}"
    );
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn bin_links_in_its_compile_when_the_rlibs_are_ready() {
    let p = consumer_project("");
    let cargo = |cmd: &str| {
        let mut execs = p.cargo(&format!("{cmd} -Z header-pipelining -v"));
        execs.masquerade_as_nightly_cargo(&["header-pipelining"]);
        execs
    };
    // `dep` alone first: its rlib exists when `foo` has been compiled against its header.
    cargo("build -p dep").run();
    cargo("build --bin foo")
        .with_stderr_contains("[FRESH] dep v0.1.0 ([ROOT]/foo/dep)")
        .with_stderr_contains(
            "[RUNNING] `[..]--crate-name foo [..]-Z consume-headers -Z no-link -Z link-if-ready [..]`",
        )
        .with_stderr_does_not_contain("[..]-Z link-only[..]")
        .run();
    p.process(&p.bin("foo")).with_stdout_data("42\n").run();

    // Linked in the compile, `foo` is fresh afterwards.
    cargo("build --bin foo")
        .with_stderr_contains("[FRESH] foo v0.1.0 ([ROOT]/foo)")
        .with_stderr_does_not_contain("[..]-Z link-only[..]")
        .run();

    // The objects and the `.rlink` stayed: after a private edit in `dep`, `foo` only relinks.
    edit(&p, "dep/src/lib.rs", "21", "20");
    cargo("build --bin foo")
        .with_stderr_contains("[RUNNING] `[..]--crate-name dep [..]`")
        .with_stderr_contains(
            "[RUNNING] `[..]-Z link-only [ROOT]/foo/target/debug/deps/foo-[HASH].rlink`",
        )
        .with_stderr_does_not_contain("[RUNNING] `[..]--crate-name foo [..]-Z no-link[..]`")
        .run();
    p.process(&p.bin("foo")).with_stdout_data("40\n").run();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn test_harness_and_example_compile_against_headers() {
    let wrapper = build_wrapper();
    let p = consumer_project("");
    let markers = markers(&p);
    // `foo`'s binary is compiled against headers too: `dep` must wait for `t`.
    wrapped(&p, "test -Z header-pipelining --test t", &wrapper, &markers)
        .env("HEADER_TEST_HOLD_FOR", "t")
        .with_stdout_contains("test t ... ok")
        .run();
    let log = log(&p);
    assert!(log.contains("compile t dep_done=false"), "{log}");
    assert!(log.contains("link t dep_done=true"), "{log}");

    p.cargo("clean").run();
    fs::remove_dir_all(&markers).unwrap();
    let markers = self::markers(&p);
    wrapped(
        &p,
        "run -Z header-pipelining --example ex",
        &wrapper,
        &markers,
    )
    .with_stdout_data("43\n")
    .run();
    let log = self::log(&p);
    assert!(log.contains("compile ex dep_done=false"), "{log}");
    assert!(log.contains("link ex dep_done=true"), "{log}");

    // Cargo keeps an integration test's edge to its package's binaries (`CARGO_BIN_EXE_<name>`)
    // out of the job graph: the test needs them only to run. The flag keeps it out too: `t`
    // compiles while the binary `foo` is held.
    p.cargo("clean").run();
    fs::remove_dir_all(&markers).unwrap();
    let markers = self::markers(&p);
    wrapped(&p, "test -Z header-pipelining --test t", &wrapper, &markers)
        .env("HEADER_TEST_HELD", "foo")
        .env("HEADER_TEST_HOLD_FOR", "t")
        .with_stdout_contains("test t ... ok")
        .run();
    let log = self::log(&p);
    assert!(log.contains("compile t dep_done=false"), "{log}");
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn cdylib_compiles_against_headers() {
    let wrapper = build_wrapper();
    let p = project()
        .file(
            "Cargo.toml",
            &manifest(
                "foo",
                "[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\ndep = { path = \"dep\" }",
            ),
        )
        .file(
            "src/lib.rs",
            "#[no_mangle] pub extern \"C\" fn foo() -> u32 { dep::answer() }",
        )
        .file("dep/Cargo.toml", &basic_manifest("dep", "0.1.0"))
        .file("dep/src/lib.rs", "pub fn answer() -> u32 { 42 }")
        .build();
    let markers = markers(&p);
    wrapped(&p, "build -Z header-pipelining", &wrapper, &markers).run();
    let log = log(&p);
    assert!(log.contains("compile foo dep_done=false"), "{log}");
    assert!(log.contains("link foo dep_done=true"), "{log}");
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn proc_macro_and_build_script_dependencies_still_wait() {
    let p = project()
        .file(
            "Cargo.toml",
            &manifest(
                "foo",
                "[dependencies]\npm = { path = \"pm\" }\ndep = { path = \"dep\" }",
            ),
        )
        .file(
            "src/main.rs",
            "fn main() { println!(\"{} {}\", pm::answer!(), dep::VALUE); }",
        )
        .file("pm/Cargo.toml", &manifest("pm", "[lib]\nproc-macro = true"))
        .file(
            "pm/src/lib.rs",
            r#"
                extern crate proc_macro;
                #[proc_macro]
                pub fn answer(_: proc_macro::TokenStream) -> proc_macro::TokenStream {
                    "42".parse().unwrap()
                }
            "#,
        )
        .file("dep/Cargo.toml", &manifest("dep", ""))
        .file(
            "dep/build.rs",
            "fn main() { println!(\"cargo::rustc-env=DEP_VALUE=7\"); }",
        )
        .file(
            "dep/src/lib.rs",
            "pub const VALUE: &str = env!(\"DEP_VALUE\");",
        )
        .build();
    p.cargo("build -Z header-pipelining -v")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .with_stderr_contains(
            "[RUNNING] `[..]--crate-name foo [..]-Z consume-headers -Z no-link [..]--extern pm=[ROOT]/foo/target/debug/deps/libpm-[HASH].so`",
        )
        .with_stderr_does_not_contain("[RUNNING] `[..]--crate-name pm [..]-Z emit-header[..]`")
        .with_stderr_does_not_contain("[RUNNING] `[..]--crate-name pm [..]-Z no-link[..]`")
        .with_stderr_does_not_contain(
            "[RUNNING] `[..]--crate-name build_script_build [..]-Z no-link[..]`",
        )
        .run();
    p.process(&p.bin("foo")).with_stdout_data("42 7\n").run();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn lto_profile_falls_back() {
    let p = consumer_project("[profile.release]\nlto = true");
    p.cargo("build --release -Z header-pipelining -v --bin foo")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .with_stderr_contains(
            "[RUNNING] `[..]--crate-name foo [..]--extern dep=[ROOT]/foo/target/release/deps/libdep-[HASH].rlib[..]`",
        )
        .with_stderr_does_not_contain("[RUNNING] `[..]--crate-name foo [..]-Z consume-headers[..]`")
        .run();
    p.process(&p.release_bin("foo"))
        .with_stdout_data("42\n")
        .run();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn flag_off_is_unchanged() {
    let p = consumer_project("");
    p.cargo("build -v")
        .with_stderr_contains(
            "[RUNNING] `[..]--crate-name foo [..]--extern dep=[ROOT]/foo/target/debug/deps/libdep-[HASH].rlib[..]`",
        )
        .with_stderr_does_not_contain("[..]-Z emit-header[..]")
        .with_stderr_does_not_contain("[..]-Z consume-headers[..]")
        .with_stderr_does_not_contain("[..]link-only[..]")
        .run();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn config_unstable_table_enables_it() {
    let p = consumer_project("");
    p.change_file(
        ".cargo/config.toml",
        "[unstable]\nheader-pipelining = true\n",
    );
    p.cargo("build -v --bin foo")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .with_stderr_contains(
            "[RUNNING] `[..]--crate-name foo [..]-Z consume-headers -Z no-link[..]`",
        )
        .run();
}

/// A project whose test runs `cargo build` itself, as `just`'s test suite and many build scripts
/// and xtasks do. The inner run writes what it did to `nested.log`.
fn nested_cargo_project() -> Project {
    let p = consumer_project("");
    p.change_file(
        "tests/nested.rs",
        r#"
        #[test]
        fn builds_itself() {
            let dir = env!("CARGO_MANIFEST_DIR");
            let out = std::process::Command::new(std::env::var("CARGO").unwrap())
                .args(["build", "-v", "--bin", "foo"])
                .current_dir(dir)
                .output()
                .unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            std::fs::write(format!("{dir}/nested.log"), &stderr).unwrap();
            assert!(out.status.success(), "{stderr}");
        }
        "#,
    );
    p
}

/// Turned on by `CARGO_UNSTABLE_HEADER_PIPELINING` (the README's way), the feature reaches a cargo
/// run that a test starts, which finds every unit fresh; turned on by `-Z` alone, it does not, and
/// the inner run compiles everything again, as the flag enters every fingerprint.
#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn nested_cargo_run_inherits_it_from_the_environment() {
    let p = nested_cargo_project();
    let nested = || fs::read_to_string(p.root().join("nested.log")).unwrap();
    p.cargo("build -v --bin foo")
        .env("CARGO_UNSTABLE_HEADER_PIPELINING", "true")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .with_stderr_contains("[RUNNING] `[..]--crate-name foo [..]-Z consume-headers[..]`")
        .run();
    p.cargo("test --test nested")
        .env("CARGO_UNSTABLE_HEADER_PIPELINING", "true")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .run();
    let log = nested();
    assert!(log.contains("[FRESH] dep") || log.contains("Fresh dep"), "{log}");
    assert!(!log.contains("Compiling") && !log.contains("Running `"), "{log}");
    p.cargo("build -v --bin foo")
        .env("CARGO_UNSTABLE_HEADER_PIPELINING", "true")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .with_stderr_does_not_contain("[COMPILING] [..]")
        .run();

    // The flag alone: the inner run, without it, compiles `dep` and `foo` again.
    p.cargo("test -Z header-pipelining --test nested")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .run();
    let log = nested();
    assert!(log.contains("Compiling dep") && log.contains("Compiling foo"), "{log}");
}

#[cfg(unix)]
#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn killed_during_link_then_rebuilt() {
    let wrapper = build_wrapper();
    let p = consumer_project("");
    let markers = markers(&p);
    let killed = wrapped(
        &p,
        "build -Z header-pipelining --bin foo",
        &wrapper,
        &markers,
    )
    .env("KILL_CARGO_AT_LINK", "1")
    .exec_with_output();
    assert!(killed.is_err(), "cargo was not killed");
    assert!(log(&p).contains("link foo"), "{}", log(&p));
    assert!(!p.bin("foo").exists());

    wrapped(
        &p,
        "build -Z header-pipelining --bin foo",
        &wrapper,
        &markers,
    )
    .run();
    p.process(&p.bin("foo")).with_stdout_data("42\n").run();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn rustc_without_header_support_is_a_clear_error() {
    let fake = project()
        .at("fake-rustc")
        .file("Cargo.toml", &basic_manifest("fake-rustc", "1.0.0"))
        .file(
            "src/main.rs",
            r#"
                fn main() {
                    let args: Vec<String> = std::env::args().skip(1).collect();
                    if args.iter().any(|a| a == "help") {
                        return;
                    }
                    let status = std::process::Command::new("rustc").args(&args).status().unwrap();
                    std::process::exit(status.code().unwrap_or(1));
                }
            "#,
        )
        .build();
    fake.cargo("build").run();
    let p = consumer_project("");
    p.cargo("build -Z header-pipelining")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .env("RUSTC", fake.bin("fake-rustc"))
        .with_status(101)
        .with_stderr_contains(
            "[ERROR] `-Z header-pipelining` needs a rustc with `-Z emit-header`, `-Z consume-headers` and `-Z link-if-ready`, and `[..]fake-rustc[..]` does not have them",
        )
        .run();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn dependency_failing_after_its_header_stops_the_waiting_link() {
    let wrapper = build_wrapper();
    let p = consumer_project("");
    let markers = markers(&p);
    wrapped(
        &p,
        "build -Z header-pipelining --bin foo",
        &wrapper,
        &markers,
    )
    .env("FAIL_DEP", "1")
    .with_status(101)
    .with_stderr_contains("[ERROR] could not compile `dep` (lib)")
    .with_stderr_does_not_contain("[..]could not link[..]")
    .run();
    let log = log(&p);
    assert!(log.contains("compile foo dep_done=false"), "{log}");
    assert!(!log.contains("link foo"), "{log}");
    assert!(!p.bin("foo").exists());
}

/// `a` ← `b` ← `c` ← `app` (a binary with an integration test). `b` calls `a`'s pub and generic
/// functions from a private body; `app` only depends on `c`.
fn chain_project() -> Project {
    project()
        .file(
            "Cargo.toml",
            &manifest("app", "[dependencies]\nc = { path = \"c\" }"),
        )
        .file("src/main.rs", "fn main() { println!(\"{}\", c::value()); }")
        .file("tests/t.rs", "#[test] fn t() { assert!(c::value() > 30); }")
        .file("a/Cargo.toml", &manifest("a", ""))
        .file(
            "a/src/lib.rs",
            "pub fn plain(v: u32) -> u32 {\n    helper(v) + 1\n}\n\n\
             fn helper(v: u32) -> u32 {\n    v * 3\n}\n\n\
             pub fn pick<T: PartialOrd>(x: T, y: T) -> T {\n    if x > y { x } else { y }\n}\n",
        )
        .file(
            "b/Cargo.toml",
            &manifest("b", "[dependencies]\na = { path = \"../a\" }"),
        )
        .file(
            "b/src/lib.rs",
            "pub fn twice(v: u32) -> u32 {\n    helper(v) * 2\n}\n\n\
             fn helper(v: u32) -> u32 {\n    a::pick(a::plain(v), 3)\n}\n",
        )
        .file(
            "c/Cargo.toml",
            &manifest("c", "[dependencies]\nb = { path = \"../b\" }"),
        )
        .file(
            "c/src/lib.rs",
            "pub fn value() -> u32 {\n    b::twice(5) + 1\n}\n",
        )
        .build()
}

/// `cargo <cmd> -v` with `-Z header-pipelining`: the crates rustc compiled and the crates it only
/// linked, and the console output.
fn build_and_watch(p: &Project, cmd: &str) -> (Vec<String>, Vec<String>, String) {
    let out = p
        .cargo(&format!("{cmd} -Z header-pipelining -v"))
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .exec_with_output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let (mut compiled, mut linked) = (Vec::new(), Vec::new());
    for line in stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Running `"))
    {
        if line.contains("-Z link-only") {
            linked.push(line.split('/').last().unwrap_or("").to_string());
        } else if let Some(name) = line.split("--crate-name ").nth(1) {
            let name = name.split(' ').next().unwrap().to_string();
            if !line.contains("build_script_build") {
                compiled.push(name);
            }
        }
    }
    compiled.sort();
    linked.sort();
    (compiled, linked, stderr)
}

/// Whether a console line starts with `status` (after the padding) and ends with `why`.
fn said(stderr: &str, status: &str, why: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.trim_start().starts_with(status) && l.ends_with(why))
}

/// The unit of package `name` in the last `--timings` report.
fn timed_unit(p: &Project, name: &str) -> serde_json::Value {
    let report =
        fs::read_to_string(p.root().join("target/cargo-timings/cargo-timing.html")).unwrap();
    let data = report.split("const UNIT_DATA = ").nth(1).unwrap();
    let data = &data[..data.find(";\n").unwrap()];
    let units: Vec<serde_json::Value> = serde_json::from_str(data).unwrap();
    units.into_iter().find(|u| u["name"] == name).unwrap()
}

fn section_names(unit: &serde_json::Value) -> Vec<&str> {
    let sections = unit["sections"].as_array().unwrap();
    sections.iter().map(|s| s[0].as_str().unwrap()).collect()
}

fn edit(p: &Project, path: &str, from: &str, to: &str) {
    let file = p.root().join(path);
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from:?} in {path}");
    // Sources are compared by mtime: make sure the edit is newer than the last build.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fs::write(&file, text.replace(from, to)).unwrap();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn private_body_edit_rebuilds_one_crate_and_relinks() {
    let p = chain_project();
    let (compiled, _, _) = build_and_watch(&p, "build");
    assert_eq!(compiled, ["a", "app", "b", "c"]);
    p.process(&p.bin("app")).with_stdout_data("33\n").run();

    edit(&p, "a/src/lib.rs", "v * 3", "v * 4");
    let (compiled, linked, stderr) = build_and_watch(&p, "build");
    assert_eq!(compiled, ["a"], "{stderr}");
    assert!(linked.iter().any(|l| l.starts_with("app-")), "{stderr}");
    assert!(
        said(&stderr, "Relinking app ", "(interface of `c` unchanged)"),
        "{stderr}"
    );
    assert!(
        said(&stderr, "Fresh b ", "(interface of `a` unchanged)"),
        "{stderr}"
    );
    assert!(
        said(&stderr, "Fresh c ", "(interface of `b` unchanged)"),
        "{stderr}"
    );
    p.process(&p.bin("app")).with_stdout_data("43\n").run();

    // Then everything is fresh.
    let (compiled, linked, stderr) = build_and_watch(&p, "build");
    assert!(compiled.is_empty() && linked.is_empty(), "{stderr}");

    // `cargo test`: after another private edit the test harnesses only relink, and pass.
    build_and_watch(&p, "test --no-run");
    edit(&p, "a/src/lib.rs", "v * 4", "v * 5");
    let (compiled, linked, stderr) = build_and_watch(&p, "test --no-run");
    assert_eq!(compiled, ["a"], "{stderr}");
    assert!(linked.iter().any(|l| l.starts_with("t-")), "{stderr}");
    p.cargo("test -Z header-pipelining")
        .masquerade_as_nightly_cargo(&["header-pipelining"])
        .with_stdout_contains("test t ... ok")
        .run();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn interface_edits_rebuild_dependents_and_a_chain_stops_at_the_first_unchanged_header() {
    let p = chain_project();
    build_and_watch(&p, "build");

    // A private body in the middle of the chain: `b` compiles again, its header keeps its
    // interface hash, so `c` is not compiled again and `app` only relinks.
    edit(&p, "b/src/lib.rs", "a::plain(v), 3)", "a::plain(v), 4)");
    let (compiled, linked, stderr) = build_and_watch(&p, "build --timings");
    assert_eq!(compiled, ["b"], "{stderr}");
    assert!(linked.iter().any(|l| l.starts_with("app-")), "{stderr}");
    assert!(
        said(&stderr, "Fresh c ", "(interface of `b` unchanged)"),
        "{stderr}"
    );
    p.process(&p.bin("app")).with_stdout_data("33\n").run();
    // The timing report shows `app`'s relink: a unit with a cutoff and a link section.
    let app = timed_unit(&p, "app");
    let sections = section_names(&app);
    assert!(
        sections.contains(&"cutoff") && sections.contains(&"link"),
        "{app}"
    );
    assert!(app["duration"].as_f64().unwrap() > 0.0, "{app}");

    // `pick` is generic, so its body is part of `a`'s interface: `b` compiles again, and so does
    // everything above it, whose metadata records `a`'s interface hash.
    edit(&p, "a/src/lib.rs", "if x > y { x }", "if x >= y { x }");
    let (compiled, _, stderr) = build_and_watch(&p, "build");
    assert_eq!(compiled, ["a", "app", "b", "c"], "{stderr}");
    assert!(
        stderr.contains("the interface of a dependency's header changed"),
        "{stderr}"
    );
    p.process(&p.bin("app")).with_stdout_data("33\n").run();

    // `b::twice` made `#[inline]`: `b`'s interface changes, so `c` and `app` compile again.
    edit(
        &p,
        "b/src/lib.rs",
        "pub fn twice",
        "#[inline]\npub fn twice",
    );
    let (compiled, _, stderr) = build_and_watch(&p, "build");
    assert_eq!(compiled, ["app", "b", "c"], "{stderr}");
    p.process(&p.bin("app")).with_stdout_data("33\n").run();
}

#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn killed_at_relink_then_rerun() {
    let wrapper = build_wrapper();
    let p = chain_project();
    let markers = markers(&p);
    build_and_watch(&p, "build");
    edit(&p, "a/src/lib.rs", "v * 3", "v * 4");
    let killed = wrapped(&p, "build -Z header-pipelining", &wrapper, &markers)
        .env("KILL_CARGO_AT_LINK", "1")
        .exec_with_output();
    assert!(killed.is_err(), "cargo was not killed");
    assert!(log(&p).contains("link app"), "{}", log(&p));

    let (compiled, _, stderr) = build_and_watch(&p, "build");
    assert!(!compiled.contains(&"b".to_string()), "{stderr}");
    p.process(&p.bin("app")).with_stdout_data("43\n").run();
}

/// The library of the "then edit the dependent" tests: a module with a trait impl whose method
/// body is private to `a` (not carried by its header in the dev profile), a private helper, a
/// crate-private const and a pub fn, as in issue 19's reproduction; and last, a private fn that no
/// profile carries, so that an edit of it keeps the interface in release builds too.
const LINES_LIB: &str = "\
pub mod m {
    pub struct Lines(pub u32);

    impl Iterator for Lines {
        type Item = u32;

        fn next(&mut self) -> Option<u32> {
            if self.0 == 0 {
                return None;
            }
            self.0 -= 1;
            Some(helper(self.0))
        }
    }

    pub(crate) const STEP: u32 = 1;

    pub(crate) fn helper(v: u32) -> u32 {
        v * 2 + STEP
    }

    pub fn g(v: u32) -> u32 {
        helper(v) + 1 + mix(v).wrapping_mul(0)
    }

    fn mix(h: u32) -> u32 {
        // It calls a function that is not inlined: never cross-crate-inlinable.
        h.rotate_left(5) ^ std::process::id()
    }
}
";

/// `a` <- `b` <- `app`, with `b` using `a::m::{g, Lines}`; `profile` is added to the workspace
/// manifest.
fn lines_project(name: &str, profile: &str) -> Project {
    project()
        .at(name)
        .file(
            "Cargo.toml",
            &format!(
                "[workspace]\nmembers = [\"a\", \"b\", \"app\"]\nresolver = \"2\"\n\n{profile}\n"
            ),
        )
        .file("a/Cargo.toml", &manifest("a", ""))
        .file("a/src/lib.rs", LINES_LIB)
        .file(
            "b/Cargo.toml",
            &manifest("b", "[dependencies]\na = { path = \"../a\" }"),
        )
        .file(
            "b/src/lib.rs",
            "use a::m::{g, Lines};\n\npub fn total(n: u32) -> u32 {\n    Lines(n).map(g).sum()\n}\n",
        )
        .file(
            "app/Cargo.toml",
            &manifest("app", "[dependencies]\nb = { path = \"../b\" }"),
        )
        .file(
            "app/src/main.rs",
            "fn main() {\n    println!(\"{}\", b::total(4));\n}\n",
        )
        .build()
}

/// The bytes of each file in `files` (relative to the project root).
fn snapshot(p: &Project, files: &[&str]) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|f| (f.to_string(), fs::read(p.root().join(f)).unwrap()))
        .collect()
}

/// Nothing to do: no crate compiled, none linked.
fn assert_fresh(p: &Project, cmd: &str) {
    let (compiled, linked, stderr) = build_and_watch(p, cmd);
    assert!(compiled.is_empty() && linked.is_empty(), "not fresh:\n{stderr}");
}

/// `files` after `cargo clean` and `cmd` equal `before`, byte for byte.
fn assert_clean_build_equal(p: &Project, cmd: &str, before: &[(String, Vec<u8>)], what: &str) {
    p.cargo("clean").run();
    build_and_watch(p, cmd);
    let files: Vec<&str> = before.iter().map(|(f, _)| f.as_str()).collect();
    for ((file, old), (_, clean)) in before.iter().zip(snapshot(p, &files)) {
        assert!(*old == clean, "{what}: {file} differs from a clean build");
    }
}

/// Issue 19: after an early cutoff the next build of the dependent (incremental, as cargo's dev
/// profile has it) must compile, and equal a clean build. A foreign query result in the
/// dependent's incremental cache is only reused when the upstream crate is the same one.
#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn after_a_cutoff_the_dependent_edited_compiles_and_equals_a_clean_build() {
    // Edits of `a` (`from` -> `to`), and whether the dev profile cuts `b` off after them.
    let upstream_edits: [(&str, &str, &str, bool); 4] = [
        (
            "comment-in-trait-impl-body",
            "            self.0 -= 1;\n",
            "            // Two comment lines move\n            // the spans below them.\n            self.0 -= 1;\n",
            true,
        ),
        (
            "private-fn-added",
            "        v * 2 + STEP\n    }\n",
            "        twice(v) + STEP\n    }\n\n    fn twice(v: u32) -> u32 {\n        v * 2\n    }\n",
            true,
        ),
        (
            "line-shift-above-pub-item",
            "    pub fn g(",
            "    // Two lines above a pub fn\n    // move its spans.\n    pub fn g(",
            true,
        ),
        (
            "crate-private-const",
            "STEP: u32 = 1;",
            "STEP: u32 = 3;",
            false,
        ),
    ];
    // Then an edit of a dependent: `b` (its interface grows) or `app`.
    let dependent_edits: [(&str, &str, &str); 2] = [
        (
            "b/src/lib.rs",
            "pub fn total",
            "pub fn extra() -> u32 {\n    a::m::g(1)\n}\n\npub fn total",
        ),
        ("app/src/main.rs", "total(4)", "total(5)"),
    ];
    let outputs = ["target/debug/app"];
    for (name, from, to, cut_off) in upstream_edits {
        for (file, dfrom, dto) in dependent_edits {
            let what = format!("{name}, then {file}");
            let p = lines_project(&format!("{name}-{}", file.split('/').next().unwrap()), "");
            build_and_watch(&p, "build");
            edit(&p, "a/src/lib.rs", from, to);
            let (compiled, _, stderr) = build_and_watch(&p, "build");
            if cut_off {
                assert_eq!(compiled, ["a"], "{what}:\n{stderr}");
            }
            edit(&p, file, dfrom, dto);
            let (_, _, stderr) = build_and_watch(&p, "build");
            assert!(!stderr.contains("internal compiler error"), "{what}:\n{stderr}");
            assert_fresh(&p, "build");
            let rebuilt = snapshot(&p, &outputs);
            assert_clean_build_equal(&p, "build", &rebuilt, &what);
        }
    }
}

/// The same after a cut-off chain: `a` edited, `b` and `c` cut off, then `c` edited.
#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn after_a_cut_off_chain_the_top_edited_compiles_and_equals_a_clean_build() {
    let p = chain_project();
    build_and_watch(&p, "build");
    edit(&p, "a/src/lib.rs", "v * 3", "v * 4");
    let (compiled, _, stderr) = build_and_watch(&p, "build");
    assert_eq!(compiled, ["a"], "{stderr}");
    // A body of `c`: `c` compiles from its incremental cache, which predates `a`'s edit; its
    // interface stays, so `app` relinks.
    edit(&p, "c/src/lib.rs", "b::twice(5) + 1", "b::twice(5) + 2");
    let (compiled, linked, stderr) = build_and_watch(&p, "build");
    assert_eq!(compiled, ["c"], "{stderr}");
    assert!(linked.iter().any(|l| l.starts_with("app-")), "{stderr}");
    assert_fresh(&p, "build");
    p.process(&p.bin("app")).with_stdout_data("44\n").run();
    let rebuilt = snapshot(&p, &["target/debug/app"]);
    assert_clean_build_equal(&p, "build", &rebuilt, "chain");
}

/// Issue 19: a cutoff must leave a state that every consumer accepts, also one that falls back
/// to a full compile (cross-crate LTO), in the dev and the release profile. Where the dependent
/// recorded its dependency's crate hash (its rlib embeds bitcode with debuginfo, which records
/// upstream source checksums), cargo must not cut it off.
#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn lto_profiles_after_a_cutoff_build_and_equal_a_clean_build() {
    for lto in ["\"thin\"", "true", "\"off\""] {
        for release in [false, true] {
            let profile = if release { "release" } else { "dev" };
            let what = format!("lto = {lto}, {profile}");
            let p = lines_project(
                &format!("lto-{}-{profile}", lto.trim_matches('"')),
                &format!("[profile.{profile}]\nlto = {lto}"),
            );
            let cmd = if release { "build --release" } else { "build" };
            let dir = if release { "release" } else { "debug" };
            build_and_watch(&p, cmd);
            edit(&p, "a/src/lib.rs", "rotate_left(5)", "rotate_left(7)");
            // `b` alone first: `app` sees the cut-off `b` only in the next cargo run.
            let (compiled, _, stderr) = build_and_watch(&p, &format!("{cmd} -p b"));
            // Without debuginfo (release), or without bitcode in the rlibs (`lto = "off"`), `b`
            // records `a`'s interface hash and stays; otherwise its crate hash, and compiles.
            let cut_off = release || lto == "\"off\"";
            assert_eq!(!compiled.contains(&"b".to_string()), cut_off, "{what}:\n{stderr}");
            let (compiled, _, stderr) = build_and_watch(&p, cmd);
            let app = format!("target/{dir}/app");
            if lto != "\"off\"" {
                assert!(compiled.contains(&"app".to_string()), "{what}:\n{stderr}");
            }
            p.process(p.root().join(&app)).with_stdout_data("40\n").run();
            edit(&p, "b/src/lib.rs", "map(g)", "map(|v| g(v))");
            build_and_watch(&p, cmd);
            assert_fresh(&p, cmd);
            p.process(p.root().join(&app)).with_stdout_data("40\n").run();
            let rebuilt = snapshot(&p, &[&app]);
            assert_clean_build_equal(&p, cmd, &rebuilt, &what);
        }
    }
}

/// A dylib and a proc-macro over a cut-off library are compiled in full, against its rebuilt
/// dependency: they must be compiled again, also when the cutoff happened in an earlier cargo run,
/// and accept the cut-off library's record of its dependency.
#[cargo_test(nightly, reason = "-Z header-pipelining is unstable")]
fn dylib_and_proc_macro_over_a_cut_off_library() {
    let p = project()
        .file(
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\", \"b\", \"d\", \"pm\", \"app\"]\nresolver = \"2\"\n",
        )
        .file("a/Cargo.toml", &manifest("a", ""))
        .file("a/src/lib.rs", LINES_LIB)
        .file(
            "b/Cargo.toml",
            &manifest("b", "[dependencies]\na = { path = \"../a\" }"),
        )
        .file(
            "b/src/lib.rs",
            "use a::m::{g, Lines};\n\npub fn total(n: u32) -> u32 {\n    Lines(n).map(g).sum()\n}\n",
        )
        .file(
            "d/Cargo.toml",
            &manifest(
                "d",
                "[lib]\ncrate-type = [\"dylib\"]\n\n[dependencies]\nb = { path = \"../b\" }",
            ),
        )
        .file("d/src/lib.rs", "pub fn total(n: u32) -> u32 {\n    b::total(n) + 1\n}\n")
        .file(
            "pm/Cargo.toml",
            &manifest(
                "pm",
                "[lib]\nproc-macro = true\n\n[dependencies]\nb = { path = \"../b\" }",
            ),
        )
        .file(
            "pm/src/lib.rs",
            "use proc_macro::TokenStream;\n\n#[proc_macro]\npub fn total(_: TokenStream) -> TokenStream {\n    b::total(3).to_string().parse().unwrap()\n}\n",
        )
        .file(
            "app/Cargo.toml",
            &manifest("app", "[dependencies]\nb = { path = \"../b\" }\npm = { path = \"../pm\" }"),
        )
        .file(
            "app/src/main.rs",
            "fn main() {\n    println!(\"{} {}\", pm::total!(), b::total(4));\n}\n",
        )
        .build();
    build_and_watch(&p, "build");
    p.process(&p.bin("app")).with_stdout_data("24 40\n").run();
    // `-p b` first: the dylib and the proc-macro see the cut-off `b` in the next cargo run only.
    // Then `-p a`: `b` is not even in that run's graph, and is cut off in the next one. Either
    // way the dylib and the proc-macro must compile again.
    let rounds = [
        ("build -p b", "v * 2 + STEP", "v * 3 + STEP", "42 74\n"),
        ("build -p a", "v * 3 + STEP", "v * 4 + STEP", "66 120\n"),
    ];
    for (partial, from, to, printed) in rounds {
        edit(&p, "a/src/lib.rs", from, to);
        let (compiled, _, stderr) = build_and_watch(&p, partial);
        assert_eq!(compiled, ["a"], "{partial}:\n{stderr}");
        let (compiled, _, stderr) = build_and_watch(&p, "build");
        for unit in ["app", "d", "pm"] {
            assert!(compiled.contains(&unit.to_string()), "{partial}, {unit}:\n{stderr}");
        }
        assert!(!compiled.contains(&"b".to_string()), "{partial}:\n{stderr}");
        assert_fresh(&p, "build");
        p.process(&p.bin("app")).with_stdout_data(printed).run();
    }
    let dylib = format!("target/debug/{}d{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let rebuilt = snapshot(&p, &["target/debug/app", &dylib]);
    assert_clean_build_equal(&p, "build", &rebuilt, "dylib and proc-macro");
}
