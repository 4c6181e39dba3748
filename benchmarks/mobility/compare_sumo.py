#!/usr/bin/python3
"""citytwin's mesoscopic queue model side by side with SUMO's, in the same run.

For each case (a netgenerate grid with traffic lights and randomTrips demand routed by
duarouter) it runs, on the same .net.xml and .rou.xml:

  pair "signals off": sumo --mesosim                         vs citytwin signals = false
  pair "signals on":  sumo --mesosim --meso-junction-control vs citytwin signals = true

and prints, per pair, both whole-process wall times (reading the files included), both
simulation-loop times, the speed-ups (SUMO / citytwin) and both mean trip times. citytwin's
whole process is `citytwin run scenarios/sumo-import.toml` with the network and demand set on
the command line (1 and 2 threads); its loop is QueueModel::run() alone (without and with
the signal plan), timed by citytwin_bench_mobility (with --cli-loop-estimate also as `run`
minus `validate`, which loads everything but simulates nothing). SUMO's loop is the
"Performance: Duration" it prints with --duration-log.statistics (wall time); its loop CPU is
estimated as its process CPU minus that of the same command with --end 0. Whole processes
are also given in CPU seconds (user + system, getrusage), which stay meaningful when the
cores are shared. Its mean trip time is the mean `duration` of
--tripinfo-output (arrival - actual departure), also shown with `departDelay` added, which
is what citytwin counts (its trips start at the scheduled departure, waiting included).

The SUMO inputs are generated once into <build>/mobility-bench/ (never into the repository).
Needs Debian's sumo and sumo-tools (/usr/bin/sumo, netgenerate, duarouter,
/usr/share/sumo/tools/randomTrips.py) and a Release build of the targets citytwin and
citytwin_bench_mobility:

  /usr/bin/python3 benchmarks/mobility/compare_sumo.py --build build [--cases 20,50]
      [--threads 1,2] [--cli-threads 1,2] [--repeat 1] [--no-signals-on] [--omp-passive]
      [--no-omp-bind]
      [--cli-loop-estimate]
"""

import argparse
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "sumo-import.toml"
SUMO_HOME = Path(os.environ.get("SUMO_HOME", "/usr/share/sumo"))

BLOCK_M = 200.0          # grid spacing
LANES = 2                # lanes each way
SPEED_MPS = 50.0 / 3.6   # 50 km/h
HORIZON_S = 3600         # departures over one hour
SEED = 42
CASES = {20: 10_000, 50: 50_000}  # grid junctions per side -> trips
# citytwin's engine step for the runs (`--dt`): the 15-min statistics interval. A mobility-only
# run couples nothing between steps, and the queue model runs its own 1 s ticks whatever the
# step: results are bit-identical to 60 s steps (the scenario's), except the tick index. Each
# engine step exchanges the queue state with the state columns (about 70 us on 20 x 20).
CITYTWIN_DT_S = 900


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_timed(cmd, env=None, cwd=None):
    """Runs cmd; returns (wall seconds, CompletedProcess); its CPU seconds go to proc.cpu_s."""
    c0 = children_cpu_s()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall_s = time.perf_counter() - t0
    proc.cpu_s = children_cpu_s() - c0
    return wall_s, proc


