"""The event log: GET /events through docker-py (5.0.3 and 7.1.0) and the
docker CLI, and `berth events`. Every action a user takes (through berthd
or the berth CLI) shows up as Docker's event, with Docker's attributes,
on streams already open and in `since`/`until` queries, also after berthd
was restarted."""
import json
import os
import re
import subprocess
import threading
import time

import pytest

from conftest import Daemon, _finish
from test_api_bad_input import call, q
from test_dockerpy import _py7, run_py7

ID64 = re.compile(r"^[0-9a-f]{64}$")
# docker's prettyPrintEvent: time, type, action, actor, (attributes)
LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(?:Z|[+-]\d\d:\d\d)) (\w+) (\S+) (\S+)"
                  r"(?: \((.*)\))?$")
# a container that exits 10 on SIGUSR1 and 15 on SIGTERM (its PID 1 would
# ignore signals it has no handler for)
TRAPS = "trap 'exit 10' USR1; trap 'exit 15' TERM; echo ready; while :; do sleep 0.1; done"


def traps_set(c, starts):
    """Waits until the container's shell set its traps for the starts-th
    time: as PID 1 it ignores a signal that comes before its trap."""
    deadline = time.time() + 30
    while c.logs().count(b"ready") < starts:
        assert time.time() < deadline, "the container never set its traps"
        time.sleep(0.05)


# ---- helpers ---------------------------------------------------------------

