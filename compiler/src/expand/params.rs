//! Checking a `use`'s parameters against what the template declares, and
//! turning them into the template's context.

use super::catalog::{Manifest, ParamSpec, ParamType};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::ast::{Param, ParamValue, UseDecl};
use minijinja::Value;
use std::collections::BTreeMap;

/// The parameters of `u` as template values (every declared parameter is
/// present: unset ones are `none`), or `None` after reporting errors.
pub(super) fn check(
    u: &UseDecl,
    manifest: &Manifest,
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, Value>> {
    let preset = &u.preset.value;
    let mut ok = true;
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    for param in &u.params {
        let Some(spec) = manifest.params.iter().find(|s| s.name == param.name.name) else {
            let names: Vec<&str> = manifest.params.iter().map(|s| s.name.as_str()).collect();
            diags.push(
                Diagnostic::new(
                    Code::UnknownParameter,
                    format!("preset `{preset}` has no parameter `{}`", param.name.name),
                )
                .label(param.name.span, "unknown parameter")
                .suggest_or(
                    &param.name.name,
                    names.iter().copied(),
                    format!("`{preset}` takes: {}", names.join(", ")),
                ),
            );
            ok = false;
            continue;
        };
        match value(param, spec, preset, diags) {
            Some(v) => {
                values.insert(spec.name.clone(), v);
            }
            None => ok = false,
        }
    }
    for spec in &manifest.params {
        if values.contains_key(&spec.name) {
            continue;
        }
        if spec.required {
            diags.push(
                Diagnostic::new(
                    Code::MissingValue,
                    format!("preset `{preset}` needs `{}`", spec.name),
                )
                .label(u.preset.span, format!("`{}` missing", spec.name))
                .help(format!("{}: {}", spec.name, spec.summary)),
            );
            ok = false;
            continue;
        }
        values.insert(spec.name.clone(), default(spec));
    }
    ok.then_some(values)
}

fn default(spec: &ParamSpec) -> Value {
    let Some(d) = &spec.default else {
        return Value::from(());
    };
    match spec.ty {
        ParamType::String => Value::from(d.clone()),
        ParamType::Int => d.parse::<i64>().map(Value::from).unwrap_or(Value::from(())),
        ParamType::Bool => Value::from(d == "true"),
        ParamType::List => Value::from_iter([Value::from(d.clone())]),
        ParamType::Map => Value::from(()),
    }
}

fn wrong_type(param: &Param, spec: &ParamSpec, preset: &str) -> Diagnostic {
    let at = param.values.first().map_or(param.span, ParamValue::span);
    Diagnostic::new(
        Code::WrongType,
        format!(
            "`{}` of preset `{preset}` must be {}",
            spec.name,
            spec.ty.describe()
        ),
    )
    .label(at, "wrong type")
    .help(format!("{}: {}", spec.name, spec.summary))
}

fn value(param: &Param, spec: &ParamSpec, preset: &str, diags: &mut Diagnostics) -> Option<Value> {
    let single = param.values.len() == 1 && param.props.is_empty();
    let v = match (spec.ty, param.values.first()) {
        (ParamType::String, Some(ParamValue::Str(s))) if single => Value::from(s.value.clone()),
        (ParamType::Int, Some(ParamValue::Int(n, _))) if single => match i64::try_from(*n) {
            Ok(n) => Value::from(n),
            Err(_) => {
                diags.push(wrong_type(param, spec, preset));
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
                        diags.push(wrong_type(param, spec, preset));
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
            diags.push(wrong_type(param, spec, preset));
            return None;
        }
    };
    if let Some(ParamValue::Str(s)) = param.values.first()
        && !spec.choices.is_empty()
        && !spec.choices.contains(&s.value)
    {
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
        return None;
    }
    Some(v)
}
