#!/usr/bin/python3
"""Thread scaling of citytwin's benchmarks on one machine: the same runs on 1, 2, 4, ... threads.

Parts (--parts, all by default):

  mobility    the queue model on the SUMO grids of compare_sumo.py (<build>/mobility-bench/,
              generated there by compare_sumo.py; a grid whose files are missing is skipped):
              the loop alone (citytwin_bench_mobility, best of --repeat processes) and the whole
              `citytwin run scenarios/sumo-import.toml` process, signals off and on
  metropolis  `citytwin run scenarios/metropolis.toml`: a day of 1.05 M residents, wall time and
              peak memory (once per thread count: it takes tens of seconds)
  bikeshare   citytwin_bench_bikeshare --threads LIST (its own table)
  solar       citytwin_bench_solar --sizes 1000,10000 --threads LIST --no-year (its own table)
  energy      citytwin_bench_energy, the step of the generated network of 877 buses on 1 to 16
              threads (its own table)

For the `citytwin run` parts it also checks that the results are the same on every thread count:
every dataset of the HDF5 file bit for bit (the run's attributes, which hold the thread count and
the times, are not compared). Peak memory is the process's maximum resident set (wait4).

  /usr/bin/python3 benchmarks/thread_scaling.py --build build [--threads 1,2,4,8,16]
      [--parts mobility,metropolis,bikeshare,solar,energy] [--repeat 3] [--work DIR]

Prints a table per part; speed-up is against the first thread count given.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks" / "mobility"))
from compare_sumo import citytwin_cmd  # noqa: E402  (the `citytwin run` of the SUMO grids)
# the SUMO grids of benchmarks/mobility/compare_sumo.py: (junctions per side, trips, run length)
GRIDS = ((20, 10_000, 7200), (50, 50_000, 9000))
PARTS = ("mobility", "metropolis", "bikeshare", "solar", "energy")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_with_peak(cmd, env=None):
    """Runs cmd; returns (wall s, peak RSS bytes, stdout) with the child's own rusage (wait4)."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"citytwin_scaling_{os.getpid()}.out"
    with open(out_path, "w+") as out, subprocess.Popen(cmd, env=env, stdout=out,
                                                        stderr=subprocess.STDOUT) as proc:
        t0 = time.perf_counter()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    out_path.unlink()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{text}")
    return wall, usage.ru_maxrss * 1024, text


def datasets(path):
    """{name: bytes} of every dataset of an HDF5 file (values only, attributes left out)."""
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                value = np.asarray(obj[()])
                found[name] = (value.dtype.str, value.shape,
                               value.tobytes() if value.dtype.kind != "O" else repr(value.tolist()))
        f.visititems(visit)
    return found


def same_results(reference, path):
    """'identical' or the names of the datasets that differ from the reference's."""
    other = datasets(path)
    differ = sorted(set(reference) ^ set(other)) + sorted(
        n for n in set(reference) & set(other) if reference[n] != other[n])
    return "identical" if not differ else "DIFFER: " + ", ".join(differ[:5])


def env_threads(threads):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    env.setdefault("OMP_PROC_BIND", "close")
    return env


def print_table(title, header, rows):
    print(f"\n== {title}")
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header] + rows:
        print("  " + "  ".join(str(x).rjust(w) for x, w in zip(row, widths)))


# ---------------------------------------------------------------------------------------------

