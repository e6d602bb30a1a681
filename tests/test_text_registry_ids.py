"""Trial-registry ids (trialatlas.text.registry_ids), checked against the WHO ICTRP export rows."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from trialatlas.config import shared_data_dir
from trialatlas.text.registry_ids import NCT_IN_TEXT, find_registry_ids, is_nct_id, registry_of

ICTRP = shared_data_dir() / "ictrp_export" / "ictrp_export_sample.csv"


def test_nct_id_is_exact() -> None:
    assert is_nct_id("NCT01234567")
    for bad in ("NCT1234567", "NCT012345678", "nct01234567", " NCT01234567", "NCT0123456a"):
        assert not is_nct_id(bad)
    assert NCT_IN_TEXT.findall("see NCT01234567, not XNCT01234568 or NCT012345678") == ["NCT01234567"]


@pytest.mark.parametrize(
    ("identifier", "key"),
    [
        ("NCT04048161", "nct"),
        ("EUCTR2019-004010-34-PL", "euctr"),
        ("2022-500244-37-00", "euct"),
        ("2013-004422-29", "eudract"),
        ("ISRCTN15668391", "isrctn"),
        ("ChiCTR1900022258", "chictr"),
        ("ChiCTR-TRC-12002345", "chictr"),
        ("ACTRN12619000423112", "anzctr"),
        ("JPRN-UMIN000037291", "jprn"),
        ("JPRN-jRCTs051180199", "jprn"),
        ("DRKS00017475", "drks"),
        ("CTRI/2019/02/017575", "ctri"),
        ("IRCT20190122042450N3", "irct"),
        ("KCT0004211", "kct"),
        ("NTR7241", "ntr"),
        ("NL7842", "nl"),
        ("PACTR201908793583382", "pactr"),
        ("RBR-96cy3k", "rebec"),
        ("SLCTR/2019/012", "slctr"),
        ("TCTR20190109001", "tctr"),
        ("PER-016-17", "per"),
        ("LBCTR2019010184", "lbctr"),
        ("ITMCTR2000003405", "itmctr"),
        ("RPCEC00000321", "rpcec"),
    ],
)
def test_each_registry_shape(identifier: str, key: str) -> None:
    registry = registry_of(identifier)
    assert registry is not None and registry.key == key
    assert find_registry_ids(f"Also registered as {identifier}.") == [(key, identifier)]


def test_ids_glued_to_other_text_are_not_ids() -> None:
    assert find_registry_ids("NL67751.078.18 and XNCT01234567 and NCT01234567X") == []
    assert registry_of("Not applicable") is None


@pytest.mark.skipif(not ICTRP.is_file(), reason="shared ICTRP export not available")
def test_every_ictrp_trial_id_has_a_known_shape() -> None:
    with ICTRP.open(encoding="utf-8", errors="replace", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) > 200
    unknown = [row["TrialID"] for row in rows if registry_of(row["TrialID"]) is None]
    assert unknown == []
    prefixes = Counter(registry_of(row["TrialID"]).key for row in rows)  # type: ignore[union-attr]
    assert len(prefixes) >= 14
    # The export says 13 non-NCT rows name an NCT id among their secondary ids.
    naming_nct = [
        row
        for row in rows
        if not row["TrialID"].startswith("NCT")
        and any(k == "nct" for k, _ in find_registry_ids(row["SecondaryIDs"]))
    ]
    assert len(naming_nct) == 13
