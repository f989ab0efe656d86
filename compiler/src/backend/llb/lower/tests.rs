//! Tests of `backend/llb/lower/mod.rs`.

use super::*;
use crate::compile;
use crate::lower::{Selection, select};

/// `n` stages, each with env, run, copy from the previous stage and
/// workdir; built on the previous one or on an image.
fn chain(n: usize, built_on: bool) -> Build {
    let mut spec = String::from(
        "msbc 1\nstage s0 from=\"alpine:3.20\" {\n    env K0=\"v0\"\n    run \"echo 0 > /f0\"\n}\n",
    );
    for i in 1..n {
        let base = if built_on {
            format!("s{}", i - 1)
        } else {
            "\"alpine:3.20\"".to_string()
        };
        spec.push_str(&format!(
                "stage s{i} from={base} {{\n    env K{i}=\"v{i}\"\n    run \"echo {i} > /f{i}\"\n    copy from=s{} \"/f{}\" to=\"/g{i}\"\n    workdir \"/w{i}\"\n}}\n",
                i - 1,
                i - 1
            ));
    }
    spec.push_str(&format!(
        "image app from=s{} {{\n    user \"1000\"\n}}\n",
        n - 1
    ));
    let checked = compile::check(spec.as_bytes());
    let model = checked.model.expect("a model");
    select(&model, &Selection::default()).expect("selects")
}

#[test]
fn a_chain_keeps_one_stage_state_at_a_time() {
    let lowered = lower(&chain(300, true), &Options::default(), None).expect("lowers");
    assert!(
        lowered.peak_states <= 1,
        "{} states kept at once",
        lowered.peak_states
    );
    // Each run still sees every variable set before it.
    let llb = super::super::Llb {
        definition: lowered.definition,
        image_config: lowered.image_config,
        stages: lowered.stages,
        used_contexts: lowered.used_contexts,
    };
    let dump = llb.dump();
    assert!(dump.contains("\"K0=v0\"") && dump.contains("\"K299=v299\""));
    assert!(llb.image_config.contains("\"K0=v0\"") && llb.image_config.contains("\"K299=v299\""));
}

#[test]
fn a_stage_two_stages_are_built_on_is_kept_for_both() {
    let spec = "msbc 1\nstage base from=\"alpine:3.20\" {\n    env A=\"1\"\n}\nstage x from=base {\n    env X=\"1\"\n    run \"x\"\n}\nimage app from=base {\n    copy from=x \"/x\" to=\"/x\"\n    run \"app\"\n}\n";
    let model = compile::check(spec.as_bytes()).model.expect("a model");
    let build = select(&model, &Selection::default()).expect("selects");
    let lowered = lower(&build, &Options::default(), None).expect("lowers");
    assert_eq!(lowered.peak_states, 1, "base, until app takes it");
    // Each stage's result is an op of the definition (what an SBOM scan of
    // a stage mounts); x's is its run.
    let names: Vec<&str> = lowered.stages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["base", "x", "app"]);
    for (_, input) in &lowered.stages {
        assert!(
            lowered
                .definition
                .def
                .iter()
                .any(|b| super::super::digest(b) == input.digest)
        );
    }
    assert_ne!(lowered.stages[0].1, lowered.stages[1].1);
    let dump = super::super::Llb {
        definition: lowered.definition,
        image_config: lowered.image_config,
        stages: lowered.stages,
        used_contexts: lowered.used_contexts,
    }
    .dump();
    // `app`'s run sees A but not X (x's own variable).
    let app_run = dump
        .split("\"Op\"")
        .find(|op| op.contains("\"app\""))
        .expect("app's run");
    assert!(
        app_run.contains("A=1") && !app_run.contains("X=1"),
        "{app_run}"
    );
}

/// A plan made before the base configs are known spares the pass that
/// finds the context paths only where they cannot depend on a config.
#[test]
fn a_plan_gives_the_same_llb_as_lowering_from_scratch() {
    let config = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin:/bin","SRC=app"],"WorkingDir":"/w"}}"#;
    let mut configs = super::super::BaseConfigs::new();
    configs.insert(
        "docker.io/library/alpine:3.20",
        &Platform::default_target(),
        super::super::BaseConfig::from_json(config.as_bytes()).expect("a config"),
    );
    let with_configs = Options {
        base_configs: configs,
        ..Options::default()
    };
    for (source, literal) in [("src", true), ("${SRC}", false)] {
        let spec = format!(
            "msbc 1\nimage app from=\"alpine:3.20\" {{\n    copy \"{source}\" to=\"/app/\"\n    run \"ls\"\n}}\n"
        );
        let model = compile::check(spec.as_bytes()).model.expect("a model");
        let build = select(&model, &Selection::default()).expect("selects");
        let plan = plan(&build, &Options::default()).expect("plans");
        assert_eq!(plan.context_paths.is_some(), literal, "{source}");
        let planned = lower(&build, &with_configs, Some(&plan)).expect("lowers");
        let fresh = lower(&build, &with_configs, None).expect("lowers");
        assert_eq!(planned.definition, fresh.definition, "{source}");
        assert_eq!(planned.image_config, fresh.image_config, "{source}");
    }
}
