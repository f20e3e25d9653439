#!/usr/bin/env python3
"""rust-headers driver: pinned source, layered work tree, patched toolchain.

Verbs:
  prepare   fetch and verify the pinned sources, lay out the work tree as git layers
  build     prepare, then build the stage-1 compiler, std, rustdoc and cargo; link `+headers`
  test      run the test steps listed in .ci/test-steps
  bench     run the benchmarks in bench/
  export    write the work tree's commits back into patches/ and the new-file directories
  check     prepare from scratch in a temporary directory and compare with the work tree
  upstream  hand the rest of the command line to upstream's x.py in the prepared tree
Our verbs are ours whatever their arguments: one given arguments it does not take is refused with
the `./x.py upstream ...` command that reaches upstream's verb of that name. Any other verb (`doc`,
`fmt`, `clippy`, ...) goes to upstream's x.py as it is.
prepare, build, test, export and check hold the cache's tree.lock: a second one is refused.

Environment:
  RUST_HEADERS_CACHE          cache directory (default ~/.cache/rust-headers)
  RUST_HEADERS_DEBIAN_MIRROR  Debian archive URL (default: read from the apt sources)
  RUST_HEADERS_UPSTREAM_SRC   a local upstream rustc-<version>-src.tar.xz to use instead of Debian's orig tarball
  RUST_HEADERS_VERBOSE=1      stream upstream build output instead of writing it to a log only
"""

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import urllib.request

ROOT = os.path.dirname(os.path.abspath(__file__))
# Bump when the way layers are made changes, so that existing work trees are laid anew.
LAYOUT_VERSION = "1"
# Fixed identity and date for the layer commits: the same inputs give the same commit ids everywhere.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "rust-headers",
    "GIT_AUTHOR_EMAIL": "rust-headers@localhost",
    "GIT_COMMITTER_NAME": "rust-headers",
    "GIT_COMMITTER_EMAIL": "rust-headers@localhost",
}
LAYER_DATE = "2026-04-14T00:00:00+00:00"
# Directories of this repository whose files are new files of the upstream tree, at the same path.
OVERLAY_DIRS = ["compiler", "library", "tests", "src"]
# New files of cargo live here, mirrored to src/tools/cargo; cargo's patches in CARGO_PATCH/patches.
CARGO_PATCH = "src/tools/cargo-patch"
CARGO_DIR = "src/tools/cargo"
TOOLCHAIN_NAME = "headers"


class Failure(Exception):
    pass


def log(tag, subject):
    print(f"[{tag}] {subject}", flush=True)


def run(cmd, cwd=None, env=None, capture=False, check=True, stdin=None):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    res = subprocess.run(cmd, cwd=cwd, env=full_env, input=stdin,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE if capture else None, text=True)
    if check and res.returncode != 0:
        detail = (res.stderr or "").strip() if capture else ""
        raise Failure(f"command failed ({res.returncode}): {shlex.join(cmd)}" + (f"\n{detail}" if detail else ""))
    return res.stdout if capture else res.returncode


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def load_pin(root=ROOT):
    with open(os.path.join(root, "upstream.toml"), "rb") as f:
        return tomllib.load(f)


class Paths:
    def __init__(self, cache=None):
        self.cache = os.path.abspath(cache or os.environ.get("RUST_HEADERS_CACHE")
                                     or os.path.expanduser("~/.cache/rust-headers"))
        self.dl = os.path.join(self.cache, "dl")
        self.src = os.path.join(self.cache, "src")
        self.build = os.path.join(self.cache, "build")
        self.cargo_target = os.path.join(self.cache, "cargo-target")
        self.toolchain = os.path.join(self.cache, "toolchain")
        self.logs = os.path.join(self.cache, "logs")


_held_tree_locks = set()


@contextlib.contextmanager
def tree_lock(paths, verb):
    """Holds the cache's tree lock: two drivers that re-lay or build the same tree at once would
    leave it half reset (one export's `git am` under another's). A second driver is refused with
    the holder's name; the lock is re-entrant within one process (build prepares first)."""
    path = os.path.join(paths.cache, "tree.lock")
    if path in _held_tree_locks:
        yield
        return
    os.makedirs(paths.cache, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise Failure(f"{paths.cache} is in use by {holder} ({path}): "
                          f"run ./x.py {verb} again when it has finished") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"./x.py {verb} (pid {os.getpid()})\n".encode(), 0)
        _held_tree_locks.add(path)
        try:
            yield
        finally:
            _held_tree_locks.discard(path)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def locks_tree(verb):
    """For a verb's function taking `(paths=None, ...)`: runs it under the tree lock, with
    `Paths()` when no paths are given."""
    def wrap(fn):
        @functools.wraps(fn)
        def locked(paths=None, *args, **kwargs):
            paths = paths or Paths()
            with tree_lock(paths, verb):
                return fn(paths, *args, **kwargs)
        return locked
    return wrap


# ---------------------------------------------------------------------------------------------
# Fetching

