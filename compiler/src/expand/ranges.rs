//! Version ranges a project writes: npm ranges (`engines.node`) and PEP 440
//! specifiers (`requires-python`), asked whether a toolchain line meets them.

use super::project::numbers;

/// A version as three numbers; missing parts are `fill`.
fn triple(v: &str, fill: u64) -> Option<[u64; 3]> {
    let n = numbers(v)?;
    Some([
        *n.first()?,
        n.get(1).copied().unwrap_or(fill),
        n.get(2).copied().unwrap_or(fill),
    ])
}

/// Whether some release of Node `major` satisfies an npm range: `||`
/// alternatives of space-separated comparators (`>=`, `>`, `<=`, `<`, `=`,
/// `^`, `~`, `x`-ranges, `A - B`). What it cannot read allows nothing.
pub(super) fn npm_range_allows(range: &str, major: u64) -> bool {
    range.split("||").any(|alt| {
        let alt = alt.trim();
        if let Some((lo, hi)) = alt.split_once(" - ") {
            return bounds_allow(&[(">=", lo.trim()), ("<=", hi.trim())], major, 999);
        }
        // `>= 18` is `>=18`.
        let mut tokens: Vec<String> = Vec::new();
        for t in alt.split_whitespace() {
            match tokens.last_mut() {
                Some(last)
                    if matches!(last.as_str(), ">=" | ">" | "<=" | "<" | "=" | "^" | "~") =>
                {
                    last.push_str(t)
                }
                _ => tokens.push(t.to_string()),
            }
        }
        let mut comparators: Vec<(&str, String)> = Vec::new();
        for t in &tokens {
            let t = t.as_str();
            let (op, v) = [">=", "<=", ">", "<", "=", "^", "~"]
                .iter()
                .find_map(|op| t.strip_prefix(op).map(|v| (*op, v)))
                .unwrap_or(("", t));
            let v = v.strip_prefix('v').unwrap_or(v);
            if matches!(v, "*" | "x" | "X" | "") {
                continue;
            }
            // `20.x` and `20.*` are `20`.
            let v = v
                .split('.')
                .take_while(|p| !matches!(*p, "x" | "X" | "*"))
                .collect::<Vec<_>>()
                .join(".");
            let Some(n) = numbers(&v) else {
                return false;
            };
            let upper = |n: &[u64]| match n {
                [major] => (major + 1).to_string(),
                [major, minor, ..] => format!("{major}.{}", minor + 1),
                [] => String::new(),
            };
            match op {
                "^" => {
                    comparators.push((">=", v.clone()));
                    comparators.push(("<", (n[0] + 1).to_string()));
                }
                "~" => {
                    comparators.push((">=", v.clone()));
                    comparators.push(("<", upper(&n)));
                }
                "" | "=" if n.len() >= 3 => comparators.push(("=", v.clone())),
                // `20` and `20.11` are x-ranges.
                "" | "=" => {
                    comparators.push((">=", v.clone()));
                    comparators.push(("<", upper(&n)));
                }
                op => comparators.push((op, v.clone())),
            }
        }
        let refs: Vec<(&str, &str)> = comparators.iter().map(|(o, v)| (*o, v.as_str())).collect();
        bounds_allow(&refs, major, 999)
    })
}

/// Whether some version `major.*.*` (minor and patch up to `top`) meets
/// every comparator: lower bounds are tried with the newest release of the
/// line, upper bounds with its first.
fn bounds_allow(comparators: &[(&str, &str)], major: u64, top: u64) -> bool {
    let newest = [major, top, top];
    let first = [major, 0, 0];
    comparators.iter().all(|(op, v)| {
        let Some(b) = triple(v, 0) else {
            return false;
        };
        match *op {
            ">=" => newest >= b,
            ">" => newest > b,
            "<" => first < b,
            "<=" => triple(v, top).is_some_and(|b| first <= b),
            "=" => b[0] == major,
            _ => false,
        }
    })
}

/// Whether Python 3.`minor` meets PEP 440 specifiers (`>=3.10,<3.13`).
pub(super) fn python_allows(spec: &str, minor: u64) -> bool {
    spec.split(',').all(|c| {
        let c = c.trim();
        let (op, v) = ["~=", "==", "!=", ">=", "<=", ">", "<"]
            .iter()
            .find_map(|op| c.strip_prefix(op).map(|v| (*op, v.trim())))
            .unwrap_or(("==", c));
        let wildcard = v.ends_with(".*");
        let v = v.trim_end_matches(".*");
        let Some(n) = numbers(v) else {
            return false;
        };
        let line = [3, minor];
        let given = [n[0], n.get(1).copied().unwrap_or(0)];
        match op {
            ">=" => line >= given,
            ">" => line > given || (n.len() > 2 && line == given),
            "<" => line < given || (n.len() > 2 && n[2] > 0 && line == given),
            "<=" => line <= given,
            "==" => line == given,
            "!=" => !(wildcard && line == given),
            "~=" if n.len() == 2 => line >= given && n[0] == 3,
            "~=" => line == given,
            _ => false,
        }
    })
}
