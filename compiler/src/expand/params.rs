//! Checking a `use`'s parameters against what the template declares, and
//! turning them into the template's context.

use super::catalog::{Manifest, ParamSpec, ParamType};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::syntax::ast::{Param, ParamItem, ParamValue, Str, UseDecl};
use minijinja::Value;
use std::collections::BTreeMap;

/// The parameters of `u` as template values (every declared parameter is
/// present: unset ones are `none`), or `None` after reporting errors.
pub(super) fn check(
    u: &UseDecl,
    manifest: &Manifest,
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, Value>> {
    let owner = format!("preset `{}`", u.preset.value);
    let preset = &u.preset.value;
    check_all(
        &u.params,
        &manifest.params,
        &owner,
        preset,
        u.preset.span,
        diags,
    )
}

/// `params` against `specs` (a preset's parameters, or the fields of one
/// item of a list parameter: `owner` says which, for messages); every spec
/// gets a value, unset ones their default or `none`. Missing required ones
/// are reported at `at`.
fn check_all(
    params: &[Param],
    specs: &[ParamSpec],
    owner: &str,
    preset: &str,
    at: Span,
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, Value>> {
    let mut ok = true;
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    for param in params {
        let Some(spec) = specs.iter().find(|s| s.name == param.name.name) else {
            let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            diags.push(
                Diagnostic::new(
                    Code::UnknownParameter,
                    format!("{owner} has no parameter `{}`", param.name.name),
                )
                .label(param.name.span, "unknown parameter")
                .suggest_or(
                    &param.name.name,
                    names.iter().copied(),
                    format!("{owner} takes: {}", names.join(", ")),
                ),
            );
            ok = false;
            continue;
        };
        let checked = if spec.fields.is_empty() {
            no_blocks(param, diags).and_then(|()| value(param, spec, owner, preset, diags))
        } else {
            items(param, spec, owner, preset, diags)
        };
        match checked {
            Some(v) => {
                values.insert(spec.name.clone(), v);
            }
            None => ok = false,
        }
    }
    for spec in specs {
        if values.contains_key(&spec.name) {
            continue;
        }
        if spec.required {
            diags.push(
                Diagnostic::new(Code::MissingValue, format!("{owner} needs `{}`", spec.name))
                    .label(at, format!("`{}` missing", spec.name))
                    .help(format!("{}: {}", spec.name, spec.summary)),
            );
            ok = false;
            continue;
        }
        values.insert(spec.name.clone(), default(spec));
    }
    ok.then_some(values)
}

/// A `{ ... }` block on a parameter whose preset declares no settings for it.
fn no_blocks(param: &Param, diags: &mut Diagnostics) -> Option<()> {
    let blocks: Vec<Span> = param.items.iter().filter_map(|i| i.block).collect();
    for block in &blocks {
        diags.push(
            Diagnostic::new(
                Code::MisplacedNode,
                format!("`{}` takes no block", param.name.name),
            )
            .label(*block, "unexpected block")
            .help("remove the `{ ... }` block"),
        );
    }
    blocks.is_empty().then_some(())
}

/// A list parameter whose items take settings (`field`s): each item a map
/// of `value` (the string) and every field. `main "./a" "./b"` is two items
/// without settings; settings (properties or a block) go with one value.
fn items(
    param: &Param,
    spec: &ParamSpec,
    owner: &str,
    preset: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    // A property of `use` (`main="./cmd/api"`) is one item without settings.
    let written: Vec<ParamItem> = if param.items.is_empty() {
        vec![ParamItem {
            values: param.values.clone(),
            props: Vec::new(),
            children: Vec::new(),
            block: None,
            span: param.span,
        }]
    } else {
        param.items.clone()
    };
    let field_owner = format!("`{}` of {owner}", spec.name);
    let mut ok = true;
    let mut out = Vec::new();
    for item in &written {
        let mut strings = Vec::new();
        for v in &item.values {
            match v {
                ParamValue::Str(s) => strings.push(s),
                _ => {
                    diags.push(wrong_type(param, spec, owner));
                    return None;
                }
            }
        }
        let settings: Vec<Param> = item
            .props
            .iter()
            .map(|(name, v)| Param {
                name: name.clone(),
                values: vec![v.clone()],
                props: Vec::new(),
                items: Vec::new(),
                span: name.span.to(v.span()),
            })
            .chain(item.children.iter().cloned())
            .collect();
        let first = match strings.as_slice() {
            [] => {
                diags.push(wrong_type(param, spec, owner));
                return None;
            }
            [one] => one,
            [first, second, ..] if !settings.is_empty() => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "the settings of `{}` belong to one value, and this `{}` has {}",
                            spec.name,
                            spec.name,
                            strings.len()
                        ),
                    )
                    .label(second.span, "a second value")
                    .help(format!(
                        "write one `{}` per value: `{} {}` with its settings, then `{} {}`",
                        spec.name,
                        spec.name,
                        crate::kdl_write::quoted(&first.value),
                        spec.name,
                        crate::kdl_write::quoted(&second.value)
                    )),
                );
                ok = false;
                continue;
            }
            [first, ..] => first,
        };
        let Some(fields) = check_all(
            &settings,
            &spec.fields,
            &field_owner,
            preset,
            item.span,
            diags,
        ) else {
            ok = false;
            continue;
        };
        let rest = if settings.is_empty() {
            &strings[..]
        } else {
            std::slice::from_ref(first)
        };
        for s in rest {
            if !choice_ok(s, spec, preset, diags) {
                ok = false;
                continue;
            }
            let mut map = fields.clone();
            map.insert("value".to_string(), Value::from(s.value.clone()));
            out.push(Value::from_object(map));
        }
    }
    ok.then(|| Value::from(out))
}