def apt_mirror(sources_dirs=("/etc/apt/sources.list", "/etc/apt/sources.list.d")):
    """The Debian archive the machine's apt already uses (not a security or updates suite)."""
    override = os.environ.get("RUST_HEADERS_DEBIAN_MIRROR")
    if override:
        return override.rstrip("/")
    files = []
    for p in sources_dirs:
        if os.path.isdir(p):
            files += [os.path.join(p, n) for n in sorted(os.listdir(p))
                      if n.endswith((".list", ".sources"))]
        elif os.path.isfile(p):
            files.append(p)
    for path in files:
        with open(path, errors="replace") as f:
            text = f.read()
        for uri, suites in parse_apt_sources(text, deb822=path.endswith(".sources")):
            if any(s.endswith("-security") for s in suites):
                continue
            if uri.startswith(("http://", "https://", "file:")):
                return uri.rstrip("/")
    raise Failure("no Debian archive found in the apt sources; set RUST_HEADERS_DEBIAN_MIRROR")


def parse_apt_sources(text, deb822):
    """Yield (uri, suites) for each `deb`/`deb-src` entry of a sources file."""
    if not deb822:
        for line in text.splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) >= 3 and parts[0] in ("deb", "deb-src"):
                rest = parts[1:]
                if rest[0].startswith("["):
                    while rest and not rest[0].endswith("]"):
                        rest = rest[1:]
                    rest = rest[1:]
                if len(rest) >= 2:
                    yield rest[0], [rest[1]]
        return
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.split()
        if fields.get("enabled", ["yes"])[0] == "no":
            continue
        if "deb" not in fields.get("types", []) and "deb-src" not in fields.get("types", []):
            continue
        for uri in fields.get("uris", []):
            yield uri, fields.get("suites", [])


def fetch(paths, pin):
    os.makedirs(paths.dl, exist_ok=True)
    deb = pin["debian"]
    # A local upstream tarball replaces Debian's orig tarball; Debian's patches are still needed.
    wanted = [deb["debian"]] if os.environ.get("RUST_HEADERS_UPSTREAM_SRC") else [deb["orig"], deb["debian"]]
    mirror = None
    for item in wanted:
        dest = os.path.join(paths.dl, item["file"])
        if os.path.exists(dest) and sha256_file(dest) == item["sha256"]:
            continue
        if mirror is None:
            mirror = apt_mirror()
        url = f"{mirror}/{deb['pool']}/{item['file']}"
        log("FETCH", url)
        tmp = dest + ".part"
        try:
            with urllib.request.urlopen(url, timeout=120) as r, open(tmp, "wb") as out:
                shutil.copyfileobj(r, out, 1 << 20)
        except OSError as e:
            raise Failure(f"could not fetch {url}: {e}")
        got = sha256_file(tmp)
        if got != item["sha256"]:
            os.unlink(tmp)
            raise Failure(f"sha256 mismatch for {item['file']}: got {got}, pinned {item['sha256']} (upstream.toml)")
        os.replace(tmp, dest)
        log("VERIFY", f"{item['file']} sha256 {got[:16]}…")


def upstream_source(paths, pin):
    """(tarball, key) of the upstream layer: Debian's orig tarball, or a local upstream one."""
    local = os.environ.get("RUST_HEADERS_UPSTREAM_SRC")
    if local:
        local = os.path.abspath(local)
        if not os.path.isfile(local):
            raise Failure(f"RUST_HEADERS_UPSTREAM_SRC={local}: no such file")
        if os.path.basename(local) != pin["upstream"]["src_tarball"]:
            raise Failure(f"{local}: expected a file named {pin['upstream']['src_tarball']}")
        return local, "upstream-src:" + sha256_file(local)
    return os.path.join(paths.dl, pin["debian"]["orig"]["file"]), "debian-orig:" + pin["debian"]["orig"]["sha256"]


# ---------------------------------------------------------------------------------------------
# The layered work tree

class Tree:
    """The prepared source tree: a git repository whose commits are the layers."""

    LAYERS = ["upstream", "debian", "overlay", "rustc-patches", "cargo-patches"]

    def __init__(self, path):
        self.path = path

    def git(self, *args, capture=True, check=True, env=None, stdin=None):
        e = dict(GIT_IDENTITY)
        if env:
            e.update(env)
        return run(["git", "-C", self.path, *args], env=e, capture=capture, check=check, stdin=stdin)

    def exists(self):
        return os.path.isdir(os.path.join(self.path, ".git"))

    def rev(self, name):
        out = subprocess.run(["git", "-C", self.path, "rev-parse", "-q", "--verify", name + "^{commit}"],
                             capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else None

    def tag_key(self, layer):
        out = subprocess.run(["git", "-C", self.path, "tag", "-l", "--format=%(contents)", f"layer/{layer}"],
                             capture_output=True, text=True)
        for line in out.stdout.splitlines():
            if line.startswith("key: "):
                return line[5:].strip()
        return None

    def tag(self, layer, key):
        self.git("tag", "-f", "-a", f"layer/{layer}", "-m", f"rust-headers layer {layer}\n\nkey: {key}")

    def commit_all(self, message, paths=None):
        if paths is None:
            self.git("add", "-A", "-f", ".")
        else:
            for i in range(0, len(paths), 500):
                self.git("add", "-A", "-f", "--", *paths[i:i + 500])
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message,
                 env={"GIT_AUTHOR_DATE": LAYER_DATE, "GIT_COMMITTER_DATE": LAYER_DATE})

    def dirty(self):
        return self.git("status", "--porcelain", "--untracked-files=no").strip()

    def files_at(self, rev):
        return set(self.git("ls-tree", "-r", "--name-only", "-z", rev).split("\0")) - {""}


