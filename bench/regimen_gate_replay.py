"""The item gate on fresh text: each labelled set scored with the parser as it stood when the set was added.

The tuning sets were fixed against after they were labelled, so the parser's errors left on them are the
hard, rare ones, and a gate cross-validated over them sees too few plain mistakes. Text the parser has
never seen looks like each set did on the day it was added: this replays that. For each set named (by
default the sets added after the development set), the source at the commit that added its labels is
exported to a temporary folder, the current gate (gate.py and its cue words) is put into it with the
same two small hooks the parser has now, and the set is scored by that parser without and with a gate
trained on every other tuning set (its threshold chosen without the set too, as in
train_regimen_gate.py's nested figures). Needs git and scikit-learn; prints JSON. Sealed is never read.

    .venv/bin/python bench/regimen_gate_replay.py [--sets gen_drugs3 gen_routes ...]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_regimen_gate as training
from trialatlas.extract.regimen import gate

ROOT = training.ROOT
REGIMEN = Path("src/trialatlas/extract/regimen")
# The hooks the current parser has for the gate, as (file, anchor, replacement) on the older source.
_HOOKS = (
    (
        "models.py",
        "from pydantic import BaseModel, ConfigDict, Field\n",
        "from pydantic import BaseModel, ConfigDict, Field, PrivateAttr\n",
    ),
    (
        "models.py",
        '        "never concurrent.",\n    )\n',
        '        "never concurrent.",\n    )\n'
        "    _gate_features: list[float] = PrivateAttr(default_factory=list)\n"
        "    _gate_score: float | None = PrivateAttr(default=None)\n\n"
        "    @property\n    def gate_features(self) -> list[float]:\n        return self._gate_features\n\n"
        "    @property\n    def gate_score(self) -> float | None:\n        return self._gate_score\n\n"
        "    def note_gate(self, features: list[float], score: float | None) -> None:\n"
        "        self._gate_features = features\n        self._gate_score = score\n",
    ),
    (
        "parse.py",
        "from trialatlas.extract.regimen import clauses, lexicon, naming\n",
        "from trialatlas.extract.regimen import clauses, gate, lexicon, naming\n",
    ),
    (
        "parse.py",
        "    _collect_unparsed(doc, items, unreadable, result)\n    return result\n",
        "    _collect_unparsed(doc, items, unreadable, result)\n    if items:\n"
        "        gate.judge(doc, result, gate.shipped_model())\n    return result\n",
    ),
)
_SCORE = """
import json, sys
from pathlib import Path
import trialatlas
from trialatlas.extract.regimen import gate
from trialatlas.eval.regimens import evaluate, load_labelled
assert trialatlas.__file__.startswith(sys.argv[1]), trialatlas.__file__
fold = gate.GateModel.from_json(json.loads(Path(sys.argv[2]).read_text()))
rows = load_labelled(Path(sys.argv[3]))
out = {}
for label, model in (("ungated", gate.GateModel(kind="off", features=gate.feature_names())), ("gated", fold)):
    gate.shipped_model = lambda model=model: model
    report = evaluate(rows)
    out[label] = {"strict": report["strict"], "paired_f1": report["items"]["f1"],
                  "unparsed_rate": report["unparsed"]["rate"]}
print(json.dumps(out))
"""


class _Unhookable(Exception):
    """The older source lacks a place the gate's hooks go (its parser was built differently)."""


def added_at(name: str) -> str:
    """The commit that added the set's labels (the parser had not been fixed against it yet)."""
    path = f"tests/fixtures/regimens_{name}.jsonl"
    out = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not out:
        raise SystemExit(f"no commit adds {path}")
    return out[-1]


def export_source(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", commit, "src"], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    regimen = into / REGIMEN
    for name in ("gate.py", "gate_cues.json"):
        (regimen / name).write_bytes((ROOT / REGIMEN / name).read_bytes())
    for file_name, anchor, replacement in _HOOKS:
        path = regimen / file_name
        text = path.read_text(encoding="utf-8")
        if anchor not in text:
            raise _Unhookable(f"{file_name} has no {anchor.strip()[:40]!r}: too old to hook the gate into")
        path.write_text(text.replace(anchor, replacement, 1), encoding="utf-8")
    return into / "src"


def fold_model(
    name: str, texts: list[training.Text], x: np.ndarray, y: np.ndarray, groups: np.ndarray
) -> dict[str, object]:
    """The gate trained without ``name``, its threshold chosen without it as well."""
    held = groups == name
    others = [text for text in texts if text.set_name != name]
    sets = sorted({text.set_name for text in others})
    inner = training.out_of_fold(x[~held], y[~held], groups[~held], sets)
    mean, scale, model = training.fit(x[~held], y[~held])
    return {
        "kind": "logistic",
        "features": list(gate.feature_names()),
        "coefficients": [float(c) for c in model.coef_[0]],
        "intercept": float(model.intercept_[0]),
        "mean": [float(m) for m in mean],
        "scale": [float(s) for s in scale],
        "threshold": training.best_threshold(others, inner),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="*", help="sets to replay (default: every tuning set but dev)")
    args = parser.parse_args()
    sets = training.training_sets()
    texts, _ = training.read_texts(sets)
    x = np.array([item.gate_features for text in texts for item in text.items], dtype=np.float64)
    y = training.labels(texts)
    groups = np.array([text.set_name for text in texts for _ in text.items])
    report: dict[str, object] = {}
    for name in args.sets or [s for s in sets if s != "dev"]:
        commit = added_at(name)
        with tempfile.TemporaryDirectory(prefix="gate-replay-") as folder:
            try:
                source = export_source(commit, Path(folder))
            except _Unhookable as reason:
                report[name] = {"commit": commit[:9], "skipped": str(reason)}
                continue
            model_path = Path(folder) / "fold.json"
            model_path.write_text(json.dumps(fold_model(name, texts, x, y, groups)), encoding="utf-8")
            labels = ROOT / "tests" / "fixtures" / f"regimens_{name}.jsonl"
            env = {**os.environ, "PYTHONPATH": str(source)}
            out = subprocess.run(
                [sys.executable, "-c", _SCORE, str(source), str(model_path), str(labels)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            report[name] = {"commit": commit[:9], **json.loads(out.stdout)}
        print(name, json.dumps(report[name]), file=sys.stderr)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
