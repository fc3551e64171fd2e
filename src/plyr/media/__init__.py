"""Stored media that tracks, albums and playlists share: artwork (stored content-addressed with
its thumbnail, replaced on a row, received from a form), the public URLs of media, and
releasing the files no row refers to any more."""
