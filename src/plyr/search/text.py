"""The one normal form of searchable text (stored in `search_text` columns and applied to
queries), and trigram similarity for the fuzzy matches the SQLite engine checks itself.

Kept free of model imports: plyr.models uses `normalize` to fill `search_text`."""

from __future__ import annotations

import re
import unicodedata

# typographic quotes and apostrophes -> plain (before NFKD: it turns an acute into a space)
_QUOTES = str.maketrans(
    {
        "\u2019": "'",  # right single quotation mark
        "\u2018": "'",  # left single quotation mark
        "\u201b": "'",  # single high-reversed-9 quotation mark
        "\u02bc": "'",  # modifier letter apostrophe
        "\u2032": "'",  # prime
        "`": "'",
        "\u00b4": "'",  # acute accent
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
    }
)
_SPACES = re.compile(r"\s+")


def normalize(text: str | None) -> str:
    """Lowercase, accents folded, quotes made plain, apostrophes dropped (so `don\u2019t`,
    `don't` and `dont` are one), control characters and runs of whitespace one space."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text.translate(_QUOTES).casefold())
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
        for c in folded
        if not unicodedata.combining(c)
    )
    return _SPACES.sub(" ", kept.replace("'", "")).strip()


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
