"""Any S3-compatible store (R2, MinIO, AWS) with a CDN in front for public media."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import aioboto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from plyr.core.config import Settings
from plyr.core.storage.base import StorageError

# Multipart in 16 MiB parts: constant memory for any file size.
TRANSFER = TransferConfig(multipart_threshold=16 << 20, multipart_chunksize=16 << 20)


PUBLIC_CACHE = "public, max-age=31536000, immutable"
PRIVATE_CACHE = "private, no-store"


class S3Storage:
    """Public objects in `bucket` (behind the CDN); private and supporter-only audio and
    exports in `private_bucket`, which must not be public: only presigned URLs reach it."""

    name = "s3"
    separates_private = True

    def __init__(
        self,
        *,
        bucket: str,
        private_bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        public_base_url: str | None,
        presign_seconds: int = 600,
    ) -> None:
        if not private_bucket or private_bucket == bucket:
            raise StorageError("S3 needs a private bucket apart from the public one")
        self.bucket = bucket
        self.private_bucket = private_bucket
        self.endpoint_url = endpoint_url
        self.public_base_url = (public_base_url or f"{endpoint_url}/{bucket}").rstrip("/")
        self.presign_seconds = presign_seconds
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
        )
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    @classmethod
    def from_settings(cls, s: Settings) -> S3Storage:
        if not s.s3_private_bucket:
            raise StorageError(MISSING_PRIVATE_BUCKET)
        return cls(
            bucket=s.s3_bucket,
            private_bucket=s.s3_private_bucket,
            endpoint_url=s.s3_endpoint_url,
            region=s.s3_region,
            access_key_id=s.s3_access_key_id,
            secret_access_key=s.s3_secret_access_key,
            public_base_url=s.public_media_base_url,
            presign_seconds=s.presigned_url_seconds,
        )

    async def _s3(self) -> Any:
        if self._client is None:
            self._stack = AsyncExitStack()
            config = Config(signature_version="s3v4", retries={"max_attempts": 3})
            self._client = await self._stack.enter_async_context(
                self._session.client("s3", endpoint_url=self.endpoint_url, config=config)
            )
        return self._client

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self._client = None, None

    def _bucket(self, private: bool) -> str:
        return self.private_bucket if private else self.bucket

    async def put_file(
        self, key: str, src: Path, content_type: str, *, private: bool = False
    ) -> None:
        s3 = await self._s3()
        extra = {"ContentType": content_type, "CacheControl": _cache(private)}
        try:
            await s3.upload_file(
                str(src), self._bucket(private), key, ExtraArgs=extra, Config=TRANSFER
            )
        except (BotoCoreError, ClientError, OSError) as e:
            raise StorageError(f"could not store {key}: {e}") from e

    async def put_bytes(
        self, key: str, data: bytes, content_type: str, *, private: bool = False
    ) -> None:
        s3 = await self._s3()
        try:
            await s3.put_object(
                Bucket=self._bucket(private),
                Key=key,
                Body=data,
                ContentType=content_type,
                CacheControl=_cache(private),
            )
        except (BotoCoreError, ClientError) as e:
            raise StorageError(f"could not store {key}: {e}") from e

    async def place(self, key: str, *, private: bool) -> None:
        """Copy into the target bucket (unless already there), then delete the source: a
        crash in between leaves two copies, which the next run resolves."""
        source, target = self._bucket(not private), self._bucket(private)
        if not await self._has(target, key):
            head = await self._head(source, key)
            if head is None:
                return  # deleted meanwhile
            s3 = await self._s3()
            extra = {
                "ContentType": head.get("ContentType", "application/octet-stream"),
                "CacheControl": _cache(private),
                "MetadataDirective": "REPLACE",
            }
            try:
                await s3.copy(
                    {"Bucket": source, "Key": key}, target, key, ExtraArgs=extra, Config=TRANSFER
                )
            except ClientError as e:
                if not _missing(e):
                    raise StorageError(f"could not move {key}: {e}") from e
                return  # moved (or deleted) by a concurrent run meanwhile
            except BotoCoreError as e:
                raise StorageError(f"could not move {key}: {e}") from e
        await self._delete(source, key)

    async def _head(self, bucket: str, key: str) -> dict[str, Any] | None:
        s3 = await self._s3()
        try:
            head: dict[str, Any] = await s3.head_object(Bucket=bucket, Key=key)
        except ClientError as e:
            if _missing(e):
                return None
            raise StorageError(f"could not check {key}: {e}") from e
        except BotoCoreError as e:
            raise StorageError(f"could not check {key}: {e}") from e
        return head

    async def _has(self, bucket: str, key: str) -> bool:
        return await self._head(bucket, key) is not None

    async def _where(self, key: str) -> str | None:
        """The bucket holding `key` (the public one first: most reads are of public media)."""
        for bucket in (self.bucket, self.private_bucket):
            if await self._has(bucket, key):
                return bucket
        return None

    async def exists(self, key: str) -> bool:
        return await self._where(key) is not None

    async def delete(self, key: str) -> None:
        for bucket in (self.bucket, self.private_bucket):
            await self._delete(bucket, key)

    async def _delete(self, bucket: str, key: str) -> None:
        s3 = await self._s3()
        try:
            await s3.delete_object(Bucket=bucket, Key=key)
        except (BotoCoreError, ClientError) as e:
            raise StorageError(f"could not delete {key}: {e}") from e

    async def read_chunks(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        s3 = await self._s3()
        bucket = await self._where(key)
        if bucket is None:
            raise StorageError(f"could not read {key}: no such object")
        try:
            obj = await s3.get_object(Bucket=bucket, Key=key)
        except (BotoCoreError, ClientError) as e:
            raise StorageError(f"could not read {key}: {e}") from e
        body = obj["Body"]
        try:
            async for chunk in body.iter_chunks(chunk_size):
                yield chunk
        finally:
            body.close()

    async def iter_keys(
        self, prefix: str, *, older_than: datetime | None = None, page_size: int = 1000
    ) -> AsyncIterator[list[str]]:
        s3 = await self._s3()
        paginator = s3.get_paginator("list_objects_v2")
        for bucket in (self.bucket, self.private_bucket):
            pages = paginator.paginate(
                Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
            )
            async for page in pages:
                keys = [
                    obj["Key"]
                    for obj in page.get("Contents", [])
                    if older_than is None or obj["LastModified"] < older_than
                ]
                if keys:
                    yield keys

    async def list_keys(self, prefix: str = "", *, older_than: datetime | None = None) -> list[str]:
        keys: set[str] = set()
        async for page in self.iter_keys(prefix, older_than=older_than):
            keys.update(page)
        return sorted(keys)

    def local_path(self, key: str) -> Path | None:
        return None

    def public_url(self, key: str) -> str:
        return f"{self.public_base_url}/{key}"

    async def presigned_url(self, key: str, *, filename: str | None = None) -> str | None:
        s3 = await self._s3()
        bucket = self.private_bucket if await self._has(self.private_bucket, key) else self.bucket
        params: dict[str, str] = {"Bucket": bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = _attachment(filename)
        url: str = await s3.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=self.presign_seconds
        )
        return url


MISSING_PRIVATE_BUCKET = (
    "S3_PRIVATE_BUCKET is required with STORAGE_BACKEND=s3: private and supporter-only audio "
    "and exports live there, reachable only through presigned URLs (a bucket that is not "
    "public, apart from S3_BUCKET)"
)


def _missing(e: ClientError) -> bool:
    return e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _cache(private: bool) -> str:
    return PRIVATE_CACHE if private else PUBLIC_CACHE


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
