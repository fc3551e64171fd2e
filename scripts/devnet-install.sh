# Sourced by scripts/test and scripts/devnet: install devnet/'s node packages (the local AT
# Protocol network: PLC directory + PDS) when they are missing or older than the lockfile.
# better-sqlite3 builds from source (no prebuilt download offline): node-gyp needs the node
# headers, which the machine's nodejs package puts in /usr/include/node.

# devnet_install [DIR] : `npm ci` in DIR (default devnet) unless DIR/node_modules is current.
devnet_install() {
  local dir="${1:-devnet}"
  local stamp="$dir/node_modules/.devnet-installed"
  if [ -f "$stamp" ] && [ ! "$dir/package-lock.json" -nt "$stamp" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    if declare -F apt_install >/dev/null; then
      apt_install nodejs npm || return 1
    else
      echo "devnet: please install Node.js (20) and npm" >&2
      return 1
    fi
  fi
  echo "devnet: npm ci in $dir (better-sqlite3 builds from source, ~100 s)" >&2
  (
    cd "$dir" &&
      npm_config_nodedir="${npm_config_nodedir:-/usr}" \
        npm ci --no-audit --no-fund --loglevel=error >/dev/null
  ) || {
    echo "devnet: npm ci failed in $dir" >&2
    return 1
  }
  touch "$stamp"
}
