//! Symbolic execution of one build under one builder's cache model.
//!
//! For every instruction we derive the inputs that builder puts in the step's cache key —
//! named [`Field`]s, a definition-based parent, content-based inputs — hash them into a key,
//! and look the key up in the records the cache source makes available. A hit reuses the
//! recorded output; a miss produces a new output. Outputs matter because content-keyed
//! consumers (`COPY --from`, bind mounts) hash the *bytes* a stage produced, not its keys.
//!
//! The two models differ only where the builders differ (semantics.md §3):
//! - classic: every instruction after FROM is a step keyed on (parent image, instruction);
//!   build args reach RUN as a `|N k=v` prefix; a stage's ARGs do not reach `FROM <stage>`;
//!   all stages up to the target are built; BuildKit-only flags are errors.
//! - BuildKit: only FROM/RUN/COPY/ADD/WORKDIR(≠/) make vertices; RUN keys carry the whole
//!   environment (ENV and ARG values, never proxy args) and the mounts' descriptions (never
//!   secret values); COPY keys carry the destination, flags and a content hash of the
//!   sources; `COPY --link` does not depend on the previous layer; only stages reachable
//!   from the target are built.

use super::build::{normalize_image, BuildInput, Side};
use super::context;
use super::hash::{FxHashMap, Id, KeyHasher};
use crate::ast::{Command, CommandLine, CopyCmd, Instruction, Mount, RunCmd};
use crate::report::Builder;
use crate::scenario::Map;
use crate::scenario::RerunOutput;
use crate::share::Shared;
use crate::shell::{self, EnvLookup};
use crate::syntax::Diagnostic;
use std::borrow::Cow;

/// Build args that are available without an ARG declaration and never enter BuildKit keys.
pub const PROXY_ARGS: [&str; 10] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// BuildKit's automatic platform args (global scope; enter RUN env only when re-declared).
const PLATFORM_ARGS: [(&str, &str); 8] = [
    ("TARGETPLATFORM", "linux/amd64"),
    ("TARGETOS", "linux"),
    ("TARGETARCH", "amd64"),
    ("TARGETVARIANT", ""),
    ("BUILDPLATFORM", "linux/amd64"),
    ("BUILDOS", "linux"),
    ("BUILDARCH", "amd64"),
    ("BUILDVARIANT", ""),
];

/// Build args a value depends on: shared, because every RUN of a stage repeats its ENV
/// values' origins (no allocation when empty, one reference count to copy otherwise).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Args(Option<Shared<[String]>>);

impl std::ops::Deref for Args {
    type Target = [String];
    fn deref(&self) -> &[String] {
        self.0.as_deref().unwrap_or(&[])
    }
}

impl From<Vec<String>> for Args {
    fn from(v: Vec<String>) -> Args {
        Args((!v.is_empty()).then(|| v.into()))
    }
}

/// Where a value in a key came from, for explanations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The instruction line that set it (ENV, ARG, WORKDIR, USER, SHELL, ...).
    pub line: Option<u32>,
    /// Build args the value depends on (the value itself, or what an expansion used).
    pub args: Args,
    /// The value came straight from `--build-arg`.
    pub from_build_arg: bool,
}

/// A field name or value: a fixed name, a string built for this step, or one shared with
/// the stage state (environment names and values repeat in every RUN of a stage).
#[derive(Clone, Debug)]
pub enum Text {
    Static(&'static str),
    Owned(String),
    Shared(Shared<str>),
}

impl Text {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Owned(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Text {
        Text::Static(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::Owned(s)
    }
}

impl From<Cow<'_, str>> for Text {
    fn from(s: Cow<'_, str>) -> Text {
        Text::Owned(s.into_owned())
    }
}

impl From<Shared<str>> for Text {
    fn from(s: Shared<str>) -> Text {
        Text::Shared(s)
    }
}

/// One named input of a step's cache key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: Text,
    pub value: Text,
    pub origin: Origin,
}

/// A content-based key input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentInput {
    /// Human label: `app.py`, `. (context)`, `stage builder:/out`, `image alpine:/x`.
    pub label: Text,
    pub digest: Id,
    /// For context sources: the source and `--exclude` patterns, to say which file changed.
    pub context_source: Option<(Shared<str>, Vec<String>)>,
    /// For stage sources: the stage and absolute path.
    pub stage_path: Option<(usize, String)>,
    /// For stage sources: the stage's last step, whose result the consumer needs.
    pub stage_last: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// FROM: the stage's starting point.
    From,
    /// A step with a cache key.
    Step,
    /// BuildKit: no vertex (image config / state only).
    Metadata,
    /// The builder does not build this instruction.
    NotRun,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Writes {
    None,
    All,
    Path(Shared<str>),
}

#[derive(Clone, Debug)]
pub struct Step {
    pub instr: usize,
    pub stage: usize,
    pub line: u32,
    pub keyword: Text,
    pub kind: Kind,
    /// Where the step's fields and content inputs are in [`Exec::fields`] and
    /// [`Exec::contents`].
    fields_at: (u32, u32),
    contents_at: (u32, u32),
    /// Index (into `Exec::steps`) of the step this one builds on (definition-based input).
    pub parent: Option<usize>,
    writes: Writes,
    pub key: Id,
    pub hit: bool,
    pub output: Id,
    /// A RUN re-ran and the scenario declared its output identical to A's.
    pub declared_identical: bool,
    /// A RUN re-ran with no declaration: we assumed its output differs.
    pub assumed_different: bool,
    /// `COPY --link` (effective): the copy does not depend on the previous layer.
    pub linked: bool,
    /// An ONBUILD trigger of the parent stage, executed at the start of this stage.
    pub trigger: bool,
    /// Cached by key only (no result imported): executes if something that runs needs it.
    pub lazy: bool,
    /// Facts worth telling whatever the verdict: (code, message).
    pub notes: Vec<(&'static str, String)>,
    pub error: Option<String>,
}

/// A step's key fields and content inputs while it is built; then moved to
/// [`Exec::fields`] / [`Exec::contents`] (one allocation per build, not per step). Kept
/// outside the [`Step`] (the executor's `spare`, reused by every step), so that a step is
/// small to move.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    fields: Vec<Field>,
    contents: Vec<ContentInput>,
}

/// What the cache source makes available to a build: key → recorded output.
#[derive(Clone, Debug, Default)]
pub struct Records {
    /// Keys whose result can be loaded: key → output.
    pub map: FxHashMap<Id, Id>,
    /// Keys the imported metadata knows without a result (mode=min / inline cache hold the
    /// key chain of the whole build but only the final image's layers): key → output. Such a
    /// step is reported cached as long as nothing that runs needs its result (recorded:
    /// story2-multistage-inline-cache, story2-multistage-export-min).
    pub keys_only: FxHashMap<Id, Id>,
}

/// Where a build looks its steps' keys up: [`Records`], or (natively) build A's records as
/// build A makes them, while build B runs at the same time (`sim/threaded.rs`).
pub trait RecordLookup {
    /// Called before the build runs the `nth` stage of its order (from 0).
    fn before_stage(&self, _nth: usize) {}
    /// The recorded output of `key`, and whether the record holds the key only
    /// ([`Records::keys_only`]).
    fn get(&self, key: Id) -> Option<(Id, bool)>;
}

impl RecordLookup for Records {
    fn get(&self, key: Id) -> Option<(Id, bool)> {
        self.map
            .get(&key)
            .map(|o| (*o, false))
            .or_else(|| self.keys_only.get(&key).map(|o| (*o, true)))
    }
}

/// Sees the steps of a stage once the stage is built ([`Executor::on_stage`]).
pub type StageHook<'a> = &'a dyn Fn(&[Step]);

/// The result of executing one build.
#[derive(Clone, Debug, Default)]
pub struct Exec {
    pub steps: Vec<Step>,
    /// Every step's key fields, in step order ([`Exec::fields_of`]).
    pub fields: Vec<Field>,
    /// Every step's content inputs, in step order ([`Exec::contents_of`]).
    pub contents: Vec<ContentInput>,
    /// Instruction index → step index (every instruction has exactly one step entry).
    pub by_instr: Vec<Option<usize>>,
    pub built: Vec<bool>,
    /// Per stage: the step indices of its chain (inherited FROM-stage chain first).
    pub chains: Vec<Vec<usize>>,
    pub errors: Vec<Diagnostic>,
    pub target: Option<usize>,
}

impl Exec {
    /// The named key inputs of a step of this build.
    pub fn fields_of(&self, s: &Step) -> &[Field] {
        &self.fields[s.fields_at.0 as usize..s.fields_at.1 as usize]
    }

    /// The content-based key inputs of a step of this build.
    pub fn contents_of(&self, s: &Step) -> &[ContentInput] {
        &self.contents[s.contents_at.0 as usize..s.contents_at.1 as usize]
    }

