//! Line-based Dockerfile parser modelled on BuildKit's `frontend/dockerfile/parser` and
//! `instructions` packages (see `docs/PARSER.md`).
//!
//! Pipeline, one pass over the text:
//! 1. [`source`]: physical lines (line endings kept, BOM skipped) and offset → line/col.
//! 2. this module: parser directives, comments, line continuations (with comment and empty
//!    lines inside), heredoc bodies → one logical line per instruction.
//! 3. [`node`]: logical line → raw [`Node`] (keyword, flags, args) exactly as BuildKit.
//! 4. [`typed`]: raw node → typed [`Instruction`]; then stages and global ARGs.
//!
//! Parsing never fails and never panics: every problem is a [`Diagnostic`] with a span, and
//! parsing continues with the next instruction.

#[cfg(test)]
mod fast_path_tests;
mod heredoc;
mod node;
mod source;
mod suggest;
mod typed;

pub use heredoc::{
    chomp_heredoc_content, heredoc_data, heredocs_from_line, parse_heredoc_word, HeredocWord,
};
pub use typed::copy_source_data;
pub(crate) use typed::INSTRUCTIONS;

use crate::ast::{Command, Directives, Dockerfile, Heredoc, Instruction, Node, Stage};
use crate::syntax::{Diagnostic, Span, MAX_INPUT_BYTES};
use node::Parsed;
use source::Source;

/// Parses a Dockerfile. Never fails: problems are reported in `Dockerfile::diagnostics`.
pub fn parse(text: &str) -> Dockerfile {
    parse_impl(text, None)
}

/// [`parse`], reusing the instructions `cache` holds from the previous call whose source
/// text (whole lines, continuations included) is unchanged, wherever they moved. An editor
/// that parses after every keystroke re-parses only the instruction being typed in. The
/// result is always exactly [`parse`]'s.
pub fn parse_cached(text: &str, cache: &mut ParseCache) -> Dockerfile {
    let df = parse_impl(text, Some(cache));
    // The next round's map reuses this round's table (no growth from empty each call).
    std::mem::swap(&mut cache.prev, &mut cache.next);
    cache.next.clear();
    df
}

/// What [`parse_cached`] keeps between calls: the instructions of the last parse by their
/// source text (instructions with heredocs are always parsed again). Looked up by the
/// borrowed text, so a hit builds no key; an entry parsed under another escape token is a
/// miss.
#[derive(Debug, Default)]
pub struct ParseCache {
    prev: crate::sim::hash::FxHashMap<Box<str>, CachedInstruction>,
    next: crate::sim::hash::FxHashMap<Box<str>, CachedInstruction>,
}

#[derive(Debug)]
struct CachedInstruction {
    /// The escape token the text was parsed with.
    escape: char,
    /// Byte offset and 1-based line where the source text started when it was parsed.
    start: usize,
    line: u32,
    node: Node,
    instruction: Instruction,
    /// Diagnostics the instruction itself produced.
    diags: Vec<Diagnostic>,
}

impl CachedInstruction {
    /// Pushes copies moved to source text starting at `start` on `line` (same text:
    /// columns hold) onto `df`, shifted in place (no intermediate moves of the large structs).
    fn push_moved_to(&self, df: &mut Dockerfile, start: usize, line: u32) {
        let db = start as isize - self.start as isize;
        let dl = line as i64 - self.line as i64;
        let shift = |sp: &mut Span| {
            sp.start = (sp.start as isize + db) as usize;
            sp.end = (sp.end as isize + db) as usize;
            sp.line = (sp.line as i64 + dl) as u32;
            sp.end_line = (sp.end_line as i64 + dl) as u32;
        };
        df.nodes.push(self.node.clone());
        let mut n = df.nodes.last_mut();
        while let Some(x) = n {
            shift(&mut x.span);
            n = x.inner.as_deref_mut();
        }
        df.instructions.push(self.instruction.clone());
        let mut i = df.instructions.last_mut();
        while let Some(x) = i {
            shift(&mut x.span);
            i = match &mut x.command {
                Command::Onbuild { trigger } => Some(trigger.as_mut()),
                _ => None,
            };
        }
        for d in &self.diags {
            let mut d = d.clone();
            shift(&mut d.span);
            df.diagnostics.push(d);
        }
    }
}

