"""German-aware text analysis for the offer search: folding, light stemming, compound parts.

Why our own analyzer in front of SQLite FTS5: FTS5's tokenizers know no German (no stemming,
``ß`` is not ``ss``, ``ä`` is not ``ae``), and searchers type what they type: "Schweißer",
"Schweisstechnik", "Schweissen", "Pruefung". Both the indexed text and the query go through
:func:`analyze`, so each side ends up with the same tokens:

* folding: case, ``ß`` → ``ss``, ``ä/ö/ü`` and ``ae/oe/ue`` → ``a/o/u``, other diacritics
  dropped (``é`` → ``e``);
* a light suffix stemmer (two passes over German inflection and derivation endings,
  never below four letters, never splitting a double ``ss``): "Schweißer", "Schweißen" →
  ``schweiss``; "Programmierung", "programmieren" → ``programmi``;
* compound heads: a token ending in a common head noun ("…technik", "…kurs", "…anleitung")
  also yields the head, so "Schweißtechnik" is found by "Technik" (:func:`compound_parts`);
  the other direction (query "Schweisstechnik" → "Schweißen") is done at query time against
  the index vocabulary (:mod:`registry.search`).

Only letters and digits survive, so no user input can reach FTS5's query syntax.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STOPWORDS", "analyze", "compound_parts", "fold", "stem", "tokens"]

_TOKEN = re.compile(r"[a-z0-9]+")
_VOWEL_E = re.compile(r"(?<=[aou])e")
#: function words that carry no meaning for a course search (after folding)
STOPWORDS = frozenset(
    {
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "ein",
        "eine",
        "einer",
        "eines",
        "einem",
        "und",
        "oder",
        "fur",
        "mit",
        "im",
        "in",
        "am",
        "an",
        "auf",
        "zu",
        "zum",
        "zur",
        "von",
        "vom",
        "bei",
        "als",
        "aus",
        "nach",
        "uber",
        "the",
        "a",
        "of",
        "for",
        "and",
        "or",
        "to",
        "on",
        "with",
        "",
    }
)
#: (suffix, minimum stem length) tried longest first; applied twice
_SUFFIXES = (
    "ungen",
    "innen",
    "erin",
    "ern",
    "ung",
    "er",
    "en",
    "em",
    "es",
    "e",
    "s",
    "n",
)
#: stems of head nouns that compounds commonly end in (indexed as an extra token)
_HEADS = (
    "technik",
    "kurs",
    "lehrgang",
    "programmi",
    "management",
    "anleit",
    "kraft",
    "helf",
    "schein",
    "fuhr",
    "leit",
    "sprach",
    "bildung",
    "pfleg",
    "beauftragt",
    "fachwirt",
    "meist",
    "sicherheit",
    "schweiss",
    "elektr",
    "wirtschaft",
    "buchhalt",
    "kommunikation",
)


def fold(text: str) -> str:
    """Case, ß, umlauts and other diacritics folded (``Schweißer Prüfung`` → ``schweisser
    prufung``); ``ae/oe/ue`` folded in :func:`tokens`."""
    text = text.casefold().replace("ä", "a").replace("ö", "o").replace("ü", "u")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(token: str) -> str:
    """A light German stem: up to two endings removed, at least four letters kept."""
    if not token.isalpha():
        return token
    for _ in range(2):
        for suffix in _SUFFIXES:
            if not token.endswith(suffix) or len(token) - len(suffix) < 4:
                continue
            if suffix == "s" and token[-2] not in "aeiouy":
                continue  # plural -s follows vowels (Autos); "Kurs", "Prozess" keep theirs
            token = token[: -len(suffix)]
            break
        else:
            break
    return token


def tokens(text: str) -> list[str]:
    """Folded tokens (letters and digits), ``ae/oe/ue`` → ``a/o/u`` inside words."""
    out = []
    for tok in _TOKEN.findall(fold(text)):
        if tok.isalpha():
            tok = _VOWEL_E.sub("", tok)
        out.append(tok)
    return out


def analyze(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """The stems of ``text`` in order (stop words dropped unless ``keep_stopwords``)."""
    return [stem(t) for t in tokens(text) if keep_stopwords or t not in STOPWORDS]


def compound_parts(stems: list[str]) -> list[str]:
    """Head nouns of compound stems (``schweisstechnik`` → ``technik``), for an extra field."""
    parts = []
    for s in stems:
        for head in _HEADS:
            if len(s) >= len(head) + 3 and s.endswith(head):
                parts.append(head)
                break
    return parts
