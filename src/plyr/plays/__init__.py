"""Plays: a listen counts for the track and, when it started on a share link, for the link.
Above both `plyr.tracks` and `plyr.shares`, which know nothing of each other's part."""