fn parse_impl(text: &str, cache: Option<&mut ParseCache>) -> Dockerfile {
    let mut df = Dockerfile::default();
    if text.len() > MAX_INPUT_BYTES {
        df.diagnostics.push(Diagnostic::error(
            "input-too-large",
            format!(
                "the Dockerfile is {} bytes, more than the {} bytes (1 MiB) layerlab accepts",
                text.len(),
                MAX_INPUT_BYTES
            ),
            Span {
                start: 0,
                end: 0,
                line: 1,
                col: 1,
                end_line: 1,
                end_col: 1,
            },
        ));
        return df;
    }
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let src = Source::new(text, bom);
    // Capped: heredoc bodies count as lines here, and over-reserving costs real memory in
    // wasm. Past the cap, the vectors grow as usual.
    let estimate = estimate_instructions(&src).min(4096);
    df.nodes.reserve_exact(estimate);
    df.instructions.reserve_exact(estimate);
    let mut p = LineParser {
        src: &src,
        next: 0,
        directives: DirectiveState::default(),
        df: &mut df,
        cache,
        last_mount: None,
    };
    p.run();
    group_stages(&mut df);
    // Source order (stable: same-place diagnostics keep the order they were found in).
    crate::order::sort_by_key(&mut df.diagnostics, |d| d.span.start);
    df
}

/// A cheap guess of the instruction count (lines that are neither empty, comments, nor
/// after a line ending in a continuation character), to size the output vectors once.
fn estimate_instructions(src: &Source) -> usize {
    let (b, ls) = (src.text.as_bytes(), src.line_starts());
    let mut n = 0;
    let mut continued = false;
    for (i, &start) in ls.iter().enumerate() {
        let end = ls.get(i + 1).copied().unwrap_or(b.len());
        // The line ending is white space too.
        let t = b.get(start..end).unwrap_or_default().trim_ascii();
        if t.is_empty() || t[0] == b'#' {
            continue;
        }
        n += usize::from(!continued);
        continued = matches!(t[t.len() - 1], b'\\' | b'`');
    }
    n
}

#[derive(Default)]
struct DirectiveState {
    done: bool,
    seen: [bool; 3],
}

struct LineParser<'s, 'a> {
    src: &'s Source<'a>,
    /// Index of the next physical line to read.
    next: usize,
    directives: DirectiveState,
    df: &'s mut Dockerfile,
    cache: Option<&'s mut ParseCache>,
    /// See [`typed::Ctx::last_mount`].
    last_mount: Option<crate::ast::Mount>,
}

/// Go `\s` (`[\t\n\f\r ]`).
fn is_go_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` on a line (leading whitespace trimmed).
fn match_directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() => {}
        _ => return None,
    }
    let name_end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let name = &rest[..name_end];
    let after = rest[name_end..].trim_start_matches(is_go_space);
    let after = after.strip_prefix('=')?;
    let value_part = after.trim_start_matches(is_go_space);
    if value_part.is_empty() {
        // `.+?` still needs one character: the regex backtracks into the spaces.
        let last = after.chars().next_back()?;
        return Some((name, &after[after.len() - last.len_utf8()..]));
    }
    let value = value_part.trim_end_matches(is_go_space);
    if value.contains('\n') {
        return None;
    }
    Some((name, value))
}

/// BuildKit line continuation: the escape token as last non-blank character, unless it is
/// itself escaped. Returns the line without it, and whether the instruction continues.
fn trim_continuation(s: &str, esc: char) -> (&str, bool) {
    // The escape token is `\` or `` ` `` (ASCII), so byte tests are exact.
    let e = esc as u8;
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    if end > 0 && b[end - 1] == e {
        if end == 1 {
            return ("", true);
        }
        if b[end - 2] != e {
            return (&s[..end - 1], true);
        }
    }
    (s, false)
}

/// `str::trim_start` (Unicode white space, like Go's `unicode.IsSpace`) with a fast path
/// for the ASCII indentation that almost every line has.
#[inline]
pub(crate) fn trim_start_ws(s: &str) -> &str {
    let n = s
        .bytes()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let r = &s[n..];
    match r.as_bytes().first() {
        Some(&b) if b >= 0x80 => r.trim_start(),
        _ => r,
    }
}

/// `s.contains("<<")`, eight bytes at a time.
fn has_heredoc_marker(s: &str) -> bool {
    let mut chunks = s.as_bytes().chunks_exact(8);
    // Whether the byte before the current one is a `<`.
    let mut prev = false;
    for c in &mut chunks {
        let m = source::eq_mask(source::word(c), b'<');
        if m & (m >> 8) != 0 || (prev && m & 0x80 != 0) {
            return true;
        }
        prev = m >> 63 != 0;
    }
    for &c in chunks.remainder() {
        let lt = c == b'<';
        if prev && lt {
            return true;
        }
        prev = lt;
    }
    false
}

