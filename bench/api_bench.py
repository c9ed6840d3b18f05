#!/usr/bin/env python3
"""berthd through the Docker Engine API, against the floor and (when one
can be started in a scratch network namespace) against dockerd.

- run latency: docker-py create + start + wait + remove of `true`, p50,
  against `crun run` of the same bundle (bench/floor.py), alternating;
- throughput: 4 concurrent docker-py clients doing the same, containers/s;
- list: GET /containers/json?all=1 with 1000 containers, p50 (raw HTTP on
  the unix socket, so the figure is the daemon's, not docker-py's);
- memory: berthd's RSS when idle, after that work.
Targets (issue 3): latency <= 2x the floor, >= 50 containers/s, list
<= 10 ms, idle RSS <= 8 MB.

Usage: api_bench.py [--runs N] [--seconds S] [--list N] [--dockerd]
"""
import argparse
import http.client
import os
import socket
import sys
import multiprocessing
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from floor import Floor, pct  # noqa: E402
from scratch import Scratch  # noqa: E402


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def server_rss_kb(berthd_pid):
    """RSS of berthd's monitor server (berth-monitor --serve, its child)."""
    try:
        with open(f"/proc/{berthd_pid}/task/{berthd_pid}/children") as f:
            kids = f.read().split()
    except OSError:
        return 0
    total = 0
    for k in kids:
        try:
            with open(f"/proc/{k}/cmdline", "rb") as f:
                if f.read().split(b"\0")[1:2] == [b"--serve"]:
                    total += rss_kb(int(k))
        except (OSError, IndexError):
            pass
    return total


def lifecycle(client, **create_kwargs):
    c = client.containers.create("busybox", ["true"], **create_kwargs)
    c.start()
    c.wait()
    c.remove()


def measure(url, floor, args, label, create_kwargs=None, api_version="v1.44"):
    """create_kwargs (e.g. network_mode) go to every container create;
    api_version prefixes the raw list request (dockerd 20.10 stops at v1.41)."""
    import docker
    kw = create_kwargs or {}
    client = docker.DockerClient(base_url=url, timeout=300)
    for i in range(args.warmup):
        lifecycle(client, **kw)
        if floor:
            floor.run(-1 - i)
    lat, fl = [], []
    for i in range(args.runs):
        t = time.perf_counter()
        lifecycle(client, **kw)
        lat.append((time.perf_counter() - t) * 1000)
        if floor:
            fl.append(floor.run(i))
    res = {"lat": lat, "floor": fl}

    # 4 concurrent clients: 4 processes (threads would share one GIL),
    # each with its own connection, started together
    ctx = multiprocessing.get_context("fork")
    counts = ctx.Queue()
    go = ctx.Event()

    def worker():
        cl = docker.DockerClient(base_url=url, timeout=300)
        go.wait()
        stop = time.time() + args.seconds
        n = 0
        while time.time() < stop:
            lifecycle(cl, **kw)
            n += 1
        cl.close()
        counts.put(n)

    procs = [ctx.Process(target=worker) for _ in range(4)]
    for p in procs:
        p.start()
    time.sleep(0.5)
    t0 = time.perf_counter()
    go.set()
    total = sum(counts.get() for _ in procs)
    res["rate"] = total / (time.perf_counter() - t0)
    for p in procs:
        p.join()

    # listing N containers
    have = len(client.api.containers(all=True, quiet=True))
    hc = client.api.create_host_config(**kw) if kw else None
    for i in range(have, args.list):
        client.api.create_container("busybox", ["true"], host_config=hc)
    conn = UnixHTTP(url[len("unix://"):])
    ls = []
    for i in range(50):
        t = time.perf_counter()
        conn.request("GET", f"/{api_version}/containers/json?all=1")
        body = conn.getresponse().read()
        ls.append((time.perf_counter() - t) * 1000)
    res["list"] = ls
    res["list_bytes"] = len(body)
    client.close()
    return res


def report(label, res, floor_ms=None):
    print(f"{label}:")
    p50 = pct(res["lat"], 50)
    line = f"  run latency (create+start+wait+remove, docker-py): p50 {p50:6.1f} ms" \
           f"   p90 {pct(res['lat'], 90):6.1f} ms"
    if floor_ms:
        line += f"   = {p50 / floor_ms:.2f}x the floor (target <= 2)"
    print(line)
    print(f"  4 concurrent clients: {res['rate']:.1f} containers/s (target >= 50)")
    print(f"  GET /containers/json?all=1, {args_list} containers ({res['list_bytes']} bytes):"
          f" p50 {pct(res['list'], 50):.2f} ms (target <= 10)")


def main():
    global args_list
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--list", type=int, default=1000)
    ap.add_argument("--dockerd", action="store_true", help="also measure a scratch dockerd")
    args = ap.parse_args()
    args_list = args.list

    sc = Scratch("berthd-bench-")
    floor = None
    try:
        sc.import_busybox()
        floor = Floor(sc.berth, sc.root, sc.runroot, sc.base)
        sc.start_berthd()
        proc = sc.proc
        rss_start = rss_kb(proc.pid)
        res = measure(sc.url, floor, args, "berthd")
        time.sleep(3)  # berthd gives memory back after a second without requests
        rss_idle = rss_kb(proc.pid)
        rss_server = server_rss_kb(proc.pid)
        f50 = pct(res["floor"], 50)
        print(f"floor: crun run of the same bundle: p50 {f50:.1f} ms  ({os.cpu_count()} CPUs,"
              f" kernel {os.uname().release})")
        report("berthd", res, f50)
        print(f"  berthd RSS: {rss_start} kB at start, {rss_idle} kB idle after the runs,"
              f" {rss_idle + rss_server} kB with its monitor server (target <= 8192 kB)")
        if args.dockerd:
            import dockerd_scratch
            dockerd_scratch.compare(sc.tar, args, measure, report, res, rss_idle + rss_server, f50)
        return 0
    finally:
        if floor:
            floor.close()
        sc.close()


if __name__ == "__main__":
    sys.exit(main())
