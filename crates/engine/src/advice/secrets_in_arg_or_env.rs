//! `secrets-in-arg-or-env`: an ARG or ENV whose *name* says it holds a secret (BuildKit's
//! build check SecretsUsedInArgOrEnv: a `_`-separated word such as `TOKEN`, `PASSWORD`,
//! `SECRET`, `KEY`, `AUTH`, ..., and no word `PUBLIC`). ARG values are recorded in the build
//! history and enter the cache key of later RUNs (R3); ENV values are stored in the image
//! config for anyone who pulls it. Occurrences that carry a value in this scenario are
//! reported by `credential-build-arg` (with their cache cost); this rule covers the rest.
//! Fix: a secret mount.

use super::common::{buildkit_secret_name, mentions_var, stage_instructions};
use super::credential_build_arg::{credential_args, secret_id, to_secret};
use super::{Ctx, Finding, Rule, Severity};
use crate::ast::Command;
use crate::scenario::Scenario;

pub(super) const RULE: Rule = Rule {
    id: "secrets-in-arg-or-env",
    title: "Secret-looking name in ARG or ENV",
    equivalent: Some("BuildKit check SecretsUsedInArgOrEnv"),
    detect,
    rewrite,
};

fn detect(cx: &Ctx) -> Vec<Finding> {
    let claimed = credential_args(cx.s, &cx.df);
    let is_claimed = |stage: Option<usize>, name: &str| {
        claimed
            .iter()
            .any(|(si, _, n)| Some(*si) == stage && n == name)
    };
    let mut out = Vec::new();
    let mut visit = |stage: Option<usize>, ins: &crate::ast::Instruction| {
        let names: Vec<(String, bool)> = match &ins.command {
            Command::Arg { args } => args.iter().map(|a| (a.name.clone(), false)).collect(),
            Command::Env { pairs } => pairs.iter().map(|p| (p.key.clone(), true)).collect(),
            _ => return,
        };
        for (name, is_env) in names {
            if !buildkit_secret_name(&name) || is_claimed(stage, &name) {
                continue;
            }
            // `ENV X=$CLAIMED_ARG` is part of the credential-build-arg rewrite.
            if let Command::Env { pairs } = &ins.command {
                let copies_claimed = pairs.iter().any(|p| {
                    p.key == name
                        && claimed
                            .iter()
                            .any(|(si, _, n)| Some(*si) == stage && mentions_var(&p.value, n))
                });
                if copies_claimed {
                    continue;
                }
            }
            let key = match stage {
                Some(si) => format!("{si}:{name}"),
                None => format!("global:{name}"),
            };
            let kind = if is_env { "ENV" } else { "ARG" };
            let mut f = Finding::new(Some(ins.span.line), key, Severity::Medium);
            let where_ = if is_env {
                "ENV values are stored in the image configuration, readable by anyone who can pull the image"
            } else if stage.is_none() {
                "a global ARG's value is recorded in the build metadata"
            } else {
                "ARG values are recorded in the image's build history and enter the cache key of every later RUN"
            };
            f.message = format!(
                "{kind} {name} (line {}) has a name that says it holds a secret; {where_}.",
                ins.span.line
            );
            let id = secret_id(&name);
            f.fix = format!(
                "Use a secret mount instead: `RUN --mount=type=secret,id={id},env={name} ...` on the step that needs it, built \
                 with `--secret id={id},env={name}`. If it is not a secret, rename it (BuildKit ignores names with a PUBLIC word)."
            );
            out.push(f);
        }
    };
    for &i in &cx.df.meta_args {
        visit(None, &cx.df.instructions[i]);
    }
    for (si, st) in cx.df.stages.iter().enumerate() {
        for (_, ins) in stage_instructions(&cx.df, st) {
            visit(Some(si), ins);
        }
    }
    out
}

fn rewrite(s: &Scenario, key: &str) -> Option<Scenario> {
    let (stage, name) = key.split_once(':')?;
    let stage: usize = stage.parse().ok()?;
    to_secret(s, RULE.id, stage, name)
}