/// `str::trim` with [`trim_start_ws`]'s ASCII fast path at both ends.
#[inline]
pub(crate) fn trim_ws(s: &str) -> &str {
    let s = trim_start_ws(s);
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        end -= 1;
    }
    match end.checked_sub(1).map(|i| b[i]) {
        Some(last) if last >= 0x80 => s[..end].trim_end(),
        _ => &s[..end],
    }
}

impl LineParser<'_, '_> {
    fn next_line(&mut self) -> Option<source::Line> {
        let l = self.src.line(self.next)?;
        self.next += 1;
        Some(l)
    }

    fn directive(&mut self, tok: &str, line: &source::Line, lead: usize) {
        let d = &mut self.directives;
        let Some((name, value)) = match_directive(tok) else {
            d.done = true;
            return;
        };
        let key = name.to_ascii_lowercase();
        let idx = match key.as_str() {
            "syntax" => 0,
            "escape" => 1,
            "check" => 2,
            _ => {
                d.done = true;
                return;
            }
        };
        let span = self
            .src
            .span(line.start + lead, line.content_end.max(line.start + lead));
        if d.seen[idx] {
            self.df.diagnostics.push(Diagnostic::error(
                "invalid-directive",
                format!("only one {key} parser directive can be used"),
                span,
            ));
            return;
        }
        d.seen[idx] = true;
        let dirs: &mut Directives = &mut self.df.directives;
        match idx {
            0 => dirs.syntax = Some(value.to_string()),
            1 => match value {
                "`" => dirs.escape = '`',
                "\\" => dirs.escape = '\\',
                _ => self.df.diagnostics.push(Diagnostic::error(
                    "invalid-directive",
                    format!("invalid escape token '{value}' does not match ` or \\"),
                    span,
                )),
            },
            _ => dirs.check = Some(value.to_string()),
        }
    }

    fn run(&mut self) {
        let text = self.src.text;
        while let Some(l) = self.next_line() {
            let line_idx = self.next - 1;
            let raw = &text[l.start..l.content_end];
            let tok = trim_start_ws(raw);
            let lead = raw.len() - tok.len();
            if !self.directives.done {
                self.directive(tok, &l, lead);
            }
            if tok.starts_with('#') {
                continue;
            }
            let esc = self.df.directives.escape;
            let (first, mut cont) = trim_continuation(tok, esc);
            if !cont && first.is_empty() {
                continue;
            }
            let kw_start = l.start + lead;
            let mut last_end = l.content_end;
            let mut empty_line: Option<source::Line> = None;
            // Most instructions are one line: only continued ones need a joined copy.
            let mut buf: Option<String> = None;
            while cont {
                let joined = buf.get_or_insert_with(|| first.to_string());
                let Some(c) = self.next_line() else { break };
                last_end = c.content_end;
                let craw = &text[c.start..c.content_end];
                let ctrim = trim_start_ws(craw);
                if ctrim.starts_with('#') {
                    continue;
                }
                if ctrim.is_empty() {
                    empty_line.get_or_insert(c);
                    continue;
                }
                let (part, k) = trim_continuation(craw, esc);
                joined.push_str(part);
                cont = k;
            }
            let joined: &str = buf.as_deref().unwrap_or(first);
            if let Some(e) = empty_line {
                self.df.diagnostics.push(Diagnostic::warning(
                    "empty-continuation-line",
                    "empty continuation line inside this instruction (BuildKit warns: empty continuation lines will become errors in a future release)",
                    self.src.span(e.start, e.content_end),
                ));
            }

            // Unchanged instruction text parses the same (its positions move with it);
            // heredocs read lines beyond it, so those are always parsed again.
            // `<<` (a possible heredoc), looked for at most once per line: here when
            // caching, else below for instructions that can have heredocs.
            let marker = self.cache.is_some().then(|| has_heredoc_marker(joined));
            let chunk = (marker == Some(false)).then(|| &text[l.start..last_end]);
            if let (Some(cache), Some(chunk)) = (self.cache.as_deref_mut(), chunk) {
                // In the last text (moved to this round's map: one hash for the usual
                // case), or seen earlier in this one (a repeated instruction).
                let hit = match cache.prev.remove_entry(chunk) {
                    Some((key, e)) => Some(&*cache.next.entry(key).or_insert(e)),
                    None => cache.next.get(chunk),
                };
                let hit = hit.filter(|h| h.escape == esc);
                if let Some(hit) = hit {
                    // `l` is line `line_idx`: its 1-based number needs no lookup.
                    debug_assert_eq!(self.src.span(l.start, l.start).line, line_idx as u32 + 1);
                    hit.push_moved_to(self.df, l.start, line_idx as u32 + 1);
                    continue;
                }
            }
            let diags_before = self.df.diagnostics.len();
            let parsed = node::parse_line(joined, esc, 0);
            let mut heredocs = Vec::new();
            let mut end = last_end;
            if parsed.can_contain_heredoc() && marker.unwrap_or_else(|| has_heredoc_marker(joined))
            {
                match heredoc::heredocs_from_line(joined) {
                    Ok(words) => {
                        for w in words {
                            let (h, e, terminated) = self.read_heredoc(w, kw_start);
                            end = e;
                            heredocs.push(h);
                            if !terminated {
                                // The rest of the file is consumed: later heredocs of this
                                // line cannot have a body either. One error is enough.
                                break;
                            }
                        }
                    }
                    Err(e) => self.df.diagnostics.push(Diagnostic::error(
                        "invalid-heredoc",
                        e,
                        self.src.span(kw_start, last_end),
                    )),
                }
            }
            // One physical line (the usual case): its span needs no line lookup.
            let single = (self.next - 1 == line_idx && end == l.content_end).then_some(line_idx);
            self.push(parsed, heredocs, (kw_start, last_end, end), single);
            if let (Some(cache), Some(chunk)) = (self.cache.as_deref_mut(), chunk) {
                let entry = CachedInstruction {
                    escape: esc,
                    start: l.start,
                    line: line_idx as u32 + 1,
                    node: self.df.nodes.last().expect("pushed").clone(),
                    instruction: self.df.instructions.last().expect("pushed").clone(),
                    diags: self.df.diagnostics[diags_before..].to_vec(),
                };
                cache.next.insert(Box::from(chunk), entry);
            }
        }
        if self.df.nodes.is_empty() {
            self.df.diagnostics.push(Diagnostic::error(
                "no-instructions",
                "file with no instructions",
                self.src.end_span(),
            ));
        }
    }

