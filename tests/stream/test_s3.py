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

from plyr.core.config import Settings
from tests.audio.media import make_audio
from tests.conftest import PUBLIC_URL, make_user, running_app
from tests.helpers import temp_files, upload_track


@pytest.fixture
async def s3_app(settings: Settings, moto_endpoint: str, s3_bucket: str) -> AsyncIterator[FastAPI]:
    settings.storage_backend = "s3"
    settings.s3_endpoint_url = moto_endpoint
    settings.s3_bucket = s3_bucket
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
    s3_app: FastAPI, settings: Settings, moto_endpoint: str, s3_bucket: str, tmp_path: Path
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