    pub fn step_of(&self, instr: usize) -> Option<&Step> {
        self.by_instr
            .get(instr)
            .copied()
            .flatten()
            .map(|i| &self.steps[i])
    }
}

/// One environment variable, kept in the shape its RUN key field takes (BuildKit puts
/// every variable in every RUN's key, so the field's name and value are shared, not built).
#[derive(Clone, Debug)]
struct EnvVar {
    /// `env:NAME`, the key field's name (the name is the rest: [`EnvVar::name`]).
    field: Shared<str>,
    value: Shared<str>,
    origin: Origin,
}

impl EnvVar {
    fn name(&self) -> &str {
        &self.field["env:".len()..]
    }
}

#[derive(Clone, Debug, Default)]
struct Env {
    vars: Vec<EnvVar>,
}

impl Env {
    /// Sets `k`; `scratch` is a reused buffer for a new variable's field name.
    fn set(&mut self, k: &str, v: Shared<str>, origin: Origin, scratch: &mut String) {
        if let Some(e) = self.vars.iter_mut().find(|e| e.name() == k) {
            e.value = v;
            e.origin = origin;
        } else {
            self.vars.push(EnvVar {
                field: {
                    scratch.clear();
                    scratch.push_str("env:");
                    scratch.push_str(k);
                    scratch.as_str().into()
                },
                value: v,
                origin,
            });
        }
    }
    fn var(&self, k: &str) -> Option<&EnvVar> {
        self.vars.iter().find(|e| e.name() == k)
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.var(k).map(|e| &*e.value)
    }
}

#[derive(Clone, Debug)]
struct StageState {
    /// The environment RUN sees (classic: config Env; BuildKit: state env incl. ARG values).
    env: Env,
    /// Declared args in scope, in declaration order.
    args: Vec<ArgVar>,
    /// The working directory, USER and SHELL (joined): shared with the key fields of every
    /// RUN that repeats them.
    cwd: Shared<str>,
    user: Shared<str>,
    shell: Shared<str>,
    /// Last step producing the root filesystem (classic: last step of any kind).
    last: Option<usize>,
    chain: Vec<usize>,
    shell_line: Option<u32>,
    cwd_line: Option<u32>,
    user_line: Option<u32>,
}

impl StageState {
    fn new() -> Self {
        StageState {
            env: Env::default(),
            args: Vec::new(),
            cwd: "/".into(),
            user: "".into(),
            shell: "/bin/sh -c".into(),
            last: None,
            chain: Vec::new(),
            shell_line: None,
            cwd_line: None,
            user_line: None,
        }
    }
}

/// A declared build arg in scope.
#[derive(Clone, Debug)]
struct ArgVar {
    name: String,
    /// `arg:NAME`, the classic builder's RUN key field name.
    field: Shared<str>,
    value: Option<Shared<str>>,
    origin: Origin,
}

/// Ordered name/value pairs (the meta args): the last entry for a name wins.
struct Pairs<'a>(&'a [(String, String)]);

impl EnvLookup for Pairs<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.0.lookup(name)
    }
}

/// The lookup environment for expansion: the stage env, then the declared args that have a
/// value (names are distinct in each; the env wins, which is also the classic builder's rule
/// that args are only allowed values).
struct Lookup<'a>(&'a StageState);

impl EnvLookup for Lookup<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        let st = self.0;
        match st.env.get(name) {
            Some(v) => Some(v),
            None => st
                .args
                .iter()
                .rev()
                .find(|a| a.value.is_some() && a.name == name)
                .and_then(|a| a.value.as_deref()),
        }
    }
}

/// An expanded word: the word itself when there was nothing to expand, else a value
/// shared with the executor's memo.
#[derive(Clone, Debug)]
pub(crate) enum Word<'w> {
    Borrowed(&'w str),
    Shared(Shared<str>),
}

impl std::ops::Deref for Word<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Word::Borrowed(s) => s,
            Word::Shared(s) => s,
        }
    }
}

impl Word<'_> {
    fn into_owned(self) -> String {
        (*self).to_string()
    }
}

impl From<Word<'_>> for Shared<str> {
    fn from(w: Word<'_>) -> Shared<str> {
        match w {
            Word::Borrowed(s) => s.into(),
            Word::Shared(s) => s,
        }
    }
}

impl std::fmt::Display for Word<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl From<Word<'_>> for Text {
    fn from(w: Word<'_>) -> Text {
        match w {
            Word::Borrowed(s) => Text::Owned(s.to_string()),
            Word::Shared(s) => Text::Shared(s),
        }
    }
}

/// One remembered expansion of a word: the variables it read (set or not) with the values
/// they had, and the result. Expansion is a function of the word and those values.
#[derive(Debug)]
struct Expansion {
    read: Vec<(String, Option<Shared<str>>)>,
    value: Shared<str>,
    used: Args,
}

/// Which Docker engine generation is simulated: its Dockerfile frontend decides which
/// syntax exists at all (recorded: Docker 20.10's classic builder and BuildKit reject
/// `COPY --link` and heredocs as parse errors; Docker 26's accept them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Docker 20.10 (BuildKit 0.8 built-in frontend).
    Docker2010,
    /// Docker 23 and later (recorded on 26.1 with BuildKit 0.13).
    #[default]
    Modern,
}

pub struct Executor<'a> {
    pub input: &'a BuildInput,
    pub builder: Builder,
    pub engine: Engine,
    /// The build's `--network`, the default for every RUN.
    pub network: Option<String>,
    pub records: &'a dyn RecordLookup,
    /// Called with the steps of each stage once the stage is built (natively, build A hands
    /// its records to a build B running at the same time).
    pub on_stage: Option<StageHook<'a>>,
    /// `COPY --link` is independent of earlier layers (containerd store / container driver).
    pub link_independent: bool,
    /// For build B: A's result and the B→A instruction alignment, for declared-identical reruns.
    pub previous: Option<(&'a Exec, &'a [Option<usize>])>,
    pub rerun: &'a Map<String, RerunOutput>,
    /// The draft of the step being built (its buffers serve every step).
    pub spare: std::cell::RefCell<Draft>,
    /// What the run remembers (expansions, stage contents): start with `Default::default()`.
    pub memo: Memo,
}

/// Results an executor remembers while it runs.
#[derive(Default)]
pub struct Memo {
    /// Expansions by word ([`Executor::expand`]).
    expansions: std::cell::RefCell<FxHashMap<String, Expansion>>,
    /// [`Executor::stage_content`] of a built stage, by stage and path.
    stage_contents: std::cell::RefCell<Vec<Vec<(String, Id)>>>,
    /// Each stage name's first stage ([`Executor::stage_ref`]).
    stage_names: std::cell::OnceCell<FxHashMap<String, usize>>,
    /// A buffer for strings that are built and then shared (`Shared<str>`).
    scratch: std::cell::RefCell<String>,
}

/// Whether `s` is `/`-separated segments that need no cleaning: none empty, `.` or `..`
/// (a leading and a trailing `/` allowed).
fn plain_segments(s: &str) -> bool {
    let b = s.as_bytes();
    let inner = b.strip_prefix(b"/").unwrap_or(b);
    let inner = inner.strip_suffix(b"/").unwrap_or(inner);
    !inner.is_empty()
        && inner
            .split(|&c| c == b'/')
            .all(|seg| !seg.is_empty() && seg != b"." && seg != b"..")
}

/// The absolute, clean form of `p` in the working directory `cwd`, as a `String`.
#[cfg(test)]
fn abs_path(cwd: &str, p: &str) -> String {
    let mut out = String::new();
    abs_path_into(cwd, p, &mut out);
    out
}

/// The absolute, clean form of `p` in the working directory `cwd`, written into `out`
/// (cleared first): a reused buffer, so that the shared string made from it is the only
/// allocation.
fn abs_path_into(cwd: &str, p: &str, out: &mut String) {
    out.clear();
    // The common cases: a plain absolute path, or a clean absolute working directory and a
    // plain relative path (`./` prefixes dropped).
    if p.starts_with('/') {
        if plain_segments(p) {
            out.push_str(p);
            return;
        }
    } else if cwd.starts_with('/') {
        let mut rel = p;
        while let Some(r) = rel.strip_prefix("./") {
            rel = r;
        }
        let base = cwd.trim_end_matches('/');
        if !rel.starts_with('/') && plain_segments(rel) && (base.is_empty() || plain_segments(base))
        {
            out.push_str(base);
            out.push('/');
            out.push_str(rel);
            return;
        }
    }
    // `/` + context::clean of `cwd/p` (or of `p` when absolute).
    let mut push = |s: &str| {
        for seg in s.split('/') {
            match seg {
                "" | "." => {}
                ".." => out.truncate(out.rfind('/').unwrap_or(0)),
                seg => {
                    out.push('/');
                    out.push_str(seg);
                }
            }
        }
    };
    if !p.starts_with('/') {
        push(cwd);
    }
    push(p);
    // The root is `/`; otherwise a trailing `/` of `p` is kept.
    if out.is_empty() || (p.ends_with('/') && p.len() > 1) {
        out.push('/');
    }
}

fn overlaps(w: &Writes, path: &str) -> bool {
    match w {
        Writes::None => false,
        Writes::All => true,
        Writes::Path(d) => {
            let d = d.trim_end_matches('/');
            let p = path.trim_end_matches('/');
            // `x` is `y` or below it.
            let under = |x: &str, y: &str| {
                x.strip_prefix(y)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            };
            d.is_empty() || p.is_empty() || under(p, d) || under(d, p)
        }
    }
}

/// An instruction keyword as a [`Text`]: the known ones are static (no allocation per step).
fn keyword_text(k: &str) -> Text {
    // Length and first letter first: most candidates are rejected without a `memcmp` call.
    let first = k.as_bytes().first();
    match crate::parser::INSTRUCTIONS
        .iter()
        .find(|&&x| x.len() == k.len() && x.as_bytes().first() == first && x == k)
    {
        Some(&x) => Text::Static(x),
        None => Text::Owned(k.to_string()),
    }
}

