//! Python: how the service starts. A WSGI/ASGI server in the dependencies
//! (gunicorn, uvicorn) with the module that makes the app object
//! (`app = Flask(...)`, `FastAPI(...)`) gives a `command`; a package with
//! `__main__.py` runs as `python -m PACKAGE` (the preset's `module`). The
//! preset finds the package manager (uv.lock, poetry.lock,
//! requirements.txt) and the version by itself.

use super::{Project, Proposal, Setting, Value, ports, sources};

/// App constructors, by framework.
const APPS: &[(&str, &str)] = &[
    ("Flask(", "wsgi"),
    ("FastAPI(", "asgi"),
    ("Starlette(", "asgi"),
    ("Quart(", "asgi"),
];

pub(super) fn propose(project: &dyn Project) -> Proposal {
    let mut p = Proposal {
        preset: "python".into(),
        found_by: [
            "uv.lock",
            "poetry.lock",
            "pyproject.toml",
            "requirements.txt",
        ]
        .into_iter()
        .find(|f| project.files().iter().any(|x| x == f))
        .unwrap_or("requirements.txt")
        .into(),
        ..Proposal::default()
    };
    let pm = match p.found_by.as_str() {
        "uv.lock" => Some("uv"),
        "poetry.lock" => Some("poetry"),
        "requirements.txt" => Some("pip"),
        _ => None,
    };
    match pm {
        Some(pm) => p.detected_by_preset.push(format!(
            "the package manager, {pm}: the preset reads it from {}",
            p.found_by
        )),
        None => p.notes.push(
            "no uv.lock, poetry.lock or requirements.txt: the preset needs one of them to install the dependencies".into(),
        ),
    }
    p.detected_by_preset.push(
        "the Python version: the preset follows .python-version or pyproject's `requires-python`"
            .into(),
    );
    let deps: String = ["requirements.txt", "pyproject.toml"]
        .iter()
        .filter_map(|f| project.read(f))
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
    let depends = |name: &str| {
        deps.lines().any(|l| {
            let l = l.trim().trim_start_matches('"');
            l.starts_with(name)
                && !l[name.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
    };
    let app = app_object(project);
    let server = if depends("gunicorn") {
        Some("gunicorn")
    } else if depends("uvicorn") {
        Some("uvicorn")
    } else {
        None
    };
    let main_package = sources(project, "/__main__.py")
        .filter(|f| f.matches('/').count() == 1)
        .map(|f| f.trim_end_matches("/__main__.py").to_string())
        .next();
    let mut port_files: Vec<String> = Vec::new();
    match (server, &app, &main_package) {
        (Some(server), Some((module, var, kind, file)), _) => {
            p.runs = true;
            let target = format!("{module}:{var}");
            let command: Vec<&str> = match (server, kind.as_str()) {
                ("uvicorn", _) => vec!["uvicorn", &target, "--host", "0.0.0.0", "--port", "8000"],
                (_, "asgi") => vec![
                    "gunicorn",
                    "--bind=0.0.0.0:8000",
                    "--worker-class=uvicorn.workers.UvicornWorker",
                    &target,
                ],
                _ => vec!["gunicorn", "--bind=0.0.0.0:8000", "--access-logfile=-", &target],
            };
            p.children.push(Setting::new(
                "command",
                command.iter().map(|c| Value::Str((*c).to_string())).collect(),
                format!("{server} is a dependency and {file} makes the app (`{var} = ...`); it binds 0.0.0.0 so the port is reachable from outside the container"),
            ));
            p.children.push(Setting::new(
                "port",
                vec![Value::Int(8000)],
                format!("the port the command above binds ({server})"),
            ));
        }
        (_, _, Some(package)) => {
            p.runs = true;
            p.properties.clear();
            if package != "app" {
                p.children.push(Setting::new(
                    "module",
                    vec![Value::Str(package.clone())],
                    format!("{package}/__main__.py runs it as `python -m {package}`"),
                ));
            } else {
                p.detected_by_preset
                    .push("the command: `python -m app` (app/__main__.py), the preset's default".into());
            }
            port_files.push(format!("{package}/__main__.py"));
        }
        _ if scripts(project) == 1 => {
            p.runs = true;
            p.detected_by_preset.push(
                "the command: the package's one `[project.scripts]` program, which the preset runs".into(),
            );
        }
        _ => p.notes.push(
            "could not tell how the service starts (no gunicorn/uvicorn app, no PACKAGE/__main__.py): set `command` (e.g. \"gunicorn\" \"--bind=0.0.0.0:8000\" \"app:app\") or `module`".into(),
        ),
    }
    if !port_files.is_empty() {
        let files = port_files
            .iter()
            .filter_map(|f| project.read(f).map(|t| (f.as_str(), t)));
        match ports::one(files) {
            Ok(Some((port, why))) => p.children.push(Setting::new(
                "port",
                vec![Value::Int(u64::from(port))],
                format!("the port: {why}"),
            )),
            Ok(None) => p
                .notes
                .push("no port found: add `port N` if the service listens on one".into()),
            Err(several) => p.notes.push(format!(
                "several ports named ({several:?}): add `port N` for the one the image exposes"
            )),
        }
    }
    p
}

/// How many programs pyproject.toml's `[project.scripts]` table names.
fn scripts(project: &dyn Project) -> usize {
    let Some(text) = project.read("pyproject.toml") else {
        return 0;
    };
    let Some((_, table)) = text.split_once("[project.scripts]") else {
        return 0;
    };
    table
        .lines()
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .filter(|l| l.contains('=') && !l.trim_start().starts_with('#'))
        .count()
}

/// The module that makes the app object: (`app.main`, `app`, kind, file).
fn app_object(project: &dyn Project) -> Option<(String, String, String, String)> {
    for f in sources(project, ".py") {
        if f.matches('/').count() > 2 {
            continue;
        }
        let Some(text) = project.read(f) else {
            continue;
        };
        for line in text.lines() {
            let Some((var, value)) = line.split_once('=') else {
                continue;
            };
            let var = var.trim();
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            if let Some((_, kind)) = APPS.iter().find(|(ctor, _)| value.trim().starts_with(ctor)) {
                let module = f
                    .trim_end_matches(".py")
                    .trim_end_matches("/__init__")
                    .replace('/', ".");
                return Some((module, var.to_string(), (*kind).to_string(), f.clone()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::testing::Files;
    use super::*;

    #[test]
    fn gunicorn_and_a_flask_app_make_the_command() {
        let p = Files::new(&[
            ("requirements.txt", "Flask==3.1.3\ngunicorn==23.0.0\n"),
            (
                "app/__init__.py",
                "from flask import Flask\n\napp = Flask(__name__)\n",
            ),
            ("tests/test_app.py", "app = Flask(__name__)\n"),
        ]);
        let proposal = propose(&p);
        assert_eq!(proposal.children[0].name, "command");
        assert_eq!(
            proposal.children[0].values.last(),
            Some(&Value::Str("app:app".into()))
        );
    }

    #[test]
    fn uvicorn_and_fastapi() {
        let p = Files::new(&[
            ("requirements.txt", "fastapi==0.115.4\nuvicorn==0.32.0\n"),
            ("app/main.py", "api = FastAPI(title=\"x\")\n"),
        ]);
        let proposal = propose(&p);
        assert_eq!(
            proposal.children[0].values[..2],
            [
                Value::Str("uvicorn".into()),
                Value::Str("app.main:api".into())
            ]
        );
    }

    #[test]
    fn a_main_package_and_its_port() {
        let p = Files::new(&[
            (
                "pyproject.toml",
                "[project]\nname = \"x\"\ndependencies = [\"waitress\"]\n",
            ),
            ("poetry.lock", ""),
            (
                "app/__main__.py",
                "serve(app, host=\"0.0.0.0\", port=int(os.environ.get(\"PORT\", \"8000\")))\n",
            ),
        ]);
        let proposal = propose(&p);
        assert_eq!(proposal.found_by, "poetry.lock");
        assert_eq!(proposal.children[0].name, "port");
        assert_eq!(proposal.children[0].values, vec![Value::Int(8000)]);
    }

    #[test]
    fn a_dependency_is_matched_by_its_whole_name() {
        let p = Files::new(&[("requirements.txt", "gunicorn-extras==1\n")]);
        let proposal = propose(&p);
        assert!(proposal.children.is_empty());
        assert!(proposal.notes[0].contains("could not tell"));
    }
}
