"""Behind nginx: plyr decides who may listen, nginx sends the bytes (X-Accel-Redirect)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.audio.media import make_audio
from tests.helpers import finished, poll_sync
from tests.servers import dev_token, free_port, plyr_env, running_plyr, stop, wait_until_up
from tests.services import missing

AUDIO_TYPES = "audio/mpeg mp3; audio/wav wav; audio/mp4 m4a; audio/aiff aiff; audio/flac flac; "
AUDIO_TYPES += "audio/ogg ogg opus; audio/webm webm;"

NGINX_CONF = """
{user}
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
daemon off;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {root}/body; proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fcgi; uwsgi_temp_path {root}/uwsgi; scgi_temp_path {root}/scgi;
  sendfile on;
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 100m;
    location /_media/ {{
      internal; alias {media}/;
      # nginx keeps only a few of plyr's headers across X-Accel-Redirect: these it must add
      add_header X-Content-Type-Options nosniff always;
      add_header Content-Security-Policy "default-src 'none'; sandbox" always;
      add_header Referrer-Policy strict-origin-when-cross-origin always;
    }}
    location /_media/private/ {{
      internal; alias {private}/;
      add_header X-Content-Type-Options nosniff always;
      add_header Content-Security-Policy "default-src 'none'; sandbox" always;
      add_header Referrer-Policy strict-origin-when-cross-origin always;
    }}
    # public audio, straight from the media folder (PUBLIC_MEDIA_BASE_URL=<origin>/media):
    # only content-addressed audio names, only audio types
    location ~ "^/media/audio/([0-9a-f]{{16}}\\.(mp3|wav|m4a|aiff|flac|ogg|opus|webm))$" {{
      alias {media}/audio/$1;
      types {{ {types} }}
      default_type application/octet-stream;
      add_header Cache-Control "public, max-age=31536000, immutable" always;
      add_header X-Content-Type-Options nosniff always;
      add_header Content-Security-Policy "default-src 'none'; sandbox" always;
      add_header Referrer-Policy strict-origin-when-cross-origin always;
    }}
    location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_set_header Host $http_host; }}
  }}
}}
"""


@contextmanager
def plyr_behind_nginx(tmp_path: Path, **settings: str) -> Iterator[tuple[str, str, Path]]:
    """plyr with X-Accel-Redirect (and `settings`) behind nginx: (nginx URL, token, data)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        missing("nginx (apt-get install nginx)")
    data, root = tmp_path / "data", tmp_path / "nginx"
    root.mkdir()
    port, upstream = free_port(), free_port()
    public = f"http://127.0.0.1:{port}"
    overrides = {"PLYR_PUBLIC_URL": public, "PLYR_ACCEL_REDIRECT_PREFIX": "/_media/"}
    env = plyr_env(data, **overrides, **{k: v.format(public=public) for k, v in settings.items()})
    token = dev_token(env)
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = NGINX_CONF.format(
        user=user,
        root=root,
        port=port,
        upstream=upstream,
        media=data / "media",
        private=data / "private",
        types=AUDIO_TYPES,
    )
    (root / "nginx.conf").write_text(conf)
    with running_plyr(env, upstream):
        proxy = subprocess.Popen([nginx, "-c", str(root / "nginx.conf"), "-p", str(root)])
        try:
            wait_until_up(f"{public}/health", proxy)
            yield public, token, data
        finally:
            stop(proxy)


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    with plyr_behind_nginx(tmp_path) as running:
        yield running


