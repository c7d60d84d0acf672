//! `save-load-cache`: `docker save` / `docker load` used to carry the cache between CI agents
//! under BuildKit. It carries an image; BuildKit can use it only if it was built with inline
//! cache metadata (mode=min: final image layers only), only on the docker driver that resolves
//! `--cache-from` in the local store first, and a regression was reported for dockerd 27
//! (moby/buildkit#5242); on the containerd store it is unverified (R16).
//! Fix: a real cache backend — `--cache-to type=local,dest=...,mode=max` persisted by the CI's
//! cache, or `type=registry`/`type=gha` — on a docker-container builder.

use super::common;
use super::{Ctx, Finding, Rule, Severity};
use crate::scenario::{BuilderSetup, CacheSource, Scenario};

pub(super) const RULE: Rule = Rule {
    id: "save-load-cache",
    title: "docker save/load as the cache carrier under BuildKit",
    equivalent: None,
    detect,
    rewrite,
};

fn detect(cx: &Ctx) -> Vec<Finding> {
    if cx.s.cache.source != CacheSource::SaveLoad {
        return Vec::new();
    }
    let mut f = Finding::new(None, "cache", Severity::Medium);
    let inline = if cx.s.cache.inline_cache {
        "The image was built with inline cache, so BuildKit can use it, but inline cache is mode=min (final image layers only)"
    } else {
        "The image was built without inline cache, so BuildKit finds nothing to reuse in it"
    };
    f.message = format!(
        "The cache travels as a docker save/load tarball. {inline}; it works only with the docker driver that looks the \
         --cache-from image up in the local store, a regression was reported for dockerd 27 (moby/buildkit#5242), and the \
         whole image is moved even when little of it is reusable."
    );
    f.fix = "Export the build cache instead: create a docker-container builder and build with \
             `--cache-to type=local,dest=/tmp/.buildx-cache-new,mode=max --cache-from type=local,src=/tmp/.buildx-cache` \
             (persist the directory with the CI's cache, rotating it), or use type=registry / type=gha. The classic builder \
             cannot import such a cache: keep save/load only for it."
        .to_string();
    vec![f]
}

fn rewrite(s: &Scenario, _key: &str) -> Option<Scenario> {
    if s.cache.source != CacheSource::SaveLoad {
        return None;
    }
    let mut out = s.clone();
    out.cache.source = CacheSource::ExportMax;
    out.cache.backend = Some("local".into());
    out.cache.inline_cache = false;
    out.cache.cache_from_stages.clear();
    out.builder_setup = BuilderSetup::Container;
    common::finish(s, &mut out, RULE.id);
    Some(out)
}
