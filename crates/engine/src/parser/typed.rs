//! Raw node → typed [`Command`], following BuildKit's `instructions` package
//! (`parse.go`, `bflag.go`, `commands_runmount.go`, ...): per-instruction flag sets with
//! BuildKit's flag rules and messages, argument count checks, stage names, mounts.
//!
//! Values are never expanded here. Checks that BuildKit runs on expanded values (mount
//! options) are run on the raw value unless it contains a `$`.

use super::heredoc::{chomp_heredoc_content, parse_heredoc_word};
use super::node::{Kw, Parsed};
use super::source::Source;
use super::suggest;
use crate::ast::{
    ArgDecl, Command, CommandLine, CopyCmd, Flag, FromCmd, HealthcheckCmd, Heredoc, Instruction,
    KeyValue, Mount, RunCmd,
};
use crate::dump::go_quote;
use crate::syntax::{Diagnostic, Span};
use std::borrow::Cow;

/// Every instruction BuildKit knows, upper case (suggestion candidates, in a fixed order).
pub(crate) const INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Where an instruction sits in the source, for diagnostics.
pub(crate) struct Ctx<'s, 'a> {
    pub src: &'s Source<'a>,
    /// Byte range of the instruction text (keyword to last continuation line).
    pub text_start: usize,
    pub text_end: usize,
    pub span: Span,
    pub diags: &'s mut Vec<Diagnostic>,
    /// ONBUILD triggers are only checked when a child image builds: report as warnings.
    pub as_warning: bool,
    /// The last `--mount` value parsed in this file, parsed (a file tends to repeat its
    /// mounts; [`parse_mount`] is a function of the value alone).
    pub last_mount: &'s mut Option<Mount>,
}

impl Ctx<'_, '_> {
    fn text(&self) -> &str {
        self.src
            .text
            .get(self.text_start..self.text_end)
            .unwrap_or_default()
    }

    /// The span of the first (or last) occurrence of `needle` in the instruction text.
    fn locate(&self, needle: &str, last: bool) -> Span {
        if needle.is_empty() {
            return self.span;
        }
        let t = self.text();
        let found = if last {
            t.rfind(needle)
        } else {
            t.find(needle)
        };
        match found {
            Some(i) => {
                let s = self.text_start + i;
                self.src.span(s, s + needle.len())
            }
            None => self.span,
        }
    }

    fn report(&mut self, f: Fail) {
        let span = match &f.at {
            Some(At::First(n)) => self.locate(n, false),
            Some(At::Last(n)) => self.locate(n, true),
            Some(At::Span(s)) => *s,
            None => self.span,
        };
        let d = if self.as_warning {
            Diagnostic::warning(f.code, format!("ONBUILD trigger: {}", f.msg), span)
        } else {
            Diagnostic::error(f.code, f.msg, span)
        };
        self.diags.push(d);
    }
}

enum At {
    First(String),
    Last(String),
    Span(Span),
}

pub(crate) struct Fail {
    code: &'static str,
    msg: String,
    at: Option<At>,
}

fn fail(code: &'static str, msg: impl Into<String>) -> Fail {
    Fail {
        code,
        msg: msg.into(),
        at: None,
    }
}

impl Fail {
    fn at_first(mut self, needle: &str) -> Self {
        self.at = Some(At::First(needle.to_string()));
        self
    }
    fn at_last(mut self, needle: &str) -> Self {
        self.at = Some(At::Last(needle.to_string()));
        self
    }
}

type R<T> = Result<T, Fail>;

fn at_least_one(cmd: &str) -> Fail {
    fail(
        "invalid-arguments",
        format!("{cmd} requires at least one argument"),
    )
}
fn exactly_one(cmd: &str) -> Fail {
    fail(
        "invalid-arguments",
        format!("{cmd} requires exactly one argument"),
    )
}

// ---------------------------------------------------------------------------------------
// Flags (BuildKit BFlags)

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Str,
    Strs,
}

/// A flag's value, borrowed from the raw flag text. A repeatable flag's values are read
/// from the raw flags again when asked for ([`Flags::strs`]): no vector per flag.
enum Val<'a> {
    Bool(bool),
    Str(&'a str),
    Strs,
}

/// Most flags any instruction has (ADD).
const MAX_FLAGS: usize = 7;

struct Flags<'a> {
    specs: &'static [(&'static str, Kind)],
    raw: &'a [String],
    vals: [Option<Val<'a>>; MAX_FLAGS],
}

