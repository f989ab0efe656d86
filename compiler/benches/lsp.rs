//! `cargo bench --bench lsp`: what `msbc lsp` does on one keystroke in a
//! 1,000-line spec — check the new text (front end, templates, lints),
//! rebuild its symbols, turn its diagnostics into LSP ones, answer a
//! completion — timed over many keystrokes. The budget is 50 ms.

use msbc::editor::analysis::analyze;
use msbc::editor::ide::{self, Doc};
use msbc::expand::{Catalog, Context};
use std::time::Instant;

/// A spec of about `lines` lines: args, a toolchain, many stages with
/// steps and mounts, artifacts, images, and one `use` of a preset.
fn spec(lines: usize) -> String {
    let mut s = String::from(
        "msbc 1\narg GO_VERSION \"1.23\"\narg APP \"svc\"\n\
         toolchain go image=\"golang:${GO_VERSION}-bookworm\" {\n    cache \"/go/pkg/mod\" id=\"go-mod\" sharing=\"shared\"\n    env CGO_ENABLED=\"0\"\n}\n\
         stage deps toolchain=go {\n    workdir \"/src\"\n    copy \"go.mod\" \"go.sum\" to=\"./\"\n    run \"go mod download\"\n}\n",
    );
    let mut n = 0;
    while s.lines().count() < lines - 12 {
        s.push_str(&format!(
            "// stage {n}\nstage s{n} from=deps {{\n    copy \".\" to=\"./\"\n    env N=\"{n}\" APP=\"${{APP}}\"\n    run \"go build -o /out/app{n} ./cmd/{n}\" {{\n        cache \"/root/.cache/go-build\" id=\"go-build\"\n        tmpfs \"/tmp\"\n    }}\n    run \"go vet ./cmd/{n}\"\n}}\nartifact a{n} from=s{n} path=\"/out/app{n}\"\n\n"
        ));
        n += 1;
    }
    s.push_str("image app from=\"gcr.io/distroless/static-debian12:nonroot\" {\n");
    for i in 0..n.min(6) {
        s.push_str(&format!("    copy artifact=a{i} to=\"/usr/local/bin/\"\n"));
    }
    s.push_str("    user \"nonroot\"\n    entrypoint \"/usr/local/bin/app0\"\n}\n");
    s
}

fn main() {
    let text = spec(1000);
    let lines = text.lines().count();
    let catalog = Catalog::stdlib();
    let ctx = Context {
        catalog: &catalog,
        files: &[],
        contents: &msbc::expand::NO_CONTENTS,
        service_dir: "",
    };
    let uri = match msbc::editor::ide::file_uri("/bench/build.kdl") {
        Some(u) => u,
        None => return,
    };
    // The cursor sits after `from=` in the last stage; each keystroke
    // types or deletes one character there.
    let anchor = text.rfind("from=deps").unwrap_or(0) + 5;
    let mut times = Vec::new();
    for i in 0..60 {
        let mut edited = text.clone();
        if i % 2 == 0 {
            edited.insert(anchor, 'x');
        }
        let start = Instant::now();
        let analysis = analyze(edited.as_bytes(), ctx);
        let doc = Doc::new(uri.clone(), edited, analysis);
        let diags = ide::diagnostics(&doc);
        let pos = doc.lines.position(&doc.text, anchor);
        let items = ide::completion(&doc, &catalog, pos);
        let elapsed = start.elapsed();
        std::hint::black_box((diags, items));
        times.push(elapsed.as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    let max = times[times.len() - 1];
    println!(
        "lsp keystroke, {lines}-line spec: median {median:.1} ms, p95 {p95:.1} ms, max {max:.1} ms over {} keystrokes (budget 50 ms): {}",
        times.len(),
        if p95 < 50.0 {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    );
}