def init_repo(path):
    os.makedirs(path, exist_ok=True)
    run(["git", "init", "-q", "-b", "work", path])
    for key, value in [("core.compression", "1"), ("gc.auto", "0"), ("core.autocrlf", "false"),
                       ("feature.manyFiles", "true"), ("am.threeWay", "false"), ("core.quotePath", "false")]:
        run(["git", "-C", path, "config", key, value])
    # Files the build writes into the tree: lock files Debian moved aside are regenerated by cargo.
    with open(os.path.join(path, ".git", "info", "exclude"), "a") as f:
        f.write("Cargo.lock\n/bootstrap.toml\n/build/\n__pycache__/\n")


def unpack(tarball, dest, strip=1):
    with tarfile.open(tarball) as tar:
        members = []
        for m in tar.getmembers():
            parts = m.name.split("/")[strip:]
            if not parts or parts == [""]:
                continue
            m.name = "/".join(parts)
            if m.islnk():
                m.linkname = "/".join(m.linkname.split("/")[strip:])
            members.append(m)
        tar.extractall(dest, members=members, filter="tar")


def debian_workspaces(tree_path):
    """RUSTC_WORKSPACES of debian/rules: the workspaces whose Cargo.lock Debian moves aside."""
    with open(os.path.join(tree_path, "debian", "rules")) as f:
        for line in f:
            if line.startswith("RUSTC_WORKSPACES="):
                return line.split("=", 1)[1].split()
    raise Failure("debian/rules has no RUSTC_WORKSPACES line")


def prune_checksums(tree_path):
    """debian/prune-checksums on every vendored crate: forget per-file checksums (patched crates)."""
    vendor = os.path.join(tree_path, "vendor")
    for name in sorted(os.listdir(vendor)):
        path = os.path.join(vendor, name, ".cargo-checksum.json")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            sums = json.load(f)
        sums["files"] = {}
        with open(path, "w") as f:
            json.dump(sums, f, separators=(",", ":"))


def apply_debian_series(tree_path):
    patches = os.path.join(tree_path, "debian", "patches")
    with open(os.path.join(patches, "series")) as f:
        series = [l.split("#", 1)[0].strip() for l in f]
    for entry in filter(None, series):
        name, *opts = entry.split()
        res = subprocess.run(["patch", "-p1", "-s", "-N", "-F0", "--no-backup-if-mismatch", *opts,
                              "-i", os.path.join(patches, name)], cwd=tree_path, capture_output=True, text=True)
        if res.returncode != 0:
            raise Failure(f"Debian patch {name} does not apply:\n{res.stdout}{res.stderr}")


def overlay_files(root=ROOT):
    """{tree path: repo path} of every new file this repository adds to the upstream tree."""
    out = {}
    for top in OVERLAY_DIRS:
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root)
            if rel_dir == CARGO_PATCH or rel_dir.startswith(CARGO_PATCH + os.sep):
                continue
            for n in filenames:
                rel = os.path.join(rel_dir, n)
                out[rel] = rel
    files = os.path.join(root, CARGO_PATCH, "files")
    for dirpath, dirnames, filenames in os.walk(files):
        for n in filenames:
            rel = os.path.relpath(os.path.join(dirpath, n), files)
            out[os.path.join(CARGO_DIR, rel)] = os.path.join(CARGO_PATCH, "files", rel)
    return out


def repo_path_of(tree_path):
    if tree_path.startswith(CARGO_DIR + "/"):
        return os.path.join(CARGO_PATCH, "files", tree_path[len(CARGO_DIR) + 1:])
    if tree_path.split("/", 1)[0] not in OVERLAY_DIRS or tree_path.startswith(CARGO_PATCH + "/"):
        raise Failure(f"new file {tree_path}: new files must live under {', '.join(OVERLAY_DIRS)}")
    return tree_path


def patch_series(root=ROOT):
    rustc = sorted(os.path.join(root, "patches", n) for n in os.listdir(os.path.join(root, "patches"))
                   if n.endswith(".patch")) if os.path.isdir(os.path.join(root, "patches")) else []
    cargo_dir = os.path.join(root, CARGO_PATCH, "patches")
    cargo = sorted(os.path.join(cargo_dir, n) for n in os.listdir(cargo_dir)
                   if n.endswith(".patch")) if os.path.isdir(cargo_dir) else []
    return rustc, cargo