impl<'a> Flags<'a> {
    /// Flags of `raw` under `specs` (BuildKit `BFlags.Parse`), read in place. Inlined: the
    /// value table is built where the caller keeps it (no copy of it on return).
    #[inline]
    fn parse(raw: &'a [String], specs: &'static [(&'static str, Kind)]) -> R<Flags<'a>> {
        let mut f = Flags {
            specs,
            raw,
            vals: Default::default(),
        };
        if !raw.is_empty() {
            f.read(raw)?;
        }
        Ok(f)
    }

    fn idx(&self, name: &str) -> Option<usize> {
        self.specs.iter().position(|(n, _)| *n == name)
    }
    /// The value of the flag `specs[i]`.
    fn str(&self, i: usize) -> Option<String> {
        match &self.vals[i] {
            Some(Val::Str(s)) => Some(s.to_string()),
            _ => None,
        }
    }
    /// [`Flags::str`] by name.
    fn named(&self, name: &str) -> Option<String> {
        self.idx(name).and_then(|i| self.str(i))
    }
    fn bool(&self, i: usize) -> Option<bool> {
        match &self.vals[i] {
            Some(Val::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    /// The values of the repeatable flag `specs[i]`, in source order. [`Flags::read`]
    /// accepted every raw flag before a `--` (each starts with `--` and has a known name,
    /// and this one's all have a value), so those are read again.
    fn strs(&self, i: usize) -> impl Iterator<Item = &'a str> + Clone {
        let name = self.specs[i].0;
        let raw = match self.vals[i] {
            Some(Val::Strs) => self.raw,
            _ => &[],
        };
        raw.iter()
            .take_while(|a| a.as_str() != "--")
            .filter_map(move |a| {
                let (n, v) = split_eq(a)?;
                (n.get(2..) == Some(name)).then_some(v)
            })
    }

    /// BuildKit `BFlags.Parse`: the first problem wins.
    fn read(&mut self, raw: &'a [String]) -> R<()> {
        let specs = self.specs;
        for a in raw {
            if a == "--" {
                break;
            }
            if !a.starts_with("--") {
                return Err(fail(
                    "invalid-flag",
                    format!("arg should start with -- : {a}"),
                ));
            }
            let (flag_name, value, has_value) = match split_eq(a) {
                Some((n, v)) => (n, v, true),
                None => (a.as_str(), "", false),
            };
            let name = &flag_name[2..];
            let Some(i) = self.idx(name) else {
                let names: Vec<&str> = specs.iter().map(|(n, _)| *n).collect();
                let msg = suggest::wrap(format!("unknown flag: {flag_name}"), name, &names, true);
                return Err(fail("unknown-flag", msg).at_first(flag_name));
            };
            let kind = specs[i].1;
            if self.vals[i].is_some() && kind != Kind::Strs {
                return Err(fail(
                    "invalid-flag",
                    format!("duplicate flag specified: {flag_name}"),
                )
                .at_last(flag_name));
            }
            let missing = || {
                fail(
                    "invalid-flag",
                    format!("missing a value on flag: {flag_name}"),
                )
                .at_first(flag_name)
            };
            match kind {
                Kind::Bool => {
                    if has_value && value.is_empty() {
                        return Err(missing());
                    }
                    let b = if value.is_empty() || value.eq_ignore_ascii_case("true") {
                        true
                    } else if value.eq_ignore_ascii_case("false") {
                        false
                    } else {
                        return Err(fail(
                            "invalid-flag",
                            format!("expecting boolean value for flag {flag_name}, not: {value}"),
                        )
                        .at_first(flag_name));
                    };
                    self.vals[i] = Some(Val::Bool(b));
                }
                Kind::Str => {
                    if !has_value {
                        return Err(missing());
                    }
                    self.vals[i] = Some(Val::Str(value));
                }
                Kind::Strs => {
                    if !has_value {
                        return Err(missing());
                    }
                    self.vals[i] = Some(Val::Strs);
                }
            }
        }
        Ok(())
    }
}

/// `Flags::parse(raw, NO_FLAGS)`: any flag is an error.
fn no_flags(raw: &[String]) -> R<()> {
    if raw.is_empty() {
        return Ok(());
    }
    Flags::parse(raw, NO_FLAGS).map(|_| ())
}

fn strings<'a>(v: impl Iterator<Item = &'a str>) -> Vec<String> {
    v.map(str::to_string).collect()
}

/// Index `i` of `specs`, which names the flag `name` (checked in debug builds).
fn slot(specs: &[(&str, Kind)], i: usize, name: &str) -> usize {
    debug_assert_eq!(specs[i].0, name);
    let _ = name;
    i
}

const NO_FLAGS: &[(&str, Kind)] = &[];
const FROM_FLAGS: &[(&str, Kind)] = &[("platform", Kind::Str)];
const COPY_FLAGS: &[(&str, Kind)] = &[
    ("chown", Kind::Str),
    ("from", Kind::Str),
    ("chmod", Kind::Str),
    ("link", Kind::Bool),
    ("exclude", Kind::Strs),
    ("parents", Kind::Bool),
];
const ADD_FLAGS: &[(&str, Kind)] = &[
    ("chown", Kind::Str),
    ("chmod", Kind::Str),
    ("link", Kind::Bool),
    ("keep-git-dir", Kind::Bool),
    ("checksum", Kind::Str),
    ("unpack", Kind::Bool),
    ("exclude", Kind::Strs),
];
const RUN_FLAGS: &[(&str, Kind)] = &[
    ("mount", Kind::Strs),
    ("network", Kind::Str),
    ("security", Kind::Str),
    ("device", Kind::Strs),
];
const HEALTH_FLAGS: &[(&str, Kind)] = &[
    ("interval", Kind::Str),
    ("timeout", Kind::Str),
    ("start-period", Kind::Str),
    ("start-interval", Kind::Str),
    ("retries", Kind::Str),
];

/// `s.split_once('=')` by a byte search (short strings: no searcher setup).
fn split_eq(s: &str) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == b'=')?;
    Some((&s[..i], &s[i + 1..]))
}

/// `--name[=value]` as written → [`Flag`].
pub(crate) fn to_flag(raw: &str) -> Flag {
    let body = raw.strip_prefix("--").unwrap_or(raw);
    match split_eq(body) {
        Some((n, v)) => Flag {
            name: n.to_string(),
            value: Some(v.to_string()),
        },
        None => Flag {
            name: body.to_string(),
            value: None,
        },
    }
}

// ---------------------------------------------------------------------------------------

/// Builds the typed instruction for a node. Problems become diagnostics and
/// [`Command::Invalid`].
pub(crate) fn build_instruction(
    p: &Parsed,
    heredocs: &[Heredoc],
    text: &str,
    span: Span,
    ctx: &mut Ctx,
) -> Instruction {
    let keyword: Cow<'static, str> = match p.kw.upper() {
        Some(k) => k.into(),
        None => p.keyword_raw.to_string().into(),
    };
    let flags = p
        .flags
        .iter()
        .filter(|f| f.as_str() != "--")
        .map(|f| to_flag(f))
        .collect();
    let command = if let Some(e) = &p.error {
        let code = if e.starts_with("when using JSON") {
            "invalid-json"
        } else {
            "syntax"
        };
        // Node-level problems are BuildKit parser errors, even inside ONBUILD.
        let saved = ctx.as_warning;
        ctx.as_warning = false;
        ctx.report(fail(code, e.clone()));
        ctx.as_warning = saved;
        Command::Invalid {
            keyword: keyword.to_string(),
        }
    } else {
        match command(p, heredocs, ctx) {
            Ok(c) => c,
            Err(f) => {
                ctx.report(f);
                Command::Invalid {
                    keyword: keyword.to_string(),
                }
            }
        }
    };
    Instruction {
        keyword,
        command,
        flags,
        text: text.to_string(),
        span,
        stage: None,
    }
}

fn command_line(p: &Parsed) -> CommandLine {
    if p.json {
        CommandLine::Exec(p.args.clone())
    } else {
        CommandLine::Shell(shell_text(&p.args))
    }
}

/// The words joined by spaces (one word, the usual shell form, is copied without a join).
fn shell_text(args: &[String]) -> String {
    match args {
        [one] => one.clone(),
        _ => args.join(" "),
    }
}

fn command(p: &Parsed, heredocs: &[Heredoc], ctx: &mut Ctx) -> R<Command> {
    let args = &p.args;
    match p.kw {
        Kw::Env | Kw::Label => {
            let name = if p.kw == Kw::Env { "ENV" } else { "LABEL" };
            no_flags(&p.flags)?;
            let pairs = parse_kvps(args, name)?;
            Ok(if p.kw == Kw::Env {
                Command::Env { pairs }
            } else {
                Command::Label { pairs }
            })
        }
        Kw::Maintainer => {
            if args.len() != 1 {
                return Err(exactly_one("MAINTAINER"));
            }
            no_flags(&p.flags)?;
            Ok(Command::Maintainer {
                name: args[0].clone(),
            })
        }
        Kw::Add | Kw::Copy => parse_copy(p, heredocs, p.kw == Kw::Add),
        Kw::From => parse_from(p),
        Kw::Onbuild => parse_onbuild(p, heredocs, ctx),
        Kw::Workdir => {
            if args.len() != 1 {
                return Err(exactly_one("WORKDIR"));
            }
            no_flags(&p.flags)?;
            Ok(Command::Workdir {
                path: args[0].clone(),
            })
        }
        Kw::Run => parse_run(p, heredocs, ctx.last_mount),
        Kw::Cmd => {
            no_flags(&p.flags)?;
            Ok(Command::Cmd {
                command: command_line(p),
            })
        }
        Kw::Entrypoint => {
            no_flags(&p.flags)?;
            Ok(Command::Entrypoint {
                command: command_line(p),
            })
        }
        Kw::Healthcheck => parse_healthcheck(p),
        Kw::Expose => {
            if args.is_empty() {
                return Err(at_least_one("EXPOSE"));
            }
            no_flags(&p.flags)?;
            let mut ports = args.clone();
            crate::order::sort_unstable(&mut ports);
            Ok(Command::Expose { ports })
        }
        Kw::User => {
            if args.len() != 1 {
                return Err(exactly_one("USER"));
            }
            no_flags(&p.flags)?;
            Ok(Command::User {
                user: args[0].clone(),
            })
        }
        Kw::Volume => {
            if args.is_empty() {
                return Err(at_least_one("VOLUME"));
            }
            no_flags(&p.flags)?;
            let mut paths = Vec::with_capacity(args.len());
            for v in args {
                let v = v.trim();
                if v.is_empty() {
                    return Err(fail(
                        "invalid-arguments",
                        "VOLUME specified can not be an empty string",
                    ));
                }
                paths.push(v.to_string());
            }
            Ok(Command::Volume { paths })
        }
        Kw::Stopsignal => {
            // BuildKit does not check STOPSIGNAL flags.
            if args.len() != 1 {
                return Err(exactly_one("STOPSIGNAL"));
            }
            Ok(Command::Stopsignal {
                signal: args[0].clone(),
            })
        }
        Kw::Arg => {
            // BuildKit does not check ARG flags.
            if args.is_empty() {
                return Err(at_least_one("ARG"));
            }
            let mut out = Vec::with_capacity(args.len());
            for a in args {
                match split_eq(a) {
                    Some((k, v)) => {
                        if k.is_empty() {
                            return Err(fail("invalid-arguments", "ARG names can not be blank"));
                        }
                        out.push(ArgDecl {
                            name: k.to_string(),
                            default: Some(v.to_string()),
                        });
                    }
                    None => out.push(ArgDecl {
                        name: a.clone(),
                        default: None,
                    }),
                }
            }
            Ok(Command::Arg { args: out })
        }
        Kw::Shell => {
            no_flags(&p.flags)?;
            if args.is_empty() {
                return Err(at_least_one("SHELL"));
            }
            if !p.json {
                return Err(fail(
                    "invalid-arguments",
                    "SHELL requires the arguments to be in JSON form",
                ));
            }
            Ok(Command::Shell { argv: args.clone() })
        }
        Kw::Other => {
            let msg = suggest::wrap(
                format!("unknown instruction: {}", p.keyword_raw),
                p.keyword_raw,
                INSTRUCTIONS,
                false,
            );
            let span = ctx.locate(p.keyword_raw, false);
            Err(Fail {
                code: "unknown-instruction",
                msg,
                at: Some(At::Span(span)),
            })
        }
    }
}

fn parse_kvps(args: &[String], cmd: &str) -> R<Vec<KeyValue>> {
    if args.is_empty() {
        return Err(at_least_one(cmd));
    }
    if !args.len().is_multiple_of(3) {
        return Err(fail(
            "invalid-arguments",
            format!("Bad input to {cmd}, too many arguments"),
        ));
    }
    let mut out = Vec::with_capacity(args.len() / 3);
    for t in args.chunks(3) {
        if t[0].is_empty() {
            return Err(fail(
                "invalid-arguments",
                format!("{cmd} names can not be blank"),
            ));
        }
        out.push(KeyValue {
            key: t[0].clone(),
            value: t[1].clone(),
        });
    }
    Ok(out)
}

/// `^[a-z][a-z0-9-_.]*$`
pub(crate) fn valid_stage_name(s: &str) -> bool {
    let mut it = s.chars();
    match it.next() {
        Some(c) if c.is_ascii_lowercase() => {}
        _ => return false,
    }
    it.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn parse_from(p: &Parsed) -> R<Command> {
    let args = &p.args;
    let name = if args.len() == 3 && args[1].eq_ignore_ascii_case("as") {
        let n = args[2].to_ascii_lowercase();
        if !valid_stage_name(&n) {
            return Err(fail(
                "invalid-stage-name",
                format!(
                    "invalid name for build stage: {}, name can't start with a number or contain symbols",
                    go_quote(&args[2])
                ),
            )
            .at_last(&args[2]));
        }
        Some(n)
    } else if args.len() != 1 {
        return Err(fail(
            "invalid-arguments",
            "FROM requires either one or three arguments",
        ));
    } else {
        None
    };
    let flags = Flags::parse(&p.flags, FROM_FLAGS)?;
    Ok(Command::From(FromCmd {
        image: args[0].clone(),
        name,
        platform: flags.str(slot(FROM_FLAGS, 0, "platform")),
    }))
}

fn parse_copy(p: &Parsed, heredocs: &[Heredoc], is_add: bool) -> R<Command> {
    let name = if is_add { "ADD" } else { "COPY" };
    let args = &p.args;
    if args.len() < 2 {
        return Err(fail(
            "invalid-arguments",
            format!(
                "{name} requires at least two arguments, but only one was provided. Destination could not be determined"
            ),
        ));
    }
    let flags = Flags::parse(&p.flags, if is_add { ADD_FLAGS } else { COPY_FLAGS })?;
    let dest = &args[args.len() - 1];
    if matches!(parse_heredoc_word(dest), Ok(Some(_))) {
        return Err(fail(
            "invalid-arguments",
            format!("{name} cannot accept a heredoc as a destination"),
        )
        .at_last(dest));
    }
    // BuildKit looks heredocs up by name (a later body with the same name wins); a name
    // used twice as a source is kept once so repeated sources cannot multiply the body.
    // (Built lazily: most COPYs have no heredoc source.)
    let mut by_name: Option<std::collections::HashMap<&str, &Heredoc>> = None;
    let mut seen: Option<std::collections::HashSet<String>> = None;
    let mut sources = Vec::with_capacity(args.len() - 1);
    let mut docs = Vec::new();
    for src in &args[..args.len() - 1] {
        match parse_heredoc_word(src) {
            Ok(Some(w)) => {
                if !seen
                    .get_or_insert_with(Default::default)
                    .insert(w.name.clone())
                {
                    continue;
                }
                let map = by_name
                    .get_or_insert_with(|| heredocs.iter().map(|h| (h.name.as_str(), h)).collect());
                let found = map.get(w.name.as_str()).copied();
                let mut h = match found {
                    Some(h) => h.clone(),
                    None => Heredoc {
                        name: w.name.clone(),
                        content: String::new(),
                        expand: w.expand,
                        chomp: w.chomp,
                        file_descriptor: w.file_descriptor,
                        span: Span::default(),
                    },
                };
                h.expand = w.expand;
                h.chomp = w.chomp;
                docs.push(h);
            }
            _ => sources.push(src.clone()),
        }
    }
    // Flag slots by position (`slot` checks the names in debug builds).
    let f = &flags;
    let cmd = if is_add {
        let a = ADD_FLAGS;
        CopyCmd {
            is_add,
            sources,
            dest: dest.clone(),
            heredocs: docs,
            from: None,
            chown: f.str(slot(a, 0, "chown")),
            chmod: f.str(slot(a, 1, "chmod")),
            link: f.bool(slot(a, 2, "link")).unwrap_or(false),
            parents: false,
            exclude: strings(f.strs(slot(a, 6, "exclude"))),
            checksum: f.str(slot(a, 4, "checksum")),
            keep_git_dir: f.bool(slot(a, 3, "keep-git-dir")),
            unpack: f.bool(slot(a, 5, "unpack")),
        }
    } else {
        let c = COPY_FLAGS;
        CopyCmd {
            is_add,
            sources,
            dest: dest.clone(),
            heredocs: docs,
            from: f.str(slot(c, 1, "from")),
            chown: f.str(slot(c, 0, "chown")),
            chmod: f.str(slot(c, 2, "chmod")),
            link: f.bool(slot(c, 3, "link")).unwrap_or(false),
            parents: f.bool(slot(c, 5, "parents")).unwrap_or(false),
            exclude: strings(f.strs(slot(c, 4, "exclude"))),
            checksum: None,
            keep_git_dir: None,
            unpack: None,
        }
    };
    Ok(Command::Copy(cmd))
}

/// The data of a COPY/ADD heredoc source as BuildKit's `SourceContents` holds it (`<<-`
/// applied).
pub fn copy_source_data(h: &Heredoc) -> String {
    if h.chomp {
        chomp_heredoc_content(&h.content)
    } else {
        h.content.clone()
    }
}

/// `last_mount`: see [`Ctx::last_mount`].
fn parse_run(p: &Parsed, heredocs: &[Heredoc], last_mount: &mut Option<Mount>) -> R<Command> {
    let flags = Flags::parse(&p.flags, RUN_FLAGS)?;
    let values = flags.strs(slot(RUN_FLAGS, 0, "mount"));
    let mut mounts = Vec::with_capacity(values.clone().count());
    for m in values {
        let mount = match last_mount.as_ref().filter(|l| l.raw == m) {
            Some(l) => l.clone(),
            None => {
                let mount = parse_mount(m)
                    .map_err(|e| fail("invalid-mount", e).at_first(&format!("--mount={}", m)))?;
                *last_mount = Some(mount.clone());
                mount
            }
        };
        mounts.push(mount);
    }
    let network = flags.str(slot(RUN_FLAGS, 1, "network"));
    if let Some(n) = &network {
        if !matches!(n.as_str(), "default" | "none" | "host") {
            return Err(fail(
                "invalid-flag",
                format!("invalid network mode {}", go_quote(n)),
            )
            .at_first("--network"));
        }
    }
    let security = flags.str(slot(RUN_FLAGS, 2, "security"));
    if let Some(s) = &security {
        if !matches!(s.as_str(), "insecure" | "sandbox") {
            return Err(fail(
                "invalid-flag",
                format!("security {} is not valid", go_quote(s)),
            )
            .at_first("--security"));
        }
    }
    Ok(Command::Run(RunCmd {
        command: command_line(p),
        heredocs: heredocs.to_vec(),
        mounts,
        network,
        security,
    }))
}

fn parse_onbuild(p: &Parsed, heredocs: &[Heredoc], ctx: &mut Ctx) -> R<Command> {
    let Some(inner) = &p.inner else {
        return Err(at_least_one("ONBUILD"));
    };
    no_flags(&p.flags)?;
    let trig = inner.keyword_raw.trim().to_ascii_uppercase();
    match trig.as_str() {
        "ONBUILD" => {
            return Err(fail(
                "invalid-arguments",
                "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
            ))
        }
        "MAINTAINER" | "FROM" => {
            return Err(fail(
                "invalid-arguments",
                format!("{trig} isn't allowed as an ONBUILD trigger"),
            ))
        }
        _ => {}
    }
    // The trigger's own text starts at its keyword, after `ONBUILD`.
    let text = ctx.text().to_string();
    let after_kw = p.keyword_raw.len().min(text.len());
    let rel = text
        .get(after_kw..)
        .and_then(|t| t.find(inner.keyword_raw))
        .map(|i| i + after_kw)
        .unwrap_or(0);
    let start = ctx.text_start + rel;
    let span = ctx.src.span(start, ctx.span.end);
    let mut sub = Ctx {
        src: ctx.src,
        text_start: start,
        text_end: ctx.text_end,
        span,
        diags: &mut *ctx.diags,
        as_warning: true,
        last_mount: &mut *ctx.last_mount,
    };
    let trigger = build_instruction(inner, heredocs, &text[rel..], span, &mut sub);
    Ok(Command::Onbuild {
        trigger: Box::new(trigger),
    })
}

fn parse_healthcheck(p: &Parsed) -> R<Command> {
    let args = &p.args;
    if args.is_empty() {
        return Err(at_least_one("HEALTHCHECK"));
    }
    let typ = args[0].to_ascii_uppercase();
    let rest = &args[1..];
    let all_flags: Vec<Flag> = p
        .flags
        .iter()
        .filter(|f| f.as_str() != "--")
        .map(|f| to_flag(f))
        .collect();
    if typ == "NONE" {
        if !rest.is_empty() {
            return Err(fail(
                "invalid-arguments",
                "HEALTHCHECK NONE takes no arguments",
            ));
        }
        return Ok(Command::Healthcheck(HealthcheckCmd {
            command: None,
            flags: all_flags,
        }));
    }
    let flags = Flags::parse(&p.flags, HEALTH_FLAGS)?;
    if typ != "CMD" {
        return Err(fail(
            "invalid-arguments",
            format!("Unknown type {} in HEALTHCHECK (try CMD)", go_quote(&typ)),
        ));
    }
    if rest.is_empty() {
        return Err(fail(
            "invalid-arguments",
            "Missing command after HEALTHCHECK CMD",
        ));
    }
    let command = if p.json {
        CommandLine::Exec(rest.to_vec())
    } else {
        CommandLine::Shell(shell_text(rest))
    };
    for name in ["interval", "timeout", "start-period", "start-interval"] {
        if let Some(v) = flags.named(name) {
            check_interval(name, &v).map_err(|e| fail("invalid-flag", e).at_first(name))?;
        }
    }
    if let Some(r) = flags.named("retries") {
        if !r.is_empty() {
            match parse_go_int32(&r) {
                Ok(n) if n < 0 => {
                    return Err(fail(
                        "invalid-flag",
                        format!("--retries cannot be negative ({n})"),
                    )
                    .at_first("--retries"))
                }
                Ok(_) => {}
                Err(e) => return Err(fail("invalid-flag", e).at_first("--retries")),
            }
        }
    }
    Ok(Command::Healthcheck(HealthcheckCmd {
        command: Some(command),
        flags: all_flags,
    }))
}

/// `strconv.ParseInt(s, 10, 32)`.
fn parse_go_int32(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(s)
        ));
    }
    match s.parse::<i32>() {
        Ok(n) => Ok(i64::from(n)),
        Err(_) => Err(format!(
            "strconv.ParseInt: parsing {}: value out of range",
            go_quote(s)
        )),
    }
}