def part_mobility(build, threads, repeat, work):
    cache = build / "mobility-bench"
    for n, trips, duration_s in GRIDS:
        net, routes = cache / f"grid{n}.net.xml", cache / f"grid{n}_{trips}.rou.xml"
        if not (net.exists() and routes.exists()):
            log(f"mobility: {net} or {routes} missing (run compare_sumo.py once): skipped")
            continue
        log(f"mobility {n} x {n}: citytwin_bench_mobility")
        loop = {}
        for _ in range(repeat):
            _, _, text = run_with_peak([str(build / "bin" / "citytwin_bench_mobility"), str(net),
                                        str(routes), "--json", "--threads",
                                        ",".join(map(str, threads)), "--signals", "off,on"])
            for r in json.loads(text)["runs"]:
                key = (r["threads"], r["signals"])
                loop[key] = min(loop.get(key, float("inf")), r["loop_wall_s"])
        whole, peak, check = {}, {}, {}
        for signals in (False, True):
            reference = None
            for t in threads:
                log(f"mobility {n} x {n}: citytwin run, signals {'on' if signals else 'off'}, {t} threads")
                out = work / f"scaling_grid{n}.h5"
                best = float("inf")
                for _ in range(repeat):
                    w, p, _ = run_with_peak(citytwin_cmd(build, "run", net, routes, signals, duration_s,
                                                         t, out), env=env_threads(t))
                    best = min(best, w)
                    peak[(t, signals)] = max(peak.get((t, signals), 0), p)
                whole[(t, signals)] = best
                if reference is None:
                    reference = datasets(out)
                    check[(t, signals)] = "reference"
                else:
                    check[(t, signals)] = same_results(reference, out)
                out.unlink()
        rows = []
        for t in threads:
            rows.append([t, f"{loop[(t, False)] * 1e3:.1f}", f"{loop[(threads[0], False)] / loop[(t, False)]:.2f}x",
                         f"{loop[(t, True)] * 1e3:.1f}", f"{loop[(threads[0], True)] / loop[(t, True)]:.2f}x",
                         f"{whole[(t, False)] * 1e3:.1f}", f"{whole[(threads[0], False)] / whole[(t, False)]:.2f}x",
                         f"{whole[(t, True)] * 1e3:.1f}", f"{whole[(threads[0], True)] / whole[(t, True)]:.2f}x",
                         f"{max(peak[(t, False)], peak[(t, True)]) / 2**20:.0f}",
                         check[(t, False)] if check[(t, False)] == check[(t, True)]
                         else f"{check[(t, False)]} / {check[(t, True)]}"])
        print_table(f"mobility: {n} x {n} SUMO grid, {trips:,} trips (best of {repeat}; ms)",
                    ["threads", "loop off", "speed-up", "loop on", "speed-up", "whole off", "speed-up",
                     "whole on", "speed-up", "peak MiB", "results vs first"], rows)


def part_metropolis(build, threads, work):
    rows, reference, base = [], None, None
    for t in threads:
        log(f"metropolis: {t} threads")
        out = work / "scaling_metropolis.h5"
        wall, peak, _ = run_with_peak([str(build / "bin" / "citytwin"), "run",
                                       str(REPO / "scenarios" / "metropolis.toml"), "--threads", str(t),
                                       "--quiet", "-o", str(out)], env=env_threads(t))
        if reference is None:
            reference, base, check = datasets(out), wall, "reference"
        else:
            check = same_results(reference, out)
        out.unlink()
        rows.append([t, f"{wall:.2f}", f"{base / wall:.2f}x", f"{peak / 2**30:.2f}", check])
    print_table("metropolis: one day, 1.05 M residents, 3.0 M trips (one run each)",
                ["threads", "wall s", "speed-up", "peak GiB", "results vs first"], rows)


def part_passthrough(title, cmd):
    log(title)
    _, _, text = run_with_peak(cmd)
    print(f"\n== {title}\n{text.rstrip()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="build folder with bin/citytwin and the benchmarks")
    ap.add_argument("--threads", default="1,2,4,8,16", help="thread counts, the first is the reference")
    ap.add_argument("--parts", default=",".join(PARTS), help="comma-separated, of " + ", ".join(PARTS))
    ap.add_argument("--repeat", type=int, default=3, help="processes per mobility figure (best kept)")
    ap.add_argument("--work", default=None, help="folder for the results files (default: the build)")
    args = ap.parse_args()

    build = Path(args.build) if Path(args.build).is_absolute() else (Path.cwd() / args.build)
    work = Path(args.work) if args.work else build
    threads = [int(t) for t in args.threads.split(",")]
    parts = args.parts.split(",")
    for p in parts:
        if p not in PARTS:
            sys.exit(f"--parts: unknown part '{p}' (known: {', '.join(PARTS)})")
    print(f"machine: {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}; "
          f"threads {threads}; OMP_PROC_BIND={os.environ.get('OMP_PROC_BIND', 'close')}")
    bins = build / "bin"
    tlist = ",".join(map(str, threads))
    for p in parts:
        if p == "mobility":
            part_mobility(build, threads, args.repeat, work)
        elif p == "metropolis":
            part_metropolis(build, threads, work)
        elif p == "bikeshare":
            part_passthrough("bike share: a day of 1,000 stations and 100,000 trips",
                             [str(bins / "citytwin_bench_bikeshare"), "--threads", tlist])
        elif p == "solar":
            part_passthrough("rooftop PV: generated cities of 1,000 and 10,000 buildings",
                             [str(bins / "citytwin_bench_solar"), "--sizes", "1000,10000",
                              "--threads", tlist, "--no-year"])
        elif p == "energy":
            part_passthrough("micro-grid: one step of the generated network of 877 buses",
                             [str(bins / "citytwin_bench_energy"),
                              "--benchmark_filter=generated_1000_step"])
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
