#!/usr/bin/env bash
# Installs the current LTS Node.js from the npm registry's node-linux-<arch> package into .ci/node-lts
# (once; later runs reuse it) and prints its bin directory. CI runs the test suite on it as well as on
# the machine's Node; see .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${NODE_LTS_VERSION:-26}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "node-lts: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
dir=".ci/node-lts"
bin="$dir/node_modules/node-linux-$arch/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" != "$version" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  # The package is the official build (bin/, include/ for native addons); no install script needed.
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node-linux-$arch@$version" >&2
fi
echo "$PWD/$bin"
