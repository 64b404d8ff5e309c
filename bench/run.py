"""Benchmark: org-insights against DuckDB on the same bundles, in one run.

Generates each tier once (cached under ~/.cache/org-insights-bench), then
for each tier times `org-insights run` and DuckDB computing the same twelve
insights (bench/duckdb_insights.py) on the same files, both under
/usr/bin/time -v, taking turns, checks that every figure agrees, and prints
a Markdown table: the median wall time, the highest peak resident memory
and the ratio org-insights / DuckDB. Each tier has a Parquet and a CSV
form (`M` and `Mcsv`), each with its DuckDB run.

With --baseline BINARY, another build of org-insights (say, the one
before a change) takes turns too, and its ratio is printed beside.

A CSV tier also has derived forms, named `<tier>+<form>` (say
`Mcsv+quoted`): the same rows with activity rewritten as FORMS says, to
measure what a spelling the contract allows costs against the canonical
file (`Mcsv`) in the same run.

Usage: python3 bench/run.py [--tiers S,Scsv,M,Mcsv,L,Lcsv,Mcsv+quoted,...]
                            [--repeat N] [--baseline BINARY]
Run through bench/run.sh, which builds the release binary and installs
DuckDB first.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BINARY = os.path.join(TARGET, "release", "org-insights")
CACHE = os.path.expanduser("~/.cache/org-insights-bench")
END = "2026-10-31"

# name: (accounts, events, format)
TIERS = {
    "S": (10_000, 1_000_000, "parquet"),
    "Scsv": (10_000, 1_000_000, "csv"),
    "M": (100_000, 10_000_000, "parquet"),
    "Mcsv": (100_000, 10_000_000, "csv"),
    "L": (1_000_000, 100_000_000, "parquet"),
    "Lcsv": (1_000_000, 100_000_000, "csv"),
}


# Derived forms of a CSV tier's activity.csv, line by line (the header is
# line 0; `last` is whether the line is the file's last):
# - quoted: every field in double quotes, as Excel, pandas or a BI export write it;
# - awkward: upper-case products, surfaces and actions, every cell padded,
#   booleans as Yes/1/TRUE and No/0/FALSE;
# - oddend: canonical, but the last line's product in capitals (valid);
# - badend: canonical, but the last line's account_id blank, a row the
#   contract sets aside (and DuckDB joins to no account, so the figures agree).
FORMS = ("quoted", "awkward", "oddend", "badend")
TRUE_SPELLINGS = ("Yes", "1", "TRUE")
FALSE_SPELLINGS = ("No", "0", "FALSE")


def rewrite(form, header, cells, n, last):
    if form == "quoted":
        return ['"' + c.replace('"', '""') + '"' for c in cells]
    if form == "awkward":
        out = []
        for name, cell in zip(header, cells):
            if name in ("product", "surface", "action"):
                cell = cell.upper()
            elif name == "success" and cell:
                cell = (TRUE_SPELLINGS if cell == "true" else FALSE_SPELLINGS)[n % 3]
            out.append(f" {cell} ")
        return out
    if last and form == "oddend":
        return [c.upper() if name == "product" else c for name, c in zip(header, cells)]
    if last and form == "badend":
        return ["" if name == "account_id" else c for name, c in zip(header, cells)]
    return cells


def derived(tier):
    """A copy of a CSV tier with its activity in one of FORMS."""
    base, form = tier.split("+")
    source = bundle(base)
    path = os.path.join(CACHE, tier)
    marker = os.path.join(path, ".complete")
    if os.path.exists(marker):
        return path
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    print(f"deriving {tier}", file=sys.stderr)
    for name in os.listdir(source):
        if name not in ("activity.csv", ".complete"):
            shutil.copy(os.path.join(source, name), os.path.join(path, name))
    with open(os.path.join(source, "activity.csv")) as lines, \
            open(os.path.join(path, "activity.csv"), "w") as out:
        header = lines.readline().rstrip("\n").split(",")
        out.write(",".join(rewrite(form, header, header, 0, False) if form == "quoted" else header) + "\n")
        previous = None
        for n, line in enumerate(lines, 1):
            if previous is not None:
                out.write(",".join(rewrite(form, header, previous[1], previous[0], False)) + "\n")
            previous = (n, line.rstrip("\n").split(","))
        if previous is not None:
            out.write(",".join(rewrite(form, header, previous[1], previous[0], True)) + "\n")
    open(marker, "w").close()
    return path


def bundle(tier):
    if "+" in tier:
        return derived(tier)
    accounts, events, fmt = TIERS[tier]
    path = os.path.join(CACHE, tier)
    marker = os.path.join(path, ".complete")
    if not os.path.exists(marker):
        shutil.rmtree(path, ignore_errors=True)
        print(f"generating {tier}: {accounts} accounts, {events} events ({fmt})", file=sys.stderr)
        subprocess.run(
            [BINARY, "generate", "--accounts", str(accounts), "--events", str(events),
             "--format", fmt, "--seed", "7", "--end", END, "--out", path],
            check=True, stdout=subprocess.DEVNULL,
        )
        open(marker, "w").close()
    return path


def timed(command, env=None):
    """Wall seconds and peak RSS (MiB) of a command, with /usr/bin/time -v."""
    started = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=env
    )
    wall = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return wall, rss / 1024


def median_of_each(repeat, commands):
    """The median time and the highest peak of each (command, env) pair,
    run in turn `repeat` times: this machine's speed drifts over minutes,
    and taking turns lets the drift touch every command alike."""
    runs = [[] for _ in commands]
    for _ in range(repeat):
        for kept, (command, env) in zip(runs, commands):
            kept.append(timed(command, env))
    return [(statistics.median(r[0] for r in kept), max(r[1] for r in kept)) for kept in runs]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiers", default="S,Scsv,M,Mcsv,L,Lcsv")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="another org-insights binary to time beside")
    args = parser.parse_args()
    tiers = args.tiers.split(",")

    import duckdb  # noqa: F401  (fail early when it is missing)

    rows = []
    for tier in tiers:
        data = bundle(tier)
        with tempfile.TemporaryDirectory() as scratch:
            out = os.path.join(scratch, "out")
            env = dict(os.environ, RUST_LOG="warn")
            peer_json = os.path.join(scratch, "duckdb.json")
            commands = [
                ([BINARY, "run", "--data", data, "--out", out, "--as-of", END], env),
                ([sys.executable, os.path.join(ROOT, "bench", "duckdb_insights.py"), data, END, peer_json], None),
            ]
            if args.baseline:
                before = os.path.join(scratch, "before")
                commands.append(([args.baseline, "run", "--data", data, "--out", before, "--as-of", END], env))
            measured = median_of_each(args.repeat, commands)
            ours, peer = measured[0], measured[1]
            base = measured[2] if args.baseline else None
            report = json.load(open(os.path.join(out, END, "insights.json")))["insights"]
            expected = json.load(open(peer_json))
        differing = [key for key in expected if expected[key] != report.get(key)]
        if differing:
            sys.exit(f"tier {tier}: org-insights and DuckDB disagree on {differing}")
        rows.append((tier, ours, peer, base))
        print(f"{tier}: org-insights {ours[0]:.2f} s {ours[1]:.0f} MiB, DuckDB {peer[0]:.2f} s {peer[1]:.0f} MiB: same figures", file=sys.stderr)

    import duckdb as d
    print(f"\nMachine: {os.cpu_count()} cores, {platform.machine()}, {platform.platform()}; "
          f"DuckDB {d.__version__}; median of {args.repeat} runs taking turns; {time.strftime('%Y-%m-%d')}\n")
    baseline = " | baseline | baseline ratio" if args.baseline else ""
    print(f"| tier | accounts | events | format | org-insights | peak | DuckDB | peak | time ratio | memory ratio{baseline} |")
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if args.baseline else ""))
    for tier, ours, peer, base in rows:
        accounts, events, fmt = TIERS[tier.split("+")[0]]
        fmt = fmt + (f", {tier.split('+')[1]}" if "+" in tier else "")
        extra = f" | {base[0]:.2f} s | {base[0] / peer[0]:.2f}" if base else ""
        print(f"| {tier} | {accounts:,} | {events:,} | {fmt} | {ours[0]:.2f} s | {ours[1]:.0f} MiB | "
              f"{peer[0]:.2f} s | {peer[1]:.0f} MiB | {ours[0] / peer[0]:.2f} | {ours[1] / peer[1]:.2f}{extra} |")


if __name__ == "__main__":
    main()