def hash_files(items):
    h = hashlib.sha256(LAYOUT_VERSION.encode())
    for name, path in items:
        h.update(name.encode() + b"\0")
        h.update(str(os.stat(path).st_mode & 0o111 != 0).encode())
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def layer_keys(paths, pin, root=ROOT):
    _, up_key = upstream_source(paths, pin)
    keys = {"upstream": hashlib.sha256(f"{LAYOUT_VERSION}:{up_key}".encode()).hexdigest()}
    keys["debian"] = hashlib.sha256(f"{keys['upstream']}:{pin['debian']['debian']['sha256']}".encode()).hexdigest()
    ov = overlay_files(root)
    keys["overlay"] = hash_files([(keys["debian"], os.path.join(root, "upstream.toml"))]
                                 + sorted((t, os.path.join(root, r)) for t, r in ov.items()))
    rustc, cargo = patch_series(root)
    keys["rustc-patches"] = hash_files([(keys["overlay"], os.path.join(root, "upstream.toml"))]
                                       + [(os.path.basename(p), p) for p in rustc])
    keys["cargo-patches"] = hash_files([(keys["rustc-patches"], os.path.join(root, "upstream.toml"))]
                                       + [(os.path.basename(p), p) for p in cargo])
    return keys


def make_base_layers(paths, pin, tree, keys):
    """The upstream and Debian layers, made from scratch in a fresh repository."""
    tarball, _ = upstream_source(paths, pin)
    if os.path.exists(tree.path):
        log("CLEAN", tree.path)
        shutil.rmtree(tree.path)
    init_repo(tree.path)
    log("UNPACK", os.path.basename(tarball))
    unpack(tarball, tree.path)
    with open(os.path.join(tree.path, "version")) as f:
        version = f.read().strip()
    if version != pin["upstream"]["version_file"]:
        raise Failure(f"{tarball}: version file says {version!r}, upstream.toml pins {pin['upstream']['version_file']!r}")
    log("LAYER", f"upstream: {version}")
    tree.commit_all(f"upstream: rustc {version}\n\nUnpacked from {os.path.basename(tarball)}.")
    tree.tag("upstream", keys["upstream"])

    debian_tar = os.path.join(paths.dl, pin["debian"]["debian"]["file"])
    log("UNPACK", os.path.basename(debian_tar))
    unpack(debian_tar, tree.path, strip=0)
    apply_debian_series(tree.path)
    for ws in debian_workspaces(tree.path):
        lock = os.path.join(tree.path, ws, "Cargo.lock")
        if os.path.isfile(lock):
            os.replace(lock, lock + ".orig")
    prune_checksums(tree.path)
    log("LAYER", f"debian: {pin['debian']['version']} series, lock files aside, vendor checksums pruned")
    tree.commit_all(f"debian: {pin['debian']['package']} {pin['debian']['version']}\n\n"
                    "debian/ added, debian/patches/series applied, the workspaces' Cargo.lock moved to\n"
                    "Cargo.lock.orig and vendored checksums pruned, as debian/rules does before configuring.")
    tree.tag("debian", keys["debian"])