class Collector:
    """Reads a decoded docker-py event stream on a thread."""

    def __init__(self, stream):
        self.stream = stream
        self.events = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for ev in self.stream:
                with self.lock:
                    self.events.append(ev)
        except Exception:  # the stream was closed under us
            pass

    def wait(self, pred, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                evs = list(self.events)
            if pred(evs):
                return evs
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; got {self.events}")

    def close(self):
        self.stream.close()


def actions(evs, actor=None):
    return [e["Action"] for e in evs if actor is None or e["Actor"]["ID"] == actor]


def past(daemon, since, **kw):
    """The recorded events from since until now (a finite query)."""
    return list(daemon.client.api.events(since=since, until=time.time() + 0.001, decode=True, **kw))


def check_shape(ev):
    """Docker's events.Message for a container or image event."""
    assert set(ev) == {"status", "id", "from", "Type", "Action", "Actor", "scope", "time",
                       "timeNano"} - ({"from"} if ev["Type"] == "image" else set()), ev
    assert ev["status"] == ev["Action"] and ev["id"] == ev["Actor"]["ID"], ev
    assert ev["scope"] == "local"
    assert ev["time"] == ev["timeNano"] // 10**9
    assert all(isinstance(v, str) for v in ev["Actor"]["Attributes"].values()), ev


@pytest.fixture
def stream(daemon):
    """Opens docker-py event streams (closed after the test)."""
    opened = []

    def open_(**kw):
        c = Collector(daemon.client.api.events(decode=True, **kw))
        opened.append(c)
        return c

    yield open_
    for c in opened:
        c.close()


# ---- a container's life through docker-py ------------------------------------

def test_life_cycle_on_an_open_stream(daemon, stream):
    s = stream(filters={"type": "container"})
    c = daemon.client.containers.run("busybox", ["sh", "-c", "exit 3"], name="life", detach=True,
                                     labels={"tier": "web"})
    assert c.wait()["StatusCode"] == 3
    c.remove()
    evs = s.wait(lambda e: "destroy" in actions(e, c.id), "the destroy event")
    mine = [e for e in evs if e["Actor"]["ID"] == c.id]
    # docker-py's run() creates, starts and waits: it does not attach
    assert actions(mine) == ["create", "start", "die", "destroy"]
    for ev in mine:
        check_shape(ev)
        assert ev["Type"] == "container" and ev["from"] == "busybox"
        attrs = ev["Actor"]["Attributes"]
        assert attrs["name"] == "life" and attrs["image"] == "busybox" and attrs["tier"] == "web"
    assert mine[2]["Actor"]["Attributes"]["exitCode"] == "3"
    assert [e["timeNano"] for e in mine] == sorted(e["timeNano"] for e in mine)
    # the stream sends nothing but what its filter selects
    assert {e["Type"] for e in evs} == {"container"}


def test_kill_stop_restart_pause_unpause_rename(daemon):
    t0 = time.time()
    c = daemon.client.containers.run("busybox", ["sh", "-c", TRAPS], name="ops", detach=True)
    c.pause()
    c.unpause()
    c.rename("ops2")
    traps_set(c, 1)
    c.kill(signal="SIGUSR1")
    assert c.wait()["StatusCode"] == 10
    c.start()
    traps_set(c, 2)
    c.stop(timeout=20)
    c.restart(timeout=20)  # of a stopped container: a start
    traps_set(c, 3)
    c.restart(timeout=20)  # of a running one: a stop and a start
    traps_set(c, 4)
    c.remove(force=True)
    evs = [e for e in past(daemon, t0) if e["Actor"]["ID"] == c.id]
    for ev in evs:
        check_shape(ev)
    assert actions(evs) == [
        "create", "start", "pause", "unpause", "rename", "kill", "die",
        "start", "kill", "die", "stop",
        "start", "restart",
        "kill", "die", "stop", "start", "restart",
        "kill", "die", "destroy"]
    attrs = [e["Actor"]["Attributes"] for e in evs]
    assert attrs[4]["oldName"] == "/ops" and attrs[4]["name"] == "ops2"
    assert attrs[5]["signal"] == "10" and attrs[6]["exitCode"] == "10"
    assert attrs[8]["signal"] == "15" and attrs[9]["exitCode"] == "15"
    assert attrs[13]["signal"] == "15" and attrs[14]["exitCode"] == "15"
    assert attrs[18]["signal"] == "9" and attrs[19]["exitCode"] == "137"
    assert all(a["name"] == "ops" for a in attrs[:4])
    assert all(a["name"] == "ops2" for a in attrs[4:])


def test_filters_select_by_container_event_label_and_image(daemon):
    t0 = time.time()
    a = daemon.client.containers.run("busybox", "true", name="alpha", detach=True,
                                     labels={"team": "a", "x": "1"})
    b = daemon.client.containers.run("busybox", "true", name="beta", detach=True,
                                     labels={"team": "b"})
    a.wait()
    b.wait()
    ids = {a.id: "alpha", b.id: "beta"}

    def sel(filters):
        return [(ids.get(e["Actor"]["ID"], e["Actor"]["ID"]), e["Action"])
                for e in past(daemon, t0, filters=filters)]

    assert sel({"container": "alpha", "event": "die"}) == [("alpha", "die")]
    # an ID prefix, and the full ID
    assert sel({"container": b.id[:10], "event": "create"}) == [("beta", "create")]
    assert sel({"container": [a.id, "beta"], "event": "start"}) == [("alpha", "start"),
                                                                   ("beta", "start")]
    assert sel({"label": "team=b"}) == [("beta", "create"), ("beta", "start"), ("beta", "die")]
    assert sel({"label": ["team", "x=1"], "event": "create"}) == [("alpha", "create")]
    assert sel({"label": "team=c"}) == []
    # containers by the image they were created from; type image has none here
    assert len(sel({"image": "busybox", "type": "container"})) == 6
    assert sel({"image": "other"}) == []
    assert sel({"type": "image"}) == []
    # the older {"key": {"value": true}} shape (docker-py cannot send it)
    old = q({"event": {"create": True}, "container": {"alpha": True}})
    r = call(daemon.sock, "GET", f"/events?since={t0}&until={time.time()}&filters={old}")
    assert r.status == 200
    assert [(e["Actor"]["ID"], e["Action"]) for e in map(json.loads, r.body.splitlines())] == \
        [(a.id, "create")]
    # keys Docker does not know are ignored; scope local is all of them
    assert len(sel({"nonsense": "x", "scope": "local", "container": "alpha"})) == 3
    assert sel({"scope": "swarm"}) == []
    a.remove()
    b.remove()


def test_image_events_tag_untag_delete_import_load(daemon, rootfs_tar):
    cl = daemon.client
    t0 = time.time()
    img = cl.images.get("busybox")
    assert img.tag("evtest", "v1")
    cl.images.remove("evtest:v1")
    with open(rootfs_tar, "rb") as f:
        cl.api.import_image_from_data(f.read(), repository="imported", tag="x")
    imported = cl.images.get("imported:x").id
    archive = b"".join(img.save())
    cl.images.remove(imported, force=True)
    loaded = cl.images.load(archive)
    assert loaded[0].id == img.id
    evs = past(daemon, t0, filters={"type": "image"})
    for ev in evs:
        check_shape(ev)
    got = [(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"]["name"]) for e in evs]
    assert got == [
        ("tag", img.id, "evtest:v1"),
        ("untag", img.id, img.id),
        ("tag", imported, "imported:x"),
        ("import", imported, imported),
        ("untag", imported, imported),
        ("delete", imported, imported),
        ("load", img.id, img.id),
    ]
    # by image name, with or without the tag
    assert [e["Action"] for e in past(daemon, t0, filters={"image": "evtest"})] == ["tag"]
    assert [e["Action"] for e in past(daemon, t0, filters={"image": "imported:x"})] == ["tag"]


# ---- persistence and other writers ---------------------------------------------

def test_since_reaches_back_across_a_restart_of_berthd(daemon):
    t0 = time.time()
    c = daemon.client.containers.run("busybox", "true", name="before", detach=True)
    c.wait()
    c.remove()
    t1 = time.time()
    daemon.stop()
    daemon.start()
    evs = list(daemon.client.api.events(since=t0, until=t1, decode=True,
                                        filters={"container": c.id}))
    assert actions(evs) == ["create", "start", "die", "destroy"]
    assert evs[0]["Actor"]["Attributes"]["name"] == "before"
    # until alone: everything recorded up to it, as Docker sends all it has
    evs = list(daemon.client.api.events(until=t1, decode=True, filters={"container": c.id}))
    assert actions(evs) == ["create", "start", "die", "destroy"]
    # fractional seconds as the docker CLI sends them bound the window exactly
    start_ns = evs[1]["timeNano"]
    since = f"{start_ns // 10**9}.{start_ns % 10**9:09d}"
    r = call(daemon.sock, "GET", f"/events?since={since}&until={t1:.9f}"
                                 f"&filters={q({'container': [c.id]})}")
    assert r.status == 200
    lines = [json.loads(x) for x in r.body.decode().splitlines()]
    assert [e["Action"] for e in lines] == ["start", "die", "destroy"]


def test_berth_cli_actions_reach_an_open_api_stream(daemon, stream):
    s = stream(filters={"container": "from-cli"})
    daemon.berth("run", "--rm", "--name", "from-cli", "-l", "via=cli", "busybox", "sh", "-c",
                 "exit 4", check=False)
    evs = s.wait(lambda e: "destroy" in actions(e), "the CLI run's events")
    # the CLI's run attaches before it starts, as docker run does
    assert actions(evs) == ["create", "attach", "start", "die", "destroy"]
    assert evs[3]["Actor"]["Attributes"] == {"via": "cli", "image": "busybox",
                                             "name": "from-cli", "exitCode": "4"}


def test_until_in_the_future_follows_then_ends(daemon):
    until = time.time() + 3
    out = []
    gen = daemon.client.api.events(until=until, decode=True, filters={"event": "create"})
    t = threading.Thread(target=lambda: out.extend(gen))
    t.start()
    c = daemon.client.containers.create("busybox", "true", name="future")
    t.join(30)
    assert not t.is_alive(), "the stream did not end at until"
    assert [(e["Action"], e["Actor"]["ID"]) for e in out] == [("create", c.id)]
    c.remove()


# ---- the docker CLI --------------------------------------------------------------

def test_docker_cli_events_since_until(daemon):
    t0 = time.time()
    daemon.docker("run", "--rm", "--name", "dcli", "busybox", "true")
    t1 = time.time()
    p = daemon.docker("events", "--since", f"{t0:.6f}", "--until", f"{t1:.6f}",
                      "--filter", "container=dcli", "--format", "{{json .}}")
    evs = [json.loads(x) for x in p.stdout.splitlines()]
    # docker run attaches before it starts
    assert actions(evs) == ["create", "attach", "start", "die", "destroy"]
    p = daemon.docker("events", "--since", f"{t0:.6f}", "--until", f"{t1:.6f}",
                      "--filter", "event=die")
    lines = p.stdout.splitlines()
    assert len(lines) == 1, lines
    m = LINE.match(lines[0])
    assert m, lines[0]
    assert m.group(2, 3) == ("container", "die") and ID64.match(m.group(4))
    assert m.group(5) == "exitCode=0, image=busybox, name=dcli"


def test_bad_requests_are_400(daemon):
    for query, words in [
        ("filters=" + q("nope")[:-3], "invalid filters"),
        ("filters=" + q(["type"]), "invalid filters"),
        ("filters=" + q({"type": 5}), "Invalid filter 'type'"),
        ("since=yesterday", "invalid since timestamp"),
        ("until=12ab", "invalid until timestamp"),
        ("since=1700000100&until=1700000000", "cannot be after `until`"),
    ]:
        r = call(daemon.sock, "GET", "/events?" + query)
        assert r.status == 400, (query, r)
        assert words in r.message, (query, r.message)
    # and the daemon stays up
    assert daemon.client.ping()


# ---- berth events ------------------------------------------------------------------

def test_berth_events_prints_docker_lines_and_follows(bb):
    t0 = f"{time.time():.9f}"
    bb("create", "--name", "cliev", "-l", "k=v", "busybox", "true")
    out = bb.out("events", "--since", t0, "--until", "0s")
    lines = out.splitlines()
    assert len(lines) == 1, lines
    m = LINE.match(lines[0])
    assert m and m.group(2, 3) == ("container", "create")
    assert m.group(5) == "image=busybox, k=v, name=cliev"
    js = bb.out("events", "--since", t0, "--until", "0s", "--format", "{{json .}}")
    assert json.loads(js)["Actor"]["Attributes"]["name"] == "cliev"
    tmpl = bb.out("events", "--since", t0, "--until", "0s", "--format",
                  "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.ID}}")
    assert tmpl.split()[:3] == ["container", "create", "cliev"] and ID64.match(tmpl.split()[3])

    # following: an action of another process arrives while it runs
    p = bb.popen("events", "--filter", "event=rename", "--format", "{{json .}}",
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        got = []
        reader = threading.Thread(target=lambda: got.append(p.stdout.readline()), daemon=True)
        reader.start()
        # renames until the follower (started at an unknown moment) sees one
        deadline = time.time() + 30
        n = 0
        while not got and time.time() < deadline:
            n += 1
            bb("rename", "cliev" if n == 1 else f"cliev{n - 1}", f"cliev{n}")
            reader.join(0.5)
        assert got and got[0], "berth events did not print the rename"
        ev = json.loads(got[0])
        assert ev["Action"] == "rename" and ev["Actor"]["Attributes"]["oldName"].startswith("/cliev")
    finally:
        p.terminate()
        p.wait(10)

    bad = bb("events", "--filter", "nonsense", check=False)
    assert bad.returncode != 0 and "bad format of filter" in bad.stderr


# ---- docker-py 7.1.0 ----------------------------------------------------------------

@pytest.fixture(scope="module")
def py7():
    return _py7()


def test_dockerpy7_events_life_cycle(daemon, py7):
    r = run_py7(py7, daemon, """
        import docker, json, sys, threading, time
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        s = cl.events(decode=True, filters={"container": "seven"})
        got = []
        def rd():
            for e in s:
                got.append(e)
                if e["Action"] == "destroy":
                    return
        t = threading.Thread(target=rd, daemon=True)
        t.start()
        cl.containers.run("busybox", ["sh", "-c", "exit 7"], name="seven", remove=True, detach=True)
        t.join(60)
        s.close()
        print(json.dumps([[e["Action"], e["Actor"]["Attributes"].get("exitCode")] for e in got]))
    """)
    assert r == [["create", None], ["start", None], ["die", "7"], ["destroy", None]]
