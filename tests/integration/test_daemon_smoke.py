"""berthd comes up, answers docker-py and the docker CLI, and stops on
SIGTERM leaving its containers running (they belong to their monitors)."""
import time


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
