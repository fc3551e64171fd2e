"""Trigram similarity for the fuzzy matches the SQLite engine checks itself, and FTS5/LIKE
quoting. The normal form of searchable text itself is `plyr.core.text.normalize` (plyr.models
fills `search_text` with it)."""

from __future__ import annotations

import re


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word (alphanumeric run) padded with two spaces before and
    one after."""
    grams: set[str] = set()
    for word in re.findall(r"\w+", text):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def strict_word_similarity(query: str, text: str) -> float:
    """pg_trgm's `strict_word_similarity(query, text)`: the best trigram similarity between
    the query and a run of whole consecutive words of `text`. A typo in one word of a long
    title still scores high; a word that merely starts the same way does not."""
    words = re.findall(r"\w+", text)
    width = len(re.findall(r"\w+", query))
    best = 0.0
    for start in range(len(words)):
        for stop in range(start + 1, min(len(words), start + width + 2) + 1):
            best = max(best, similarity(query, " ".join(words[start:stop])))
    return best


def fuzzy_words(query: str) -> list[str]:
    """The words of a query that must each be found, give or take a typo, for a fuzzy match
    (shorter ones have too few trigrams to tell a typo from chance)."""
    return [w for w in re.findall(r"\w+", query) if len(w) >= 3]


def fts_phrase(text: str) -> str:
    """A quoted FTS5 phrase (with the trigram tokenizer: a substring match)."""
    return '"' + text.replace('"', '""') + '"'


def fts_any_trigram(text: str) -> str | None:
    """An FTS5 query matching any of the text's trigrams (fuzzy candidates), or None when the
    text is too short to have any."""
    grams = sorted({text[i : i + 3] for i in range(len(text) - 2)} - {"   "})
    return " OR ".join(fts_phrase(g) for g in grams) if grams else None


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
