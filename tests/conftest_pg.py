"""A throw-away PostgreSQL cluster for the tests: initdb into a temporary directory, a free loopback
port, removed when the session ends.

The Debian ``postgresql`` package is installed first when no ``initdb`` is found and the tests run as
root (``apt-get install -y postgresql``); nothing else is needed from ``make test``. As root, the
server runs as the ``postgres`` user the package creates, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from trialatlas.store import MemoryStore, SqliteStore, TrialStore
from trialatlas.store.postgres import PostgresStore

_SERVER_SETTINGS = (
    # Durability buys nothing in a cluster deleted at the end of the run.
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c listen_addresses=127.0.0.1 -c max_connections=60"
)


def _tool(name: str) -> str:
    """A system tool, found in the sbin directories too (a non-login root PATH may lack them)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin") or name


def _find_bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True
    )
    return Path(candidates[0]).parent if candidates else None


@contextmanager
def one_installer_at_a_time() -> Iterator[None]:
    """Held while a test process installs a system package or account: pytest-xdist's workers would
    otherwise run apt-get (or useradd) at once, and all but one fail on its lock."""
    with open(os.path.join(tempfile.gettempdir(), "trialatlas-tests-install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _install_postgresql() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [_tool("apt-get"), "install", "-y", "-q", "postgresql"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run([_tool("apt-get"), "update", "-q"], env=env, check=True, capture_output=True)
        subprocess.run(install, env=env, check=True, capture_output=True)


def postgres_bin_dir() -> Path:
    """Where initdb and pg_ctl are, installing the Debian package first when needed (as root)."""
    bin_dir = _find_bin_dir()
    if bin_dir is None and os.geteuid() == 0 and shutil.which(_tool("apt-get")):
        with one_installer_at_a_time():
            bin_dir = _find_bin_dir()  # another test process may have installed it meanwhile
            if bin_dir is None:
                _install_postgresql()
                bin_dir = _find_bin_dir()
    if bin_dir is None:
        pytest.fail("PostgreSQL server binaries not found: install the Debian package postgresql")
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgCluster:
    url: str  # to the maintenance database "postgres"
    port: int
    root: Path

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return [_tool("runuser"), "-u", "postgres", "--", *command]


def start_cluster(settings: str = _SERVER_SETTINGS) -> PgCluster:
    """A new cluster, started; ``settings`` are the server's ``-c`` options (``bench/store.py`` asks for
    durable ones)."""
    bin_dir = postgres_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="trialatlas-pg-"))
    data, socket_dir, log = root / "data", root / "sock", root / "server.log"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        with one_installer_at_a_time():
            if subprocess.run([_tool("id"), "-u", "postgres"], capture_output=True).returncode != 0:
                subprocess.run([_tool("useradd"), "--system", "--no-create-home", "postgres"], check=True)
        shutil.chown(root, "postgres")
        shutil.chown(socket_dir, "postgres")
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
             "--locale=C", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )  # fmt: skip
    port = _free_port()
    options = f"-p {port} -k {socket_dir} {settings}"
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    return PgCluster(f"postgresql://postgres@127.0.0.1:{port}/postgres", port, root)


def stop_cluster(cluster: PgCluster) -> None:
    bin_dir = postgres_bin_dir()
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "pg_ctl"), "-D", str(cluster.root / "data"), "-m", "immediate", "stop"]
        ),
        capture_output=True,
    )
    shutil.rmtree(cluster.root, ignore_errors=True)


@contextmanager
def postgres_store(cluster: PgCluster) -> Iterator[PostgresStore]:
    """A store in a fresh database of ``cluster`` (for fixtures wider than one test), dropped after."""
    name = cluster.create_database()
    store = PostgresStore(cluster.database_url(name))
    try:
        yield store
    finally:
        store.close()
        cluster.drop_database(name)


@contextmanager
def backend_store(request: pytest.FixtureRequest, folder: Path) -> Iterator[TrialStore]:
    """An empty store of the backend a fixture's ``request.param`` names: ``"sqlite"`` (a file in
    ``folder``) or ``"postgres"`` (a fresh database of the session's cluster), closed after."""
    if request.param == "postgres":
        with postgres_store(request.getfixturevalue("pg_cluster")) as database:
            yield database
        return
    with SqliteStore(folder / "atlas.db") as file_store:
        yield file_store


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """The URL of a fresh, empty database, dropped after the test."""
    name = pg_cluster.create_database()
    yield pg_cluster.database_url(name)
    pg_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", "memory", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrialStore]:
    """One store of each backend, PostgreSQL included, for tests of features every backend has."""
    backend: TrialStore
    if request.param == "sqlite":
        backend = SqliteStore(tmp_path / "atlas.db")
    elif request.param == "postgres":
        backend = PostgresStore(request.getfixturevalue("pg_url"))
    else:
        backend = MemoryStore()
    yield backend
    backend.close()