fn field(name: impl Into<Text>, value: impl Into<Text>) -> Field {
    Field {
        name: name.into(),
        value: value.into(),
        origin: Origin::default(),
    }
}

fn command_text(c: &CommandLine) -> String {
    match c {
        CommandLine::Shell(s) => s.clone(),
        CommandLine::Exec(v) => serde_json::to_string(v).unwrap_or_default(),
    }
}

/// A RUN mount's target, source, id and from after expansion.
struct Expanded<'w> {
    target: Option<Word<'w>>,
    source: Option<Word<'w>>,
    id: Option<Word<'w>>,
    from: Option<Word<'w>>,
}

/// Expanded words joined by one space.
fn join(words: &[Word]) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// `type=cache,target=/x,...`: the mount as its key field shows it, built in one buffer.
fn mount_description(m: &Mount, x: &Expanded, legacy: bool) -> String {
    let mut out = String::with_capacity(64);
    out.push_str("type=");
    out.push_str(&m.kind);
    let mut push = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            out.push(',');
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
    };
    match m.kind.as_str() {
        "secret" | "ssh" => {
            push("id", x.id.as_deref());
            push("target", x.target.as_deref());
            push("env", m.env.as_deref());
            push("mode", m.mode.as_deref());
            push("uid", m.uid.as_deref());
            push("gid", m.gid.as_deref());
            if let Some(r) = m.required {
                push("required", Some(if r { "true" } else { "false" }));
            }
        }
        "cache" => {
            // Non-default `id`/`sharing` are blanked from the key (R9) in current BuildKit;
            // Docker 20.10's BuildKit keys on them (recorded: run-cache-mount-id-change).
            if legacy {
                push("id", x.id.as_deref());
                push("sharing", m.sharing.as_deref());
            }
            push("target", x.target.as_deref());
            push("mode", m.mode.as_deref());
            push("uid", m.uid.as_deref());
            push("gid", m.gid.as_deref());
        }
        "tmpfs" => {
            push("target", x.target.as_deref());
            push("size", m.size.as_deref());
        }
        _ => {
            push("target", x.target.as_deref());
            push("source", x.source.as_deref());
            push("from", x.from.as_deref());
            if m.readwrite {
                out.push_str(",rw");
            }
        }
    }
    out
}

impl<'a> Executor<'a> {
    fn df(&self) -> &crate::ast::Dockerfile {
        &self.input.df
    }

    /// What the scenario declares about the instruction at `line` when it runs again.
    #[inline(always)]
    fn rerun_at(&self, line: u32) -> Option<RerunOutput> {
        // Usually nothing is declared: no call for that.
        if self.rerun.is_empty() {
            return None;
        }
        self.rerun_declared(line)
    }

    #[inline(never)]
    fn rerun_declared(&self, line: u32) -> Option<RerunOutput> {
        self.rerun.get(&line.to_string()).copied()
    }