def check(proc, what):
    if proc.returncode != 0:
        sys.exit(f"{what} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def sumo_env():
    env = dict(os.environ)
    env["SUMO_HOME"] = str(SUMO_HOME)
    return env


def tool_version(tool):
    proc = subprocess.run([tool, "--version"], capture_output=True, text=True)
    first = (proc.stdout or proc.stderr).splitlines()
    return first[0].strip() if first else "unknown"


# ---------------------------------------------------------------------------------------------
# inputs

def generate_inputs(cache, n, n_trips):
    """netgenerate grid with traffic lights, randomTrips (seed 42), duarouter; cached."""
    cache.mkdir(parents=True, exist_ok=True)
    net = cache / f"grid{n}.net.xml"
    trips = cache / f"grid{n}_{n_trips}.trips.xml"
    routes = cache / f"grid{n}_{n_trips}.rou.xml"
    env = sumo_env()
    if not net.exists():
        log(f"netgenerate {n} x {n} -> {net}")
        _, p = run_timed(["netgenerate", "--grid", "--grid.number", str(n), "--grid.length", str(BLOCK_M),
                          "--default.lanenumber", str(LANES), "--default.speed", f"{SPEED_MPS:.4f}",
                          "--default-junction-type", "traffic_light", "--seed", str(SEED),
                          "-o", str(net) + ".tmp"], env=env)
        check(p, "netgenerate")
        os.replace(str(net) + ".tmp", net)
    if not routes.exists():
        period = HORIZON_S / n_trips
        log(f"randomTrips.py {n_trips} trips (period {period} s) -> {trips}")
        _, p = run_timed([sys.executable, str(SUMO_HOME / "tools" / "randomTrips.py"), "-n", str(net),
                          "-b", "0", "-e", str(HORIZON_S), "-p", repr(period), "--seed", str(SEED),
                          "-o", str(trips)], env=env)
        check(p, "randomTrips.py")
        log(f"duarouter -> {routes}")
        _, p = run_timed(["duarouter", "-n", str(net), "--route-files", str(trips), "--seed", str(SEED),
                          "--no-step-log", "--ignore-errors", "-o", str(routes) + ".tmp.xml"], env=env)
        check(p, "duarouter")
        os.replace(str(routes) + ".tmp.xml", routes)
        alt = Path(str(routes) + ".tmp.alt.xml")
        if alt.exists():
            alt.unlink()
    return net, routes


# ---------------------------------------------------------------------------------------------
# SUMO

def parse_sumo_log(text):
    """Loop duration [s], end time [s] and teleports from SUMO's --duration-log.statistics."""
    m = re.search(r"Performance:\s*\n\s*Duration:\s*([\d.,]+)\s*(ms|s)\b", text)
    loop_s = float(m.group(1).replace(",", "")) / (1000.0 if m.group(2) == "ms" else 1.0) if m else math.nan
    m = re.search(r"Simulation ended at time:\s*([\d.]+)", text)
    end_s = float(m.group(1)) if m else math.nan
    m = re.search(r"Teleports:\s*(\d+)", text)
    teleports = int(m.group(1)) if m else 0
    return loop_s, end_s, teleports


def read_tripinfo(path):
    """(n, mean duration, mean duration + departDelay, mean routeLength) of a tripinfo file."""
    durations, delays, lengths = [], [], []
    for _, el in ET.iterparse(path):
        if el.tag == "tripinfo":
            durations.append(float(el.get("duration")))
            delays.append(float(el.get("departDelay", "0")))
            lengths.append(float(el.get("routeLength", "nan")))
            el.clear()
    d = np.array(durations)
    return len(d), float(d.mean()), float((d + np.array(delays)).mean()), float(np.mean(lengths))


def run_sumo(net, routes, cache, junction_control, repeat):
    """SUMO's best whole-process and loop times of `repeat` runs (as citytwin's), its trips."""
    tag = "jc" if junction_control else "nojc"
    tripinfo = cache / f"{routes.name[:-8]}.{tag}.tripinfo.xml"
    cmd = ["sumo", "--mesosim", "-n", str(net), "-r", str(routes), "--tripinfo-output", str(tripinfo),
           "--duration-log.statistics", "--no-step-log", "--seed", str(SEED)]
    if junction_control:
        cmd.append("--meso-junction-control")
    wall_s, loop_s, cpu_s = math.inf, math.inf, math.inf
    for _ in range(repeat):
        w, p = run_timed(cmd, env=sumo_env())
        check(p, "sumo")
        loop, end_s, teleports = parse_sumo_log(p.stdout + p.stderr)
        wall_s, loop_s, cpu_s = min(wall_s, w), min(loop_s, loop), min(cpu_s, p.cpu_s)
    n, mean_s, mean_with_delay_s, mean_length_m = read_tripinfo(tripinfo)
    tripinfo.unlink()
    # SUMO reports its loop in wall time only: its CPU is estimated as the whole process's minus
    # that of the same command stopped at time 0 (network and the first routes read)
    _, p0 = run_timed(cmd[:cmd.index("--tripinfo-output")] + cmd[cmd.index("--duration-log.statistics"):]
                      + ["--end", "0"], env=sumo_env())
    check(p0, "sumo --end 0")
    return {"wall_s": wall_s, "cpu_s": cpu_s, "loop_cpu_s": cpu_s - p0.cpu_s, "loop_s": loop_s,
            "end_s": end_s, "teleports": teleports, "arrived": n,
            "mean_trip_s": mean_s, "mean_trip_with_delay_s": mean_with_delay_s,
            "mean_route_length_m": mean_length_m}


# ---------------------------------------------------------------------------------------------
# citytwin

def citytwin_cmd(build, command, net, routes, signals, duration_s, threads=None, out=None,
                 dt_s=CITYTWIN_DT_S):
    cmd = [str(build / "bin" / "citytwin"), command, str(SCENARIO),
           "--set", f'models.mobility.network="{net}"', "--set", f'models.mobility.demand="{routes}"',
           "--set", f"models.mobility.signals={'true' if signals else 'false'}",
           # SUMO's routes are fixed (duarouter); without this the re-planning step would run
           # the whole queue model once more at load time only to find nothing to re-route
           "--set", "models.mobility.replanning.iterations=0",
           "--set", f'time.duration="{duration_s}s"', "--set", f"time.dt_s={dt_s}"]
    if command == "run":
        cmd += ["--threads", str(threads), "--quiet", "-o", str(out)]
    return cmd


def read_citytwin_results(path):
    with h5py.File(path, "r") as f:
        kpi = float(f["kpi/mobility__mean_trip_time_s"][()])
        travel = np.asarray(f["mobility/travel_time_s"][()], dtype=float)
    if travel.ndim > 1:
        travel = travel[-1]
    arrived = int(np.count_nonzero(~np.isnan(travel)))
    return kpi, arrived, int(travel.size)


def run_citytwin(build, cache, net, routes, signals, duration_s, threads_list, repeat, validate):
    """Whole-process wall times per thread count, `validate` wall time, mean trip time."""
    env = dict(os.environ)
    out = cache / "citytwin_run.h5"
    wall_v = math.inf if validate else math.nan
    for _ in range(repeat if validate else 0):
        w, p = run_timed(citytwin_cmd(build, "validate", net, routes, signals, duration_s), env=env)
        if p.returncode != 0:
            return {"error": p.returncode, "message": (p.stderr or p.stdout).strip()}
        wall_v = min(wall_v, w)
    res = {"validate_s": wall_v, "wall_s": {}, "cpu_s": {}}
    # the thread counts take turns (1, 2, 1, 2, ...), so that a slow spell of the machine does
    # not fall on one of them only
    best = {threads: (math.inf, math.inf) for threads in threads_list}
    for _ in range(repeat):
        for threads in threads_list:
            cmd = citytwin_cmd(build, "run", net, routes, signals, duration_s, threads, out)
            w, p = run_timed(cmd, env=env)
            if p.returncode != 0:
                return {"error": p.returncode, "message": (p.stderr or p.stdout).strip()}
            best[threads] = min(best[threads], (w, p.cpu_s))
    for threads in threads_list:
        res["wall_s"][threads], res["cpu_s"][threads] = best[threads]
    res["mean_trip_s"], res["arrived"], res["trips"] = read_citytwin_results(out)
    out.unlink()
    return res


def run_bench_loop(build, net, routes, threads_list, signals_on, repeat):
    """citytwin_bench_mobility's figures, each run's loop the best of `repeat` processes."""
    cmd = [str(build / "bin" / "citytwin_bench_mobility"), str(net), str(routes), "--json",
           "--threads", ",".join(str(t) for t in threads_list),
           "--signals", "off,on" if signals_on else "off"]
    best = None
    for _ in range(repeat):
        _, p = run_timed(cmd)
        check(p, "citytwin_bench_mobility")
        figures = json.loads(p.stdout)
        if best is None:
            best = figures
            continue
        for kept, run in zip(best["runs"], figures["runs"]):
            if run["loop_wall_s"] < kept["loop_wall_s"]:
                kept.update(run)
    return best


# ---------------------------------------------------------------------------------------------
# report

def ratio(a, b):
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def fmt_s(x):
    return "—" if x is None or math.isnan(x) else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def print_pair(title, sumo, ct, loop, threads_list, sumo_label, ct_label):
    print(f"\n  {title}: {sumo_label}  vs  {ct_label}")
    if loop is not None and not loop["runs"]:
        loop = None
    threads_list = sorted(set(threads_list) | set(ct.get("wall_s", {})))
    if "error" in ct:
        status = ("citytwin signals not available" if ct["error"] == 2 and "signals" in ct["message"]
                  else f"citytwin failed (exit {ct['error']})")
        print(f"    SUMO: whole process {fmt_s(sumo['wall_s'])} s, loop {fmt_s(sumo['loop_s'])} s, "
              f"mean trip {sumo['mean_trip_s']:.1f} s ({sumo['mean_trip_with_delay_s']:.1f} s with depart "
              f"delay), {sumo['arrived']} arrived, {sumo['teleports']} teleports")
        print(f"    {status}: {ct['message'].splitlines()[0] if ct['message'] else ''}")
        return
    loop_by_t = {r["threads"]: r for r in loop["runs"]} if loop is not None else {}
    head = f"    {'':38}{'SUMO':>10}"
    for t in threads_list:
        head += f"{f'citytwin {t} thr':>18}{'speed-up':>10}"
    print(head)

    def row(label, sumo_value, ct_values):
        line = f"    {label:38}{fmt_s(sumo_value):>10}"
        for t in threads_list:
            v = ct_values.get(t, math.nan)
            r = ratio(sumo_value, v)
            line += f"{fmt_s(v):>18}" + (f"{r:>9.1f}x" if not math.isnan(r) else f"{'':>10}")
        print(line)

    row("whole process [s]", sumo["wall_s"], ct["wall_s"])
    row("whole process, CPU user+sys [s]", sumo["cpu_s"], ct["cpu_s"])
    if loop is not None:
        row("simulation loop [s]", sumo["loop_s"], {t: r["loop_wall_s"] for t, r in loop_by_t.items()})
        row("simulation loop, CPU [s] (SUMO: est.)", sumo["loop_cpu_s"],
            {t: r["loop_cpu_s"] for t, r in loop_by_t.items()})
    if not math.isnan(ct["validate_s"]):
        row("loop from CLI, run - validate [s]", sumo["loop_s"],
            {t: w - ct["validate_s"] for t, w in ct["wall_s"].items()})
    if loop is not None:
        tr = loop["runs"][0]["traversals"]
        print(f"    {'µs per link traversal (loop wall)':38}{'':>10}" +
              "".join(f"{loop_by_t[t]['loop_wall_s'] * 1e6 / tr:>18.3f}{'':>10}" if t in loop_by_t
                      else f"{'—':>18}{'':>10}" for t in threads_list) +
              f"   ({tr:,} traversals; SUMO {sumo['loop_s'] * 1e6 / tr:.2f})")
    dev = ratio(ct["mean_trip_s"], sumo["mean_trip_with_delay_s"]) - 1.0
    print(f"    mean trip time [s]: SUMO {sumo['mean_trip_s']:.1f} (duration), "
          f"{sumo['mean_trip_with_delay_s']:.1f} with depart delay; citytwin {ct['mean_trip_s']:.1f} "
          f"({dev:+.1%} vs SUMO with depart delay, "
          f"{ratio(ct['mean_trip_s'], sumo['mean_trip_s']) - 1.0:+.1%} vs duration)")
    print(f"    arrived: SUMO {sumo['arrived']:,} ({sumo['teleports']} teleports, ended at "
          f"{sumo['end_s']:.0f} s); citytwin {ct['arrived']:,} of {ct['trips']:,}"
          + (f", loop {loop['runs'][0]['arrived']:,}, {loop['runs'][0]['stuck_releases']:,} stuck releases"
             if loop is not None else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build",
                    help="build folder with bin/citytwin and bin/citytwin_bench_mobility")
    ap.add_argument("--cases", default="20,50",
                    help="grid sizes to run, of 20 (10,000 trips) and 50 (50,000)")
    ap.add_argument("--threads", default="1,2", help="citytwin thread counts")
    ap.add_argument("--cli-threads", default=None, help="thread counts of the `citytwin run` processes "
                    "(default: --threads)")
    ap.add_argument("--cli-loop-estimate", action="store_true",
                    help="also run `citytwin validate` and show run - validate as a loop estimate")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per figure, best kept: SUMO's and citytwin's whole processes and "
                         "loops alike")
    ap.add_argument("--no-signals-on", action="store_true",
                    help="skip the junction-control / signals-on pair")
    ap.add_argument("--omp-passive", action="store_true",
                    help="OMP_WAIT_POLICY=passive for citytwin (idle threads sleep instead of spinning: "
                         "much faster on 2 threads when the cores are shared with other jobs)")
    ap.add_argument("--no-omp-bind", action="store_true",
                    help="leave citytwin's OpenMP threads unbound (by default OMP_PROC_BIND=close, "
                         "as for any dedicated multi-threaded run: unbound, the scheduler may put "
                         "both threads on one core)")
    args = ap.parse_args()
    if args.omp_passive:
        os.environ["OMP_WAIT_POLICY"] = "passive"
    if not args.no_omp_bind:
        os.environ.setdefault("OMP_PROC_BIND", "close")

    build = (REPO / args.build).resolve() if not Path(args.build).is_absolute() else Path(args.build)
    for tool in ("sumo", "netgenerate", "duarouter"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install sumo sumo-tools")
    for target in ("citytwin", "citytwin_bench_mobility"):
        if not (build / "bin" / target).exists():
            sys.exit(f"{build / 'bin' / target} not found: cmake --build {args.build} --target {target}")
    cache = build / "mobility-bench"
    threads_list = [int(t) for t in args.threads.split(",")]
    cli_threads = [int(t) for t in (args.cli_threads or args.threads).split(",")]

    print(f"SUMO: {tool_version('sumo')}; netgenerate {tool_version('netgenerate')}")
    print(f"machine: {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}")
    print(f"each time: best of {args.repeat} run(s), SUMO's and citytwin's alike")
    for n in (int(c) for c in args.cases.split(",")):
        n_trips = CASES[n]
        net, routes = generate_inputs(cache, n, n_trips)
        log(f"case {n} x {n}: SUMO --mesosim")
        sumo_off = run_sumo(net, routes, cache, False, args.repeat)
        sumo_on = None if args.no_signals_on else (log(f"case {n} x {n}: SUMO --meso-junction-control")
                                                    or run_sumo(net, routes, cache, True, args.repeat))
        # long enough for every trip: 1.5 x SUMO's end, whole minutes of dt, at least 2 h
        end_s = max(sumo_off["end_s"], sumo_on["end_s"] if sumo_on else 0.0)
        duration_s = max(7200, int(math.ceil(1.5 * end_s / CITYTWIN_DT_S)) * CITYTWIN_DT_S)
        log(f"case {n} x {n}: citytwin_bench_mobility (loop)")
        loop = run_bench_loop(build, net, routes, threads_list, not args.no_signals_on, args.repeat)
        log(f"case {n} x {n}: citytwin run, signals off")
        ct_off = run_citytwin(build, cache, net, routes, False, duration_s, cli_threads, args.repeat,
                              args.cli_loop_estimate)
        ct_on = None
        if not args.no_signals_on:
            log(f"case {n} x {n}: citytwin run, signals on")
            ct_on = run_citytwin(build, cache, net, routes, True, duration_s, cli_threads, args.repeat,
                                 args.cli_loop_estimate)

        print(f"\n== {n} x {n} grid ({loop['nodes']:,} junctions, {loop['links']:,} links), "
              f"{loop['vehicles']:,} trips over 1 h; citytwin run for {duration_s} s at dt {CITYTWIN_DT_S} s ==")
        print(f"   routes: {loop['mean_links_per_trip']:.2f} links, {loop['mean_route_length_m']:.0f} m per trip "
              f"(SUMO routeLength {sumo_off['mean_route_length_m']:.0f} m); free-flow time "
              f"{loop['mean_free_flow_ticks_s']:.1f} s in whole 1 s ticks per link, "
              f"{loop['mean_free_flow_exact_s']:.1f} s exact")
        print(f"   citytwin readers (in citytwin_bench_mobility): .net.xml {loop['read_net_s']:.2f} s "
              f"({loop['read_net_cpu_s']:.2f} s CPU), .rou.xml {loop['read_routes_s']:.2f} s "
              f"({loop['read_routes_cpu_s']:.2f} s CPU)")
        loop_off = dict(loop, runs=[r for r in loop["runs"] if not r["signals"]])
        loop_on = dict(loop, runs=[r for r in loop["runs"] if r["signals"]])
        print_pair("signals off", sumo_off, ct_off, loop_off, threads_list, "sumo --mesosim",
                   "citytwin signals=false")
        if sumo_on is not None:
            print_pair("signals on", sumo_on, ct_on, loop_on, threads_list,
                       "sumo --mesosim --meso-junction-control",
                       f"citytwin signals=true ({loop['gated_links']:,} gated links)")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
