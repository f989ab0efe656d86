//! LLB backend benchmark: a typical service and generated specs of 100 to
//! 2,000 stages, compiled to LLB; prints times and peak memory.
//!
//!     cargo bench --bench llb
//!
//! Goals (issue 5): a typical service in at most 3 ms, 1,000 stages in
//! under 1 s, time growing linearly with the number of stages. Wall times
//! are the fastest of repeated runs, "all (cpu)" the mean CPU time of a
//! run (steady on a busy machine); "backend" is IR → LLB bytes alone,
//! "all" the whole pipeline from the spec's bytes (parse, check, select,
//! lower). Peak memory is measured in a fresh process that runs the case
//! once: its high-water mark (VmHWM) and the growth over its resident set
//! before the run; Linux only, "n/a" elsewhere. `MSBC_BENCH_STAGES=500,4000`
//! picks other sizes.

use msbc::backend::llb;
use msbc::compile;
use msbc::lower::{self, Selection};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// A spec of `n` stages in chains of ten (each chain starts on the Go
/// toolchain, every stage copies from the context and runs a build with
/// the toolchain's caches), and an image that copies the end of every
/// chain, so the image needs all `n` stages.
fn generated(n: usize) -> String {
    let mut s = String::from(
        "msbc 1\narg GO_VERSION \"1.23\"\n\
         toolchain go image=\"golang:${GO_VERSION}-bookworm\" {\n\
         \x20   cache \"/go/pkg/mod\" id=\"go-mod\" sharing=\"shared\"\n\
         \x20   cache \"/root/.cache/go-build\" id=\"go-build\"\n\
         \x20   env CGO_ENABLED=\"0\"\n}\n",
    );
    for i in 0..n {
        if i % 10 == 0 {
            let _ = writeln!(s, "stage s{i} toolchain=go {{");
        } else {
            let _ = writeln!(s, "stage s{i} from=s{} {{", i - 1);
        }
        let _ = writeln!(s, "    workdir \"/src/m{i}\"");
        let _ = writeln!(s, "    env STEP=\"{i}\"");
        let _ = writeln!(s, "    copy \"m{i}/go.mod\" \"m{i}/main.go\" to=\"./\"");
        let _ = writeln!(s, "    run \"go build -trimpath -o /out/m{i} .\"");
        let _ = writeln!(s, "}}");
    }
    s.push_str("image app from=\"gcr.io/distroless/static-debian12:nonroot\" {\n");
    for i in (0..n).filter(|i| i % 10 == 9 || *i == n - 1) {
        let _ = writeln!(s, "    copy from=s{i} \"/out/m{i}\" to=\"/usr/local/bin/\"");
    }
    s.push_str("    user \"nonroot\"\n    entrypoint \"/usr/local/bin/m0\"\n}\n");
    s
}

/// Set in the child process that measures one case's memory.
const CHILD: &str = "MSBC_BENCH_MEMORY_CHILD";

