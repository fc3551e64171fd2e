"""Keyword search over tracks, artists, albums, tags and playlists."""
