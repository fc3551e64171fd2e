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


class S3Storage:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        public_base_url: str | None,
        presign_seconds: int = 600,
    ) -> None:
        self.bucket = bucket
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
        return cls(
            bucket=s.s3_bucket,
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

    async def put_file(self, key: str, src: Path, content_type: str) -> None:
        s3 = await self._s3()
        extra = {"ContentType": content_type, "CacheControl": "public, max-age=31536000, immutable"}
        try:
            await s3.upload_file(str(src), self.bucket, key, ExtraArgs=extra, Config=TRANSFER)
        except (BotoCoreError, ClientError, OSError) as e:
            raise StorageError(f"could not store {key}: {e}") from e

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        s3 = await self._s3()
        try:
            await s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                CacheControl="public, max-age=31536000, immutable",
            )
        except (BotoCoreError, ClientError) as e:
            raise StorageError(f"could not store {key}: {e}") from e

    async def exists(self, key: str) -> bool:
        s3 = await self._s3()
        try:
            await s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"could not check {key}: {e}") from e
        return True

    async def delete(self, key: str) -> None:
        s3 = await self._s3()
        try:
            await s3.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as e:
            raise StorageError(f"could not delete {key}: {e}") from e

    async def read_chunks(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        s3 = await self._s3()
        try:
            obj = await s3.get_object(Bucket=self.bucket, Key=key)
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
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
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
        s3 = await self._s3()
        keys: list[str] = []
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if older_than is None or obj["LastModified"] < older_than:
                    keys.append(obj["Key"])
        return sorted(keys)

    def local_path(self, key: str) -> Path | None:
        return None

    def public_url(self, key: str) -> str:
        return f"{self.public_base_url}/{key}"

    async def presigned_url(self, key: str, *, filename: str | None = None) -> str | None:
        s3 = await self._s3()
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = _attachment(filename)
        url: str = await s3.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=self.presign_seconds
        )
        return url


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