def make_top_layers(tree, keys, root=ROOT):
    """Overlay and patch layers on top of layer/debian, keeping the mtime of every file whose content
    ends up unchanged, so that the compiler build only redoes what a change touches."""
    old_head = tree.rev("HEAD")
    saved = {}
    if old_head and tree.rev("layer/debian"):
        for p in tree.git("diff", "--name-only", "-z", "--no-renames", "layer/debian", old_head).split("\0"):
            full = os.path.join(tree.path, p)
            if p and os.path.lexists(full):
                saved[p] = os.lstat(full).st_mtime_ns
    tree.git("checkout", "-q", "-f", "-B", "work", "layer/debian")

    ov = overlay_files(root)
    for tree_rel, repo_rel in sorted(ov.items()):
        dest = os.path.join(tree.path, tree_rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(os.path.join(root, repo_rel), dest)
    log("LAYER", f"overlay: {len(ov)} new files")
    tree.commit_all("overlay: new files of rust-headers", paths=sorted(ov) or None)
    tree.tag("overlay", keys["overlay"])

    rustc, cargo = patch_series(root)
    for layer, series, extra in [("rustc-patches", rustc, []), ("cargo-patches", cargo, [f"--directory={CARGO_DIR}"])]:
        for p in series:
            res = subprocess.run(["git", "-C", tree.path, "am", "-q", "--committer-date-is-author-date",
                                  "--keep-cr", *extra, p], capture_output=True, text=True,
                                 env={**os.environ, **GIT_IDENTITY})
            if res.returncode != 0:
                subprocess.run(["git", "-C", tree.path, "am", "--abort"], capture_output=True)
                raise Failure(f"patch {os.path.relpath(p, root)} does not apply:\n{res.stdout}{res.stderr}")
        log("LAYER", f"{layer}: {len(series)} patches")
        tree.tag(layer, keys[layer])

    changed = set(tree.git("diff", "--name-only", "-z", "--no-renames", old_head, "HEAD").split("\0")) if saved else set()
    restored = 0
    for p, mtime in saved.items():
        full = os.path.join(tree.path, p)
        if p not in changed and os.path.lexists(full):
            os.utime(full, ns=(mtime, mtime), follow_symlinks=False)
            restored += 1
    return restored


@locks_tree("prepare")
def prepare(paths=None, root=ROOT):
    pin = load_pin(root)
    fetch(paths, pin)
    keys = layer_keys(paths, pin, root)
    tree = Tree(paths.src)
    base_ok = tree.exists() and all(tree.tag_key(l) == keys[l] for l in ("upstream", "debian"))
    top_ok = base_ok and all(tree.tag_key(l) == keys[l] for l in ("overlay", "rustc-patches", "cargo-patches"))
    if top_ok and tree.rev("HEAD") == tree.rev("layer/cargo-patches") and not tree.dirty():
        log("FRESH", f"{paths.src} at layer/cargo-patches")
        return tree
    if base_ok:
        if tree.dirty():
            raise Failure(f"{paths.src} has uncommitted changes: commit them, then ./x.py export")
        head, top = tree.rev("HEAD"), tree.rev("layer/cargo-patches")
        if top and head != top and tree.git("rev-list", "--count", f"{top}..{head}").strip() != "0":
            raise Failure(f"{paths.src} has commits on top of layer/cargo-patches that are not exported: "
                          "run ./x.py export (or drop them with git reset --hard layer/cargo-patches)")
    else:
        make_base_layers(paths, pin, tree, keys)
    restored = make_top_layers(tree, keys, root)
    log("PREPARED", f"{paths.src} at {tree.rev('HEAD')[:12]} ({restored} unchanged files kept their mtime)")
    return tree


# ---------------------------------------------------------------------------------------------
# Export and check

FORMAT_PATCH = ["format-patch", "--no-numbered", "--zero-commit", "--no-signature", "--abbrev=12", "--no-renames",
                "--diff-algorithm=myers", "--default-prefix", "--no-stat", "--no-notes", "-q"]


@locks_tree("export")
def export(paths=None, root=ROOT):
    tree = Tree(paths.src)
    if not tree.exists() or not tree.rev("layer/debian"):
        raise Failure(f"no prepared tree at {paths.src}: run ./x.py prepare")
    if tree.dirty():
        raise Failure(f"{paths.src} has uncommitted changes: commit them first")
    head = tree.rev("HEAD")
    base_files = tree.files_at("layer/debian")
    touched = set(tree.git("log", "--no-renames", "--name-only", "--format=", "-z", f"layer/debian..{head}").split("\0"))
    touched.discard("")
    new_files = sorted(touched - base_files)
    excludes = [f":(exclude,literal){p}" for p in new_files]

    # New files back to their place in this repository.
    head_files = tree.files_at(head)
    wanted = {}
    for p in new_files:
        if p in head_files:
            wanted[repo_path_of(p)] = p
    for tree_rel, repo_rel in overlay_files(root).items():
        if repo_rel not in wanted:
            os.unlink(os.path.join(root, repo_rel))
            log("EXPORT", f"removed {repo_rel}")
    for repo_rel, tree_rel in sorted(wanted.items()):
        src = os.path.join(tree.path, tree_rel)
        dest = os.path.join(root, repo_rel)
        data = read_bytes(src)
        old = read_bytes(dest) if os.path.exists(dest) else None
        if old != data:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(data)
            log("EXPORT", repo_rel)
        shutil.copymode(src, dest)

    # Patches: commits after layer/debian, restricted to upstream files; cargo's relative to its root.
    for out_dir, extra, spec in [
        (os.path.join(root, "patches"), [], [".", f":(exclude){CARGO_DIR}"]),
        (os.path.join(root, CARGO_PATCH, "patches"), [f"--relative={CARGO_DIR}"], [CARGO_DIR]),
    ]:
        with tempfile.TemporaryDirectory() as tmp:
            tree.git(*FORMAT_PATCH, *extra, "-o", tmp, f"layer/debian..{head}", "--", *spec, *excludes)
            produced = sorted(os.listdir(tmp))
            os.makedirs(out_dir, exist_ok=True)
            for n in os.listdir(out_dir):
                if n.endswith(".patch") and n not in produced:
                    os.unlink(os.path.join(out_dir, n))
                    log("EXPORT", f"removed {os.path.relpath(os.path.join(out_dir, n), root)}")
            for n in produced:
                dest = os.path.join(out_dir, n)
                data = read_bytes(os.path.join(tmp, n))
                if not os.path.exists(dest) or read_bytes(dest) != data:
                    with open(dest, "wb") as f:
                        f.write(data)
                    log("EXPORT", os.path.relpath(dest, root))
    # Re-lay the top layers from what was exported; they must give back the tree that was exported.
    tree_before = tree.git("rev-parse", f"{head}^{{tree}}").strip()
    pin = load_pin(root)
    tree.git("tag", "-f", "export/last", head)
    make_top_layers(tree, layer_keys(paths, pin, root), root)
    tree_after = tree.git("rev-parse", "HEAD^{tree}").strip()
    if tree_after != tree_before:
        diff = tree.git("diff", "--stat", head, "HEAD")
        raise Failure(f"exported series does not reproduce the work tree (old HEAD tagged export/last):\n{diff}")
    log("EXPORTED", f"{len(patch_series(root)[0])} rustc patches, {len(patch_series(root)[1])} cargo patches, "
                    f"{len(wanted)} new files")


@locks_tree("check")
def check(paths=None, root=ROOT):
    tree = Tree(paths.src)
    if not tree.exists():
        raise Failure(f"no prepared tree at {paths.src}: run ./x.py prepare")
    with tempfile.TemporaryDirectory(prefix="rust-headers-check-") as tmp:
        fresh_paths = Paths(tmp)
        os.makedirs(fresh_paths.dl)
        for n in os.listdir(paths.dl):
            if not n.endswith(".part"):
                os.symlink(os.path.join(paths.dl, n), os.path.join(fresh_paths.dl, n))
        log("CHECK", f"preparing from scratch in {tmp}")
        fresh = prepare(fresh_paths, root)
        mine = tree.git("rev-parse", "HEAD^{tree}").strip()
        theirs = fresh.git("rev-parse", "HEAD^{tree}").strip()
        dirty = tree.dirty()
        if mine == theirs and not dirty:
            log("CHECKED", f"work tree equals a fresh prepare (tree {mine[:12]})")
            return
        tree.git("fetch", "-q", fresh.path, "+work:refs/check/fresh")
        diff = tree.git("diff", "--stat", "refs/check/fresh")
        tree.git("update-ref", "-d", "refs/check/fresh")
        raise Failure("the work tree differs from a fresh prepare: run ./x.py export\n" + diff)


# ---------------------------------------------------------------------------------------------
# Build

def dump_toml(data):
    """Minimal TOML writer for the bootstrap config: tables of strings, bools, numbers and lists."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise TypeError(f"cannot write {v!r} as TOML")

    def key(k):
        return k if k.replace("-", "").replace("_", "").isalnum() else json.dumps(k)

    lines, tables = [], []

    def walk(prefix, table):
        scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict)]
        subs = [(k, v) for k, v in table.items() if isinstance(v, dict)]
        if prefix and scalars:
            tables.append((prefix, scalars))
        elif not prefix:
            lines.extend(f"{key(k)} = {value(v)}" for k, v in scalars)
        for k, v in subs:
            walk(prefix + [k], v)

    walk([], data)
    for prefix, scalars in tables:
        lines.append("")
        lines.append("[" + ".".join(key(p) for p in prefix) + "]")
        lines.extend(f"{key(k)} = {value(v)}" for k, v in scalars)
    return "\n".join(lines) + "\n"


def merge(base, extra):
    out = dict(base)
    for k, v in extra.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def rustup_which(tool, toolchain):
    try:
        return run(["rustup", "which", "--toolchain", toolchain, tool], capture=True).strip()
    except (Failure, FileNotFoundError):
        raise Failure(f"stage0 needs rustup's {toolchain} toolchain: rustup toolchain install {toolchain}")


def host_triple(rustc):
    for line in run([rustc, "-vV"], capture=True).splitlines():
        if line.startswith("host: "):
            return line[6:].strip()
    raise Failure(f"{rustc} -vV prints no host")


def ensure_llvm(pin):
    llvm_config = pin["llvm"]["llvm_config"]
    if os.path.exists(llvm_config):
        return llvm_config
    pkg = pin["llvm"]["package"]
    if os.geteuid() != 0:
        raise Failure(f"{llvm_config} is missing: run `sudo apt-get update && sudo apt-get install {pkg}`")
    log("APT", f"apt-get install {pkg}")
    run(["apt-get", "update", "-q"], capture=True)
    run(["apt-get", "install", "-y", "-q", pkg], env={"DEBIAN_FRONTEND": "noninteractive"}, capture=True)
    if not os.path.exists(llvm_config):
        raise Failure(f"{pkg} installed but {llvm_config} is still missing")
    return llvm_config


def bootstrap_config(paths, pin, root=ROOT):
    with open(os.path.join(root, "config.toml"), "rb") as f:
        committed = tomllib.load(f)
    stage0 = pin["stage0"]["toolchain"]
    rustc = rustup_which("rustc", stage0)
    host = host_triple(rustc)
    machine = {
        "build": {
            "rustc": rustc,
            "cargo": rustup_which("cargo", stage0),
            # tidy's formatting check runs rustfmt of stage0.
            "rustfmt": rustup_which("rustfmt", stage0),
            "build-dir": paths.build,
            "local-rebuild": True,
            "build": host,
        },
        "target": {host: {"llvm-config": ensure_llvm(pin)}},
    }
    return host, "# Generated by rust-headers ./x.py build from config.toml and this machine; do not edit.\n" \
        + dump_toml(merge(committed, machine))


def write_bootstrap_config(paths, pin, root=ROOT):
    host, text = bootstrap_config(paths, pin, root)
    dest = os.path.join(paths.src, "bootstrap.toml")
    if not os.path.exists(dest) or read_bytes(dest).decode() != text:
        with open(dest, "w") as f:
            f.write(text)
        log("CONFIG", dest)
    return host


def fail_with_log(what, log_path):
    """Show the end of a long log and fail, naming the whole log."""
    with open(log_path, errors="replace") as f:
        sys.stdout.write("".join(f.readlines()[-60:]))
    raise Failure(f"{what}; full log: {log_path}")


def upstream_x(paths, args, log_name=None, env=None):
    cmd = [sys.executable, os.path.join(paths.src, "x.py"), *args]
    # run-make-cargo tests the cargo of our toolchain: bootstrap cannot build cargo from the dfsg
    # vendor/ (patch "bootstrap: let run-make-cargo test a cargo built outside bootstrap").
    cargo = os.path.join(paths.toolchain, "bin", "cargo")
    full_env = {**os.environ, "BOOTSTRAP_CARGO_UNDER_TEST": cargo, **(env or {})}
    if log_name is None or os.environ.get("RUST_HEADERS_VERBOSE"):
        return subprocess.run(cmd, cwd=paths.src, env=full_env).returncode
    os.makedirs(paths.logs, exist_ok=True)
    log_path = os.path.join(paths.logs, log_name)
    with open(log_path, "w") as out:
        code = subprocess.run(cmd, cwd=paths.src, env=full_env, stdout=out, stderr=subprocess.STDOUT).returncode
    if code != 0:
        fail_with_log(f"upstream x.py {' '.join(args)} failed", log_path)
    return code


def cargo_on_tree(paths, pin, verb, *args, target_dir):
    """The stage-0 cargo running VERB on the prepared tree's cargo, against crates.io (docs/design.md:
    Debian's pruned vendor/ lacks the bundled C sources that cargo's git and http stack need on bookworm).
    Returns the command and its environment; run it from paths.cache, outside the tree, whose
    .cargo/config.toml would replace crates.io by the pruned vendor/."""
    manifest_dir = os.path.join(paths.src, CARGO_DIR)
    lock = os.path.join(manifest_dir, "Cargo.lock")
    if not os.path.exists(lock):
        shutil.copy2(lock + ".orig", lock)
    stage0 = pin["stage0"]["toolchain"]
    env = {
        **os.environ,
        "CFG_RELEASE": pin["upstream"]["version"],
        "CFG_RELEASE_CHANNEL": "dev",
        "CFG_VER_DESCRIPTION": "rust-headers",
        "RUSTC": rustup_which("rustc", stage0),
        "CARGO_TARGET_DIR": target_dir,
    }
    cmd = [rustup_which("cargo", stage0), verb, "--manifest-path", os.path.join(manifest_dir, "Cargo.toml"), *args]
    return cmd, env


def start_cargo_build(paths, pin):
    """Start building cargo beside the compiler. Returns a function that waits for it and gives the binary's path."""
    cmd, env = cargo_on_tree(paths, pin, "build", "--release", "--bin", "cargo", target_dir=paths.cargo_target)
    os.makedirs(paths.logs, exist_ok=True)
    log_path = os.path.join(paths.logs, "cargo.log")
    log("CARGO", f"cargo build --release of {CARGO_DIR}, beside the compiler (log {log_path})")
    out = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=paths.cache, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait():
        code = proc.wait()
        out.close()
        if code != 0:
            fail_with_log("cargo build failed", log_path)
        return os.path.join(paths.cargo_target, "release", "cargo")

    wait.proc = proc
    return wait


