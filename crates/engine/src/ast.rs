//! The Dockerfile syntax tree, in two layers, mirroring BuildKit:
//!
//! 1. [`Node`]: what BuildKit's `parser.Parse` produces — one node per instruction with the
//!    keyword, raw flags, argument strings (continuations removed, JSON decoded) and heredocs.
//!    Its [`crate::dump`] equals BuildKit's `AST.Dump()` (checked against the conformance data).
//! 2. [`Instruction`] / [`Command`]: what BuildKit's `instructions.Parse` produces — typed
//!    commands with parsed flags, grouped into [`Stage`]s. Values are kept *unexpanded*:
//!    variable expansion happens later, per build, because it depends on build args.
//!
//! Invariant: parsing never fails. The parser always returns a [`Dockerfile`]; problems are
//! [`Diagnostic`]s in it, and an instruction that could not be understood is kept as
//! [`Command::Invalid`] so later stages can still point at it.

use crate::syntax::{Diagnostic, Span};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Parser directives (`# syntax=`, `# escape=`, `# check=`) found at the top of the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directives {
    pub syntax: Option<String>,
    /// The escape character: `\` (default) or `` ` ``.
    pub escape: char,
    pub check: Option<String>,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            syntax: None,
            escape: '\\',
            check: None,
        }
    }
}

/// A heredoc attached to a RUN/COPY/ADD node, as BuildKit's parser stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heredoc {
    pub name: String,
    /// Raw body: every line ending in `\n`, terminator line excluded, tabs *not* stripped.
    pub content: String,
    /// False when any part of the delimiter word was quoted (`<<'EOF'`).
    pub expand: bool,
    /// True for `<<-`: leading tabs are stripped when the content is used.
    pub chomp: bool,
    /// The number written before `<<` (`3<<EOF`), else 0.
    pub file_descriptor: u32,
    pub span: Span,
}

/// One raw instruction node (BuildKit `parser.Node`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Lower-case keyword as written (`run`, `from`, or an unknown word). Borrowed (no
    /// allocation) for the known keywords.
    pub keyword: Cow<'static, str>,
    /// Raw flags in source order, e.g. `--from=builder` (the `--` end marker is consumed).
    pub flags: Vec<String>,
    /// Argument strings (see the conformance README for what each form holds).
    pub args: Vec<String>,
    /// True when the arguments came from a JSON array (exec form).
    pub json: bool,
    pub heredocs: Vec<Heredoc>,
    /// For `ONBUILD`: the trigger instruction.
    pub inner: Option<Box<Node>>,
    /// The instruction's full source text, continuations included (heredoc bodies excluded).
    pub original: String,
    /// Covers the instruction from its keyword to its last line, heredoc bodies included.
    pub span: Span,
}

/// A `--name[=value]` flag of a typed instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

/// Shell form (one string, run through the stage's SHELL) or exec form (argv).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", content = "value", rename_all = "lowercase")]
pub enum CommandLine {
    Shell(String),
    Exec(Vec<String>),
}

/// `key=value` pair from ENV / LABEL (raw, unexpanded, quotes still in place), or one ARG.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgDecl {
    pub name: String,
    /// The default written in the Dockerfile (raw, unexpanded), if any.
    pub default: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FromCmd {
    /// Base image or stage name, raw (may contain `$VARS` from global ARGs).
    pub image: String,
    /// `AS name`, lower-cased as BuildKit does.
    pub name: Option<String>,
    pub platform: Option<String>,
}

/// One `RUN --mount=...` (BuildKit only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// `bind` (default), `cache`, `tmpfs`, `secret`, `ssh`.
    pub kind: String,
    pub target: Option<String>,
    pub source: Option<String>,
    pub from: Option<String>,
    /// `id=` (secret, ssh, cache).
    pub id: Option<String>,
    /// `env=` (secret as environment variable).
    pub env: Option<String>,
    pub readwrite: bool,
    pub sharing: Option<String>,
    pub required: Option<bool>,
    pub mode: Option<String>,
    pub uid: Option<String>,
    pub gid: Option<String>,
    pub size: Option<String>,
    /// Every `key=value` exactly as written, for keys and for display.
    pub raw: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCmd {
    pub command: CommandLine,
    pub heredocs: Vec<Heredoc>,
    pub mounts: Vec<Mount>,
    pub network: Option<String>,
    pub security: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyCmd {
    /// True for ADD.
    pub is_add: bool,
    /// Source paths/URLs/globs, raw. Heredoc sources are in `heredocs`, not here.
    pub sources: Vec<String>,
    pub dest: String,
    pub heredocs: Vec<Heredoc>,
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub exclude: Vec<String>,
    /// ADD only.
    pub checksum: Option<String>,
    pub keep_git_dir: Option<bool>,
    pub unpack: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthcheckCmd {
    /// `None` for `HEALTHCHECK NONE`.
    pub command: Option<CommandLine>,
    pub flags: Vec<Flag>,
}

/// A typed instruction (BuildKit `instructions.*Command`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Command {
    From(FromCmd),
    Run(RunCmd),
    Copy(CopyCmd),
    Env {
        pairs: Vec<KeyValue>,
    },
    Arg {
        args: Vec<ArgDecl>,
    },
    Label {
        pairs: Vec<KeyValue>,
    },
    Workdir {
        path: String,
    },
    User {
        user: String,
    },
    Shell {
        argv: Vec<String>,
    },
    Cmd {
        command: CommandLine,
    },
    Entrypoint {
        command: CommandLine,
    },
    Expose {
        ports: Vec<String>,
    },
    Volume {
        paths: Vec<String>,
    },
    Healthcheck(HealthcheckCmd),
    Stopsignal {
        signal: String,
    },
    Maintainer {
        name: String,
    },
    Onbuild {
        trigger: Box<Instruction>,
    },
    /// An instruction that could not be understood (unknown keyword, bad flags, ...). The
    /// matching diagnostic is in [`Dockerfile::diagnostics`].
    Invalid {
        keyword: String,
    },
}

/// One typed instruction with its position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instruction {
    /// Upper-case keyword (`RUN`, `COPY`, ...), or the word as written for unknown ones.
    /// Borrowed (no allocation) for the known keywords.
    pub keyword: Cow<'static, str>,
    pub command: Command,
    /// Every flag as written (also the ones the typed command interpreted).
    pub flags: Vec<Flag>,
    /// Source text of the instruction (continuations included, heredoc bodies excluded).
    pub text: String,
    pub span: Span,
    /// Index of the stage this instruction belongs to; `None` for global ARGs before the first FROM.
    pub stage: Option<usize>,
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub index: usize,
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    /// Index of the FROM instruction in [`Dockerfile::instructions`].
    pub from: usize,
    /// Indices into [`Dockerfile::instructions`] of the stage's instructions after FROM.
    pub commands: Vec<usize>,
}

/// The whole parsed file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dockerfile {
    pub directives: Directives,
    /// Raw nodes, one per instruction, in source order.
    pub nodes: Vec<Node>,
    /// Typed instructions, one per node, same order and count as `nodes`.
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// Indices of global ARG instructions (before the first FROM).
    pub meta_args: Vec<usize>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Dockerfile {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::syntax::Severity::Error)
    }
}

impl Instruction {
    /// True when the instruction could not be understood (see the diagnostics).
    pub fn command_is_invalid(&self) -> bool {
        matches!(self.command, Command::Invalid { .. })
    }
}
