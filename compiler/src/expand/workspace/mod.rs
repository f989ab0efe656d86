//! Workspaces and monorepos: what one service of a repository needs, read
//! from its manifests. Pure (the contents and the listing the CLI
//! gathered), one module per language, each exposed to its preset as a
//! template function (registered in `expand::render_inner`).

pub mod go;
pub mod python;
use minijinja::Value;

/// A serializable answer as a template value (through JSON: minijinja is
/// built without its serde feature).
pub(crate) fn to_value<T: serde::Serialize>(answer: &T) -> Value {
    fn convert(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::from(()),
            serde_json::Value::Bool(b) => Value::from(b),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Value::from)
                .or_else(|| n.as_f64().map(Value::from))
                .unwrap_or_default(),
            serde_json::Value::String(s) => Value::from(s),
            serde_json::Value::Array(items) => {
                Value::from(items.into_iter().map(convert).collect::<Vec<_>>())
            }
            serde_json::Value::Object(map) => Value::from_object(
                map.into_iter()
                    .map(|(k, v)| (k, convert(v)))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            ),
        }
    }
    serde_json::to_value(answer).map_or_else(|_| Value::from(()), convert)
}