/// Runs case `index` once in a fresh copy of this process: its peak
/// resident set, and the growth over the resident set before the run.
fn peak_in_child(index: Option<usize>) -> (String, String) {
    let na = || ("n/a".to_string(), "n/a".to_string());
    let (Some(i), Ok(exe)) = (index, std::env::current_exe()) else {
        return na();
    };
    let Ok(out) = std::process::Command::new(exe)
        .env(CHILD, i.to_string())
        .output()
    else {
        return na();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let nums: Vec<u64> = text
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match nums.as_slice() {
        [peak, before] if *peak > 0 => (
            format!("{:.1} MiB", *peak as f64 / 1024.0),
            format!("{:.1} MiB", peak.saturating_sub(*before) as f64 / 1024.0),
        ),
        _ => na(),
    }
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The whole pipeline: spec bytes → LLB bytes (and the image config).
fn compile_all(spec: &[u8], selection: &Selection) -> usize {
    let checked = compile::check(spec);
    let Some(model) = checked.model else {
        panic!("the spec has errors");
    };
    let out = compile::emit(&model, selection, compile::Emit::Llb, "build.kdl").expect("emits");
    out.binary.map_or(0, |b| b.len())
}

/// Nanoseconds this thread has run on a CPU (Linux: schedstat), which,
/// unlike wall time, does not grow when other work competes for the CPU.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Runs `f` repeatedly for about `budget` (at least 5 times): the fastest
/// wall time, and the mean CPU time per run (when the OS tells it).
fn time(budget: Duration, mut f: impl FnMut() -> usize) -> (Duration, Option<Duration>) {
    let _ = f(); // warm up
    let mut fastest = Duration::MAX;
    let mut runs = 0u32;
    let cpu_start = cpu_ns();
    let start = Instant::now();
    while runs < 5 || (start.elapsed() < budget && runs < 1000) {
        let t = Instant::now();
        std::hint::black_box(f());
        fastest = fastest.min(t.elapsed());
        runs += 1;
    }
    let cpu = match (cpu_start, cpu_ns()) {
        (Some(a), Some(b)) => Some(Duration::from_nanos(b.saturating_sub(a) / u64::from(runs))),
        _ => None,
    };
    (fastest, cpu)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let mut cases: Vec<(String, Vec<u8>, Selection, usize)> = Vec::new();
    for spec in ["go-orders", "tested-service"] {
        let path = root.join("specs").join(spec).join("build.kdl");
        let bytes = std::fs::read(&path).expect("spec readable");
        let selection = Selection {
            args: vec![("GIT_COMMIT".into(), "0123abc".into())],
            ..Selection::default()
        };
        let selection = if spec == "tested-service" {
            selection
        } else {
            Selection::default()
        };
        cases.push((format!("typical: {spec}"), bytes, selection, 0));
    }
    let sizes: Vec<usize> = match std::env::var("MSBC_BENCH_STAGES") {
        // e.g. MSBC_BENCH_STAGES=1000,4000 for other sizes.
        Ok(v) => v.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) => vec![100, 250, 500, 1000, 2000],
    };
    for n in sizes {
        cases.push((
            format!("generated: {n} stages"),
            generated(n).into_bytes(),
            Selection::default(),
            n,
        ));
    }

    // In a child process (see `peak_in_child`): one run, then its memory.
    if let Ok(i) = std::env::var(CHILD) {
        let Some((_, bytes, selection, _)) = i.parse::<usize>().ok().and_then(|i| cases.get(i))
        else {
            return;
        };
        let before = status_kib("VmRSS:").unwrap_or(0);
        std::hint::black_box(compile_all(bytes, selection));
        let peak = status_kib("VmHWM:").unwrap_or(0);
        println!("{peak} {before}");
        return;
    }
    println!(
        "{:<28} {:>7} {:>11} {:>11} {:>11} {:>11} {:>10} {:>10}",
        "case", "ops", "backend", "all", "all (cpu)", "all/stage", "peak RSS", "growth"
    );
    let mut per_stage: Vec<(usize, f64)> = Vec::new();
    for (name, bytes, selection, stages) in &cases {
        let checked = compile::check(bytes);
        let model = checked.model.expect("the spec has no errors");
        let build = lower::select(&model, selection).expect("selects");
        let options = llb::Options {
            source_name: "build.kdl".into(),
            ..Default::default()
        };
        let ops = llb::compile(&build, &options)
            .expect("lowers")
            .definition
            .def
            .len();
        let budget = Duration::from_millis(if *stages >= 1000 { 3000 } else { 1000 });
        let (backend, _) = time(budget, || {
            llb::compile(&build, &options)
                .map(|l| l.to_bytes().len())
                .unwrap_or(0)
        });
        let (all, all_cpu) = time(budget, || compile_all(bytes, selection));
        let all_cpu_s = all_cpu.map_or("n/a".to_string(), ms);
        let (peak_s, growth_s) = peak_in_child(cases.iter().position(|c| c.0 == *name));
        let each = if *stages > 0 {
            // CPU time when known: it is what grows with the spec.
            let t = all_cpu.unwrap_or(all).as_secs_f64();
            per_stage.push((*stages, t / *stages as f64));
            format!("{:.1} µs", t * 1e6 / *stages as f64)
        } else {
            "-".to_string()
        };
        println!(
            "{:<28} {:>7} {:>11} {:>11} {:>11} {:>11} {:>10} {:>10}",
            name,
            ops,
            ms(backend),
            ms(all),
            all_cpu_s,
            each,
            peak_s,
            growth_s
        );
    }
    if let (Some(first), Some(last)) = (per_stage.first(), per_stage.last()) {
        println!(
            "time per stage at {} stages / at {} stages: {:.2} (1.00 is linear)",
            last.0,
            first.0,
            last.1 / first.1
        );
    }
}
