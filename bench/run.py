"""Every benchmark in one run, one table: `python bench/run.py [--runs N] [--only NAME ...]`.

Each benchmark module offers `rows(runs) -> list[Row]` (see harness.py); they run one after the
other, never at the same time, so that they do not measure each other.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE.parent / "tests"), str(HERE)]

from harness import table  # noqa: E402

BENCHMARKS = ("generate", "diff", "check", "zookeeper_scan", "daemon")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="samples per side (default %(default)s)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=BENCHMARKS, metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)})")
    args = parser.parse_args()
    rows = []
    for name in args.only:
        print(f"running bench/{name}.py ...", file=sys.stderr, flush=True)
        rows.extend(importlib.import_module(name).rows(args.runs))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