@pytest.fixture
def published_media(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """nginx publishes the media folder at /media/: plyr redirects public audio there."""
    with plyr_behind_nginx(tmp_path, PUBLIC_MEDIA_BASE_URL="{public}/media") as running:
        yield running


def upload(
    client: httpx.Client, auth: dict[str, str], data: bytes, **fields: str
) -> tuple[int, str]:
    """Upload through nginx, wait for the job, return the track's id and file_id."""
    upload = client.post("/tracks/", headers=auth, data=fields, files={"file": ("s.mp3", data)})
    assert upload.status_code == 202, upload.text
    job_url = f"/jobs/{upload.json()['upload_id']}"
    job = poll_sync(lambda: finished(client.get(job_url, headers=auth).json()), timeout=30)
    assert job["status"] == "completed", job
    track = client.get(f"/tracks/{job['track_id']}", headers=auth).json()
    return track["id"], track["file_id"]


def test_nginx_serves_ranges_of_what_plyr_allows(behind_nginx: tuple[str, str, Path]) -> None:
    base, token, data_dir = behind_nginx
    auth = {"Authorization": f"Bearer {token}"}
    source = make_audio(data_dir.parent / "s.mp3", "mp3", seconds=2)
    data = source.read_bytes()
    with httpx.Client(base_url=base, timeout=30) as client:
        _, file_id = upload(client, auth, data, title="via nginx")

        ranged = client.get(f"/audio/{file_id}", headers={"Range": "bytes=1000-1999"})
        assert ranged.status_code == 206
        assert ranged.content == data[1000:2000]
        assert ranged.headers["content-type"] == "audio/mpeg"
        assert ranged.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "x-accel-redirect" not in ranged.headers
        # the security headers, added by the internal location (a deployment needs the same)
        assert ranged.headers["x-content-type-options"] == "nosniff"
        assert ranged.headers["content-security-policy"].endswith("sandbox")
        assert client.get(f"/audio/{file_id}").content == data
        assert client.get("/_media/audio/" + f"{file_id}.mp3").status_code == 404  # internal only
        assert client.get("/audio/0000000000000000").status_code == 404


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def assert_range_from_nginx(response: httpx.Response, data: bytes, cache: str) -> None:
    assert response.status_code == 206, response.text
    assert response.content == data[1000:2000]
    assert response.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["cache-control"] == cache
    assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS


def test_public_audio_is_a_redirect_to_the_published_folder(
    published_media: tuple[str, str, Path],
) -> None:
    """/audio answers 307 for a public track and nginx alone sends the bytes (ranges, audio
    type, security headers, immutable caching); downloads keep the X-Accel path."""
    base, token, data_dir = published_media
    auth = {"Authorization": f"Bearer {token}"}
    data = make_audio(data_dir.parent / "s.mp3", "mp3", seconds=2).read_bytes()
    with httpx.Client(base_url=base, timeout=30) as client:
        _, file_id = upload(client, auth, data, title="published")
        redirect = client.get(f"/audio/{file_id}", headers={"Range": "bytes=1000-1999"})
        assert redirect.status_code == 307
        static = f"{base}/media/audio/{file_id}.mp3"
        assert redirect.headers["location"] == static
        assert redirect.headers["cache-control"] == "no-store"

        ranged = client.get(static, headers={"Range": "bytes=1000-1999"})
        assert_range_from_nginx(ranged, data, "public, max-age=31536000, immutable")
        assert ranged.headers["etag"] != f'"{file_id}"'  # nginx's own: plyr never saw it
        assert client.get(static).content == data
        assert client.head(static).headers["content-length"] == str(len(data))

        download = client.get(f"/audio/{file_id}/download")
        assert download.status_code == 200 and download.content == data
        assert download.headers["content-disposition"].startswith("attachment")
        # only content-addressed audio names are published
        (data_dir / "media" / "audio" / "0123456789abcdef.html").write_text("<script>")
        assert client.get("/media/audio/0123456789abcdef.html").status_code == 404
        assert client.get(f"/media/audio/.{file_id}.mp3.1.part").status_code == 404


def test_private_audio_is_never_in_the_published_folder(
    published_media: tuple[str, str, Path],
) -> None:
    """Private and supporter-only audio lives outside the media folder nginx publishes, is
    sent only through X-Accel to its owner, and moves when the visibility changes."""
    base, token, data_dir = published_media
    auth = {"Authorization": f"Bearer {token}"}
    data = make_audio(data_dir.parent / "s.mp3", "mp3", seconds=2).read_bytes()
    with httpx.Client(base_url=base, timeout=30) as client:
        track_id, file_id = upload(client, auth, data, title="secret", visibility="private")
        name = f"audio/{file_id}.mp3"
        static = f"/media/{name}"
        assert (data_dir / "private" / name).read_bytes() == data
        assert not (data_dir / "media" / name).exists()
        assert client.get(static).status_code == 404
        assert client.get(f"/audio/{file_id}").status_code == 404  # not its owner

        def owner_range() -> httpx.Response:
            return client.get(f"/audio/{file_id}", headers={"Range": "bytes=1000-1999", **auth})

        assert_range_from_nginx(owner_range(), data, "private, max-age=3600")

        def set_visibility(visibility: str, static_status: int) -> None:
            edited = client.patch(
                f"/tracks/{track_id}", data={"visibility": visibility}, headers=auth
            )
            assert edited.status_code == 200, edited.text
            # the move runs right after the commit, as a task
            poll_sync(
                lambda: client.get(static).status_code == static_status,
                what=f"{static} answering {static_status}",
            )

        set_visibility("public", 200)
        assert client.get(f"/audio/{file_id}").headers["location"] == base + static
        assert not (data_dir / "private" / name).exists()

        set_visibility("supporters", 404)
        assert (data_dir / "private" / name).read_bytes() == data
        assert not (data_dir / "media" / name).exists()
        assert client.get(f"/audio/{file_id}").status_code == 404
        assert_range_from_nginx(owner_range(), data, "private, max-age=3600")
