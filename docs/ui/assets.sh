#!/usr/bin/env bash
# Fetches Swagger UI (swagger-ui-dist, pinned in package-lock.json) from the
# npm registry and copies the few files meetd embeds for GET /api/v1/docs
# into docs/ui/dist/ (not committed). gateway/CMakeLists.txt embeds them.
# Run by `make docs-assets`; does nothing when dist/ is newer than the lock.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
exec 9>"$here/.assets.lock"
flock 9
stamp=dist/.stamp
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ "$stamp" -nt assets.sh ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "assets.sh: npm not found (make deps installs it)" >&2; exit 1; }
# --ignore-scripts: @scarf/scarf, a dependency of swagger-ui-dist, would
# otherwise send install analytics.
SCARF_ANALYTICS=false npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
src=node_modules/swagger-ui-dist
mkdir -p dist
# Source maps are not served; drop the comment so browsers do not ask.
sed '/sourceMappingURL=/d' "$src/swagger-ui.css" > dist/swagger-ui.css
sed '/sourceMappingURL=/d' "$src/swagger-ui-bundle.js" > dist/swagger-ui-bundle.js
cp "$src/favicon-32x32.png" dist/favicon-32x32.png
touch "$stamp"
echo "docs assets: swagger-ui-dist $(node -p "require('./$src/package.json').version") in docs/ui/dist"