def assemble_toolchain(paths, host, cargo_bin):
    stage1 = os.path.join(paths.build, host, "stage1")
    for tool in ("rustc", "rustdoc"):
        if not os.path.exists(os.path.join(stage1, "bin", tool)):
            raise Failure(f"{stage1}/bin/{tool} is missing after the build")
    tc = paths.toolchain
    os.makedirs(os.path.join(tc, "bin"), exist_ok=True)
    for name in ("rustc", "rustdoc"):
        link = os.path.join(tc, "bin", name)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.path.join(stage1, "bin", name), link)
    lib = os.path.join(tc, "lib")
    if os.path.lexists(lib) and os.path.realpath(lib) != os.path.join(stage1, "lib"):
        os.unlink(lib) if os.path.islink(lib) else shutil.rmtree(lib)
    if not os.path.lexists(lib):
        os.symlink(os.path.join(stage1, "lib"), lib)
    shutil.copy2(cargo_bin, os.path.join(tc, "bin", "cargo.tmp"))
    os.replace(os.path.join(tc, "bin", "cargo.tmp"), os.path.join(tc, "bin", "cargo"))
    run(["rustup", "toolchain", "link", TOOLCHAIN_NAME, tc], capture=True)
    version = run([os.path.join(tc, "bin", "rustc"), "-vV"], capture=True)
    if "rust-headers" not in version.splitlines()[0]:
        raise Failure(f"the linked rustc does not say it is rust-headers: {version.splitlines()[0]}")
    cargo_version = run([os.path.join(tc, "bin", "cargo"), "-V"], capture=True).strip()
    log("TOOLCHAIN", f"+{TOOLCHAIN_NAME} -> {tc}: {version.splitlines()[0]}; {cargo_version}")


