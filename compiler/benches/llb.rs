//! LLB backend benchmark: a typical service and generated specs of 100 to
//! 2,000 stages, compiled to LLB; prints times and peak memory.
//!
//!     cargo bench --bench llb
//!
//! Goals (issue 5): a typical service in at most 3 ms, 1,000 stages in
//! under 1 s, time growing linearly with the number of stages. Times are
//! the median of repeated runs; "backend" is IR → LLB bytes alone, "all"
//! is the whole pipeline from the spec's bytes (parse, check, select,
//! lower). Peak memory is the process's high-water mark (VmHWM, reset
//! through /proc/self/clear_refs) during one whole run, and its growth
//! over the resident set before the run; Linux only, "n/a" elsewhere.

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

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs `f` repeatedly for about `budget` (at least 5 times); the median.
fn time(budget: Duration, mut f: impl FnMut() -> usize) -> Duration {
    let _ = f(); // warm up
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 5 || (start.elapsed() < budget && samples.len() < 1000) {
        let t = Instant::now();
        std::hint::black_box(f());
        samples.push(t.elapsed());
    }
    median(samples)
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
    for n in [100, 250, 500, 1000, 2000] {
        cases.push((
            format!("generated: {n} stages"),
            generated(n).into_bytes(),
            Selection::default(),
            n,
        ));
    }

    println!(
        "{:<28} {:>8} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "case", "ops", "backend", "all", "all/stage", "peak RSS", "growth"
    );
    let mut per_stage: Vec<(usize, f64)> = Vec::new();
    for (name, bytes, selection, stages) in &cases {
        let checked = compile::check(bytes);
        let model = checked.model.expect("the spec has no errors");
        let build = lower::select(&model, selection).expect("selects");
        let options = llb::Options {
            source_name: "build.kdl".into(),
            platform: None,
        };
        let ops = llb::compile(&build, &options)
            .expect("lowers")
            .definition
            .def
            .len();
        let budget = Duration::from_millis(if *stages >= 1000 { 3000 } else { 1000 });
        let backend = time(budget, || {
            llb::compile(&build, &options)
                .map(|l| l.to_bytes().len())
                .unwrap_or(0)
        });
        let all = time(budget, || compile_all(bytes, selection));
        // Peak memory of one whole run.
        let before = status_kib("VmRSS:");
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        std::hint::black_box(compile_all(bytes, selection));
        let peak = status_kib("VmHWM:").filter(|_| reset);
        let (peak_s, growth_s) = match (peak, before) {
            (Some(p), Some(b)) => (
                format!("{:.1} MiB", p as f64 / 1024.0),
                format!("{:.1} MiB", p.saturating_sub(b) as f64 / 1024.0),
            ),
            _ => ("n/a".to_string(), "n/a".to_string()),
        };
        let each = if *stages > 0 {
            per_stage.push((*stages, all.as_secs_f64() / *stages as f64));
            format!("{:.1} µs", all.as_secs_f64() * 1e6 / *stages as f64)
        } else {
            "-".to_string()
        };
        println!(
            "{:<28} {:>8} {:>12} {:>12} {:>12} {:>10} {:>10}",
            name,
            ops,
            ms(backend),
            ms(all),
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