    fn expand<'w>(
        &self,
        word: &'w str,
        st: &StageState,
        meta: &[(String, String)],
    ) -> (Word<'w>, Args) {
        let _ = meta;
        let escape = self.df().directives.escape;
        let plain = if escape.is_ascii() {
            let e = escape as u8;
            !word
                .bytes()
                .any(|b| matches!(b, b'$' | b'\'' | b'"') || b == e)
        } else {
            !word.contains(['$', '\'', '"', escape])
        };
        if plain {
            // Nothing to substitute or unquote: process_word would return the word as is
            // (and on a budget error the word is kept too), so skip building the lookup.
            return (Word::Borrowed(word), Args::default());
        }
        let lookup = Lookup(st);
        // The same word with the same values of the variables it reads (`value-$VERSION`
        // in every stage) expands to the same value: remembered, and shared.
        let mut memo = self.memo.expansions.borrow_mut();
        if let Some(e) = memo.get(word) {
            if e.read.iter().all(|(n, v)| lookup.lookup(n) == v.as_deref()) {
                return (Word::Shared(Shared::clone(&e.value)), e.used.clone());
            }
        }
        match shell::process_word(word, &lookup, escape) {
            Ok(e) => {
                let read = e
                    .used
                    .iter()
                    .chain(e.unset.iter())
                    .map(|n| (n.clone(), lookup.lookup(n).map(Shared::from)))
                    .collect();
                let value: Shared<str> = e.value.into();
                let used: Args = e.used.into_iter().collect::<Vec<_>>().into();
                memo.insert(
                    word.to_string(),
                    Expansion {
                        read,
                        value: Shared::clone(&value),
                        used: used.clone(),
                    },
                );
                (Word::Shared(value), used)
            }
            Err(_) => (Word::Borrowed(word), Args::default()),
        }
    }

    /// Which build args a value depends on, given the names an expansion used.
    fn args_behind(&self, used: &[String], st: &StageState) -> Args {
        if used.is_empty() {
            return Args::default();
        }
        // One name (`$VERSION`) whose args come from one place: that origin's list, shared
        // (origins are sorted and distinct, as the set below makes them).
        if let [u] = used {
            let env = st.env.var(u).map(|e| &e.origin.args);
            let arg = st
                .args
                .iter()
                .find(|a| a.name == *u)
                .map(|a| &a.origin.args);
            let only = match (env, arg) {
                (None, None) => return Args::default(),
                (Some(x), None) | (None, Some(x)) => Some(x),
                (Some(x), Some(y)) if y.is_empty() || x == y => Some(x),
                (Some(x), Some(y)) if x.is_empty() => Some(y),
                _ => None,
            };
            if let Some(x) = only.filter(|x| x.windows(2).all(|w| w[0] < w[1])) {
                return x.clone();
            }
        }
        // Sorted and distinct (a vector, not a BTreeSet: B-tree code for one type costs the
        // bundle more than these few names ever take to sort).
        let mut out: Vec<String> = Vec::new();
        for u in used {
            if let Some(e) = st.env.var(u) {
                out.extend(e.origin.args.iter().cloned());
            }
            if let Some(a) = st.args.iter().find(|a| a.name == *u) {
                out.extend(a.origin.args.iter().cloned());
            }
        }
        crate::order::sort_unstable(&mut out);
        out.dedup();
        out.into()
    }

    fn meta_args(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        if self.builder == Builder::Buildkit {
            for (k, v) in PLATFORM_ARGS {
                let v = self
                    .input
                    .args
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| v.to_string());
                out.push((k.to_string(), v));
            }
        }
        let escape = self.df().directives.escape;
        for &i in &self.df().meta_args {
            if let Command::Arg { args } = &self.df().instructions[i].command {
                for a in args {
                    let value = match self.input.args.get(&a.name) {
                        Some(v) => Some(v.clone()),
                        None => a.default.as_ref().map(|d| {
                            shell::process_word(d, &Pairs(&out), escape)
                                .map(|e| e.value)
                                .unwrap_or_else(|_| d.clone())
                        }),
                    };
                    out.retain(|(n, _)| n != &a.name);
                    if let Some(v) = value {
                        out.push((a.name.clone(), v));
                    }
                }
            }
        }
        out
    }

    fn meta_arg_lines(&self) -> FxHashMap<String, u32> {
        let mut m = FxHashMap::default();
        for &i in &self.df().meta_args {
            let ins = &self.df().instructions[i];
            if let Command::Arg { args } = &ins.command {
                for a in args {
                    m.insert(a.name.clone(), ins.span.line);
                }
            }
        }
        m
    }

    /// Resolves a stage reference (`FROM x`, `--from=x`) to a stage index before `current`.
    fn stage_ref(&self, name: &str, current: usize, allow_index: bool) -> Option<usize> {
        if cfg!(target_arch = "wasm32") {
            // The bundle keeps the plain search: a playground's Dockerfile has a few stages,
            // and the map below costs 1.6 KB of wasm.
            return stage_ref_by_search(&self.df().stages, name, current, allow_index);
        }
        // The first stage whose name is `name.to_ascii_lowercase()`, if it is before `current`.
        let names = self.memo.stage_names.get_or_init(|| {
            let mut m = FxHashMap::default();
            for (i, s) in self.df().stages.iter().enumerate() {
                if let Some(n) = &s.name {
                    m.entry(n.clone()).or_insert(i);
                }
            }
            m
        });
        let first = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            names.get(&name.to_ascii_lowercase())
        } else {
            names.get(name)
        };
        if let Some(&i) = first.filter(|&&i| i < current) {
            return Some(i);
        }
        if allow_index {
            if let Ok(n) = name.parse::<usize>() {
                if n < current {
                    return Some(n);
                }
            }
        }
        None
    }

    /// Each stage's FROM image with the global ARGs substituted, and the names it used
    /// (expanded once per build, for the stage graph and for the FROM step).
    fn bases(&self, meta: &[(String, String)]) -> Vec<(String, Vec<String>)> {
        let df = self.df();
        df.stages
            .iter()
            .map(|stage| match &df.instructions[stage.from].command {
                Command::From(f) => {
                    match shell::process_word(&f.image, &Pairs(meta), df.directives.escape) {
                        Ok(e) => (e.value, e.used.into_iter().collect()),
                        Err(_) => (f.image.clone(), Vec::new()),
                    }
                }
                _ => (String::new(), Vec::new()),
            })
            .collect()
    }

    /// Stages each stage depends on (FROM stage, COPY --from, RUN --mount from=).
    fn deps(&self, bases: &[(String, Vec<String>)]) -> Vec<Vec<usize>> {
        let df = self.df();
        let mut out = vec![Vec::new(); df.stages.len()];
        for (si, st) in df.stages.iter().enumerate() {
            let img = &bases[si].0;
            if let Some(d) = self.stage_ref(img, si, false) {
                out[si].push(d);
            }
            for &ci in &st.commands {
                let mut refs: Vec<&str> = Vec::new();
                match &df.instructions[ci].command {
                    Command::Copy(c) => refs.extend(c.from.as_deref()),
                    Command::Run(r) => {
                        refs.extend(r.mounts.iter().filter_map(|m| m.from.as_deref()))
                    }
                    _ => {}
                }
                for r in refs {
                    if let Some(d) = self.stage_ref(r, si, true) {
                        out[si].push(d);
                    }
                }
            }
        }
        out
    }

    /// The stages this builder builds, in build order.
    fn stage_order(&self, deps: &[Vec<usize>], target: usize) -> Vec<usize> {
        match self.builder {
            Builder::Classic => (0..=target).collect(),
            Builder::Buildkit => {
                let mut seen = vec![false; deps.len()];
                let mut order = Vec::new();
                // Iterative post-order DFS (no recursion: stage graphs can be deep).
                let mut stack = vec![(target, false)];
                while let Some((s, done)) = stack.pop() {
                    if done {
                        order.push(s);
                        continue;
                    }
                    if seen[s] {
                        continue;
                    }
                    seen[s] = true;
                    stack.push((s, true));
                    for &d in deps[s].iter().rev() {
                        if !seen[d] {
                            stack.push((d, false));
                        }
                    }
                }
                order
            }
        }
    }

    /// The first instruction this engine's Dockerfile frontend rejects at parse time.
    fn unsupported_syntax(&self) -> Option<Diagnostic> {
        let legacy = self.engine == Engine::Docker2010;
        let fail = |ins: &Instruction, msg: String| {
            Some(Diagnostic::error("unsupported-syntax", msg, ins.span))
        };
        // `# syntax=` pulls a current frontend that knows all of this.
        if self.df().directives.syntax.is_some() {
            return None;
        }
        for ins in &self.df().instructions {
            if let Command::Run(r) = &ins.command {
                if legacy {
                    if let Some(f) = ins
                        .flags
                        .iter()
                        .find(|f| f.name == "network" || f.name == "security")
                    {
                        return fail(
                            ins,
                            format!(
                                "unknown flag: {} — Docker 20.10's Dockerfile frontend only has it in the labs syntax",
                                f.name
                            ),
                        );
                    }
                }
                if let Some(m) = r.mounts.iter().find(|m| m.env.is_some()) {
                    return fail(
                        ins,
                        format!(
                            "unexpected key 'env' in '{}' — secret mounts as environment variables need a newer Dockerfile frontend (# syntax=docker/dockerfile:1)",
                            m.raw
                        ),
                    );
                }
            }
            let (heredoc, copy_flags) = match &ins.command {
                Command::Run(r) => (!r.heredocs.is_empty(), false),
                Command::Copy(c) => (!c.heredocs.is_empty(), true),
                _ => (false, false),
            };
            if heredoc && legacy {
                return fail(
                    ins,
                    "heredocs are not understood by Docker 20.10's Dockerfile frontend: the body lines are read as instructions (unknown instruction)".to_string(),
                );
            }
            if copy_flags {
                for f in &ins.flags {
                    let labs = matches!(f.name.as_str(), "exclude" | "parents");
                    let newer = matches!(f.name.as_str(), "link" | "checksum" | "keep-git-dir");
                    if labs || (legacy && newer) {
                        let why = if labs {
                            "it needs the labs syntax (# syntax=docker/dockerfile:1-labs), which the built-in frontend is not"
                        } else {
                            "Docker 20.10's Dockerfile frontend predates it"
                        };
                        return fail(ins, format!("unknown flag: {} — {why}", f.name));
                    }
                }
            }
        }
        None
    }

    /// BuildKit's and the classic builder's shared instruction parser: only ARG may come
    /// before the first FROM ("no build stage in current context"), and a Dockerfile needs a
    /// stage. Both fail the build before it starts.
    fn no_stage_error(&self) -> Option<Diagnostic> {
        let df = self.df();
        if let Some(ins) = df
            .instructions
            .iter()
            .enumerate()
            .find(|(i, ins)| ins.stage.is_none() && !df.meta_args.contains(i))
            .map(|(_, ins)| ins)
        {
            return Some(Diagnostic::error(
                "no-build-stage",
                format!(
                    "no build stage in current context: {} before the first FROM",
                    ins.keyword.to_ascii_uppercase()
                ),
                ins.span,
            ));
        }
        if df.stages.is_empty() {
            let span = df.instructions.last().map(|i| i.span).unwrap_or_default();
            return Some(Diagnostic::error(
                "no-build-stage",
                "the Dockerfile has no FROM, so there is no stage to build".to_string(),
                span,
            ));
        }
        None
    }

    fn new_step(&self, instr: usize, stage: usize, kind: Kind) -> Step {
        let ins = &self.df().instructions[instr];
        Step {
            instr,
            stage,
            line: ins.span.line,
            keyword: keyword_text(&ins.keyword),
            kind,
            fields_at: (0, 0),
            contents_at: (0, 0),
            parent: None,
            writes: Writes::None,
            key: Id::default(),
            hit: false,
            output: Id::default(),
            declared_identical: false,
            assumed_different: false,
            linked: false,
            trigger: false,
            lazy: false,
            notes: Vec::new(),
            error: None,
        }
    }

    /// Content of a stage's filesystem at an absolute path: a hash of the outputs of every
    /// step in its chain that may have written there.
    fn stage_content(&self, exec: &Exec, stage: usize, path: &str) -> Id {
        // A stage that was built is complete (stages only refer to earlier ones, and run
        // one after another): its content at a path is remembered.
        if !exec.built.get(stage).copied().unwrap_or(false) {
            return self.stage_content_uncached(exec, stage, path);
        }
        let mut memo = self.memo.stage_contents.borrow_mut();
        if memo.len() <= stage {
            memo.resize_with(stage + 1, Vec::new);
        }
        let known = &mut memo[stage];
        if let Some((_, id)) = known.iter().find(|(p, _)| p == path) {
            return *id;
        }
        let id = self.stage_content_uncached(exec, stage, path);
        known.push((path.to_string(), id));
        id
    }

    fn stage_content_uncached(&self, exec: &Exec, stage: usize, path: &str) -> Id {
        const STAGE_CONTENT: KeyHasher = KeyHasher::new("stage-content");
        let mut h = STAGE_CONTENT;
        h.str(path);
        if let Some(chain) = exec.chains.get(stage) {
            // What a base image holds at `path` counts only when no later step may have
            // written there: build outputs (`/out`, `/app/dist`) come from the stage's own
            // steps, so a rebuilt base with identical outputs keeps consumers cached
            // (recorded: base-rebuilt-builder-stage-only).
            let produced = chain.iter().any(|&si| {
                let s = &exec.steps[si];
                s.kind == Kind::Step && overlaps(&s.writes, path)
            });
            for &si in chain {
                let s = &exec.steps[si];
                if s.kind == Kind::From && produced {
                    continue;
                }
                if overlaps(&s.writes, path) {
                    h.id(s.output);
                }
            }
        }
        h.finish()
    }

    pub fn run(&self) -> Exec {
        let df = self.df();
        let n = df.instructions.len();
        let mut exec = Exec {
            steps: Vec::with_capacity(n),
            fields: Vec::with_capacity(4 * n),
            contents: Vec::with_capacity(n / 2 + 1),
            by_instr: vec![None; n],
            built: vec![false; df.stages.len()],
            chains: vec![Vec::new(); df.stages.len()],
            ..Default::default()
        };
        // Global ARGs: classic prints them as steps but never probes them; BuildKit has no
        // vertex. Either way they are not cache steps.
        for &i in &df.meta_args {
            let mut s = self.new_step(i, usize::MAX, Kind::Metadata);
            s.stage = usize::MAX;
            exec.by_instr[i] = Some(exec.steps.len());
            exec.steps.push(s);
        }
        let target = self.input.target_stage();
        exec.target = target;
        // Syntax this engine's frontend does not know, an instruction outside any stage, or no
        // stage at all: the frontend rejects the whole Dockerfile before any step runs.
        if let Some(e) = self.no_stage_error().or_else(|| self.unsupported_syntax()) {
            exec.errors.push(e);
            for (i, slot) in exec.by_instr.iter_mut().enumerate() {
                if slot.is_none() {
                    let stage = df.instructions[i].stage.unwrap_or(usize::MAX);
                    let mut st = self.new_step(i, stage, Kind::NotRun);
                    st.stage = stage;
                    *slot = Some(exec.steps.len());
                    exec.steps.push(st);
                }
            }
            return exec;
        }
        let Some(target) = target else {
            return exec;
        };
        let meta = self.meta_args();
        let meta_lines = self.meta_arg_lines();
        let bases = self.bases(&meta);
        let deps = self.deps(&bases);
        let order = self.stage_order(&deps, target);
        let mut states: Vec<Option<StageState>> = vec![None; df.stages.len()];
        let mut failed = false;
        for (nth, &si) in order.iter().enumerate() {
            self.records.before_stage(nth);
            let first = exec.steps.len();
            exec.built[si] = true;
            let st = self.run_stage(
                si,
                &bases[si],
                &meta,
                &meta_lines,
                &mut exec,
                &mut states,
                &mut failed,
            );
            states[si] = Some(st);
            if let Some(f) = self.on_stage {
                f(&exec.steps[first..]);
            }
        }
        resolve_lazy(&mut exec);
        // Everything not built is reported as not run.
        for (i, slot) in exec.by_instr.iter_mut().enumerate() {
            if slot.is_none() {
                let stage = df.instructions[i].stage.unwrap_or(usize::MAX);
                let mut s = self.new_step(i, stage, Kind::NotRun);
                s.stage = stage;
                *slot = Some(exec.steps.len());
                exec.steps.push(s);
            }
        }
        exec
    }

    /// Sets the step's key; returns the hash of its own inputs (keyword, fields, contents):
    /// the key adds the builder and the parent, and a deterministic step's output is a
    /// function of the inputs alone.
    fn finish_key(&self, step: &mut Step, draft: &Draft, exec: &Exec) -> Id {
        // The step's own inputs are hashed once: the key and a deterministic output share it.
        const STEP_INPUTS: KeyHasher = KeyHasher::new("step-inputs");
        const CLASSIC: KeyHasher = KeyHasher::new("classic");
        const BUILDKIT: KeyHasher = KeyHasher::new("buildkit");
        let mut h = STEP_INPUTS;
        h.str(&step.keyword);
        for f in &draft.fields {
            h.str(&f.name).str(&f.value);
        }
        for c in &draft.contents {
            h.id(c.digest);
        }
        let inputs = h.finish();
        let mut h = match self.builder {
            Builder::Classic => CLASSIC,
            Builder::Buildkit => BUILDKIT,
        };
        h.id(inputs);
        match step.parent {
            Some(p) => h.id(exec.steps[p].key),
            None => h.str("no-parent"),
        };
        step.key = h.finish();
        inputs
    }

    /// Output identity of a step that executes (misses).
    fn fresh_output(&self, step: &mut Step, inputs: Id) -> Id {
        if step.keyword == "RUN" {
            if self.input.side == Side::B {
                let declared = self.rerun_at(step.line);
                if declared == Some(RerunOutput::Identical) {
                    if let Some((prev, align)) = self.previous {
                        if let Some(Some(ai)) = align.get(step.instr) {
                            if let Some(a) = prev.step_of(*ai) {
                                step.declared_identical = true;
                                return a.output;
                            }
                        }
                    }
                }
                if declared.is_none() {
                    step.assumed_different = true;
                }
            }
            let side = match self.input.side {
                Side::A => "A",
                Side::B => "B",
            };
            const RUN_OUTPUT: KeyHasher = KeyHasher::new("run-output");
            let mut h = RUN_OUTPUT;
            return h.str(side).id(step.key).finish();
        }
        // COPY/ADD/WORKDIR write the same bytes whenever their own inputs are the same.
        const DETERMINISTIC: KeyHasher = KeyHasher::new("deterministic-output");
        let mut h = DETERMINISTIC;
        h.id(inputs).finish()
    }

    /// Settles a step before it is appended: its key, verdict and output, its place in the
    /// stage's chain, and its draft fields and content inputs moved to the build's arrays
    /// (the emptied buffers serve the next step). The caller appends the step itself, so
    /// that the step is moved once.
    fn settle_step(
        &self,
        step: &mut Step,
        draft: &mut Draft,
        exec: &mut Exec,
        st: &mut StageState,
        failed: &mut bool,
    ) {
        let idx = exec.steps.len();
        if *failed {
            step.kind = Kind::NotRun;
            draft.fields.clear();
            draft.contents.clear();
        } else if step.kind == Kind::Step || step.kind == Kind::From {
            let declared_fail =
                step.kind == Kind::Step && self.rerun_at(step.line) == Some(RerunOutput::Fails);
            let inputs = self.finish_key(step, draft, exec);
            if let Some(e) = &step.error {
                *failed = true;
                let ins = &self.df().instructions[step.instr];
                exec.errors
                    .push(Diagnostic::error("build-error", e.clone(), ins.span));
            }
            let known = self.records.get(step.key);
            match known {
                Some((out, lazy)) if step.error.is_none() => {
                    step.hit = true;
                    step.lazy = lazy;
                    step.output = out;
                }
                _ => {
                    step.hit = false;
                    step.output = if step.kind == Kind::From {
                        step.key
                    } else {
                        self.fresh_output(step, inputs)
                    };
                    if declared_fail && step.error.is_none() {
                        let msg = format!(
                            "the {} at line {} exits non-zero when it runs (as the scenario states), so the build fails",
                            step.keyword, step.line
                        );
                        step.error = Some(msg.clone());
                        *failed = true;
                        let ins = &self.df().instructions[step.instr];
                        exec.errors
                            .push(Diagnostic::error("build-error", msg, ins.span));
                    }
                }
            }
            if step.writes != Writes::None {
                st.chain.push(idx);
            }
            st.last = Some(idx);
        }
        if !step.trigger {
            exec.by_instr[step.instr] = Some(idx);
        }
        // Explanations pair A's and B's fields by name (explain::field_diffs).
        debug_assert!(
            draft
                .fields
                .iter()
                .enumerate()
                .all(|(i, f)| draft.fields[..i].iter().all(|g| g.name != f.name)),
            "a step's field names are distinct"
        );
        let at = |start: usize, len: usize| (start as u32, (start + len) as u32);
        step.fields_at = at(exec.fields.len(), draft.fields.len());
        step.contents_at = at(exec.contents.len(), draft.contents.len());
        exec.fields.append(&mut draft.fields);
        exec.contents.append(&mut draft.contents);
    }

    #[allow(clippy::too_many_arguments)]
    fn run_stage(
        &self,
        si: usize,
        (image, from_used): &(String, Vec<String>),
        meta: &[(String, String)],
        meta_lines: &FxHashMap<String, u32>,
        exec: &mut Exec,
        states: &mut [Option<StageState>],
        failed: &mut bool,
    ) -> StageState {
        let df = self.df();
        let stage = &df.stages[si];
        let mut st = StageState::new();
        let mut from = self.new_step(stage.from, si, Kind::From);
        let mut spare = self.spare.borrow_mut();
        let draft = &mut *spare;
        let base_origin = Origin {
            line: from_used.iter().find_map(|u| meta_lines.get(u).copied()),
            args: from_used
                .iter()
                .filter(|u| self.input.args.contains_key(*u))
                .cloned()
                .collect::<Vec<_>>()
                .into(),
            from_build_arg: false,
        };
        let parent_stage = self.stage_ref(image, si, false);
        if let Some(parent_stage) = parent_stage {
            if let Some(Some(pst)) = states.get(parent_stage) {
                st = pst.clone();
                if self.builder == Builder::Classic {
                    // Classic: each stage starts with no allowed build args (ResetAllowed).
                    st.args.clear();
                }
            }
            st.chain = exec.chains[parent_stage].clone();
            from.parent = st.last;
            draft.fields.push(Field {
                name: "stage".into(),
                value: parent_stage.to_string().into(),
                origin: base_origin,
            });
        } else if image.eq_ignore_ascii_case("scratch") {
            draft.fields.push(field("base", "scratch"));
        } else {
            let normalized = normalize_image(image);
            let digest = self.input.normalized_image_digest(&normalized);
            draft.fields.push(Field {
                name: "base".into(),
                value: cat!(normalized, "@", digest.short()).into(),
                origin: base_origin,
            });
            from.writes = Writes::All;
        }
        st.last = None;
        self.settle_step(&mut from, draft, exec, &mut st, failed);
        exec.steps.push(from);
        drop(spare);

        // ONBUILD triggers of a parent stage run first, as ordinary instructions (R14).
        if let Some(ps) = parent_stage {
            for &pc in &df.stages[ps].commands {
                if let Command::Onbuild { trigger } = &df.instructions[pc].command {
                    self.run_instruction(pc, trigger, si, meta, &mut st, exec, failed, true);
                }
            }
        }
        for &ci in &stage.commands {
            let ins = &df.instructions[ci];
            self.run_instruction(ci, ins, si, meta, &mut st, exec, failed, false);
        }
        exec.chains[si] = st.chain.clone();
        st
    }

    #[allow(clippy::too_many_arguments)]
    fn run_instruction(
        &self,
        ci: usize,
        ins: &Instruction,
        si: usize,
        meta: &[(String, String)],
        st: &mut StageState,
        exec: &mut Exec,
        failed: &mut bool,
        trigger: bool,
    ) {
        let classic = self.builder == Builder::Classic;
        // The classic builder's key fields; none after a failed step, which drops them
        // (the stage state still follows every instruction).
        let fields = classic && !*failed;
        let line = ins.span.line;
        let mut step = self.new_step(ci, si, if classic { Kind::Step } else { Kind::Metadata });
        let mut spare = self.spare.borrow_mut();
        let draft = &mut *spare;
        step.trigger = trigger;
        // For an ONBUILD trigger `ins` is the triggered instruction, not the ONBUILD line.
        if trigger {
            step.keyword = keyword_text(&ins.keyword);
        }
        step.line = line;
        step.parent = st.last;
        match &ins.command {
            // An earlier step failed: this one is filed as not run, its key inputs dropped.
            Command::Run(_) | Command::Copy(_) if *failed => {
                step.kind = Kind::Step;
                self.notes_only(ins, st, &mut step, si, meta);
            }
            Command::Run(r) => {
                step.kind = Kind::Step;
                self.run_fields(r, ins, st, &mut step, draft, exec, si, meta);
                step.writes = Writes::All;
            }
            Command::Copy(c) => {
                step.kind = Kind::Step;
                self.copy_fields(c, ins, st, &mut step, draft, exec, si, meta);
            }
            Command::Workdir { path } => {
                let (p, used) = self.expand(path, st, meta);
                let mut abs = self.memo.scratch.borrow_mut();
                abs_path_into(&st.cwd, &p, &mut abs);
                let cwd = abs.trim_end_matches('/');
                st.cwd = if cwd.is_empty() {
                    "/".into()
                } else {
                    cwd.into()
                };
                drop(abs);
                st.cwd_line = Some(line);
                let args = self.args_behind(&used, st);
                if fields {
                    draft.fields.push(Field {
                        name: "instruction".into(),
                        value: cat!("WORKDIR ", &*st.cwd).into(),
                        origin: Origin {
                            line: Some(line),
                            args,
                            from_build_arg: false,
                        },
                    });
                    step.writes = Writes::Path(Shared::clone(&st.cwd));
                } else if &*st.cwd != "/" {
                    step.kind = Kind::Step;
                    draft.fields.push(Field {
                        name: "path".into(),
                        value: Text::Shared(Shared::clone(&st.cwd)),
                        origin: Origin {
                            line: Some(line),
                            args,
                            from_build_arg: false,
                        },
                    });
                    step.writes = Writes::Path(Shared::clone(&st.cwd));
                }
            }
            Command::Env { pairs } => {
                // Classic: the instruction as its key field shows it, `ENV k=v k2=v2`.
                let mut text = String::new();
                for (i, kv) in pairs.iter().enumerate() {
                    let (v, used) = self.expand(&kv.value, st, meta);
                    let args = self.args_behind(&used, st);
                    if fields {
                        text.push_str(if i == 0 { "ENV " } else { " " });
                        text.push_str(&kv.key);
                        text.push('=');
                        text.push_str(&v);
                    }
                    st.env.set(
                        &kv.key,
                        v.into(),
                        Origin {
                            line: Some(line),
                            args,
                            from_build_arg: false,
                        },
                        &mut self.memo.scratch.borrow_mut(),
                    );
                }
                if fields {
                    let args = pairs
                        .iter()
                        .flat_map(|kv| {
                            let e = st.env.var(&kv.key).expect("set above");
                            e.origin.args.iter().cloned()
                        })
                        .collect::<Vec<_>>()
                        .into();
                    draft.fields.push(Field {
                        name: "instruction".into(),
                        value: if pairs.is_empty() {
                            "ENV ".into()
                        } else {
                            text.into()
                        },
                        origin: Origin {
                            line: Some(line),
                            args,
                            from_build_arg: false,
                        },
                    });
                }
            }
            Command::Arg { args } => {
                let meta_map: FxHashMap<&str, &str> =
                    meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let mut text = Vec::new();
                for a in args {
                    if fields {
                        text.push(match &a.default {
                            Some(d) => format!("{}={}", a.name, d),
                            None => a.name.clone(),
                        });
                    }
                    let (value, origin) = match self.input.args.get(&a.name) {
                        Some(v) => (
                            Some(v.as_str().into()),
                            Origin {
                                line: Some(line),
                                args: vec![a.name.clone()].into(),
                                from_build_arg: true,
                            },
                        ),
                        None => match &a.default {
                            Some(d) => {
                                let (v, used) = self.expand(d, st, meta);
                                let args = self.args_behind(&used, st);
                                (
                                    Some(Shared::<str>::from(v)),
                                    Origin {
                                        line: Some(line),
                                        args,
                                        from_build_arg: false,
                                    },
                                )
                            }
                            None => (
                                meta_map.get(a.name.as_str()).map(|&v| v.into()),
                                Origin {
                                    line: Some(line),
                                    args: Args::default(),
                                    from_build_arg: false,
                                },
                            ),
                        },
                    };
                    st.args.retain(|x| x.name != a.name);
                    if !classic {
                        if let Some(v) = &value {
                            st.env.set(
                                &a.name,
                                Shared::clone(v),
                                origin.clone(),
                                &mut self.memo.scratch.borrow_mut(),
                            );
                        }
                    }
                    st.args.push(ArgVar {
                        name: a.name.clone(),
                        field: cat!("arg:", a.name.as_str()).into(),
                        value,
                        origin,
                    });
                }
                if fields {
                    draft
                        .fields
                        .push(field("instruction", format!("ARG {}", text.join(" "))));
                }
            }
            Command::User { user } => {
                let (u, _) = self.expand(user, st, meta);
                st.user = (*u).into();
                st.user_line = Some(line);
                if fields {
                    draft.fields.push(field("instruction", format!("USER {u}")));
                }
            }
            Command::Shell { argv } => {
                st.shell = argv.join(" ").into();
                st.shell_line = Some(line);
                if fields {
                    draft
                        .fields
                        .push(field("instruction", format!("SHELL {}", argv.join(" "))));
                }
            }
            Command::Label { pairs } => {
                if fields {
                    // `LABEL k=v k2=v2`, built in one string.
                    let mut text = String::from("LABEL ");
                    let mut used_all = Vec::new();
                    for (i, kv) in pairs.iter().enumerate() {
                        let (k, u1) = self.expand(&kv.key, st, meta);
                        let (v, u2) = self.expand(&kv.value, st, meta);
                        used_all.extend(u1.iter().cloned());
                        used_all.extend(u2.iter().cloned());
                        if i > 0 {
                            text.push(' ');
                        }
                        text.push_str(&k);
                        text.push('=');
                        text.push_str(&v);
                    }
                    draft.fields.push(Field {
                        name: "instruction".into(),
                        value: text.into(),
                        origin: Origin {
                            line: Some(line),
                            args: self.args_behind(&used_all, st),
                            from_build_arg: false,
                        },
                    });
                }
            }
            Command::Expose { ports } | Command::Volume { paths: ports } => {
                if fields {
                    let mut parts = Vec::new();
                    let mut used_all = Vec::new();
                    for p in ports {
                        let (v, u) = self.expand(p, st, meta);
                        used_all.extend(u.iter().cloned());
                        parts.push(v);
                    }
                    draft.fields.push(Field {
                        name: "instruction".into(),
                        value: format!("{} {}", ins.keyword, join(&parts)).into(),
                        origin: Origin {
                            line: Some(line),
                            args: self.args_behind(&used_all, st),
                            from_build_arg: false,
                        },
                    });
                }
            }
            Command::Stopsignal { signal } => {
                if fields {
                    let (v, _) = self.expand(signal, st, meta);
                    draft
                        .fields
                        .push(field("instruction", format!("STOPSIGNAL {v}")));
                }
            }
            Command::Invalid { .. } => {
                // The parse diagnostic already explains it; the real build would stop here.
                step.kind = Kind::NotRun;
            }
            _ => {
                // CMD, ENTRYPOINT, HEALTHCHECK, MAINTAINER, ONBUILD: config only, not expanded.
                if fields {
                    draft.fields.push(field("instruction", ins.text.clone()));
                }
            }
        }
        if step.kind == Kind::Metadata {
            step.parent = None;
        }
        self.settle_step(&mut step, draft, exec, st, failed);
        exec.steps.push(step);
    }

    #[allow(clippy::too_many_arguments)]
    fn run_fields(
        &self,
        r: &RunCmd,
        ins: &Instruction,
        st: &StageState,
        step: &mut Step,
        draft: &mut Draft,
        exec: &Exec,
        si: usize,
        meta: &[(String, String)],
    ) {
        let classic = self.builder == Builder::Classic;
        let mut cmd = command_text(&r.command);
        for h in &r.heredocs {
            cmd.push('\n');
            cmd.push_str(&h.content);
        }
        draft.fields.push(Field {
            name: "command".into(),
            value: cmd.into(),
            origin: Origin {
                line: Some(ins.span.line),
                ..Default::default()
            },
        });
        if matches!(r.command, CommandLine::Shell(_)) {
            draft.fields.push(Field {
                name: "shell".into(),
                value: Text::Shared(Shared::clone(&st.shell)),
                origin: Origin {
                    line: st.shell_line,
                    ..Default::default()
                },
            });
        }
        if classic {
            for f in &ins.flags {
                if matches!(f.name.as_str(), "mount" | "network" | "security") {
                    step.error = Some(format!("the --{} option requires BuildKit", f.name));
                    break;
                }
            }
            // Declared args with a value prefix the probe command (`|N k=v ...`), unless ENV
            // sets the same name.
            // (Names in scope are distinct: an ARG replaces an earlier one of its name.)
            let mut pairs: Vec<(&ArgVar, &Shared<str>)> = st
                .args
                .iter()
                .filter_map(|a| a.value.as_ref().map(|v| (a, v)))
                .filter(|(a, _)| st.env.get(&a.name).is_none())
                .collect();
            if pairs.len() > 1 {
                crate::order::sort_unstable_by(&mut pairs, |x, y| x.0.name.cmp(&y.0.name));
            }
            for (a, v) in pairs {
                draft.fields.push(Field {
                    name: Text::Shared(Shared::clone(&a.field)),
                    value: Text::Shared(Shared::clone(v)),
                    origin: a.origin.clone(),
                });
            }
            let proxy_passed = PROXY_ARGS
                .iter()
                .any(|p| self.input.args.contains_key(*p) && !st.args.iter().any(|a| a.name == *p));
            if proxy_passed {
                draft.fields.push(field("proxy-args-passed", "yes"));
            }
            // The config's environment is compared as part of the parent chain (ENV steps).
        } else {
            draft.fields.reserve(st.env.vars.len() + 3 + r.mounts.len());
            for e in &st.env.vars {
                draft.fields.push(Field {
                    name: Text::Shared(Shared::clone(&e.field)),
                    value: Text::Shared(Shared::clone(&e.value)),
                    origin: e.origin.clone(),
                });
            }
            draft.fields.push(Field {
                name: "workdir".into(),
                value: Text::Shared(Shared::clone(&st.cwd)),
                origin: Origin {
                    line: st.cwd_line,
                    ..Default::default()
                },
            });
            if !st.user.is_empty() {
                draft.fields.push(Field {
                    name: "user".into(),
                    value: Text::Shared(Shared::clone(&st.user)),
                    origin: Origin {
                        line: st.user_line,
                        ..Default::default()
                    },
                });
            }
            // The RUN's network mode: its own flag, else the build's --network.
            if let Some(n) = r.network.as_ref().or(self.network.as_ref()) {
                if n != "default" {
                    draft.fields.push(field("network", n.clone()));
                }
            }
            if let Some(s) = &r.security {
                draft.fields.push(field("security", s.clone()));
            }
            for (i, m) in r.mounts.iter().enumerate() {
                // Target, source, id and from are expanded (mostly plain words: borrowed).
                let expanded = Expanded {
                    target: m.target.as_deref().map(|x| self.expand(x, st, meta).0),
                    source: m.source.as_deref().map(|x| self.expand(x, st, meta).0),
                    id: m.id.as_deref().map(|x| self.expand(x, st, meta).0),
                    from: m.from.as_deref().map(|x| self.expand(x, st, meta).0),
                };
                const NAMES: [&str; 4] = ["mount[0]", "mount[1]", "mount[2]", "mount[3]"];
                let name: Text = match NAMES.get(i) {
                    Some(&n) => n.into(),
                    None => format!("mount[{i}]").into(),
                };
                draft.fields.push(field(
                    name,
                    mount_description(m, &expanded, self.engine == Engine::Docker2010),
                ));
                if m.kind == "bind" {
                    let src = expanded.source.as_deref().unwrap_or("/");
                    let c = self.source_content(
                        src,
                        expanded.from.as_deref(),
                        &[],
                        exec,
                        &mut step.notes,
                        si,
                        ins.span.line,
                    );
                    match c {
                        Ok(c) => draft.contents.push(c),
                        Err(e) => step.error = Some(e),
                    }
                }
                if m.kind == "secret" {
                    if let Some(id) = &expanded.id {
                        let required = m.required.unwrap_or(false);
                        if required && !self.input.secrets.contains_key(&**id) {
                            step.error = Some(format!("secret {id} is required but not provided"));
                        }
                    }
                }
            }
        }
    }

    /// `--from=<f>` that names an image, not a stage, but looks like a stage's name
    /// (`builder:latest`): the note it gets, and the stage name it resembles.
    fn image_ref_note(&self, f: &str) -> Option<((&'static str, String), String)> {
        let repo = f.rsplit('/').next().unwrap_or(f);
        let repo = repo
            .split([':', '@'])
            .next()
            .unwrap_or(repo)
            .to_ascii_lowercase();
        let stage_named = self
            .df()
            .stages
            .iter()
            .any(|s| s.name.as_deref() == Some(repo.as_str()));
        (f != repo && stage_named).then(|| {
            let msg = format!("--from={f} names an image, not the stage {repo}: a stage is referenced by its bare name (--from={repo}); this pulls {f} from a registry");
            (("from-is-image", msg), repo)
        })
    }

    /// The notes [`Executor::run_fields`] / [`Executor::copy_fields`] would leave on a step
    /// that does not run because an earlier one failed: its key inputs are dropped unseen,
    /// only the notes reach the report.
    fn notes_only(
        &self,
        ins: &Instruction,
        st: &StageState,
        step: &mut Step,
        si: usize,
        meta: &[(String, String)],
    ) {
        // Only an image reference (not a stage) gets a note: see `source_content`.
        let note_for = |f: &str| {
            self.stage_ref(f, si, true)
                .is_none()
                .then(|| self.image_ref_note(f))
                .flatten()
                .map(|(n, _)| n)
        };
        match &ins.command {
            Command::Run(r) if self.builder == Builder::Buildkit => {
                for m in r.mounts.iter().filter(|m| m.kind == "bind") {
                    let from = m.from.as_deref().map(|x| self.expand(x, st, meta).0);
                    if let Some(n) = from.as_deref().and_then(note_for) {
                        step.notes.push(n);
                    }
                }
            }
            Command::Copy(c) => {
                let Some(n) = c.from.as_deref().and_then(note_for) else {
                    return;
                };
                for s in &c.sources {
                    if c.is_add {
                        let (s, _) = self.expand(s, st, meta);
                        if is_url(&s) {
                            continue;
                        }
                    }
                    step.notes.push(n.clone());
                }
            }
            _ => {}
        }
    }

    /// The content-based key input for a COPY source / bind mount.
    #[allow(clippy::too_many_arguments)]
    fn source_content(
        &self,
        src: &str,
        from: Option<&str>,
        excludes: &[String],
        exec: &Exec,
        notes: &mut Vec<(&'static str, String)>,
        si: usize,
        line: u32,
    ) -> Result<ContentInput, String> {
        match from {
            None => {
                let digest = self.input.context.digest(src, excludes)?;
                let source: Shared<str> = src.into();
                let label = if context::clean_cow(src).is_empty() {
                    Text::Static(". (the whole context)")
                } else {
                    Text::Shared(Shared::clone(&source))
                };
                Ok(ContentInput {
                    label,
                    digest,
                    context_source: Some((source, excludes.to_vec())),
                    stage_path: None,
                    stage_last: None,
                })
            }
            Some(f) => {
                let path = cat!(
                    "/",
                    &*context::clean_cow(src.split(['*', '?', '[']).next().unwrap_or(src))
                );
                if let Some(stage) = self.stage_ref(f, si, true) {
                    let label = match self.df().stages[stage].name.as_deref() {
                        Some(name) => cat!("stage ", name, ":", path.as_str()),
                        None => cat!("stage ", stage, ":", path.as_str()),
                    };
                    Ok(ContentInput {
                        label: label.into(),
                        digest: self.stage_content(exec, stage, &path),
                        context_source: None,
                        stage_path: Some((stage, path)),
                        stage_last: exec.chains.get(stage).and_then(|c| c.last().copied()),
                    })
                } else {
                    // `name:tag` and `repo/name` are always image references, even when a
                    // stage of that name exists (stage names cannot contain ':' or '/').
                    if let Some((note, repo)) = self.image_ref_note(f) {
                        notes.push(note);
                        // Recorded on every engine: `stage:tag` names an official-library
                        // image that does not exist, and the pull fails.
                        if !f.contains('/') {
                            return Err(format!(
                            "pulling image {f} fails when no such image was pushed (every recorded engine failed here); to copy from the stage, write --from={repo}"
                        ));
                        }
                    }
                    // A rebuilt image may hold identical files at the copied path; the
                    // scenario says so with rerun_output on this line.
                    let identical = self.input.side == Side::B
                        && self.rerun_at(line) == Some(RerunOutput::Identical);
                    let digest_of = if identical {
                        self.input.image_digest_before(f)
                    } else {
                        self.input.image_digest(f)
                    };
                    Ok(ContentInput {
                        label: format!("image {f}:{path}").into(),
                        digest: KeyHasher::new("image-content")
                            .id(digest_of)
                            .str(&path)
                            .finish(),
                        context_source: None,
                        stage_path: None,
                        stage_last: None,
                    })
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn copy_fields(
        &self,
        c: &CopyCmd,
        ins: &Instruction,
        st: &StageState,
        step: &mut Step,
        draft: &mut Draft,
        exec: &Exec,
        si: usize,
        meta: &[(String, String)],
    ) {
        let classic = self.builder == Builder::Classic;
        let line = ins.span.line;
        let (dest, dest_used) = self.expand(&c.dest, st, meta);
        let mut used_all = dest_used.to_vec();
        let mut sources = Vec::new();
        for s in &c.sources {
            let (v, u) = self.expand(s, st, meta);
            used_all.extend(u.iter().cloned());
            sources.push(v);
        }
        let origin = Origin {
            line: Some(line),
            args: self.args_behind(&used_all, st),
            from_build_arg: false,
        };
        let abs_dest: Shared<str> = {
            let mut abs = self.memo.scratch.borrow_mut();
            abs_path_into(&st.cwd, &dest, &mut abs);
            abs.as_str().into()
        };
        draft.fields.push(Field {
            name: "sources".into(),
            value: match &sources[..] {
                [one] => Text::Owned(String::from(&**one)),
                more => Text::Owned(join(more)),
            },
            origin: origin.clone(),
        });
        draft.fields.push(Field {
            name: "dest".into(),
            value: if classic {
                dest.into()
            } else {
                Text::Shared(Shared::clone(&abs_dest))
            },
            origin,
        });
        if let Some(ch) = &c.chown {
            draft
                .fields
                .push(field("chown", self.expand(ch, st, meta).0));
        }
        if classic {
            if c.chmod.is_some() {
                step.error = Some("the --chmod option requires BuildKit".into());
            }
        } else {
            if let Some(m) = &c.chmod {
                draft
                    .fields
                    .push(field("chmod", self.expand(m, st, meta).0));
            }
            if !c.exclude.is_empty() {
                draft.fields.push(field("exclude", c.exclude.join(",")));
            }
            if c.parents {
                draft.fields.push(field("parents", "true"));
            }
            if c.link && c.chmod.is_none() {
                // The copy itself does not depend on earlier layers, but it is merged onto
                // them: when they change, the merge re-runs and the step reports as
                // executed on every recorded engine (copy-link-earlier-change*).
                step.linked = self.link_independent;
            }
        }
        if c.is_add {
            if let Some(u) = c.unpack {
                draft.fields.push(field("unpack", u.to_string()));
            }
            if let Some(x) = &c.checksum {
                draft.fields.push(field("checksum", x.clone()));
            }
        }
        let excludes: &[String] = if classic { &[] } else { &c.exclude };
        for s in &sources {
            if c.is_add && is_url(s) {
                draft.contents.push(ContentInput {
                    label: s.clone().into(),
                    digest: KeyHasher::new("url").str(s).finish(),
                    context_source: None,
                    stage_path: None,
                    stage_last: None,
                });
                continue;
            }
            match self.source_content(
                s,
                c.from.as_deref(),
                excludes,
                exec,
                &mut step.notes,
                si,
                line,
            ) {
                Ok(ci) => draft.contents.push(ci),
                Err(e) => {
                    step.error.get_or_insert(e);
                }
            }
        }
        for h in &c.heredocs {
            // `<<-` strips leading tabs before the data is used (BuildKit SourceContents).
            let data = crate::parser::copy_source_data(h);
            let text = if h.expand {
                self.expand(&data, st, meta).0.into_owned()
            } else {
                data
            };
            draft.contents.push(ContentInput {
                label: format!("heredoc {}", h.name).into(),
                digest: KeyHasher::new("heredoc").str(&h.name).str(&text).finish(),
                context_source: None,
                stage_path: None,
                stage_last: None,
            });
        }
        step.writes = Writes::Path(abs_dest);
    }
}

/// Key-only cache hits whose result something that executes needs must execute too, and so
/// must what they build on. Walks consumers before producers (steps are in build order).
fn resolve_lazy(exec: &mut Exec) {
    let n = exec.steps.len();
    let mut needed = vec![false; n];
    for i in (0..n).rev() {
        let s = &exec.steps[i];
        let runs = matches!(s.kind, Kind::Step) && (!s.hit || (s.lazy && needed[i]));
        if !runs {
            continue;
        }
        if let Some(p) = s.parent {
            needed[p] = true;
        }
        for c in exec.contents_of(s) {
            if let Some(l) = c.stage_last {
                needed[l] = true;
            }
        }
    }
    for (i, s) in exec.steps.iter_mut().enumerate() {
        if s.lazy && needed[i] {
            s.hit = false;
        }
    }
}

/// [`Executor::stage_ref`] by a search of the stages before `current` (the wasm build's
/// version, and the reference its map is tested against).
fn stage_ref_by_search(
    stages: &[crate::ast::Stage],
    name: &str,
    current: usize,
    allow_index: bool,
) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    stages[..current.min(stages.len())]
        .iter()
        .position(|s| s.name.as_deref() == Some(lower.as_str()))
        .or_else(|| {
            name.parse::<usize>()
                .ok()
                .filter(|&n| allow_index && n < current)
        })
}

/// Whether an ADD source is a URL (fetched, never read from the build context).
pub(crate) fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executor_test<R>(dockerfile: &str, f: impl FnOnce(&Executor) -> R) -> R {
        let scenario = crate::scenario::Scenario {
            dockerfile: dockerfile.into(),
            ..Default::default()
        };
        let input = BuildInput::a(&scenario);
        let records = Records::default();
        let rerun = Map::new();
        let ex = Executor {
            input: &input,
            builder: Builder::Buildkit,
            engine: Engine::Modern,
            network: None,
            records: &records,
            on_stage: None,
            link_independent: false,
            previous: None,
            rerun: &rerun,
            spare: Default::default(),
            memo: Default::default(),
        };
        f(&ex)
    }

    #[test]
    fn remembered_expansions_equal_process_word() {
        // Words expanded again and again while the variables they read change (set, unset,
        // from ENV or from ARG): the memo must give what process_word gives every time.
        let words = [
            "value-$VERSION",
            "${A}/${B}",
            "$A$A",
            "${A:-dflt}",
            "${B:+alt}",
            "'q'$A",
            "\"$B\"",
            "$UNSET-x",
        ];
        executor_test("FROM scratch\n", |ex| {
            let mut st = StageState::new();
            let mut seed = 0x9e37_79b9u64;
            for round in 0..400 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let pick = (seed >> 33) % 6;
                let origin = Origin::default();
                match pick {
                    0 => st.env.set(
                        "VERSION",
                        format!("{}", round % 3).into(),
                        origin,
                        &mut String::new(),
                    ),
                    1 => st.env.set(
                        "A",
                        ["", "a", "aa"][round % 3].into(),
                        origin,
                        &mut String::new(),
                    ),
                    2 => st.args.push(ArgVar {
                        name: "B".into(),
                        field: "arg:B".into(),
                        value: Some(format!("b{}", round % 2).into()),
                        origin,
                    }),
                    3 => st.args.retain(|a| a.name != "B"),
                    4 => st.env.vars.retain(|e| e.name() != "A"),
                    _ => {}
                }
                for w in words {
                    let (got, used) = ex.expand(w, &st, &[]);
                    let want = shell::process_word(w, &Lookup(&st), '\\').unwrap();
                    assert_eq!(&*got, want.value, "{w} round {round}");
                    let want_used: Vec<String> = want.used.into_iter().collect();
                    assert_eq!(&*used, &want_used[..], "{w} round {round}");
                }
            }
        });
    }

    #[test]
    fn stage_ref_finds_the_first_earlier_stage_of_the_lowercased_name() {
        let df = "FROM scratch AS a\nFROM scratch AS b\nFROM scratch AS a\nFROM scratch AS c1\nFROM scratch\n";
        executor_test(df, |ex| {
            // The linear search stage_ref replaced (the wasm build still uses it).
            let reference = |name: &str, current: usize, allow_index: bool| {
                stage_ref_by_search(&ex.df().stages, name, current, allow_index)
            };
            for name in ["a", "A", "b", "B", "c1", "C1", "d", "0", "2", "4", "", "é"] {
                for current in 0..7 {
                    for allow in [false, true] {
                        assert_eq!(
                            ex.stage_ref(name, current, allow),
                            reference(name, current, allow),
                            "{name} {current} {allow}"
                        );
                    }
                }
            }
        });
    }

    #[test]
    fn remembered_stage_contents_equal_the_computed_ones() {
        let df = "FROM scratch AS a\nWORKDIR /src\nCOPY x /src/x\nRUN echo > /out/y\n\
                  FROM a AS b\nRUN echo > /src/z\nFROM scratch\nCOPY --from=b /src /s\nCOPY --from=a /out /o\n";
        executor_test(df, |ex| {
            let exec = ex.run();
            for stage in 0..3 {
                for path in ["/", "/src", "/src/x", "/out", "/out/y", "/other", "/src/z"] {
                    for _ in 0..2 {
                        assert_eq!(
                            ex.stage_content(&exec, stage, path),
                            ex.stage_content_uncached(&exec, stage, path),
                            "{stage} {path}"
                        );
                    }
                }
            }
        });
    }

    #[test]
    fn abs_path_matches_clean_of_the_joined_path() {
        // The straightforward form abs_path replaced.
        let reference = |cwd: &str, p: &str| {
            let joined = if p.starts_with('/') {
                p.to_string()
            } else {
                format!("{cwd}/{p}")
            };
            let c = format!("/{}", context::clean(&joined));
            if p.ends_with('/') && p.len() > 1 && c != "/" {
                format!("{c}/")
            } else {
                c
            }
        };
        let cwds = [
            "/", "", "/src/s0", "/src/", "src", "/a/../..", "/a/./b/", "//x//y", "/a/..",
        ];
        let paths = [
            "",
            ".",
            "./",
            "/",
            "//",
            "..",
            "../",
            "a",
            "a/",
            "./pkg1/",
            "/abs/x",
            "../../up",
            "a/../b/./c//",
            "/..",
            "x/..",
            "x/../",
            "a/b/c.txt",
            "a/b/",
            ".hidden/x",
            "...",
            "./a/b/",
            "././a",
            ".//a",
            "./",
            "/abs/y/",
            "/abs//y",
            "/./abs",
        ];
        for cwd in cwds {
            for p in paths {
                assert_eq!(abs_path(cwd, p), reference(cwd, p), "{cwd:?} {p:?}");
            }
        }
    }
}
