//! Turns the text output of a real `docker build` (build B) into per-instruction statuses.
//!
//! Pure functions (no I/O) so they are unit-tested on real engine output.
//!
//! Vocabulary (same as the simulator): `cached`, `rebuilt`, `not-run`, `metadata`.
//!
//! Classic (`Step n/N : ...`):
//! - the n-th step is the n-th entry of [global ARGs, then FROM + commands of every stage up to
//!   the target], in file order (ONBUILD triggers of a base are not counted);
//! - a step whose first ` ---> ` line is ` ---> Using cache` is `cached`;
//! - a step with another ` ---> ` line (`Running in …` or the new image id) is `rebuilt`;
//! - a step with no ` ---> ` line at all (global ARGs) is `metadata`: the builder printed it but
//!   made no cache step;
//! - FROM: no cache probe exists; `cached` when the image was already local, `rebuilt` when the
//!   builder had to pull it (the simulator does not compare FROM lines);
//! - stages after the target: `not-run`.
//!
//! BuildKit (`--progress=plain`):
//! - vertex headers `#n [<stage> i/N] INSTR …` map to the i-th vertex of that stage; the stage is
//!   its name, `stage-<index>`, or absent when the Dockerfile has one stage. Vertices of a stage
//!   are aligned, in order and by keyword, with the stage's FROM (image, not scratch, not a stage)
//!   and RUN/COPY/ADD/WORKDIR instructions; a candidate the engine printed no vertex for (e.g.
//!   `WORKDIR /`) is skipped. Vertices named `ONBUILD …` (triggers) are skipped;
//! - a vertex with any `#n CACHED` line is `cached`, else with a `#n DONE` line `rebuilt` (one
//!   vertex can be printed twice, e.g. CACHED then DONE when a cached result is loaded);
//! - a non-FROM vertex that downloads or extracts blobs of its own (`#n sha256:…`,
//!   `#n extracting sha256:…`) is `cached` even without a `CACHED` line: its result was loaded
//!   from an imported cache (Docker 26 prints the `CACHED` line or not, depending on event order);
//! - instructions without a vertex (ENV, ARG, LABEL, … and WORKDIR /) are `metadata`;
//! - de-duplicated vertices: BuildKit prints identical vertices once, under the first stage that
//!   has them. An unprinted FROM/RUN/COPY/ADD/WORKDIR takes the status of the same-position
//!   instruction of another stage whose chain up to there is textually identical; if there is
//!   none, it is an error (never a guess);
//! - stages with no printed vertex that are not reachable from the target are `not-run`.

use layerlab_engine::ast::{Command, Dockerfile, Instruction};
use layerlab_engine::scenario::ObservedStep;
use std::collections::BTreeMap;

/// Index of the target stage (`None` target = last stage).
pub fn target_stage(df: &Dockerfile, target: Option<&str>) -> Result<usize, String> {
    if df.stages.is_empty() {
        return Err("the Dockerfile has no stage".into());
    }
    match target {
        None => Ok(df.stages.len() - 1),
        Some(t) => df
            .stages
            .iter()
            .position(|s| s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(t)))
            .ok_or_else(|| format!("target stage {t:?} not found")),
    }
}

fn line_of(ins: &Instruction) -> u32 {
    ins.span.line
}

/// Instruction indices of a stage in order: FROM first.
fn stage_instrs(df: &Dockerfile, s: usize) -> Vec<usize> {
    let st = &df.stages[s];
    let mut v = vec![st.from];
    v.extend(st.commands.iter().copied());
    v
}