@locks_tree("build")
def build(paths=None):
    pin = load_pin()
    t0 = time.monotonic()
    prepare(paths)
    host = write_bootstrap_config(paths, pin)
    # Cargo builds in parallel with the compiler: it fills the core that the compiler's long
    # single-crate stretches (rustc_middle, the librustc_driver link) leave idle.
    wait_cargo = start_cargo_build(paths, pin)
    log("BUILD", f"stage-1 compiler, std and rustdoc (log {paths.logs}/build.log)")
    try:
        upstream_x(paths, ["build", "--stage", "1", "library", "src/tools/rustdoc"], "build.log")
    except BaseException:
        wait_cargo.proc.terminate()
        raise
    t1 = time.monotonic()
    cargo_bin = wait_cargo()
    t2 = time.monotonic()
    assemble_toolchain(paths, host, cargo_bin)
    log("BUILT", f"compiler, std and rustdoc after {t1 - t0:.0f}s, cargo after {t2 - t0:.0f}s")


# ---------------------------------------------------------------------------------------------
# Tests

def read_steps(path):
    """Test steps: `name  command...` per line; `#` starts a comment; a commented-out step says why."""
    steps = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            name, _, cmd = text.partition(" ")
            if not cmd.strip():
                raise Failure(f"{path}:{lineno}: step {name} has no command")
            steps.append((name, shlex.split(cmd)))
    return steps


