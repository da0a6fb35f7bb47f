#!/usr/bin/env bash
# Installs the real agent CLIs pinned in test/agents/package.json (+ package-lock.json) for
# test/agents/*.test.ts. Quick when already installed: skipped while node_modules matches the lock.
set -euo pipefail
cd "$(dirname "$0")"
lock_hash() { sha256sum package-lock.json | cut -d' ' -f1; }
stamp=node_modules/.install-stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(lock_hash)" ] \
   && [ -x node_modules/.bin/claude ] && [ -x node_modules/.bin/codex ] && [ -x node_modules/.bin/opencode ] && [ -x node_modules/.bin/gemini ]; then
  echo "test/agents: CLIs already installed"
  exit 0
fi
# `npm ci` refuses when a registry lacks some other platform's optional package of opencode-ai
# (the lock then cannot list it); fall back to an install that follows the lock without writing it.
if ! npm ci --no-audit --no-fund --loglevel=error 2>/tmp/agents-npm-ci.$$.log; then
  echo "test/agents: npm ci refused ($(grep -m1 -o 'Missing: [^ ]*' /tmp/agents-npm-ci.$$.log || tail -1 /tmp/agents-npm-ci.$$.log)); installing from the lock with npm install --no-save"
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
rm -f /tmp/agents-npm-ci.$$.log
lock_hash > "$stamp"
echo "test/agents: claude $(node_modules/.bin/claude --version 2>/dev/null | head -1), codex $(node_modules/.bin/codex --version 2>/dev/null | head -1), opencode $(node_modules/.bin/opencode --version 2>/dev/null | head -1), gemini $(node_modules/.bin/gemini --version 2>/dev/null | head -1)"
