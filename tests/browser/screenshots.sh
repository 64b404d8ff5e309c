#!/usr/bin/env bash
# Remakes the README's screenshots (docs/report-light.png and
# docs/report-dark.png) from the sample bundle, reported on several days so
# that the tiles have trends. Needs what tests/browser.rs needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet
binary="${CARGO_TARGET_DIR:-target}/debug/org-insights"
for day in 2026-10-27 2026-10-30 2026-11-02 2026-11-05 2026-11-08 2026-11-09 2026-11-10; do
  "$binary" run --data fixtures/sample --out "$work/out" --as-of "$day" >/dev/null 2>&1
done
node tests/browser/check-report.mjs "$work/out/2026-11-10/index.html" "$work" >/dev/null
mkdir -p docs
cp "$work/desktop-light.png" docs/report-light.png
cp "$work/desktop-dark.png" docs/report-dark.png
echo "docs/report-light.png docs/report-dark.png"