/// Classic: parse `Step n/N : …` blocks.
pub fn observe_classic(
    df: &Dockerfile,
    target: Option<&str>,
    output: &str,
) -> Result<Vec<ObservedStep>, String> {
    let t = target_stage(df, target)?;
    let mut seq: Vec<usize> = df.meta_args.clone();
    for s in 0..=t {
        seq.extend(stage_instrs(df, s));
    }
    // blocks: (n, total, text, body lines)
    let mut blocks: Vec<(usize, usize, String, Vec<&str>)> = Vec::new();
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("Step ") {
            if let Some((nums, text)) = rest.split_once(" : ") {
                if let Some((n, total)) = nums.split_once('/') {
                    if let (Ok(n), Ok(total)) = (n.trim().parse(), total.trim().parse()) {
                        blocks.push((n, total, text.to_string(), Vec::new()));
                        continue;
                    }
                }
            }
        }
        if let Some(b) = blocks.last_mut() {
            b.3.push(line);
        }
    }
    let mut status: BTreeMap<usize, &'static str> = BTreeMap::new();
    for (n, total, text, body) in &blocks {
        if *total != seq.len() {
            return Err(format!(
                "classic printed Step {n}/{total} but the Dockerfile has {} steps up to the target",
                seq.len()
            ));
        }
        let Some(&ii) = n.checked_sub(1).and_then(|i| seq.get(i)) else {
            return Err(format!("classic printed Step {n}/{total}: out of range"));
        };
        let ins = &df.instructions[ii];
        let kw = text.split_whitespace().next().unwrap_or("");
        if !kw.eq_ignore_ascii_case(&ins.keyword) {
            return Err(format!(
                "classic Step {n} is `{text}` but line {} is a {}",
                line_of(ins),
                ins.keyword
            ));
        }
        let st = if matches!(ins.command, Command::From(_)) {
            // `# Executing k build triggers` then each trigger's own ` ---> ` lines.
            let triggers = body.iter().find_map(|l| {
                l.trim()
                    .strip_prefix("# Executing ")
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|n| n.parse::<usize>().ok())
            });
            if let Some(k) = triggers {
                let hits = body
                    .iter()
                    .filter(|l| l.trim() == "---> Using cache")
                    .count();
                if hits >= k {
                    "cached"
                } else {
                    "rebuilt"
                }
            } else if body
                .iter()
                .any(|l| l.contains("Pulling from") || l.contains("Pulling fs layer"))
            {
                "rebuilt"
            } else {
                "cached"
            }
        } else {
            match body.iter().find(|l| l.starts_with(" ---> ")) {
                Some(l) if l.trim_start().starts_with("---> Using cache") => "cached",
                Some(_) => "rebuilt",
                None => "metadata",
            }
        };
        status.insert(ii, st);
    }
    let mut out = Vec::new();
    for (ii, ins) in df.instructions.iter().enumerate() {
        let st = match status.get(&ii) {
            Some(s) => *s,
            None => {
                if seq.contains(&ii) {
                    return Err(format!(
                        "classic printed no Step for line {} (`{}`)",
                        line_of(ins),
                        first_line(&ins.text)
                    ));
                }
                "not-run"
            }
        };
        out.push(ObservedStep {
            line: line_of(ins),
            status: st.to_string(),
        });
    }
    Ok(out)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

#[derive(Debug, Default, Clone)]
struct Vertex {
    stage: String,
    index: usize,
    text: String,
    cached: bool,
    done: bool,
    error: bool,
    /// Printed a blob download (`#n sha256:… done`) or `extracting sha256:…` of its own.
    blobs: bool,
}

/// Parses `[stage i/N] TEXT` (the part after `#n `). Returns (stage label, i, N, text).
fn parse_vertex_name(name: &str) -> Option<(String, usize, usize, String)> {
    let rest = name.strip_prefix('[')?;
    let (inside, text) = rest.split_once("] ")?;
    let inside = inside.trim();
    let (label, frac) = match inside.rsplit_once(' ') {
        Some((l, f)) => (l.trim(), f.trim()),
        None => ("", inside),
    };
    let (i, n) = frac.split_once('/')?;
    let i: usize = i.trim().parse().ok()?;
    let n: usize = n.trim().parse().ok()?;
    if label == "internal" {
        return None;
    }
    Some((label.to_string(), i, n, text.to_string()))
}

fn collect_vertices(output: &str) -> Vec<Vertex> {
    let mut by_id: BTreeMap<u64, Vertex> = BTreeMap::new();
    for line in output.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((id, msg)) = rest.split_once(' ') else {
            continue;
        };
        let Ok(id) = id.parse::<u64>() else { continue };
        if msg.starts_with('[') {
            if let Some((stage, index, _n, text)) = parse_vertex_name(msg) {
                let v = by_id.entry(id).or_default();
                v.stage = stage;
                v.index = index;
                v.text = text;
            }
            continue;
        }
        if let Some(v) = by_id.get_mut(&id) {
            if msg == "CACHED" {
                v.cached = true;
            } else if msg.starts_with("DONE") {
                v.done = true;
            } else if msg.starts_with("ERROR") {
                v.error = true;
            } else if is_blob_transfer(msg) {
                v.blobs = true;
            }
        }
    }
    by_id.into_values().filter(|v| !v.text.is_empty()).collect()
}

/// A blob download (`sha256:<hex> 177B / 177B 0.0s done`) or extraction
/// (`extracting sha256:<hex> …`) line. Docker 20.10 also prints the vertex's own digest as a
/// bare `sha256:<hex>` line under every vertex: that is not a transfer.
fn is_blob_transfer(msg: &str) -> bool {
    msg.starts_with("extracting sha256:") || (msg.starts_with("sha256:") && msg.contains(" / "))
}

