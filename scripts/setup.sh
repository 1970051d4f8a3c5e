#!/usr/bin/env bash
# Installs everything Ambit needs on a fresh Debian machine (run as root), idempotently:
# system packages, pnpm, the pinned Node 24 runtime and dependencies (pnpm install), the native
# addon (built by node-gyp during install), and an `ambit` command on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

need_pkgs=(nftables iproute2 dnsmasq-base curl dnsutils containernetworking-plugins iperf3 util-linux procps psmisc python3 make g++
  nghttp2-client wrk haproxy)  # the last line: load generators and the C peer of test/bench/mesh.ts
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm"
  npm install -g --no-fund --no-audit pnpm@10 >/dev/null
fi

echo "setup: installing dependencies (pinned Node runtime, native addon)"
CI=true pnpm install --frozen-lockfile --reporter=silent

# The `ambit` command: the CLI on the pinned runtime.
cat > /usr/local/bin/ambit <<WRAP
#!/bin/sh
export NODE_COMPILE_CACHE="\${NODE_COMPILE_CACHE:-$root/node_modules/.cache/ambit-node-compile}"
exec "$root/node_modules/node/bin/node" "$root/packages/cli/src/main.ts" "\$@"
WRAP
chmod +x /usr/local/bin/ambit
echo "setup: done ($("$root/node_modules/node/bin/node" --version), pnpm $(pnpm --version))"
