"""The search normal form, and trigram similarity measured as pg_trgm does (the SQLite engine
checks fuzzy matches in Python; PostgreSQL in SQL: both must agree)."""

from __future__ import annotations

import pytest

from plyr.core.text import normalize
from plyr.search.text import fts_any_trigram, fts_phrase, strict_word_similarity


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Don\u2019t Know", "dont know"),
        ("don't know", "dont know"),
        ("DON\u02bcT \u2018KNOW\u2019", "dont know"),
        ("don`t know", "dont know"),
        ("don\u00b4t know", "dont know"),
        ("\u201cQuoted\u201d", '"quoted"'),
        ("Café MÜNCHËN", "cafe munchen"),
        ("Cafe\u0301", "cafe"),
        ("Straße", "strasse"),
        ("ﬁne  \t tuning\n", "fine tuning"),
        ("a\x00b", "a b"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize(text: str | None, normal: str) -> None:
    assert normalize(text) == normal


@pytest.mark.parametrize(
    ("query", "text", "expected"),  # values from PostgreSQL 15's pg_trgm
    [
        ("love", "lost", 0.25),
        ("auora", "aurora.test", 0.44444445),
        ("aurara", "aurora", 0.4),
        ("aurorra", "aurora.test", 0.6666667),
        ("for you", "fore you", 0.7),
        ("margeurite", "marguerite duras", 0.46666667),
        ("duros", "marguerite duras", 0.33333334),
        ("goldn echo", "golden echo lost", 0.64285713),
        ("golden echo", "golden rain", 0.5833333),
        ("night road", "the night road home", 1.0),
    ],
)
def test_strict_word_similarity_as_pg_trgm(query: str, text: str, expected: float) -> None:
    assert strict_word_similarity(query, text) == pytest.approx(expected, abs=1e-6)


def test_fts_queries_quote_everything() -> None:
    assert fts_phrase('say "hi"') == '"say ""hi"""'
    assert fts_any_trigram("abcd") == '"abc" OR "bcd"'
    assert fts_any_trigram("ab") is None
