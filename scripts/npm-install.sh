# Sourced by scripts/serve, scripts/test and scripts/devnet: `npm ci` a node package folder of
# the project when its node_modules is missing or older than its lockfile. The folders:
# frontend/ (browser code plyr serves locally, e.g. htmx) and devnet/ (the local AT Protocol
# network; its better-sqlite3 builds from source, ~100 s, as no prebuilt binary is downloaded
# offline: node-gyp needs the node headers, which the machine's nodejs package puts in
# /usr/include/node).

# npm_install DIR : `npm ci` in DIR unless DIR/node_modules is current.
npm_install() {
  local dir="$1"
  local stamp="$dir/node_modules/.npm-installed"
  if [ -f "$stamp" ] && [ ! "$dir/package-lock.json" -nt "$stamp" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    if declare -F apt_install >/dev/null; then
      apt_install nodejs npm || return 1
    else
      echo "npm_install: please install Node.js (20) and npm" >&2
      return 1
    fi
  fi
  echo "bootstrap: npm ci in $dir" >&2
  (
    cd "$dir" &&
      npm_config_nodedir="${npm_config_nodedir:-/usr}" \
        npm ci --no-audit --no-fund --loglevel=error >/dev/null
  ) || {
    echo "bootstrap: npm ci failed in $dir" >&2
    return 1
  }
  touch "$stamp"
}
