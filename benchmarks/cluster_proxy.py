#!/usr/bin/env python3
"""The cluster's costs and recovery on loopback (docs/cluster.md), with real processes.

1. Proxy overhead: one node, one proxy; streamed completions sent alternately straight to the node
   and through the proxy (one at a time, the same body), so both paths see the same machine state.
   Reports TTFT (request sent to first event) and the gaps between events, p50 and p99, per path,
   and the differences.
2. Recovery: two nodes serving the same model, one proxy, streams running on both; one node killed
   (SIGKILL). Reports the time until the proxy's view no longer lists it (/health) and the time
   until a request sent right after the kill gets its first token from the other node.

Usage: benchmarks/cluster_proxy.py [BIN_DIR] [--requests N] [--model FILE.gguf]
  BIN_DIR   default build/bin
  --model   the served model (default: a generated Qwen2-0.5B-shaped Q4_0 file, random weights)
Needs redis-server and a release build. Prints a table; run it twice to see the noise.
"""
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "build/bin"
REQUESTS = int(sys.argv[sys.argv.index("--requests") + 1]) if "--requests" in sys.argv else 100
MODEL = sys.argv[sys.argv.index("--model") + 1] if "--model" in sys.argv else None
WORK = tempfile.mkdtemp(prefix="cluster-bench-")
procs = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(args, name, port_file=None):
    log = open(os.path.join(WORK, name + ".log"), "w")
    p = subprocess.Popen(args, stderr=log, stdout=log)
    procs.append(p)
    if port_file:
        for _ in range(600):
            if os.path.exists(port_file) and open(port_file).read().strip():
                return p, int(open(port_file).read())
            if p.poll() is not None:
                sys.exit(f"{name} exited; see {log.name}")
            time.sleep(0.05)
        sys.exit(f"{name} did not start; see {log.name}")
    return p, None


def aegaeon(args, name):
    pf = os.path.join(WORK, name + ".port")
    return start([os.path.join(BIN, "aegaeon")] + args + ["--port", "0", "--port-file", pf], name, pf)


def percentile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


_conns = {}


def stream(port, body, keep=True):
    """Sends a streamed completion (on a kept-alive connection per port, as pooling clients do);
    returns (ttft_s, [gaps_s], ended_with_done)."""
    c = _conns.get(port) if keep else None
    if c is None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if keep:
            _conns[port] = c
    t0 = time.perf_counter()
    c.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    times, buf, done = [], b"", False
    while True:
        chunk = r.read1(65536)
        if not chunk:
            break
        now = time.perf_counter()
        buf += chunk
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            times.append(now)
            done |= event.strip() == b"data: [DONE]"
    if not keep:
        c.close()
    if not times:
        return None, [], False
    return times[0] - t0, [b - a for a, b in zip(times, times[1:])], done


def wait_nodes(proxy, n, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", proxy, timeout=2)
            c.request("GET", "/health")
            if json.loads(c.getresponse().read())["nodes"] == n:
                return True
        except OSError:
            pass
        time.sleep(0.005)
    return False


def main():
    model = MODEL or os.path.join(WORK, "m.gguf")
    if not MODEL:
        subprocess.run([os.path.join(BIN, "aegaeon"), "model", "dummy", "--preset", "qwen2-0.5b",
                        "--type", "q4_0", "--output", model], check=True, capture_output=True)
    rport = free_port()
    start(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no"], "redis")
    time.sleep(0.3)
    cluster = f"redis://127.0.0.1:{rport}"
    node = ["serve", "--model", f"m={model}", "--cluster", cluster, "--lease", "2"]
    n1, n1_port = aegaeon(node + ["--node", "n1"], "n1")
    _, proxy = aegaeon(["proxy", "--cluster", cluster, "--lease", "2"], "proxy")
    assert wait_nodes(proxy, 1, 5)
    body = json.dumps({"model": "m", "prompt": "hello", "max_tokens": 32, "ignore_eos": True,
                       "stream": True, "temperature": 0})
    for _ in range(5):  # warm up both paths
        stream(n1_port, body)
        stream(proxy, body)
    res = {"direct": ([], []), "proxied": ([], [])}
    for i in range(REQUESTS):
        for name, port in (("direct", n1_port), ("proxied", proxy)) if i % 2 == 0 else \
                          (("proxied", proxy), ("direct", n1_port)):
            ttft, gaps, done = stream(port, body)
            assert done, name
            res[name][0].append(ttft)
            res[name][1].extend(gaps)
    print(f"proxy overhead ({REQUESTS} streamed completions per path, alternating, 32 tokens):")
    print(f"  {'path':<8} {'TTFT p50':>10} {'TTFT p99':>10} {'gap p50':>10} {'gap p99':>10}")
    rows = {}
    for name, (ttft, gaps) in res.items():
        rows[name] = [statistics.median(ttft), percentile(ttft, 0.99), statistics.median(gaps),
                      percentile(gaps, 0.99)]
        print(f"  {name:<8} " + " ".join(f"{1000 * v:>8.3f}ms" for v in rows[name]))
    d, p = rows["direct"], rows["proxied"]
    print(f"  proxied / direct p50: TTFT {p[0] / d[0]:.3f}x, gap {p[2] / d[2]:.3f}x; "
          f"p99 difference: TTFT {1000 * (p[1] - d[1]):+.3f} ms, gap {1000 * (p[3] - d[3]):+.3f} ms")

    # Recovery after a node's SIGKILL.
    n2, _ = aegaeon(node + ["--node", "n2"], "n2")
    assert wait_nodes(proxy, 2, 5)
    long_body = json.dumps({"model": "m", "prompt": "hello", "max_tokens": 100,
                            "ignore_eos": True, "stream": True})
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(stream(proxy, long_body, False)))
               for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    t_kill = time.perf_counter()
    n1.send_signal(signal.SIGKILL)
    after = {}

    def first_token():
        ttft, _, done = stream(proxy, body, False)
        after["ttft"], after["done"] = ttft, done
    probe = threading.Thread(target=first_token)
    probe.start()
    gone = wait_nodes(proxy, 1, 10)
    t_gone = time.perf_counter() - t_kill
    probe.join()
    for t in threads:
        t.join()
    completed = sum(1 for o in outcomes if o[2])
    print("recovery after SIGKILL of one of two nodes (lease 2 s):")
    print(f"  no longer routed to after {1000 * t_gone:.0f} ms" + ("" if gone else " (NOT dropped)"))
    print(f"  a request sent at the kill: first token after {1000 * after['ttft']:.1f} ms, "
          f"{'completed' if after['done'] else 'FAILED'}")
    print(f"  streams running at the kill: {completed} completed, {len(outcomes) - completed} "
          f"ended with an error event")


try:
    main()
finally:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
