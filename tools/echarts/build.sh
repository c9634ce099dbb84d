#!/usr/bin/env bash
# Rebuild the cockpit's ECharts bundle: only the chart types and components cockpit.js draws with
# (see entry.js). Needs Node.js and the npm registry; the output is vendored, so nothing is fetched at
# run time. Usage: tools/echarts/build.sh  (writes src/shucang/web/static/vendor/echarts-5.6.0-cockpit.min.js)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
cp "$here/entry.js" "$work/"
cd "$work"
npm init -y >/dev/null
npm install --silent echarts@5.6.0 esbuild@0.24.0
./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --target=es2018 \
  --outfile="$here/../../src/shucang/web/static/vendor/echarts-5.6.0-cockpit.min.js"
