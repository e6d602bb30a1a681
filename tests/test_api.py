"""The REST API against a real uvicorn server over a store ingested from the shared data."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fhir.resources.R4B.researchstudy import ResearchStudy

from trialatlas.config import shared_data_dir
from trialatlas.model import Design, Enrollment, PartialDate, StatusInfo, Trial
from trialatlas.search import FACETS, Filters
from trialatlas.sources.ctgov_v2 import study_to_trial
from trialatlas.store import open_store
from web_support import HOSTILE_NCT, LiveServer, running, serve_command, shared_server

TARGET = "NCT04048161"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(web_db: Path) -> LiveServer:
    return shared_server(web_db)


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    # Generous: under a loaded machine (CI beside other jobs) a facet-count request of the shared store was
    # seen taking over a minute; a request that hangs still fails.
    with httpx.Client(base_url=server.url, timeout=180) as http:
        yield http


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for word in words:
        assert word.lower() in str(body["detail"]).lower(), body
    return body


# --- search ------------------------------------------------------------------------------------


def test_health_counts_the_store(client: httpx.Client) -> None:
    body = client.get("/api/health").json()
    assert body == {"status": "ok", "trials": body["trials"]}
    assert body["trials"] >= 810


def test_search_finds_words_and_counts_facets(client: httpx.Client) -> None:
    page = client.get("/api/trials", params={"q": "lupus nephritis"}).json()
    assert page["total"] >= 4
    ids = [hit["trial"]["key"] for hit in page["hits"]]
    assert {"NCT03580291", "NCT00371319"} <= set(ids[:4])
    # Nephrotic syndrome: lupus nephritis is only among its exclusion criteria, so it ranks last.
    assert ids[-1] == TARGET
    scores = [hit["score"] for hit in page["hits"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    for hit in page["hits"]:
        trial = hit["trial"]
        text = (trial["title"] + " ".join(trial["conditions"]) + hit["snippet"]).lower()
        assert "lupus" in text
    assert any("<mark>" in hit["snippet"] for hit in page["hits"])
    statuses = {v["value"]: v["count"] for v in page["facets"]["status"]}
    assert sum(statuses.values()) == page["total"]


def test_search_filters_are_applied(client: httpx.Client) -> None:
    every = client.get("/api/trials", params={"limit": 1}).json()
    phase2 = client.get("/api/trials", params={"phase": "PHASE2", "limit": 100}).json()
    assert 0 < phase2["total"] < every["total"]
    assert all("PHASE2" in hit["trial"]["phases"] for hit in phase2["hits"])
    facet = {v["value"]: v["count"] for v in every["facets"]["phase"]}
    assert phase2["total"] == facet["PHASE2"]
    # Disjunctive facets: choosing PHASE2 still counts PHASE3 trials, and both together add up.
    both = client.get("/api/trials", params=[("phase", "PHASE2"), ("phase", "PHASE3")]).json()
    comma = client.get("/api/trials", params={"phase": "PHASE2,PHASE3"}).json()
    assert both["total"] == comma["total"] > phase2["total"]
    open_adults = client.get("/api/trials", params={"status": "open", "age": 70, "sex": "male"}).json()
    assert open_adults["total"] > 0
    for hit in open_adults["hits"]:
        trial = hit["trial"]
        assert trial["status"] in {"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"}
        assert trial.get("min_age_years") is None or trial["min_age_years"] <= 70
        assert trial.get("max_age_years") is None or trial["max_age_years"] >= 70
        assert trial.get("sex") in {None, "ALL", "MALE"}


def _counts(page: dict[str, Any], facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in page["facets"][facet]}


def test_facet_counts_agree_with_the_totals_their_filters_give(client: httpx.Client) -> None:
    """Every facet count is the total that choosing its value gives, for filters of every kind."""
    base = {"q": "cancer", "limit": 1, "facet_limit": 1000}
    page = client.get("/api/trials", params=base).json()
    assert page["total"] > 30
    checked = 0
    for facet, param in (
        ("status", "status"),
        ("phase", "phase"),
        ("country", "country"),
        ("sponsor_class", "sponsor_class"),
        ("intervention_type", "intervention_type"),
        ("start_year", "facet"),
        ("enrollment", "facet"),
    ):
        counts = _counts(page, facet)
        assert counts and all(0 < n <= page["total"] for n in counts.values())
        for value, count in sorted(counts.items(), key=lambda item: -item[1])[:2]:
            chosen = value if param != "facet" else f"{facet}:{value}"
            narrowed = client.get("/api/trials", params={**base, param: chosen}).json()
            assert narrowed["total"] == count, (facet, value)
            # The chosen facet is counted without its own choice (the alternatives stay visible) …
            assert _counts(narrowed, facet) == counts, facet
            checked += 1
    assert checked >= 12
    # … and the others are counted over the narrowed trials only: no count exceeds the total, and a
    # facet every trial has exactly one value of adds up to it.
    narrowed = client.get("/api/trials", params={**base, "status": "RECRUITING", "phase": "2"}).json()
    assert 0 < narrowed["total"] < page["total"]
    for facet in ("study_type", "sponsor_class", "country", "start_year"):
        assert all(n <= narrowed["total"] for n in _counts(narrowed, facet).values())
    assert sum(_counts(narrowed, "study_type").values()) == narrowed["total"]
    # Filters said in words count the same as filters passed as parameters.
    worded = client.get("/api/trials", params={"q": "cancer recruiting phase 2", "limit": 1}).json()
    assert worded["total"] == narrowed["total"]
    assert worded["interpreted"] and any(
        note.startswith("status=RECRUITING") for note in worded["interpreted"]
    )


def test_cursor_pages_through_every_result_once(client: httpx.Client) -> None:
    params: dict[str, object] = {"q": "cancer", "limit": 7, "facets": "none"}
    first = client.get("/api/trials", params=params).json()
    assert first["total"] > 14 and first["facets"] == {}
    seen: list[str] = []
    page = first
    while True:
        seen += [hit["trial"]["key"] for hit in page["hits"]]
        if not page["next_cursor"]:
            break
        page = client.get("/api/trials", params={**params, "cursor": page["next_cursor"]}).json()
        assert page["total"] == first["total"]
    assert len(seen) == len(set(seen)) == first["total"]


def test_concurrent_searches_all_answer(server: LiveServer) -> None:
    """Many searches at once, with snippets and facets (the index's one connection is shared)."""
    queries = [
        "lupus",
        "cancer",
        "MMF",
        "hepatitis",
        "heart failure",
        "nephr*",
        "",
        "cancer recruiting in China",
    ]
    requests = [{"q": q, "limit": 20, **({"phase": "2"} if n % 2 else {})} for n, q in enumerate(queries * 6)]

    def one(params: dict[str, Any]) -> int:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            response = http.get("/api/trials", params=params)
            assert response.status_code == 200, response.text
            total: int = response.json()["total"]
            return total

    with ThreadPoolExecutor(max_workers=16) as pool:
        totals = list(pool.map(one, requests))
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for params, total in zip(requests[: len(queries)], totals, strict=False):
            assert http.get("/api/trials", params=params).json()["total"] == total


def test_bad_cursor_and_bad_parameters_are_4xx_problems(client: httpx.Client) -> None:
    assert_problem(client.get("/api/trials", params={"cursor": "not-a-cursor"}), 400, "cursor")
    other = client.get("/api/trials", params={"q": "cancer", "limit": 2}).json()["next_cursor"]
    assert_problem(client.get("/api/trials", params={"q": "asthma", "cursor": other}), 400, "another query")
    body = assert_problem(client.get("/api/trials", params={"limit": 0}), 422, "limit")
    assert body["errors"]
    assert_problem(client.get("/api/trials", params={"age": "old"}), 422, "age")
    assert_problem(client.get("/api/trials", params={"sort": "random"}), 422, "sort")
    assert_problem(client.get("/api/trials", params={"phase": "9"}), 400, "unknown phase")
    assert_problem(client.get("/api/trials", params={"start_from": "2019-13"}), 400, "not a date")
    assert_problem(client.get("/api/trials", params={"facet": "start_year"}), 400, "name:value")
    assert_problem(client.get("/api/trials", params={"facet": "colour:blue"}), 400, "no facet 'colour'")
    assert_problem(client.get("/api/trials", params={"facets": "colour"}), 400, "unknown facet")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("(lupus", "unbalanced parenthesis"),
        ('"lupus nephritis', "unbalanced quote"),
        ("lupus AND", "needs a word"),
        ("NOT lupus", "bare NOT"),
        ("colour:blue", "unknown field 'colour:'"),
        ("{title}: lupus", "field prefix"),
        ("x*", "prefix search"),
        ("lupus OR NOT x", "NOT cannot be an alternative"),
        ("'; --", "nothing to search for"),
    ],
)
def test_malformed_queries_are_400_with_the_search_message(
    client: httpx.Client, query: str, words: str
) -> None:
    from trialatlas.errors import QueryError
    from trialatlas.search.query import parse

    body = assert_problem(client.get("/api/trials", params={"q": query}), 400, words)
    detail = str(body["detail"])
    try:  # the message is the search package's own, word for word, when its parser refuses the query
        parse(query)
    except QueryError as exc:
        assert detail == str(exc)
    for sql in ("select ", "sqlite", "search_fts", "bm25(", "where "):
        assert sql not in detail.lower(), detail


