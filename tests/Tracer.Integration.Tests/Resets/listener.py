#!/usr/bin/env python3
"""A TCP listener for the reset tests, joining the port's SO_REUSEPORT group.

serve PORT         accept and close every connection until killed (the server)
ghost PORT GOFILE [--defer-accept] [--accept N]
                   listen, never accept (with --accept, accept and close the
                   first N), and once GOFILE exists exit with what is queued
                   (with --defer-accept, handshakes without data stay in the
                   SYN queue) (the ghost)

Binds [::] (dual stack: IPv4 clients arrive as mapped addresses). Prints
"listening PID" once listen() returned, "queued N" (its accept queue) before a ghost exits.
"""
import os
import socket
import sys
import time


def listener(port, defer_accept=False):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    if defer_accept:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 30)
    s.bind(("::", port))
    s.listen(128)
    print(f"listening {os.getpid()}", flush=True)
    return s


def queued(port):
    """Completed handshakes on this process's listener: ss -ltn's Recv-Q is sk_ack_backlog."""
    # /proc/net/tcp6 rx_queue of a listener is sk_ack_backlog (tcp6_seq_show: get_tcp6_sock)
    total = 0
    with open("/proc/net/tcp6") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, state, queues, inode = fields[1], fields[3], fields[4], fields[9]
            if state == "0A" and int(local.split(":")[1], 16) == port and inode in mine():
                total += int(queues.split(":")[1], 16)
    return total


def mine():
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "serve":
        s = listener(port)
        while True:
            conn, _ = s.accept()
            conn.close()
    go = sys.argv[3]
    s = listener(port, "--defer-accept" in sys.argv)
    if "--accept" in sys.argv:
        s.settimeout(10)
        for _ in range(int(sys.argv[sys.argv.index("--accept") + 1])):
            conn, _ = s.accept()
            conn.close()
        s.settimeout(None)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not os.path.exists(go):
        time.sleep(0.02)
    print(f"queued {queued(port)}", flush=True)
    os._exit(0)


main()
