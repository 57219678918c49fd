"""Command line: `python -m infra.package <outdir> [--services-root DIR] [--service NAME ...]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .build import REPO, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("outdir", type=Path, help="output directory, e.g. build")
    parser.add_argument("--services-root", type=Path, default=REPO / "services",
                        help="directory holding one Chalice app per subdirectory (default: services/)")
    parser.add_argument("--service", action="append", dest="services", metavar="NAME",
                        help="package only this service (repeatable; default: every app under the root)")
    parser.add_argument("--stage", default="prod", help="chalice stage and PORTAL_STAGE (default: prod)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="services packaged at the same time")
    args = parser.parse_args(argv)
    return build(args.outdir, args.services_root, args.services, args.stage, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
