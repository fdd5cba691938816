"""Build app/search/data/grundwortschatz.tsv, the general German word list for compound splitting.

    python -m venv /tmp/wordfreq && /tmp/wordfreq/bin/pip install wordfreq==3.1.1
    /tmp/wordfreq/bin/python scripts/build_wordlist.py

The register's own vocabulary knows "Genehmigung" but rarely "Bau" or "Baum" on their own, so
"Baugenehmigung" and "Baumfällgenehmigung" could not be split. This list adds the common words of
German from wordfreq (data under CC BY-SA 4.0, see app/search/data/SOURCE.md). wordfreq is needed
only to build the file, not to run the register.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from wordfreq import top_n_list, zipf_frequency

TARGET = Path(__file__).resolve().parents[1] / "app" / "search" / "data" / "grundwortschatz.tsv"
CANDIDATES = 500_000
MIN_ZIPF = 2.5  # about once in 300,000 words of running text
MIN_ZIPF_SHORT = 4.5  # three-letter words ("bau", "amt") only when they are very common
LETTERS = re.compile(r"[a-zäöüß]+")
HEADER = """\
# Grundwortschatz Deutsch für die Kompositazerlegung der Suche (app/search/analysis.py).
# Erzeugt mit scripts/build_wordlist.py aus wordfreq 3.1.1 (Robyn Speer), Daten unter
# CC BY-SA 4.0: https://github.com/rspeer/wordfreq. Spalten: Wort, Zipf-Häufigkeit
# (log10 der Vorkommen je Milliarde Wörter).
"""


def words() -> list[tuple[str, float]]:
    chosen = []
    for word in top_n_list("de", CANDIDATES):
        if not LETTERS.fullmatch(word) or len(word) < 3:
            continue
        zipf = zipf_frequency(word, "de")
        if zipf >= (MIN_ZIPF_SHORT if len(word) == 3 else MIN_ZIPF):
            chosen.append((word, zipf))
    return sorted(chosen)


def main() -> int:
    lines = [f"{word}\t{zipf:.2f}" for word, zipf in words()]
    TARGET.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} Wörter nach {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
