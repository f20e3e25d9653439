//@ ignore-cross-compile

// `-Z emit-header`: the header is the library's `.rmeta`, announced once with `--json=artifacts`
// before the rlib is, together with its interface hash; the same bytes on every build. The flag
// only appends a trailer with that hash to the metadata (in the `.rmeta`, in the rlib, and in the
// stub rlib of `-Z embed-metadata=no`); everything before it is what the build without the flag
// writes.

use run_make_support::rfs::{create_dir, read};
use run_make_support::{run_in_tmpdir, rust_lib_name, rustc};

fn build(dir: &str, header: bool, embed_metadata: bool) -> String {
    create_dir(dir);
    let mut cmd = rustc();
    cmd.input("lib.rs").crate_type("rlib").emit("metadata,link").out_dir(dir).json("artifacts");
    cmd.arg("-Zunstable-options").error_format("json");
    if header {
        cmd.arg("-Zemit-header");
    }
    if !embed_metadata {
        cmd.arg("-Zembed-metadata=no");
    }
    cmd.run().stderr_utf8()
}

/// The interface hash that `-Z ls=root` shows for a metadata file or rlib, if any.
fn listed_hash(path: &str) -> Option<String> {
    let out = rustc().input(path).arg("-Zls=root").run().stdout_utf8();
    out.lines().find_map(|l| l.strip_prefix("interface_hash ")).map(str::to_owned)
}

fn main() {
    run_in_tmpdir(|| {
        let stderr = build("a", true, true);
        let notes: Vec<&str> =
            stderr.lines().filter(|l| l.contains(r#""$message_type":"artifact""#)).collect();
        let metadata: Vec<usize> =
            (0..notes.len()).filter(|&i| notes[i].contains(r#""emit":"metadata""#)).collect();
        assert_eq!(metadata.len(), 1, "exactly one metadata notification: {notes:?}");
        let note = notes[metadata[0]];
        assert!(note.contains(r#"a/liblib.rmeta""#), "{notes:?}");
        let link = notes.iter().position(|l| l.contains(r#""emit":"link""#)).expect("link");
        assert!(metadata[0] < link, "the header is announced before the rlib: {notes:?}");
        let hash = note
            .split(r#""interface_hash":""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no interface hash in {note}"));
        assert!(hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");

        // The header, the rlib and the stub rlib all record it.
        let rlib = rust_lib_name("lib");
        assert_eq!(listed_hash("a/liblib.rmeta").as_deref(), Some(hash));
        assert_eq!(listed_hash(&format!("a/{rlib}")).as_deref(), Some(hash));
        build("stub", true, false);
        assert_eq!(listed_hash(&format!("stub/{rlib}")).as_deref(), Some(hash));
        assert_eq!(listed_hash("stub/liblib.rmeta").as_deref(), Some(hash));

        // Deterministic.
        let header = read("a/liblib.rmeta");
        build("b", true, true);
        assert!(header == read("b/liblib.rmeta"), "the header differs between two builds");

        // Without the flag: no hash, no trailer, and the bytes before the trailer are the same.
        let plain_stderr = build("c", false, true);
        assert!(!plain_stderr.contains("interface_hash"), "{plain_stderr}");
        assert_eq!(listed_hash("c/liblib.rmeta"), None);
        assert_eq!(listed_hash(&format!("c/{rlib}")), None);
        let plain = read("c/liblib.rmeta");
        let end = b"rust-end-file";
        assert!(plain.ends_with(end) && header.ends_with(end));
        let body = &plain[..plain.len() - end.len()];
        assert!(
            header.len() > plain.len() && header.starts_with(body),
            "-Z emit-header changed the metadata instead of appending to it"
        );
    });
}
