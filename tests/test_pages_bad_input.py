"""Registry pages that are empty, not trial pages, binary, cut off, or of no known layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialatlas.config import shared_data_dir
from trialatlas.model import OverallStatus, Phase, Trial
from trialatlas.sources import read_path
from trialatlas.sources.base import Blob, RecordError
from trialatlas.sources.pages import READER, read_page

SEEDS = shared_data_dir().parent / "seeds"


def _seed_bytes(prefix: str) -> bytes:
    (path,) = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    return path.read_bytes()


def _error(data: bytes) -> RecordError:
    result = read_page(data, "page.txt")
    assert isinstance(result, RecordError), result
    return result


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t  ", b"\xef\xbb\xbf", b"<html><body> </body></html>"])
def test_empty_pages_are_reported(data: bytes) -> None:
    error = _error(data)
    assert error.location == "page.txt"
    assert "empty page" in error.reason


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4,
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200),
        bytes(range(1, 32)) * 40,
    ],
)
def test_binary_data_is_reported(data: bytes) -> None:
    error = _error(data)
    assert "binary data" in error.reason
    assert READER.sniff(data, "page.bin") == 0.0


def test_text_that_is_no_trial_is_reported() -> None:
    recipe = (
        b"Lemon cake\n\nIngredients\n- 200 g flour\n- 3 eggs\n\nMethod\nBeat the eggs with the sugar, "
        b"fold in the flour and bake for 40 minutes.\n"
    )
    error = _error(recipe)
    assert error.reason.startswith("not a trial page")
    assert READER.sniff(recipe, "cake.txt") < 0.3


@pytest.mark.parametrize(("prefix", "layout"), [("001", "A"), ("002", "B"), ("004", "C")])
def test_a_page_cut_off_halfway_is_returned_as_partial(prefix: str, layout: str) -> None:
    data = _seed_bytes(prefix)
    whole = read_page(data, "whole.txt")
    half = read_page(data[: len(data) // 2], "half.txt")
    assert isinstance(whole, Trial) and isinstance(half, Trial)
    assert half.nct_id == whole.nct_id
    assert half.is_partial and not whole.is_partial
    (source,) = half.sources
    assert source.partial and source.layout == layout
    assert any("cut off" in warning for warning in source.warnings)
    assert source.confidence is not None and whole.sources[0].confidence is not None
    assert source.confidence < whole.sources[0].confidence
    # What the first half shows is still read.
    assert half.status.overall_status == whole.status.overall_status
    assert half.brief_title == whole.brief_title


def test_a_page_cut_inside_a_multibyte_character_is_still_read() -> None:
    data = _seed_bytes("001")
    cut = data.index("μ".encode()) + 1
    result = read_page(data[:cut], "cut.txt")
    assert isinstance(result, Trial) and result.is_partial
    assert result.nct_id == "NCT04048161"


def test_a_page_cut_before_its_identifier_is_an_error() -> None:
    data = _seed_bytes("002")
    error = _error(data[: data.index(b"NCT number")])
    assert "without a trial identifier" in error.reason


def _file_of(result: Trial | RecordError) -> str:
    location = result.location if isinstance(result, RecordError) else result.sources[0].location
    return Path(location).name


def test_bad_files_in_a_directory_do_not_stop_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "good.txt").write_bytes(_seed_bytes("003"))
    (tmp_path / "half.txt").write_bytes(_seed_bytes("004")[:2000])
    results = {_file_of(r): r for r in read_path(tmp_path, reader_name="registry-page")}
    assert isinstance(results["empty.txt"], RecordError)
    assert isinstance(results["binary.txt"], RecordError)
    good, half = results["good.txt"], results["half.txt"]
    assert isinstance(good, Trial) and good.nct_id == "NCT05863936" and not good.is_partial
    assert isinstance(half, Trial) and half.nct_id == "NCT05789017" and half.is_partial


GENERIC_PAGE = """\
Home > Trials > Lupus

A Study of Anifrolumab in Adults With Active Lupus Nephritis
ClinicalTrials.gov Identifier: NCT01234567
Status: Recruiting
Phase 2

