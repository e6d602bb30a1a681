"""Start-up benchmark: what a user waits for before a command does its work.

Prints one JSON document: per case, the wall-clock and the CPU (user + system of the child) seconds of
a fresh interpreter, median and max over ``--repeat`` runs, beside bare ``python -c pass`` and the
whole public API loaded at once (what ``import trialatlas`` cost when it loaded everything) measured
in the same run. CPU seconds are the figure to read on a busy machine: wall-clock includes waiting
for a core.

Bytecode is cached as on a user's machine (pip compiles an installed package; an editable install
writes ``__pycache__`` on its first run, here the untimed warm-up): ``PYTHONDONTWRITEBYTECODE`` is
dropped from the children's environment, since with it set every run compiles every trialatlas module
again (about 0.2 CPU s of ``show``). ``--no-bytecode-cache`` keeps the environment as it is.

Cases: ``import trialatlas``; ``trialatlas --help``; ``trialatlas show NCT04048161`` (and ``--json``)
on a store of the five target trials built here; ``trialatlas search`` on that store (which builds
nothing: the index is built before the timed runs).

``--peer-src DIR`` times the same cases with another checkout's ``src`` first on the path (for
instance ``git archive main | tar -x -C /tmp/main``, then ``--peer-src /tmp/main/src``): before and
after in the same run, on the same store.

Usage: python bench/startup.py [--repeat 5] [--data ../shared/data] [--peer-src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from trialatlas.config import shared_data_dir

TRIAL = "NCT04048161"


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], repeat: int, env: dict[str, str]) -> dict[str, Any]:
    """Wall and CPU seconds of ``command`` run ``repeat`` times (after one untimed run to warm caches)."""
    subprocess.run(command, check=True, capture_output=True, env=env)
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(repeat):
        cpu_before = _child_cpu()
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - started)
        cpus.append(_child_cpu() - cpu_before)
    return {
        "wall_s": round(statistics.median(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
        "cpu_max_s": round(max(cpus), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=None, help="Shared data folder.")
    parser.add_argument("--peer-src", type=Path, default=None, help="Another checkout's src to time too.")
    parser.add_argument(
        "--no-bytecode-cache", action="store_true", help="Keep PYTHONDONTWRITEBYTECODE if it is set."
    )
    args = parser.parse_args()
    data = args.data or shared_data_dir()
    python = sys.executable
    env = {**os.environ, "TRIALATLAS_SHARED_DATA": str(data), "COLUMNS": "100"}
    if not args.no_bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as scratch:
        db = str(Path(scratch) / "atlas.db")
        cli = [python, "-m", "trialatlas"]
        subprocess.run(
            [*cli, "ingest", "--db", db, "--workers", "1", str(data / "ctgov_target_trials")],
            check=True,
            capture_output=True,
            env=env,
        )
        cases = {
            "python -c pass (baseline)": [python, "-c", "pass"],
            "import trialatlas": [python, "-c", "import trialatlas"],
            "every public name loaded (the former eager import)": [
                python,
                "-c",
                "import trialatlas\nfor name in trialatlas.__all__: getattr(trialatlas, name)",
            ],
            "trialatlas --help": [*cli, "--help"],
            f"trialatlas show {TRIAL}": [*cli, "show", "--db", db, TRIAL],
            f"trialatlas show {TRIAL} --json": [*cli, "show", "--db", db, "--json", TRIAL],
            "trialatlas search lupus": [*cli, "search", "--db", db, "lupus"],
        }
        figures = {name: timed(command, args.repeat, env) for name, command in cases.items()}
        peer: dict[str, Any] | None = None
        if args.peer_src is not None:
            peer_env = {**env, "PYTHONPATH": str(args.peer_src.resolve())}
            peer = {name: timed(command, args.repeat, peer_env) for name, command in cases.items()}
    goals = {"trialatlas --help": 0.5, f"trialatlas show {TRIAL}": 1.0}
    report = {
        "repeat": args.repeat,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "bytecode_cached": "PYTHONDONTWRITEBYTECODE" not in env,
        "cases": figures,
        "peer_src": None if args.peer_src is None else str(args.peer_src),
        "peer_cases": peer,
        "goals_s": goals,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