/// BuildKit `parseOptInterval`: a Go duration, 0 or at least 1ms.
fn check_interval(name: &str, v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Ok(());
    }
    let ns = parse_go_duration(v)?;
    if ns != 0 && ns < 1_000_000 {
        return Err(format!(
            "Interval {} cannot be less than 1ms",
            go_quote(name)
        ));
    }
    Ok(())
}

/// Go `time.ParseDuration`, returning nanoseconds. Integer arithmetic as in Go (only the
/// fraction's scaling is a float multiplication there too); no float parsing, which keeps
/// core's decimal-to-float code out of the wasm bundle.
pub(crate) fn parse_go_duration(orig: &str) -> Result<i64, String> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next() {
        if c == '-' || c == '+' {
            neg = c == '-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes()[0];
        if !(b == b'.' || b.is_ascii_digit()) {
            return Err(invalid());
        }
        // Go `leadingInt`: an integer that overflows is an invalid duration.
        let int_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let pre = int_end > 0;
        let mut v: u64 = 0;
        for d in s[..int_end].bytes() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(d - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
        }
        s = &s[int_end..];
        // Go `leadingFraction`: digits past what fits are ignored.
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if let Some(r) = s.strip_prefix('.') {
            let frac_end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            post = frac_end > 0;
            let mut overflow = false;
            for d in r[..frac_end].bytes() {
                if overflow {
                    continue;
                }
                if f > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(d - b'0');
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            s = &r[frac_end..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_end = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_end == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let u = &s[..unit_end];
        s = &s[unit_end..];
        let unit: u64 = match u {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(u),
                    go_quote(orig)
                ))
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            // Go: v += uint64(float64(f) * (float64(unit) / scale))
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        // Go's uint64 addition wraps (both terms are at most 1<<63).
        total = total.wrapping_add(v);
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

// ---------------------------------------------------------------------------------------
// RUN --mount

const MOUNT_TYPES: &[&str] = &["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARING: &[&str] = &["shared", "private", "locked"];
const MOUNT_KEYS: &[&str] = &[
    "type",
    "from",
    "source",
    "target",
    "readonly",
    "id",
    "sharing",
    "required",
    "size",
    "mode",
    "uid",
    "gid",
    "src",
    "dst",
    "destination",
    "ro",
    "rw",
    "readwrite",
    "env",
];

/// The comma-separated fields of a mount, with CSV quoting (`"a,b"`, `""` for a quote).
/// Unquoted fields are slices of `s`.
fn csv_fields(s: &str) -> Result<Vec<Cow<'_, str>>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(s.bytes().filter(|&b| b == b',').count() + 1);
    let mut rest = s;
    loop {
        if let Some(q) = rest.strip_prefix('"') {
            let mut field = String::new();
            let mut r = q;
            loop {
                match r.find('"') {
                    None => return Err("extraneous or missing \" in quoted-field".into()),
                    Some(i) => {
                        field.push_str(&r[..i]);
                        r = &r[i + 1..];
                        if let Some(r2) = r.strip_prefix('"') {
                            field.push('"');
                            r = r2;
                            continue;
                        }
                        break;
                    }
                }
            }
            out.push(Cow::Owned(field));
            if r.is_empty() {
                return Ok(out);
            }
            match r.strip_prefix(',') {
                Some(r2) => rest = r2,
                None => return Err("extraneous or missing \" in quoted-field".into()),
            }
        } else {
            let end = rest.bytes().position(|b| b == b',').unwrap_or(rest.len());
            let field = &rest[..end];
            if field.as_bytes().contains(&b'"') {
                return Err("bare \" in non-quoted-field".into());
            }
            out.push(Cow::Borrowed(field));
            if end == rest.len() {
                return Ok(out);
            }
            rest = &rest[end + 1..];
        }
    }
}

/// [`csv_fields`] of a text without `"`: the slices between commas (none for "").
fn plain_csv_fields(s: &str) -> impl Iterator<Item = &str> {
    (!s.is_empty()).then(|| s.split(',')).into_iter().flatten()
}

/// The fields of a mount: [`plain_csv_fields`] or the vector of [`csv_fields`].
enum MountFields<'q, 'v, P> {
    Plain(P),
    Csv(std::slice::Iter<'q, Cow<'v, str>>),
}

impl<'q, P: Iterator<Item = &'q str>> Iterator for MountFields<'q, '_, P> {
    type Item = &'q str;
    fn next(&mut self) -> Option<&'q str> {
        match self {
            MountFields::Plain(p) => p.next(),
            MountFields::Csv(c) => c.next().map(|f| &**f),
        }
    }
}

fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// docker/go-units `RAMInBytes` syntax: `64m`, `1.5GiB`, `100 kb`.
fn valid_ram_size(s: &str) -> bool {
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let num = &s[..num_end];
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') || num.matches('.').count() > 1
    {
        return false;
    }
    let mut u = s[num_end..].strip_prefix(' ').unwrap_or(&s[num_end..]);
    if let Some(c) = u.chars().next() {
        if "kKmMgGtTpP".contains(c) {
            u = &u[1..];
        }
    }
    u = u.strip_prefix(['i', 'I']).unwrap_or(u);
    u = u.strip_prefix(['b', 'B']).unwrap_or(u);
    u.is_empty()
}

/// `s.to_ascii_lowercase()`, borrowed when it is already lower case.
fn ascii_lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// BuildKit `parseMount` on raw (unexpanded) values.
pub(crate) fn parse_mount(val: &str) -> Result<Mount, String> {
    // Without quotes (the usual mount) the fields are the slices between commas: no
    // vector and no CSV pass (`csv_fields` agrees, tested).
    let quoted: Vec<Cow<str>>;
    let fields = if val.as_bytes().contains(&b'"') {
        quoted = csv_fields(val).map_err(|e| format!("failed to parse csv mounts: {e}"))?;
        MountFields::Csv(quoted.iter())
    } else {
        MountFields::Plain(plain_csv_fields(val))
    };
    // The type, as the checks below see it (moved into the mount at the end).
    let mut kind: Cow<str> = Cow::Borrowed("bind");
    let mut m = Mount {
        kind: String::new(),
        target: None,
        source: None,
        from: None,
        id: None,
        env: None,
        readwrite: false,
        sharing: None,
        required: None,
        mode: None,
        uid: None,
        gid: None,
        size: None,
        raw: val.to_string(),
    };
    let mut readonly = false;
    let mut ro_auto = true;
    let secret_or_ssh = |k: &str| k == "secret" || k == "ssh";
    for field in fields {
        let (key, value, has) = match split_eq(field) {
            Some((k, v)) => (ascii_lower(k), v, true),
            None => (ascii_lower(field), "", false),
        };
        let key: &str = &key;
        if !has {
            match key {
                "readonly" | "ro" => {
                    readonly = true;
                    ro_auto = false;
                }
                "readwrite" | "rw" => {
                    readonly = false;
                    ro_auto = false;
                }
                "required" => {
                    if secret_or_ssh(&kind) {
                        m.required = Some(true);
                    } else {
                        return Err(format!("unexpected key '{key}' for mount type '{kind}'"));
                    }
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        }
        let has_var = value.as_bytes().contains(&b'$');
        match key {
            "type" => {
                let v = ascii_lower(value);
                if !has_var && !MOUNT_TYPES.contains(&&*v) {
                    return Err(suggest::wrap(
                        format!("unsupported mount type {}", go_quote(value)),
                        value,
                        MOUNT_TYPES,
                        true,
                    ));
                }
                kind = v;
            }
            "from" => {
                if let Some(i) = value.find('$') {
                    if i != value.len() - 1 {
                        return Err(format!(
                            "'{key}' doesn't support variable expansion, define alias stage instead"
                        ));
                    }
                }
                m.from = Some(value.to_string());
            }
            "source" | "src" => m.source = Some(value.to_string()),
            "target" | "dst" | "destination" => m.target = Some(value.to_string()),
            "readonly" | "ro" | "readwrite" | "rw" => {
                // A `$VAR` value is only known at build time: keep the default.
                if has_var {
                    continue;
                }
                let Some(b) = parse_go_bool(value) else {
                    return Err(format!("invalid value for {key}: {value}"));
                };
                readonly = if key == "readonly" || key == "ro" {
                    b
                } else {
                    !b
                };
                ro_auto = false;
            }
            "required" => {
                if !secret_or_ssh(&kind) {
                    return Err(format!("unexpected key '{key}' for mount type '{kind}'"));
                }
                match parse_go_bool(value) {
                    Some(b) => m.required = Some(b),
                    None if has_var => m.required = None,
                    None => return Err(format!("invalid value for {key}: {value}")),
                }
            }
            "size" => {
                if kind != "tmpfs" {
                    return Err(format!("unexpected key '{key}' for mount type '{kind}'"));
                }
                if !has_var && !valid_ram_size(value) {
                    return Err(format!("invalid value for {key}: {value}"));
                }
                m.size = Some(value.to_string());
            }
            "id" => m.id = Some(value.to_string()),
            "sharing" => {
                let v = value.to_ascii_lowercase();
                if !has_var && !SHARING.contains(&v.as_str()) {
                    return Err(suggest::wrap(
                        format!("unsupported sharing value {}", go_quote(value)),
                        value,
                        SHARING,
                        true,
                    ));
                }
                m.sharing = Some(v);
            }
            "mode" => {
                let valid = !value.is_empty()
                    && value.bytes().all(|b| (b'0'..=b'7').contains(&b))
                    && u32::from_str_radix(value, 8).is_ok();
                if !has_var && !valid {
                    return Err(format!("invalid value {value} for mode"));
                }
                m.mode = Some(value.to_string());
            }
            "uid" | "gid" => {
                // Go ParseUint: digits only (no sign), fits in 32 bits.
                let valid = !value.is_empty()
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && value.parse::<u32>().is_ok();
                if !has_var && !valid {
                    return Err(format!("invalid value {value} for {key}"));
                }
                if key == "uid" {
                    m.uid = Some(value.to_string());
                } else {
                    m.gid = Some(value.to_string());
                }
            }
            "env" => m.env = Some(value.to_string()),
            _ => {
                return Err(suggest::wrap(
                    format!("unexpected key '{key}' in '{field}'"),
                    key,
                    MOUNT_KEYS,
                    true,
                ))
            }
        }
    }
    m.kind = kind.into_owned();
    let file_info_allowed = matches!(m.kind.as_str(), "secret" | "ssh" | "cache");
    if !file_info_allowed {
        let q = go_quote(&m.kind);
        if m.mode.is_some() {
            return Err(format!("mode not allowed for {q} type mounts"));
        }
        if m.uid.is_some() {
            return Err(format!("uid not allowed for {q} type mounts"));
        }
        if m.gid.is_some() {
            return Err(format!("gid not allowed for {q} type mounts"));
        }
    }
    if ro_auto {
        readonly = !matches!(m.kind.as_str(), "cache" | "tmpfs");
    }
    m.readwrite = !readonly;
    if m.kind == "secret" {
        if m.from.is_some() {
            return Err("secret mount should not have a from".into());
        }
        if m.sharing.is_some() {
            return Err("secret mount should not define sharing".into());
        }
        if m.source.is_none() && m.target.is_none() && m.id.is_none() {
            return Err("invalid secret mount. one of source, target required".into());
        }
        if m.source.is_some() && m.id.is_some() {
            return Err("both source and id can't be set".into());
        }
    }
    if m.sharing.is_some() && m.kind != "cache" {
        return Err(format!("invalid cache sharing set for {} mount", m.kind));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_go_duration("5s").unwrap(), 5_000_000_000);
        assert_eq!(parse_go_duration("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(parse_go_duration("1.5h").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_go_duration("0").unwrap(), 0);
        assert_eq!(parse_go_duration("-1.5s").unwrap(), -1_500_000_000);
        assert_eq!(parse_go_duration(".5ms").unwrap(), 500_000);
        assert_eq!(parse_go_duration("1.ms").unwrap(), 1_000_000);
        assert_eq!(parse_go_duration("300µs").unwrap(), 300_000);
        assert_eq!(
            parse_go_duration("0.000000000000000000000000001s").unwrap(),
            0
        );
        // Go's limits: 1<<63 - 1 ns, and -(1<<63) for a negative duration.
        assert_eq!(
            parse_go_duration("9223372036854775807ns").unwrap(),
            i64::MAX
        );
        assert!(parse_go_duration("9223372036854775808ns").is_err());
        assert_eq!(
            parse_go_duration("-9223372036854775808ns").unwrap(),
            i64::MIN
        );
        assert!(parse_go_duration("2562048h").is_err());
        assert!(parse_go_duration("99999999999999999999s").is_err());
        assert!(parse_go_duration(".").is_err());
        assert_eq!(
            parse_go_duration("9223372036854775808ns9223372036854775808ns").unwrap(),
            0
        );
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("5").unwrap_err().contains("missing unit"));
        assert!(parse_go_duration("5x")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_go_duration("abc")
            .unwrap_err()
            .contains("invalid duration"));
        assert!(check_interval("interval", "100us").is_err());
        assert!(check_interval("interval", "0s").is_ok());
    }

    #[test]
    fn csv() {
        assert_eq!(
            csv_fields("type=cache,\"target=/a,b\",ro").unwrap(),
            vec!["type=cache", "target=/a,b", "ro"]
        );
        assert!(csv_fields("a\"b").is_err());
        // The fast path for text without quotes agrees with the CSV reader.
        for s in [
            "",
            ",",
            "a",
            "a,",
            ",a",
            "a,,b",
            "type=cache,target=/c",
            "é,€=𝄞, x ,",
        ] {
            let fast: Vec<&str> = plain_csv_fields(s).collect();
            let csv = csv_fields(s).unwrap();
            assert_eq!(fast, csv, "{s:?}");
        }
        assert!(csv_fields("\"abc").is_err());
    }

    #[test]
    fn ram_sizes() {
        for ok in ["64m", "1.5GiB", "100 kb", "1024", "2g"] {
            assert!(valid_ram_size(ok), "{ok}");
        }
        for bad in ["", "m", "1.5.x", "12q"] {
            assert!(!valid_ram_size(bad), "{bad}");
        }
    }
}
