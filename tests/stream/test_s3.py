"""The whole path on the S3 backend: uploads land in the bucket, /audio redirects."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import ValidationError

from plyr.core import outbox
from plyr.core.config import Settings
from plyr.core.storage import StorageError
from tests.app import PUBLIC_URL, make_user, running_app
from tests.audio.media import make_audio
from tests.helpers import temp_files, upload_track, wait_job


@pytest.fixture
def private_bucket(moto_endpoint: str, s3_bucket: str) -> str:
    name = f"{s3_bucket}-private"
    s3_client(moto_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
async def s3_app(
    settings: Settings, moto_endpoint: str, s3_bucket: str, private_bucket: str
) -> AsyncIterator[FastAPI]:
    settings.storage_backend = "s3"
    settings.s3_endpoint_url = moto_endpoint
    settings.s3_bucket = s3_bucket
    settings.s3_private_bucket = private_bucket
    settings.s3_access_key_id = settings.s3_secret_access_key = "test"
    settings.public_media_base_url = f"{moto_endpoint}/{s3_bucket}"
    allow_public_reads(moto_endpoint, s3_bucket)  # as an operator sets up the CDN's origin
    async with running_app(settings) as application:
        yield application


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def allow_public_reads(endpoint: str, bucket: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3_client(endpoint).put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def bucket_keys(endpoint: str, bucket: str) -> list[str]:
    return sorted(
        o["Key"] for o in s3_client(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])
    )


async def test_upload_stream_and_delete_on_s3(
    s3_app: FastAPI,
    settings: Settings,
    moto_endpoint: str,
    s3_bucket: str,
    private_bucket: str,
    tmp_path: Path,
) -> None:
    alice = await make_user(s3_app, "alice.test")
    path = make_audio(tmp_path / "s.aiff", "aiff", seconds=1)
    async with AsyncClient(transport=ASGITransport(app=s3_app), base_url=PUBLIC_URL) as client:
        public = await upload_track(client, alice, path, title="public")
        keys = bucket_keys(moto_endpoint, s3_bucket)
        assert f"audio/{public['file_id']}.mp3" in keys and len(keys) == 2
        assert temp_files(settings) == [] and not settings.media_dir.joinpath("audio").exists()

        redirect = await client.get(public["audio_url"])
        assert redirect.status_code == 307
        cdn_url = redirect.headers["location"]
        assert cdn_url == f"{moto_endpoint}/{s3_bucket}/audio/{public['file_id']}.mp3"
        async with httpx.AsyncClient() as cdn:
            ranged = await cdn.get(cdn_url, headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and len(ranged.content) == 100

        private = await upload_track(
            client,
            alice,
            make_audio(tmp_path / "p.mp3", "mp3"),
            title="private",
            visibility="private",
        )
        signed = await client.get(private["audio_url"], headers=alice.auth)
        assert signed.status_code == 307
        assert "X-Amz-Signature" in signed.headers["location"]
        assert (await client.get(private["audio_url"])).status_code == 404

        for track in (public, private):
            deleted = await client.delete(f"/tracks/{track['id']}", headers=alice.auth)
            assert deleted.status_code == 204
        assert bucket_keys(moto_endpoint, s3_bucket) == []
        assert bucket_keys(moto_endpoint, private_bucket) == []


async def cdn_status(url: str) -> int:
    async with httpx.AsyncClient() as cdn:
        return (await cdn.get(url)).status_code


async def test_private_audio_is_kept_out_of_the_public_bucket(
    s3_app: FastAPI,
    settings: Settings,
    moto_endpoint: str,
    s3_bucket: str,
    private_bucket: str,
    tmp_path: Path,
) -> None:
    """Private and supporter-only audio lives in the private bucket (presigned only), and
    moves when the track's visibility changes, both ways."""
    runtime = s3_app.state.runtime
    alice = await make_user(s3_app, "alice.test")
    path = make_audio(tmp_path / "p.mp3", "mp3")
    async with AsyncClient(transport=ASGITransport(app=s3_app), base_url=PUBLIC_URL) as client:
        track = await upload_track(client, alice, path, title="secret", visibility="supporters")
        key = f"audio/{track['file_id']}.mp3"
        cdn_url = f"{settings.public_media_base_url}/{key}"
        assert bucket_keys(moto_endpoint, private_bucket) == [key]
        assert key not in bucket_keys(moto_endpoint, s3_bucket)
        assert await cdn_status(cdn_url) == 404
        signed = await client.get(track["audio_url"], headers=alice.auth)
        assert signed.status_code == 307 and private_bucket in signed.headers["location"]
        assert await cdn_status(signed.headers["location"]) == 200

        async def set_visibility(visibility: str) -> None:
            edited = await client.patch(
                f"/tracks/{track['id']}", data={"visibility": visibility}, headers=alice.auth
            )
            assert edited.status_code == 200, edited.text
            assert await outbox.drain(runtime, due_now=True) == 0

        await set_visibility("public")
        assert await cdn_status(cdn_url) == 200
        assert bucket_keys(moto_endpoint, private_bucket) == []
        assert (await client.get(track["audio_url"])).headers["location"] == cdn_url

        await set_visibility("private")
        assert await cdn_status(cdn_url) == 404
        assert bucket_keys(moto_endpoint, private_bucket) == [key]
        signed = await client.get(track["audio_url"], headers=alice.auth)
        assert await cdn_status(signed.headers["location"]) == 200


