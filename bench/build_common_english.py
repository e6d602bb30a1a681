"""Write the general-English word frequencies that related-trial reasons read (issue #19).

The reasons name a shared word only if a person can check it; "eventually" and "bring" are as rare in
trial texts as "tacrolimus", so rarity in the store cannot tell them apart. How common a word is in
English at large can: this writes the words of `wordfreq`'s English list (its "best" wordlist: Wikipedia,
subtitles, news, books, web text and more) that are at least as common as ``--floor`` on the Zipf scale
(log10 of occurrences per billion words; 3.0 is once per million words), with their Zipf value, to
src/trialatlas/text/common_english.txt.

The list is data, not a dependency: `wordfreq` brings 58 MB of word lists in 40 languages and five
packages (ftfy, langcodes, locate, msgpack, regex) for one English table of about 30,000 words, so it
is installed only where this file is rebuilt, in a scratch virtualenv:

    python3 -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1
    PYTHONPATH=src /tmp/wf/bin/python bench/build_common_english.py
"""

from __future__ import annotations

import argparse
import math
from importlib import metadata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "trialatlas" / "text" / "common_english.txt"
VERSION = "3.1.1"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--floor", type=float, default=3.0, help="least Zipf frequency written")
    args = parser.parse_args()
    import wordfreq  # type: ignore[import-not-found, unused-ignore]

    installed = metadata.version("wordfreq")
    if installed != VERSION:
        raise SystemExit(f"wordfreq {VERSION} is the version the list is built from, not {installed}")
    frequencies: dict[str, float] = wordfreq.get_frequency_dict("en", "best")
    rows = []
    for word, frequency in frequencies.items():
        zipf = round(math.log10(frequency) + 9.0, 2)
        if zipf >= args.floor and word.isalpha() and word.isascii():
            rows.append((-zipf, word))
    rows.sort()
    header = [
        "# General English word frequencies: word and Zipf value (log10 of occurrences per billion words),",
        f"# most common first; every ASCII letters-only word of wordfreq {VERSION}'s English 'best' list",
        f"# at Zipf >= {args.floor:g}. Written by bench/build_common_english.py; do not edit by hand.",
        "# Derived from wordfreq's data (Robyn Speer, https://github.com/rspeer/wordfreq), licensed",
        "# CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/);",
        "# this list is shared under the same licence; wordfreq's README names the corpora it is built from.",
    ]
    OUT.write_text(
        "\n".join([*header, *(f"{word} {-zipf:.2f}" for zipf, word in rows)]) + "\n", encoding="utf-8"
    )
    print(f"{len(rows)} words -> {OUT}")


if __name__ == "__main__":
    main()
