//! Templates and what they declare: parameters (in `preset.kdl`), the
//! template text (`template.kdl.j2`) and the shared version data
//! (`versions.kdl`). The stdlib is embedded; platform teams' directories are
//! read by the CLI and handed in as [`TemplateFiles`].

use kdl::{KdlDocument, KdlNode, KdlValue};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

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
    /// What was parsed from the texts above, kept: a catalog shared by the
    /// specs of a fleet run parses `versions.kdl` and each manifest once.
    parsed: Parsed,
}

/// A catalog's parse results (a clone starts empty).
#[derive(Debug, Default)]
struct Parsed {
    versions: OnceLock<BTreeMap<String, BTreeMap<String, String>>>,
    /// By template name and origin.
    manifests: Mutex<BTreeMap<(String, String), Result<Manifest, String>>>,
}

impl Clone for Parsed {
    fn clone(&self) -> Self {
        Parsed::default()
    }
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
            parsed: Parsed::default(),
        }
    }

    /// Adds templates found in a directory; they win over earlier ones of
    /// the same name (the stdlib's included).
    pub fn add(&mut self, files: TemplateFiles) {
        self.templates.retain(|t| t.name != files.name);
        self.templates.push(files);
        self.parsed = Parsed::default();
    }

    /// Adds a folder's `policy.kdl`; it applies to every spec compiled with
    /// that folder.
    pub fn add_policy(&mut self, origin: String, text: String) {
        self.policies.push((origin, text));
    }

    /// The `policy.kdl` texts added, with where each came from.
    pub fn policies(&self) -> &[(String, String)] {
        &self.policies
    }

    /// The template named `name`.
    pub fn get(&self, name: &str) -> Option<&TemplateFiles> {
        self.templates.iter().find(|t| t.name == name)
    }

    /// The names of every template, in catalogue order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.iter().map(|t| t.name.as_str())
    }

    /// Every template.
    pub fn templates(&self) -> &[TemplateFiles] {
        &self.templates
    }

    /// `versions.kdl` as `{ node: { property: value } }`, for templates.
    pub fn versions(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.parsed
            .versions
            .get_or_init(|| parse_versions(&self.versions))
            .clone()
    }

    /// The manifest (`preset.kdl`) of one of the catalog's templates,
    /// parsed once ([`Manifest::parse`]).
    pub fn manifest(&self, files: &TemplateFiles) -> Result<Manifest, String> {
        let key = (files.name.clone(), files.origin.clone());
        if let Some(found) = self
            .parsed
            .manifests
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return found;
        }
        let parsed = Manifest::parse(&files.manifest);
        if let Ok(mut m) = self.parsed.manifests.lock() {
            m.insert(key, parsed.clone());
        }
        parsed
    }
}

/// `versions.kdl` as `{ node: { property: value } }`.
fn parse_versions(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    if let Ok(doc) = crate::syntax::kdl_read::parse(text) {
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

/// What a template declares about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// One line: what the template builds.
    pub summary: String,
    /// Its parameters.
    pub params: Vec<ParamSpec>,
    /// A `build.kdl` that uses the template, for `msbc presets NAME`.
    pub example: Option<String>,
}

/// A parameter a template declares.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Its name (a property or child of the `use`).
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// Its value when the `use` gives none.
    pub default: Option<String>,
    /// Whether a `use` must give it.
    pub required: bool,
    /// Allowed values (strings), empty for any.
    pub choices: Vec<String>,
    /// Settings each item of a list takes (`field` nodes in the param's
    /// block): `main "./cmd/api" port=8080`. With fields, the template sees
    /// each item as a map: `value` (the string) and every field.
    pub fields: Vec<ParamSpec>,
    /// One line: what it sets.
    pub summary: String,
}

/// The type of a template parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A string.
    String,
    /// An integer.
    Int,
    /// `#true` or `#false`.
    Bool,
    /// Strings, given as several arguments or a repeated child node.
    List,
    /// `KEY="value"` pairs, given as properties of a child node.
    Map,
}

impl ParamType {
    /// The type in words, for messages and `msbc presets`.
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
                "param" => manifest.params.push(parse_param(node)?),
                other => return Err(format!("preset.kdl: unknown node `{other}`")),
            }
        }
        Ok(manifest)
    }
}

/// A `param` node, or a `field` of one: `name type= default= required=
/// summary=` with `choices` and (for a list) `field`s in its block.
fn parse_param(node: &KdlNode) -> Result<ParamSpec, String> {
    let name = first_arg(node).ok_or("a `param` without a name")?;
    let ty_text = prop(node, "type").unwrap_or_else(|| "string".to_string());
    let ty = ParamType::parse(&ty_text)
        .ok_or_else(|| format!("param `{name}`: unknown type `{ty_text}`"))?;
    let mut choices = Vec::new();
    let mut fields = Vec::new();
    for child in node.children().map(KdlDocument::nodes).unwrap_or_default() {
        match child.name().value() {
            "choices" => choices.extend(child.entries().iter().filter_map(|e| scalar(e.value()))),
            "field" if ty == ParamType::List => fields.push(parse_param(child)?),
            other => return Err(format!("param `{name}`: unknown node `{other}`")),
        }
    }
    Ok(ParamSpec {
        name,
        ty,
        default: prop(node, "default"),
        required: node
            .get("required")
            .and_then(KdlValue::as_bool)
            .unwrap_or(false),
        choices,
        fields,
        summary: prop(node, "summary").unwrap_or_default(),
    })
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
    fn versions_and_manifests_are_parsed_once_and_as_before() {
        let catalog = Catalog::stdlib();
        let first = catalog.versions();
        assert_eq!(first, parse_versions(&catalog.versions));
        assert!(
            catalog.parsed.versions.get().is_some(),
            "kept after the first call"
        );
        assert_eq!(catalog.versions(), first);
        let go = catalog.get("go").expect("the go preset");
        let m = catalog.manifest(go).expect("manifest");
        assert_eq!(m, Manifest::parse(&go.manifest).expect("manifest"));
        let kept = catalog
            .parsed
            .manifests
            .lock()
            .map(|m| m.len())
            .unwrap_or(0);
        assert_eq!(kept, 1);
        assert_eq!(catalog.manifest(go).expect("manifest"), m);
        // A template added later is not answered from the old results.
        let mut more = catalog.clone();
        assert!(more.parsed.versions.get().is_none(), "a clone starts empty");
        more.add(TemplateFiles {
            name: "go".to_string(),
            origin: "team".to_string(),
            manifest: "summary \"team go\"".to_string(),
            template: String::new(),
        });
        let team = more.get("go").expect("team go");
        assert_eq!(more.manifest(team).expect("manifest").summary, "team go");
    }

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
