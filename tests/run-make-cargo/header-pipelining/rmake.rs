//! `cargo -Z header-pipelining` builds a small workspace (a library chain under a binary with an
//! integration test, and a cdylib + staticlib) to the same bytes as stock cargo, in the dev and
//! the release profile, and the binary behaves the same. The rlibs differ by design: a library
//! compiled against headers records its dependencies' interface hashes, and its own crate hash
//! covers those; each must carry an interface hash. Incremental compilation is off:
//! with it, rustc names each object after a random per-invocation string, so no two builds of an
//! rlib or a staticlib have the same bytes, with or without headers.

use std::path::{Path, PathBuf};

use run_make_support::rfs::read;
use run_make_support::{cargo, path, rustc};

/// Every final artifact of the workspace and every rlib, by path relative to the profile directory;
/// for an rlib, whether it records an interface hash.
fn artifacts(profile_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<PathBuf> = vec!["app".into(), "libcapi.so".into(), "libcapi.a".into()];
    for entry in std::fs::read_dir(profile_dir.join("deps")).unwrap() {
        let name = entry.unwrap().file_name();
        let name = name.to_str().unwrap();
        let is_test_binary = name.starts_with("it-") && !name.contains('.');
        if is_test_binary || name.ends_with(".rlib") {
            names.push(Path::new("deps").join(name));
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let file = profile_dir.join(&name);
            let contents = if name.extension().is_some_and(|e| e == "rlib") {
                let ls = rustc().input(&file).arg("-Zls=root").run().stdout_utf8();
                vec![u8::from(ls.lines().any(|l| l.starts_with("interface_hash ")))]
            } else {
                read(&file)
            };
            (name.display().to_string(), contents)
        })
        .collect()
}

fn build(release: bool, headers: bool) -> Vec<(String, Vec<u8>)> {
    let profile = if release { "release" } else { "debug" };
    cargo().current_dir("ws").args(["clean", "--offline"]).run();
    let mut cmd = cargo();
    cmd.current_dir("ws").env("CARGO_INCREMENTAL", "0");
    cmd.args(["build", "--offline", "--workspace", "--all-targets"]);
    if release {
        cmd.arg("--release");
    }
    if headers {
        cmd.arg("-Zheader-pipelining").arg("-v");
    }
    let out = cmd.run();
    if headers {
        let stderr = out.stderr_utf8();
        assert!(stderr.contains("-Z consume-headers"), "no unit compiled against headers");
        // Each unit that links does so in its compile or in a `-Z link-only` step, whichever its
        // rlibs allowed; the artifacts below are compared either way.
        assert!(stderr.contains("-Z no-link -Z link-if-ready"), "no unit left its link for later");
    }
    let mut run = cargo();
    run.current_dir("ws").env("CARGO_INCREMENTAL", "0");
    run.args(["run", "--offline", "-q", "--bin", "app"]);
    run.arg(if release { "--release" } else { "--profile=dev" });
    if headers {
        run.arg("-Zheader-pipelining");
    }
    assert_eq!(run.run().stdout_utf8().trim(), r#"48 143 ["a", "b"]"#);
    artifacts(&path("ws/target").join(profile))
}

fn main() {
    for release in [false, true] {
        let stock = build(release, false);
        let headers = build(release, true);
        let names = |a: &[(String, Vec<u8>)]| a.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&stock), names(&headers), "different sets of artifacts");
        for ((name, a), (_, b)) in stock.iter().zip(&headers) {
            if name.ends_with(".rlib") {
                assert!(a == &[0] && b == &[1], "{name}: an interface hash only with headers");
            } else {
                assert!(a == b, "{name} differs with -Z header-pipelining (release: {release})");
            }
        }
    }
}
