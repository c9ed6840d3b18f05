#!/usr/bin/env python3
"""exec latency through berthd against `crun exec` in the same container.

One busybox container runs `sleep`; then, alternating, N times each:
- floor: `crun exec <container> true` with berth's runtime state (through
  floor-exec, which applies the same hybrid-cgroup workaround berth does);
- berthd, HTTP on the unix socket: POST /containers/{id}/exec,
  POST /exec/{id}/start (the output read to its end), GET /exec/{id}/json;
  once with the start hijacked on a connection of its own (Upgrade: tcp,
  as the docker CLI and docker-py ask), once as a plain streamed 200;
- berthd, docker-py: exec_create + exec_start + exec_inspect;
- berth CLI: `berth exec <container> true` (daemonless).
Target (issue 4): exec p50 <= 1.5x `crun exec`.

Usage: exec_bench.py [--runs N]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_bench import UnixHTTP  # noqa: E402
from floor import FLOOR_EXEC, pct  # noqa: E402
from scratch import scratch  # noqa: E402


def raw_exec(conn, cid):
    body = json.dumps({"Cmd": ["true"], "AttachStdout": True, "AttachStderr": True})
    conn.request("POST", f"/v1.44/containers/{cid}/exec", body,
                 {"Content-Type": "application/json"})
    r = conn.getresponse()
    eid = json.loads(r.read())["Id"]
    conn.request("POST", f"/v1.44/exec/{eid}/start", '{"Detach": false, "Tty": false}',
                 {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    conn.request("GET", f"/v1.44/exec/{eid}/json")
    r = conn.getresponse()
    code = json.loads(r.read())["ExitCode"]
    assert code == 0, f"exec exit code {code}"


def hijacked_exec(conn, sock_path, cid):
    """As the docker CLI and docker-py do it: the start request asks for an
    upgrade, on a connection of its own, read to its end."""
    body = json.dumps({"Cmd": ["true"], "AttachStdout": True, "AttachStderr": True})
    conn.request("POST", f"/v1.44/containers/{cid}/exec", body,
                 {"Content-Type": "application/json"})
    eid = json.loads(conn.getresponse().read())["Id"]
    start = b'{"Detach": false, "Tty": false}'
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(b"POST /v1.44/exec/%s/start HTTP/1.1\r\nHost: localhost\r\n"
              b"Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (eid.encode(), len(start), start))
    head = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        head += chunk
    s.close()
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    conn.request("GET", f"/v1.44/exec/{eid}/json")
    code = json.loads(conn.getresponse().read())["ExitCode"]
    assert code == 0, f"exec exit code {code}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()

    with scratch("exec-bench-") as sc:
        b = sc.berth
        cid = subprocess.run(b + ["run", "-d", "busybox", "sleep", "100000"], check=True,
                             capture_output=True, text=True).stdout.strip()
        import docker
        client = docker.APIClient(base_url=sc.url, version="1.44")
        conn = UnixHTTP(sc.sock)
        crun = shutil.which("crun")
        state = os.path.join(sc.runroot, "runtime", "crun")

        def floor():
            subprocess.run([FLOOR_EXEC, crun, "--root", state, "exec", cid, "true"], check=True)

        def api_raw():
            raw_exec(conn, cid)

        def api_hijacked():
            hijacked_exec(conn, sc.sock, cid)

        def api_py():
            eid = client.exec_create(cid, ["true"])["Id"]
            client.exec_start(eid)
            assert client.exec_inspect(eid)["ExitCode"] == 0

        def cli():
            subprocess.run(b + ["exec", cid, "true"], check=True)

        kinds = {"floor": floor, "hijacked": api_hijacked, "raw": api_raw, "docker-py": api_py, "cli": cli}
        times = {k: [] for k in kinds}
        for i in range(args.warmup + args.runs):
            for k, fn in kinds.items():
                t = time.perf_counter()
                fn()
                if i >= args.warmup:
                    times[k].append((time.perf_counter() - t) * 1000)
        f50 = pct(times["floor"], 50)
        print(f"floor: crun exec of true in the container: p50 {f50:.1f} ms"
              f"  ({os.cpu_count()} CPUs, kernel {os.uname().release}, {args.runs} runs each)")
        labels = {"hijacked": "berthd, HTTP, start hijacked (as clients do)",
                  "raw": "berthd, HTTP, start without upgrade",
                  "docker-py": "berthd, docker-py (create+start+inspect)",
                  "cli": "berth exec (CLI, no daemon)"}
        for k, label in labels.items():
            p50 = pct(times[k], 50)
            print(f"  {label:42s} p50 {p50:6.1f} ms  p90 {pct(times[k], 90):6.1f} ms"
                  f"  = {p50 / f50:.2f}x the floor (target <= 1.5)")
        client.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