async def test_an_interrupted_move_is_finished_by_the_retry(
    s3_app: FastAPI,
    settings: Settings,
    moto_endpoint: str,
    s3_bucket: str,
    private_bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The move is a pending write recorded with the edit: a crash mid-move (copied, not
    yet deleted) leaves it to be retried, and the public copy goes."""
    runtime = s3_app.state.runtime
    alice = await make_user(s3_app, "alice.test")
    async with AsyncClient(transport=ASGITransport(app=s3_app), base_url=PUBLIC_URL) as client:
        track = await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="t")
        key = f"audio/{track['file_id']}.mp3"
        storage = runtime.storage
        real_delete = storage._delete

        async def crash_before_delete(bucket: str, key: str) -> None:
            raise StorageError("the process died here")

        with monkeypatch.context() as patch:
            patch.setattr(storage, "_delete", crash_before_delete)
            edited = await client.patch(
                f"/tracks/{track['id']}", data={"visibility": "private"}, headers=alice.auth
            )
            assert edited.status_code == 200
            assert await outbox.drain(runtime, due_now=True) == 1
        assert key in bucket_keys(moto_endpoint, private_bucket)
        assert key in bucket_keys(moto_endpoint, s3_bucket)  # half done
        assert storage._delete == real_delete
        assert await outbox.drain(runtime, due_now=True) == 0
        assert key not in bucket_keys(moto_endpoint, s3_bucket)
        assert await cdn_status(f"{settings.public_media_base_url}/{key}") == 404


async def test_exports_are_private(
    s3_app: FastAPI, moto_endpoint: str, s3_bucket: str, private_bucket: str, tmp_path: Path
) -> None:
    alice = await make_user(s3_app, "alice.test")
    async with AsyncClient(transport=ASGITransport(app=s3_app), base_url=PUBLIC_URL) as client:
        await upload_track(client, alice, make_audio(tmp_path / "s.mp3", "mp3"), title="t")
        started = await client.post("/exports/", headers=alice.auth)
        assert started.status_code == 202
        job = await wait_job(client, alice, started.json()["job_id"])
        assert job["status"] == "completed", job
        exports = [k for k in bucket_keys(moto_endpoint, private_bucket) if "exports/" in k]
        assert len(exports) == 1
        assert not [k for k in bucket_keys(moto_endpoint, s3_bucket) if "exports/" in k]
        download = await client.get(
            f"/exports/{started.json()['job_id']}/download", headers=alice.auth
        )
        assert download.status_code == 307
        signed = download.headers["location"]
        assert private_bucket in signed and "X-Amz-Signature" in signed
        async with httpx.AsyncClient() as http:
            fetched = await http.get(signed)
        assert fetched.status_code == 200 and fetched.content.startswith(b"PK")


def test_s3_refuses_to_start_without_a_private_bucket() -> None:
    with pytest.raises(ValidationError, match="S3_PRIVATE_BUCKET is required"):
        Settings(STORAGE_BACKEND="s3", S3_BUCKET="media")
    with pytest.raises(ValidationError, match="another bucket"):
        Settings(STORAGE_BACKEND="s3", S3_BUCKET="media", S3_PRIVATE_BUCKET="media")


def test_presigned_url_lifetime_is_checked() -> None:
    for bad in ("0", "604801", "soon"):
        with pytest.raises(ValidationError, match="PLYR_PRESIGNED_URL_SECONDS"):
            Settings(PLYR_PRESIGNED_URL_SECONDS=bad)
