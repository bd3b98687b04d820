"""Attributes a `perf record -g` profile of a Node thread (bench/serve-perf.sh) to its owners.

    python3 bench/perf-owners.py A.data A_US [B.data B_US]

Each sample goes to the innermost JavaScript frame of its stack (V8 builtins, the runtime, the kernel
and libc below it count for the JavaScript that called them), grouped by owner: our modules by
folder of dist/, a package of node_modules, Node's own modules, the response write (`writev`, kernel
included), or no JavaScript (event loop, GC, llhttp). US: the thread's CPU µs a request (serve-perf's
last line), so each owner reads in µs a request; with B (e.g. the bare route), side by side.
"""

import collections
import re
import subprocess
import sys


def owners(data: str, us: float) -> dict[str, float]:
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], capture_output=True, text=True).stdout
    counts: collections.Counter[str] = collections.Counter()
    n = 0
    for sample in out.split("\n\n"):
        frames = [line.strip().split(" ", 1)[-1] for line in sample.strip().splitlines()]
        if not frames:
            continue
        n += 1
        js = next((f for f in frames if f.startswith("JS:")), None)
        if js is None:
            key = "no JavaScript (event loop, GC, llhttp)"
        elif "internal/streams/writable" in js and "clearBuffer" in js:
            key = "response write (writev, kernel included)"
        elif "/dist/" in js:
            key = "lakay " + js.split("/dist/")[1].split("/")[0]
        elif "node_modules/" in js:
            key = "package " + js.split("node_modules/")[1].split("/")[0]
        elif m := re.search(r"node:([\w/]+)", js):
            key = "node " + m[1]
        else:
            key = "other JavaScript"
        counts[key] += 1
    return {k: v * us / max(n, 1) for k, v in counts.items()}


def main() -> None:
    a = owners(sys.argv[1], float(sys.argv[2]))
    b = owners(sys.argv[3], float(sys.argv[4])) if len(sys.argv) > 4 else {}
    print(f"{'owner':44s} {'A µs':>7s}" + (f" {'B µs':>7s} {'A-B':>7s}" if b else ""))
    for k in sorted(set(a) | set(b), key=lambda k: -(a.get(k, 0) - b.get(k, 0))):
        x, y = a.get(k, 0), b.get(k, 0)
        if x + y >= 0.2:
            print(f"{k:44s} {x:7.2f}" + (f" {y:7.2f} {x - y:7.2f}" if b else ""))
    print(f"{'total':44s} {sum(a.values()):7.2f}" + (f" {sum(b.values()):7.2f}" if b else ""))


if __name__ == "__main__":
    main()
