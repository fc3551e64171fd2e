"""Finding re-uploads: each processed track is fingerprinted with Chromaprint and matched
against other artists' tracks through an in-memory index (`index.py`), then verified by bit
error rate (`matching.py`); a likely or possible copy becomes a scan flag in the review
queue. Nothing here takes anything down: a person decides (`plyr.moderation.queue`)."""
