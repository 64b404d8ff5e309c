#!/usr/bin/env bash
# Benchmark org-insights against DuckDB: builds the release binary, installs
# DuckDB for Python, then runs bench/run.py with any arguments given
# (default: every tier in Parquet and in CSV, the median of three runs taking
# turns). Generated bundles are cached in ~/.cache/org-insights-bench; the L
# tier needs about 3 GB of disk in Parquet and about 8 GB in CSV.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/org-insights-target}"
cargo build --release --locked
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore duckdb
exec python3 bench/run.py "$@"
