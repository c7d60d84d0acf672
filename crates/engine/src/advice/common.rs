//! Helpers shared by the rules: reading instructions (who uses a variable, which tool a RUN
//! runs), recognising credentials, and rewriting a scenario's Dockerfiles consistently.

use crate::ast::{Command, CommandLine, Dockerfile, Instruction, Stage};
use crate::scenario::Scenario;
use crate::sim;

/// The text a RUN executes: its command plus heredoc bodies.
pub fn run_text(ins: &Instruction) -> Option<String> {
    let Command::Run(r) = &ins.command else {
        return None;
    };
    let mut t = match &r.command {
        CommandLine::Shell(s) => s.clone(),
        CommandLine::Exec(v) => v.join(" "),
    };
    for h in &r.heredocs {
        t.push('\n');
        t.push_str(&h.content);
    }
    Some(t)
}

/// True when `text` references `$name` or `${name...}`.
pub fn mentions_var(text: &str, name: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(p) = text[i..].find('$') {
        let at = i + p + 1;
        let rest = &text[at..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        if let Some(after) = rest.strip_prefix(name) {
            let next = after.as_bytes().first().copied();
            if !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
                return true;
            }
        }
        i = at;
        if i >= b.len() {
            break;
        }
    }
    false
}

/// Words of a command line (split on anything that is not part of a program name).
pub fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':')))
        .filter(|w| !w.is_empty())
        .collect()
}

/// True when the command runs program `tool` (as a word, also `python -m tool`).
pub fn runs_tool(text: &str, tool: &str) -> bool {
    words(text)
        .iter()
        .any(|w| *w == tool || w.rsplit('/').next() == Some(tool))
}

/// True when the command runs `prog` followed (within a few words) by `sub`; `sub` empty:
/// just `prog`.
pub fn has_pair(text: &str, prog: &str, sub: &str) -> bool {
    let w = words(text);
    w.iter().enumerate().any(|(i, x)| {
        (*x == prog || x.rsplit('/').next() == Some(prog))
            && (sub.is_empty()
                || w[i + 1..]
                    .iter()
                    .take(4)
                    .any(|y| y.trim_end_matches(':') == sub))
    })
}

/// Tools that read environment variables with a given prefix on their own, so a RUN running
/// the tool uses the variable without mentioning it.
const IMPLICIT_ENV: &[(&str, &[&str])] = &[
    ("PIP_", &["pip", "pip3"]),
    ("UV_", &["uv"]),
    ("POETRY_", &["poetry"]),
    ("PIPENV_", &["pipenv"]),
    ("NPM_", &["npm", "npx"]),
    ("npm_config_", &["npm", "npx", "pnpm"]),
    ("NODE_AUTH_TOKEN", &["npm", "yarn", "pnpm"]),
    ("YARN_", &["yarn"]),
    ("GOPROXY", &["go"]),
    ("GOPRIVATE", &["go"]),
    ("GONOSUMDB", &["go"]),
    ("GOFLAGS", &["go"]),
    ("CARGO_", &["cargo"]),
    ("BUNDLE_", &["bundle", "gem"]),
    ("COMPOSER_", &["composer"]),
    ("MAVEN_", &["mvn"]),
    ("GRADLE_", &["gradle", "gradlew", "./gradlew"]),
    ("NUGET_", &["dotnet", "nuget"]),
    ("GITHUB_TOKEN", &["gh", "git"]),
    ("GH_TOKEN", &["gh"]),
];

/// True when the RUN instruction uses variable `name`: it mentions it, or runs a tool that
/// reads it from the environment.
pub fn run_uses(ins: &Instruction, name: &str) -> bool {
    let Some(t) = run_text(ins) else {
        return false;
    };
    if mentions_var(&t, name) {
        return true;
    }
    IMPLICIT_ENV.iter().any(|(prefix, tools)| {
        name.starts_with(prefix) && tools.iter().any(|tool| runs_tool(&t, tool))
    })
}

/// True when a non-RUN instruction expands `$name` in its arguments.
pub fn expands_var(ins: &Instruction, name: &str) -> bool {
    if matches!(ins.command, Command::Run(_)) {
        return false;
    }
    // The keyword itself and flags are part of `text`; a plain scan is enough.
    mentions_var(&ins.text, name)
}

