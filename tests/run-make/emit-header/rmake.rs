//@ ignore-cross-compile

// `-Z emit-header`: the header is the library's `.rmeta`, announced once with `--json=artifacts`
// before the rlib is, with the same bytes as without the flag, and the same bytes on every build.

use run_make_support::rfs::{create_dir, read};
use run_make_support::{run_in_tmpdir, rust_lib_name, rustc};

fn build(dir: &str, header: bool) -> String {
    create_dir(dir);
    let mut cmd = rustc();
    cmd.input("lib.rs").crate_type("rlib").emit("metadata,link").out_dir(dir).json("artifacts");
    cmd.arg("-Zunstable-options").error_format("json");
    if header {
        cmd.arg("-Zemit-header");
    }
    cmd.run().stderr_utf8()
}

fn main() {
    run_in_tmpdir(|| {
        let stderr = build("a", true);
        let notes: Vec<&str> =
            stderr.lines().filter(|l| l.contains(r#""$message_type":"artifact""#)).collect();
        let metadata: Vec<usize> =
            (0..notes.len()).filter(|&i| notes[i].contains(r#""emit":"metadata""#)).collect();
        assert_eq!(metadata.len(), 1, "exactly one metadata notification: {notes:?}");
        assert!(notes[metadata[0]].contains(r#"a/liblib.rmeta""#), "{notes:?}");
        let link = notes.iter().position(|l| l.contains(r#""emit":"link""#)).expect("link");
        assert!(metadata[0] < link, "the header is announced before the rlib: {notes:?}");

        let header = read(format!("a/liblib.rmeta"));
        build("b", true);
        build("c", false);
        assert!(header == read("b/liblib.rmeta"), "the header differs between two builds");
        assert!(header == read("c/liblib.rmeta"), "-Z emit-header changed the .rmeta");
        assert!(
            read(format!("a/{}", rust_lib_name("lib")))
                == read(format!("c/{}", rust_lib_name("lib"))),
            "-Z emit-header changed the rlib"
        );
    });
}
