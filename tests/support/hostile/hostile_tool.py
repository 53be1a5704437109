#!/usr/bin/python3
# A node's `find` or `tar` gone bad, for the hostile-node tests: installed as both names in a
# directory the test sshd puts first on PATH. The file `mode` beside it picks the misbehaviour;
# any other mode (or none) runs the real tool.
import os
import sys
import tarfile

here = os.path.dirname(os.path.realpath(__file__))
tool = os.path.basename(sys.argv[0])
try:
    with open(os.path.join(here, "mode")) as f:
        mode = f.read().strip()
except OSError:
    mode = ""
out = sys.stdout.buffer


def real():
    os.execv("/usr/bin/" + tool, [tool] + sys.argv[1:])


def requested():
    return [p.decode(errors="surrogateescape") for p in sys.stdin.buffer.read().split(b"\0") if p]


if "--version" in sys.argv[1:]:
    real()

if tool == "find" and "-maxdepth" not in sys.argv:
    if mode == "find-garbage":  # a mode that is not octal: 0.1.0 died on std::stoul
        out.write(b"f zzz 0 0 12 1.0 1.0 7 1 2049 8\0" + sys.argv[1].encode() + b"/x\0\0")
        sys.exit(0)
    if mode == "find-escape":  # entries outside the root and with ".." components
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            real()
        os.waitpid(pid, 0)
        root = sys.argv[1].encode()
        for bad in (root + b"/../escaped", b"/etc/passwd", root + b"//double", root + b"/./dot"):
            out.write(b"f 644 0 0 5 1.0 1.0 9 1 2049 8\0" + bad + b"\0\0")
        sys.exit(0)
    if mode == "find-endless":  # output without end and without a NUL
        chunk = b"y" * 65536
        while True:
            out.write(chunk)

if tool == "tar":
    if mode == "tar-other":  # a member the job did not ask for
        requested()
        info = tarfile.TarInfo("/etc/hostname-not-asked")
        data = b"planted\n"
        info.size = len(data)
        out.write(info.tobuf(tarfile.PAX_FORMAT) + data + b"\0" * (512 - len(data)) + b"\0" * 1024)
        sys.exit(0)
    if mode == "tar-huge":  # a 1 TiB member, then zeros without end
        paths = requested()
        info = tarfile.TarInfo(paths[0])
        info.size = 1 << 40
        out.write(info.tobuf(tarfile.PAX_FORMAT))
        chunk = b"\0" * 65536
        while True:
            out.write(chunk)
    if mode == "tar-trailer":  # a good archive, then a line dressed as the session's trailer
        import subprocess
        names = b"".join(p.encode(errors="surrogateescape") + b"\0" for p in requested())
        archive = subprocess.run(["/usr/bin/tar"] + sys.argv[1:], input=names,
                                 stdout=subprocess.PIPE).stdout
        out.write(archive + b"\nnb-forged 0 0\n")
        sys.exit(0)
    if mode == "tar-duplicate":  # every member twice
        paths = requested()
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as t:
            for p in paths + paths:
                t.add(p, recursive=False)
        sys.exit(0)

real()
