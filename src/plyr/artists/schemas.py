"""Artist shapes in the API."""

from __future__ import annotations

from pydantic import BaseModel

from plyr.models import Artist


class ArtistRef(BaseModel):
    did: str
    handle: str
    display_name: str | None
    avatar_url: str | None

    @classmethod
    def of(cls, artist: Artist) -> ArtistRef:
        return cls(
            did=artist.did,
            handle=artist.handle,
            display_name=artist.display_name,
            avatar_url=artist.avatar_url,
        )


class ArtistOut(ArtistRef):
    bio: str | None
    track_count: int
