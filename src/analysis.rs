//! What the UI derives from the engine's output: one [`Analysis`] per scenario edit (parse A and
//! B, simulate), plus facts read off the parsed Dockerfile for the changes panel and the stage
//! graph (stage dependencies, build args, secrets, base images, context-file suggestions).

use layerlab_engine::ast::{Command, Dockerfile};
use layerlab_engine::report::{Builder, Report, StepVerdict};
use layerlab_engine::scenario::Map;
use layerlab_engine::Scenario;

thread_local! {
    /// What [`Analysis::run`] reuses from the previous simulation.
    static SIM_CACHE: std::cell::RefCell<layerlab_engine::SimCache> = Default::default();
}

/// Everything recomputed when the scenario changes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// B's Dockerfile (the one verdicts refer to).
    pub df_b: Dockerfile,
    /// A's Dockerfile when it differs from B's.
    pub df_a: Option<Dockerfile>,
    pub report: Report,
    /// Steps by 1-based line, for each builder.
    pub classic_by_line: Map<u32, usize>,
    pub buildkit_by_line: Map<u32, usize>,
    /// Time parse + simulate took, in milliseconds (browser only; 0 natively).
    pub ms: f64,
}

impl Analysis {
    pub fn run(s: &Scenario, engine: layerlab_engine::Engine) -> Analysis {
        let t0 = crate::clock_ms();
        // The resolved context is kept between analyses: typing in the Dockerfile leaves
        // the context files alone (the cache compares them, so results never go stale).
        let sim = SIM_CACHE.with(|c| {
            let opts = layerlab_engine::SimOptions { engine };
            layerlab_engine::simulate_cached(s, opts, &mut c.borrow_mut())
        });
        let report = sim.report;
        let df_a = match s.change.dockerfile {
            Some(_) => Some(layerlab_engine::Shared::unwrap_or_clone(sim.df_a)),
            None => {
                drop(sim.df_a);
                None
            }
        };
        let df_b = layerlab_engine::Shared::unwrap_or_clone(sim.df_b);
        // Inserted one by one (steps come in line order, so each insert appends):
        // `collect()` would link a sort of `(u32, usize)` into the wasm bundle just for this.
        let index = |steps: &[StepVerdict]| {
            let mut m = Map::with_capacity(steps.len());
            for (i, st) in steps.iter().enumerate() {
                m.insert(st.line, i);
            }
            m
        };
        Analysis {
            classic_by_line: index(&report.builders.classic.steps),
            buildkit_by_line: index(&report.builders.buildkit.steps),
            df_b,
            df_a,
            report,
            ms: crate::clock_ms() - t0,
        }
    }

    /// A's Dockerfile (context files and args are A's, so suggestions read it).
    pub fn df_a(&self) -> &Dockerfile {
        self.df_a.as_ref().unwrap_or(&self.df_b)
    }

    pub fn step(&self, builder: Builder, line: u32) -> Option<&StepVerdict> {
        let (map, rep) = match builder {
            Builder::Classic => (&self.classic_by_line, &self.report.builders.classic),
            Builder::Buildkit => (&self.buildkit_by_line, &self.report.builders.buildkit),
        };
        map.get(&line).and_then(|i| rep.steps.get(*i))
    }

    /// Lines of B's Dockerfile that start an instruction, in order.
    pub fn instruction_lines(&self) -> Vec<u32> {
        self.df_b.instructions.iter().map(|i| i.span.line).collect()
    }
}

/// How one stage uses another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// `FROM <stage>`.
    From,
    /// `COPY --from=<stage>`.
    CopyFrom,
    /// `RUN --mount=...,from=<stage>`.
    MountFrom,
}

