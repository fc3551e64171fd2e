# Sourced by scripts/serve and scripts/test: install what a fresh machine lacks.
# Python 3.11+ with pip is the only prerequisite; everything else comes from here.
set -euo pipefail

export UV_PYTHON_DOWNLOADS=never
export PATH="$HOME/.local/bin:$PATH"

if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv" >&2
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
fi

# apt_install PKG... : install Debian packages when missing (needs root; otherwise say so).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: apt-get install ${missing[*]}" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
  else
    echo "bootstrap: please install ${missing[*]} (apt-get install ${missing[*]})" >&2
    return 1
  fi
}

# Compiled bytecode (.pyc) for the installed packages: some environments set
# PYTHONDONTWRITEBYTECODE, and then every process (each `plyr serve` a test starts) would
# compile atproto_client, sqlalchemy & co from source again: ~5 s instead of ~2 s to start.
uv sync --frozen --quiet --compile-bytecode

# install_pgvector: the `vector` extension for the local PostgreSQL server, which plyr's
# discovery uses when present (src/plyr/discovery/vectors). Debian bookworm does not package
# pgvector, so it is built from Debian trixie's source package against the installed server
# (~10 s on 2 cores): a private apt configuration fetches the source (the system's apt
# sources stay as they are), postgresql-server-dev-<major> comes from bookworm. Idempotent:
# nothing happens when the server's extension directory already has vector.control. Without
# a local server or root: says so and returns 0 (the pgvector tests then skip, or fail in CI).
install_pgvector() {
  local major
  major=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
    awk -F/ '{print $5}' | sort -V | tail -1) || true
  if [ -z "$major" ]; then
    echo "bootstrap: no local PostgreSQL server; skipping pgvector" >&2
    return 0
  fi
  [ -f "/usr/share/postgresql/$major/extension/vector.control" ] && return 0
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: please install pgvector for PostgreSQL $major (see install_pgvector)" >&2
    return 0
  fi
  echo "bootstrap: building pgvector for PostgreSQL $major from Debian trixie's source" >&2
  apt_install "postgresql-server-dev-$major" make gcc
  local work rc=0
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial" "$work/parts"
  cat >"$work/trixie.sources" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # the _apt sandbox user cannot write into a root-owned temporary directory: unsandboxed
  local apt_private=(-qq -o "Dir::Etc::SourceList=$work/trixie.sources"
    -o "Dir::Etc::SourceParts=$work/parts" -o "Dir::State::Lists=$work/lists"
    -o APT::Sandbox::User=root)
  (
    cd "$work"
    apt-get "${apt_private[@]}" update >/dev/null
    apt-get "${apt_private[@]}" source --download-only pgvector >/dev/null
    tar -xzf pgvector_*.orig.tar.gz
    cd pgvector-*/
    # with_llvm=no: no clang bitcode; OPTFLAGS="": no -march=native, the build is portable
    make -s with_llvm=no OPTFLAGS="" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" \
      -j"$(nproc)" >/dev/null
    make -s with_llvm=no PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" install >/dev/null
  ) || rc=$?
  rm -rf "$work"
  [ "$rc" -eq 0 ] || echo "bootstrap: building pgvector failed" >&2
  return "$rc"
}