    /// Reads a heredoc body up to its terminator line. Returns the heredoc, the end offset
    /// of what was consumed and whether the terminator was found.
    fn read_heredoc(&mut self, w: HeredocWord, kw_start: usize) -> (Heredoc, usize, bool) {
        let text = self.src.text;
        let body_start = self.src.line_start(self.next);
        let mut content = String::new();
        let mut end = body_start;
        let mut terminated = false;
        while let Some(l) = self.next_line() {
            end = l.content_end;
            let mut cand = &text[l.start..l.content_end];
            if w.chomp {
                cand = cand.trim_start_matches('\t');
            }
            if cand == w.name {
                terminated = true;
                break;
            }
            content.push_str(&text[l.start..l.end]);
            end = l.end;
        }
        if !terminated {
            // Trailing line ending is not part of the span.
            end = text[..end]
                .trim_end_matches(['\n', '\r'])
                .len()
                .max(body_start);
            self.df.diagnostics.push(Diagnostic::error(
                "unterminated-heredoc",
                format!("unterminated heredoc: no line `{}` ends it", w.name),
                self.src.span(kw_start, end),
            ));
        }
        let span_start = body_start.min(end);
        let h = Heredoc {
            name: w.name,
            content,
            expand: w.expand,
            chomp: w.chomp,
            file_descriptor: w.file_descriptor,
            span: self.src.span(span_start, end),
        };
        (h, end, terminated)
    }

    /// `single`: the index of the one line the instruction is on, if so.
    fn push(
        &mut self,
        parsed: Parsed,
        heredocs: Vec<Heredoc>,
        (kw_start, text_end, end): (usize, usize, usize),
        single: Option<usize>,
    ) {
        let src = self.src;
        let span = match single {
            Some(li) => src.span_on_line(li, kw_start, end),
            None => src.span(kw_start, end),
        };
        let original = &src.text[kw_start..text_end];
        let instruction = {
            let mut ctx = typed::Ctx {
                src,
                text_start: kw_start,
                text_end,
                span,
                diags: &mut self.df.diagnostics,
                as_warning: false,
                last_mount: &mut self.last_mount,
            };
            typed::build_instruction(&parsed, &heredocs, original, span, &mut ctx)
        };
        let node = to_node(parsed, heredocs, src, (kw_start, text_end, end), span);
        self.df.nodes.push(node);
        self.df.instructions.push(instruction);
    }
}

