//! The examples gallery: scenario JSON files under `www/examples/`, embedded at build time.

use layerlab_engine::Scenario;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// The user stories the playground was built for.
    Story,
    /// Classic Dockerfile cache pitfalls.
    Pitfall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    pub id: &'static str,
    pub group: Group,
    json: &'static str,
}

macro_rules! example {
    ($id:literal, $group:expr) => {
        Example {
            id: $id,
            group: $group,
            json: include_str!(concat!("../www/examples/", $id, ".json")),
        }
    };
}

pub const EXAMPLES: &[Example] = &[
    example!("pip-index-arg", Group::Story),
    example!("pip-index-secret", Group::Story),
    example!("ci-cache-from", Group::Story),
    example!("copy-from-image-tag", Group::Story),
    example!("save-load-buildkit", Group::Story),
    example!("copy-all-before-deps", Group::Pitfall),
    example!("missing-dockerignore-git", Group::Pitfall),
    example!("apt-update-own-run", Group::Pitfall),
    example!("label-build-date", Group::Pitfall),
    example!("unused-stage", Group::Pitfall),
];

/// The example loaded when the page has no state in its URL.
pub const DEFAULT_ID: &str = "pip-index-arg";

impl Example {
    pub fn scenario(&self) -> Scenario {
        // Checked by the `every_example_is_a_valid_scenario` test.
        crate::codec::scenario_from_text(self.json).unwrap_or_default()
    }

    pub fn title(&self) -> String {
        self.scenario().name.unwrap_or_else(|| self.id.to_string())
    }
}

pub fn by_id(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.id == id)
}

pub fn default_scenario() -> Scenario {
    by_id(DEFAULT_ID).map(|e| e.scenario()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_a_valid_scenario() {
        for e in EXAMPLES {
            let s = crate::codec::scenario_from_text(e.json)
                .unwrap_or_else(|err| panic!("{}: {err}", e.id));
            assert!(s.name.is_some(), "{} has a title", e.id);
            assert!(s.description.is_some(), "{} explains itself", e.id);
            assert!(s.dockerfile.ends_with('\n'), "{}", e.id);
            assert_ne!(
                s.change,
                Default::default(),
                "{}: build B changes something",
                e.id
            );
        }
        assert!(by_id(DEFAULT_ID).is_some());
    }

    #[test]
    fn examples_parse_without_errors() {
        for e in EXAMPLES {
            let s = e.scenario();
            for text in [Some(&s.dockerfile), s.change.dockerfile.as_ref()]
                .into_iter()
                .flatten()
            {
                let df = layerlab_engine::parse(text);
                assert!(!df.has_errors(), "{}: {:?}", e.id, df.diagnostics);
            }
        }
    }
}
