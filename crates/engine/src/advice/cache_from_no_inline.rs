//! `cache-from-no-inline`: BuildKit `--cache-from <image>` (or a `docker load`ed image) that
//! was built without inline cache metadata. BuildKit never matches image history, only cache
//! metadata (R16, moby/moby#39003), so such an image gives it nothing: every step rebuilds.
//! Fix: build the image with `--cache-to type=inline` (or `BUILDKIT_INLINE_CACHE=1`).

use super::common;
use super::{Ctx, Finding, Rule, Severity};
use crate::scenario::{CacheSource, Scenario};

pub(super) const RULE: Rule = Rule {
    id: "cache-from-no-inline",
    title: "--cache-from an image without cache metadata (BuildKit)",
    equivalent: None,
    detect,
    rewrite,
};

fn applies(s: &Scenario) -> bool {
    matches!(
        s.cache.source,
        CacheSource::CacheFromImage | CacheSource::SaveLoad
    ) && !s.cache.inline_cache
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    if !applies(cx.s) {
        return Vec::new();
    }
    let what = if cx.s.cache.source == CacheSource::SaveLoad {
        "the image carried by docker save/load"
    } else {
        "the --cache-from image"
    };
    let mut f = Finding::new(None, "cache", Severity::High);
    f.message = format!(
        "BuildKit uses only cache metadata, never image history, and {what} was built without it, so BuildKit cannot reuse any \
         of its layers (the classic builder can: it matches history)."
    );
    f.fix = "Build the image with inline cache metadata: `docker buildx build --cache-to type=inline ...` (or \
             `--build-arg BUILDKIT_INLINE_CACHE=1`), then `--cache-from` it. Better still, export a real cache \
             (`--cache-to type=registry,ref=...,mode=max`)."
        .to_string();
    vec![f]
}

fn rewrite(s: &Scenario, _key: &str) -> Option<Scenario> {
    if !applies(s) {
        return None;
    }
    let mut out = s.clone();
    out.cache.inline_cache = true;
    common::finish(s, &mut out, RULE.id);
    Some(out)
}
