//@ ignore-cross-compile

// The interface-hash oracle. For every edit of the corpus (`edits.txt`, edits of the library
// `up/`) and in a debug and an optimized build: build `up`, the library `mid` and the binary
// `app` against headers; apply the edit and rebuild `up`; if `up`'s interface hash is unchanged,
// only relink `app` (`mid` and `app`'s objects stay as they are), otherwise rebuild `mid` and
// `app`. The result must be byte for byte what a clean build of the edited tree gives, and the
// hash must move exactly as the corpus says, in the debug build also with incremental
// compilation, where the base's hash must equal the non-incremental one. A library whose rlib
// embeds bitcode with debuginfo records crate hashes instead. Then, in the debug build, the same
// with `mid` and `app` compiled incrementally, and an edit of `mid` after each edit of `up`:
// `mid`'s next compile reuses its incremental cache from before a cutoff, and must still give
// what a clean incremental build of both edits gives.

use std::path::{Path, PathBuf};

use run_make_support::rfs::{
    copy_dir_all, create_dir_all, read, read_to_string, remove_dir_all, write,
};
use run_make_support::{Rustc, cwd, rustc};

include!("corpus.rs");

const PROFILES: [(&str, &[&str]); 2] =
    [("debug", &["-Copt-level=0", "-Cdebuginfo=2"]), ("release", &["-Copt-level=3"])];

/// Libraries are built as cargo builds them: without embedded bitcode (see `fallback` for why it
/// matters).
const LIBRARY_FLAGS: &[&str] = &["-Cembed-bitcode=no"];

/// The outputs compared with a clean build.
const OUTPUTS: [&str; 5] = ["libup.rlib", "libup.rmeta", "libmid.rlib", "libmid.rmeta", "app"];

/// Compiles `up` (header and rlib) and returns its interface hash, as announced in the JSON
/// artifact notification and as shown by `-Z ls=root`, which must agree.
fn build_up(work: &Path, flags: &[&str]) -> String {
    build_up_into(work, work, flags)
}

/// rustc on one of the test's crates, writing to `out`, against the headers in `work`.
fn compile(work: &Path, out: &Path, source: &str, name: &str, crate_type: &str) -> Rustc {
    let mut cmd = rustc();
    cmd.input(work.join(source))
        .crate_name(name)
        .crate_type(crate_type)
        .edition("2024")
        .out_dir(out)
        .library_search_path(work)
        .arg("-Awarnings");
    cmd
}

