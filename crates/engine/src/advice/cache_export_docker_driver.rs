//! `cache-export-docker-driver`: `--cache-to type=registry|local|gha` with the default docker
//! driver on the classic image store. That driver can export only inline cache; the build
//! fails with "Cache export is not supported for the docker driver" (R16, docker/buildx#701).
//! Fix: a docker-container builder (`docker buildx create --use --driver docker-container`) or
//! the containerd image store.

use super::common;
use super::{CostNote, Ctx, Finding, Rule, Severity};
use crate::scenario::{BuilderSetup, CacheSource, Scenario};

pub(super) const RULE: Rule = Rule {
    id: "cache-export-docker-driver",
    title: "Cache export with the docker driver",
    equivalent: None,
    detect,
    rewrite,
};

fn applies(s: &Scenario) -> bool {
    matches!(
        s.cache.source,
        CacheSource::ExportMin | CacheSource::ExportMax
    ) && s.builder_setup == BuilderSetup::DockerDriver
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    if !applies(cx.s) {
        return Vec::new();
    }
    let mut f = Finding::new(None, "cache", Severity::High);
    f.message = "The cache is exported (--cache-to type=registry/local/gha) with the docker driver on the classic image store, \
                 which can only export inline cache: the export fails, so build B gets no cache at all."
        .to_string();
    f.fix = "Create a docker-container builder (`docker buildx create --name ci --driver docker-container --use`) or switch \
             dockerd to the containerd image store, then keep --cache-to/--cache-from as they are."
        .to_string();
    // Every BuildKit step that rebuilds only because no cache arrives.
    let rebuilt = cx.rebuilt(crate::report::Builder::Buildkit);
    let after = rewrite(cx.s, "cache");
    if let Some(a) = &after {
        let m = super::measure(cx, a, &[]);
        f.cost = Some(CostNote {
            text: if m.buildkit.is_empty() {
                "In this scenario it costs no rebuilds.".into()
            } else {
                format!(
                    "In this scenario BuildKit rebuilds {} of its {} rebuilt steps only because the export failed.",
                    m.buildkit.len(),
                    rebuilt.len()
                )
            },
            buildkit: m.buildkit,
            classic: Vec::new(),
            keep_severity: true,
        });
    }
    vec![f]
}

fn rewrite(s: &Scenario, _key: &str) -> Option<Scenario> {
    if !applies(s) {
        return None;
    }
    let mut out = s.clone();
    out.builder_setup = BuilderSetup::Container;
    common::finish(s, &mut out, RULE.id);
    Some(out)
}
