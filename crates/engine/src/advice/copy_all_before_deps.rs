//! `copy-all-before-deps`: `COPY . .` comes before the dependency install. The copy's key is
//! the content of the whole context (R5), so editing any source file rebuilds it, and the
//! install after it rebuilds too (R11) although the dependency manifests did not change.
//! Fix: copy the manifests first, install, then copy the rest.

use super::common::{self, has_pair, runs_tool, stage_instructions, words};
use super::edit::Edits;
use super::{Ctx, Finding, Rule, Severity};
use crate::ast::{Command, CopyCmd, Dockerfile, Instruction};
use crate::scenario::Scenario;
use crate::sim::context::Context;

pub(super) const RULE: Rule = Rule {
    id: "copy-all-before-deps",
    title: "COPY . . before the dependency install",
    equivalent: None,
    detect,
    rewrite,
};

/// One package ecosystem: its manifest files and the commands that install from them.
struct Eco {
    name: &'static str,
    manifests: &'static [&'static str],
    /// (program, subcommand) pairs that install dependencies from the manifests alone.
    install: &'static [(&'static str, &'static str)],
}

const ECOS: &[Eco] = &[
    Eco {
        name: "Python",
        manifests: &[
            "requirements.txt",
            "pyproject.toml",
            "poetry.lock",
            "Pipfile",
            "Pipfile.lock",
            "uv.lock",
        ],
        install: &[
            ("pip", "install"),
            ("pip3", "install"),
            ("poetry", "install"),
            ("pipenv", "install"),
            ("uv", "sync"),
        ],
    },
    Eco {
        name: "Node",
        manifests: &[
            "package.json",
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            ".npmrc",
            ".yarnrc.yml",
        ],
        install: &[
            ("npm", "ci"),
            ("npm", "install"),
            ("npm", "i"),
            ("yarn", "install"),
            ("pnpm", "install"),
        ],
    },
    Eco {
        name: "Go",
        manifests: &["go.mod", "go.sum"],
        install: &[("go", "download")],
    },
    Eco {
        name: "Rust",
        manifests: &["Cargo.toml", "Cargo.lock"],
        install: &[("cargo", "fetch")],
    },
    Eco {
        name: "Ruby",
        manifests: &["Gemfile", "Gemfile.lock"],
        install: &[("bundle", "install")],
    },
    Eco {
        name: "PHP",
        manifests: &["composer.json", "composer.lock"],
        install: &[("composer", "install")],
    },
    Eco {
        name: "Maven",
        manifests: &["pom.xml"],
        install: &[
            ("mvn", "dependency:go-offline"),
            ("mvn", "dependency:resolve"),
        ],
    },
];

/// Commands that need the sources, not just the manifests.
const NEEDS_SOURCES: &[(&str, &str)] = &[
    ("npm", "run"),
    ("yarn", "build"),
    ("go", "build"),
    ("cargo", "build"),
    ("cargo", "install"),
    ("make", ""),
    ("python", "setup.py"),
    ("mvn", "package"),
    ("mvn", "install"),
];

fn is_requirements(path: &str) -> bool {
    path.starts_with("requirements") && path.ends_with(".txt") && !path.contains('/')
}

/// The manifests present at the root of the (visible) context for an ecosystem.
fn manifests_in(ctx: &Context, eco: &Eco) -> Vec<String> {
    let mut v: Vec<String> = ctx
        .files
        .keys()
        .filter(|p| {
            let p: &str = p;
            eco.manifests.contains(&p) || (eco.name == "Python" && is_requirements(p))
        })
        .map(|p| p.to_string())
        .collect();
    v.sort();
    v
}

/// A RUN that installs dependencies: (ecosystems, manifests it needs, pure) — pure when it
/// needs nothing but the manifests, so it can move before `COPY . .`.
fn install_run(ins: &Instruction, ctx: &Context) -> Option<(Vec<String>, bool)> {
    let text = common::run_text(ins)?;
    let mut manifests = Vec::new();
    for eco in ECOS {
        let present = manifests_in(ctx, eco);
        if present.is_empty() {
            continue;
        }
        let mentioned = present
            .iter()
            .any(|m| words(&text).iter().any(|w| w.ends_with(m.as_str())));
        let installs = eco.install.iter().any(|(p, s)| has_pair(&text, p, s))
            || (eco.name == "Node" && runs_tool(&text, "yarn") && words(&text).len() <= 3);
        if mentioned || installs {
            manifests.extend(present);
        }
    }
    if manifests.is_empty() {
        return None;
    }
    // Other context files named in the command, a bare `.` argument or a build command mean
    // it needs the sources too.
    let w = words(&text);
    let other_file = ctx.files.keys().any(|p| {
        let p: &str = p;
        !manifests.iter().any(|m| m == p)
            && p != "Dockerfile"
            && w.iter().any(|x| x.trim_start_matches("./") == p)
    });
    let bare_dot = w.iter().any(|x| *x == "." || *x == "./");
    let builds = NEEDS_SOURCES.iter().any(|(p, s)| has_pair(&text, p, s));
    Some((manifests, !(other_file || bare_dot || builds)))
}

