"""Artist shapes in the API."""

from __future__ import annotations

from pydantic import BaseModel, Field

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


class ProfileIn(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=256)
    bio: str | None = Field(None, max_length=2560)
