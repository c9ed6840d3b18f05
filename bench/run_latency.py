#!/usr/bin/env python3
"""Run latency and monitor memory: berth against the floor, in one run.

- floor: `crun run` of the very bundle berth generates for the container
  (its config.json, and the same image mounted as an overlayfs root once,
  outside the timing), through floor-exec, which applies the same
  hybrid-cgroup workaround berth-monitor applies, in one exec.
- berth: `berth run --rm busybox true`, everything included (CLI start,
  state database, overlay mount, monitor, runtime run and delete, removal).

Runs alternate floor/berth so that both see the same machine. Prints p50 and
p90 of each and the p50 ratio; then starts idle containers and reports each
monitor's RSS and PSS. Targets (issue 2): ratio <= 1.5, RSS <= 1 MB.

Usage: run_latency.py [--runs N] [--runtime crun|runc] [--idle N]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from floor import BERTH, SRC, Floor, pct, tmpfs_or  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--runtime", default="crun")
    ap.add_argument("--idle", type=int, default=10, help="idle containers for the RSS figure")
    args = ap.parse_args()

    base = tempfile.mkdtemp(prefix="berth-bench-", dir="/var/tmp")
    runbase = tempfile.mkdtemp(prefix="berth-bench-", dir=tmpfs_or("/var/tmp"))
    root, runroot = os.path.join(base, "root"), os.path.join(runbase, "run")
    b = [BERTH, "--root", root, "--runroot", runroot, "--runtime", args.runtime]
    mounted = False
    floor = None
    idle = []
    try:
        tar = os.path.join(base, "busybox.tar")
        subprocess.run([os.path.join(SRC, "tests", "make-busybox-rootfs.sh"), tar], check=True)
        subprocess.run(b + ["import", tar, "busybox"], check=True, stdout=subprocess.DEVNULL)

        floor = Floor(b, root, runroot, base, args.runtime)
        mounted = True

        def berth(i):
            t = time.perf_counter()
            subprocess.run(b + ["run", "--rm", "busybox", "true"], check=True)
            return (time.perf_counter() - t) * 1000

        for i in range(args.warmup):
            floor.run(-1 - i)
            berth(-1 - i)
        f_ms, b_ms = [], []
        for i in range(args.runs):
            f_ms.append(floor.run(i))
            b_ms.append(berth(i))

        print(f"run latency, {args.runs} runs each, runtime {args.runtime}, "
              f"{os.cpu_count()} CPUs, kernel {os.uname().release}")
        print(f"  floor  {args.runtime} run of the same bundle: p50 {pct(f_ms, 50):6.1f} ms"
              f"   p90 {pct(f_ms, 90):6.1f} ms")
        print(f"  berth  run --rm busybox true:       p50 {pct(b_ms, 50):6.1f} ms"
              f"   p90 {pct(b_ms, 90):6.1f} ms")
        ratio = pct(b_ms, 50) / pct(f_ms, 50)
        # each berth run against the floor run just before it: slow drifts
        # of a shared machine cancel out
        paired = statistics.median(b / f for b, f in zip(b_ms, f_ms))
        print(f"  ratio  berth/floor p50: {ratio:.2f}   median of paired ratios: {paired:.2f}"
              f"   (target <= 1.5)")

        # Monitor memory: idle containers, one monitor each.
        for i in range(args.idle):
            idle.append(subprocess.run(b + ["run", "-d", "busybox", "sleep", "1000"], check=True,
                                       capture_output=True, text=True).stdout.strip())
        time.sleep(1.5)  # a monitor gives back its startup memory after a second
        rss, pss = [], []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
                if not argv[0].endswith(b"berth-monitor") or root.encode() not in argv:
                    continue
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        rss.append(int(line.split()[1]))
                pss.append(sum(int(l.split()[1]) for l in open(f"/proc/{pid}/smaps")
                               if l.startswith("Pss:")))
            except OSError:
                continue
        if rss:
            print(f"monitor memory, {len(rss)} idle containers:")
            print(f"  RSS  mean {statistics.mean(rss):6.0f} kB   max {max(rss):6.0f} kB"
                  f"   (target <= 1024 kB)")
            print(f"  PSS  mean {statistics.mean(pss):6.0f} kB   max {max(pss):6.0f} kB")
        return 0
    finally:
        if idle:
            subprocess.run(b + ["rm", "-f"] + idle, stdout=subprocess.DEVNULL)
        if mounted:
            floor.close()
        subprocess.run(b + ["rm", "-f"] + subprocess.run(
            b + ["ps", "-aq"], capture_output=True, text=True).stdout.split(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(runbase, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
