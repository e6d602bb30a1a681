"""The server-rendered pages over HTTP: what they show, in what order, and that registry text stays text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from web_support import HOSTILE_NCT, LiveServer, shared_server

TARGET = "NCT04048161"


@pytest.fixture(scope="module")
def client(web_db: Path) -> Iterator[httpx.Client]:
    server: LiveServer = shared_server(web_db)
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=False) as http:
        yield http


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def assert_inert(html: str) -> None:
    """No markup from registry text: the only scripts are ours, no handler attributes, no script URLs."""
    tags = parse(html)
    scripts = [attrs.get("src") for tag, attrs in tags.tags if tag == "script"]
    assert scripts == ["/static/vendor/htmx.min.js", "/static/sortable.js", "/static/places.js"], scripts
    for tag, attrs in tags.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src", "action"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:text")), (tag, attrs)
        assert (
            tag not in {"iframe", "object", "embed", "base", "meta"}
            or attrs.get("name")
            in {
                "viewport",
                "htmx-config",
            }
            or attrs.get("charset")
        ), (tag, attrs)
        assert tag != "img" or (attrs.get("src") or "").startswith("/api/"), (tag, attrs)
    # Loaded resources all come from this server.
    for tag, attrs in tags.tags:
        if tag in {"script", "img", "link"}:
            target = attrs.get("src") or attrs.get("href") or ""
            assert target.startswith(("/", "data:,")), (tag, attrs)


def test_search_page_shows_results_facets_and_paging(client: httpx.Client) -> None:
    html = client.get("/", params={"q": "lupus"}).text
    assert_inert(html)
    assert 'value="lupus"' in html
    assert "/trials/NCT03580291" in html
    assert "<mark>Lupus</mark>" in html or "<mark>lupus</mark>" in html
    assert 'class="badge status status-not-yet-recruiting"' in html
    assert 'data-facet="phase"' in html
    page = client.get("/", params={"limit": 5}).text
    next_link = re.search(r'<a rel="next" href="([^"]+)"', page)
    assert next_link
    second = client.get(next_link.group(1).replace("&amp;", "&")).text
    assert '<ol class="hits" start="6">' in second
    assert 'rel="prev"' in second
    # Cursors only go forward; the way back from a deeper page is worked out by the server.
    third_link = re.search(r'<a rel="next" href="([^"]+)"', second)
    assert third_link
    third = client.get(third_link.group(1).replace("&amp;", "&")).text
    assert '<ol class="hits" start="11">' in third
    back = re.search(r'<a rel="prev" href="([^"]+)"', third)
    assert back and "cursor=" in back.group(1)
    again = client.get(back.group(1).replace("&amp;", "&")).text
    assert '<ol class="hits" start="6">' in again
    assert _hit_ids(again) == _hit_ids(second)
    assert not set(_hit_ids(second)) & set(_hit_ids(third))
    assert 'rel="first" href="/?limit=5"' in third
    # Beyond what is worth walking again, a page links to the first page but not to the previous one.
    cursor = parse_qs(urlsplit(third_link.group(1).replace("&amp;", "&")).query)["cursor"][0]
    deep = client.get("/", params={"limit": 5, "cursor": cursor, "page": 2000}).text
    assert 'rel="first"' in deep and 'rel="prev"' not in deep
    assert client.get("/", params={"enrollment_min": 10**30}).status_code == 400


def _hit_ids(html: str) -> list[str]:
    return re.findall(r'<span class="nct">([^<]+)</span>', html)


def test_search_page_shows_expansions_and_filters_read_from_words(client: httpx.Client) -> None:
    html = client.get("/", params={"q": "MMF"}).text
    assert_inert(html)
    assert '<li class="expansion">expanded: MMF → mycophenolate mofetil' in html
    assert "<mark>mycophenolate mofetil</mark>" in html.lower()  # the expansion is found and marked
    plain = client.get("/", params={"q": "MMF", "expand": "false"}).text
    assert "expanded:" not in plain
    total = int(re.search(r'<strong id="total">(\d+)</strong>', html).group(1))  # type: ignore[union-attr]
    assert total > int(re.search(r'<strong id="total">(\d+)</strong>', plain).group(1))  # type: ignore[union-attr]
    worded = client.get("/", params={"q": "cancer recruiting in China"}).text
    assert "read as a filter: status=RECRUITING (from &#39;recruiting&#39;)" in worded
    assert "read as a filter: country=China (from &#39;in China&#39;)" in worded
    api = client.get("/api/trials", params={"q": "cancer", "status": "RECRUITING", "country": "China"}).json()
    assert f'<strong id="total">{api["total"]}</strong>' in worded


def test_search_page_filters_and_facets_of_every_kind(client: httpx.Client) -> None:
    html = client.get("/", params={"q": "cancer"}).text
    facets = set(re.findall(r'<h2 id="facet-([a-z_]+)">', html))
    assert {"status", "phase", "country", "start_year", "enrollment", "has_results", "age_group"} <= facets
    # A facet without a filter of its own is chosen as facet=name:value, and shows as chosen.
    link = re.search(
        r'<a class="facet-value" href="([^"]+)"[^>]*data-facet="start_year" data-value="(\d+)"', html
    )
    assert link
    url = link.group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(url).query) == {"q": ["cancer"], "facet": [f"start_year:{link.group(2)}"]}
    chosen = client.get(url).text
    assert f'aria-current="true" data-facet="start_year" data-value="{link.group(2)}"' in chosen
    api = client.get("/api/trials", params={"q": "cancer", "facet": f"start_year:{link.group(2)}"}).json()
    assert f'<strong id="total">{api["total"]}</strong>' in chosen
    # The "more filters" form: dates, enrolment, yes/no, sort and order all reach the search.
    params = {
        "q": "cancer",
        "start_from": "2015",
        "enrollment_min": "50",
        "has_results": "false",
        "sort": "enrollment",
        "order": "asc",
    }
    sorted_page = client.get("/", params=params).text
    assert '<option value="enrollment" selected>' in sorted_page
    api = client.get("/api/trials", params=params).json()
    assert f'<strong id="total">{api["total"]}</strong>' in sorted_page
    assert _hit_ids(sorted_page) == [hit["trial"]["key"] for hit in api["hits"]]
    sizes = [hit["trial"]["enrollment"] for hit in api["hits"]]
    assert sizes == sorted(sizes) and sizes[0] >= 50


def test_malformed_query_is_explained_on_the_page(client: httpx.Client) -> None:
    response = client.get("/", params={"q": "(lupus OR"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert_inert(html)
    assert 'value="(lupus OR"' in html  # the query stays in the box, to be fixed
    assert 'role="alert"' in html and "This search cannot be run:" in html
    assert "needs a word, phrase or group on both sides" in html
    for sql in ("SELECT", "MATCH", "sqlite", "fts5"):
        assert sql not in html
    bad_filter = client.get("/", params={"q": "lupus", "phase": "9"})
    assert bad_filter.status_code == 400 and "unknown phase" in bad_filter.text


def test_snippets_keep_only_the_search_packages_marks() -> None:
    from markupsafe import Markup

    from trialatlas.web.views import snippet_html

    made = "…a &lt;b&gt; &amp; &quot;c&quot; &#x27; <mark>lupus</mark> nephritis <mark>MMF</mark>…"
    assert snippet_html(made) == Markup(made)
    for forged in (
        "<mark onclick=alert(1)>x</mark>",
        "<script>alert(1)</script>",
        "a <mark>b <mark>c</mark></mark>",
        "<mark>open",
        "x </mark> y",
        "&lt;b&gt; <b>bold</b>",
        "a & b",
        '<mark>"><img src=x onerror=alert(1)></mark>',
    ):
        shown = str(snippet_html(forged))
        assert "<" not in shown and ">" not in shown, shown


def test_search_state_lives_in_the_url(client: httpx.Client) -> None:
    html = client.get("/", params={"q": "cancer"}).text
    toggle = re.search(
        r'<a class="facet-value" href="([^"]+)"[^>]*data-facet="phase" data-value="PHASE2"', html
    )
    assert toggle, "a link that adds Phase 2"
    url = toggle.group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert query == {"q": ["cancer"], "phase": ["PHASE2"]}
    narrowed = client.get(url).text
    total = int(re.search(r'<strong id="total">(\d+)</strong>', narrowed).group(1))  # type: ignore[union-attr]
    api = client.get("/api/trials", params={"q": "cancer", "phase": "PHASE2"}).json()["total"]
    assert total == api
    assert 'aria-current="true" data-facet="phase" data-value="PHASE2"' in narrowed
    # Empty form fields (as a plain HTML form sends them) mean "not set".
    tidy = client.get("/?q=lupus&age=&sex=&start_from=&sort=relevance")
    assert tidy.status_code == 303 and tidy.headers["location"] == "/?q=lupus"
    assert client.get("/?age=old").status_code == 400


def test_trial_page_sections_in_registry_order(client: httpx.Client) -> None:
    response = client.get(f"/trials/{TARGET}")
    assert response.status_code == 200
    html = response.text
    assert_inert(html)
    order = [
        "snapshot",
        "summary",
        "description",
        "conditions",
        "design",
        "groups",
        "regimen",
        "eligibility",
        "outcomes",
        "sponsors",
        "locations",
        "contacts",
        "references",
        "identifiers",
        "related",
        "sources",
    ]
    present = [name for name in order if f'<section id="{name}"' in html]
    assert len(present) >= len(order) - 1, set(order) - set(present)
    positions = [html.index(f'<section id="{name}"') for name in present]
    assert positions == sorted(positions)
    assert "Tacrolimus(Group A)" in html
    assert f'<img src="/api/trials/{TARGET}/regimen?format=svg"' in html
    assert "https://pubmed.ncbi.nlm.nih.gov/23343906/" in html
    assert "maojh88@126.com" in html
    assert "China" in html and "Recruiting" in html
    assert 'Source: <a href="#source-1">#1</a>' in html


def test_trial_page_marks_parsed_criteria(client: httpx.Client) -> None:
    html = client.get(f"/trials/{TARGET}").text
    values = re.findall(r'<mark class="value" title="[^"]*">([^<]+)</mark>', html)
    assert any("9.0 g/dL" in v for v in values), values
    assert re.search(
        r'<mark class="rule rule-condition" title="condition:[^"]*">nephrotic syndrome</mark>', html
    )
    assert re.search(r'<mark class="rule rule-age"[^>]*>Age: 2 to 18 years old</mark>', html)


def test_related_trials_are_listed_with_reasons(client: httpx.Client) -> None:
    html = client.get(f"/trials/{TARGET}").text
    related = html[html.index('<section id="related"') : html.index('<section id="sources"')]
    assert related.count('<p class="why">') >= 3
    assert "/trials/NCT00371319" in related


def test_dose_fragment(client: httpx.Client) -> None:
    html = client.get(f"/trials/{TARGET}/doses", params={"weight": 70}).text
    assert "Doses for 70 kg" in html and "3.5–7 mg" in html
    assert "<html" not in html  # a fragment for htmx to place
    assert client.get(f"/trials/{TARGET}/doses", params={"weight": "x"}).status_code == 422


def test_compare_page(client: httpx.Client) -> None:
    html = client.get("/compare", params={"ids": f"{TARGET},NCT03580291"}).text
    assert_inert(html)
    assert 'class="compare cols-2"' in html
    assert "Tacrolimus(Group A)" in html and "Mesenchymal stem cells" in html
    assert "tacrolimus: 0.05–0.1 mg/kg/day BID" in html
    assert '<tr class="differs"><th scope="row">Phase</th><td>Phase 4</td><td>Phase 2</td></tr>' in html
    assert 'class="inclusion only"' in html
    form = client.get("/compare").text
    assert 'name="ids"' in form
    for ids in (
        TARGET,
        ",".join([TARGET] * 2),
        "NCT00371319,NCT00876616,NCT03200002,NCT03580291,NCT04048161",
    ):
        bad = client.get("/compare", params={"ids": ids})
        assert bad.status_code == 400 and "2 to 4" in bad.text
    missing = client.get("/compare", params={"ids": f"{TARGET},NCT00000000"})
    assert missing.status_code == 404 and "NCT00000000" in missing.text


def test_match_page(client: httpx.Client) -> None:
    assert 'name="note"' in client.get("/match").text
    response = client.post(
        "/match",
        data={
            "age": "9",
            "sex": "male",
            "conditions": "nephrotic syndrome",
            "labs": "eGFR 100 mL/min/1.73m2",
            "medications": "prednisone",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert_inert(html)
    assert "Understood: 9 years; male; conditions: nephrotic syndrome" in html
    first = html.index('<ol class="matches">')
    assert f"/trials/{TARGET}" in html[first : first + 800]
    assert '<span class="mark mark-yes" aria-label="met">✓</span>' in html
    assert "mark-unknown" in html
    assert "Check next" in html
    bad = client.post("/match", data={"labs": "creatinine high"})
    assert bad.status_code == 400 and "name value unit" in bad.text


def test_landscape_page(client: httpx.Client) -> None:
    html = client.get("/landscape", params={"q": "cancer"}).text
    assert_inert(html)
    total = int(re.search(r'<strong id="total">(\d+)</strong>', html).group(1))  # type: ignore[union-attr]
    assert total == client.get("/api/trials", params={"q": "cancer"}).json()["total"]
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 5
    for facet in ("phase", "status", "start_year", "country", "sponsor_class"):
        assert f'id="chart-{facet}"' in html


def test_unknown_pages_are_html_errors(client: httpx.Client) -> None:
    missing = client.get("/trials/NCT00000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "no trial NCT00000000" in missing.text
    assert client.get("/no/such/page").status_code == 404


def test_hostile_registry_text_renders_as_text_everywhere(client: httpx.Client) -> None:
    pages = {
        "trial": client.get(f"/trials/{HOSTILE_NCT}").text,
        "search": client.get("/", params={"q": "hostile"}).text,
        "snippet": client.get("/", params={"q": "xss"}).text,
        "compare": client.get("/compare", params={"ids": f"{HOSTILE_NCT},{TARGET}"}).text,
        "landscape": client.get("/landscape", params={"q": "hostile"}).text,
        "match": client.post("/match", data={"note": "Patient with lupus", "conditions": "lupus"}).text,
        "facets": client.get("/", params={"country": 'Atlantis "><img src=x onerror="window.__xss=2">'}).text,
    }
    for name, html in pages.items():
        assert_inert(html)
        assert "<script>window.__xss" not in html, name
        assert "<img src=x" not in html, name
    trial = pages["trial"]
    assert "&lt;script&gt;window.__xss = 1; alert(&#34;xss&#34;)&lt;/script&gt;" in trial
    assert "**bold** [click me](javascript:window.__xss=3)" in trial  # markdown is not rendered either
    assert "&lt;svg onload=window.__xss=4&gt;" in trial
    assert 'href="javascript' not in trial
    assert "doi:javascript:alert(6)" in trial  # shown, never linked
    text = "".join(parse(trial).text)
    assert '<script>window.__xss = 1; alert("xss")</script>' in text  # what a reader sees: the raw text
    assert "&lt;script&gt;" in pages["search"] and "Atlantis" in pages["landscape"]
    # The search package's snippet of the hostile text: its marks are markup, the text stays text.
    snippet = re.search(r'<p class="snippet">(.*?)</p>', pages["snippet"])
    assert snippet, "a snippet for the hostile trial"
    assert (
        "&lt;script&gt;window.__<mark>xss</mark> = 1; alert(&quot;<mark>xss</mark>&quot;)&lt;/script&gt;"
        in (snippet.group(1))
    )
    assert set(re.findall(r"<(/?\w+)", snippet.group(1))) == {"mark", "/mark"}


def test_every_search_filter_has_a_url_parameter() -> None:
    """A filter the search package adds must reach the page and the API, or this fails."""
    from trialatlas.search import Filters
    from trialatlas.services.models import FILTER_FIELDS, SearchRequest
    from trialatlas.web.urls import read_search, search_url

    assert set(Filters.model_fields) - {"facet_values"} == FILTER_FIELDS
    assert set(SearchRequest.model_fields) >= FILTER_FIELDS
    request = read_search(
        [
            ("q", "lupus"),
            ("phase", "2,3"),
            ("country", "Korea, Republic of"),
            ("age", "12.5"),
            ("has_results", "no"),
            ("facet", "start_year:2019"),
            ("sort", "start_date"),
            ("order", "asc"),
            ("cursor", "abc"),
            ("page", "3"),
            ("ignored", "x"),
        ]
    )
    assert request.phase == ["2", "3"] and request.country == ["Korea, Republic of"]
    assert request.filters() == {
        "phase": ["2", "3"],
        "country": ["Korea, Republic of"],
        "age": 12.5,
        "has_results": False,
        "facet_values": {"start_year": ["2019"]},
    }
    url = search_url(request)
    assert read_search(parse_qsl(urlsplit(url).query)) == request  # one search, one address
    assert "ignored" not in url
    assert read_search([("page", "3")]).page == 1  # a page number means nothing without its cursor


def test_sources_name_the_record_never_a_server_path(client: httpx.Client) -> None:
    from trialatlas.config import shared_data_dir

    html = client.get(f"/trials/{TARGET}").text
    sources = html[html.index('<section id="sources"') :]
    assert f"{TARGET}.xml" in sources
    assert str(shared_data_dir()) not in html
