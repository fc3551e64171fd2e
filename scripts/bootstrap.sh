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

uv sync --frozen --quiet