Conditions:
Lupus Nephritis
Systemic Lupus Erythematosus

Eligibility Criteria
Inclusion Criteria:
- Adults aged 18 to 70 years
- Biopsy-proven lupus nephritis class III or IV
Exclusion Criteria:
- Pregnancy

Locations
Hospital A, Paris, France
"""


def test_a_page_of_no_known_layout_is_read_for_what_it_shows_with_confidence() -> None:
    data = GENERIC_PAGE.encode()
    sniffed = READER.sniff(data, "trial.txt")
    assert 0.3 < sniffed < 0.6
    result = read_page(data, "trial.txt")
    assert isinstance(result, Trial)
    assert result.nct_id == "NCT01234567"
    assert result.brief_title == "A Study of Anifrolumab in Adults With Active Lupus Nephritis"
    assert result.status.overall_status is OverallStatus.RECRUITING
    assert result.design.phases == [Phase.PHASE2]
    assert result.conditions == ["Lupus Nephritis", "Systemic Lupus Erythematosus"]
    assert result.eligibility.inclusion == [
        "Adults aged 18 to 70 years",
        "Biopsy-proven lupus nephritis class III or IV",
    ]
    assert result.eligibility.exclusion == ["Pregnancy"]
    (source,) = result.sources
    assert source.layout == "generic"
    assert source.confidence is not None and 0.3 < source.confidence < 0.6
    assert source.unread_fields == []
    assert any("layout not recognised" in w for w in source.warnings)


def test_a_generic_page_says_which_fields_it_could_not_read() -> None:
    page = "Trial NCT07654321: a study of exercise in heart failure.\nEnrollment: 40 people\nSponsor: Acme\n"
    result = read_page(page.encode(), "note.txt")
    assert isinstance(result, Trial)
    assert result.nct_id == "NCT07654321"
    assert set(result.sources[0].unread_fields) == {"status", "phases", "conditions", "eligibility"}
    assert result.lead_sponsor is not None and result.lead_sponsor.name == "Acme"


def test_other_formats_are_left_to_their_readers(target_trials: Path) -> None:
    xml = (target_trials / "NCT04048161.xml").read_bytes()
    assert READER.sniff(xml[:8192], "NCT04048161.xml") == 0.0
    assert (
        READER.sniff(b'{"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}}', "x.json")
        == 0.0
    )
    csv = (
        b"NCT Number,Study Title,Study URL,Acronym,Study Status,Conditions\nNCT01234567,A,B,C,RECRUITING,D\n"
    )
    assert READER.sniff(csv, "export.csv") == 0.0


def test_the_reader_reads_a_blob_once_per_page() -> None:
    blob = Blob.from_bytes("seed.txt", _seed_bytes("002"))
    results = list(READER.read(blob))
    assert len(results) == 1 and isinstance(results[0], Trial)


def test_a_flattened_sponsor_table_stays_one_value() -> None:
    """Layout B's "Sponsors (2)" table saved as one line, with no names known to cut it: kept whole and
    said so, never cut at a guess."""
    from page_renderer import render_page
    from trialatlas.model import Sponsor
    from trialatlas.sources.pages import PageKnowledge

    trial = Trial(
        nct_id="NCT09000002",
        brief_title="Endothelial function in sleep apnea",
        lead_sponsor=Sponsor(name="Columbia University"),
        collaborators=[Sponsor(name="National Heart, Lung, and Blood Institute (NHLBI)")],
    )
    page = render_page(trial, "B")
    assert "Columbia University National Heart" in page
    result = read_page(page.encode(), "NCT09000002.txt", knowledge=PageKnowledge.empty())
    assert isinstance(result, Trial) and result.lead_sponsor is not None
    assert result.lead_sponsor.name == "Columbia University National Heart, Lung, and Blood Institute (NHLBI)"
    assert result.collaborators == []
    assert any(
        w.startswith("sponsors: the table lists 2 sponsors in 1 line") for w in result.sources[0].warnings
    )