pub(super) fn copies_whole_context(c: &CopyCmd) -> bool {
    c.from.is_none()
        && c.heredocs.is_empty()
        && c.sources.iter().any(|s| {
            let t = s.trim_start_matches("./").trim_end_matches('/');
            t.is_empty() || t == "."
        })
}

struct Found {
    copy: usize,
    run: usize,
    /// Manifests to copy first (not copied earlier in the stage).
    missing: Vec<String>,
    movable: bool,
}

fn find(s: &Scenario, df: &Dockerfile, ctx: &Context) -> Vec<Found> {
    let _ = s;
    let mut out = Vec::new();
    for st in &df.stages {
        let cmds: Vec<(usize, &Instruction)> = stage_instructions(df, st).collect();
        let mut copied_before: Vec<String> = Vec::new();
        for (pos, &(idx, ins)) in cmds.iter().enumerate() {
            let Command::Copy(c) = &ins.command else {
                continue;
            };
            if !copies_whole_context(c) {
                for src in &c.sources {
                    copied_before.push(src.trim_start_matches("./").to_string());
                }
                continue;
            }
            // The first dependency install after it in the stage.
            let mut movable = true;
            for &(ridx, rins) in &cmds[pos + 1..] {
                if let Some((manifests, pure)) = install_run(rins, ctx) {
                    let missing: Vec<String> = manifests
                        .into_iter()
                        .filter(|m| !copied_before.iter().any(|c| c == m))
                        .collect();
                    out.push(Found {
                        copy: idx,
                        run: ridx,
                        missing,
                        movable: movable && pure,
                    });
                    break;
                }
                // Instructions the install may depend on stop a mechanical move.
                if !matches!(
                    rins.command,
                    Command::Label { .. }
                        | Command::Expose { .. }
                        | Command::Cmd { .. }
                        | Command::Entrypoint { .. }
                        | Command::Healthcheck(_)
                        | Command::Stopsignal { .. }
                        | Command::Maintainer { .. }
                        | Command::Volume { .. }
                ) {
                    movable = false;
                }
            }
            break;
        }
    }
    out
}

fn context_of(s: &Scenario) -> Context {
    Context::new(&s.context, s.dockerfile_b(), s.dockerignore.as_deref())
}

fn detect(cx: &Ctx) -> Vec<Finding> {
    let ctx = context_of(cx.s);
    find(cx.s, &cx.df, &ctx)
        .into_iter()
        .map(|fd| {
            let copy = &cx.df.instructions[fd.copy];
            let run = &cx.df.instructions[fd.run];
            let mut f = Finding::new(Some(copy.span.line), copy.span.line.to_string(), Severity::High);
            f.message = format!(
                "Line {} copies the whole build context before the dependency install on line {}. The copy is keyed on every file in the \
                 context, so editing any source file rebuilds it, and the install after it rebuilds although the dependency manifests \
                 did not change.",
                copy.span.line, run.span.line
            );
            let list = if fd.missing.is_empty() {
                "the manifests".to_string()
            } else {
                fd.missing.join(" ")
            };
            f.fix = if fd.movable {
                format!(
                    "Copy {list} first, run the install (line {}), then `COPY . .`: the install then only rebuilds when a manifest changes.",
                    run.span.line
                )
            } else {
                format!(
                    "Copy {list} first and install from them before `COPY . .`; the RUN on line {} also needs the sources (or follows \
                     instructions it depends on), so split the install part out by hand.",
                    run.span.line
                )
            };
            f
        })
        .collect()
}

fn rewrite(s: &Scenario, key: &str) -> Option<Scenario> {
    let line: u32 = key.parse().ok()?;
    let ctx = context_of(s);
    common::rewrite_at(s, RULE.id, line, |text, df, idx| {
        let all = find(s, df, &ctx);
        let fd = all.iter().find(|f| f.copy == idx)?;
        if !fd.movable {
            return None;
        }
        let copy = &df.instructions[fd.copy];
        let run = &df.instructions[fd.run];
        let Command::Copy(c) = &copy.command else {
            return None;
        };
        let mut e = Edits::new();
        let mut block = Vec::new();
        if !fd.missing.is_empty() {
            let flags: String = copy
                .flags
                .iter()
                .filter(|f| matches!(f.name.as_str(), "chown" | "chmod" | "link"))
                .map(|f| match &f.value {
                    Some(v) => format!("--{}={v} ", f.name),
                    None => format!("--{} ", f.name),
                })
                .collect();
            let dest = if fd.missing.len() > 1 && !c.dest.ends_with('/') {
                format!("{}/", c.dest)
            } else {
                c.dest.clone()
            };
            block.push(format!("COPY {flags}{} {dest}", fd.missing.join(" ")));
        }
        block.extend(Edits::instruction_lines(text, run)?);
        e.delete_instruction(text, run);
        e.insert_lines_before(text, copy.span.line, &block);
        e.apply(text)
    })
}
