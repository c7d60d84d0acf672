//! `add-remote-url`: `ADD https://...` without `--checksum`. Its cache key is the downloaded
//! content (R1): the classic builder downloads the file on every build to compute it, BuildKit
//! checks the server each build. When the file behind the URL changes — a "latest" link, a
//! re-uploaded release — the step and everything after it rebuild without any change in the
//! repository, and nothing verifies what was downloaded.
//! Fix: `ADD --checksum=sha256:<digest>` (BuildKit keys it on the pinned digest and verifies
//! it), or `RUN curl` with a pinned digest checked by `sha256sum -c`.

use super::common::stage_instructions;
use super::{CostNote, Ctx, Finding, Rule, Severity};
use crate::ast::Command;
use crate::scenario::Scenario;

pub(super) const RULE: Rule = Rule {
    id: "add-remote-url",
    title: "ADD of a remote URL without --checksum",
    equivalent: None,
    detect,
    rewrite,
};

fn is_git(url: &str) -> bool {
    // `https://host/repo.git#ref` and BuildKit's `https://host/repo.git?ref=...` forms.
    let base = url.split(['#', '?']).next().unwrap_or(url);
    base.ends_with(".git") || url.starts_with("git@")
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for st in &cx.df.stages {
        for (_, ins) in stage_instructions(&cx.df, st) {
            let Command::Copy(c) = &ins.command else {
                continue;
            };
            if !c.is_add || c.checksum.is_some() {
                continue;
            }
            let Some(url) = c
                .sources
                .iter()
                .find(|u| (u.starts_with("http://") || u.starts_with("https://")) && !is_git(u))
            else {
                continue;
            };
            let line = ins.span.line;
            let mut f = Finding::new(Some(line), line.to_string(), Severity::Medium);
            f.message = format!(
                "Line {line} ADDs {url} without --checksum. Its cache key is the downloaded content: the classic builder downloads \
                 it on every build to find out, BuildKit asks the server every build. If the file behind the URL changes, this step \
                 and every step after it rebuild with no change in your repository, and nothing checks what was downloaded."
            );
            f.fix = format!(
                "Pin it: `ADD --checksum=sha256:<digest> {url} {}` (BuildKit; then the key is the pinned digest and the download is \
                 verified), or `RUN curl -fsSL {url} -o <file> && echo \"<digest>  <file>\" | sha256sum -c -`.",
                c.dest
            );
            f.cost = Some(CostNote {
                buildkit: Vec::new(),
                classic: Vec::new(),
                text: "The scenario cannot say whether the remote file changes (layerlab treats it as unchanged), so it costs no \
                       rebuilds here; layerlab cannot rewrite it because the digest has to come from the real file."
                    .to_string(),
                keep_severity: false,
            });
            out.push(f);
        }
    }
    out
}

fn rewrite(_s: &Scenario, _key: &str) -> Option<Scenario> {
    // The digest must come from the real file; there is nothing to compute it from here.
    None
}
