"""Mine development code -> generic pairs from the registry records' own intervention names.

A trial's intervention lists its name and other names ("MCI-196 | Colestilan(INN) | CHOLEBINE",
"Fremanezumab | TEV-48125"): where one intervention names exactly one generic the drug vocabulary knows
(or one name the registry marks as an INN) beside codes, each code is that generic's. The pairs are data,
written to src/trialatlas/text/drug_codes.json and read by the regimen vocabulary; a code that two
records pair with different generics, and any intervention that combines drugs, gives none.

    python bench/mine_drug_codes.py            # writes src/trialatlas/text/drug_codes.json
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from trialatlas.config import shared_data_dir
from trialatlas.eval.regimens import SOURCE_FOLDERS
from trialatlas.extract.regimen.drugs import looks_like_code, lookup
from trialatlas.model import Trial
from trialatlas.sources import read_paths
from trialatlas.text.drugs import mined_drug_codes

OUT = Path(__file__).resolve().parent.parent / "src" / "trialatlas" / "text" / "drug_codes.json"

# A name the registry marks as the international nonproprietary name ("Colestilan(INN)").
_MARKED_INN = re.compile(r"^\s*([A-Za-z][A-Za-z -]{3,40}?)\s*\((?:INN|USAN|rINN)\)\s*$", re.IGNORECASE)
# Names of more than one product: no code among them names one generic.
_COMBINED = re.compile(r"\+|/|\band\b|\bplus\b|\bwith\b|\bor\b|,|;", re.IGNORECASE)
_BRACKETED = re.compile(r"\s*[\(\[][^)\]]*[\)\]]\s*|[®™]")


def _generic(name: str) -> str | None:
    marked = _MARKED_INN.match(name)
    if marked:
        return " ".join(marked.group(1).lower().split())
    info = lookup(name)
    # A placebo or a class ("antibodies, monoclonal") beside a code names no generic of it.
    if info is None or info.is_class or info.name in {"placebo", "vehicle"} or "," in info.name:
        return None
    return info.name


def _code(name: str) -> str | None:
    bare = _BRACKETED.sub(" ", name).strip()
    # A code the vocabulary already files (curated, packaged) is left to it; one mined before is mined again.
    known = lookup(bare)
    return bare if looks_like_code(bare) and (known is None or bare in mined_drug_codes()) else None


def mine(groups: list[list[str]]) -> dict[str, str]:
    pairs: dict[str, set[str]] = {}
    for names in groups:
        if any(_COMBINED.search(_BRACKETED.sub(" ", name)) for name in names):
            continue
        generics = {g for g in map(_generic, names) if g is not None}
        codes = {c for c in map(_code, names) if c is not None}
        if len(generics) != 1 or not codes:
            continue
        for code in codes:
            pairs.setdefault(code, set()).update(generics)
    return {code: next(iter(g)) for code, g in sorted(pairs.items()) if len(g) == 1}


def main() -> None:
    groups: list[list[str]] = []
    for trial in read_paths([shared_data_dir() / folder for folder in SOURCE_FOLDERS]):
        if isinstance(trial, Trial):
            groups += [[iv.name, *iv.other_names] for iv in trial.interventions if iv.other_names]
    pairs = mine(groups)
    about = (
        "Development code -> generic, mined by bench/mine_drug_codes.py from the intervention names and "
        "other names of the shared registry records: one generic beside the code in one intervention."
    )
    OUT.write_text(json.dumps({"about": about, "codes": pairs}, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(pairs)} codes -> {OUT}")


if __name__ == "__main__":
    main()
