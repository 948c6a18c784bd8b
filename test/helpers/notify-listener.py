# A stand-in for systemd's notify socket: binds an AF_UNIX datagram socket with SO_PASSCRED and
# prints each datagram as one JSON line with the sender's PID, as the kernel reports it. Node cannot
# receive AF_UNIX datagrams with credentials, hence Python. Exits when stdin closes.
import json, os, select, socket, struct, sys

path = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind(path)
print(json.dumps({"listening": path}), flush=True)
while True:
    ready, _, _ = select.select([sock, sys.stdin], [], [], 60)
    if not ready:
        break
    if sys.stdin in ready and not sys.stdin.readline():
        break
    if sock in ready:
        data, ancdata, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("3i")))
        pid = None
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, _uid, _gid = struct.unpack("3i", payload[: struct.calcsize("3i")])
        print(json.dumps({"pid": pid, "data": data.decode()}), flush=True)
try:
    os.unlink(path)
except FileNotFoundError:
    pass  # the test already removed its temporary directory
