"""Discovery: mood search, similar tracks, recommendations, suggested tags, For You
(spec: discovery.md)."""