fn default(spec: &ParamSpec) -> Value {
    let Some(d) = &spec.default else {
        return Value::from(());
    };
    match spec.ty {
        ParamType::String => Value::from(d.clone()),
        ParamType::Int => d.parse::<i64>().map(Value::from).unwrap_or(Value::from(())),
        ParamType::Bool => Value::from(d == "true"),
        ParamType::List if !spec.fields.is_empty() => {
            let mut item: BTreeMap<String, Value> = spec
                .fields
                .iter()
                .map(|f| (f.name.clone(), default(f)))
                .collect();
            item.insert("value".to_string(), Value::from(d.clone()));
            Value::from_iter([Value::from_object(item)])
        }
        ParamType::List => Value::from_iter([Value::from(d.clone())]),
        ParamType::Map => Value::from(()),
    }
}

fn wrong_type(param: &Param, spec: &ParamSpec, owner: &str) -> Diagnostic {
    let at = param.values.first().map_or(param.span, ParamValue::span);
    Diagnostic::new(
        Code::WrongType,
        format!("`{}` of {owner} must be {}", spec.name, spec.ty.describe()),
    )
    .label(at, "wrong type")
    .help(format!("{}: {}", spec.name, spec.summary))
}

fn value(
    param: &Param,
    spec: &ParamSpec,
    owner: &str,
    preset: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let single = param.values.len() == 1 && param.props.is_empty();
    let v = match (spec.ty, param.values.first()) {
        (ParamType::String, Some(ParamValue::Str(s))) if single => Value::from(s.value.clone()),
        (ParamType::Int, Some(ParamValue::Int(n, _))) if single => match i64::try_from(*n) {
            Ok(n) => Value::from(n),
            Err(_) => {
                diags.push(wrong_type(param, spec, owner));
                return None;
            }
        },
        (ParamType::Bool, Some(ParamValue::Bool(b, _))) if single => Value::from(*b),
        (ParamType::List, Some(_)) if param.props.is_empty() => {
            let mut items = Vec::new();
            for v in &param.values {
                match v {
                    ParamValue::Str(s) => items.push(Value::from(s.value.clone())),
                    _ => {
                        diags.push(wrong_type(param, spec, owner));
                        return None;
                    }
                }
            }
            Value::from(items)
        }
        (ParamType::Map, None) if !param.props.is_empty() => {
            let mut map = BTreeMap::new();
            for (k, v) in &param.props {
                let text = match v {
                    ParamValue::Str(s) => s.value.clone(),
                    ParamValue::Int(n, _) => n.to_string(),
                    ParamValue::Bool(b, _) => b.to_string(),
                };
                map.insert(k.name.clone(), Value::from(text));
            }
            Value::from_object(map)
        }
        _ => {
            diags.push(wrong_type(param, spec, owner));
            return None;
        }
    };
    if let Some(ParamValue::Str(s)) = param.values.first()
        && !choice_ok(s, spec, preset, diags)
    {
        return None;
    }
    Some(v)
}

/// Whether `s` is one of `spec`'s choices (any value when it has none).
fn choice_ok(s: &Str, spec: &ParamSpec, preset: &str, diags: &mut Diagnostics) -> bool {
    if spec.choices.is_empty() || spec.choices.contains(&s.value) {
        return true;
    }
    let list = spec
        .choices
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    diags.push(
        Diagnostic::new(
            Code::InvalidValue,
            format!(
                "`{}` is not a valid `{}` for preset `{preset}`",
                s.value, spec.name
            ),
        )
        .label(s.span, format!("expected one of {list}"))
        .suggest_or(
            &s.value,
            spec.choices.iter().map(String::as_str),
            format!("use one of {list}"),
        ),
    );
    false
}
