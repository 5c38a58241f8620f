"""Run a command with PostgreSQL and Redis for the tests, starting throwaway ones if needed.

    python scripts/test_services.py DATABASE_URL REDIS_URL -- command ...

When a server answers at the given URL, the command uses it. When none answers at a loopback
URL, a private server is started on a free port with its files under var/test-services/, the
command gets its URL, and the server is stopped (and its files removed) afterwards. The command
sees DATABASE_URL and REDIS_URL. Without the server programs, or when a remote URL does not
answer, this says so in one line and exits 1 (see README: Running the tests).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess  # nosec B404  # starts throwaway PostgreSQL/Redis servers for tests
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_services import reachable  # a sibling script, not a package

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "var" / "test-services"
LOOPBACK = {"127.0.0.1", "localhost", "::1", None, ""}
PACKAGES = {"PostgreSQL": "postgresql", "Redis": "redis-server"}


class Missing(Exception):
    """A server is needed and cannot be started; the message is the one line to print."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin(name: str) -> str | None:
    """Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<version>/bin."""
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return versions[-1] if versions else shutil.which(name)


def _wait(ready, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise Missing(f"{what} did not start within {timeout:.0f}s")


@contextlib.contextmanager
def throwaway_postgres(database: str) -> Iterator[str]:
    initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise Missing("no PostgreSQL server programs (initdb, pg_ctl)")
    RUNTIME.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="postgres-", dir=RUNTIME))
    as_user: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root; use the account the Debian package creates.
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise Missing("running as root and there is no 'postgres' user") from None
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        if not runuser:
            raise Missing("running as root and no runuser program to drop to 'postgres'")
        as_user = [runuser, "-u", "postgres", "--"]
    port = free_port()
    data, log = folder / "data", folder / "server.log"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    init = subprocess.run(  # nosec B603  # a fixed argument list of a local program, no shell
        [*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        **quiet,
    )
    if init.returncode:
        raise Missing(f"initdb failed in {folder}")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [*as_user, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
    if subprocess.run(start, **quiet).returncode:  # nosec B603  # a fixed argument list of a local program, no shell
        raise Missing(f"PostgreSQL did not start (see {log})")
    try:
        _wait(lambda: reachable(f"postgres://127.0.0.1:{port}", port), "PostgreSQL")
        yield f"postgres://postgres@127.0.0.1:{port}/{database or 'ratpark'}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], **quiet)  # nosec B603  # a fixed argument list of a local program, no shell
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def throwaway_redis(database: str) -> Iterator[str]:
    server = shutil.which("redis-server")
    if not server:
        raise Missing("no redis-server program")
    RUNTIME.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="redis-", dir=RUNTIME))
    port = free_port()
    process = subprocess.Popen(  # nosec B603  # a fixed argument list of a local program, no shell
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: reachable(f"redis://127.0.0.1:{port}", port), "Redis")
        yield f"redis://127.0.0.1:{port}/{database or '0'}"
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    database_url, redis_url, command = argv[0], argv[1], argv[3:]
    wanted = [
        ("PostgreSQL", database_url, 5432, throwaway_postgres),
        ("Redis", redis_url, 6379, throwaway_redis),
    ]
    urls = {}
    with contextlib.ExitStack() as services:
        for name, url, default_port, throwaway in wanted:
            parts = urlparse(url)
            if reachable(url, default_port):
                urls[name] = url
                continue
            if parts.hostname not in LOOPBACK:
                print(
                    f"error: {name} is not reachable at {parts.netloc} "
                    "(see README: Running the tests)",
                    file=sys.stderr,
                )
                return 1
            try:
                urls[name] = services.enter_context(throwaway(parts.path.lstrip("/")))
            except (Missing, OSError) as problem:
                print(
                    f"error: {name} is not reachable at {parts.netloc} and can't be started "
                    f"here ({problem}); install the Debian packages: "
                    + " ".join(PACKAGES.values()),
                    file=sys.stderr,
                )
                return 1
            print(f"Started a throwaway {name} for this run at {urls[name]}", file=sys.stderr)
        env = dict(os.environ, DATABASE_URL=urls["PostgreSQL"], REDIS_URL=urls["Redis"])
        process = subprocess.Popen(command, env=env)  # nosec B603  # a fixed argument list of a local program, no shell
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            return process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
