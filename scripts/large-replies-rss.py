#!/usr/bin/env python3
"""Peak memory of a server answering one large reply (issue 19, item 3).

    scripts/large-replies-rss.py SERVER PORT ENTRIES WHICH[,WHICH...]

SERVER is a `brook` binary (run as `SERVER serve --port PORT`) or `redis` (the Redis
8.6.3 oracle at ~/.cache/brook/redis-8.6.3/redis-server). For each WHICH (xread,
readgroup, full, pending) a fresh server gets one stream of ENTRIES entries (two
fields, 40 bytes of values), for full/pending also a group whose PEL holds every
entry (built in reads of 1000), then one command on a new connection:

    xread      XREAD COUNT n STREAMS s 0
    readgroup  XREADGROUP GROUP g c COUNT n STREAMS s >
    full       XINFO STREAM s FULL COUNT 0
    pending    XPENDING s g - + n

Prints the reply size, VmRSS before, the peak (VmHWM, reset just before the command
through /proc/PID/clear_refs) and VmRSS after the connection closed.
"""
import socket, subprocess, sys, time, os

def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out

def status(pid):
    d = {}
    for l in open(f"/proc/{pid}/status"):
        k, _, v = l.partition(":")
        if k in ("VmRSS", "VmHWM"):
            d[k] = int(v.split()[0])
    return d

def reset_hwm(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
    def run(self, payload, npongs=1):
        """send payload + PING, read until PONG; return bytes before PONG"""
        self.s.sendall(payload + cmd("PING"))
        buf = bytearray()
        while not buf.endswith(b"+PONG\r\n"):
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("closed")
            buf += chunk
        return bytes(buf[:-7])

def start(kind, port):
    if kind == "redis":
        p = subprocess.Popen(["/root/.cache/brook/redis-8.6.3/redis-server", "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    else:
        p = subprocess.Popen([kind, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            c = Conn(port); c.run(b""); return p, c
        except Exception:
            time.sleep(0.1)
    raise RuntimeError("no server")

def mb(kb): return f"{kb/1024:.0f} MB"

def main(kind, port, n, which):
    p, c = start(kind, port)
    pid = p.pid
    batch = 10000
    v1 = b"x" * 20; v2 = b"y" * 20
    for i in range(0, n, batch):
        c.run(b"".join(cmd("XADD", "s", "*", "f1", v1, "f2", v2) for _ in range(batch)))
    if which != "xread":
        c.run(cmd("XGROUP", "CREATE", "s", "g", "0"))
    if which in ("full", "pending"):
        for i in range(0, n, 10000):
            c.run(b"".join(cmd("XREADGROUP", "GROUP", "g", "c", "COUNT", 1000, "STREAMS", "s", ">") for _ in range(10)))
    c.s.close()
    time.sleep(1)
    args = {
        "xread": ("XREAD", "COUNT", n, "STREAMS", "s", "0"),
        "readgroup": ("XREADGROUP", "GROUP", "g", "c", "COUNT", n, "STREAMS", "s", ">"),
        "full": ("XINFO", "STREAM", "s", "FULL", "COUNT", "0"),
        "pending": ("XPENDING", "s", "g", "-", "+", n),
    }[which]
    before = status(pid)
    reset_hwm(pid)
    t = time.time()
    cc = Conn(port)
    r = cc.run(cmd(*args))
    dt = time.time() - t
    cc.s.close()
    time.sleep(0.3)
    after = status(pid)
    print(f"{kind.split('/')[-1]:>16} {' '.join(map(str,args)):<52} reply {len(r)/1e6:6.1f} MB  RSS before {mb(before['VmRSS']):>8}  peak {mb(after['VmHWM']):>8} (+{mb(after['VmHWM']-before['VmRSS'])})  after {mb(after['VmRSS']):>8}  {dt:.2f}s", flush=True)
    p.terminate(); p.wait()

for which in sys.argv[4].split(","):
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), which)
