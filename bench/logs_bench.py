#!/usr/bin/env python3
"""Log throughput through berthd, and (when one can be started in a scratch
namespace, see dockerd_scratch.py) through dockerd.

- written: a container writes 200 MB to stdout as fast as it can (busybox
  `cat` of a 1 MB block of 100-byte lines, 200 times: sendfile, so the
  writer costs next to nothing); MB/s from the container's StartedAt to its
  FinishedAt (inspect), after checking that the log holds all 200 MB. The
  same command with its stdout on /dev/null inside the container is the
  floor: how fast the writer goes when nobody has to keep its output.
- served: the whole log read back through the API by curl
  (`curl --unix-socket ... -o /dev/null`), MB/s of log payload; also with
  timestamps=1 (one prefix per line).
Targets (issue 4): written >= 200 MB/s, served >= 400 MB/s.

Usage: logs_bench.py [--runs N] [--mb MB] [--dockerd]
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scratch import scratch  # noqa: E402

LINE = "abcdefghijklmnopqrstuvwxyz0123456789" * 3
LINE = LINE[:99]  # + "\n": 100-byte lines


def writer(mb, sink=""):
    return ["sh", "-c", f"yes {LINE} | head -c 1000000 > /tmp/blk; i=0; "
                        f"while [ $i -lt {mb} ]; do cat /tmp/blk{sink}; i=$((i+1)); done"]


def rfc3339(text):
    """Unix time of an inspect time, nanoseconds kept."""
    main, _, frac = text.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return t.timestamp() + (float("0." + frac) if frac else 0.0)


def curl(sock, path):
    """(bytes, seconds) of a GET through curl, body to /dev/null."""
    p = subprocess.run(["curl", "-sS", "--unix-socket", sock, "-o", "/dev/null", "-w",
                        "%{http_code} %{size_download} %{time_total}", "http://localhost" + path],
                       capture_output=True, text=True, check=True)
    code, size, secs = p.stdout.split()
    if code != "200":
        raise SystemExit(f"GET {path}: {code}")
    return int(size), float(secs)


def run_writer(client, cmd, **kw):
    c = client.containers.run("busybox", cmd, detach=True, **kw)
    code = c.wait()["StatusCode"]
    c.reload()
    st = c.attrs["State"]
    if code != 0:
        raise SystemExit(f"the writer exited {code}: {c.logs()[-500:]!r}")
    return c, rfc3339(st["FinishedAt"]) - rfc3339(st["StartedAt"])


def measure(label, url, sock, api, args, create_kwargs=None):
    import docker
    client = docker.DockerClient(base_url=url, version=api[1:], timeout=600)
    kw = create_kwargs or {}
    size = args.mb * 1000 * 1000
    res = {"floor": [], "written": [], "served": [], "stamped": []}
    for _ in range(args.runs):
        c, secs = run_writer(client, writer(args.mb, " > /dev/null"), **kw)
        res["floor"].append(args.mb / secs)
        c.remove()
        c, secs = run_writer(client, writer(args.mb), **kw)
        res["written"].append(args.mb / secs)
        # the log must hold every byte: count them (multiplexed: 8 bytes a frame)
        n, t = curl(sock, f"/{api}/containers/{c.id}/logs?stdout=1&stderr=1")
        if n < size:
            raise SystemExit(f"{label}: the log served {n} bytes, {size} were written")
        res["served"].append(size / 1e6 / t)
        n, t = curl(sock, f"/{api}/containers/{c.id}/logs?stdout=1&stderr=1&timestamps=1")
        res["stamped"].append(size / 1e6 / t)
        c.remove()
    client.close()
    return res


def report(label, res):
    def f(xs):
        return f"median {statistics.median(xs):7.1f} MB/s (best {max(xs):.1f}, worst {min(xs):.1f})"
    print(f"{label}:")
    print(f"  writer alone (stdout on /dev/null in the container) {f(res['floor'])}")
    print(f"  written to the log                                  {f(res['written'])}"
          f"  target >= 200")
    print(f"  served (curl, whole log)                            {f(res['served'])}"
          f"  target >= 400")
    print(f"  served with timestamps=1                            {f(res['stamped'])}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--dockerd", action="store_true", help="also measure a scratch dockerd")
    args = ap.parse_args()

    # the state root (and so the log) on disk, as in real use
    with scratch("berthd-logs-bench-") as sc:
        print(f"{args.mb} MB of 100-byte lines, {args.runs} runs, {os.cpu_count()} CPUs,"
              f" kernel {os.uname().release}, log on {sc.base}")
        res = measure("berthd", sc.url, sc.sock, "v1.44", args)
        report("berthd", res)
        if args.dockerd:
            compare_dockerd(sc.tar, args, res)
        return 0


def compare_dockerd(tar, args, berthd_res):
    import dockerd_scratch
    why = dockerd_scratch.unavailable()
    if why:
        print(f"dockerd comparison skipped: {why}")
        return
    import docker
    with dockerd_scratch.running() as d:
        client = docker.DockerClient(base_url=d.url, version=dockerd_scratch.API[1:], timeout=600)
        version = client.version()["Version"]
        client.api.import_image_from_file(tar, repository="busybox", tag="latest")
        kwargs = {} if client.networks.list(names=["bridge"]) else {"network_mode": "none"}
        client.close()
        one = argparse.Namespace(**vars(args))
        one.runs = 1  # dockerd takes tens of seconds a run
        res = measure("dockerd", d.url, d.sock, dockerd_scratch.API, one, kwargs)
        report(f"dockerd {version} (json-file, one run)", res)
        print("berthd/dockerd (medians): written "
              f"{statistics.median(berthd_res['written']) / statistics.median(res['written']):.1f}x,"
              f" served {statistics.median(berthd_res['served']) / statistics.median(res['served']):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