/// Moves a parsed line into a [`Node`]; an ONBUILD trigger gets a span starting at its
/// keyword.
fn to_node(
    p: Parsed,
    heredocs: Vec<Heredoc>,
    src: &Source,
    (start, text_end, end): (usize, usize, usize),
    span: Span,
) -> Node {
    let original = src.text.get(start..text_end).unwrap_or_default();
    let inner = p.inner.map(|i| {
        let skip = p.keyword_raw.len().min(original.len());
        let off = original
            .get(skip..)
            .and_then(|t| t.find(i.keyword_raw))
            .map_or(0, |o| o + skip);
        let s = start + off;
        Box::new(to_node(
            *i,
            Vec::new(),
            src,
            (s, text_end, end),
            src.span(s, end),
        ))
    });
    Node {
        keyword: p.keyword,
        flags: p.flags,
        args: p.args,
        json: p.json,
        heredocs,
        inner,
        original: original.to_string(),
        span,
    }
}

/// Groups instructions into stages, collects global ARGs, and checks that every other
/// instruction comes after a FROM.
fn group_stages(df: &mut Dockerfile) {
    let mut stages: Vec<Stage> = Vec::new();
    let mut diags = Vec::new();
    for (idx, ins) in df.instructions.iter_mut().enumerate() {
        let is_from = df.nodes[idx].keyword == "from";
        if stages.is_empty() && df.nodes[idx].keyword == "arg" {
            df.meta_args.push(idx);
            continue;
        }
        if is_from {
            let name = match &ins.command {
                Command::From(f) => f.name.clone(),
                _ => None,
            };
            if let Some(n) = &name {
                if stages.iter().any(|st| st.name.as_ref() == Some(n)) {
                    // BuildKit lint rule DuplicateStageName (a warning there too).
                    diags.push(Diagnostic::warning(
                        "duplicate-stage-name",
                        format!(
                            "Duplicate stage name {}, stage names should be unique",
                            crate::dump::go_quote(n)
                        ),
                        ins.span,
                    ));
                }
            }
            let index = stages.len();
            // The stage's commands are the instructions up to the next FROM: sized once.
            let count = df.nodes[idx + 1..]
                .iter()
                .position(|n| n.keyword == "from")
                .unwrap_or(df.nodes.len() - idx - 1);
            stages.push(Stage {
                index,
                name,
                from: idx,
                commands: Vec::with_capacity(count),
            });
            set_stage(ins, index);
            continue;
        }
        match stages.last_mut() {
            Some(st) => {
                st.commands.push(idx);
                set_stage(ins, st.index);
            }
            None => {
                if !matches!(ins.command, Command::Invalid { .. }) {
                    diags.push(Diagnostic::error(
                        "no-build-stage",
                        format!(
                            "no build stage in current context: {} before the first FROM (only ARG may come before FROM)",
                            ins.keyword
                        ),
                        ins.span,
                    ));
                }
            }
        }
    }
    if stages.is_empty() && !df.instructions.is_empty() {
        let span = df.instructions[df.instructions.len() - 1].span;
        diags.push(Diagnostic::error(
            "no-build-stage",
            "dockerfile contains no stages to build: add a FROM instruction",
            span,
        ));
    }
    df.stages = stages;
    df.diagnostics.extend(diags);
}

fn set_stage(ins: &mut Instruction, stage: usize) {
    ins.stage = Some(stage);
    if let Command::Onbuild { trigger } = &mut ins.command {
        trigger.stage = Some(stage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_regex() {
        assert_eq!(match_directive("# escape=`"), Some(("escape", "`")));
        assert_eq!(match_directive("#escape = ` "), Some(("escape", "`")));
        assert_eq!(
            match_directive("# syntax = docker/dockerfile:1"),
            Some(("syntax", "docker/dockerfile:1"))
        );
        assert_eq!(match_directive("# not a directive"), None);
        assert_eq!(match_directive("#!/bin/sh"), None);
        assert_eq!(match_directive("# 1x=2"), None);
    }

    #[test]
    fn continuation() {
        assert_eq!(trim_continuation("foo \\", '\\'), ("foo ", true));
        assert_eq!(trim_continuation("foo \\  \t", '\\'), ("foo ", true));
        assert_eq!(trim_continuation("\\", '\\'), ("", true));
        assert_eq!(trim_continuation("foo\\\\", '\\'), ("foo\\\\", false));
        assert_eq!(trim_continuation("foo `", '`'), ("foo ", true));
        assert_eq!(trim_continuation("foo \\", '`'), ("foo \\", false));
    }
}
