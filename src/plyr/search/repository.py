"""Search SQL: one interface, an engine per database.

Every kind of thing (tracks, artists, albums, tags, playlists) is a `Source`: the listed rows
with the columns a result shows, and the normalized text columns it is matched on. Matching
and ranking are the same SQL on both databases (exact > prefix > word start > substring, each
closer the more of the text the query covers); the engines differ in how they find candidates
fast and in fuzzy (trigram) matching:

- SQLite: FTS5 trigram indexes `search_<kind>` (kept by triggers, migration 0006) narrow
  substring matches, and give the candidates for fuzzy matches, whose similarity is then
  measured here in Python (`plyr.search.text.strict_word_similarity`, as pg_trgm's).
- PostgreSQL: pg_trgm GIN indexes serve `LIKE '%q%'` and the `<<%` (strict word similarity)
  operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Float,
    Row,
    Select,
    SQLColumnExpression,
    String,
    case,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.models import Album, Artist, Playlist, PlaylistItem, Tag, Track, TrackTag
from plyr.search.text import (
    fts_any_trigram,
    fts_phrase,
    fuzzy_words,
    like_escape,
    strict_word_similarity,
)
from plyr.tracks.repository import listed

Kind = Literal["tracks", "artists", "albums", "tags", "playlists"]
KINDS: tuple[Kind, ...] = ("tracks", "artists", "albums", "tags", "playlists")

EXACT, PREFIX, WORD_START, SUBSTRING = 4.0, 3.0, 2.0, 1.0
CLOSENESS = 0.99  # within a class: + CLOSENESS * len(query) / len(text); fuzzy: similarity
FUZZY_MIN_LENGTH = 4  # shorter queries have too few trigrams to tell a typo from chance
# each word of the query (`fuzzy_words`) has a pg_trgm strict word similarity of at least
# this with a word of the text (pg_trgm's default, 0.5, misses a changed letter in a
# six-letter word: "aurara" for "aurora" is 0.4); the whole query's similarity ranks them
FUZZY_THRESHOLD = 0.4
SQLITE_FUZZY_CANDIDATES = 300


@dataclass(frozen=True)
class Source:
    """The listed rows of one kind, and how to match them."""

    kind: Kind
    query: Select[*tuple[Any, ...]]  # the result columns, only listed rows
    key: SQLColumnExpression[Any]
    fields: tuple[SQLColumnExpression[str], ...]  # normalized texts matched on
    order: tuple[SQLColumnExpression[Any], ...]  # among equally relevant: most popular first
    fts_key: str  # the key column of the SQLite FTS table ("rowid" or "did")


def _listed_track_where(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(*conditions, *listed())


def source(kind: Kind) -> Source:
    if kind == "tracks":
        return Source(
            kind,
            select(
                Track.id,
                Track.title,
                Artist.handle.label("artist_handle"),
                Artist.display_name.label("artist_display_name"),
                Track.image_id,
                Track.image_type,
            )
            .join(Artist, Artist.did == Track.artist_did)
            .where(*listed()),
            Track.id,
            (Track.search_text,),
            (Track.play_count.desc(), Track.id.desc()),
            "rowid",
        )
    if kind == "artists":
        return Source(
            kind,
            select(Artist.did, Artist.handle, Artist.display_name, Artist.avatar_url).where(
                _listed_track_where(Track.artist_did == Artist.did),
                Artist.takedown_reason.is_(None),
            ),
            Artist.did,
            (Artist.handle, Artist.search_text),
            (Artist.handle,),
            "did",
        )
    if kind == "albums":
        return Source(
            kind,
            select(
                Album.id,
                Album.slug,
                Album.title,
                Artist.handle.label("artist_handle"),
                Album.image_id,
                Album.image_type,
            )
            .join(Artist, Artist.did == Album.artist_did)
            .where(
                _listed_track_where(Track.album_id == Album.id), Album.takedown_reason.is_(None)
            ),
            Album.id,
            (Album.search_text,),
            (Album.id.desc(),),
            "rowid",
        )
    if kind == "tags":
        count = func.count(Track.id)
        return Source(
            kind,
            select(Tag.name, count.label("track_count"))
            .join(TrackTag, TrackTag.tag_id == Tag.id)
            .join(Track, Track.id == TrackTag.track_id)
            .where(*listed())
            .group_by(Tag.id, Tag.name, Tag.search_text),
            Tag.id,
            (Tag.search_text,),
            (count.desc(), Tag.name),
            "rowid",
        )
    items = (
        select(func.count(PlaylistItem.id))
        .join(Track, Track.id == PlaylistItem.track_id)
        .where(PlaylistItem.playlist_id == Playlist.id, *listed())
        .scalar_subquery()
    )
    return Source(
        kind,
        select(
            Playlist.id,
            Playlist.name,
            Artist.handle.label("owner_handle"),
            items.label("track_count"),
        )
        .join(Artist, Artist.did == Playlist.owner_did)
        .where(Playlist.is_private == false(), Playlist.takedown_reason.is_(None)),
        Playlist.id,
        (Playlist.search_text,),
        (Playlist.id.desc(),),
        "rowid",
    )


def _closeness(field: SQLColumnExpression[str], query: str) -> ColumnElement[Any]:
    length = cast(func.length(field), Float)
    return literal(CLOSENESS * len(query), Float) / case((length > 0, length), else_=1.0)


def _relevance(field: SQLColumnExpression[str], query: str) -> ColumnElement[float]:
    """EXACT, or a class + closeness for prefix / word start / substring; 0 for no match."""
    pattern = like_escape(query)
    closeness = _closeness(field, query)
    return case(
        (field == query, literal(EXACT, Float)),
        (field.like(f"{pattern}%", escape="\\"), PREFIX + closeness),
        (field.like(f"% {pattern}%", escape="\\"), WORD_START + closeness),
        (field.like(f"%{pattern}%", escape="\\"), SUBSTRING + closeness),
        else_=literal(0.0, Float),
    )


def _contains(src: Source, query: str) -> ColumnElement[bool]:
    pattern = f"%{like_escape(query)}%"
    return or_(*(field.like(pattern, escape="\\") for field in src.fields))


@dataclass
class Found:
    rows: list[tuple[Row[Any], float]]  # best first, with their relevance
    count: int


async def _best(
    db: AsyncSession,
    src: Source,
    relevance: ColumnElement[float],
    where: Sequence[ColumnElement[bool]],
    limit: int,
) -> Found:
    """The `limit` rows that match `where`, most relevant first, and how many match in all
    (counted only when there may be more)."""
    ranked = (
        src.query.add_columns(relevance.label("relevance"))
        .where(*where)
        .order_by(relevance.desc(), *src.order)
        .limit(limit)
    )
    rows = [(row, float(row.relevance)) for row in (await db.execute(ranked)).all()]
    if len(rows) < limit:
        return Found(rows, len(rows))
    count = select(func.count()).select_from(src.query.where(*where).subquery())
    return Found(rows, int((await db.execute(count)).scalar_one()))


class Engine:
    """The SQL both databases share; subclasses add candidates and fuzzy matching."""

    name = "generic"

    def greatest(self, values: Sequence[ColumnElement[float]]) -> ColumnElement[float]:
        raise NotImplementedError

    def narrow(self, src: Source, query: str) -> Sequence[ColumnElement[bool]]:
        """Extra conditions that let an index find the substring matches."""
        return ()

    async def matches(self, db: AsyncSession, src: Source, query: str, limit: int) -> Found:
        """Exact, prefix and substring matches."""
        relevance = self.greatest([_relevance(f, query) for f in src.fields])
        where = (_contains(src, query), *self.narrow(src, query))
        return await _best(db, src, relevance, where, limit)

    async def fuzzy(self, db: AsyncSession, src: Source, query: str, limit: int) -> Found:
        """Rows similar to the query (a typo) that do not contain it."""
        raise NotImplementedError


class SqliteEngine(Engine):
    name = "sqlite"

    def greatest(self, values: Sequence[ColumnElement[float]]) -> ColumnElement[float]:
        return values[0] if len(values) == 1 else func.max(*values)

    def _fts(self, src: Source, match: str, limit: int | None = None) -> Select[*tuple[Any, ...]]:
        fts = table(f"search_{src.kind}", column(src.fts_key), column("rank"))
        index = column(f"search_{src.kind}", String)
        found = select(fts.c[src.fts_key]).select_from(fts).where(index.op("MATCH")(match))
        if limit is not None:
            found = found.order_by(fts.c.rank).limit(limit)
        return found

    def narrow(self, src: Source, query: str) -> Sequence[ColumnElement[bool]]:
        if len(query) < 3:  # the trigram index finds only 3+ characters
            return ()
        return (src.key.in_(self._fts(src, fts_phrase(query))),)

    async def fuzzy(self, db: AsyncSession, src: Source, query: str, limit: int) -> Found:
        match, words = fts_any_trigram(query), fuzzy_words(query)
        if len(query) < FUZZY_MIN_LENGTH or match is None or not words:
            return Found([], 0)
        texts: list[Any] = [f.label(f"_text{i}") for i, f in enumerate(src.fields)]
        candidates = src.query.add_columns(*texts).where(
            src.key.in_(self._fts(src, match, SQLITE_FUZZY_CANDIDATES)),
            ~_contains(src, query),
        )
        scored = []
        for row in (await db.execute(candidates)).all():
            values = [getattr(row, t.name) or "" for t in texts]
            if all(
                any(strict_word_similarity(word, value) >= FUZZY_THRESHOLD for value in values)
                for word in words
            ):
                similar = max(strict_word_similarity(query, value) for value in values)
                scored.append((row, round(CLOSENESS * similar, 6)))
        scored.sort(key=lambda pair: -pair[1])  # stable: the query's popularity order
        return Found(scored[:limit], len(scored))


class PostgresEngine(Engine):
    name = "postgresql"

    def greatest(self, values: Sequence[ColumnElement[float]]) -> ColumnElement[float]:
        return values[0] if len(values) == 1 else func.greatest(*values)

    async def fuzzy(self, db: AsyncSession, src: Source, query: str, limit: int) -> Found:
        words = fuzzy_words(query)
        if len(query) < FUZZY_MIN_LENGTH or not words:
            return Found([], 0)
        q = literal(query, String)
        threshold = func.set_config(
            "pg_trgm.strict_word_similarity_threshold", str(FUZZY_THRESHOLD), True
        )
        await db.execute(select(threshold))  # for this transaction (what `<<%` compares to)
        similar = self.greatest(
            [CLOSENESS * cast(func.strict_word_similarity(q, f), Float) for f in src.fields]
        )
        each_word = [
            or_(*(literal(word, String).op("<<%")(f) for f in src.fields)) for word in words
        ]
        return await _best(db, src, similar, (*each_word, ~_contains(src, query)), limit)


ENGINES: dict[str, Engine] = {"sqlite": SqliteEngine(), "postgresql": PostgresEngine()}


def engine_for(db: AsyncSession) -> Engine:
    dialect = db.get_bind().dialect.name
    try:
        return ENGINES[dialect]
    except KeyError:
        raise RuntimeError(f"search does not support {dialect}") from None


async def search_kind(db: AsyncSession, kind: Kind, query: str, limit: int) -> Found:
    """The best `limit` rows of one kind (exact, prefix, substring, then fuzzy), and how many
    match in all."""
    engine = engine_for(db)
    src = source(kind)
    found = await engine.matches(db, src, query, limit)
    fuzzy = await engine.fuzzy(db, src, query, limit)
    rows = (found.rows + fuzzy.rows)[:limit]
    return Found(rows, found.count + fuzzy.count)
