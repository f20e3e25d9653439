//! cargo's early cutoff over the edit corpus (tests/run-make/header-interface-hash/edits.txt).
//! A workspace of the corpus library `up`, a library `mid` and a binary `app` is built with
//! `-Z header-pipelining`; for each edit of `up`, in the dev and the release profile, the build
//! after the edit must recompile exactly `up` when the corpus says the interface is unchanged
//! (and relink `app`), or `up`, `mid` and `app` when it changed; and its outputs must equal a
//! clean build of the edited workspace byte for byte. Incremental compilation is off there: with
//! it, rustc names objects after a random per-invocation string, so no two rlibs repeat.
//!
//! Then the dev profile once more with incremental compilation on, as cargo's default has it,
//! and a sequence: after the edit of `up`, `mid` is edited too (issue 19: the next build of a
//! dependent reuses what its incremental cache holds of a cut-off dependency). That build must
//! succeed, the next one must be fresh, and `app` must equal a clean build byte for byte.

use std::path::{Path, PathBuf};

use run_make_support::rfs::{
    copy_dir_all, create_dir_all, read, read_to_string, remove_dir_all, write,
};
use run_make_support::{cargo, path, source_root};

include!("../../run-make/header-interface-hash/corpus.rs");

fn corpus_dir() -> PathBuf {
    source_root().join("tests/run-make/header-interface-hash")
}

fn manifest(name: &str, deps: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\n{deps}"
    )
}

/// A fresh workspace with the corpus's base sources.
fn workspace() -> PathBuf {
    let ws = path("ws");
    if ws.exists() {
        remove_dir_all(&ws);
    }
    create_dir_all(ws.join("mid/src"));
    create_dir_all(ws.join("app/src"));
    copy_dir_all(corpus_dir().join("up"), ws.join("up"));
    write(
        ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"up\", \"mid\", \"app\"]\nresolver = \"3\"\n",
    );
    write(ws.join("up/Cargo.toml"), manifest("up", ""));
    write(ws.join("mid/Cargo.toml"), manifest("mid", "up = { path = \"../up\" }\n"));
    write(
        ws.join("app/Cargo.toml"),
        manifest("app", "up = { path = \"../up\" }\nmid = { path = \"../mid\" }\n"),
    );
    write(ws.join("mid/src/lib.rs"), read(corpus_dir().join("mid.rs")));
    write(ws.join("app/src/main.rs"), read(corpus_dir().join("app.rs")));
    ws
}

/// Builds the workspace; returns the crates rustc compiled and whether `app` was relinked.
fn build(ws: &Path, release: bool) -> (Vec<String>, bool) {
    build_with(ws, release, false)
}

/// `build`, with incremental compilation on (cargo's default for the dev profile) if asked.
fn build_with(ws: &Path, release: bool, incremental: bool) -> (Vec<String>, bool) {
    let mut cmd = cargo();
    cmd.current_dir(ws).env("CARGO_INCREMENTAL", if incremental { "1" } else { "0" });
    cmd.args(["build", "--offline", "-v", "-Zheader-pipelining"]);
    if release {
        cmd.arg("--release");
    }
    let stderr = cmd.run().stderr_utf8();
    let mut compiled: Vec<String> = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Running `") && !l.contains("-Z link-only"))
        .filter_map(|l| l.split("--crate-name ").nth(1))
        .map(|rest| rest.split(' ').next().unwrap().to_owned())
        .collect();
    compiled.sort();
    (compiled, stderr.contains("Relinking app"))
}

/// The outputs compared with a clean build: the binary, and each library's rlib and header.
fn outputs(ws: &Path, release: bool) -> Vec<(String, Vec<u8>)> {
    let dir = ws.join("target").join(if release { "release" } else { "debug" });
    let mut files = vec![dir.join("app")];
    for entry in std::fs::read_dir(dir.join("deps")).unwrap() {
        let file = entry.unwrap().path();
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        if (name.starts_with("libup-") || name.starts_with("libmid-"))
            && (name.ends_with(".rlib") || name.ends_with(".rmeta"))
        {
            files.push(file);
        }
    }
    files.sort();
    files.into_iter().map(|f| (f.display().to_string(), read(&f))).collect()
}

fn main() {
    let edits = parse_corpus(&read_to_string(corpus_dir().join("edits.txt")));
    let mut failures = Vec::new();
    let mut report = String::new();
    for (p, profile) in CORPUS_PROFILES.iter().enumerate() {
        let release = *profile == "release";
        for edit in &edits {
            let ws = workspace();
            let (compiled, _) = build(&ws, release);
            assert_eq!(compiled, ["app", "mid", "up"]);
            // Sources are compared by mtime: the edit must be newer than the build.
            std::thread::sleep(std::time::Duration::from_millis(1100));
            apply(edit, &ws.join("up"));
            let (compiled, relinked) = build(&ws, release);
            let after_edit = outputs(&ws, release);

            let unchanged = edit.unchanged[p];
            let expected: &[&str] = if unchanged { &["up"] } else { &["app", "mid", "up"] };
            if compiled != expected || relinked != unchanged {
                failures.push(format!(
                    "{profile}/{}: compiled {compiled:?}, relinked {relinked}; \
                     expected {expected:?}",
                    edit.name
                ));
            }

            cargo().current_dir(&ws).args(["clean", "--offline"]).run();
            build(&ws, release);
            let clean = outputs(&ws, release);
            let names: Vec<&String> = clean.iter().map(|(n, _)| n).collect();
            assert_eq!(names, after_edit.iter().map(|(n, _)| n).collect::<Vec<_>>());
            for ((name, a), (_, b)) in after_edit.iter().zip(&clean) {
                if a != b {
                    failures.push(format!(
                        "{profile}/{}: {name} differs from a clean build",
                        edit.name
                    ));
                }
            }
            report += &format!(
                "{profile:8} {:28} compiled {compiled:?} relinked {relinked}\n",
                edit.name
            );
        }
    }
    // Incremental, then an edit of the dependent.
    let debug = CORPUS_PROFILES.iter().position(|p| *p == "debug").unwrap();
    for edit in &edits {
        let ws = workspace();
        build_with(&ws, false, true);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        apply(edit, &ws.join("up"));
        let (after_up, _) = build_with(&ws, false, true);
        let expected: &[&str] =
            if edit.unchanged[debug] { &["up"] } else { &["app", "mid", "up"] };
        if after_up != expected {
            failures.push(format!(
                "incremental/{}: compiled {after_up:?}; expected {expected:?}",
                edit.name
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let mid = ws.join("mid/src/lib.rs");
        let added = "\npub fn added_later() -> u32 {\n    7\n}\n";
        write(&mid, format!("{}{added}", read_to_string(&mid)));
        let (compiled, _) = build_with(&ws, false, true);
        if compiled != ["app", "mid"] {
            failures.push(format!(
                "incremental/{}, then mid: compiled {compiled:?}; expected [\"app\", \"mid\"]",
                edit.name
            ));
        }
        let (compiled, relinked) = build_with(&ws, false, true);
        if !compiled.is_empty() || relinked {
            failures.push(format!(
                "incremental/{}, then mid: the next build is not fresh",
                edit.name
            ));
        }
        let app = read(ws.join("target/debug/app"));
        cargo().current_dir(&ws).args(["clean", "--offline"]).run();
        build_with(&ws, false, true);
        if read(ws.join("target/debug/app")) != app {
            failures.push(format!(
                "incremental/{}, then mid: app differs from a clean build",
                edit.name
            ));
        }
        report += &format!("incremental {:28} compiled {after_up:?}, then mid\n", edit.name);
    }
    println!("{report}");
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n"));
}
