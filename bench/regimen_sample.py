"""Draw the regimen development and sealed sets: arm and intervention texts of even-numbered trials only
(odd-numbered trials are held back for scoring), stratified by kind of text, with a fixed seed, excluding
texts already labelled. Prints JSON lines {"id", "stratum", "split", "text"} to stdout for the labellers;
the repository keeps only ids and labels (tests/fixtures/regimens_dev.jsonl, regimens_sealed.jsonl).

    python bench/regimen_sample.py > /tmp/regimen_sample.jsonl

``--generality`` draws the generality set (tests/fixtures/regimens_gen.jsonl): a small sample with a seed of
its own, excluding every text already labelled in any set, so that it measures the parser on text nobody
tuned it on.

    python bench/regimen_sample.py --generality > /tmp/regimen_gen_sample.jsonl
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

from trialatlas.config import shared_data_dir
from trialatlas.eval.regimens import description_sentences, dump_descriptions, shared_descriptions

SEED = 20261206
PER_STRATUM = 72
SEALED_SHARE = 0.28
GENERALITY_SEED = 20261207
GENERALITY_PER_STRATUM = 13
LABELLED_SETS = (
    "labelled",
    "heldout",
    "dev",
    "sealed",
    "gen",
    "gen_drug",
    "gen_sched",
    "gen_naming",
    "gen_names2",
    "gen_amounts",
)
# A predictor set of trials whose NCT number leaves a given remainder mod 4, so that two sets drawn at once
# (remainders 0 and 2) share no trial; its own seed, texts of at most 900 characters.
PREDICTOR_SEEDS = {0: 20261260, 2: 20261262}
PREDICTOR_SIZE = 40
# Texts with no dose only check that nothing is invented; the rest of the set checks what is found.
PREDICTOR_DISTRACTORS = 6

# The route predictor set: trials whose NCT number ends in 2 or 6 (a set drawn at the same time takes 0, 4
# and 8), its own seed, texts of at most 900 characters, drawn toward texts that state a route, a dose form,
# a schedule or several doses (the fields a route and a frequency are read from).
ROUTE_SEED = 20261266
ROUTE_DIGITS = frozenset("26")
ROUTE_STRATA: list[tuple[str, re.Pattern[str]]] = [
    (
        "form",
        re.compile(
            r"\b(?:tablets?|capsules?|infusions?|injections?|patch(?:es)?|inhal\w*|drops?|pills?)\b", re.I
        ),
    ),
    (
        "route",
        re.compile(
            r"\b(?:orally|oral|po|iv|intravenous(?:ly)?|sc|s\.c\.|subcutaneous(?:ly)?|im|intramuscular(?:ly)?|"
            r"topical(?:ly)?|intra\w+|transdermal|sublingual|nasal|rectal|vaginal)\b",
            re.I,
        ),
    ),
    (
        "schedule",
        re.compile(
            r"\bcycles?\b|\bdays?\s*-?\d+\s*(?:,|and)|every \d+ (?:days|weeks)|x\s*\d+\s*doses|\bonce\b", re.I
        ),
    ),
]
ROUTE_DISTRACTORS = 2

DOSE = re.compile(
    r"\d\s*(?:mg|g|mcg|µg|ug|iu|units?|ml|cells|tablets?|capsules?|puffs?|drops?|mmol|meq)\b", re.I
)
STRATA: list[tuple[str, re.Pattern[str]]] = [
    ("taper", re.compile(r"\btaper", re.I)),
    ("per_m2", re.compile(r"m2|m²|m\^2|square met", re.I)),
    ("per_kg", re.compile(r"/\s*kg|per kilo|per kg", re.I)),
    ("schedule", re.compile(r"\bdays?\s*-?\d|\bcycles?\b|every \d+ (?:days|weeks)|\bq\d+[wdh]\b", re.I)),
    (
        "multi_drug",
        re.compile(
            r"\+|\bcombined with\b|\bin combination\b|\bfollowed by\b|\band\b.*\d\s*mg.*\d\s*mg", re.I
        ),
    ),
]


def stratum(text: str) -> str:
    if not DOSE.search(text):
        return "distractor"
    for name, pattern in STRATA:
        if pattern.search(text):
            return name
    return "easy"


ROOT = Path(__file__).resolve().parent.parent


def labelled_ids(names: tuple[str, ...]) -> set[str]:
    root = ROOT / "tests" / "fixtures"
    return {
        orjson.loads(line)["id"]
        for name in names
        if (root / f"regimens_{name}.jsonl").exists()
        for line in (root / f"regimens_{name}.jsonl").read_bytes().splitlines()
        if line.strip()
    }


def _write(chosen: list[tuple[str, str]], texts: dict[str, str]) -> None:
    """The drawn texts as JSON lines on stdout, each with its stratum."""
    for name, text_id in chosen:
        row = {"id": text_id, "stratum": name, "split": "predictor", "text": texts[text_id]}
        sys.stdout.buffer.write(orjson.dumps(row) + b"\n")


def _spread_evenly(
    pools: dict[str, list[str]], rng: random.Random, distractors: int
) -> list[tuple[str, str]]:
    """PREDICTOR_SIZE texts spread evenly over the strata, smallest first (a stratum short of texts gives
    its share to the others; at most ``distractors`` texts with no dose)."""
    chosen: list[tuple[str, str]] = []
    names = sorted(pools, key=lambda name: (name != "distractor", len(pools[name])))
    for index, name in enumerate(names):
        share = (PREDICTOR_SIZE - len(chosen)) // (len(names) - index)
        if name == "distractor":
            share = min(share, distractors)
        chosen += [(name, text_id) for text_id in rng.sample(pools[name], min(share, len(pools[name])))]
    return chosen


def _fill_in_order(
    pools: dict[str, list[str]],
    shares: list[tuple[str, int]],
    rng: random.Random,
    texts: dict[str, str],
    *,
    drop_drawn_first: bool,
    distractors_fill: bool = False,
) -> list[tuple[str, str]]:
    """Each stratum's share in the order given; a stratum short of texts passes its share on to the next
    (the distractors' shortfall is not passed on; the distractors take what is passed on to them only with
    ``distractors_fill``), and no text is drawn twice. ``drop_drawn_first`` takes texts already drawn out of
    a pool before sampling it (as the drug set was drawn; the spec set samples the whole pool), so that each
    recorded draw stays reproducible."""
    shortfall, drawn, chosen = 0, set(), []
    for name, share in shares:
        pool = pools.get(name, [])
        if drop_drawn_first:
            pool = [text_id for text_id in pool if texts[text_id] not in drawn]
        wanted = share + (shortfall if name != "distractor" or distractors_fill else 0)
        taken = 0
        for text_id in rng.sample(pool, len(pool)):
            if taken < wanted and texts[text_id] not in drawn:
                chosen.append((name, text_id))
                drawn.add(texts[text_id])
                taken += 1
        shortfall = wanted - taken if name != "distractor" else 0
    return chosen


def draw_predictor(remainder: int) -> None:
    """PREDICTOR_SIZE texts of trials with NCT number = ``remainder`` mod 4 that no labelled set holds,
    spread evenly over the strata (a stratum short of texts gives its share to the others; at most
    PREDICTOR_DISTRACTORS texts with no dose)."""
    seen = labelled_ids(LABELLED_SETS)
    texts = shared_descriptions(shared_data_dir())
    pools: dict[str, list[str]] = {}
    for text_id in sorted(texts):
        number = int(text_id.split(":", 1)[0][3:])
        if number % 4 != remainder or text_id in seen or len(texts[text_id]) > 900:
            continue
        pools.setdefault(stratum(texts[text_id]), []).append(text_id)
    _write(_spread_evenly(pools, random.Random(PREDICTOR_SEEDS[remainder]), PREDICTOR_DISTRACTORS), texts)


# The third drug predictor set: trials whose NCT number ends in 0, 4 or 8 (a set drawn at the same time takes
# 2 and 6), favouring what decides the drug field: several drugs dosed in one text, products named by a code,
# a brand or a salt, fixed combinations and placebo arms.
DRUG_DIGITS = frozenset("048")
DRUG_SEED = 20261280
SALTS = "hydrochloride|mesylate|sodium|citrate|sulfate|maleate|tartrate"
DRUG_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("distractor", re.compile(r""), 4),
    ("placebo", re.compile(r"\bplacebo\b", re.I), 6),
    ("combination", re.compile(r"\d\s*/\s*\d+(?:\.\d+)?\s*mg|\bfixed[- ]dose\b|\bco-?formulat", re.I), 5),
    ("brand_salt", re.compile(rf"®|\(tm\)|\b\w+ (?:{SALTS})\b", re.I), 6),
    ("code", re.compile(r"\b[A-Z]{1,5}-?\d{2,6}\b"), 7),
    ("multi_drug", STRATA[4][1], 12),
]


def first_stratum(text: str, strata: list[tuple[str, re.Pattern[str], int]], rest: str = "other") -> str:
    """The first of ``strata`` whose pattern ``text`` matches (its first entry is the distractors: texts
    with no dose), else ``rest``."""
    if not DOSE.search(text):
        return "distractor"
    for name, pattern, _ in strata[1:]:
        if pattern.search(text):
            return name
    return rest


def route_stratum(text: str) -> str:
    if not DOSE.search(text):
        return "distractor"
    if len(DOSE.findall(text)) >= 3:
        return "several_doses"
    for name, pattern in ROUTE_STRATA:
        if pattern.search(text):
            return name
    return "other"


def draw_drug_predictor() -> None:
    """40 texts of trials whose NCT number ends in 0, 4 or 8 that no labelled set holds (at most 900
    characters), drawn per DRUG_STRATA with a seed of their own."""
    draw_even_set(
        LABELLED_SETS,
        lambda text: first_stratum(text, DRUG_STRATA),
        DRUG_STRATA,
        DRUG_SEED,
        keep_trial=lambda number: str(number)[-1] in DRUG_DIGITS,
        drop_drawn_first=True,
    )


def draw_route_set() -> None:
    """PREDICTOR_SIZE texts of trials whose NCT number ends in a digit of ROUTE_DIGITS that no labelled set
    holds, spread evenly over the route strata (at most ROUTE_DISTRACTORS texts with no dose, none of the
    'other' stratum: a text with no route, form or schedule tests neither field)."""
    seen = labelled_ids(LABELLED_SETS)
    texts = shared_descriptions(shared_data_dir())
    pools: dict[str, list[str]] = {}
    for text_id in sorted(texts):
        if text_id.split(":", 1)[0][-1] not in ROUTE_DIGITS or text_id in seen or len(texts[text_id]) > 900:
            continue
        pools.setdefault(route_stratum(texts[text_id]), []).append(text_id)
    pools.pop("other", None)
    _write(_spread_evenly(pools, random.Random(ROUTE_SEED), ROUTE_DISTRACTORS), texts)


def _even_trial(number: int) -> bool:
    return number % 2 == 0


def draw_even_set(
    excluded: tuple[str, ...],
    stratum_of: Callable[[str], str],
    strata: list[tuple[str, re.Pattern[str], int]],
    seed: int,
    *,
    max_chars: int = 900,
    keep_trial: Callable[[int], bool] = _even_trial,
    drop_drawn_first: bool = False,
    distractors_fill: bool = False,
) -> None:
    """The texts of even-numbered trials (those whose NCT number ``keep_trial`` keeps) that no set in
    ``excluded`` holds, of at most ``max_chars`` characters, none equal to a labelled text, spread over
    ``strata`` by their shares in order (a stratum short of texts passes its share on to the next; texts of
    no stratum are not drawn). ``drop_drawn_first``, ``distractors_fill``: as ``_fill_in_order``."""
    seen = labelled_ids(excluded)
    texts = shared_descriptions(shared_data_dir())
    labelled_texts = {texts[text_id] for text_id in seen if text_id in texts}
    pools: dict[str, list[str]] = {}
    for text_id in sorted(texts):
        text = texts[text_id]
        number = int(text_id.split(":", 1)[0][3:])
        if not keep_trial(number) or text_id in seen or len(text) > max_chars:
            continue
        if text not in labelled_texts:
            pools.setdefault(stratum_of(text), []).append(text_id)
    shares = [(name, share) for name, _, share in strata]
    chosen = _fill_in_order(
        pools,
        shares,
        random.Random(seed),
        texts,
        drop_drawn_first=drop_drawn_first,
        distractors_fill=distractors_fill,
    )
    _write(chosen, texts)


# The spec predictor set (tests/fixtures/regimens_gen_spec.jsonl): even-numbered trials (any even last
# digit) that no labelled set holds, texts of at most 900 characters, none equal to a labelled text, with a
# seed of its own. It excludes every set labelled so far (the older draws keep their own exclusion lists so
# that they stay reproducible). The schedule, taper and multi-drug strata of `stratum` are used up by the sets
# before it, so the texts left with a dose are spread by looser cues of the same kinds, tried in this order.
SPEC_SEED = 20261290
SPEC_EXCLUDED = (*LABELLED_SETS, "gen_drugs3", "gen_routes")
SPEC_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("distractor", re.compile(r""), 4),
    ("taper", re.compile(r"\b(?:titrat|increas|reduc|escalat|taper|then\b|followed by)", re.I), 6),
    ("multi_drug", re.compile(r"\+|\bwith\b|\bcombin|\bplus\b", re.I), 6),
    (
        "schedule",
        re.compile(r"\b(?:daily|weekly|monthly|every|twice|once|cycles?|b\.?i\.?d|t\.?i\.?d|q\.?d)\b", re.I),
        6,
    ),
    ("per_kg", re.compile(r"/\s*kg|per kilo|per kg", re.I), 6),
    ("per_m2", re.compile(r"m2|m²|m\^2|square met", re.I), 6),
    ("easy", re.compile(r""), 6),
]


# The frequency predictor set (tests/fixtures/regimens_gen_freq.jsonl): even-numbered trials that no
# labelled set holds, texts of at most 900 characters, none equal to a labelled text, with a seed of its
# own, drawn toward the ways a schedule is written (the field the parser got wrong most often), each kind
# tried in this order.
FREQ_SEED = 20261310
FREQ_EXCLUDED = (*SPEC_EXCLUDED, "gen_spec")
FREQ_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("distractor", re.compile(r""), 6),
    ("divided", re.compile(r"\bdivided\b|\bsplit into\b", re.I), 3),
    ("continuous", re.compile(r"\bcontinuous(?:ly)?\b|/\s*h(?:ou)?r?\b|\bper hour\b", re.I), 3),
    ("single", re.compile(r"\bsingle\b|\bone[- ]time\b|\bonce\b(?! (?:a |per |daily|weekly))", re.I), 3),
    (
        "infusions",
        re.compile(r"\bfor (?:\d+|one|two|three|four|five|six|eight|ten) (?:infusions|doses)\b", re.I),
        3,
    ),
    (
        "cycle_day",
        re.compile(r"\bdays? \d+\b[^.]{0,40}\b(?:\d+|three|four)[- ](?:day|week) cycles?\b", re.I),
        3,
    ),
    ("day_run", re.compile(r"\bdays? -?\d+ ?(?:-|–|to|through) ?-?\d+\b|\bx ?\d+ days\b", re.I), 3),
    ("q_interval", re.compile(r"\bq\.? ?\d+ ?(?:w|wk|wks|weeks?|d|days?|h|hrs?|hours?)\b", re.I), 3),
    (
        "every_n",
        re.compile(r"\bevery (?:\d+|two|three|four|six|eight|other) (?:days?|weeks?|months?|hours?)\b", re.I),
        3,
    ),
    (
        "times_weekly",
        re.compile(r"\b(?:twice|three times|thrice|\d times?) (?:a |per )?week(?:ly)?\b", re.I),
        3,
    ),
    (
        "bid_tid",
        re.compile(r"\b(?:b\.?i\.?d|t\.?i\.?d|q\.?i\.?d|twice (?:a |per )?day|twice daily)\b", re.I),
        3,
    ),
    ("weekly_monthly", re.compile(r"\b(?:weekly|monthly|once a (?:week|month))\b", re.I), 4),
]


# The second route predictor set (tests/fixtures/regimens_gen_routes2.jsonl): even-numbered trials (any even
# last digit), none of their texts in any labelled set, none equal to a labelled text, texts of at most 900
# characters, a seed of its own, drawn toward what decides a route: topical, eye and inhaled products,
# injections, infusions, a route stated in another sentence than the dose, dose forms; a few distractors.
# It excludes every set labelled before it (listed, so that the draw stays reproducible once it is labelled).
ROUTES2_SEED = 20261310
ROUTES2_EXCLUDED = (*SPEC_EXCLUDED, "gen_spec")
ROUTES2_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("distractor", re.compile(r""), 6),
    (
        "local",
        re.compile(
            r"\b(?:topical\w*|ophthalmic|eye drops?|inhal\w*|nebuli\w*|cream|ointment|gel|spray|patch\w*|"
            r"intravitreal|nasal\w*|vaginal\w*|rectal\w*|suppositor\w*)\b",
            re.I,
        ),
        7,
    ),
    ("injection", re.compile(r"\binject\w*\b", re.I), 7),
    ("infusion", re.compile(r"\binfus\w*\b|\bby vein\b|\bdrip\b", re.I), 7),
    # A route word in a sentence that states no dose (the route has to be carried to the dose).
    ("other_sentence", re.compile(r""), 7),
    ("form", re.compile(r"\b(?:tablets?|capsules?|pills?|sachets?|granules|syrup|solution)\b", re.I), 6),
]
_ROUTE_WORD = ROUTE_STRATA[1][1]


def _route_apart(text: str) -> bool:
    """Whether a sentence of ``text`` states a route word but no dose."""
    return any(
        _ROUTE_WORD.search(sentence) and not DOSE.search(sentence)
        for sentence in re.split(r"(?<=[.;:])\s+|\n+", text)
    )


def routes2_stratum(text: str) -> str:
    if not DOSE.search(text):
        return "distractor"
    for name, pattern, _ in ROUTES2_STRATA[1:]:
        if name == "other_sentence":
            if _route_apart(text):
                return name
        elif pattern.search(text):
            return name
    return "other"


# The fourth drug predictor set (tests/fixtures/regimens_gen_drugs4.jsonl): even-numbered trials (any even
# last digit) that no labelled set holds (every regimens_*.jsonl in the fixtures when it was drawn), texts of
# at most 900 characters, none equal to a labelled text, with a seed of its own; drawn toward what decides the
# drug field on unseen text: investigational codes, biologics and vaccines, brand names, combination products
# and texts dosing several drugs, plus a few texts with no dose. Strata are tried in this order.
DRUGS4_SEED = 20261300
DRUGS4_EXCLUDED = (*SPEC_EXCLUDED, "gen_spec")
DRUGS4_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("distractor", re.compile(r""), 6),
    ("code", re.compile(r"\b[A-Z]{1,5}-?\d{2,6}[A-Z]?\b"), 8),
    (
        "biologic",
        re.compile(
            r"\b(?:vaccines?|peptides?|antibod\w*|\w+mab|cells?|virus\w*|toxoid|antigen|plasmid)\b", re.I
        ),
        7,
    ),
    ("brand", re.compile(r"®|\(tm\)|™|\(R\)|\b[A-Z][a-z]+ \([a-z]{5,}\)"), 6),
    (
        "combination",
        re.compile(r"\d\s*/\s*\d+(?:\.\d+)?\s*(?:mg|mcg|µg)|\bfixed[- ]dose\b|\bco-?formulat", re.I),
        5,
    ),
    (
        "multi_drug",
        re.compile(r"\+|\bcombined with\b|\bcombination\b|\bplus\b|\bfollowed by\b|\bwith\b", re.I),
        8,
    ),
]


# The sealed-like set (tests/fixtures/regimens_gen_sealedlike0.jsonl): 48 texts of trials whose NCT number
# is divisible by 4 (a set drawn at the same time takes remainder 2), drawn as the development and sealed
# sets were: the same `stratum`, the same limit of 1,500 characters, each stratum's share of 48 in the
# proportion the sealed set holds (20 of 118 for per kg, per m², easy, schedule and distractor; 16
# multi-drug; 2 taper), excluding every labelled set. The taper, multi-drug, per-kg and schedule pools of
# these trials are used up by the sets before it, so their shares pass on in this order: to per m² (the
# chemotherapy texts closest to them), then to easy.
SEALEDLIKE_EXCLUDED = (*SPEC_EXCLUDED, "gen_spec", "gen_freq", "gen_routes2", "gen_drugs4")
SEALEDLIKE_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("taper", STRATA[0][1], 1),
    ("multi_drug", STRATA[4][1], 7),
    ("per_kg", STRATA[2][1], 8),
    ("schedule", STRATA[3][1], 8),
    ("per_m2", STRATA[1][1], 8),
    ("easy", re.compile(r""), 8),
    ("distractor", re.compile(r""), 8),
]


# The second sealed-like set (tests/fixtures/regimens_gen_sealedlike2.jsonl): 48 texts of trials whose NCT
# number is 2 mod 4 (a set drawn at the same time takes remainder 0, so the two share no trial), drawn as the
# development and sealed sets were: the strata of `stratum`, texts of at most 1,500 characters, each stratum's
# share in the proportions the sealed set holds (20 of 118 each for distractor, per m², per kg, schedule and
# easy, 16 multi-drug, 2 taper; scaled to 48). It excludes every set labelled when it was drawn. The taper,
# schedule and multi-drug pools are used up and the per-kg pool holds one text, so their shares pass on in
# this order (the distractors' never do) and end in the easy stratum.
SEALEDLIKE2_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("distractor", re.compile(r""), 8),
    *((name, pattern, share) for (name, pattern), share in zip(STRATA, (1, 8, 8, 8, 7), strict=True)),
    ("easy", re.compile(r""), 8),
]
# Both sealed-like draws by the NCT number's remainder mod 4: (seed, strata in the order shares pass on). They
# were drawn at the same time, so they exclude the same sets.
SEALEDLIKE_DRAWS: dict[int, tuple[int, list[tuple[str, re.Pattern[str], int]]]] = {
    0: (20261400, SEALEDLIKE_STRATA),
    2: (20261402, SEALEDLIKE2_STRATA),
}


# The third fresh arm-text set (tests/fixtures/regimens_gen_fresh3.jsonl): 40 arm and intervention texts of
# trials whose NCT number is 2 mod 4 (a room drawing at the same time takes description passages of remainder
# 0), drawn as the sealed-like sets were: the strata of `stratum`, texts of at most 1,500 characters, none
# equal to a labelled text, each stratum's share in the sealed set's proportions scaled to 40; it excludes
# every set labelled when it was drawn (listed, so that the draw stays reproducible once it is labelled). The
# hard strata's pools are used up and per m² and easy hold 8 and 16 texts, so their shares pass on in this
# order to per m², then easy, then the distractors (who take what is left, so that the set holds 40 texts).
FRESH3_SEED = 20261420
FRESH3_EXCLUDED = (*SEALEDLIKE_EXCLUDED, "gen_sealedlike0", "gen_sealedlike2", "gen_desc")
FRESH3_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("taper", STRATA[0][1], 1),
    ("multi_drug", STRATA[4][1], 5),
    ("per_kg", STRATA[2][1], 7),
    ("schedule", STRATA[3][1], 7),
    ("per_m2", STRATA[1][1], 7),
    ("easy", re.compile(r""), 7),
    ("distractor", re.compile(r""), 6),
]

# The second schedule set (tests/fixtures/regimens_gen_sched2.jsonl): trials whose NCT number is 2 mod 4 (a
# room drawing at the same time takes remainder 0), with a seed of its own, drawn toward texts that state a
# dose and a schedule (frequency is the weakest field on held-out text), excluding every set labelled when it
# was drawn (listed, so that the draw stays reproducible once it is labelled). Every arm and intervention text
# with a dose of these trials is labelled already (the fresh3 draw took the last 24), so the set holds 40
# passages of the descriptions dump, drawn as the description sets are (`draw_description_set`: one passage of
# 1-3 sentences per trial, no trial of a labelled set). The rarer ways of writing a schedule are tried first;
# a stratum short of texts passes its share on to the next; 4 distractors.
SCHED2_SEED = 20261272
SCHED2_EXCLUDED = (
    *FRESH3_EXCLUDED,
    "gen_fresh3",
    "gen_desc2",
)
SCHED2_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("distractor", re.compile(r""), 4),
    (
        "divided",
        re.compile(r"\bdivided\b|\bsplit (?:into|in)\b|\bin (?:two|three|four|2|3|4) doses\b", re.I),
        5,
    ),
    (
        "single_loading",
        re.compile(
            r"\bsingle\b|\bone[- ]time\b|\bloading\b|\bbolus\b|\bonce\b(?! (?:a |per |daily|weekly))", re.I
        ),
        5,
    ),
    (
        "hour_interval",
        re.compile(r"\bq\.? ?\d+ ?h(?:rs?|ours?)?\b|\bevery \d+ ?(?:h|hrs?|hours?)\b", re.I),
        5,
    ),
    (
        "per_period",
        re.compile(r"/\s*(?:day|d|week|wk|24 ?h)\b|\bper (?:day|week|month)\b|\ba (?:day|week)\b", re.I),
        5,
    ),
    ("cycle_days", re.compile(r"\bcycles?\b|\bdays? -?\d+\s*(?:,|and|-|–|to|through)", re.I), 5),
    (
        "duration",
        re.compile(r"\bfor (?:\d+|one|two|three|four|six|eight|twelve) (?:days|weeks|months)\b", re.I),
        5,
    ),
    (
        "frequency_word",
        re.compile(
            r"\b(?:daily|weekly|monthly|nightly|twice|thrice|b\.?i\.?d|t\.?i\.?d|q\.?i\.?d|q\.?d|o\.?d|"
            r"bd|qhs|qod|prn|every|alternate)\b",
            re.I,
        ),
        6,
    ),
]

# The fourth fresh arm-text set (tests/fixtures/regimens_gen_fresh4.jsonl): 40 arm and intervention texts
# of trials whose NCT number is a multiple of 4 (another room drawing at the same time takes remainder 2),
# drawn as the third was: the strata of `stratum`, texts of at most 1,500 characters, none equal to a
# labelled text, the sealed set's proportions scaled to 40, shares passed on in the same order, the
# distractors taking what is left. Only easy texts were left with a dose (34 drawn, 6 distractors). It
# excludes every set labelled when it was drawn (listed, so that the draw stays reproducible).
FRESH4_SEED = 20261270
FRESH4_EXCLUDED = (*FRESH3_EXCLUDED, "gen_fresh3", "gen_desc2")
# The fresh arm-text draws by set number: seed, sets excluded, NCT remainder mod 4 (strata: FRESH3_STRATA).
FRESH_DRAWS: dict[int, tuple[int, tuple[str, ...], int]] = {
    3: (FRESH3_SEED, FRESH3_EXCLUDED, 2),
    4: (FRESH4_SEED, FRESH4_EXCLUDED, 0),
}

# The hard description set (tests/fixtures/regimens_gen_desc.jsonl): passages of the detailed descriptions in
# the descriptions dump, a pool no set had drawn from (every even trial's arm and intervention text of the
# taper, schedule and multi-drug strata is labelled). Trials with an even NCT number none of whose texts is in
# any labelled set; a passage (id ``NCT…:desc:S-E``) is a window of 1-3 consecutive sentences around a
# sentence that states a dose (DOSE), at most 900 characters, one passage per trial; strata of `stratum`
# with the hard ones over-represented as in the sealed set's harder part (30 of 40). Distractors are windows
# around a sentence that doses with a number but no dose unit ("will receive 6 cycles of ...").
DESC_SEED = 20261410
DESC_MAX_CHARS = 900
DESC_STRATA: list[tuple[str, re.Pattern[str], int]] = [
    ("distractor", re.compile(r""), 4),
    *((name, pattern, 6) for name, pattern in STRATA),
    ("easy", re.compile(r""), 6),
]
_DOSING_WORD = re.compile(r"\b(?:receiv\w*|administ\w*|dos(?:e|es|ed|ing)|given|infus\w*|inject\w*)\b", re.I)
_NUMBER = re.compile(r"\d")


def _windows(count: int, middle: int) -> list[tuple[int, int]]:
    """The windows around sentence ``middle`` tried in order: the sentence with one on either side, then
    with the next one, then with the one before, then alone."""
    tried = [(middle - 1, middle + 1), (middle, middle + 1), (middle - 1, middle), (middle, middle)]
    return [(first, last) for first, last in tried if first >= 0 and last < count]


def description_passages(description: str) -> dict[tuple[int, int], str]:
    """The passages of one description by their sentence span: for each sentence that states a dose (or,
    for the distractors, doses with a number and no dose unit), the first window of at most
    DESC_MAX_CHARS characters."""
    said = description_sentences(description)
    passages: dict[tuple[int, int], str] = {}
    for index, sentence in enumerate(said):
        if not (DOSE.search(sentence) or (_DOSING_WORD.search(sentence) and _NUMBER.search(sentence))):
            continue
        for first, last in _windows(len(said), index):
            text = " ".join(said[first : last + 1])
            if len(text) <= DESC_MAX_CHARS:
                passages.setdefault((first, last), text)
                break
    return passages


# The sets the hard description set excluded when it was drawn (every set labelled on its branch then; the
# first sealed-like set was drawn at the same time), kept as a list so that a set labelled later leaves its
# draw as it was.
DESC_EXCLUDED = (*SEALEDLIKE_EXCLUDED, "gen_sealedlike2")
# The second hard description set (tests/fixtures/regimens_gen_desc2.jsonl): drawn as the first, with a seed
# of its own, of trials whose NCT number is a multiple of 4 (a room drawing arm texts at the same time takes
# the others), excluding every trial of any set labelled before it, the first description set included.
DESC2_SEED = 20261412
DESC2_EXCLUDED = (*DESC_EXCLUDED, "gen_sealedlike0", "gen_desc")
# The third hard description set (tests/fixtures/regimens_gen_desc3.jsonl): description passages of trials
# whose NCT number is a multiple of 4, none of which has a text in any set labelled when it was drawn (listed,
# so that the draw stays reproducible), with a seed of its own, drawn toward passages that state a dose and a
# schedule as the second schedule set was (its strata and shares, in the same order).
DESC3_SEED = 20261436
DESC3_EXCLUDED = (*SCHED2_EXCLUDED, "gen_sched2", "gen_fresh4")


def draw_description_set(
    seed: int = DESC_SEED,
    excluded: tuple[str, ...] = DESC_EXCLUDED,
    keep_trial: Callable[[int], bool] = _even_trial,
    strata: list[tuple[str, re.Pattern[str], int]] = DESC_STRATA,
    stratum_of: Callable[[str], str] = stratum,
) -> None:
    """40 passages of even-numbered trials' (those ``keep_trial`` keeps) detailed descriptions, no trial of
    which has a text in any set of ``excluded``, one passage per trial, spread over ``strata`` (each
    passage's by ``stratum_of``) by their shares in order."""
    excluded_trials = {text_id.split(":", 1)[0] for text_id in labelled_ids(excluded)}
    descriptions = dump_descriptions(shared_data_dir())
    texts: dict[str, str] = {}
    trial_of: dict[str, str] = {}
    pools: dict[str, list[str]] = {}
    for nct_id in sorted(descriptions):
        if not keep_trial(int(nct_id[3:])) or nct_id in excluded_trials:
            continue
        description = descriptions[nct_id]
        if not DOSE.search(description) and not _DOSING_WORD.search(description):
            continue
        for (first, last), text in description_passages(description).items():
            text_id = f"{nct_id}:desc:{first}-{last}"
            texts[text_id], trial_of[text_id] = text, nct_id
            pools.setdefault(stratum_of(text), []).append(text_id)
    shares = [(name, share) for name, _, share in strata]
    # Drawn passages are told apart by their trial (not their text), so that no trial gives two.
    _write(_fill_in_order(pools, shares, random.Random(seed), trial_of, drop_drawn_first=False), texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generality", action="store_true", help="draw the generality set")
    parser.add_argument(
        "--predictor-mod4", type=int, choices=sorted(PREDICTOR_SEEDS), help="draw a predictor set (NCT %% 4)"
    )
    parser.add_argument("--drug-predictor", action="store_true", help="draw the third drug predictor set")
    parser.add_argument(
        "--routes", action="store_true", help="draw the route predictor set (NCT ending 2 or 6)"
    )
    parser.add_argument("--spec", action="store_true", help="draw the spec predictor set (every even digit)")
    parser.add_argument(
        "--freq", action="store_true", help="draw the frequency predictor set (every even digit)"
    )
    parser.add_argument(
        "--routes2", action="store_true", help="draw the second route predictor set (every even digit)"
    )
    parser.add_argument("--drugs4", action="store_true", help="draw the fourth drug predictor set")
    parser.add_argument(
        "--sealedlike-mod4",
        type=int,
        choices=sorted(SEALEDLIKE_DRAWS),
        help="draw a set stratified as the sealed set, of trials with this NCT number %% 4",
    )
    parser.add_argument(
        "--desc",
        action="store_true",
        help="draw the hard description set (passages of the descriptions dump)",
    )
    parser.add_argument(
        "--desc2",
        action="store_true",
        help="draw the second hard description set (trials whose NCT number %% 4 == 0)",
    )
    parser.add_argument(
        "--fresh3",
        action="store_true",
        help="draw the third fresh arm-text set (NCT %% 4 == 2, stratified as the sealed set)",
    )
    parser.add_argument(
        "--sched2",
        action="store_true",
        help="draw the second schedule set (NCT %% 4 == 2, texts stating a dose and a schedule)",
    )
    parser.add_argument(
        "--fresh4",
        action="store_true",
        help="draw the fourth fresh arm-text set (NCT %% 4 == 0, stratified as the sealed set)",
    )
    parser.add_argument(
        "--desc3",
        action="store_true",
        help="draw the third hard description set (NCT %% 4 == 0, passages stating a dose and a schedule)",
    )
    args = parser.parse_args()
    if args.desc3:
        draw_description_set(
            DESC3_SEED,
            DESC3_EXCLUDED,
            lambda number: number % 4 == 0,
            SCHED2_STRATA,
            lambda text: first_stratum(text, SCHED2_STRATA),
        )
        return
    if args.sched2:
        draw_description_set(
            SCHED2_SEED,
            SCHED2_EXCLUDED,
            lambda number: number % 4 == 2,
            SCHED2_STRATA,
            lambda text: first_stratum(text, SCHED2_STRATA),
        )
        return
    fresh = 4 if args.fresh4 else 3 if args.fresh3 else None
    if fresh is not None:
        seed, excluded, remainder = FRESH_DRAWS[fresh]
        draw_even_set(
            excluded,
            stratum,
            FRESH3_STRATA,
            seed,
            max_chars=1500,
            keep_trial=lambda number: number % 4 == remainder,
            distractors_fill=True,
        )
        return
    if args.desc:
        draw_description_set()
        return
    if args.desc2:
        draw_description_set(DESC2_SEED, DESC2_EXCLUDED, lambda number: number % 4 == 0)
        return
    if args.sealedlike_mod4 is not None:
        seed, strata = SEALEDLIKE_DRAWS[args.sealedlike_mod4]
        draw_even_set(
            SEALEDLIKE_EXCLUDED,
            stratum,
            strata,
            seed,
            max_chars=1500,
            keep_trial=lambda number: number % 4 == args.sealedlike_mod4,
        )
        return
    if args.spec:
        draw_even_set(
            SPEC_EXCLUDED, lambda text: first_stratum(text, SPEC_STRATA, rest="easy"), SPEC_STRATA, SPEC_SEED
        )
        return
    if args.freq:
        draw_even_set(FREQ_EXCLUDED, lambda text: first_stratum(text, FREQ_STRATA), FREQ_STRATA, FREQ_SEED)
        return
    if args.routes2:
        draw_even_set(ROUTES2_EXCLUDED, routes2_stratum, ROUTES2_STRATA, ROUTES2_SEED)
        return
    if args.drugs4:
        draw_even_set(
            DRUGS4_EXCLUDED, lambda text: first_stratum(text, DRUGS4_STRATA), DRUGS4_STRATA, DRUGS4_SEED
        )
        return
    if args.drug_predictor:
        draw_drug_predictor()
        return
    if args.routes:
        draw_route_set()
        return
    if args.predictor_mod4 is not None:
        draw_predictor(args.predictor_mod4)
        return
    # The development and sealed sets were drawn excluding the two older sets; the generality set
    # excludes every set labelled so far.
    seen = labelled_ids(LABELLED_SETS if args.generality else LABELLED_SETS[:2])
    texts = shared_descriptions(shared_data_dir())
    pools: dict[str, list[str]] = {}
    for text_id in sorted(texts):
        nct = text_id.split(":", 1)[0]
        if int(nct[-1]) % 2 or text_id in seen or len(texts[text_id]) > 1500:
            continue
        pools.setdefault(stratum(texts[text_id]), []).append(text_id)
    rng = random.Random(GENERALITY_SEED if args.generality else SEED)
    per_stratum = GENERALITY_PER_STRATUM if args.generality else PER_STRATUM
    for name in sorted(pools):
        chosen = rng.sample(pools[name], min(per_stratum, len(pools[name])))
        cut = len(chosen) if args.generality else round(len(chosen) * (1 - SEALED_SHARE))
        for index, text_id in enumerate(chosen):
            split = ("gen" if args.generality else "dev") if index < cut else "sealed"
            row = {"id": text_id, "stratum": name, "split": split, "text": texts[text_id]}
            sys.stdout.buffer.write(orjson.dumps(row) + b"\n")


if __name__ == "__main__":
    main()


# Every set labelled when gen_long and gen_multi were drawn (by two rooms at once): written out, not derived
# from the fixtures, so that both draws stay reproducible as sets are added.
BEFORE_LONG_AND_MULTI = (
    "dev",
    "gen",
    "gen_amounts",
    "gen_desc",
    "gen_desc2",
    "gen_desc3",
    "gen_drug",
    "gen_drugs3",
    "gen_drugs4",
    "gen_freq",
    "gen_fresh3",
    "gen_fresh4",
    "gen_names2",
    "gen_naming",
    "gen_other",
    "gen_routes",
    "gen_routes2",
    "gen_sched",
    "gen_sched2",
    "gen_sealedlike0",
    "gen_sealedlike2",
    "gen_spec",
    "heldout",
    "labelled",
    "probes",
    "sealed",
)
