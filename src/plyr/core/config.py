"""Settings, read from the environment and a `.env` file (see the spec's configuration contract)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(Path("./data"), alias="PLYR_DATA_DIR")
    database_url: str | None = Field(None, alias="DATABASE_URL")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    public_url: str = Field("http://127.0.0.1:8000", alias="PLYR_PUBLIC_URL")
    plc_url: str = Field("https://plc.directory", alias="PLYR_PLC_URL")
    # Off in production: URLs that come from users (PDS endpoints, DID documents, blobs,
    # artwork) may then only reach public addresses. On for the devnet and the tests.
    allow_private_network: bool = Field(False, alias="PLYR_ALLOW_PRIVATE_NETWORK")
    # Overrides of the request rate limits, `name=limit,...` (see `plyr.core.ratelimit`)
    rate_limits: str = Field("", alias="PLYR_RATE_LIMITS")
    allow_app_passwords: bool = Field(False, alias="PLYR_ALLOW_APP_PASSWORDS")
    max_upload_mb: int = Field(1536, alias="PLYR_MAX_UPLOAD_MB")
    max_image_mb: int = Field(20, alias="PLYR_MAX_IMAGE_MB")
    secret_key: str | None = Field(None, alias="PLYR_SECRET_KEY")
    admin_dids: str = Field("", alias="PLYR_ADMIN_DIDS")
    # labelers whose labels this instance keeps and honours (`plyr labeler follow`)
    labelers: str = Field("", alias="PLYR_LABELERS")
    atproto_namespace: str = Field("fm.plyr", alias="PLYR_ATPROTO_NAMESPACE")
    # Services answering com.atproto.identity.resolveHandle, tried after DNS and well-known
    # (comma-separated; a local PDS for `.test` handles in development).
    handle_resolvers: str = Field("https://bsky.social", alias="PLYR_HANDLE_RESOLVERS")
    # PDSes where people may create an account from plyr's login page (comma-separated URLs)
    signup_pds_hosts: str = Field("", alias="PLYR_SIGNUP_PDS_HOSTS")
    # `plyr ingest` follows this subscribeRepos endpoint (a relay, or one PDS)
    firehose_url: str = Field("wss://bsky.network/xrpc", alias="PLYR_FIREHOSE_URL")
    # The OAuth scope plyr requests (space-separated); default: atproto, blobs and plyr's own
    # collections. E.g. a permission set: "atproto include:fm.plyr.authFullApp".
    oauth_scope: str | None = Field(None, alias="PLYR_OAUTH_SCOPE")

    storage_backend: Literal["local", "s3"] = Field("local", alias="STORAGE_BACKEND")
    s3_endpoint_url: str | None = Field(None, alias="S3_ENDPOINT_URL")
    s3_bucket: str = Field("plyr-media", alias="S3_BUCKET")
    s3_private_bucket: str | None = Field(None, alias="S3_PRIVATE_BUCKET")
    s3_access_key_id: str | None = Field(None, alias="S3_ACCESS_KEY_ID")
    s3_secret_access_key: str | None = Field(None, alias="S3_SECRET_ACCESS_KEY")
    s3_region: str = Field("us-east-1", alias="S3_REGION")
    public_media_base_url: str | None = Field(None, alias="PUBLIC_MEDIA_BASE_URL")
    # S3 allows up to 7 days
    presigned_url_seconds: int = Field(600, ge=1, le=604_800, alias="PLYR_PRESIGNED_URL_SECONDS")
    # Where browsers report Content-Security-Policy violations (the `report-uri` directive)
    csp_report_uri: str | None = Field(None, alias="PLYR_CSP_REPORT_URI")

    # Set to a path prefix (e.g. "/_media/") when nginx serves the media folder as an
    # `internal` location: /audio answers with X-Accel-Redirect and nginx pushes the bytes.
    accel_redirect_prefix: str | None = Field(None, alias="PLYR_ACCEL_REDIRECT_PREFIX")
    run_worker_in_process: bool | None = Field(None, alias="PLYR_IN_PROCESS_WORKER")
    queue_name: str = Field("plyr", alias="PLYR_QUEUE_NAME")
    worker_concurrency: int = Field(2, alias="PLYR_WORKER_CONCURRENCY")
    job_stale_after_s: int = Field(1800, alias="PLYR_JOB_STALE_AFTER_S")
    # A task whose worker died is handed to another worker after this long.
    redelivery_timeout_s: float = Field(300, alias="PLYR_REDELIVERY_TIMEOUT_S")
    default_hidden_tags: list[str] = Field(
        ["ai", "ai-slop", "suno"], alias="PLYR_DEFAULT_HIDDEN_TAGS"
    )
    # An operator's CLAP exported to ONNX (clap_audio.onnx, clap_text.onnx, tokenizer.json):
    # mood search in one audio-text space. Unset: mood search bridges through tags.
    clap_dir: Path | None = Field(None, alias="PLYR_CLAP_DIR")
    # Uploaded artwork the NSFW classifier scores at or above this is marked sensitive
    # (blurred) and queued for review; open_nsfw's customary cut-off.
    nsfw_threshold: float = Field(0.8, alias="PLYR_NSFW_THRESHOLD", ge=0.0, le=1.0)
    # AudD as a second re-upload scanner (plyr.moderation.fingerprint.audd); unset: off
    audd_api_token: str | None = Field(None, alias="PLYR_AUDD_API_TOKEN")
    # Admins are told of new moderation flags and reports: a JSON POST to this URL...
    notify_webhook_url: str | None = Field(None, alias="PLYR_NOTIFY_WEBHOOK_URL")
    # ... and a Bluesky DM from a bot account (its handle or DID, app password, PDS) to each
    # of these DIDs (default: PLYR_ADMIN_DIDS), through the chat service its PDS proxies to
    notify_dm_handle: str | None = Field(None, alias="PLYR_NOTIFY_DM_HANDLE")
    notify_dm_password: str | None = Field(None, alias="PLYR_NOTIFY_DM_APP_PASSWORD")
    notify_dm_pds_url: str = Field("https://bsky.social", alias="PLYR_NOTIFY_DM_PDS_URL")
    notify_dm_recipients: str = Field("", alias="PLYR_NOTIFY_DM_RECIPIENTS")
    notify_dm_chat_service: str = Field(
        "did:web:api.bsky.chat#bsky_chat", alias="PLYR_NOTIFY_DM_CHAT_SERVICE"
    )

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @field_validator("rate_limits")
    @classmethod
    def _valid_rate_limits(cls, v: str) -> str:
        from plyr.core.ratelimit import parse_rate_limits

        parse_rate_limits(v)  # a typo fails at start, not on the first request
        return v

    @model_validator(mode="after")
    def _s3_has_a_private_bucket(self) -> Settings:
        """Without it, private audio would sit in the public (CDN) bucket: refuse to start."""
        if self.storage_backend == "s3" and not self.s3_private_bucket:
            raise ValueError(
                "S3_PRIVATE_BUCKET is required with STORAGE_BACKEND=s3: private and "
                "supporter-only audio and exports live there (a bucket that is not public)"
            )
        if self.storage_backend == "s3" and self.s3_private_bucket == self.s3_bucket:
            raise ValueError("S3_PRIVATE_BUCKET must be another bucket than S3_BUCKET")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'plyr.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def private_media_dir(self) -> Path:
        """Private audio and exports: beside `media_dir`, so publishing that never leaks them."""
        return self.data_dir / "private"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_image_bytes(self) -> int:
        return self.max_image_mb * 1024 * 1024

    @property
    def docket_url(self) -> str:
        return self.redis_url or "memory://plyr"

    @property
    def in_process_worker(self) -> bool:
        """With no Redis the queue lives in this process, so this process must run it."""
        if self.run_worker_in_process is not None:
            return self.run_worker_in_process
        return self.redis_url is None

    @property
    def handle_resolver_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.handle_resolvers.split(",") if u.strip()]

    @property
    def signup_pds_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.signup_pds_hosts.split(",") if u.strip()]

    @property
    def admin_did_set(self) -> frozenset[str]:
        return frozenset(d.strip() for d in self.admin_dids.split(",") if d.strip())

    @property
    def labeler_dids(self) -> list[str]:
        return [d.strip() for d in self.labelers.split(",") if d.strip()]

    @property
    def notify_dm_recipient_dids(self) -> list[str]:
        chosen = [d.strip() for d in self.notify_dm_recipients.split(",") if d.strip()]
        return chosen or sorted(self.admin_did_set)

    @property
    def cookie_secure(self) -> bool:
        return self.public_url.startswith("https://")

    def ensure_dirs(self) -> None:
        for d in (self.data_dir, self.media_dir, self.tmp_dir):
            d.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated into the data dir on first run."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _create_once(path, secrets.token_urlsafe(48))
        return path.read_text().strip()


def _create_once(path: Path, text: str) -> None:
    """Write `text` to `path` unless another process got there first: a private temp file
    (0600 from the start) is linked into place, so readers never see a partial key and the
    loser of a race keeps the winner's."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


@lru_cache
def get_settings() -> Settings:
    return Settings()
