"""berthd comes up, answers docker-py and the docker CLI, and stops on
SIGTERM leaving its containers running (they belong to their monitors)."""
import os
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


def test_volumes_of_containers_are_listed_and_inspected(daemon, rootfs_tar):
    cl = daemon.client
    daemon.berth("import", "-c", "VOLUME /data", rootfs_tar, "withvol")
    c = cl.containers.run("withvol", ["sh", "-c", "echo kept > /data/f"], detach=True)
    assert c.wait()["StatusCode"] == 0
    (vol,) = cl.volumes.list()
    mount = c.attrs["Mounts"][0]
    assert vol.name == mount["Name"] and len(vol.name) == 64
    assert vol.attrs["Driver"] == "local" and vol.attrs["Scope"] == "local"
    assert vol.attrs["Labels"] == {"com.docker.volume.anonymous": ""}
    assert vol.attrs["Mountpoint"] == mount["Source"]
    with open(os.path.join(vol.attrs["Mountpoint"], "f")) as f:
        assert f.read() == "kept\n"
    assert cl.volumes.get(vol.name).attrs == vol.attrs
    # used by a container (even a stopped one): not dangling
    assert cl.volumes.list(filters={"dangling": True}) == []
    assert [v.name for v in cl.volumes.list(filters={"name": vol.name[:10]})] == [vol.name]
    assert daemon.docker("volume", "ls", "-q").stdout == vol.name + "\n"
    with pytest.raises(docker.errors.APIError) as e:
        cl.volumes.list(filters={"driver": "local"})
    assert e.value.status_code == 400
    c.remove(v=True)
    assert cl.volumes.list() == []
    with pytest.raises(docker.errors.NotFound) as e:
        cl.volumes.get(vol.name)
    assert e.value.explanation == f"get {vol.name}: no such volume"
