#!/usr/bin/env bash
# The speed figures of issue 15, each beside its peer measured in the same run:
#
#   bash scripts/bench.sh            # release build, then every figure
#   RUNS=31 bash scripts/bench.sh    # more runs per median (default 15)
#
# - a 4-stage Go service (specs/go-orders) to LLB: msbc vs BuildKit's own Dockerfile→LLB
#   (`df2llb` from the rig, ~/.cache/buildkit-rig/bin, of msbc's Dockerfile for it); goal ≤ 0.20
# - the Go preset (specs/go) to a Dockerfile: msbc vs `nixpacks plan specs/go`; goal ≤ 0.5
# - chained stages (each: env, run, copy from the previous stage, workdir), 100 and 1,000, to a
#   Dockerfile and to LLB: time, growth 100 → 1,000 (goal ≤ 12×), peak memory; goals 1,000
#   stages < 0.3 s to a Dockerfile, < 1 s to LLB
# - 1,000 services (copies of specs/) checked in fleet mode (< 2 s wall) and `msbc images`
#   over them (< 2 s)
#
# Whole processes, wall time, median of RUNS; peak memory is /usr/bin/time's maximum resident
# set size. A peer that is not installed is skipped, saying why (nixpacks: `cargo install
# nixpacks`, or NIXPACKS=path; df2llb: /work/shared/rig, or DF2LLB=path).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
MSBC=${MSBC:-target/release/msbc}
if [ -z "${MSBC_NO_BUILD:-}" ]; then
    cargo build --release --quiet --bin msbc