/// Does this instruction make a BuildKit vertex (candidate for alignment)?
fn is_candidate(df: &Dockerfile, ii: usize) -> bool {
    let ins = &df.instructions[ii];
    match &ins.command {
        Command::From(f) => {
            let img = f.image.trim();
            !(img.eq_ignore_ascii_case("scratch") || stage_by_name(df, img).is_some())
        }
        Command::Run(_) | Command::Copy(_) | Command::Workdir { .. } => true,
        _ => false,
    }
}

fn stage_by_name(df: &Dockerfile, name: &str) -> Option<usize> {
    df.stages.iter().position(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// A `--from=` / `from=` value naming a stage (by name or index) — else it is an image.
fn stage_ref(df: &Dockerfile, v: &str, before: usize) -> Option<usize> {
    if let Some(s) = stage_by_name(df, v) {
        return Some(s);
    }
    v.parse::<usize>().ok().filter(|i| *i < before)
}

/// Stages reachable from the target through FROM <stage>, COPY --from, RUN --mount from=.
pub fn reachable(df: &Dockerfile, target: usize) -> Vec<bool> {
    let mut seen = vec![false; df.stages.len()];
    let mut todo = vec![target];
    while let Some(s) = todo.pop() {
        if s >= seen.len() || seen[s] {
            continue;
        }
        seen[s] = true;
        for ii in stage_instrs(df, s) {
            match &df.instructions[ii].command {
                Command::From(f) => {
                    if let Some(d) = stage_by_name(df, f.image.trim()) {
                        todo.push(d);
                    }
                }
                Command::Copy(c) => {
                    if let Some(d) = c.from.as_deref().and_then(|v| stage_ref(df, v, s)) {
                        todo.push(d);
                    }
                }
                Command::Run(r) => {
                    for m in &r.mounts {
                        if let Some(d) = m.from.as_deref().and_then(|v| stage_ref(df, v, s)) {
                            todo.push(d);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    seen
}

fn stage_label_to_index(df: &Dockerfile, label: &str, target: usize) -> Option<usize> {
    if label.is_empty() {
        return if df.stages.len() == 1 {
            Some(0)
        } else {
            Some(target)
        };
    }
    if let Some(s) = stage_by_name(df, label) {
        return Some(s);
    }
    label
        .strip_prefix("stage-")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|i| *i < df.stages.len())
}

fn normalize_image(s: &str) -> String {
    let s = s.trim();
    let s = s.split('@').next().unwrap_or(s);
    let s = s.strip_prefix("docker.io/").unwrap_or(s);
    let s = s.strip_prefix("library/").unwrap_or(s);
    if s.contains(':') {
        s.to_string()
    } else {
        format!("{s}:latest")
    }
}

/// The first stage whose FROM image is the one an unlabeled `FROM <image>` vertex names.
fn unlabeled_from_stage(
    df: &Dockerfile,
    text: &str,
    vars: &BTreeMap<String, String>,
) -> Option<usize> {
    let img = text.strip_prefix("FROM ")?.split_whitespace().next()?;
    let want = normalize_image(img);
    df.stages
        .iter()
        .position(|st| match &df.instructions[st.from].command {
            Command::From(f) => {
                is_candidate(df, st.from) && normalize_image(&expand(f.image.trim(), vars)) == want
            }
            _ => false,
        })
}

/// Number of ONBUILD triggers a stage inherits from a stage base (`FROM <stage>`).
fn inherited_triggers(df: &Dockerfile, s: usize) -> usize {
    let Command::From(f) = &df.instructions[df.stages[s].from].command else {
        return 0;
    };
    match stage_by_name(df, f.image.trim()) {
        Some(b) if b != s => df.stages[b]
            .commands
            .iter()
            .filter(|&&i| matches!(df.instructions[i].command, Command::Onbuild { .. }))
            .count(),
        _ => 0,
    }
}

/// Global ARG values for FROM expansion: Dockerfile defaults overridden by build args.
fn meta_arg_values(df: &Dockerfile, args: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for &i in &df.meta_args {
        if let Command::Arg { args: decls } = &df.instructions[i].command {
            for d in decls {
                let v = args.get(&d.name).cloned().or_else(|| d.default.clone());
                if let Some(v) = v {
                    m.insert(d.name.clone(), v.trim_matches('"').to_string());
                }
            }
        }
    }
    m
}

/// Minimal `$X` / `${X}` / `${X:-d}` expansion, enough to compare FROM images.
fn expand(s: &str, vars: &BTreeMap<String, String>) -> String {
    let b: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '$' && i + 1 < b.len() {
            if b[i + 1] == '{' {
                if let Some(end) = b[i + 2..].iter().position(|&c| c == '}') {
                    let inner: String = b[i + 2..i + 2 + end].iter().collect();
                    let (name, default) = match inner.split_once(":-") {
                        Some((n, d)) => (n.to_string(), Some(d.to_string())),
                        None => (inner.clone(), None),
                    };
                    let v = vars
                        .get(&name)
                        .cloned()
                        .filter(|v| !v.is_empty())
                        .or(default);
                    out.push_str(&v.unwrap_or_default());
                    i += end + 3;
                    continue;
                }
            } else if b[i + 1] == '_' || b[i + 1].is_ascii_alphabetic() {
                let mut j = i + 1;
                while j < b.len() && (b[j] == '_' || b[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let name: String = b[i + 1..j].iter().collect();
                out.push_str(vars.get(&name).map(|s| s.as_str()).unwrap_or(""));
                i = j;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Text that identifies an instruction's definition for de-duplication matching.
fn dedup_key(df: &Dockerfile, ii: usize, vars: &BTreeMap<String, String>) -> String {
    let ins = &df.instructions[ii];
    match &ins.command {
        Command::From(f) => format!("FROM {} {:?}", expand(f.image.trim(), vars), f.platform),
        _ => ins.text.trim().to_string(),
    }
}

pub fn observe_buildkit(
    df: &Dockerfile,
    target: Option<&str>,
    args: &BTreeMap<String, String>,
    output: &str,
) -> Result<Vec<ObservedStep>, String> {
    let t = target_stage(df, target)?;
    let vars = meta_arg_values(df, args);
    let reach = reachable(df, t);
    let verts = collect_vertices(output);
    // stage -> ordered vertices
    let mut per_stage: BTreeMap<usize, Vec<&Vertex>> = BTreeMap::new();
    for v in &verts {
        let s = if v.stage.is_empty() && df.stages.len() > 1 {
            // Multi-stage files name every vertex by stage, except that with ONBUILD on a stage
            // base BuildKit 0.13 sometimes prints the base's FROM from an earlier conversion
            // pass without a stage (`[1/3] FROM …`): map a FROM by its image.
            unlabeled_from_stage(df, &v.text, &vars)
        } else {
            stage_label_to_index(df, &v.stage, t)
        };
        let Some(s) = s else {
            return Err(format!("vertex of unknown stage `{}`: {}", v.stage, v.text));
        };
        per_stage.entry(s).or_default().push(v);
    }
    // instruction index -> status
    let mut mapped: BTreeMap<usize, &'static str> = BTreeMap::new();
    for (s, vs) in per_stage.iter_mut() {
        vs.sort_by_key(|v| v.index);
        let cands: Vec<usize> = stage_instrs(df, *s)
            .into_iter()
            .filter(|&ii| is_candidate(df, ii) && !is_root_workdir(&df.instructions[ii]))
            .collect();
        let mut cur = 0;
        // ONBUILD triggers of a stage base run first (BuildKit numbers them but does not count
        // them in N, and names them without an ONBUILD prefix); their status goes to this
        // stage's FROM line, which has no vertex of its own.
        let triggers = inherited_triggers(df, *s);
        let mut trigger_status: Option<&'static str> = None;
        for (k, v) in vs.iter().enumerate() {
            if k < triggers || v.text.starts_with("ONBUILD ") {
                let st = if v.cached || v.blobs {
                    "cached"
                } else {
                    "rebuilt"
                };
                trigger_status = match (trigger_status, st) {
                    (Some("rebuilt"), _) | (_, "rebuilt") => Some("rebuilt"),
                    _ => Some("cached"),
                };
                continue;
            }
            let kw = v
                .text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let Some(off) = cands[cur..]
                .iter()
                .position(|&ii| df.instructions[ii].keyword.eq_ignore_ascii_case(&kw))
            else {
                return Err(format!(
                    "vertex `[{} {}] {}` matches no remaining {kw} of stage {s}",
                    v.stage, v.index, v.text
                ));
            };
            let ii = cands[cur + off];
            cur += off + 1;
            // A step whose result comes from an imported cache may print no `CACHED` line: its
            // layers are pulled lazily and the vertex is printed again with only the blob
            // downloads (which `CACHED` line survives is a race in the progress stream). Those
            // blobs are the step's own result; a re-executed step never downloads its output.
            let loaded = v.blobs && kw != "FROM";
            let st = if v.cached || loaded {
                "cached"
            } else if v.done {
                "rebuilt"
            } else {
                "not-run"
            };
            mapped.insert(ii, st);
        }
        if let Some(st) = trigger_status {
            mapped.entry(df.stages[*s].from).or_insert(st);
        }
    }
    let built = |s: usize| per_stage.contains_key(&s) || reach[s];
    let mut out = Vec::new();
    for (ii, ins) in df.instructions.iter().enumerate() {
        let st: String = match ins.stage {
            None => "metadata".into(),
            Some(s) if !built(s) => "not-run".into(),
            Some(s) => {
                if let Some(st) = mapped.get(&ii) {
                    st.to_string()
                } else if !is_candidate(df, ii) || is_root_workdir(ins) {
                    // No vertex: metadata-only instruction (or WORKDIR / which makes none).
                    "metadata".into()
                } else if let Some(st) = dedup_status(df, s, ii, &mapped, &vars) {
                    st
                } else if matches!(ins.command, Command::Workdir { .. })
                    && !verts.iter().any(|v| v.text.starts_with("WORKDIR"))
                {
                    // This engine makes no WORKDIR vertices at all.
                    "metadata".into()
                } else {
                    return Err(format!(
                        "line {} (`{}`): no vertex printed and no identical vertex in another stage",
                        line_of(ins),
                        first_line(&ins.text)
                    ));
                }
            }
        };
        out.push(ObservedStep {
            line: line_of(ins),
            status: st,
        });
    }
    Ok(out)
}

fn is_root_workdir(ins: &Instruction) -> bool {
    match &ins.command {
        Command::Workdir { path } => {
            let p = path.trim().trim_matches('"');
            p == "/" || p.is_empty()
        }
        _ => false,
    }
}

/// Status of an unprinted vertex-type instruction through an identical chain in another stage.
fn dedup_status(
    df: &Dockerfile,
    s: usize,
    ii: usize,
    mapped: &BTreeMap<usize, &'static str>,
    vars: &BTreeMap<String, String>,
) -> Option<String> {
    let mine: Vec<usize> = stage_instrs(df, s)
        .into_iter()
        .filter(|&i| is_candidate(df, i))
        .collect();
    let pos = mine.iter().position(|&i| i == ii)?;
    let my_keys: Vec<String> = mine[..=pos]
        .iter()
        .map(|&i| dedup_key(df, i, vars))
        .collect();
    for o in 0..df.stages.len() {
        if o == s {
            continue;
        }
        let theirs: Vec<usize> = stage_instrs(df, o)
            .into_iter()
            .filter(|&i| is_candidate(df, i))
            .collect();
        if theirs.len() <= pos {
            continue;
        }
        let their_keys: Vec<String> = theirs[..=pos]
            .iter()
            .map(|&i| dedup_key(df, i, vars))
            .collect();
        if their_keys == my_keys {
            if let Some(st) = mapped.get(&theirs[pos]) {
                return Some(st.to_string());
            }
        }
    }
    None
}

/// The engine's error message from a failed build's output: the most specific line.
pub fn error_message(output: &str) -> String {
    let lines: Vec<&str> = output
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let pick = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("ERROR: failed to solve") || l.starts_with("failed to solve"))
        .or_else(|| {
            lines
                .iter()
                .rev()
                .find(|l| l.starts_with("ERROR") || l.starts_with("error"))
        })
        .or_else(|| lines.last());
    let msg = pick
        .map(|s| s.to_string())
        .unwrap_or_else(|| "build failed".into());
    let msg = msg.strip_prefix("ERROR: ").unwrap_or(&msg).to_string();
    if msg.len() > 400 {
        let mut cut = 400;
        while !msg.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &msg[..cut])
    } else {
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerlab_engine::parse;

    fn st(v: &[ObservedStep]) -> Vec<(u32, &str)> {
        v.iter().map(|s| (s.line, s.status.as_str())).collect()
    }

    #[test]
    fn classic_cached_rebuilt_and_global_arg() {
        let df =
            parse("ARG V=1\nFROM layerlab/base:1\nCOPY a.txt /a.txt\nRUN cat /a.txt\nENV X=1\n");
        let out = "Sending build context to Docker daemon  3.072kB\n\
Step 1/5 : ARG V=1\n\
Step 2/5 : FROM layerlab/base:1\n ---> ac0fe46705ad\n\
Step 3/5 : COPY a.txt /a.txt\n ---> Using cache\n ---> 1f82382cc478\n\
Step 4/5 : RUN cat /a.txt\n ---> Running in 5b213df55886\nRemoving intermediate container 5b213df55886\n ---> 69d00ab95441\n\
Step 5/5 : ENV X=1\n ---> Running in 1234\n ---> 5678\nSuccessfully built 5678\n";
        let got = observe_classic(&df, None, out).unwrap();
        assert_eq!(
            st(&got),
            vec![
                (1, "metadata"),
                (2, "cached"),
                (3, "cached"),
                (4, "rebuilt"),
                (5, "rebuilt")
            ]
        );
    }

    #[test]
    fn classic_stages_after_target_not_run_and_count_checked() {
        let df =
            parse("FROM layerlab/base:1 AS a\nRUN echo a\nFROM layerlab/base:1 AS b\nRUN echo b\n");
        let out = "Step 1/2 : FROM layerlab/base:1 AS a\n ---> ac0f\nStep 2/2 : RUN echo a\n ---> Using cache\n ---> 1\n";
        let got = observe_classic(&df, Some("a"), out).unwrap();
        assert_eq!(
            st(&got),
            vec![(1, "cached"), (2, "cached"), (3, "not-run"), (4, "not-run")]
        );
        // A total that does not match the Dockerfile is an error, not a guess.
        assert!(observe_classic(&df, None, out).is_err());
    }

    #[test]
    fn buildkit_single_stage_metadata_and_twice_printed_vertex() {
        let df =
            parse("FROM layerlab/base:1\nWORKDIR /src\nENV A=1\nCOPY a.txt .\nRUN cat a.txt\n");
        let out = "#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n\
#4 [1/4] FROM docker.io/layerlab/base:1\n#4 DONE 0.0s\n\
#6 [2/4] WORKDIR /src\n#6 CACHED\n\
#7 [3/4] COPY a.txt .\n#7 DONE 0.0s\n\
#8 [4/4] RUN cat a.txt\n#8 CACHED\n#8 [4/4] RUN cat a.txt\n#8 DONE 0.0s\n";
        let got = observe_buildkit(&df, None, &BTreeMap::new(), out).unwrap();
        assert_eq!(
            st(&got),
            vec![
                (1, "rebuilt"),
                (2, "cached"),
                (3, "metadata"),
                (4, "rebuilt"),
                (5, "cached")
            ]
        );
    }

    #[test]
    fn buildkit_step_loaded_from_imported_cache_without_a_cached_line() {
        // docker 26.1 / buildx 0.13 on the containerd store, build B of smoke-export-max:
        // the RUN's result (a layer build A exported) is pulled from the registry cache; the
        // progress stream printed no `CACHED` for it this time.
        let df = parse(
            "FROM layerlab/base:1\nWORKDIR /app\nCOPY requirements.txt .\n\
RUN cat requirements.txt > /installed.txt\nCOPY app.py .\nRUN echo compiling > /compiled.txt\n",
        );
        let out = "#4 [1/6] FROM docker.io/layerlab/base:1@sha256:2aea\n\
#4 resolve docker.io/layerlab/base:1@sha256:2aea 0.0s done\n#4 DONE 0.0s\n\
#7 [2/6] WORKDIR /app\n#7 CACHED\n#8 [3/6] COPY requirements.txt .\n#8 CACHED\n\
#9 [4/6] RUN cat requirements.txt > /installed.txt\n\
#9 sha256:4a042a591a5e 177B / 177B 0.0s done\n#9 sha256:d0792dc59852 161B / 161B 0.0s done\n\
#9 extracting sha256:d0792dc59852 0.1s done\n#9 DONE 0.2s\n\
#9 [4/6] RUN cat requirements.txt > /installed.txt\n#9 extracting sha256:4a042a591a5e 0.1s done\n#9 DONE 0.3s\n\
#10 [5/6] COPY app.py .\n#10 DONE 0.1s\n#11 [6/6] RUN echo compiling > /compiled.txt\n#11 DONE 0.1s\n";
        let got = observe_buildkit(&df, None, &BTreeMap::new(), out).unwrap();
        assert_eq!(
            st(&got),
            vec![
                (1, "rebuilt"),
                (2, "cached"),
                (3, "cached"),
                (4, "cached"),
                (5, "rebuilt"),
                (6, "rebuilt")
            ]
        );
        // A FROM that pulls its image's blobs is a pull, not a cache hit.
        let pulled = "#4 [1/1] FROM docker.io/layerlab/base:1\n#4 sha256:0d00 93B / 93B done\n\
#4 extracting sha256:0d00 done\n#4 DONE 0.1s\n";
        let df1 = parse("FROM layerlab/base:1\n");
        let got = observe_buildkit(&df1, None, &BTreeMap::new(), pulled).unwrap();
        assert_eq!(st(&got), vec![(1, "rebuilt")]);
        // Docker 20.10 prints each vertex's own digest under it: not a download.
        let d2010 =
            "#4 [1/2] FROM docker.io/layerlab/base:1\n#4 sha256:951bac9ef716\n#4 DONE 0.0s\n\
#5 [2/2] WORKDIR /app\n#5 sha256:98b3a8b32508\n#5 DONE 0.5s\n";
        let df2 = parse("FROM layerlab/base:1\nWORKDIR /app\n");
        let got = observe_buildkit(&df2, None, &BTreeMap::new(), d2010).unwrap();
        assert_eq!(st(&got), vec![(1, "rebuilt"), (2, "rebuilt")]);
    }

    #[test]
    fn buildkit_multistage_dedup_padding_and_unreachable() {
        let df = parse(
            "FROM layerlab/base:1 AS build\nWORKDIR /src\nCOPY a.txt .\nRUN cat a.txt > out.txt\n\
FROM layerlab/base:2 AS unused\nRUN echo unused\n\
FROM layerlab/base:1\nCOPY --link --from=build /src/out.txt /out.txt\nENV X=1\nRUN cat /out.txt\n",
        );
        let out = "#4 [build 1/4] FROM docker.io/layerlab/base:1\n#4 DONE 0.0s\n\
#6 [build 2/4] WORKDIR /src\n#6 CACHED\n#7 [build 3/4] COPY a.txt .\n#7 DONE 0.0s\n\
#8 [build 4/4] RUN cat a.txt > out.txt\n#8 DONE 0.1s\n#4 [build 1/4] FROM docker.io/layerlab/base:1\n#4 CACHED\n\
#9 [stage-2 2/3] COPY --link --from=build /src/out.txt /out.txt\n#9 DONE 0.0s\n\
#10 [stage-2 3/3] RUN cat /out.txt\n#10 DONE 0.1s\n";
        let got = observe_buildkit(&df, None, &BTreeMap::new(), out).unwrap();
        assert_eq!(
            st(&got),
            vec![
                (1, "cached"),
                (2, "cached"),
                (3, "rebuilt"),
                (4, "rebuilt"),
                (5, "not-run"),
                (6, "not-run"),
                (7, "cached"), // de-duplicated with the build stage's FROM
                (8, "rebuilt"),
                (9, "metadata"),
                (10, "rebuilt"),
            ]
        );
        // padded indices (N >= 10) parse too
        assert_eq!(
            parse_vertex_name("[build  2/12] RUN x"),
            Some(("build".into(), 2, 12, "RUN x".into()))
        );
        assert_eq!(
            parse_vertex_name("[ 3/10] COPY a b"),
            Some(("".into(), 3, 10, "COPY a b".into()))
        );
        assert_eq!(parse_vertex_name("[internal] load build context"), None);
    }

    #[test]
    fn buildkit_real_d26_multistage_output() {
        // docker 26.1 / buildx 0.13, build B of smoke-multistage-target-args (V changed).
        let df = parse("ARG BASE=layerlab/base:1\nFROM $BASE AS build\nWORKDIR /\nWORKDIR /src\nCOPY a.txt .\nENV MODE=release\nRUN cat a.txt > out.txt\n\nFROM layerlab/base:2 AS unused\nRUN echo unused > /u.txt\n\nFROM layerlab/base:1\nARG V=1\nCOPY --from=build /src/out.txt /out.txt\nRUN echo \"v=$V\" > /v.txt\nLABEL x=y\n\nFROM layerlab/base:1 AS final\nCOPY --from=2 /v.txt /v.txt\n\nFROM layerlab/base:1 AS after\nRUN echo after > /after.txt\n");
        let out = "#4 [build 1/5] FROM docker.io/layerlab/base:1\n#4 DONE 0.0s\n\
#6 [build 3/5] COPY a.txt .\n#6 CACHED\n#7 [build 2/5] WORKDIR /src\n#7 CACHED\n\
#8 [build 4/5] RUN cat a.txt > out.txt\n#8 CACHED\n\
#9 [stage-2 2/3] COPY --from=build /src/out.txt /out.txt\n#9 CACHED\n\
#10 [stage-2 3/3] RUN echo \"v=2\" > /v.txt\n#10 DONE 0.3s\n\
#4 [build 1/5] FROM docker.io/layerlab/base:1\n#4 CACHED\n\
#11 [final 2/2] COPY --from=2 /v.txt /v.txt\n#11 DONE 0.3s\n#12 DONE 0.6s\n";
        let got = observe_buildkit(&df, Some("final"), &BTreeMap::new(), out).unwrap();
        assert_eq!(
            st(&got),
            vec![
                (1, "metadata"),
                (2, "cached"),
                (3, "metadata"),
                (4, "cached"),
                (5, "cached"),
                (6, "metadata"),
                (7, "cached"),
                (9, "not-run"),
                (10, "not-run"),
                (12, "cached"),
                (13, "metadata"),
                (14, "cached"),
                (15, "rebuilt"),
                (16, "metadata"),
                (18, "cached"),
                (19, "rebuilt"),
                (21, "not-run"),
                (22, "not-run"),
            ]
        );
    }

    #[test]
    fn onbuild_triggers_from_a_stage_base_go_to_the_from_line() {
        let df = parse("FROM layerlab/base:1 AS base\nRUN echo installing runtime > /runtime.txt\nONBUILD COPY app.py /app/app.py\n\nFROM base\nRUN echo compiling > /compiled.txt\n");
        // docker 26.1: the trigger is numbered but not counted in N, and has no ONBUILD prefix.
        let out = "#4 [base 1/2] FROM docker.io/layerlab/base:1\n#4 DONE 0.0s\n\
#5 [base 2/2] RUN echo installing runtime > /runtime.txt\n#5 CACHED\n\
#7 [stage-1 1/1] COPY app.py /app/app.py\n#7 DONE 0.8s\n\
#8 [stage-1 2/1] RUN echo compiling > /compiled.txt\n#8 DONE 1.3s\n";
        let got = observe_buildkit(&df, None, &BTreeMap::new(), out).unwrap();
        assert_eq!(
            st(&got),
            vec![
                (1, "rebuilt"),
                (2, "cached"),
                (3, "metadata"),
                (5, "rebuilt"),
                (6, "rebuilt")
            ]
        );
        // classic 20.10: the trigger runs inside the FROM step.
        let out = "Step 1/5 : FROM layerlab/base:1 AS base\n ---> ac0f\nStep 2/5 : RUN echo installing runtime > /runtime.txt\n ---> Using cache\n ---> 11\n\
Step 3/5 : ONBUILD COPY app.py /app/app.py\n ---> Using cache\n ---> 22\nStep 4/5 : FROM base\n# Executing 1 build trigger\n ---> 33\n\
Step 5/5 : RUN echo compiling > /compiled.txt\n ---> Running in 44\n ---> 55\n";
        let got = observe_classic(&df, None, out).unwrap();
        assert_eq!(
            st(&got),
            vec![
                (1, "cached"),
                (2, "cached"),
                (3, "cached"),
                (5, "rebuilt"),
                (6, "rebuilt")
            ]
        );
        let out_cached = out.replace(
            "# Executing 1 build trigger\n ---> 33",
            "# Executing 1 build trigger\n ---> Using cache\n ---> 33",
        );
        let got = observe_classic(&df, None, &out_cached).unwrap();
        assert_eq!(got[3].status, "cached");
    }

    #[test]
    fn onbuild_race_unlabeled_from_vertex_is_mapped_by_image() {
        let df = parse("FROM layerlab/base:1 AS base\nRUN echo installing runtime > /runtime.txt\nONBUILD COPY app.py /app/app.py\n\nFROM base\nRUN echo compiling > /compiled.txt\n");
        // docker 26.1, real output: the FROM is printed as `[1/3]` (no stage).
        let out = "#3 [1/3] FROM docker.io/layerlab/base:1\n#3 CACHED\n\
#6 [base 2/2] RUN echo installing runtime > /runtime.txt\n#6 CACHED\n\
#7 [stage-1 1/1] COPY app.py /app/app.py\n#7 CACHED\n\
#8 [stage-1 2/1] RUN echo compiling > /compiled.txt\n#8 CACHED\n#9 DONE 0.1s\n";
        let got = observe_buildkit(&df, None, &BTreeMap::new(), out).unwrap();
        assert_eq!(
            st(&got),
            vec![
                (1, "cached"),
                (2, "cached"),
                (3, "metadata"),
                (5, "cached"),
                (6, "cached")
            ]
        );
        assert_eq!(
            normalize_image("docker.io/layerlab/base:1@sha256:2aea"),
            "layerlab/base:1"
        );
    }

    #[test]
    fn buildkit_unprinted_vertex_without_twin_is_an_error() {
        let df = parse("FROM layerlab/base:1\nRUN echo a\nRUN echo b\n");
        let out =
            "#4 [1/3] FROM docker.io/layerlab/base:1\n#4 CACHED\n#5 [2/3] RUN echo a\n#5 CACHED\n";
        assert!(observe_buildkit(&df, None, &BTreeMap::new(), out).is_err());
    }

    #[test]
    fn error_message_prefers_failed_to_solve() {
        let out = "#5 ERROR: process did not complete\nsomething\nERROR: failed to solve: process \"/bin/sh -c false\" did not complete successfully: exit code: 1\n";
        assert_eq!(
            error_message(out),
            "failed to solve: process \"/bin/sh -c false\" did not complete successfully: exit code: 1"
        );
        assert_eq!(error_message("Step 2/2 : RUN --mount=type=cache,target=/x true\nthe --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled\n"),
            "the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled");
    }
}
