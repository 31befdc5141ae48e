"""The wire floor for issue #22's end-to-end benchmark: FILE's bytes sent N times as one TCP stream each over
127.0.0.1 (inside the shaped namespace); the receiver answers one byte once it has them all. Prints `raw K MICROSECONDS`."""
import os, socket, sys, threading, time

data = open(sys.argv[1], "rb").read()
runs = int(sys.argv[2])
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
port = server.getsockname()[1]

def receive():
    for _ in range(runs):
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        left = len(data)
        while left:
            chunk = conn.recv(1 << 20)
            if not chunk:
                raise SystemExit("the sender closed early")
            left -= len(chunk)
        conn.sendall(b"\x01")
        conn.close()

t = threading.Thread(target=receive, daemon=True)
t.start()
for k in range(1, runs + 1):
    start = time.perf_counter_ns()
    c = socket.create_connection(("127.0.0.1", port))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.sendall(data)
    if c.recv(1) != b"\x01":
        raise SystemExit("no answer")
    c.close()
    print(f"raw {k} {(time.perf_counter_ns() - start) // 1000}", flush=True)
    time.sleep(0.2)
t.join()
