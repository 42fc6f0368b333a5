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

# Nothing in the bundle may point outside the app (offline hospital networks, CSP 'self'):
# the geo traces' topojson default, the "send to Chart Studio" button's server and the plotly
# logo's link (the app hides the logo and both buttons, but the defaults still named plotly's
# hosts) now point at the app, and the documentation links inside attribute descriptions and
# error messages lose their scheme (text, never fetched). Only XML namespace identifiers keep
# http:// (the DOM needs them exactly; nothing is fetched from them).
# tests/reports/test_plotly_bundle.py fails on any other address. (The patterns name the
# topojson host by shape, so that this script itself names no outside address.)
sed -i \
    -e 's#"https://[a-z]*[.]plot[.]ly/un/"#"/static/vendor/plotly-topojson/"#g' \
    -e 's#"https://cloud.plotly.com/newchart"#"/"#g' \
    -e 's#"https://plotly.com/"#"/"#g' \
    -e 's#are fetched from [a-z]*[.]plot[.]ly[.]#are fetched from the app (/static/vendor/plotly-topojson/).#' \
    -E -e 's#https?://((jse\.amstat\.org|developer\.mozilla\.org|github\.com|plotly\.com|sites\.google\.com|www\.w3\.org/TR)/)#\1#g' \
    "$scratch/plotly.min.js"

out="$here/plotly-custom-$version.min.js"
mv "$scratch/plotly.min.js" "$out"
echo "wrote $out: $(wc -c <"$out") bytes, $(gzip -9c "$out" | wc -c) gzipped"