fi
DF2LLB=${DF2LLB:-$(command -v df2llb || echo "$HOME/.cache/buildkit-rig/bin/df2llb")}
NIXPACKS=${NIXPACKS:-$(command -v nixpacks || true)}
work=$(mktemp -d "${TMPDIR:-/tmp}/msbc-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$MSBC" "$DF2LLB" "$NIXPACKS" "$work" "$RUNS" <<'PY'
import os, resource, statistics, subprocess, sys, time, shutil
msbc, df2llb, nixpacks, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
cores = os.cpu_count()

CPU = {}  # command -> median CPU seconds (user + system) of its runs

def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def run_once(cmd, stdin=None, cwd=None):
    c = cpu_children()
    t = time.perf_counter()
    r = subprocess.run(cmd, stdin=open(stdin, "rb") if stdin else subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr.decode(errors='replace')[-2000:]}")
    return dt, cpu_children() - c

def median(cmd, stdin=None, cwd=None, n=None):
    """Median wall time of n runs; the median CPU time goes to CPU[last]."""
    n = n or runs
    run_once(cmd, stdin, cwd)  # warm the page cache
    samples = [run_once(cmd, stdin, cwd) for _ in range(n)]
    CPU["last"] = statistics.median(c for _, c in samples)
    return statistics.median(w for w, _ in samples)

def cpu():
    return f"(cpu {CPU['last'] * 1000:.1f} ms)"

def peak_mib(cmd, stdin=None, cwd=None):
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd,
                       stdin=open(stdin, "rb") if stdin else subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    try:
        return int(r.stderr.decode().strip().splitlines()[-1]) / 1024
    except (ValueError, IndexError):
        return float("nan")

def ms(s):
    return f"{s * 1000:8.1f} ms"

def verdict(ok):
    return "meets the goal" if ok else "MISSES the goal"

print(f"msbc benchmark: {msbc}, {runs} runs per median, {cores} cores\n")

# 1. Go 4-stage service to LLB vs BuildKit's Dockerfile -> LLB.
spec = "specs/go-orders/build.kdl"
dockerfile = os.path.join(work, "go-orders.Dockerfile")
with open(dockerfile, "wb") as f:
    f.write(subprocess.run([msbc, "compile", spec], check=True, capture_output=True).stdout)
t_msbc = median([msbc, "compile", spec, "--emit", "llb", "-o", os.path.join(work, "o.llb")])
c_msbc = CPU["last"]
print(f"go-orders (4 stages) to LLB       msbc {ms(t_msbc)} {cpu()}  peak {peak_mib([msbc, 'compile', spec, '--emit', 'llb', '-o', os.path.join(work, 'o.llb')]):.1f} MiB")
if os.access(df2llb, os.X_OK):
    t_df = median([df2llb, "-f", dockerfile])
    r = t_msbc / t_df
    print(f"                                  df2llb {ms(t_df)} {cpu()}  peak {peak_mib([df2llb, '-f', dockerfile]):.1f} MiB")
    print(f"                                  ratio {r:.2f} wall, {c_msbc / CPU['last']:.2f} cpu (goal <= 0.20: {verdict(r <= 0.20)})")
else:
    print(f"                                  df2llb: SKIPPED, not found at {df2llb} (build the rig: /work/shared/rig)")

# 2. The Go preset to a Dockerfile vs nixpacks plan of the same app.
t_msbc = median([msbc, "compile", "specs/go", "-o", os.path.join(work, "go.Dockerfile")])
c_msbc = CPU["last"]
print(f"\ngo preset to Dockerfile           msbc {ms(t_msbc)} {cpu()}  peak {peak_mib([msbc, 'compile', 'specs/go']):.1f} MiB")
if nixpacks and os.access(nixpacks, os.X_OK):
    app = os.path.join(work, "go-app")
    shutil.copytree("specs/go", app)
    t_nix = median([nixpacks, "plan", app])
    r = t_msbc / t_nix
    print(f"                                  nixpacks plan {ms(t_nix)} {cpu()}  peak {peak_mib([nixpacks, 'plan', app]):.1f} MiB")
    print(f"                                  ratio {r:.2f} wall, {c_msbc / CPU['last']:.2f} cpu (goal <= 0.5: {verdict(r <= 0.5)})")
else:
    print("                                  nixpacks: SKIPPED, not installed (cargo install nixpacks, or NIXPACKS=path)")

# 3. Chained stages.
def chain(n):
    out = ["msbc 1", 'stage s0 from="alpine:3.20" {\n    env K0="v0"\n    run "echo 0 > /f0"\n    workdir "/w0"\n}']
    for i in range(1, n):
        out.append(f'stage s{i} from=s{i-1} {{\n    env K{i}="v{i}"\n    run "echo {i} > /f{i}"\n'
                   f'    copy from=s{i-1} "/f{i-1}" to="/g{i}"\n    workdir "/w{i}"\n}}')
    out.append(f'image app from=s{n-1} {{\n    user "1000"\n    entrypoint "/bin/true"\n}}')
    path = os.path.join(work, f"chain{n}", "build.kdl")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return path

print()
for emit, goal in (("dockerfile", 0.3), ("llb", 1.0)):
    times, cpus, peaks = {}, {}, {}
    for n in (100, 1000):
        path = chain(n)
        cmd = [msbc, "compile", path, "--emit", emit, "-o", os.path.join(work, f"chain{n}.{emit}")]
        times[n] = median(cmd, n=max(3, runs // 3))
        cpus[n] = CPU["last"]
        peaks[n] = peak_mib(cmd)
        size = os.path.getsize(os.path.join(work, f"chain{n}.{emit}"))
        print(f"chained {n:>5} stages to {emit:<10} {ms(times[n])} {cpu()}  peak {peaks[n]:.1f} MiB  output {size / 1024:.0f} KiB")
    g = times[1000] / times[100]
    print(f"  growth 100 -> 1,000: x{g:.1f} wall, x{cpus[1000] / cpus[100]:.1f} cpu (goal <= 12: {verdict(g <= 12)}); 1,000 stages: "
          f"{verdict(times[1000] < goal)} (< {goal} s wall); memory x{peaks[1000] / peaks[100]:.1f}")

# 4. 1,000 services.
fleet = os.path.join(work, "fleet")
specs = []
for root, dirs, files in os.walk("specs"):
    if "build.kdl" in files:
        specs.append(root)
copies = -(-1000 // len(specs))
for i in range(copies):
    shutil.copytree("specs", os.path.join(fleet, f"team{i:03}"))
n = sum(1 for _, _, files in os.walk(fleet) if "build.kdl" in files)
t_check = median([msbc, "check", fleet], n=max(3, runs // 3))
c_check = CPU["last"]
t_images = median([msbc, "images", fleet], n=max(3, runs // 3))
c_images = CPU["last"]
print(f"\n{n} services ({copies} copies of specs/), {cores} cores; load average {os.getloadavg()[0]:.1f} (a busy machine stretches wall times)")
print(f"  msbc check DIR                  {ms(t_check)} (cpu {c_check * 1000:.0f} ms)  peak {peak_mib([msbc, 'check', fleet]):.1f} MiB  ({verdict(t_check < 2)}: < 2 s)")
print(f"  msbc images DIR                 {ms(t_images)} (cpu {c_images * 1000:.0f} ms)  peak {peak_mib([msbc, 'images', fleet]):.1f} MiB  ({verdict(t_images < 2)}: < 2 s)")
PY
