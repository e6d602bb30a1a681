"""Extensions join the way built-ins do: a package's entry points in the trialatlas groups.

A fake third-party distribution (a ``*.dist-info`` with ``entry_points.txt`` beside its module) is put
on the path of a real ``trialatlas`` process, which then reads its format, counts its facet and uses
its judge, with no change to trialatlas itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from trialatlas.errors import PluginError
from trialatlas.match.judge import load_judge
from trialatlas.plugins import CRITERION_PARSERS, FACETS, JUDGES, READERS
from trialatlas.search import FACETS as FACET_REGISTRY
from trialatlas.sources import registered_readers

PLUGIN_MODULE = '''
from trialatlas.model import Trial
from trialatlas.search.facets import Facet
from trialatlas.sources.base import RecordError


class PipeReader:
    """One trial per line: PIPE|<NCT id>|<title>."""

    name = "pipe-lines"

    def sniff(self, head, name):
        return 0.99 if head.startswith(b"PIPE|") else 0.0

    def read(self, blob):
        with blob.open() as stream:
            for number, line in enumerate(stream, start=1):
                parts = line.decode("utf-8").rstrip("\\n").split("|")
                if len(parts) != 3:
                    yield RecordError(f"{blob.name}:{number}", "expected PIPE|NCT id|title")
                    continue
                yield Trial(nct_id=parts[1], brief_title=parts[2])


READER = PipeReader()
FACET = Facet("title_words", "Title words", lambda t: ["long" if len(t.title.split()) > 3 else "short"])


class CoinJudge:
    def judge(self, note, criterion, kind, annotation_id):
        raise NotImplementedError
'''

ENTRY_POINTS = f"""[{READERS}]
pipe = fake_trial_plugin:READER

[{FACETS}]
title-words = fake_trial_plugin:FACET

[{JUDGES}]
coin = fake_trial_plugin:CoinJudge
"""


@pytest.fixture
def plugin_path(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    info = folder / "fake_trial_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-trial-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (folder / "fake_trial_plugin.py").write_text(PLUGIN_MODULE)
    return folder


def trialatlas(plugin_path: Path, *args: str) -> Any:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_path), os.environ.get("PYTHONPATH", "")])}
    env.pop("TRIALATLAS_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "trialatlas", *args], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return orjson.loads(result.stdout)


def test_a_third_party_reader_and_facet_are_picked_up(plugin_path: Path, tmp_path: Path) -> None:
    records = tmp_path / "trials.pipe"
    records.write_text("PIPE|NCT00000101|Short title\nPIPE|NCT00000102|A much longer trial title here\n")
    db = tmp_path / "atlas.db"
    summary = trialatlas(plugin_path, "ingest", "--db", str(db), "--json", str(records))
    assert (summary["new"], summary["failed"]) == (2, 0)
    found = trialatlas(plugin_path, "search", "--db", str(db), "--json")
    assert {hit["trial"]["key"] for hit in found["hits"]} == {"NCT00000101", "NCT00000102"}
    counts = {value["value"]: value["count"] for value in found["facets"]["title_words"]}
    assert counts == {"short": 1, "long": 1}
    chosen = trialatlas(plugin_path, "search", "--db", str(db), "--facet", "title_words:long", "--json")
    assert [hit["trial"]["key"] for hit in chosen["hits"]] == ["NCT00000102"]
    judge = subprocess.run(
        [
            sys.executable,
            "-c",
            "from trialatlas.match.judge import load_judge; print(type(load_judge('coin')))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(plugin_path)},
        check=True,
    )
    assert "fake_trial_plugin.CoinJudge" in judge.stdout


def test_the_built_ins_are_entry_points_too() -> None:
    from importlib.metadata import entry_points

    declared = {group: {e.name for e in entry_points(group=group)} for group in (READERS, FACETS, JUDGES)}
    assert {"ctgov-xml", "ctgov-v2", "ctgov-csv", "registry-page", "trialgpt-jsonl"} <= declared[READERS]
    assert "builtin" in declared[FACETS] and "rules" in declared[JUDGES]
    assert len(entry_points(group=CRITERION_PARSERS)) >= 4
    # Without any plugin, exactly the declared readers and facets are registered.
    assert {"ctgov-xml", "ctgov-v2-json", "ctgov-csv", "ctgov-csv-legacy"} <= set(registered_readers())
    assert {"status", "phase", "country", "start_year"} <= set(FACET_REGISTRY)
    assert type(load_judge("rules")).__name__ == "RuleJudge"
    with pytest.raises(PluginError, match="no judge 'oracle'"):
        load_judge("oracle")
