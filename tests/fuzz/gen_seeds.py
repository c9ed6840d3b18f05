#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/.

The seeds are checked in; this script is how they were made, so that a
changed input format can be followed by regenerating them. Each seed is a
handful of bytes a real client, image or monitor produces, or a known
tricky case. Usage: tests/fuzz/gen_seeds.py (rewrites corpus/).
"""
import io
import os
import shutil
import struct
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
shutil.rmtree(CORPUS, ignore_errors=True)
HEX64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def seeds(target, items):
    for i, data in enumerate(items):
        write(target, "seed-%02d" % i, data)


# ---- ref -----------------------------------------------------------------
seeds("ref", [
    "busybox",
    "busybox:latest",
    "library/busybox:1.36",
    "docker.io/library/ubuntu:22.04",
    "index.docker.io/foo/bar",
    "localhost:5000/a/b:t",
    "localhost/x",
    "registry.example.com:443/ns/img:v1.2-rc_3@sha256:" + HEX64,
    "name@sha256:" + HEX64,
    "[::1]:5000/foo:bar",
    "a.b/c__d-e.f:TAG_1",
    "UPPER/repo",
    HEX64,
    "a//b",
    "x:",
    "foo@sha256:short",
    "Busybox",
    "a" * 300,
])

# ---- signal --------------------------------------------------------------
seeds("signal", ["SIGTERM", "TERM", "9", "sigkill", "SIGRTMIN+3", "RTMAX-2", "RTMIN",
                 "0", "65", "SIGRTMIN+31", "hup", "SIGRTMAX-0", "SIG", "1000"])

# ---- time ----------------------------------------------------------------
seeds("time", [
    "2024-01-02T03:04:05Z",
    "2024-01-02T03:04:05.123456789+02:00",
    "2024-01-02T03:04:05.5-07:30",
    "2024-01-02",
    "2024-01-02T03",
    "2024-01-02T03:04",
    "1700000000.5",
    "1700000000",
    "-1700000000.000000001",
    "10m",
    "1h2m3.5s",
    "-5s",
    "300ms",
    "1.5\u00b5s",
    "2us3ns",
    "0",
    "2024-02-30T25:00:00Z",
    "2016-12-31T23:59:60Z",
])

# ---- userdb --------------------------------------------------------------
PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "# comment\n"
          "tester:x:1000:1000:tester:/home/tester:/bin/sh\n"
          "nohome:x:1001:1001::\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
GROUP = ("root:x:0:\n"
         "tester:x:1000:\n"
         "extra:x:1001:tester, nobody\n"
         "more:x:1002:tester\n"
         "nogroup:x:65534:\n")
seeds("userdb", [
    "tester\0" + PASSWD + "\0" + GROUP,
    "tester:extra\0" + PASSWD + "\0" + GROUP,
    "1000:1002\0" + PASSWD + "\0" + GROUP,
    "nobody\0" + PASSWD + "\0" + GROUP,
    "\0" + PASSWD + "\0" + GROUP,
    "4242\0" + PASSWD,
    "root:nogroup\0" + PASSWD + "\0" + GROUP,
    "missing\0" + PASSWD + "\0" + GROUP,
    "tester:missing\0" + PASSWD + "\0" + GROUP,
    "1000",
    "tester\0bad:line\n::::\ntester:x:notanumber:1\n\0:x\n",
])

# ---- change --------------------------------------------------------------
CONFIG = ('{"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05.5Z",'
          '"config":{"Env":["PATH=/bin","A=1"],"Cmd":["sh"],"WorkingDir":"/srv",'
          '"Labels":{"k":"v"}},"rootfs":{"type":"layers","diff_ids":["sha256:' + HEX64 + '"]},'
          '"history":[{"created":"2024-01-02T03:04:05Z","created_by":"x"}]}')
seeds("change", [
    'ENV A=1 B="two words" C=\'single $X\'\nLABEL x=y "a b"=c\nCMD ["sh","-c","echo hi"]',
    "ENV OLD form with spaces\nENV HOME=/h PATH=$PATH:/x",
    "ENTRYPOINT echo $HOME\nCMD [\"--help\"]",
    "ENTRYPOINT [\"/bin/app\"]",
    "WORKDIR /a\nWORKDIR b/../c\nWORKDIR ${HOME}/d",
    "USER ${HOME:-root}\nUSER ${NOPE:+x}\nUSER 1000:1000",
    "EXPOSE 80 443/tcp 53/UDP 8000-8003 9/sctp",
    'VOLUME ["/data"]\nVOLUME /a /b',
    "STOPSIGNAL SIGRTMIN+2\nSTOPSIGNAL 9\nSTOPSIGNAL rtmax-1",
    "ONBUILD RUN make\nonbuild ONBUILD x",
    "RUN x",
    "FROM scratch",
    "ENV ${A:+x}=1 \\\"q\\\"=2",
    "LABEL \"unterminated",
    "  # a comment\n\nLABEL a=${EMPTY:-default} b=${EMPTY-unset} c=${UNSET:+set}",
    CONFIG + "\0" + "ENV A=2\nLABEL k=w\nWORKDIR rel",
    CONFIG + "\0" + "EXPOSE 99999",
    '{"rootfs":{"type":"layers","diff_ids":["nope"]}}\0CMD x',
    '{"config":[],"rootfs":{"type":"layers","diff_ids":[]}}\0USER u',
])

# ---- create --------------------------------------------------------------
seeds("create", [
    '{"Image":"busybox"}',
    '{"Image":"busybox","Cmd":["echo","hi"],"Env":["A=1","PATH=/x"],"Tty":true,'
    '"OpenStdin":true,"Labels":{"l":"v"},"WorkingDir":"/tmp","StopSignal":"SIGINT",'
    '"StopTimeout":5,"User":"1000:1000","Hostname":"h","ExposedPorts":{"22/tcp":{}}}',
    '{"Image":"busybox","Entrypoint":[""],"Cmd":"ls -l"}',
    '{"Image":"busybox","Entrypoint":"sh","Cmd":null}',
    '{"Image":"busybox","HostConfig":{"AutoRemove":true,"NetworkMode":"host","CapAdd":["NET_ADMIN"],'
    '"CapDrop":["ALL"],"ExtraHosts":["h:1.2.3.4"],"ShmSize":1048576,"ReadonlyRootfs":true,'
    '"LogConfig":{"Type":"json-file","Config":{}},"RestartPolicy":{"Name":"no"},'
    '"ConsoleSize":[24,80],"MemorySwappiness":-1,"PidsLimit":0,"OomKillDisable":false,'
    '"Runtime":"crun","CgroupnsMode":"private","IpcMode":"shareable","Isolation":"default",'
    '"Binds":null,"Privileged":false}}',
    '{"Image":"busybox","HostConfig":{"Memory":1024}}',
    '{"Image":"busybox","HostConfig":{"NetworkMode":"bridge"}}',
    '{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{}},"Volumes":{},'
    '"Healthcheck":null,"MacAddress":""}',
    '{"Image":"busybox","Env":["=x"]}',
    '{"Image":"busybox","Cmd":[1]}',
    '{"Image":"busybox","Image":"dup"}',
    '{"Image":""}',
    '[]',
    '{"Image":"busybox","Cmd":[]}\0{"config":{"Env":["A=1","B"],"Entrypoint":"/x",'
    '"Cmd":["a"],"User":"u","StopSignal":"TERM","Labels":{"x":"y"},"Volumes":{"/v":{}}},'
    '"rootfs":{"type":"layers","diff_ids":[]}}',
    '{"Image":"busybox","Env":["A=2"]}\0{"config":{"Env":["A=1"]},'
    '"rootfs":{"type":"layers","diff_ids":[]}}',
])

# ---- logfile -------------------------------------------------------------
MARK = 0x4C47


def record(stream, ts, data, flags=0):
    return (struct.pack("<IBBHq", len(data), stream, flags, MARK, ts) + data
            + struct.pack("<I", len(data)))


def log_input(tail, since, log, index=b""):
    k = len(index) // 16
    return struct.pack("<bqB", tail, since, k) + index + log


HDR = b"BERTHLG1" + struct.pack("<II", 1, 0)
recs = [record(1, 100, b"a\nb\n"), record(2, 200, b"err\n"),
        record(1, 300, b"partial", 1), record(1, 400, b" end\n")]
log = HDR + b"".join(recs)
off2 = len(HDR) + len(recs[0])
index = struct.pack("<Qq", off2, 200)
seeds("logfile", [
    log_input(-1, 0, log),
    log_input(2, 0, log),
    log_input(0, 0, log),
    log_input(100, 0, log),
    log_input(-1, 250, log, index),
    log_input(1, 0, log[:-3]),                        # torn last record
    log_input(3, 0, log[:20] + b"\xff" * 8 + log[28:]),  # damaged header
    log_input(-1, 150, log, struct.pack("<Qq", 2**63, 100)),  # index past the end
    log_input(1, 0, b"not a log at all"),
    log_input(1, 0, HDR),
    log_input(5, 0, HDR + record(1, 1, b"x" * 300 + b"\n" * 3)),
])

# ---- untar ---------------------------------------------------------------


def tar(entries, fmt=tarfile.PAX_FORMAT, mode="w"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as t:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            info.type = e.get("type", tarfile.REGTYPE)
            info.mode = e.get("mode", 0o644)
            info.mtime = 1600000000
            info.linkname = e.get("link", "")
            data = e.get("data", b"")
            if info.type == tarfile.REGTYPE:
                info.size = len(data)
            if "pax" in e:
                info.pax_headers = e["pax"]
            if "dev" in e:
                info.devmajor, info.devminor = e["dev"]
            t.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    return buf.getvalue()


D, F, L, H = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
seeds("untar", [
    tar([{"name": "etc", "type": D, "mode": 0o755},
         {"name": "etc/passwd", "data": b"root:x:0:0::/root:/bin/sh\n"},
         {"name": "bin/sh", "data": b"\x7fELF", "mode": 0o755},
         {"name": "bin/ls", "type": L, "link": "sh"},
         {"name": "bin/hard", "type": H, "link": "bin/sh"}]),
    tar([{"name": "../../x", "data": b"up"},
         {"name": "/abs/x", "data": b"abs"},
         {"name": "./a/../../b", "data": b"b"}]),
    tar([{"name": "escape/x", "data": b"through a planted relative symlink"},
         {"name": "abs/x", "data": b"through a planted absolute symlink"},
         {"name": "efile", "data": b"replace the symlink"},
         {"name": "sub/up/y", "data": b"y"}]),
    tar([{"name": "l", "type": L, "link": "/"},
         {"name": "l/z", "data": b"z"},
         {"name": "dd", "type": L, "link": "../../.."},
         {"name": "dd/w", "data": b"w"},
         {"name": "h", "type": H, "link": "efile"},
         {"name": "h2", "type": H, "link": "../outside"}]),
    tar([{"name": "d", "type": D, "mode": 0o555},
         {"name": "d/.wh.gone", "data": b""},
         {"name": "d/.wh..wh..opq", "data": b""},
         {"name": ".wh..wh.plnk", "type": D},
         {"name": ".wh..", "data": b""}]),
    tar([{"name": "dev/null", "type": tarfile.CHRTYPE, "dev": (1, 3)},
         {"name": "dev/loop", "type": tarfile.BLKTYPE, "dev": (7, 0)},
         {"name": "fifo", "type": tarfile.FIFOTYPE},
         {"name": "x", "data": b"x", "pax": {"SCHILY.xattr.user.k": "v",
                                            "SCHILY.xattr.trusted.overlay.opaque": "y"}}]),
    tar([{"name": "f", "data": b"file"}, {"name": "f", "type": D},
         {"name": "f/g", "data": b"g"}, {"name": "f", "data": b"again"}]),
    tar([{"name": "./", "type": D, "mode": 0o700}, {"name": "a", "data": b"a" * 1000}],
        fmt=tarfile.GNU_FORMAT, mode="w:gz"),
    tar([{"name": "n" * 150 + "/" + "m" * 150, "data": b"long"},
         {"name": "s", "type": L, "link": "t" * 200}], fmt=tarfile.GNU_FORMAT),
    tar([{"name": "u", "data": b"ustar"}], fmt=tarfile.USTAR_FORMAT, mode="w:bz2"),
    tar([{"name": "x", "data": b"xz"}], mode="w:xz"),
    b"not a tar archive",
])

# ---- wsframe -------------------------------------------------------------
def ws_frame(op, data, fin=True, mask=b"\x37\xfa\x21\x3d", length=None):
    n = len(data) if length is None else length
    head = bytes([(0x80 if fin else 0) | op])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


seeds("wsframe", [
    b"\x01" + ws_frame(1, b"Hello"),
    b"\x03" + ws_frame(2, bytes(range(256))),
    b"\x07" + ws_frame(1, b"ab", fin=False) + ws_frame(9, b"ping") + ws_frame(0, b"cd"),
    b"\x02" + ws_frame(8, b"\x03\xe8bye"),
    b"\x10" + ws_frame(2, b"x" * 70000),
    b"\x05" + ws_frame(10, b"") + ws_frame(2, b"") + ws_frame(8, b""),
    b"\x01" + b"\x81\x05Hello",  # unmasked
    b"\x04" + ws_frame(9, b"y" * 126),  # control frame too long
    b"\x09" + ws_frame(2, b"", length=1 << 63),
    b"\x01" + ws_frame(0, b"orphan continuation"),
])

if __name__ == "__main__":
    print("seeds written to", CORPUS)
