"""`owned_uri`: a record read from a repo is accepted only as `at://{that repo's DID}/
{collection}/{rkey}`, every part valid syntax."""

from __future__ import annotations

import pytest

from plyr.atproto.uris import RecordUri, owned_uri

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
OTHER = "did:plc:44ybard66vv44zksje25o7dz"
TRACK = "fm.plyr.track"


def test_a_record_of_the_repo_is_parsed() -> None:
    assert owned_uri(f"at://{DID}/{TRACK}/3m2abcdefgh22", DID, TRACK) == RecordUri(
        DID, TRACK, "3m2abcdefgh22"
    )
    assert owned_uri(f"at://{DID}/fm.plyr.actor.profile/self", DID, "fm.plyr.actor.profile")
    web = "did:web:music.example.com"
    assert owned_uri(f"at://{web}/{TRACK}/k", web, TRACK) is not None


@pytest.mark.parametrize(
    "uri",
    [
        f"at://{OTHER}/{TRACK}/3m2abcdefgh22",  # another account's record
        f"at://alice.test/{TRACK}/3m2abcdefgh22",  # a handle, not the repo's DID
        f"at://{DID}/fm.plyr.list/3m2abcdefgh22",  # another collection
        f"at://{DID}/{TRACK}",  # no record key
        f"at://{DID}/{TRACK}/a/b",  # a path below the record
        f"at://{DID}/{TRACK}/..",  # bad rkey
        f"at://{DID}/{TRACK}/a%20b",
        f"at://{DID}/{TRACK}/" + "k" * 513,
        f"at://{DID}/{TRACK}/k?x=1",
        f"at://{DID}/{TRACK}/k#frag",
        f"https://{DID}/{TRACK}/k",
        "",
        None,
        42,
    ],
)
def test_anything_else_is_refused(uri: object) -> None:
    assert owned_uri(uri, DID, TRACK) is None


@pytest.mark.parametrize(
    ("did", "collection"),
    [
        ("did:PLC:ewvi7nxzyoun6zhxrhs64oiz", TRACK),  # bad DID method
        ("did:plc:ewvi7nxzyoun6zhxrhs64oiz:", TRACK),  # a DID cannot end with ':'
        ("did:plc:ewvi7nxzyoun6zhx%zzs64oiz", TRACK),  # bad percent-encoding
        (DID, "fm..plyr.track"),  # bad NSID
        (DID, "fm.plyr.1track"),
        (DID, "track"),
    ],
)
def test_bad_syntax_is_refused_even_when_the_parts_match(did: str, collection: str) -> None:
    assert owned_uri(f"at://{did}/{collection}/3m2abcdefgh22", did, collection) is None
