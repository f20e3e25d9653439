"""Unit tests of the driver (x.py), on a miniature pinned upstream made here: no network, no compiler."""

import contextlib
import fcntl
import hashlib
import importlib.util
import io
import os
import subprocess
import tarfile
import tempfile
import textwrap
import tomllib
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("xpy", os.path.join(HERE, "..", "x.py"))
xpy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(xpy)


def make_tarball(path, files, top):
    with tarfile.open(path, "w:xz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class MiniUpstream:
    """A repository root (upstream.toml, config.toml, overlay dirs) and a cache with pinned tarballs."""

    def __init__(self, tmp):
        self.root = os.path.join(tmp, "repo")
        self.cache = os.path.join(tmp, "cache")
        os.makedirs(os.path.join(self.cache, "dl"))
        os.makedirs(self.root)
        orig = os.path.join(self.cache, "dl", "mini_1.0.orig.tar.xz")
        make_tarball(orig, {
            "version": b"1.0.0 (abc 2026-01-01)\n",
            "Cargo.lock": b"# lock\n",
            "compiler/a/src/lib.rs": b"pub fn a() -> u32 {\n    1\n}\n",
            "compiler/b/src/lib.rs": b"pub fn b() -> u32 {\n    2\n}\n",
            "src/tools/cargo/Cargo.lock": b"# cargo lock\n",
            "src/tools/cargo/src/lib.rs": b"pub fn cargo() {}\n",
            "vendor/dep/.cargo-checksum.json": b'{"files":{"src/lib.rs":"00"},"package":"ff"}',
            "vendor/dep/src/lib.rs": b"// vendored\n",
        }, "mini-1.0.0-src")
        deb = os.path.join(self.cache, "dl", "mini_1.0-1.debian.tar.xz")
        make_tarball(deb, {
            "debian/rules": b"RUSTC_WORKSPACES=. src/tools/cargo\n",
            "debian/patches/series": b"# a comment\nfix-b.patch\n",
            "debian/patches/fix-b.patch": textwrap.dedent("""\
                --- a/compiler/b/src/lib.rs
                +++ b/compiler/b/src/lib.rs
                @@ -1,3 +1,3 @@
                 pub fn b() -> u32 {
                -    2
                +    3
                 }
                """).encode(),
        }, None)
        with open(os.path.join(self.root, "upstream.toml"), "w") as f:
            f.write(textwrap.dedent(f"""\
                [debian]
                package = "mini"
                version = "1.0-1"
                pool = "pool/main/m/mini"
                [debian.orig]
                file = "mini_1.0.orig.tar.xz"
                sha256 = "{sha256(orig)}"
                [debian.debian]
                file = "mini_1.0-1.debian.tar.xz"
                sha256 = "{sha256(deb)}"
                [upstream]
                version = "1.0.0"
                version_file = "1.0.0 (abc 2026-01-01)"
                src_tarball = "mini-1.0.0-src.tar.xz"
                [stage0]
                toolchain = "1.0.0"
                [llvm]
                package = "llvm-dev"
                llvm_config = "/nonexistent"
                """))
        self.paths = xpy.Paths(self.cache)

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def quiet(self, fn, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = fn(*args)
        return result, out.getvalue()

    def prepare(self):
        return self.quiet(xpy.prepare, self.paths, self.root)

    def commit_in_tree(self, message, edits):
        for rel, text in edits.items():
            path = os.path.join(self.paths.src, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        tree = xpy.Tree(self.paths.src)
        tree.git("add", "-A", ".")
        tree.git("commit", "-q", "-m", message)


class LayersTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.mini = MiniUpstream(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def read_tree(self, rel):
        with open(os.path.join(self.mini.paths.src, rel)) as f:
            return f.read()

    def test_layers_and_debian_preconfigure(self):
        tree, out = self.mini.prepare()
        self.assertIn("[PREPARED]", out)
        for layer in xpy.Tree.LAYERS:
            self.assertIsNotNone(tree.rev(f"layer/{layer}"), layer)
        self.assertIn("3", self.read_tree("compiler/b/src/lib.rs"))
        self.assertFalse(os.path.exists(os.path.join(tree.path, "Cargo.lock")))
        self.assertTrue(os.path.exists(os.path.join(tree.path, "Cargo.lock.orig")))
        self.assertTrue(os.path.exists(os.path.join(tree.path, "src/tools/cargo/Cargo.lock.orig")))
        self.assertEqual(self.read_tree("vendor/dep/.cargo-checksum.json"), '{"files":{},"package":"ff"}')

    def test_second_prepare_is_fresh(self):
        self.mini.prepare()
        _, out = self.mini.prepare()
        self.assertEqual(out.strip().splitlines(), [f"[FRESH] {self.mini.paths.src} at layer/cargo-patches"])

    def test_layer_commits_are_reproducible(self):
        tree, _ = self.mini.prepare()
        first = tree.rev("layer/debian")
        other = xpy.Paths(os.path.join(self.tmp.name, "cache2"))
        os.makedirs(other.dl)
        for n in os.listdir(self.mini.paths.dl):
            os.symlink(os.path.join(self.mini.paths.dl, n), os.path.join(other.dl, n))
        tree2, _ = self.mini.quiet(xpy.prepare, other, self.mini.root)
        self.assertEqual(first, tree2.rev("layer/debian"))

    def test_bad_checksum_is_refused(self):
        with open(os.path.join(self.mini.paths.dl, "mini_1.0-1.debian.tar.xz"), "ab") as f:
            f.write(b"tampered")
        os.environ["RUST_HEADERS_DEBIAN_MIRROR"] = "file:///nonexistent"
        try:
            with self.assertRaises(xpy.Failure):
                self.mini.prepare()
        finally:
            del os.environ["RUST_HEADERS_DEBIAN_MIRROR"]

    def test_local_upstream_tarball(self):
        # A user's own upstream tarball stands in for Debian's orig tarball, which is then not needed.
        orig = os.path.join(self.mini.paths.dl, "mini_1.0.orig.tar.xz")
        local = os.path.join(self.tmp.name, "mini-1.0.0-src.tar.xz")
        os.rename(orig, local)
        os.environ["RUST_HEADERS_UPSTREAM_SRC"] = local
        try:
            tree, out = self.mini.prepare()
        finally:
            del os.environ["RUST_HEADERS_UPSTREAM_SRC"]
        self.assertIn("[LAYER] upstream: 1.0.0 (abc 2026-01-01)", out)
        self.assertIn("3", self.read_tree("compiler/b/src/lib.rs"))
        self.assertFalse(os.path.exists(orig))

    def test_export_round_trip(self):
        self.mini.prepare()
        # One commit that both adds a new file and changes an upstream file, one that changes cargo.
        self.mini.commit_in_tree("a: return 10\n\nWhy: a test.", {
            "compiler/a/src/lib.rs": "pub fn a() -> u32 {\n    10\n}\n",
            "compiler/a/src/header.rs": "// new\n",
        })
        self.mini.commit_in_tree("cargo: say hello", {
            "src/tools/cargo/src/lib.rs": "pub fn cargo() { println!(\"hello\"); }\n",
            "src/tools/cargo/tests/headers.rs": "// cargo test\n",
        })
        self.mini.quiet(xpy.export, self.mini.paths, self.mini.root)
        patches = sorted(os.listdir(os.path.join(self.mini.root, "patches")))
        self.assertEqual(patches, ["0001-a-return-10.patch"])
        with open(os.path.join(self.mini.root, "patches", patches[0])) as f:
            text = f.read()
        self.assertNotIn("header.rs", text)
        self.assertIn("+    10", text)
        cargo_patches = os.listdir(os.path.join(self.mini.root, xpy.CARGO_PATCH, "patches"))
        self.assertEqual(cargo_patches, ["0001-cargo-say-hello.patch"])
        self.assertTrue(os.path.exists(os.path.join(self.mini.root, "compiler/a/src/header.rs")))
        self.assertTrue(os.path.exists(os.path.join(self.mini.root, xpy.CARGO_PATCH, "files/tests/headers.rs")))
        # Exporting again writes the same bytes; a fresh prepare gives the same tree.
        before = {p: xpy.read_bytes(os.path.join(self.mini.root, "patches", p)) for p in patches}
        _, out = self.mini.quiet(xpy.export, self.mini.paths, self.mini.root)
        self.assertNotIn("[EXPORT] patches", out)
        self.assertEqual(before, {p: xpy.read_bytes(os.path.join(self.mini.root, "patches", p)) for p in patches})
        self.mini.quiet(xpy.check, self.mini.paths, self.mini.root)

    def test_a_second_driver_is_refused(self):
        self.mini.prepare()
        self.mini.commit_in_tree("b: return 4", {"compiler/b/src/lib.rs": "pub fn b() -> u32 {\n    4\n}\n"})
        head = xpy.Tree(self.mini.paths.src).rev("HEAD")
        # Another driver holds the lock (a lock taken on a second open file is another holder's).
        with xpy.tree_lock(self.mini.paths, "export"):
            fd = os.open(os.path.join(self.mini.paths.cache, "tree.lock"), os.O_RDWR)
            try:
                with self.assertRaises(BlockingIOError):
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            finally:
                os.close(fd)
        fd = os.open(os.path.join(self.mini.paths.cache, "tree.lock"), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.pwrite(fd, b"./x.py build (pid 1)\n", 0)
            for verb in (xpy.export, xpy.prepare, xpy.check):
                with self.assertRaises(xpy.Failure) as e:
                    self.mini.quiet(verb, self.mini.paths, self.mini.root)
                self.assertIn("in use by ./x.py build (pid 1)", str(e.exception))
        finally:
            os.close(fd)
        # Refused means untouched: the commit is still there and nothing was exported.
        self.assertEqual(xpy.Tree(self.mini.paths.src).rev("HEAD"), head)
        self.assertFalse(os.path.exists(os.path.join(self.mini.root, "patches", "0001-b-return-4.patch")))
        # Once released, the same driver may nest its verbs (build prepares under its own lock).
        with xpy.tree_lock(self.mini.paths, "build"):
            self.mini.quiet(xpy.export, self.mini.paths, self.mini.root)
        self.assertTrue(os.path.exists(os.path.join(self.mini.root, "patches", "0001-b-return-4.patch")))

    def test_check_notices_a_forgotten_export(self):
        self.mini.prepare()
        self.mini.commit_in_tree("b: return 4", {"compiler/b/src/lib.rs": "pub fn b() -> u32 {\n    4\n}\n"})
        with self.assertRaises(xpy.Failure) as e:
            self.mini.quiet(xpy.check, self.mini.paths, self.mini.root)
        self.assertIn("export", str(e.exception))

    def test_unexported_commits_block_prepare(self):
        self.mini.prepare()
        self.mini.commit_in_tree("b: return 4", {"compiler/b/src/lib.rs": "pub fn b() -> u32 {\n    4\n}\n"})
        self.mini.write("compiler/c/new.rs", "// changes the overlay\n")
        with self.assertRaises(xpy.Failure) as e:
            self.mini.prepare()
        self.assertIn("not exported", str(e.exception))

    def test_unchanged_files_keep_their_mtime(self):
        self.mini.prepare()
        self.mini.commit_in_tree("a and b", {
            "compiler/a/src/lib.rs": "pub fn a() -> u32 {\n    10\n}\n",
            "compiler/b/src/lib.rs": "pub fn b() -> u32 {\n    20\n}\n",
        })
        self.mini.quiet(xpy.export, self.mini.paths, self.mini.root)
        a = os.path.join(self.mini.paths.src, "compiler/a/src/lib.rs")
        b = os.path.join(self.mini.paths.src, "compiler/b/src/lib.rs")
        os.utime(a, (1_000_000_000, 1_000_000_000))
        os.utime(b, (1_000_000_000, 1_000_000_000))
        # Change only the patch's effect on b: a keeps its content, so it must keep its mtime too.
        self.mini.commit_in_tree("b only", {"compiler/b/src/lib.rs": "pub fn b() -> u32 {\n    30\n}\n"})
        os.utime(a, (1_000_000_000, 1_000_000_000))
        self.mini.quiet(xpy.export, self.mini.paths, self.mini.root)
        self.assertEqual(os.stat(a).st_mtime, 1_000_000_000)
        self.assertNotEqual(os.stat(b).st_mtime, 1_000_000_000)
        self.assertIn("30", self.read_tree("compiler/b/src/lib.rs"))


class PiecesTest(unittest.TestCase):
    def test_apt_sources_deb822(self):
        text = textwrap.dedent("""\
            Types: deb
            URIs: http://mirror.example/debian
            Suites: bookworm bookworm-updates
            Components: main

            Types: deb
            URIs: http://mirror.example/debian-security
            Suites: bookworm-security
            """)
        self.assertEqual(list(xpy.parse_apt_sources(text, deb822=True)),
                         [("http://mirror.example/debian", ["bookworm", "bookworm-updates"]),
                          ("http://mirror.example/debian-security", ["bookworm-security"])])

    def test_apt_sources_one_line(self):
        text = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n"
        self.assertEqual(list(xpy.parse_apt_sources(text, deb822=False)), [("http://m.example/debian", ["bookworm"])])

    def test_mirror_skips_security(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "a.sources"), "w") as f:
                f.write("Types: deb\nURIs: http://s.example/debian-security\nSuites: bookworm-security\n\n"
                        "Types: deb\nURIs: http://m.example/debian/\nSuites: bookworm\n")
            os.environ.pop("RUST_HEADERS_DEBIAN_MIRROR", None)
            self.assertEqual(xpy.apt_mirror((tmp,)), "http://m.example/debian")

    def test_toml_writer_round_trips(self):
        data = {"change-id": "ignore", "build": {"vendor": True, "jobs": 2, "build-dir": "/x y"},
                "rust": {"codegen-backends": ["llvm"]},
                "target": {"x86_64-unknown-linux-gnu": {"llvm-config": "/usr/bin/llvm-config"}}}
        self.assertEqual(tomllib.loads(xpy.dump_toml(data)), data)

    def test_committed_config_merges(self):
        with open(os.path.join(HERE, "..", "config.toml"), "rb") as f:
            committed = tomllib.load(f)
        merged = xpy.merge(committed, {"build": {"rustc": "/r"}})
        self.assertEqual(merged["build"]["rustc"], "/r")
        self.assertEqual(merged["build"]["vendor"], committed["build"]["vendor"])
        self.assertEqual(tomllib.loads(xpy.dump_toml(merged)), merged)

    def test_committed_config_keys_have_a_reason(self):
        with open(os.path.join(HERE, "..", "config.toml")) as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            if "=" in line and not line.startswith("#"):
                self.assertTrue(lines[i - 1].startswith("#"), f"config.toml:{i + 1} has no one-line why: {line}")

    def test_test_steps_parse(self):
        steps = xpy.read_steps(os.path.join(HERE, "test-steps"))
        names = [n for n, _ in steps]
        self.assertEqual(len(names), len(set(names)))
        self.assertIn("driver", names)
        for _, cmd in steps:
            self.assertIn(cmd[0], ("x", "cargo", "sh"))

    def test_repo_paths(self):
        self.assertEqual(xpy.repo_path_of("src/tools/cargo/tests/testsuite/headers.rs"),
                         "src/tools/cargo-patch/files/tests/testsuite/headers.rs")
        self.assertEqual(xpy.repo_path_of("compiler/rustc_metadata/src/header.rs"),
                         "compiler/rustc_metadata/src/header.rs")
        with self.assertRaises(xpy.Failure):
            xpy.repo_path_of("Cargo.toml")


class Verbs(unittest.TestCase):
    """Our verbs stay ours whatever their arguments; upstream's are reached by `upstream`."""

    def run_main(self, *argv):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), mock.patch.object(xpy, "upstream_x") as upstream:
            code = xpy.main(list(argv))
        return code, out.getvalue(), upstream

    def test_our_verbs_refuse_upstream_arguments(self):
        for argv in (["check", "compiler/rustc_metadata"], ["build", "--stage", "1"],
                     ["test", "tidy"], ["test", "tests/ui/headers"], ["export", "x"]):
            code, out, upstream = self.run_main(*argv)
            self.assertEqual(code, 1, argv)
            self.assertIn(f"./x.py upstream {' '.join(argv)}", out)
            upstream.assert_not_called()

    def test_upstream_needs_arguments(self):
        code, out, upstream = self.run_main("upstream")
        self.assertEqual(code, 1)
        upstream.assert_not_called()

    def test_step_names_do_not_shadow_upstream_test_arguments(self):
        # `./x.py test tidy` must not run a step of ours under upstream's name.
        self.assertNotIn("tidy", xpy.step_names())


if __name__ == "__main__":
    unittest.main()
