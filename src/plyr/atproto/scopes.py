"""What a granted OAuth scope allows in the user's repo, per the AT Protocol permission
grammar: `repo:<collection>` or `repo?collection=<a>&collection=<b>`, optionally narrowed by
`action=create|update|delete` (all three when absent), `*` for any collection, and the
legacy `transition:generic` for everything. Checking before a write lets plyr refuse an
action with "scope upgrade required" before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

__all__ = ["ACTIONS", "GrantedScopes", "RepoPermission", "repo_scope"]

ACTIONS = frozenset({"create", "update", "delete"})
FULL_ACCESS = frozenset({"transition:generic"})


@dataclass(frozen=True)
class RepoPermission:
    collections: frozenset[str]
    actions: frozenset[str]

    @classmethod
    def parse(cls, scope: str) -> RepoPermission | None:
        """The permission of one `repo` scope token; None for other tokens or bad syntax."""
        resource, _, query = scope.partition("?")
        prefix, sep, positional = resource.partition(":")
        if prefix != "repo":
            return None
        params = parse_qs(query, keep_blank_values=True)
        collections = set(params.get("collection", []))
        if sep:
            collections.add(unquote(positional))
        actions = set(params.get("action", [])) or set(ACTIONS)
        if not collections or not actions <= ACTIONS:
            return None
        return cls(frozenset(collections), frozenset(actions))

    def allows(self, collection: str, action: str) -> bool:
        return action in self.actions and (
            "*" in self.collections or collection in self.collections
        )


class GrantedScopes:
    """The space-separated scope of a token response."""

    def __init__(self, scope: str) -> None:
        self.tokens = frozenset(scope.split())
        self.repo = [p for p in map(RepoPermission.parse, self.tokens) if p is not None]

    def allows_repo(self, collection: str, action: str) -> bool:
        if self.tokens & FULL_ACCESS:
            return True
        return any(permission.allows(collection, action) for permission in self.repo)


def repo_scope(collection: str, action: str) -> str:
    """The narrowest scope token that allows `action` on `collection`."""
    return f"repo:{collection}?action={action}"