def run_step(paths, name, cmd):
    kind, args = cmd[0], cmd[1:]
    if kind == "x":
        return upstream_x(paths, args, log_name=None)
    if kind == "cargo":
        # cargo's testsuite, built like our cargo, run with the +headers toolchain first on PATH (cargo's
        # test support runs that `rustc`). Without CI in the environment: cargo's test macros read it at
        # compile time (and then insist on rustup's CARGO_HOME), so a CI run would rebuild the testsuite.
        cmd, env = cargo_on_tree(paths, load_pin(), *args, target_dir=os.path.join(paths.cache, "cargo-test-target"))
        env = {k: v for k, v in env.items() if k not in ("CI", "TF_BUILD")}
        env["PATH"] = os.path.join(paths.toolchain, "bin") + os.pathsep + env.get("PATH", "")
        return subprocess.run(cmd, cwd=paths.cache, env=env).returncode
    if kind == "sh":
        return subprocess.run(args, cwd=ROOT, env={**os.environ, "RUST_HEADERS_CACHE": paths.cache,
                                                   "RUST_HEADERS_SRC": paths.src}).returncode
    raise Failure(f"test step {name}: unknown kind {kind!r} (x, cargo or sh)")


@locks_tree("test")
def test(paths=None, only=()):
    steps = read_steps(os.path.join(ROOT, ".ci", "test-steps"))
    only = set(only)
    unknown = only - {n for n, _ in steps}
    if unknown:
        raise Failure(f"no such test step: {', '.join(sorted(unknown))}")
    if any(c[0] in ("x", "cargo") for n, c in steps if not only or n in only):
        prepare(paths)
        write_bootstrap_config(paths, load_pin())
    passed, failed = [], []
    for name, cmd in steps:
        if only and name not in only:
            continue
        log("TEST", f"{name}: {shlex.join(cmd)}")
        t = time.monotonic()
        code = run_step(paths, name, cmd)
        (passed if code == 0 else failed).append(name)
        log("PASS" if code == 0 else "FAIL", f"{name} ({time.monotonic() - t:.0f}s)")
    print(f"{len(passed)} passed, {len(failed)} failed")
    if failed:
        raise Failure(f"failed test steps: {', '.join(failed)}")


def step_names():
    return {n for n, _ in read_steps(os.path.join(ROOT, ".ci", "test-steps"))}


def bench(argv):
    runner = os.path.join(ROOT, "bench", "run.py")
    if not os.path.exists(runner):
        raise Failure("bench/run.py does not exist yet")
    sys.exit(subprocess.run([sys.executable, runner, *argv]).returncode)


# Our verbs are ours whatever their arguments; upstream's x.py is reached by `upstream`, or by any
# verb that is not ours (`doc`, `fmt`, `clippy`, ...). A verb is never ours with some arguments and
# upstream's with others: ours refuse arguments they do not take, and say how to reach upstream's.
OWN_VERBS = {
    "prepare": "lays out the work tree",
    "build": "builds the +headers toolchain",
    "test": "runs the steps of .ci/test-steps",
    "bench": "runs bench/run.py",
    "export": "writes the work tree back into this repository",
    "check": "compares the work tree with a fresh prepare",
}


def refuse_arguments(verb, rest, takes="no arguments"):
    raise Failure(f"`./x.py {verb}` is rust-headers' own ({OWN_VERBS[verb]}) and takes {takes}; "
                  f"for upstream's, run `./x.py upstream {shlex.join([verb, *rest])}`")


def main(argv):
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    verb, rest = argv[0], argv[1:]
    try:
        if verb in ("prepare", "build", "export", "check") and rest:
            refuse_arguments(verb, rest)
        if verb == "test" and any(a not in step_names() for a in rest):
            refuse_arguments(verb, rest, "only names of test steps ("
                             + ", ".join(sorted(step_names())) + ")")
        if verb == "prepare":
            prepare()
        elif verb == "build":
            build()
        elif verb == "test":
            test(only=rest)
        elif verb == "bench":
            bench(rest)
        elif verb == "export":
            export()
        elif verb == "check":
            check()
        else:
            upstream_argv = rest if verb == "upstream" else argv
            if not upstream_argv:
                raise Failure("`./x.py upstream` needs upstream's x.py arguments, e.g. `./x.py upstream check compiler/rustc_metadata`")
            paths = Paths()
            if not Tree(paths.src).exists():
                raise Failure(f"no prepared tree at {paths.src}: run ./x.py prepare")
            write_bootstrap_config(paths, load_pin())
            log("UPSTREAM", f"x.py {shlex.join(upstream_argv)}")
            return upstream_x(paths, upstream_argv)
    except Failure as e:
        log("ERROR", str(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