/// The stage's instructions in order (FROM excluded), as (index, instruction).
pub fn stage_instructions<'a>(
    df: &'a Dockerfile,
    st: &'a Stage,
) -> impl Iterator<Item = (usize, &'a Instruction)> + 'a {
    st.commands.iter().map(move |&i| (i, &df.instructions[i]))
}

/// True for instructions that make a build step in BuildKit (the ones a volatile value in
/// front of them can rebuild).
pub fn is_build_step(ins: &Instruction) -> bool {
    matches!(ins.command, Command::Run(_) | Command::Copy(_))
        || matches!(&ins.command, Command::Workdir { path } if path.trim() != "/")
}

// ---------------------------------------------------------------------------------------
// Credentials

const BUILDKIT_SECRET_WORDS: &[&str] = &[
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
];

/// BuildKit's `SecretsUsedInArgOrEnv` name test: some `_`-separated word of the name is a
/// secret word, and no word is `public`.
pub fn buildkit_secret_name(name: &str) -> bool {
    let parts: Vec<String> = name.split('_').map(|p| p.to_ascii_lowercase()).collect();
    parts
        .iter()
        .any(|p| BUILDKIT_SECRET_WORDS.contains(&p.as_str()))
        && !parts.iter().any(|p| p == "public")
}

/// Names that usually carry credentials, beyond BuildKit's list: package index URLs (which
/// embed tokens), `*_TOKEN`, `*_PASSWORD`, `*_PAT`, `NPMRC`, ...
pub fn credential_name(name: &str) -> bool {
    if buildkit_secret_name(name) {
        return true;
    }
    let u = name.to_ascii_uppercase();
    if u.split('_').any(|p| p == "PUBLIC") {
        return false;
    }
    u.contains("INDEX_URL")
        || u.contains("TOKEN")
        || u.contains("PASSWORD")
        || u.contains("PASSWD")
        || u.contains("SECRET")
        || u.contains("CREDENTIAL")
        || u.ends_with("_PAT")
        || u == "NPMRC"
        || u == "PIP_CONF"
        || u.contains("AUTH")
}

/// Values that are credentials whatever their name: URLs with a password or token in the
/// user-info part, and well-known token prefixes.
pub fn credential_value(v: &str) -> bool {
    let v = v.trim();
    if let Some(i) = v.find("://") {
        let rest = &v[i + 3..];
        let host_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..host_end].rfind('@') {
            if at > 0 {
                return true;
            }
        }
    }
    const PREFIXES: &[&str] = &[
        "ghp_",
        "gho_",
        "ghs_",
        "github_pat_",
        "glpat-",
        "npm_",
        "xoxb-",
        "xoxp-",
        "AKIA",
        "sk_live_",
        "pypi-",
    ];
    PREFIXES
        .iter()
        .any(|p| v.starts_with(p) && v.len() > p.len() + 8)
}

// ---------------------------------------------------------------------------------------
// Rewriting scenarios

/// Rewrites the scenario's Dockerfile (A, and B when it is edited) with `f`, which returns
/// `None` when it has nothing to change in that text. The result must parse without new
/// errors. Line-keyed data (`rerun_output`) follows the moved lines; `observed` is dropped,
/// because real engines never ran the rewritten file.
pub fn rewrite_dockerfiles(
    s: &Scenario,
    rule: &str,
    f: impl Fn(&str, &Dockerfile) -> Option<String>,
) -> Option<Scenario> {
    let df_a = crate::parse(&s.dockerfile);
    let new_a = f(&s.dockerfile, &df_a);
    let (old_b_text, new_b) = match &s.change.dockerfile {
        Some(b) => {
            let df_b = crate::parse(b);
            (b.as_str(), f(b, &df_b))
        }
        None => (s.dockerfile.as_str(), None),
    };
    if new_a.is_none() && new_b.is_none() {
        return None;
    }
    let mut out = s.clone();
    for (old, new) in [(s.dockerfile.as_str(), &new_a), (old_b_text, &new_b)] {
        if let Some(n) = new {
            let was_ok = !crate::parse(old).has_errors();
            if was_ok && crate::parse(n).has_errors() {
                return None;
            }
        }
    }
    if let Some(a) = &new_a {
        out.dockerfile = a.clone();
    }
    if let Some(b) = new_b {
        out.change.dockerfile = Some(b);
    }
    finish(s, &mut out, rule);
    Some(out)
}

/// Like [`rewrite_dockerfiles`] for a fix anchored on one instruction: `line` is its line in
/// B's Dockerfile; in A's (when B's is edited) the counterpart instruction is used. `f` gets
/// the text, its parse and the instruction's index.
pub fn rewrite_at(
    s: &Scenario,
    rule: &str,
    line: u32,
    f: impl Fn(&str, &Dockerfile, usize) -> Option<String>,
) -> Option<Scenario> {
    let df_b = crate::parse(s.dockerfile_b());
    let ib = df_b.instructions.iter().position(|i| i.span.line == line)?;
    let edited = s.change.dockerfile.is_some();
    rewrite_dockerfiles(s, rule, |text, df| {
        if !edited || text != s.dockerfile {
            return f(text, df, ib);
        }
        // A's text: find the counterpart of B's instruction.
        let map = map_instructions(df, &df_b);
        let ia = map.get(ib).copied().flatten()?;
        f(text, df, ia)
    })
}

