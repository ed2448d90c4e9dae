"""Run one benchmark on this tree and on a git revision of it, taking turns, in one command.

    .venv/bin/python -m bench.against main [--rounds 2] -- bench.bench_declare_to_channel \
        --parts burst,alone --skip-baseline

The revision's tree is exported (`git archive`) to a temporary folder and run with this
tree's virtualenv and this tree's `bench/` (the same measuring code on both sides; only the
code under test differs). Rounds alternate, and which side goes first alternates too (ABBA),
so both sides see the same moments of a busy machine; each output is printed under its
label with the load average when it started.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def export(revision: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(HERE), "archive", revision],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    shutil.rmtree(into / "bench")
    shutil.copytree(HERE / "bench", into / "bench",
                    ignore=shutil.ignore_patterns("__pycache__"))


def run(tree: Path, module: str, args: list[str]) -> str:
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=tree,
                          capture_output=True, text=True)
    return done.stdout + (done.stderr[-2000:] if done.returncode else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="what to compare with, e.g. main")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("module", help="the bench module, e.g. bench.bench_declare_to_channel")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    label = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", args.revision],
                           check=True, capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="vigilo-against-") as folder:
        base = Path(folder)
        export(args.revision, base)
        sides = [(f"{args.revision} ({label})", base), ("this tree", HERE)]
        for round_ in range(1, args.rounds + 1):
            # ABBA: going second (after the other side's writes, checkpoints, heat) is not
            # always the same side's lot.
            for name, tree in sides if round_ % 2 else sides[::-1]:
                load = " ".join(f"{x:.1f}" for x in os.getloadavg())
                print(f"=== round {round_}: {name}, load {load}", flush=True)
                print(run(tree, args.module, [a for a in args.args if a != "--"]), flush=True)


if __name__ == "__main__":
    main()