def test_paging_a_small_store_returns_each_trial_once(tmp_path: Path) -> None:
    """Keyset cursors over ties (equal scores, equal and missing sort values), in every order."""
    trials = [
        Trial(
            nct_id=f"NCT{90000000 + number:08d}",
            brief_title="Lupus nephritis induction" if number % 3 else f"Lupus trial number {number}",
            conditions=["Lupus Nephritis"],
            status=StatusInfo(start_date=PartialDate(date=f"20{10 + number % 4}-01"))
            if number % 5
            else StatusInfo(),
            design=Design(enrollment=Enrollment(count=number % 4 * 10)) if number % 2 else Design(),
        )
        for number in range(37)
    ]
    db = tmp_path / "small.db"
    store = open_store(str(db))
    store.upsert_batch(trials)
    store.close()
    wanted = {trial.nct_id for trial in trials}
    with running(db) as live, httpx.Client(base_url=live.url, timeout=60) as http:
        for params in (
            {},
            {"q": "lupus"},
            {"q": "lupus", "sort": "start_date"},
            {"q": "nephritis OR trial", "sort": "enrollment", "order": "asc"},
            {"sort": "last_update"},
            {"q": "lupus", "facet": "start_year:2011"},
        ):
            seen: list[str] = []
            cursor: str | None = None
            total = None
            for _ in range(40):
                query = {**params, "limit": 4, **({"cursor": cursor} if cursor else {})}
                page = client_json(http, query)
                total = page["total"] if total is None else total
                assert page["total"] == total
                seen += [hit["trial"]["key"] for hit in page["hits"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert len(seen) == len(set(seen)) == total, params
            if "facet" not in params and "OR" not in str(params.get("q")):
                assert set(seen) == wanted, params
            assert cursor is None


def client_json(http: httpx.Client, params: dict[str, Any]) -> dict[str, Any]:
    response = http.get("/api/trials", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- one trial ---------------------------------------------------------------------------------


def test_trial_in_the_model_shape(client: httpx.Client) -> None:
    trial = client.get(f"/api/trials/{TARGET}").json()
    assert trial["nct_id"] == TARGET
    assert trial["design"]["phases"] == ["PHASE4"]
    assert len(trial["locations"]) == 9


def test_trial_in_the_ctgov_shape_reads_back(client: httpx.Client) -> None:
    study = client.get(f"/api/trials/{TARGET}", params={"format": "ctgov"}).json()
    assert study["protocolSection"]["identificationModule"]["nctId"] == TARGET
    again = study_to_trial(study, "api")
    model = client.get(f"/api/trials/{TARGET}").json()
    assert again.brief_title == model["brief_title"]
    assert len(again.locations) == len(model["locations"])
    assert again.eligibility.minimum_age is not None and again.eligibility.minimum_age.years == 2


def test_trial_as_fhir_research_study(client: httpx.Client) -> None:
    response = client.get(f"/api/trials/{TARGET}", params={"format": "fhir"})
    assert response.headers["content-type"].startswith("application/fhir+json")
    resource = response.json()
    ResearchStudy.model_validate(resource)  # FHIR R4(B) structure, cardinality and types
    assert resource["resourceType"] == "ResearchStudy"
    assert {"system": "https://clinicaltrials.gov", "value": TARGET, "use": "official"} in resource[
        "identifier"
    ]
    assert resource["status"] == "active"
    assert resource["phase"]["coding"][0]["code"] == "phase-4"
    assert [c["text"] for c in resource["condition"]] == ["Nephrotic Syndrome in Children"]
    assert {f["text"] for f in resource["focus"]} >= {"Tacrolimus", "Mycophenolate Mofetil"}
    assert resource["location"] == [{"text": "China"}]
    contained = {r["id"]: r for r in resource["contained"]}
    group = contained[resource["enrollment"][0]["reference"].lstrip("#")]
    assert group["resourceType"] == "Group" and group["quantity"] == 270
    excluded = [c for c in group["characteristic"] if c["exclude"]]
    included = [c for c in group["characteristic"] if c["code"]["text"] == "Inclusion criterion"]
    assert len(excluded) == 13 and len(included) == 5
    age = next(c for c in group["characteristic"] if c["code"]["text"] == "Age")
    assert age["valueRange"]["low"]["value"] == 2 and age["valueRange"]["high"]["value"] == 18
    sponsor = contained[resource["sponsor"]["reference"].lstrip("#")]
    assert sponsor["name"].startswith("The Children's Hospital of Zhejiang")
    assert len(resource["site"]) == 9
    assert all(contained[s["reference"].lstrip("#")]["resourceType"] == "Location" for s in resource["site"])
    assert [a["name"] for a in resource["arm"]] == ["Tacrolimus(Group A)", "Mycophenolate Mofetil(Group B)"]
    assert len(resource["objective"]) == 9
    assert resource["objective"][0]["type"]["coding"][0]["code"] == "primary"
    pubmed = [a for a in resource["relatedArtifact"] if "pubmed" in a.get("url", "")]
    assert pubmed and pubmed[0]["url"] == "https://pubmed.ncbi.nlm.nih.gov/23343906/"


def test_every_trial_is_valid_fhir(client: httpx.Client) -> None:
    ids = [
        hit["trial"]["key"]
        for hit in client.get("/api/trials", params={"limit": 100, "sort": "enrollment"}).json()["hits"]
    ]
    for nct in [*ids, HOSTILE_NCT]:
        ResearchStudy.model_validate(client.get(f"/api/trials/{nct}", params={"format": "fhir"}).json())


def test_unknown_and_malformed_ids(client: httpx.Client) -> None:
    assert_problem(client.get("/api/trials/NCT00000000"), 404, "NCT00000000")
    assert_problem(client.get("/api/trials/NCT%3Cscript%3E"), 400, "not a trial id")
    assert_problem(client.get(f"/api/trials/{TARGET}", params={"format": "xml"}), 422, "format")
    assert_problem(client.get("/api/nothing-here"), 404, "/api/nothing-here")
    assert_problem(client.post("/api/trials"), 405)


# --- related, regimen, dose --------------------------------------------------------------------


def test_related_trials_with_reasons(client: httpx.Client) -> None:
    report = client.get(f"/api/trials/{TARGET}/related", params={"top": 3}).json()
    assert report["target"] == TARGET and report["title"]
    assert isinstance(report["listed"], list)
    related = report["computed"]
    assert len(related) == 3
    assert [r["rank"] for r in related] == [1, 2, 3]
    assert TARGET not in {r["nct_id"] for r in related}
    assert related[0]["score"] >= related[-1]["score"]
    assert all(r["reasons"] for r in related)
    assert any("tacrolimus" in " ".join(r["reasons"]) for r in related)
    assert_problem(client.get("/api/trials/NCT00000000/related"), 404)
    assert_problem(client.get(f"/api/trials/{TARGET}/related", params={"top": 500}), 422, "top")


def test_regimen_timeline_and_chart(client: httpx.Client) -> None:
    timeline = client.get(f"/api/trials/{TARGET}/regimen").json()
    assert timeline["trial"] == TARGET
    drugs = {item["drug"] for arm in timeline["arms"] for phase in arm["phases"] for item in phase["items"]}
    assert {"tacrolimus", "mycophenolate mofetil"} <= drugs
    chart = client.get(f"/api/trials/{TARGET}/regimen", params={"format": "svg"})
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.text.startswith("<svg") and "tacrolimus" in chart.text


def test_dose_for_a_weight(client: httpx.Client) -> None:
    doses = client.get(f"/api/trials/{TARGET}/dose", params={"weight": 70}).json()
    assert doses["weight_kg"] == 70
    tacrolimus = next(r["dose"] for r in doses["rows"] if r["dose"]["drug"] == "tacrolimus")
    assert tacrolimus["per_day"] == {"low": 3.5, "high": 7.0, "unit": "mg"}
    assert_problem(client.get(f"/api/trials/{TARGET}/dose", params={"weight": -3}), 422, "weight")
    # An implausible patient is refused with the accepted range, not worked out.
    assert_problem(client.get(f"/api/trials/{TARGET}/dose", params={"weight": 700}), 400, "350")
    assert_problem(client.get(f"/api/trials/{TARGET}/dose", params={"weight": 70, "height": 400}), 400, "250")
    assert_problem(client.get(f"/api/trials/{TARGET}/dose"), 422, "weight")
    assert_problem(client.get("/api/trials/NCT00000000/dose", params={"weight": 70}), 404)


# --- match -------------------------------------------------------------------------------------

NOTE = (
    "A 34-year-old woman with biopsy-proven lupus nephritis class IV. Creatinine 1.4 mg/dL. "
    "She takes prednisone 20 mg daily and hydroxychloroquine."
)


def test_match_a_note(client: httpx.Client) -> None:
    response = client.post("/api/match", json={"note": NOTE, "top": 5})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert "34 years" in body["patient_summary"] and "female" in body["patient_summary"]
    trials = body["trials"]
    assert len(trials) == 5 and [t["rank"] for t in trials] == [1, 2, 3, 4, 5]
    assert any("lupus" in t["title"].lower() for t in trials[:3])
    marks = {c["mark"] for t in trials for c in t["criteria"]}
    assert {"✓", "?"} <= marks
    for trial in trials:
        assert trial["verdict"] in {"eligible", "possibly eligible", "ineligible"}
        if trial["verdict"] == "ineligible":
            assert trial["failed"]


def test_match_a_profile(client: httpx.Client) -> None:
    profile = {
        "age_years": 9,
        "sex": "male",
        "conditions": [{"name": "nephrotic syndrome"}],
        "measurements": [{"name": "eGFR", "value": 100, "unit": "mL/min/1.73m2"}],
    }
    trials = client.post("/api/match", json={"patient": profile, "top": 3}).json()["trials"]
    assert trials[0]["nct_id"] == TARGET
    egfr = [c for c in trials[0]["criteria"] if "glomerular" in c["text"].lower()]
    assert egfr and egfr[0]["mark"] == "✓"


def test_match_in_worker_processes_answers_the_same(client: httpx.Client, server: LiveServer) -> None:
    """``serve`` matches in a worker process by default; it must give what the in-process matcher gives."""
    request = {"note": NOTE, "top": 5}
    here = client.post("/api/match", json=request).json()
    with (
        running(server.db, match_workers=1) as pooled,
        httpx.Client(base_url=pooled.url, timeout=120) as http,
    ):
        there = http.post("/api/match", json=request)
        assert there.status_code == 200, there.text
        assert there.json() == here
        assert_problem(http.post("/api/match", json={"note": NOTE, "status": "sleeping"}), 400, "status")
        # A worker that dies is replaced: the next match is answered, not a 500 from a broken pool.
        pool = pooled.server.config.app.state.atlas._pool
        for pid in list(pool._processes):
            os.kill(pid, signal.SIGKILL)
        again = http.post("/api/match", json=request)
        assert again.status_code == 200, again.text
        assert again.json() == here


def test_match_rejects_bad_requests(client: httpx.Client) -> None:
    assert_problem(client.post("/api/match", json={}), 400, "profile or a note")
    assert_problem(client.post("/api/match", json={"note": "x", "patient": {}}), 400, "not both")
    assert_problem(client.post("/api/match", json={"note": NOTE, "top": 0}), 422, "top")
    assert_problem(client.post("/api/match", json={"patient": {"sex": "robot"}}), 422, "sex")
    assert_problem(client.post("/api/match", json={"note": NOTE, "status": "sleeping"}), 400, "status")
    assert_problem(
        client.post("/api/match", content=b"{not json", headers={"content-type": "application/json"}), 422
    )


def test_match_keeps_and_logs_nothing_of_the_patient(client: httpx.Client, server: LiveServer) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    folder = server.db.parent
    before = {p.name: p.stat().st_size for p in folder.iterdir()}
    count = client.get("/api/health").json()["trials"]
    secret = "Zorblax-7731 syndrome"
    try:
        client.post("/api/match", json={"note": f"{NOTE} Also {secret}.", "top": 3})
        client.post("/api/match", json={"patient": {"conditions": [{"name": secret}]}, "top": 3})
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    assert all(secret not in record.getMessage() for record in records)
    assert client.get("/api/health").json()["trials"] == count
    after = {p.name for p in folder.iterdir()}
    assert after == set(before)
    for path in folder.iterdir():
        if path.is_file():
            assert secret.encode() not in path.read_bytes()


# --- stats, ingest, docs -----------------------------------------------------------------------


def test_facets_count_what_search_finds(client: httpx.Client) -> None:
    everything = client.get("/api/facets").json()
    total = client.get("/api/health").json()["trials"]
    assert everything["total"] == total
    assert set(everything["facets"]) == set(FACETS)
    assert sum(v["count"] for v in everything["facets"]["status"]) <= total
    assert sum(v["count"] for v in everything["facets"]["phase"]) >= total / 2
    lupus = client.get("/api/facets", params={"q": "lupus", "facets": "phase,start_year"}).json()
    found = client.get("/api/trials", params={"q": "lupus", "facet_limit": 1000}).json()
    assert lupus["total"] == found["total"]
    assert set(lupus["facets"]) == {"phase", "start_year"}
    assert lupus["facets"]["start_year"] == found["facets"]["start_year"]
    years = [v["value"] for v in lupus["facets"]["start_year"]]
    assert years == sorted(years)  # years read in their own order
    top = client.get("/api/facets", params={"facets": "country", "top": 3}).json()
    assert len(top["facets"]["country"]) == 3


def test_stats_is_the_document_the_cli_prints(server: LiveServer, client: httpx.Client) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TRIALATLAS_DB"}
    printed = subprocess.run(
        [sys.executable, "-m", "trialatlas", "stats", "--db", str(server.db), "--json"],
        capture_output=True,
        check=True,
        env=env,
    ).stdout
    served = client.get("/api/stats").json()
    assert served == orjson.loads(printed)
    assert served["trials"] == client.get("/api/health").json()["trials"]
    assert sum(served["by_status"].values()) == served["trials"]


def test_ingest_is_off_by_default(client: httpx.Client) -> None:
    response = client.post("/api/ingest", files={"files": ("a.json", b"{}", "application/json")})
    assert_problem(response, 403, "ingest is off")


def test_ingest_with_a_token(tmp_path: Path) -> None:
    db = tmp_path / "ingest.db"
    with running(db, ingest_token="s3cret") as live, httpx.Client(base_url=live.url, timeout=60) as http:
        assert http.get("/api/health").json()["trials"] == 0
        source = shared_data_dir() / "ctgov_target_trials" / "NCT03580291.xml"
        files = {"files": (source.name, source.read_bytes(), "application/xml")}
        assert_problem(http.post("/api/ingest", files=files), 401)
        assert_problem(http.post("/api/ingest", files=files, headers={"Authorization": "Bearer wrong"}), 401)
        done = http.post("/api/ingest", files=files, headers={"Authorization": "Bearer s3cret"})
        assert done.status_code == 200, done.text
        assert done.json()["new"] == 1 and done.json()["failed"] == 0
        assert http.get("/api/trials/NCT03580291").json()["nct_id"] == "NCT03580291"
        assert http.get("/api/trials", params={"q": "mesenchymal"}).json()["total"] == 1
        # Search follows the store: the newly ingested trial is found without a restart.
        bad = http.post(
            "/api/ingest",
            files={"files": ("junk.json", b'{"studies": [{"x": 1}]}', "application/json")},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert bad.status_code == 200 and bad.json()["failed"] >= 1
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_openapi_and_docs_are_served_locally(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/trials",
        "/api/trials/{nct}",
        "/api/trials/{nct}/related",
        "/api/trials/{nct}/regimen",
        "/api/trials/{nct}/dose",
        "/api/match",
        "/api/stats",
        "/api/facets",
        "/api/ingest",
    ):
        assert path in spec["paths"], path
    # Every filter of the search package is a parameter of the search (facet_values as facet=name:value).
    parameters = {p["name"] for p in spec["paths"]["/api/trials"]["get"]["parameters"]}
    assert set(Filters.model_fields) - {"facet_values"} <= parameters
    assert {"q", "facet", "sort", "order", "cursor", "limit", "facets", "facet_limit"} <= parameters
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui-bundle.js" in docs.text and "http" not in docs.text.replace(
        "http-equiv", ""
    )
    bundle = client.get("/static/vendor/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_security_headers(client: httpx.Client) -> None:
    for path in ("/", "/api/trials", f"/trials/{TARGET}"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_hostile_text_is_data_in_json(client: httpx.Client) -> None:
    trial = client.get(f"/api/trials/{HOSTILE_NCT}").json()
    assert "<script>" in trial["brief_title"]  # kept as written: escaping is the renderer's job
    # Snippets are HTML by contract (escaped text, matched terms in <mark>): the markup stays text.
    hit = client.get("/api/trials", params={"q": "xss"}).json()["hits"][0]
    assert hit["trial"]["key"] == HOSTILE_NCT and "<script>" in hit["trial"]["title"]
    assert "&lt;script&gt;window.__<mark>xss</mark>" in hit["snippet"]
    assert "<script" not in hit["snippet"] and "<img" not in hit["snippet"]
    assert (
        orjson.loads(client.get(f"/api/trials/{HOSTILE_NCT}", params={"format": "fhir"}).content)["title"]
        == trial["brief_title"]
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_command_prints_its_url_and_serves(server: LiveServer, workers: int) -> None:
    options = ("--workers", str(workers), "--match-workers", "1")
    with serve_command(str(server.db), *options) as (_, http):
        health = http.get("/api/health")
        assert health.json()["trials"] == http.get("/api/stats").json()["trials"]
        matched = http.post("/api/match", json={"note": NOTE, "top": 2})
        assert matched.status_code == 200 and len(matched.json()["trials"]) == 2
        assert "<h1>" in http.get(f"/trials/{TARGET}").text