/// `build_up` with the outputs in `out`.
fn build_up_into(work: &Path, out: &Path, flags: &[&str]) -> String {
    let result = compile(work, out, "up/src/lib.rs", "up", "rlib")
        .emit("metadata,link")
        .args(["-Zemit-header", "-Zconsume-headers"])
        .args(LIBRARY_FLAGS)
        .args(flags)
        .json("artifacts")
        .error_format("json")
        .run();
    let stderr = result.stderr_utf8();
    let line = stderr
        .lines()
        .find(|line| line.contains(r#""emit":"metadata""#))
        .expect("a metadata notification");
    let hash = line
        .split(r#""interface_hash":""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no interface_hash in {line}"))
        .to_owned();
    rustc()
        .input(out.join("libup.rmeta"))
        .arg("-Zls=root")
        .run()
        .assert_stdout_contains(format!("interface_hash {hash}"));
    hash
}

/// `up`'s interface hash in an incremental build, with its outputs aside.
fn incremental_hash(work: &Path, flags: &[&str]) -> String {
    let out = cwd().join("incremental");
    if out.exists() {
        remove_dir_all(&out);
    }
    create_dir_all(&out);
    let cache = format!("-Cincremental={}", out.join("cache").display());
    build_up_into(work, &out, &[flags, &[cache.as_str()]].concat())
}

fn build_mid(work: &Path, flags: &[&str]) {
    build_mid_with(work, flags, LIBRARY_FLAGS);
}

fn build_mid_with(work: &Path, flags: &[&str], library_flags: &[&str]) {
    compile(work, work, "mid.rs", "mid", "rlib")
        .emit("metadata,link,dep-info")
        .args(["-Zemit-header", "-Zconsume-headers"])
        .args(library_flags)
        .args(flags)
        .extern_("up", work.join("libup.rmeta"))
        .run();
}

fn compile_app(work: &Path, flags: &[&str]) {
    compile(work, work, "app.rs", "app", "bin")
        .args(["-Zconsume-headers", "-Zno-link"])
        .args(flags)
        .extern_("up", work.join("libup.rmeta"))
        .extern_("mid", work.join("libmid.rmeta"))
        .run();
}

fn link_app(work: &Path, flags: &[&str]) {
    rustc()
        .input(work.join("app.rlink"))
        .out_dir(work)
        .args(["-Zlink-only", "-Zconsume-headers"])
        .args(flags)
        .run();
}

fn build_all(work: &Path, flags: &[&str]) -> String {
    let hash = build_up(work, flags);
    build_mid(work, flags);
    compile_app(work, flags);
    link_app(work, flags);
    hash
}

fn reset(work: &Path, from: &Path) {
    if work.exists() {
        remove_dir_all(work);
    }
    copy_dir_all(from, work);
}

/// The hash that `mid`'s metadata records for `up`. `mid`'s dep-info must say the same, for a
/// build tool's early cutoff (`# header-dep:<hash> <header>`).
fn recorded_for_up(work: &Path) -> String {
    let ls = rustc().input(work.join("libmid.rmeta")).arg("-Zls=root").run().stdout_utf8();
    let line = ls.lines().find(|l| l.contains(" up hash ")).expect("mid depends on up");
    let hash = line.split(" hash ").nth(1).unwrap().split(' ').next().unwrap().to_owned();
    // One line per dependency read from an `.rmeta`: the standard library's crates too.
    let dep_info = read_to_string(work.join("mid.d"));
    let reported: Vec<(&str, &str)> = dep_info
        .lines()
        .filter_map(|l| l.strip_prefix("# header-dep:")?.split_once(' '))
        .filter(|(_, header)| header.ends_with("/libup.rmeta"))
        .collect();
    assert_eq!(reported.len(), 1, "one line for up in mid's dep-info:\n{dep_info}");
    assert_eq!(reported[0].0, hash, "mid's dep-info and metadata disagree:\n{dep_info}");
    hash
}

/// A library whose output records its dependencies' source file checksums (LLVM bitcode with
/// debuginfo embedded in the rlib; likewise DWARF 5 or `-Z embed-source`) records their crate
/// hashes, not their interface hashes: no interface hash covers those checksums.
fn fallback(work: &Path, sources: &Path) {
    reset(work, sources);
    let flags = PROFILES[0].1;
    let interface_hash = build_up(work, flags);
    build_mid(work, flags);
    assert_eq!(recorded_for_up(work), interface_hash);
    build_mid_with(work, flags, &["-Cembed-bitcode=yes"]);
    let crate_hash = rustc().input(work.join("libup.rmeta")).arg("-Zls=root").run().stdout_utf8();
    let crate_hash = crate_hash.lines().find_map(|l| l.strip_prefix("hash ")).unwrap();
    assert_eq!(recorded_for_up(work), crate_hash.split(' ').next().unwrap());
}

/// `mid` and `app` compiled with their incremental caches in `work`.
fn build_dependents_incrementally(work: &Path, flags: &[&str]) {
    let mid_cache = format!("-Cincremental={}", work.join("inc-mid").display());
    let app_cache = format!("-Cincremental={}", work.join("inc-app").display());
    build_mid(work, &[flags, &[mid_cache.as_str()]].concat());
    compile_app(work, &[flags, &[app_cache.as_str()]].concat());
    link_app(work, flags);
}

/// Appends a pub fn to `mid`: its interface changes, so `app` compiles again too.
fn edit_mid(work: &Path) {
    let mid = work.join("mid.rs");
    let added = "\npub fn added_later() -> u32 {\n    7\n}\n";
    write(&mid, format!("{}{added}", read_to_string(&mid)));
}

/// Issue 19: for each edit of `up` in the debug build, `mid` and `app` are compiled
/// incrementally; after the edit (relinked if `up`'s interface hash stayed), `mid` is edited and
/// compiled again from its cache. `app` must equal a clean incremental build of both edits.
fn then_edit_the_dependent(
    work: &Path,
    sources: &Path,
    edits: &[Edit],
    failures: &mut Vec<String>,
) {
    let flags = PROFILES[0].1;
    for edit in edits {
        reset(work, sources);
        let base_hash = build_up(work, flags);
        build_dependents_incrementally(work, flags);
        apply(edit, &work.join("up"));
        if build_up(work, flags) == base_hash {
            link_app(work, flags);
        } else {
            build_dependents_incrementally(work, flags);
        }
        edit_mid(work);
        build_dependents_incrementally(work, flags);
        let app = read(work.join("app"));

        let edited = cwd().join("edited");
        if edited.exists() {
            remove_dir_all(&edited);
        }
        copy_dir_all(&work.join("up"), edited.join("up"));
        reset(work, sources);
        remove_dir_all(work.join("up"));
        copy_dir_all(&edited.join("up"), work.join("up"));
        edit_mid(work);
        build_up(work, flags);
        build_dependents_incrementally(work, flags);
        if read(work.join("app")) != app {
            failures.push(format!("debug/{}, then mid: app differs from a clean build", edit.name));
        }
    }
}

fn main() {
    let sources = cwd().join("sources");
    create_dir_all(sources.join("up"));
    copy_dir_all("up", sources.join("up"));
    for file in ["mid.rs", "app.rs"] {
        write(sources.join(file), read(file));
    }
    let edits = parse_corpus(&read_to_string("edits.txt"));
    assert!(edits.len() >= 13, "the corpus lost edits");

    // One fixed directory for every build: paths are part of the outputs.
    let work: PathBuf = cwd().join("work");
    fallback(&work, &sources);
    let mut failures = Vec::new();
    let mut report = String::new();
    for (p, (profile, flags)) in PROFILES.iter().enumerate() {
        // The starting point of every edit: the base tree, built.
        let built_base = cwd().join(format!("base-{profile}"));
        reset(&work, &sources);
        let base_hash = build_all(&work, flags);
        let inc_base_hash = incremental_hash(&work, flags);
        // Types carry their fingerprint in an incremental session and get it from the memo
        // otherwise: the two must agree.
        if *profile == "debug" && inc_base_hash != base_hash {
            failures.push(format!(
                "{profile}: the interface hash is {inc_base_hash} with incremental compilation, \
                 {base_hash} without"
            ));
        }
        copy_dir_all(&work, &built_base);

        let (mut kept, mut unchanged_edits) = (0, 0);
        for edit in &edits {
            reset(&work, &built_base);
            apply(edit, &work.join("up"));
            let hash = build_up(&work, flags);
            let same = hash == base_hash;

            // Incremental builds (cargo's default in dev, not in release, where rustc also makes
            // small functions cross-crate-inlinable only without it) reach the same verdict.
            let inc_hash = incremental_hash(&work, flags);
            if *profile == "debug" && (inc_hash == inc_base_hash) != edit.unchanged[p] {
                failures.push(format!(
                    "{profile}/{}: with incremental compilation the interface hash {}",
                    edit.name,
                    if inc_hash == inc_base_hash { "stayed" } else { "changed" }
                ));
            }
            if same {
                link_app(&work, flags);
            } else {
                build_mid(&work, flags);
                compile_app(&work, flags);
                link_app(&work, flags);
            }
            let after_edit: Vec<Vec<u8>> = OUTPUTS.iter().map(|f| read(work.join(f))).collect();

            // A clean build of the edited tree, in the same place.
            let edited = cwd().join("edited");
            if edited.exists() {
                remove_dir_all(&edited);
            }
            copy_dir_all(&work.join("up"), edited.join("up"));
            reset(&work, &sources);
            remove_dir_all(work.join("up"));
            copy_dir_all(&edited.join("up"), work.join("up"));
            let clean_hash = build_all(&work, flags);
            assert_eq!(
                clean_hash, hash,
                "edit {}: the interface hash is not deterministic",
                edit.name
            );

            let differ: Vec<&str> = OUTPUTS
                .iter()
                .zip(&after_edit)
                .filter(|(f, bytes)| read(work.join(f)) != **bytes)
                .map(|(f, _)| *f)
                .collect();
            let expected = edit.unchanged[p];
            if expected {
                unchanged_edits += 1;
                kept += same as usize;
            }
            let verdict = if same { "unchanged" } else { "changed" };
            report += &format!(
                "{profile:8} {:28} hash {verdict:9} (expected {}) outputs {}\n",
                edit.name,
                if expected { "unchanged" } else { "changed" },
                if differ.is_empty() {
                    "identical".to_owned()
                } else {
                    format!("DIFFER: {differ:?}")
                },
            );
            if !differ.is_empty() {
                failures
                    .push(format!("{profile}/{}: {differ:?} differ from a clean build", edit.name));
            }
            if same != expected {
                failures.push(format!(
                    "{profile}/{}: the interface hash {} but the corpus says it {}",
                    edit.name,
                    if same { "stayed" } else { "changed" },
                    if expected { "must stay" } else { "must change" },
                ));
            }
        }
        report += &format!(
            "{profile}: {kept} of {unchanged_edits} edits that cannot change a dependent \
             keep the hash\n"
        );
    }
    then_edit_the_dependent(&work, &sources, &edits, &mut failures);
    println!("{report}");
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n"));
}
