"""berthd comes up, answers docker-py and the docker CLI, and stops on
SIGTERM leaving its containers running (they belong to their monitors)."""
import time

import docker
import pytest


def test_ping_version_and_a_run(daemon):
    c = daemon.client
    assert c.ping() is True
    v = c.version()
    assert v["ApiVersion"] == "1.44" and v["MinAPIVersion"] == "1.24"
    assert c.containers.run("busybox", ["echo", "hi"], remove=True) == b"hi\n"
    p = daemon.docker("run", "--rm", "busybox", "echo", "from the cli")
    assert p.stdout == "from the cli\n"


def test_containers_survive_a_daemon_restart(daemon):
    c = daemon.client.containers.run("busybox", ["sleep", "1000"], detach=True)
    pid = daemon.berth.inspect(c.id)["State"]["Pid"]
    daemon.stop()
    assert daemon.berth.inspect(c.id)["State"]["Running"] is True
    daemon.start()
    c.reload()
    assert c.status == "running" and c.attrs["State"]["Pid"] == pid
    c.kill()
    assert c.wait()["StatusCode"] == 137


def test_cli_and_api_see_the_same_containers(daemon):
    cid = daemon.berth.out("run", "-d", "--name", "from-cli", "busybox", "sleep", "1000").strip()
    c = daemon.client.containers.get("from-cli")
    assert c.id == cid and c.status == "running"
    c.stop(timeout=1)
    assert daemon.berth.inspect(cid)["State"]["ExitCode"] == 137
    api = daemon.client.containers.create("busybox", ["echo", "from-api"], name="from-api")
    assert daemon.berth.out("start", "-a", "from-api") == "from-api\n"
    api.reload()
    assert api.status == "exited"


def test_pause_unpause_and_prune_through_the_api(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "while :; do date +%s%N; sleep 0.05; done"],
                          detach=True)
    c.pause()
    c.reload()
    assert c.status == "paused" and c.attrs["State"]["Paused"] is True
    with pytest.raises(docker.errors.APIError) as e:
        c.pause()
    assert e.value.status_code == 409 and "paused" in e.value.explanation
    n = len(c.logs().splitlines())
    time.sleep(0.3)
    assert len(c.logs().splitlines()) == n  # frozen: no new lines
    c.unpause()
    c.reload()
    assert c.status == "running"
    deadline = time.time() + 5
    while len(c.logs().splitlines()) == n and time.time() < deadline:
        time.sleep(0.05)
    assert len(c.logs().splitlines()) > n
    with pytest.raises(docker.errors.APIError) as e:
        c.unpause()
    assert e.value.status_code == 409

    done = cl.containers.run("busybox", ["true"], detach=True, labels={"k": "v"})
    done.wait()
    keep = cl.containers.create("busybox", ["true"])
    report = cl.containers.prune(filters={"label": "k=v"})
    assert report["ContainersDeleted"] == [done.id] and report["SpaceReclaimed"] >= 0
    assert [x.id for x in cl.containers.list(all=True, filters={"id": keep.id})] == [keep.id]
    report = cl.containers.prune()
    assert keep.id in report["ContainersDeleted"] and c.id not in report["ContainersDeleted"]
    with pytest.raises(docker.errors.APIError) as e:
        cl.containers.prune(filters={"bogus": "1"})
    assert e.value.status_code == 400
    c.kill()
    c.wait()
    c.remove()

    img = cl.images.get("busybox")
    img.tag("dangling-test", "v1")
    report = cl.images.prune()  # only dangling images: busybox is tagged
    assert report["ImagesDeleted"] is None
    report = cl.images.prune(filters={"dangling": False})
    deleted = [d.get("Untagged") for d in report["ImagesDeleted"] or []]
    assert "dangling-test:v1" in deleted
    assert cl.images.list() == []
