//! Templates and what they declare: parameters (in `preset.kdl`), the
//! template text (`template.kdl.j2`) and the shared version data
//! (`versions.kdl`). The stdlib is embedded; platform teams' directories are
//! read by the CLI and handed in as [`TemplateFiles`].

use kdl::{KdlDocument, KdlNode, KdlValue};
use std::collections::BTreeMap;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/stdlib.rs"));
}

/// The files of one template, as read (no parsing yet).
#[derive(Debug, Clone)]
pub struct TemplateFiles {
    /// `go`, or `acme/go-service`.
    pub name: String,
    /// Where it came from, for messages: `stdlib` or a directory.
    pub origin: String,
    /// `preset.kdl`: the parameters.
    pub manifest: String,
    /// `template.kdl.j2`: the minijinja template.
    pub template: String,
}

/// Every template msbc can expand: the stdlib and, before it, the
/// directories the user named (a directory's template shadows the stdlib's).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    templates: Vec<TemplateFiles>,
    versions: String,
    /// `policy.kdl` files of template folders: (where, text).
    policies: Vec<(String, String)>,
}

impl Catalog {
    /// The stdlib presets only.
    pub fn stdlib() -> Catalog {
        let mut by_name: BTreeMap<String, (Option<&str>, Option<&str>)> = BTreeMap::new();
        let mut versions = String::new();
        for (path, text) in embedded::FILES {
            if *path == "versions.kdl" {
                versions = text.to_string();
                continue;
            }
            let Some((dir, file)) = path.rsplit_once('/') else {
                continue;
            };
            let entry = by_name.entry(dir.to_string()).or_default();
            match file {
                "preset.kdl" => entry.0 = Some(text),
                "template.kdl.j2" => entry.1 = Some(text),
                _ => {}
            }
        }
        let templates = by_name
            .into_iter()
            .filter_map(|(name, (manifest, template))| {
                Some(TemplateFiles {
                    name,
                    origin: "stdlib".to_string(),
                    manifest: manifest?.to_string(),
                    template: template?.to_string(),
                })
            })
            .collect();
        Catalog {
            templates,
            versions,
            policies: Vec::new(),
        }
    }

    /// Adds templates found in a directory; they win over earlier ones of
    /// the same name (the stdlib's included).
    pub fn add(&mut self, files: TemplateFiles) {
        self.templates.retain(|t| t.name != files.name);
        self.templates.push(files);
    }

    /// Adds a folder's `policy.kdl`; it applies to every spec compiled with
    /// that folder.
    pub fn add_policy(&mut self, origin: String, text: String) {
        self.policies.push((origin, text));
    }

    pub fn policies(&self) -> &[(String, String)] {
        &self.policies
    }

    pub fn get(&self, name: &str) -> Option<&TemplateFiles> {
        self.templates.iter().find(|t| t.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.iter().map(|t| t.name.as_str())
    }

    pub fn templates(&self) -> &[TemplateFiles] {
        &self.templates
    }

    /// `versions.kdl` as `{ node: { property: value } }`, for templates.
    pub fn versions(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        if let Ok(doc) = crate::syntax::kdl_read::parse(&self.versions) {
            for node in doc.nodes() {
                let props = node
                    .entries()
                    .iter()
                    .filter_map(|e| Some((e.name()?.value().to_string(), scalar(e.value())?)))
                    .collect();
                out.insert(node.name().value().to_string(), props);
            }
        }
        out
    }
}

/// What a template declares about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub summary: String,
    pub params: Vec<ParamSpec>,
    /// A `build.kdl` that uses the template, for `msbc presets NAME`.
    pub example: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ParamType,
    pub default: Option<String>,
    pub required: bool,
    /// Allowed values (strings), empty for any.
    pub choices: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    String,
    Int,
    Bool,
    /// Strings, given as several arguments or a repeated child node.
    List,
    /// `KEY="value"` pairs, given as properties of a child node.
    Map,
}

impl ParamType {
    pub fn describe(self) -> &'static str {
        match self {
            ParamType::String => "a string",
            ParamType::Int => "an integer",
            ParamType::Bool => "a boolean (#true or #false)",
            ParamType::List => "one or more strings",
            ParamType::Map => "KEY=\"value\" pairs",
        }
    }

    fn parse(s: &str) -> Option<ParamType> {
        Some(match s {
            "string" => ParamType::String,
            "int" => ParamType::Int,
            "bool" => ParamType::Bool,
            "list" => ParamType::List,
            "map" => ParamType::Map,
            _ => return None,
        })
    }
}

fn scalar(v: &KdlValue) -> Option<String> {
    match v {
        KdlValue::String(s) => Some(s.clone()),
        KdlValue::Integer(n) => Some(n.to_string()),
        KdlValue::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn prop(node: &KdlNode, key: &str) -> Option<String> {
    node.get(key).and_then(scalar)
}

impl Manifest {
    /// Parses `preset.kdl`. Its errors are the template author's: they are
    /// returned as one message naming the file.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let doc: KdlDocument =
            crate::syntax::kdl_read::parse(text).map_err(|e: kdl::KdlError| {
                let first = e
                    .diagnostics
                    .first()
                    .and_then(|d| d.message.clone())
                    .unwrap_or_default();
                format!("preset.kdl is not valid KDL: {first}")
            })?;
        let mut manifest = Manifest {
            summary: String::new(),
            params: Vec::new(),
            example: None,
        };
        for node in doc.nodes() {
            match node.name().value() {
                "summary" => manifest.summary = first_arg(node).unwrap_or_default(),
                "example" => manifest.example = first_arg(node),
                "param" => {
                    let name = first_arg(node).ok_or("a `param` without a name")?;
                    let ty_text = prop(node, "type").unwrap_or_else(|| "string".to_string());
                    let ty = ParamType::parse(&ty_text)
                        .ok_or_else(|| format!("param `{name}`: unknown type `{ty_text}`"))?;
                    let choices = node
                        .children()
                        .and_then(|c| c.get("choices"))
                        .map(|n| {
                            n.entries()
                                .iter()
                                .filter_map(|e| scalar(e.value()))
                                .collect()
                        })
                        .unwrap_or_default();
                    manifest.params.push(ParamSpec {
                        name,
                        ty,
                        default: prop(node, "default"),
                        required: node
                            .get("required")
                            .and_then(KdlValue::as_bool)
                            .unwrap_or(false),
                        choices,
                        summary: prop(node, "summary").unwrap_or_default(),
                    });
                }
                other => return Err(format!("preset.kdl: unknown node `{other}`")),
            }
        }
        Ok(manifest)
    }
}

fn first_arg(node: &KdlNode) -> Option<String> {
    node.entries()
        .iter()
        .find(|e| e.name().is_none())
        .and_then(|e| scalar(e.value()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stdlib_template_has_a_valid_manifest() {
        let catalog = Catalog::stdlib();
        assert!(catalog.names().count() >= 1);
        for t in catalog.templates() {
            let m = Manifest::parse(&t.manifest).unwrap_or_else(|e| panic!("{}: {e}", t.name));
            assert!(!m.summary.is_empty(), "{} has no summary", t.name);
            assert!(m.example.is_some(), "{} has no example", t.name);
        }
        assert!(!catalog.versions().is_empty());
    }

    #[test]
    fn manifest_errors_name_the_problem() {
        assert!(Manifest::parse("param x type=float").is_err_and(|e| e.contains("unknown type")));
        assert!(Manifest::parse("bogus 1").is_err_and(|e| e.contains("unknown node")));
    }
}
