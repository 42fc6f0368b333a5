#!/bin/sh
# Rebuild the vendored plotly.js bundle: plotly.js's lib/core plus only the trace types the
# app draws (plotly-build/entry.js), bundled and minified by esbuild from the npm registry's
# packages at the versions plotly-build/package.json and its lock pin.
#
#   sh static/vendor/build-plotly.sh        (from anywhere; needs node and npm)
#
# The build runs in a scratch folder that is removed afterwards; only the bundle lands here,
# named after the plotly.js version that reports/vendor.py names (the one place the app reads
# it from; tests/reports/test_plotly_bundle.py checks package.json agrees).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$(sed -n 's/^PLOTLY_VERSION = "\(.*\)"$/\1/p' "$root/reports/vendor.py")
pinned=$(node -p 'require(process.argv[1]).devDependencies["plotly.js"]' "$here/plotly-build/package.json")
if [ "$version" != "$pinned" ]; then
    echo "reports/vendor.py names plotly.js $version but plotly-build/package.json pins $pinned" >&2
    exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$here/plotly-build/package.json" "$here/plotly-build/package-lock.json" \
    "$here/plotly-build/entry.js" "$scratch/"
cd "$scratch"
npm ci --no-audit --no-fund --loglevel=error
# --loader:.css=empty: the only stylesheet plotly.js imports is maplibre's, for map traces,
# which this bundle does not hold. plotly's own style rules are in plotly-<version>.css.
npx --no-install esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
    --target=es2016 --define:global=window --define:define.amd=false --legal-comments=none \
    --loader:.css=empty --log-level=warning --outfile="$scratch/plotly.min.js"

out="$here/plotly-custom-$version.min.js"
mv "$scratch/plotly.min.js" "$out"
echo "wrote $out: $(wc -c <"$out") bytes, $(gzip -9c "$out" | wc -c) gzipped"
