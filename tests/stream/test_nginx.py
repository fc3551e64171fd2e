"""Behind nginx: plyr decides who may listen, nginx sends the bytes (X-Accel-Redirect)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.audio.media import make_audio
from tests.helpers import finished, poll_sync
from tests.servers import dev_token, free_port, plyr_env, running_plyr, stop, wait_until_up
from tests.services import missing

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
    location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_set_header Host $http_host; }}
  }}
}}
"""


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        missing("nginx (apt-get install nginx)")
    data, root = tmp_path / "data", tmp_path / "nginx"
    root.mkdir()
    port, upstream = free_port(), free_port()
    public = f"http://127.0.0.1:{port}"
    env = plyr_env(data, PLYR_PUBLIC_URL=public, PLYR_ACCEL_REDIRECT_PREFIX="/_media/")
    token = dev_token(env)
    user = "user root root;" if os.geteuid() == 0 else ""
    (root / "nginx.conf").write_text(
        NGINX_CONF.format(user=user, root=root, port=port, upstream=upstream, media=data / "media")
    )
    with running_plyr(env, upstream):
        proxy = subprocess.Popen([nginx, "-c", str(root / "nginx.conf"), "-p", str(root)])
        try:
            wait_until_up(f"{public}/health", proxy)
            yield public, token, tmp_path
        finally:
            stop(proxy)


def test_nginx_serves_ranges_of_what_plyr_allows(behind_nginx: tuple[str, str, Path]) -> None:
    base, token, tmp_path = behind_nginx
    auth = {"Authorization": f"Bearer {token}"}
    source = make_audio(tmp_path / "s.mp3", "mp3", seconds=2)
    data = source.read_bytes()
    with httpx.Client(base_url=base, timeout=30) as client:
        upload = client.post(
            "/tracks/", headers=auth, data={"title": "via nginx"}, files={"file": ("s.mp3", data)}
        )
        assert upload.status_code == 202, upload.text
        job_id = upload.json()["upload_id"]
        job_url = f"/jobs/{job_id}"
        job = poll_sync(lambda: finished(client.get(job_url, headers=auth).json()), timeout=30)
        assert job["status"] == "completed", job
        file_id = client.get(f"/tracks/{job['track_id']}").json()["file_id"]

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