impl EdgeKind {
    pub fn label(self) -> &'static str {
        match self {
            EdgeKind::From => "FROM",
            EdgeKind::CopyFrom => "COPY --from",
            EdgeKind::MountFrom => "RUN --mount from",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The stage depended on.
    pub from: usize,
    /// The stage that depends on it.
    pub to: usize,
    pub kind: EdgeKind,
    /// 1-based line of the instruction making the reference.
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageNode {
    pub index: usize,
    /// `name` or `stage N`.
    pub label: String,
    /// The FROM argument as written.
    pub base: String,
    /// 1-based line of the FROM.
    pub line: u32,
    /// Column in the drawing: longest dependency chain leading to this stage.
    pub depth: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StageGraph {
    pub nodes: Vec<StageNode>,
    pub edges: Vec<Edge>,
}

/// Resolves a stage reference (`builder`, `0`) against the stages *before* `current`, as
/// BuildKit does: names are case-insensitive, numbers are stage indices. Anything else (an
/// image such as `builder:latest`, or an unresolved `$VAR`) is not a stage.
pub fn resolve_stage(df: &Dockerfile, reference: &str, current: usize) -> Option<usize> {
    let r = reference.trim();
    if r.is_empty() {
        return None;
    }
    if r.bytes().all(|b| b.is_ascii_digit()) {
        return r.parse::<usize>().ok().filter(|i| *i < current);
    }
    let lower = r.to_ascii_lowercase();
    df.stages
        .iter()
        .take(current)
        .rev()
        .find(|st| st.name.as_deref() == Some(lower.as_str()))
        .map(|st| st.index)
}

/// The stage dependency graph of a parsed Dockerfile.
pub fn stage_graph(df: &Dockerfile) -> StageGraph {
    let mut g = StageGraph::default();
    for st in &df.stages {
        let Some(from) = df.instructions.get(st.from) else {
            continue;
        };
        let base = match &from.command {
            Command::From(f) => f.image.clone(),
            _ => String::new(),
        };
        if let Some(parent) = resolve_stage_from(df, &base, st.index) {
            g.edges.push(Edge {
                from: parent,
                to: st.index,
                kind: EdgeKind::From,
                line: from.span.line,
            });
        }
        for &ci in &st.commands {
            let Some(ins) = df.instructions.get(ci) else {
                continue;
            };
            match &ins.command {
                Command::Copy(c) => {
                    if let Some(src) = c
                        .from
                        .as_deref()
                        .and_then(|r| resolve_stage(df, r, st.index))
                    {
                        g.edges.push(Edge {
                            from: src,
                            to: st.index,
                            kind: EdgeKind::CopyFrom,
                            line: ins.span.line,
                        });
                    }
                }
                Command::Run(r) => {
                    for m in &r.mounts {
                        if let Some(src) = m
                            .from
                            .as_deref()
                            .and_then(|r| resolve_stage(df, r, st.index))
                        {
                            g.edges.push(Edge {
                                from: src,
                                to: st.index,
                                kind: EdgeKind::MountFrom,
                                line: ins.span.line,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        g.nodes.push(StageNode {
            index: st.index,
            label: st
                .name
                .clone()
                .unwrap_or_else(|| format!("stage {}", st.index)),
            base,
            line: from.span.line,
            depth: 0,
        });
    }
    // Every field is in the key, so an unstable sort gives the same order as a stable one.
    layerlab_engine::order::sort_unstable_by(&mut g.edges, |a, b| {
        (a.to, a.from, a.kind, a.line).cmp(&(b.to, b.from, b.kind, b.line))
    });
    g.edges
        .dedup_by(|a, b| a.from == b.from && a.to == b.to && a.kind == b.kind);
    // References only point backwards, so one pass in file order computes the depths.
    for i in 0..g.nodes.len() {
        let idx = g.nodes[i].index;
        let depth = g
            .edges
            .iter()
            .filter(|e| e.to == idx)
            .filter_map(|e| g.nodes.iter().find(|n| n.index == e.from))
            .map(|n| n.depth + 1)
            .max()
            .unwrap_or(0);
        g.nodes[i].depth = depth;
    }
    g
}

/// `FROM x` names a stage only by name (BuildKit does not accept `FROM 0`).
fn resolve_stage_from(df: &Dockerfile, image: &str, current: usize) -> Option<usize> {
    if image.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    resolve_stage(df, image, current)
}

/// Build args declared anywhere in the Dockerfile, with their first written default.
pub fn declared_args(df: &Dockerfile) -> Vec<(String, Option<String>)> {
    let mut seen: Map<String, ()> = Map::new();
    let mut out = Vec::new();
    for ins in &df.instructions {
        if let Command::Arg { args } = &ins.command {
            for a in args {
                if seen.insert(a.name.clone(), ()).is_none() {
                    out.push((a.name.clone(), a.default.clone()));
                }
            }
        }
    }
    out
}

/// Secret ids used by `RUN --mount=type=secret` (`id=`, else the target's file name).
pub fn secret_ids(df: &Dockerfile) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for ins in &df.instructions {
        if let Command::Run(r) = &ins.command {
            for m in r.mounts.iter().filter(|m| m.kind == "secret") {
                let id = m.id.clone().or_else(|| {
                    m.target
                        .as_deref()
                        .and_then(|t| t.rsplit('/').next())
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                });
                if let Some(id) = id {
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
            }
        }
    }
    out
}

/// Base images (FROM arguments that are not earlier stages, and not `scratch`).
pub fn base_images(df: &Dockerfile) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for st in &df.stages {
        if let Some(Command::From(f)) = df.instructions.get(st.from).map(|i| &i.command) {
            let img = f.image.trim();
            if img.is_empty()
                || img.eq_ignore_ascii_case("scratch")
                || resolve_stage_from(df, img, st.index).is_some()
            {
                continue;
            }
            if !out.iter().any(|o| o == img) {
                out.push(img.to_string());
            }
        }
    }
    out
}

/// Stage names, in order (for target pickers).
pub fn stage_names(df: &Dockerfile) -> Vec<String> {
    df.stages.iter().filter_map(|s| s.name.clone()).collect()
}

/// Context paths the Dockerfile copies by name (COPY/ADD sources that are plain paths: no
/// `--from`, URL, glob, variable or directory-wide `.`), normalised without `./`.
pub fn context_suggestions(df: &Dockerfile) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Seen paths: a COPY per context file must not make this quadratic.
    let mut seen: Map<&str, ()> = Map::new();
    for ins in &df.instructions {
        if let Command::Copy(c) = &ins.command {
            if c.from.is_some() {
                continue;
            }
            for src in &c.sources {
                let s = src.trim();
                let s = s.strip_prefix("./").unwrap_or(s).trim_start_matches('/');
                let s = s.trim_end_matches('/');
                if s.is_empty()
                    || s == "."
                    || s.contains("://")
                    || s.starts_with("git@")
                    || s.contains(['*', '?', '[', '$'])
                {
                    continue;
                }
                if seen.insert(s, ()).is_none() {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

/// Whether a context path is covered by a suggested directory (`src` covers `src/main.js`).
pub fn covered_by(path: &str, dir: &str) -> bool {
    path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Hand-built parse trees, so these tests do not depend on the parser's progress.
    use layerlab_engine::ast::*;
    use layerlab_engine::syntax::Span;

    pub fn span(line: u32) -> Span {
        Span {
            line,
            col: 1,
            end_line: line,
            end_col: 2,
            ..Default::default()
        }
    }

    pub fn ins(line: u32, keyword: &str, command: Command, stage: Option<usize>) -> Instruction {
        Instruction {
            keyword: keyword.to_string().into(),
            command,
            flags: vec![],
            text: String::new(),
            span: span(line),
            stage,
        }
    }

    pub fn from(image: &str, name: Option<&str>) -> Command {
        Command::From(FromCmd {
            image: image.into(),
            name: name.map(str::to_string),
            platform: None,
        })
    }

    pub fn copy(sources: &[&str], from: Option<&str>) -> Command {
        Command::Copy(CopyCmd {
            is_add: false,
            sources: sources.iter().map(|s| s.to_string()).collect(),
            dest: ".".into(),
            heredocs: vec![],
            from: from.map(str::to_string),
            chown: None,
            chmod: None,
            link: false,
            parents: false,
            exclude: vec![],
            checksum: None,
            keep_git_dir: None,
            unpack: None,
        })
    }

    pub fn mount(kind: &str, from: Option<&str>, id: Option<&str>, target: Option<&str>) -> Mount {
        Mount {
            kind: kind.into(),
            target: target.map(str::to_string),
            source: None,
            from: from.map(str::to_string),
            id: id.map(str::to_string),
            env: None,
            readwrite: false,
            sharing: None,
            required: None,
            mode: None,
            uid: None,
            gid: None,
            size: None,
            raw: String::new(),
        }
    }

    pub fn run(mounts: Vec<Mount>) -> Command {
        Command::Run(RunCmd {
            command: CommandLine::Shell("true".into()),
            heredocs: vec![],
            mounts,
            network: None,
            security: None,
        })
    }

    /// Builds a Dockerfile from instructions, deriving stages from FROMs.
    pub fn dockerfile(instructions: Vec<Instruction>) -> Dockerfile {
        let mut df = Dockerfile {
            instructions,
            ..Default::default()
        };
        for (i, ins) in df.instructions.iter().enumerate() {
            match (&ins.command, ins.stage) {
                (Command::From(f), Some(s)) => df.stages.push(Stage {
                    index: s,
                    name: f.name.clone(),
                    from: i,
                    commands: vec![],
                }),
                (_, Some(s)) => df.stages[s].commands.push(i),
                (_, None) => df.meta_args.push(i),
            }
        }
        df
    }

    /// FROM golang AS build / COPY go.mod / RUN --mount from=cache-src / FROM alpine AS test
    /// / FROM build AS dev / FROM scratch + COPY --from=build + COPY --from=0 + COPY --from=img:1.
    pub fn multistage() -> Dockerfile {
        dockerfile(vec![
            ins(
                1,
                "ARG",
                Command::Arg {
                    args: vec![ArgDecl {
                        name: "GO".into(),
                        default: Some("1.22".into()),
                    }],
                },
                None,
            ),
            ins(2, "FROM", from("alpine", Some("cache-src")), Some(0)),
            ins(3, "FROM", from("golang:$GO", Some("build")), Some(1)),
            ins(
                4,
                "COPY",
                copy(&["./go.mod", "go.sum", "src/", "*.go", "."], None),
                Some(1),
            ),
            ins(
                5,
                "RUN",
                run(vec![
                    mount("bind", Some("Cache-Src"), None, Some("/c")),
                    mount("secret", None, Some("npmrc"), None),
                    mount("secret", None, None, Some("/run/secrets/token")),
                ]),
                Some(1),
            ),
            ins(6, "FROM", from("alpine", Some("test")), Some(2)),
            ins(7, "FROM", from("build", Some("dev")), Some(3)),
            ins(8, "FROM", from("scratch", None), Some(4)),
            ins(9, "COPY", copy(&["/out"], Some("build")), Some(4)),
            ins(10, "COPY", copy(&["/x"], Some("0")), Some(4)),
            ins(11, "COPY", copy(&["/y"], Some("img:1")), Some(4)),
            ins(
                12,
                "ARG",
                Command::Arg {
                    args: vec![
                        ArgDecl {
                            name: "GO".into(),
                            default: None,
                        },
                        ArgDecl {
                            name: "V".into(),
                            default: None,
                        },
                    ],
                },
                Some(4),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn graph_edges_and_depths() {
        let df = multistage();
        let g = stage_graph(&df);
        let edges: Vec<(usize, usize, EdgeKind)> =
            g.edges.iter().map(|e| (e.from, e.to, e.kind)).collect();
        assert_eq!(
            edges,
            vec![
                (0, 1, EdgeKind::MountFrom),
                (1, 3, EdgeKind::From),
                (0, 4, EdgeKind::CopyFrom),
                (1, 4, EdgeKind::CopyFrom),
            ]
        );
        let depths: Vec<usize> = g.nodes.iter().map(|n| n.depth).collect();
        assert_eq!(depths, vec![0, 1, 0, 2, 2]);
        assert_eq!(g.nodes[4].label, "stage 4");
        assert_eq!(g.nodes[1].label, "build");
    }

    #[test]
    fn stage_references_resolve_like_buildkit() {
        let df = multistage();
        assert_eq!(resolve_stage(&df, "BUILD", 4), Some(1));
        assert_eq!(resolve_stage(&df, "build", 1), None, "only earlier stages");
        assert_eq!(resolve_stage(&df, "1", 4), Some(1));
        assert_eq!(resolve_stage(&df, "4", 4), None);
        assert_eq!(resolve_stage(&df, "build:latest", 4), None);
    }

    #[test]
    fn facts_for_the_changes_panel() {
        let df = multistage();
        assert_eq!(
            declared_args(&df),
            vec![
                ("GO".to_string(), Some("1.22".to_string())),
                ("V".to_string(), None)
            ]
        );
        assert_eq!(secret_ids(&df), vec!["npmrc", "token"]);
        assert_eq!(base_images(&df), vec!["alpine", "golang:$GO"]);
        assert_eq!(stage_names(&df), vec!["cache-src", "build", "test", "dev"]);
        assert_eq!(context_suggestions(&df), vec!["go.mod", "go.sum", "src"]);
        assert!(covered_by("src/a.js", "src"));
        assert!(!covered_by("srcx/a.js", "src"));
    }
}
