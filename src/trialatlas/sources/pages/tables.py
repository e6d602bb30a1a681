"""Splitting table rows that a saved page flattened into one line of words.

Saved as HTML, a row keeps its cells (``html_to_text`` puts a tab between them) and is split exactly.
Saved as text, the cells run together ("Primary Total remission rate Complete remission rate (CR) and
partial remission rate (PR) weeks 24"), and the cell borders are found from what each column holds:
time frames are made of time words and numbers, an outcome's description starts a new sentence after
the measure, a location row starts with a country and ends with a state and city.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

from trialatlas.sources.pages.values import word_set
from trialatlas.text.numbers import number_words

# Time frames count in cardinals ("Week Twelve", "twenty-four weeks").
_NUMBER_WORDS = number_words(low=1, high=99).words()

_TIME_UNITS = (
    "second seconds sec secs minute minutes min mins hour hours hr hrs h day days d week weeks wk wks "
    "month months mo mos year years yr yrs decade night nights visit visits cycle cycles session sessions "
    "dose doses course courses timepoint timepoints time times point points period periods"
)
_TIME_WORDS = _NUMBER_WORDS.union(
    (
        _TIME_UNITS
        + " baseline screening enrollment enrolment randomization randomisation registration entry admission "
        "discharge surgery operation procedure treatment therapy follow follow-up followup fu study "
        "completion "
        "end start beginning initiation first last final second third fourth fifth next each every per "
        "daily weekly monthly yearly annually twice once pre post prior before after during through "
        "throughout until till within from to and or of the at up in on by for a an approximately about "
        "average median mean maximum minimum max min approx over then thereafter later following followed "
        "predose postdose pre-dose post-dose infusion injection vaccination transplant transplantation "
        "delivery birth death progression assessed measured up-to day-1 between date dates visit "
        "january february march april may june july august september october november december "
        "& + - – once twice length duration total overall end-of-study hospitalization stay change"
    ).split()
)
_TIME_STARTERS = _NUMBER_WORDS.union(
    (
        _TIME_UNITS + " baseline screening up at through throughout from during within every each after "
        "before prior pre post until approximately about over immediately end start enrollment enrolment "
        "randomization randomisation registration admission discharge daily weekly monthly yearly "
        "annually predose postdose pre-dose post-dose first last change once twice length duration time "
        "period average median mean total overall follow follow-up followup"
    ).split()
) - {"period", "periods", "point", "points"}
_UNIT_WORDS = word_set(
    """second seconds minute minutes hour hours hr hrs day days week weeks wk wks month months mo mos year
    years yr yrs"""
)
_TOKEN = re.compile(r"\S+")
_ABBREVIATIONS = word_set("approx wk wks mo mos yr yrs hr hrs min mins e.g i.e vs approximately")
_NUMBERISH = re.compile(r"^[(\[]?[~≥≤<>+±-]?\d[\d.,:/%-]*(?:st|nd|rd|th|[a-zA-Z]{0,7})?[)\],.;:]?$")


def _word(token: str) -> str:
    return token.strip("()[],.;:").lower()


def _is_time_token(token: str) -> bool:
    if _NUMBERISH.match(token):
        return True
    word = _word(token)
    if not word:
        return True
    if word in _TIME_WORDS:
        return True
    parts = re.split(r"[-/]", word)
    return all(part in _TIME_WORDS or part.isdigit() for part in parts if part)


def _is_starter(token: str) -> bool:
    word = _word(token)
    return bool(_NUMBERISH.match(token)) or word in _TIME_STARTERS or word.split("-")[0] in _TIME_STARTERS


def _has_anchor(tokens: list[str]) -> bool:
    """A time frame names a time: a number, a unit, or a study event such as baseline."""
    for token in tokens:
        word = _word(token)
        if any(ch.isdigit() for ch in token) or word in _TIME_UNITS.split():
            return True
        if word in {
            "baseline",
            "screening",
            "discharge",
            "completion",
            "randomization",
            "enrollment",
            "surgery",
            "study",
            "treatment",
            "follow-up",
            "followup",
            "death",
            "progression",
            "hospitalization",
            "transplant",
            "transplantation",
            "infusion",
            "vaccination",
            "dose",
            "delivery",
            "birth",
            "admission",
            "injection",
        }:
            return True
    return False


def split_time_frame(text: str, *, min_share: float = 0.8) -> tuple[str, str | None]:
    """``(rest, time_frame)``: the longest tail of ``text`` that reads as a time frame, if any."""
    tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
    best: int | None = None
    for index in range(len(tokens) - 1, 0, -1):
        tail = [token for _, token in tokens[index:]]
        if not _is_starter(tail[0]):
            continue
        if any(token.endswith(".") and _word(token) not in _ABBREVIATIONS for token in tail[:-1]):
            continue  # a time frame cell is not several sentences
        share = sum(_is_time_token(token) for token in tail) / len(tail)
        # A time frame may wander into other words later ("until disease progression"), not at its start.
        if share >= min_share and all(_is_time_token(t) for t in tail[:3]) and _has_anchor(tail):
            best = index
    if best is None:
        return text, None
    # A tail that starts mid-phrase ("... from baseline to week 12 Week 12") is the measure speaking;
    # prefer the shorter tail that starts with a capital or a number, as a table cell does.
    best += _second_frame([token for _, token in tokens[best:]])
    cut = tokens[best][0]
    return text[:cut].rstrip(), text[cut:].strip()


def _valid_tail(tail: list[str], min_share: float = 0.8) -> bool:
    if not tail or not _is_starter(tail[0]):
        return False
    share = sum(_is_time_token(token) for token in tail) / len(tail)
    return share >= min_share and all(_is_time_token(t) for t in tail[:3]) and _has_anchor(tail)


def _second_frame(tail: list[str]) -> int:
    """Where a second, complete time frame starts inside ``tail`` (0 when there is none).

    Measures often end with a time ("… from Baseline to Week 8") that the time frame cell repeats
    ("Baseline, Week 8"): two complete time expressions side by side, without a comma between them,
    are the end of the measure and the time frame.
    """
    for cut in range(1, len(tail)):
        head, rest = tail[:cut], tail[cut:]
        last = head[-1]
        complete = (_NUMBERISH.match(last) or _word(last) in _UNIT_WORDS) and not last.endswith((",", ";"))
        if _word(last) in _UNIT_WORDS and _NUMBERISH.match(rest[0]):
            complete = False  # "Week" + "1 through Week 12": the unit names the number after it
        if not complete or not _valid_tail(rest):
            continue
        names_time = any(_word(t) in _UNIT_WORDS or _word(t) == "baseline" for t in rest)
        counts = any(_NUMBERISH.match(t) or _word(t) in _NUMBER_WORDS or _word(t) == "baseline" for t in rest)
        if not (names_time and counts):
            continue
        first = rest[0]
        title_head = any(w[:1].isupper() for w in head) and not any(
            w[:1].islower() and _word(w) not in _CONNECTORS for w in head
        )
        # A lower-case second frame only counts after a Title Case head that ends with a unit ("… 12 Months").
        if first[:1].isupper() or first[:1].isdigit() or (title_head and _word(last) in _UNIT_WORDS):
            return cut
    return 0


_CONNECTORS = word_set(
    """of and or the in with for to by on at as from a an vs versus per into after before during between
    among within without using via than"""
)


def split_measure_description(text: str) -> tuple[str, str | None]:
    """``(measure, description)``: the description begins where a new sentence starts after the measure.

    A new sentence starts after a full stop; after a lower-case word ("Total remission rate Complete
    remission…"); or, after a measure written in Title Case, at a capitalised word followed by a
    lower-case one ("Event Free Survival The primary…", "Ascites Any abdominal fluid…").
    """
    tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
    subject = _sentence_subject(tokens)
    depth = 0
    title_case = True
    capitals = 0  # capitalised content words of the measure so far
    for index, (start, token) in enumerate(tokens):
        if index > 0 and depth == 0:
            previous = tokens[index - 1][1]
            following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
            after = tokens[index + 2][1] if index + 2 < len(tokens) else ""
            ends_sentence = previous.endswith(".") and not re.search(r"\b[A-Za-z]\.$", previous)
            starts_sentence = _starts_sentence(token, following)
            prev_plain = re.sub(r"[^\w/-]", "", previous)
            lower_next = _plain_lower(following) and (
                following not in _CONNECTORS or (_plain_lower(after) and after not in _CONNECTORS)
            )
            if index == subject or (
                starts_sentence
                and (
                    ends_sentence
                    or (
                        prev_plain.islower()
                        and prev_plain not in _CONNECTORS
                        and index >= 2
                        and not previous.endswith(":")
                    )
                    or (title_case and capitals >= 1 and lower_next and prev_plain.lower() not in _CONNECTORS)
                )
            ):
                return text[:start].rstrip(), text[start:].strip()
        word = re.sub(r"[^\w]", "", token)
        if word and word.lower() not in _CONNECTORS:
            if word[0].islower():
                title_case = False
            else:
                capitals += 1
        depth += token.count("(") + token.count("[") - token.count(")") - token.count("]")
        depth = max(depth, 0)
    return text.strip(), None


_CLAUSE_VERBS = word_set(
    """is are was were will has have had can may must should would could refers measures includes consists
    defined assessed measured evaluated calculated reported determined"""
)
_CLAUSE_STARTS = word_set("the a an this these participants patients subjects all each any")


def _sentence_subject(tokens: list[tuple[int, str]]) -> int | None:
    """After a Title Case measure, the capitalised word that starts the description's first clause.

    "Change From Baseline in HbA1c at Week 26 HbA1c is a measure…": the first lower-case word that is
    not a connector ("is") belongs to the description, whose subject is the capitalised word before it.
    """
    depth = 0
    for index, (_, token) in enumerate(tokens):
        word = re.sub(r"[^\w]", "", token)
        if depth == 0 and word and word[0].islower() and word not in _CONNECTORS:
            back = index - 1
            candidate = tokens[back][1] if back >= 2 else ""
            clause = word in _CLAUSE_VERBS or candidate.strip("\"'").lower() in _CLAUSE_STARTS
            if candidate[:1].isupper() and clause:
                before = re.sub(r"[^\w]", "", tokens[back - 1][1]).lower()
                capitals = sum(1 for _, t in tokens[:back] if t[:1].isupper())
                if before not in _CONNECTORS and capitals >= 2:
                    return back
            return None
        depth = max(depth + token.count("(") - token.count(")"), 0)
    return None


def _plain_lower(token: str) -> bool:
    word = token.strip(",;:()\"'")
    return bool(word) and word.isalpha() and word.islower()


def _starts_sentence(token: str, following: str) -> bool:
    """A capitalised ordinary word ("Complete", "The"), not an acronym ("PR") or a unit."""
    word = token.strip("(\"'")
    if len(word) < 2 or not word[0].isupper() or not word[1:].replace("-", "").isalpha():
        return False
    if not word[1:].islower():
        return False
    return bool(following) and not following.startswith(("(", ")"))


_INSTITUTION_WORDS = word_set(
    """hospital hospitals center centre centers centres clinic clinics university universitario
    universitaria institute institut instituto school college medical medicine health healthcare
    research foundation inc inc. llc ltd gmbh site sites department dept hôpital hopital ospedale
    klinikum clinica clinique centro faculty group unit services service office pharmacy laboratory
    laboratories lab campus academy association cancer care trust network practice"""
)
_CITY_PREFIXES = word_set(
    """new san santa santo saint st. st sankt los las la le el des ann baton salt little grand fort port
    palm west east north south ho hong kuala rio são sao buenos tel cape mexico kansas oklahoma jersey
    winston iowa daly palo long virginia colorado"""
)


_CITY_SUFFIXES = word_set(
    """city beach park hill hills falls rapids creek base springs heights lake bay island village grove
    harbor harbour mills point valley rock junction township ridge haven plains gardens bluffs landing
    linda green arbor worth orleans haven york angeles francisco diego antonio jose paulo aires"""
)
# Words that start a city name of several words ("West Palm Beach", "Fort Sam Houston", "Mount Holly").
_CITY_FIRST = word_set(
    """new san santa saint st. st sankt los las la le el des ann baton salt little grand fort port palm
    west east north south ho hong kuala rio são sao buenos tel cape kansas oklahoma winston iowa daly
    palo long mount mt. royal oak falls toms king's jamaica rancho lake cedar sioux rapid bowling walnut
    daytona miami panama travis lackland bala beverly boca bryn chevy coral corpus eau elk fall forest
    glen great hot johnson lone menlo ocean overland red rocky round silver thousand upper walla white
    winter chapel college bay"""
)
_CITY_INNER = word_set("air force lake salt rapid sioux new san los santa saint st. fort la el le des")


def _plausible_city(words: list[str], before: str) -> bool:
    """Could ``words`` be one city name, not a facility's tail ("of South Florida", "AIDS Ctr")?"""
    if before.lower() in {"of", "de", "di", "at", "in", "du", "del", "der"}:
        return False
    lowered = [w.lower().strip(",.") for w in words]
    if any(w in _INSTITUTION_WORDS for w in lowered) or any(not w[:1].isupper() for w in words):
        return False
    if any(len(w) > 1 and w.isupper() for w in words) or len(set(lowered)) < len(lowered):
        return False
    return not any(" ".join(words[i : i + n]) in STATES for n in (1, 2, 3) for i in range(len(words) - n + 1))


def _city_size(words: list[str], with_state: bool = True) -> int:
    """How many of the last words are the city: 1, or more for "Chapel Hill", "Salt Lake City"."""
    # Facilities are often named after their city ("CCOP - Green Bay Green Bay"): a repeated tail is the city.
    for size in (4, 3, 2):
        if len(words) > size * 2 - 1:
            tail = words[-size:]
            head = words[:-size]
            if any(head[i : i + size] == tail for i in range(len(head) - size + 1)):
                return size
    size = 1
    last = words[-1].lower().strip(",.")
    for candidate in (4, 3, 2) if with_state else ():
        if (
            len(words) > candidate
            and words[-candidate].lower() in _CITY_FIRST
            and _plausible_city(words[-candidate:], words[-candidate - 1])
        ):
            return candidate
    if last.startswith("(") and len(words) > 2:
        size = 2  # "Nuremberg (Nurnberg)"
    elif last in _CITY_SUFFIXES and len(words) > 2:
        size = 2
        while size < 4 and len(words) > size + 1 and words[-size - 1].lower().strip(",") in _CITY_INNER:
            size += 1
    elif (
        len(words) >= 3
        and words[-2].lower() in _CITY_PREFIXES
        and words[-3].lower().strip(",")
        not in {
            "of",
            "de",
            "di",
        }
    ):
        size = 2
    if len(words) > size + 1 and words[-size - 1].endswith(","):
        size += 1  # "Barakaldo, Bilbao"
    return size


def split_location_row(row: str, states: frozenset[str]) -> tuple[str, str | None, str | None]:
    """``(facility, city, state)`` from "The Affiliated Hospital … School Nanjing Jiangsu" (no country)."""
    words = row.split()
    state: str | None = None
    for size in (3, 2, 1):
        name = " ".join(words[-size:])
        if len(words) > size and name in states:
            # "Berlin", "Madrid": a region named like its city is the city unless the city precedes it.
            if name in _CITY_STATES and " ".join(words[-2 * size : -size]) != name:
                break
            state = name
            words = words[:-size]
            break
    if len(words) < 2:
        return " ".join(words), None, state
    city_size = _city_size(words, with_state=state is not None)
    city = " ".join(words[-city_size:]).strip(",")
    facility = " ".join(words[:-city_size]).rstrip(",")
    return facility, city or None, state


_CITY_STATES = word_set(
    "Berlin|Hamburg|Bremen|Madrid|Tokyo|Kyoto|Osaka|Beijing|Shanghai|Tianjin|Chongqing|Delhi|Murcia|"
    "Buenos Aires|Sao Paulo|São Paulo|Rio de Janeiro",
    "|",
)
STATES = word_set(
    """Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|District of Columbia|Florida|
    Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|
    Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|
    North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|
    Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|Puerto Rico|
    Alberta|British Columbia|Manitoba|New Brunswick|Newfoundland and Labrador|Nova Scotia|Ontario|
    Prince Edward Island|Quebec|Québec|Saskatchewan|Yukon|
    Anhui|Beijing|Chongqing|Fujian|Gansu|Guangdong|Guangxi|Guizhou|Hainan|Hebei|Heilongjiang|Henan|Hubei|
    Hunan|Jiangsu|Jiangxi|Jilin|Liaoning|Inner Mongolia|Ningxia|Qinghai|Shaanxi|Shandong|Shanghai|Shanxi|
    Sichuan|Tianjin|Tibet|Xinjiang|Yunnan|Zhejiang|Beijing Municipality|Shanghai Municipality|
    Chongqing Municipality|Tianjin Municipality|
    New South Wales|Queensland|South Australia|Tasmania|Victoria|Western Australia|
    Australian Capital Territory|Northern Territory|England|Scotland|Wales|Northern Ireland|
    Baden-Wuerttemberg|Baden-Württemberg|Bayern|Bavaria|Berlin|Brandenburg|Bremen|Hamburg|Hessen|Hesse|
    Mecklenburg-Vorpommern|Niedersachsen|Lower Saxony|Nordrhein-Westfalen|North Rhine-Westphalia|
    Rheinland-Pfalz|Saarland|Sachsen|Saxony|Sachsen-Anhalt|Schleswig-Holstein|Thueringen|Thüringen|
    Hokkaido|Aomori|Iwate|Miyagi|Akita|Yamagata|Fukushima|Ibaraki|Tochigi|Gunma|Saitama|Chiba|Tokyo|
    Kanagawa|Niigata|Toyama|Ishikawa|Fukui|Yamanashi|Nagano|Gifu|Shizuoka|Aichi|Mie|Shiga|Kyoto|Osaka|Hyogo|
    Nara|Wakayama|Tottori|Shimane|Okayama|Hiroshima|Yamaguchi|Tokushima|Kagawa|Ehime|Kochi|Fukuoka|Saga|
    Nagasaki|Kumamoto|Oita|Miyazaki|Kagoshima|Okinawa|
    Abruzzo|Basilicata|Calabria|Campania|Emilia-Romagna|Friuli-Venezia Giulia|Lazio|Liguria|Lombardia|
    Lombardy|Marche|Molise|Piemonte|Piedmont|Puglia|Sardegna|Sicilia|Toscana|Tuscany|Trentino-Alto Adige|
    Umbria|Valle d'Aosta|Veneto|Andalucia|Andalucía|Aragon|Asturias|Baleares|Canarias|Cantabria|
    Castilla y León|Castilla-La Mancha|Catalonia|Cataluña|Comunidad Valenciana|Extremadura|Galicia|
    La Rioja|Madrid|Murcia|Navarra|País Vasco|Basque Country|
    Acre|Alagoas|Amapá|Amazonas|Bahia|Ceará|Distrito Federal|Espírito Santo|Goiás|Maranhão|Mato Grosso|
    Mato Grosso do Sul|Minas Gerais|Pará|Paraíba|Parana|Paraná|Pernambuco|Piauí|Rio de Janeiro|
    Rio Grande do Norte|Rio Grande do Sul|Rio Grande Do Sul|Rondônia|Roraima|Santa Catarina|Sao Paulo|
    São Paulo|Sergipe|Tocantins|Buenos Aires|Córdoba|Cordoba|Santa Fe|Mendoza|Tucumán|Tucuman|
    Ciudad Autónoma de Buenos Aires|Andhra Pradesh|Bihar|Delhi|Gujarat|Haryana|Karnataka|Kerala|
    Madhya Pradesh|Maharashtra|Odisha|Punjab|Rajasthan|Tamil Nadu|Telangana|Uttar Pradesh|West Bengal|
    Jalisco|Nuevo León|Nuevo Leon|Chihuahua|Yucatán|Yucatan|Veracruz|Puebla|Sonora|Baja California|
    Coahuila|Guanajuato|Querétaro|Distrito Federal|Ciudad de México|Selangor|Federal Territory|
    Wilayah Persekutuan|Johor|Kedah|Kelantan|Melaka|Negeri Sembilan|Pahang|Perak|Penang|Pulau Pinang|
    Sabah|Sarawak|Terengganu|Gauteng|Western Cape|Eastern Cape|KwaZulu-Natal|Free State|Limpopo|
    Mpumalanga|North West|Northern Cape""",
    "|",
)


def split_cells(line: str) -> list[str] | None:
    """The cells of a row saved as HTML (tab-separated), else ``None``."""
    if "\t" not in line:
        return None
    return [cell.strip() for cell in line.split("\t")]


_TRAILING = word_set("and or the a an of to in at from for by on up with")


def find_time_frames(text: str) -> list[tuple[int, int]]:
    """Character spans of the time frames inside running "measure time-frame description" text.

    A span is a run of time words on one line that names a time (a number, a unit, baseline…), does
    not end a sentence, and is followed by a new cell: a capitalised word, a line end or the text end.
    """
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        if not _is_starter(tokens[index][2]):
            index += 1
            continue
        end = index
        while end < len(tokens) and _is_time_token(tokens[end][2]):
            if end > index and "\n" in text[tokens[end - 1][1] : tokens[end][0]]:
                break
            end += 1
            if tokens[end - 1][2].endswith((".", ";")):
                break
        span = tokens[index:end]
        while span and _word(span[-1][2]) in _TRAILING:
            span.pop()
        after = index + len(span)
        follows_cell = after >= len(tokens) or (
            tokens[after][2][:1].isupper() or "\n" in text[span[-1][1] : tokens[after][0]] if span else False
        )
        closes_sentence = bool(span) and span[-1][2].endswith((".", ";")) and after < len(tokens)
        if span and follows_cell and not closes_sentence and _has_anchor([t for _, _, t in span]):
            spans.append((span[0][0], span[-1][1]))
            index = after
        else:
            index += 1
    return spans


_NAME_EDGE_WORDS = word_set("of and or the for in at on to by with a an de di du der des la le")


def _plausible_name(words: list[str]) -> bool:
    """Could ``words`` be a whole name of its own? Not when it starts or ends on a connector or a comma,
    or starts with a lower-case word or a closing bracket ("of Medicine", "Hospital and")."""
    first, last = words[0], words[-1]
    if not (first[:1].isupper() or first[:1].isdigit()):
        return False
    if last.endswith((",", ";", ":", "&")) or last.lower() in _NAME_EDGE_WORDS:
        return False
    return first.lower() not in _NAME_EDGE_WORDS


def segment_names(text: str, count: int, known: Callable[[str], bool]) -> list[str] | None:
    """``text`` cut into ``count`` names that ``known`` recognises (at most one it does not), or ``None``.

    A flattened table row runs names together ("Columbia University National Heart, Lung, and Blood
    Institute (NHLBI)"). The cut is taken only when it is the one way to read the text: every name
    known, or failing that every name but one, and no second reading as good; otherwise the answer is
    ``None`` and the caller keeps the text whole.
    """
    words = text.split()
    if count < 1 or len(words) < count or len(words) > 80:
        return None
    if count == 1:
        return [" ".join(words)]
    known_span = functools.lru_cache(maxsize=None)(lambda i, j: known(" ".join(words[i:j])))

    def cuts(start: int, pieces: int, unknown: int) -> list[tuple[int, ...]]:
        """Up to two ways to cut words[start:] into ``pieces`` names with at most ``unknown`` unknown."""
        if pieces == 1:
            whole = known_span(start, len(words))
            ok = whole or (unknown > 0 and _plausible_name(words[start:]))
            return [()] if ok else []
        found: list[tuple[int, ...]] = []
        for end in range(start + 1, len(words) - pieces + 2):
            if known_span(start, end):
                rest = cuts(end, pieces - 1, unknown)
            elif unknown > 0 and _plausible_name(words[start:end]):
                rest = cuts(end, pieces - 1, unknown - 1)
            else:
                continue
            found.extend((end, *tail) for tail in rest[: 2 - len(found)])
            if len(found) >= 2:
                break
        return found

    for unknown in (0, 1):
        found = cuts(0, count, unknown)
        if len(found) == 1:
            bounds = [0, *found[0], len(words)]
            return [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
        if found:
            return None  # two readings as good as each other: not a cut to take at a guess
    return None


_DESCRIPTION_NOT_FIRST = word_set(
    """of at in on to from and or with for by as after before during within between among than per
    versus vs via using the a an"""
)


def known_time_frame_tail(text: str, known: Callable[[str], bool]) -> tuple[str, str] | None:
    """``(rest, time frame)`` when the longest tail of ``text`` that other records name as a time frame
    is one ("… Measured at 12 months"), else ``None``."""
    words = text.split()
    for start in range(max(1, len(words) - 24), len(words)):
        tail = " ".join(words[start:])
        if known(tail) and _has_anchor(words[start:]):
            return " ".join(words[:start]), tail
    return None


def known_measure_head(text: str, known: Callable[[str], bool]) -> tuple[str, str | None] | None:
    """``(measure, description)`` when the longest head of ``text`` that other records name as an
    outcome measure is followed by what can start a description (not "of …", "at …"), else ``None``."""
    words = text.split()
    if known(text):
        return text.strip(), None
    for end in range(min(len(words) - 1, 24), 0, -1):
        head = " ".join(words[:end])
        if known(head) and words[end].strip("(\"'").lower() not in _DESCRIPTION_NOT_FIRST:
            return head, " ".join(words[end:])
    return None