/// Common bookkeeping for every rewritten scenario.
pub fn finish(before: &Scenario, after: &mut Scenario, rule: &str) {
    after.observed.clear();
    after.name = Some(match before.name.as_deref() {
        // Already rewritten by advice: list this rule in the same suffix.
        Some(n) if n.ends_with(']') && n.contains(" [layerlab advice: ") => {
            if n.contains(rule) {
                n.to_string()
            } else {
                format!("{}, {rule}]", &n[..n.len() - 1])
            }
        }
        Some(n) => format!("{n} [layerlab advice: {rule}]"),
        None => format!("[layerlab advice: {rule}]"),
    });
    if before.rerun_output.is_empty() || before.dockerfile_b() == after.dockerfile_b() {
        return;
    }
    let old = crate::parse(before.dockerfile_b());
    let new = crate::parse(after.dockerfile_b());
    let map = map_instructions(&old, &new);
    let mut out = crate::scenario::Map::new();
    for (line, v) in &before.rerun_output {
        let Ok(l) = line.parse::<u32>() else { continue };
        let Some(oi) = old.instructions.iter().position(|i| i.span.line == l) else {
            continue;
        };
        if let Some(ni) = map.iter().position(|m| *m == Some(oi)) {
            out.insert(new.instructions[ni].span.line.to_string(), *v);
        }
    }
    after.rerun_output = out;
}

/// For each instruction of `new`, its counterpart in `old`: the same text in the same stage
/// first (so a moved line keeps its identity), then the simulator's alignment for edited ones.
pub fn map_instructions(old: &Dockerfile, new: &Dockerfile) -> Vec<Option<usize>> {
    let mut out = vec![None; new.instructions.len()];
    let mut taken = vec![false; old.instructions.len()];
    for (ni, n) in new.instructions.iter().enumerate() {
        let hit =
            old.instructions.iter().enumerate().find(|(oi, o)| {
                !taken[*oi] && o.stage == n.stage && o.text.trim() == n.text.trim()
            });
        if let Some((oi, _)) = hit {
            taken[oi] = true;
            out[ni] = Some(oi);
        }
    }
    let align = sim::align(old, new);
    for (ni, m) in align.iter().enumerate() {
        if out[ni].is_none() {
            if let Some(oi) = *m {
                if !taken[oi] && old.instructions[oi].keyword == new.instructions[ni].keyword {
                    taken[oi] = true;
                    out[ni] = Some(oi);
                }
            }
        }
    }
    out
}

/// A `# syntax=docker/dockerfile:1` line for rewrites that use newer Dockerfile features
/// (e.g. `RUN --mount=type=secret,env=`), when the file has no syntax directive yet.
pub fn ensure_syntax(text: &str, df: &Dockerfile, edits: &mut super::edit::Edits) {
    if df.directives.syntax.is_none() {
        edits.insert_lines_before(text, 1, &["# syntax=docker/dockerfile:1".to_string()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_mentions() {
        assert!(mentions_var(
            "pip --index-url $PIP_INDEX_URL",
            "PIP_INDEX_URL"
        ));
        assert!(mentions_var("x=${TOKEN:-none}", "TOKEN"));
        assert!(!mentions_var("x=$TOKENS", "TOKEN"));
        assert!(!mentions_var("x=TOKEN", "TOKEN"));
        assert!(!mentions_var("$", "TOKEN"));
    }

    #[test]
    fn buildkit_names() {
        assert!(buildkit_secret_name("GITHUB_TOKEN"));
        assert!(buildkit_secret_name("api_key"));
        assert!(buildkit_secret_name("AUTH"));
        assert!(!buildkit_secret_name("PIP_INDEX_URL"));
        assert!(!buildkit_secret_name("PUBLIC_KEY"));
        assert!(!buildkit_secret_name("KEYBOARD"));
    }

    #[test]
    fn credential_values() {
        assert!(credential_value("https://ci:token-41@pypi.example/simple"));
        assert!(credential_value("https://__token__@x.example/"));
        assert!(!credential_value("https://pypi.org/simple"));
        assert!(!credential_value("https://pypi.org/simple?a=b@c"));
        assert!(credential_value("ghp_abcdefghijklmnop"));
    }
}
