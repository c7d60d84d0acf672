//! `.dockerignore` reading and matching with the semantics of moby/patternmatcher (used by
//! both the classic builder and BuildKit), plus Go's `filepath.Match` for COPY source globs.
//!
//! - [`read_ignore_file`]: `ignorefile.ReadAll` — comments, blank lines, `/` prefixes,
//!   `! pattern` → `!pattern`, path cleaning.
//! - [`PatternMatcher`]: `patternmatcher.New` + `MatchesOrParentMatches` (and the
//!   deprecated `Matches`). Later patterns override earlier ones, `!` re-includes, and a
//!   path is excluded when it or one of its parent directories matches.
//! - [`filepath_match`]: Go's `filepath.Match` with `/` as the separator.
//!
//! Matching follows moby's design: a pattern is an exact string, a `prefix**`, a
//! `**suffix`, or else a Go regexp built from the pattern; the regexp is evaluated by the
//! small engine in `ignore/regex.rs`, so odd patterns (`[*]`, `\d`, a stray `^`) behave as
//! they do in Docker. Unix semantics: `/` is the separator and `\` escapes.
//!
//! Known divergences (documented in `docs/FUZZING.md` too):
//! - Unicode classes in a pattern (`\pL`) are reported as a bad pattern instead of matched.
//! - `ReadAll` fails in Go on a line longer than 64 KiB (`bufio.Scanner: token too long`);
//!   here such a line is read like any other.

mod fnmatch;
mod literals;
mod regex;

use std::fmt;

/// An invalid pattern (`filepath.ErrBadPattern` or `illegal exclusion pattern: "!"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatternError {}

/// Go's `filepath.ErrBadPattern` message.
pub const BAD_PATTERN: &str = "syntax error in pattern";

fn bad_pattern() -> PatternError {
    PatternError {
        message: BAD_PATTERN.to_string(),
    }
}

/// Go's `filepath.Match(pattern, name)` with `/` as the separator: `*` never matches `/`,
/// `?` matches one character except `/`, `[a-z]`/`[^a-z]` classes, `\` escapes. A malformed
/// pattern is an error even when the name would not match.
pub fn filepath_match(pattern: &str, name: &str) -> Result<bool, PatternError> {
    fnmatch::go_match(pattern, name).map_err(|_| bad_pattern())
}

/// Go's `filepath.Clean` with `/` as the separator: the shortest equivalent path (`.` for
/// an empty result, `..` kept where it cannot be resolved, `/..` at the root is `/`).
pub fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    // Most paths and patterns are clean already.
    if is_clean_relative(path) {
        return path.to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(&p) if p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Whether `path` is relative and clean: non-empty segments, none `.` or `..` (so
/// [`clean_path`] returns it unchanged).
pub(crate) fn is_clean_relative(path: &str) -> bool {
    clean_relative_parent(path).is_some()
}

/// For a relative, clean `path`, where its parent ends: `Some(Some(i))` for `path[..i]`,
/// `Some(None)` when it has no `/`; `None` when the path is not clean. One pass.
pub(crate) fn clean_relative_parent(path: &str) -> Option<Option<usize>> {
    // Segments are only looked at where they end: a byte is one comparison with `/`.
    let b = path.as_bytes();
    let (mut start, mut last) = (0usize, None);
    for (i, &c) in b.iter().enumerate() {
        if c == b'/' {
            if !is_name(&b[start..i]) {
                return None;
            }
            (start, last) = (i + 1, Some(i));
        }
    }
    is_name(&b[start..]).then_some(last)
}

/// A path segment that is neither empty nor `.` nor `..`.
fn is_name(segment: &[u8]) -> bool {
    !matches!(segment, b"" | b"." | b"..")
}

/// Go's `filepath.Dir`: everything before the last `/`, cleaned.
pub fn dir_path(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => clean_path(&path[..=i]),
        None => ".".to_string(),
    }
}

/// Reads a `.dockerignore` file like moby's `ignorefile.ReadAll`: a UTF-8 byte-order mark is
/// dropped from the first line; lines starting with `#` are comments; every other line is
/// trimmed, skipped when empty, cleaned, and loses a leading `/`; `! pattern` becomes
/// `!pattern`. A bare `!` is kept, for [`PatternMatcher::new`] to reject.
pub fn read_ignore_file(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // bufio.ScanLines: split on '\n', drop one trailing '\r', no empty final line.
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut cleaned = String::new();
        if !pattern.is_empty() {
            cleaned = clean_path(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
        }
        out.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    out
}

/// How one pattern is matched (moby's `matchType`).
#[derive(Debug)]
enum Kind {
    /// The path equals the pattern.
    Exact,
    /// `dir/**`: the path starts with the pattern minus its trailing `**`.
    Prefix,
    /// `**/name`: the path ends with the pattern minus its leading `**`, or is that suffix
    /// minus its `/`.
    Suffix,
    /// A Go regexp (it rejects paths lacking one of its literal runs before running the
    /// NFA, which keeps many patterns × many paths fast).
    Regex(regex::Regex),
}

#[derive(Debug)]
struct Rule {
    exclusion: bool,
    /// The cleaned pattern without its `!`.
    cleaned: String,
    /// Number of `/`-separated components of `cleaned`.
    dirs: usize,
    /// `None` when the generated regexp does not compile: every match attempt then fails
    /// with `ErrBadPattern`, like moby's lazily compiled pattern.
    kind: Option<Kind>,
}

impl Rule {
    fn matches(&self, path: &str, scratch: &mut regex::Scratch) -> Result<bool, PatternError> {
        let pat = self.cleaned.as_bytes();
        let path_b = path.as_bytes();
        match &self.kind {
            None => Err(bad_pattern()),
            Some(Kind::Exact) => Ok(path == self.cleaned),
            Some(Kind::Prefix) => Ok(path_b.starts_with(&pat[..pat.len().saturating_sub(2)])),
            Some(Kind::Suffix) => {
                let suffix = pat.get(2..).unwrap_or_default();
                Ok(path_b.ends_with(suffix)
                    || (suffix.first() == Some(&b'/') && path_b == &suffix[1..]))
            }
            Some(Kind::Regex(re)) => Ok(re.is_match_with(path, scratch)),
        }
    }

    /// A string every path this rule matches contains (`""`: no such literal is known).
    /// Derived from the same parts of the pattern that [`Rule::matches`] compares.
    fn required_literal(&self) -> &str {
        let pat = self.cleaned.as_str();
        match &self.kind {
            None => "",
            Some(Kind::Exact) => pat,
            Some(Kind::Prefix) => pat.get(..pat.len().saturating_sub(2)).unwrap_or(""),
            Some(Kind::Suffix) => {
                let suffix = pat.get(2..).unwrap_or("");
                suffix.strip_prefix('/').unwrap_or(suffix)
            }
            Some(Kind::Regex(re)) => re.longest_literal(),
        }
    }
}

/// How moby's `Pattern.compile` (with `/` as the separator) treats a cleaned pattern (no
/// `!`): the match kind (`exactMatch`, `prefixMatch`, `suffixMatch` or `regexpMatch`) and the
/// Go regexp it builds (only meaningful for `regexpMatch`). For explanations and tests.
pub fn match_kind(pattern: &str) -> (&'static str, String) {
    translate(pattern)
}

fn translate(pattern: &str) -> (&'static str, String) {
    // text/scanner drops a byte-order mark at the start.
    let body = pattern.strip_prefix('\u{FEFF}').unwrap_or(pattern);
    // (Room for a few translated stars without growing.)
    let mut re = String::with_capacity(body.len() + 16);
    re.push('^');
    let mut kind = "exactMatch";
    let mut chars = body.chars().peekable();
    let mut first = true;
    while let Some(ch) = chars.next() {
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                // `**/` is treated as `**`.
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    // Trailing `**`: anything, like .gitignore.
                    if kind == "exactMatch" {
                        kind = "prefixMatch";
                    } else {
                        re.push_str(".*");
                        kind = "regexpMatch";
                    }
                } else {
                    // Any number of directories, even none.
                    re.push_str("(.*/)?");
                    kind = "regexpMatch";
                }
                if first {
                    kind = "suffixMatch";
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = "regexpMatch";
            }
            '?' => {
                re.push_str("[^/]");
                kind = "regexpMatch";
            }
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => match chars.next() {
                Some(next) => {
                    re.push('\\');
                    re.push(next);
                    kind = "regexpMatch";
                }
                None => re.push('\\'),
            },
            '[' | ']' => {
                re.push(ch);
                kind = "regexpMatch";
            }
            other => re.push(other),
        }
        first = false;
    }
    if kind == "regexpMatch" {
        re.push('$');
    }
    (kind, re)
}

/// An ordered list of `.dockerignore` patterns (moby's `patternmatcher.PatternMatcher`).
#[derive(Debug)]
pub struct PatternMatcher {
    rules: Vec<Rule>,
    patterns: Vec<String>,
    exclusions: bool,
}

impl PatternMatcher {
    /// `patternmatcher.New`: each pattern is trimmed (empty ones are dropped) and cleaned; a
    /// leading `!` makes it an exclusion (re-inclusion); `!` alone and patterns that Go's
    /// `filepath.Match` rejects are errors.
    pub fn new(patterns: &[String]) -> Result<PatternMatcher, PatternError> {
        let mut rules = Vec::with_capacity(patterns.len());
        let mut kept = Vec::with_capacity(patterns.len());
        let mut exclusions = false;
        for p in patterns {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            // moby cleans before looking at the `!`.
            let cleaned_full = clean_path(p);
            let (exclusion, cleaned) = match cleaned_full.strip_prefix('!') {
                Some("") => {
                    return Err(PatternError {
                        message: "illegal exclusion pattern: \"!\"".to_string(),
                    })
                }
                Some(rest) => (true, rest.to_string()),
                None => (false, cleaned_full.clone()),
            };
            exclusions |= exclusion;
            // Only a class or an escape can make Go's `filepath.Match` reject a pattern.
            if cleaned.contains(['[', '\\']) {
                filepath_match(&cleaned, ".")?;
            }
            let (tag, source) = translate(&cleaned);
            let kind = match tag {
                "exactMatch" => Some(Kind::Exact),
                "prefixMatch" => Some(Kind::Prefix),
                "suffixMatch" => Some(Kind::Suffix),
                // The token compiler natively only: the playground builds a matcher once
                // per `.dockerignore` edit, and there the parser (its reference) is 1.9 KB
                // of bundle less.
                _ => (if cfg!(target_arch = "wasm32") {
                    None
                } else {
                    regex::Regex::new_simple(&source)
                })
                .or_else(|| regex::Regex::new(&source).ok())
                .map(Kind::Regex),
            };
            rules.push(Rule {
                exclusion,
                dirs: cleaned.bytes().filter(|&c| c == b'/').count() + 1,
                cleaned,
                kind,
            });
            kept.push(cleaned_full);
        }
        Ok(PatternMatcher {
            rules,
            patterns: kept,
            exclusions,
        })
    }

    /// `MatchesOrParentMatches`: whether `path` (slash-separated, relative to the context)
    /// is matched — by the last pattern that matches it or one of its parent directories —
    /// and not re-included by a later `!` pattern.
    pub fn matches_or_parent_matches(&self, path: &str) -> Result<bool, PatternError> {
        Ok(self
            .deciding_pattern(path)?
            .is_some_and(|i| !self.rules[i].exclusion))
    }

    /// The index (into [`PatternMatcher::patterns`]) of the pattern that decided
    /// [`PatternMatcher::matches_or_parent_matches`] for `path`: the last pattern that
    /// matched, or `None` when none did. Useful to explain why a file is (not) excluded.
    pub fn deciding_pattern(&self, path: &str) -> Result<Option<usize>, PatternError> {
        let mut matched = false;
        let mut scratch = regex::Scratch::default();
        let mut decided = None;
        let parent = dir_path(path);
        // Byte offsets where the parent's successive prefixes end.
        let mut prefix_ends: Vec<usize> = parent.match_indices('/').map(|(i, _)| i).collect();
        prefix_ends.push(parent.len());
        for (i, rule) in self.rules.iter().enumerate() {
            // An inclusion cannot change an already matched path, nor an exclusion an
            // unmatched one.
            if rule.exclusion != matched {
                continue;
            }
            let mut m = rule.matches(path, &mut scratch)?;
            if !m && parent != "." {
                m = prefix_ends
                    .iter()
                    .any(|&end| rule.matches(&parent[..end], &mut scratch).unwrap_or(false));
            }
            if m {
                matched = !rule.exclusion;
                decided = Some(i);
            }
        }
        Ok(decided)
    }

    /// A matcher for many paths of one context: the same answers as
    /// [`PatternMatcher::matches_or_parent_matches`] (`unwrap_or(false)`), but each path is
    /// only tried against the patterns whose required literal it contains, and each parent
    /// directory is decided once.
    pub fn batch(&self) -> BatchMatcher<'_> {
        BatchMatcher::new(self)
    }

    /// `MatchesExact`: like [`PatternMatcher::matches_or_parent_matches`] without looking
    /// at parent directories.
    pub fn matches_exact(&self, path: &str) -> Result<bool, PatternError> {
        let mut matched = false;
        let mut scratch = regex::Scratch::default();
        for rule in &self.rules {
            if rule.exclusion != matched {
                continue;
            }
            if rule.matches(path, &mut scratch)? {
                matched = !rule.exclusion;
            }
        }
        Ok(matched)
    }

    /// The deprecated `Matches`: like [`PatternMatcher::matches_or_parent_matches`] but it
    /// only tries the one parent directory with as many components as the pattern.
    pub fn matches(&self, path: &str) -> Result<bool, PatternError> {
        let mut matched = false;
        let mut scratch = regex::Scratch::default();
        let parent = dir_path(path);
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        for rule in &self.rules {
            if rule.exclusion != matched {
                continue;
            }
            let mut m = rule.matches(path, &mut scratch)?;
            if !m && parent != "." && rule.dirs <= parent_dirs.len() {
                m = rule
                    .matches(&parent_dirs[..rule.dirs].join("/"), &mut scratch)
                    .unwrap_or(false);
            }
            if m {
                matched = !rule.exclusion;
            }
        }
        Ok(matched)
    }

    /// Whether any pattern is an exclusion (`!pattern`).
    pub fn exclusions(&self) -> bool {
        self.exclusions
    }

    /// The active patterns, trimmed and cleaned, exclusions with their `!`.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

/// [`PatternMatcher::matches_or_parent_matches`] over many paths (see
/// [`PatternMatcher::batch`]).
///
/// Why this is exact: a rule matches a path when it matches the path itself or one of its
/// parent directories, and the verdict is the polarity of the last rule (in file order) that
/// matches (an inclusion after a match, or an exclusion before one, changes nothing, which
/// is why moby skips those). So the last matching rule of a path is the later of the last
/// rule matching its parent chain (remembered per directory) and the last rule matching the
/// path itself; only rules after the former need trying, and only those whose literal the
/// path contains. When a pattern fails to compile, every query goes to the plain matcher,
/// which reports the error where moby does.
///
/// A directory's answer comes from its chain of prefixes ([`Chain`]): paths come sorted, so
/// the next directory shares most of the chain and only its new components are read.
pub struct BatchMatcher<'a> {
    m: &'a PatternMatcher,
    /// `None` when some rule is invalid (then every query is delegated).
    literals: Option<literals::LiteralSet>,
    /// Rules by literal id (equal literals are shared).
    by_literal: ByLiteral,
    /// Rules with no required literal: always candidates.
    always: Vec<usize>,
    /// The literals that can end inside a file's name (see [`Parent::quiet`]), as what must
    /// come before the name for that (`""`: nothing, the literal has no `/`; else its text
    /// up to its last `/`, which must end the parent directory plus `/`) and the last rule
    /// with that literal.
    name_literals: Vec<(&'a str, usize)>,
    /// The prefixes of the last directory asked for, with their answers.
    chain: Chain,
    /// The parent of the last clean relative path with one: sibling files (paths usually
    /// come sorted) only read their own name.
    parent: Parent,
    scratch: regex::Scratch,
    candidates: Vec<usize>,
}

/// Rule indices grouped by literal id, in rule order: `by_literal[id]`, in two vectors
/// instead of one per literal.
struct ByLiteral {
    /// Where each id's rules start in `rules` (one more entry than there are ids).
    starts: Vec<u32>,
    rules: Vec<usize>,
}

impl ByLiteral {
    /// From each rule's literal id (`u32::MAX`: none) and the number of ids.
    fn new(id_of: &[u32], ids: usize) -> ByLiteral {
        let mut starts = vec![0u32; ids + 1];
        for &id in id_of.iter().filter(|&&id| id != u32::MAX) {
            starts[id as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut rules = vec![0; starts[ids] as usize];
        for (i, &id) in id_of.iter().enumerate().filter(|(_, &id)| id != u32::MAX) {
            rules[next[id as usize] as usize] = i;
            next[id as usize] += 1;
        }
        ByLiteral { starts, rules }
    }
}

impl std::ops::Index<usize> for ByLiteral {
    type Output = [usize];
    fn index(&self, id: usize) -> &[usize] {
        &self.rules[self.starts[id] as usize..self.starts[id + 1] as usize]
    }
}

/// The last directory `dir` given to [`BatchMatcher::dir_last`], by its prefixes that end
/// before a `/` and itself (`a`, `a/b` for `a/b`; `""`, `/a` for `/a`, as in moby).
#[derive(Default)]
struct Chain {
    dir: String,
    levels: Vec<Level>,
    /// The rules whose literal occurs in a prefix: level `k`'s are `found[..levels[k].found]`.
    found: Vec<usize>,
}

/// One prefix `dir[..end]` of a [`Chain`].
#[derive(Clone, Copy)]
struct Level {
    end: usize,
    /// The last rule (plus one) matching this prefix or a shorter one (0: none).
    last: usize,
    /// The literal automaton's state after reading the prefix.
    state: u32,
    /// How many of [`Chain::found`] are this prefix's.
    found: usize,
}

/// A clean relative directory `dir` (not empty): its [`BatchMatcher::dir_last`] answer, the
/// literal automaton's state after reading `dir/`, and the rules at or after that answer
/// whose literal occurs in `dir/`.
#[derive(Default)]
struct Parent {
    valid: bool,
    dir: String,
    floor: usize,
    state: u32,
    rules: Vec<usize>,
    /// No rule at or after `floor` can be found by reading a name in `dir`: none lacks a
    /// literal, and no such literal can end inside a name (a name has no `/`: a literal
    /// ending there either has no `/` or its text up to its last `/` ends `dir/`). Then a
    /// file's candidates are `rules` alone, and without any the whole directory shares one
    /// verdict.
    quiet: bool,
}

impl<'a> BatchMatcher<'a> {
    fn new(m: &'a PatternMatcher) -> BatchMatcher<'a> {
        let valid = m.rules.iter().all(|r| r.kind.is_some());
        let n = m.rules.len();
        let mut lits: Vec<&str> = Vec::with_capacity(n);
        let mut ids: crate::sim::hash::FxHashMap<&str, u32> = Default::default();
        ids.reserve(n);
        // Each rule's literal id (`u32::MAX`: none), then the rules grouped by id.
        let mut id_of = Vec::with_capacity(n);
        let mut always = Vec::new();
        let mut name_literals = Vec::new();
        for (i, r) in m.rules.iter().enumerate() {
            let l = r.required_literal();
            if l.is_empty() {
                always.push(i);
                id_of.push(u32::MAX);
                continue;
            }
            // A literal ending in `/` never ends inside a name.
            if !l.ends_with('/') {
                name_literals.push((l.rfind('/').map_or("", |j| &l[..=j]), i));
            }
            id_of.push(*ids.entry(l).or_insert_with(|| {
                lits.push(l);
                lits.len() as u32 - 1
            }));
        }
        let by_literal = ByLiteral::new(&id_of, lits.len());
        BatchMatcher {
            m,
            literals: valid.then(|| literals::LiteralSet::new(&lits)),
            by_literal,
            always,
            name_literals,
            chain: Chain::default(),
            parent: Parent::default(),
            scratch: Default::default(),
            candidates: Vec::new(),
        }
    }

    /// `matches_or_parent_matches(path).unwrap_or(false)`.
    pub fn matches_or_parent_matches(&mut self, path: &str) -> bool {
        if self.literals.is_none() {
            return self.m.matches_or_parent_matches(path).unwrap_or(false);
        }
        // A sibling of the previous path: its parent is known to be clean and relative, and
        // the path is too when its name is not empty, `.` or `..` (and has no `/`).
        // (A plain loop: names are short, and `rfind`'s `memrchr` costs more on them.)
        if let Some(i) = path.as_bytes().iter().rposition(|&c| c == b'/') {
            let name = &path[i + 1..];
            if self.parent.valid && self.parent.dir == path[..i] && !matches!(name, "" | "." | "..")
            {
                let last = self.last_in_parent(path, i + 1);
                return self.verdict(last);
            }
        }
        // `dir_path` cleans, which allocates; a clean relative path's parent is a slice.
        let (floor, last) = match clean_relative_parent(path) {
            Some(Some(i)) => {
                self.set_parent(&path[..i]);
                let last = self.last_in_parent(path, i + 1);
                return self.verdict(last);
            }
            Some(None) => (0, self.last_match(path, 0)),
            None => {
                let floor = match dir_path(path).as_str() {
                    "." => 0,
                    parent => self.dir_last(parent),
                };
                (floor, self.last_match(path, floor))
            }
        };
        self.verdict(last.max(floor))
    }

    /// [`Self::matches_or_parent_matches`] for a path the caller knows to be clean and
    /// relative, whose parent ends at `parent` (`None`: no `/`). `sibling` says the previous
    /// query was a path with the same parent (then the parent is not compared again).
    pub fn matches_clean(&mut self, path: &str, parent: Option<usize>, sibling: bool) -> bool {
        if self.literals.is_none() {
            return self.m.matches_or_parent_matches(path).unwrap_or(false);
        }
        let Some(i) = parent else {
            let last = self.last_match(path, 0);
            return self.verdict(last);
        };
        let p = &self.parent;
        let known = p.valid && p.dir.len() == i && (sibling || p.dir == path[..i]);
        if !known {
            self.set_parent(&path[..i]);
        }
        let last = self.last_in_parent(path, i + 1);
        self.verdict(last)
    }

    /// The answer for every name in the parent directory of the last clean path asked
    /// for, when the directory decides it alone (no rule can be found by reading a name
    /// there): then a sibling of that path needs no query.
    pub fn parent_verdict(&self) -> Option<bool> {
        let p = &self.parent;
        (self.literals.is_some() && p.valid && p.quiet && p.rules.is_empty())
            .then(|| self.verdict(p.floor))
    }

    /// Whether rule `last - 1` (if any) excludes.
    fn verdict(&self, last: usize) -> bool {
        last > 0 && !self.m.rules[last - 1].exclusion
    }

    /// Remembers `dir` (clean, relative) as [`Self::parent`].
    fn set_parent(&mut self, dir: &str) {
        let floor = self.dir_last(dir);
        let (Some(set), Some(top)) = (&self.literals, self.chain.levels.last()) else {
            return;
        };
        let p = &mut self.parent;
        p.valid = true;
        p.dir.clear();
        p.dir.push_str(dir);
        p.floor = floor;
        p.rules.clear();
        p.rules
            .extend(self.chain.found.iter().filter(|&&i| i >= floor));
        let (rules, by_literal) = (&mut p.rules, &self.by_literal);
        p.state = set.scan(top.state, b"/", |id| {
            rules.extend(by_literal[id as usize].iter().filter(|&&i| i >= floor))
        });
        p.quiet = self.always.last().is_none_or(|&i| i < floor)
            && self.name_literals.iter().all(|&(head, i)| {
                // `dir/` ends with `head` (empty: always).
                i < floor || head.strip_suffix('/').is_some_and(|h| !dir.ends_with(h))
            });
    }

    /// `last_match(path, floor).max(floor)` for a path in [`Self::parent`] whose name
    /// starts at `name`: only the name is read.
    fn last_in_parent(&mut self, path: &str, name: usize) -> usize {
        let floor = self.parent.floor;
        let Some(set) = &self.literals else {
            return 0;
        };
        if self.parent.quiet {
            // Only the rules found in the directory can match; none: the directory's answer.
            if self.parent.rules.is_empty() {
                return floor;
            }
            self.candidates.clear();
            self.candidates.extend_from_slice(&self.parent.rules);
            return try_candidates(&self.m.rules, &mut self.candidates, &mut self.scratch, path)
                .max(floor);
        }
        let cands = &mut self.candidates;
        cands.clear();
        cands.extend(self.always.iter().filter(|&&i| i >= floor));
        cands.extend_from_slice(&self.parent.rules);
        let by_literal = &self.by_literal;
        set.scan(self.parent.state, &path.as_bytes()[name..], |id| {
            cands.extend(by_literal[id as usize].iter().filter(|&&i| i >= floor))
        });
        try_candidates(&self.m.rules, cands, &mut self.scratch, path).max(floor)
    }

    /// The last rule (plus one) matching `dir` or one of its parents: the prefixes of
    /// `dir` that end before a `/` (for `/a` that includes `""`, as in moby). The levels of
    /// the previous directory that are prefixes of `dir` are kept; only the rest is read.
    fn dir_last(&mut self, dir: &str) -> usize {
        let Some(set) = &self.literals else {
            return 0;
        };
        let c = &mut self.chain;
        let b = dir.as_bytes();
        let common = c
            .dir
            .bytes()
            .zip(b)
            .position(|(x, &y)| x != y)
            .unwrap_or(c.dir.len().min(b.len()));
        while let Some(l) = c.levels.last() {
            if l.end <= common && (l.end == b.len() || b[l.end] == b'/') {
                break;
            }
            c.levels.pop();
        }
        let mut top = match c.levels.last() {
            Some(l) if l.end == b.len() => {
                c.found.truncate(l.found);
                c.dir.truncate(l.end);
                return l.last;
            }
            Some(&l) => l,
            None => Level {
                end: 0,
                last: 0,
                state: literals::START,
                found: 0,
            },
        };
        c.found.truncate(top.found);
        c.dir.clear();
        c.dir.push_str(dir);
        // The next prefix ends at the next `/` after the current one's end (the first
        // prefix: at the first `/`, which may be at 0).
        let mut from = if c.levels.is_empty() { 0 } else { top.end + 1 };
        loop {
            let end = b[from.min(b.len())..]
                .iter()
                .position(|&x| x == b'/')
                .map_or(b.len(), |i| from + i);
            let (found, by_literal) = (&mut c.found, &self.by_literal);
            let state = set.scan(top.state, &b[top.end..end], |id| {
                found.extend_from_slice(&by_literal[id as usize])
            });
            let floor = top.last;
            let cands = &mut self.candidates;
            cands.clear();
            cands.extend(self.always.iter().filter(|&&i| i >= floor));
            cands.extend(found.iter().filter(|&&i| i >= floor));
            let last = try_candidates(&self.m.rules, cands, &mut self.scratch, &dir[..end]);
            top = Level {
                end,
                last: last.max(floor),
                state,
                found: found.len(),
            };
            c.levels.push(top);
            if end == b.len() {
                return top.last;
            }
            from = end + 1;
        }
    }

    /// The last rule (plus one) after rule `floor - 1` that matches `s` itself (0: none).
    fn last_match(&mut self, s: &str, floor: usize) -> usize {
        let Some(set) = &self.literals else {
            return 0;
        };
        let cands = &mut self.candidates;
        cands.clear();
        cands.extend(self.always.iter().filter(|&&i| i >= floor));
        let by_literal = &self.by_literal;
        set.scan(literals::START, s.as_bytes(), |id| {
            cands.extend(by_literal[id as usize].iter().filter(|&&i| i >= floor))
        });
        try_candidates(&self.m.rules, cands, &mut self.scratch, s)
    }
}

/// The last rule (plus one) among `cands` (rule indices) that matches `s` (0: none).
fn try_candidates(
    rules: &[Rule],
    cands: &mut Vec<usize>,
    scratch: &mut regex::Scratch,
    s: &str,
) -> usize {
    if cands.is_empty() {
        return 0;
    }
    crate::order::sort_unstable(cands);
    cands.dedup();
    for &i in cands.iter().rev() {
        if rules[i].matches(s, scratch).unwrap_or(false) {
            return i + 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go() {
        for (input, want) in [
            ("", "."),
            (".", "."),
            ("/", "/"),
            ("a/b/", "a/b"),
            ("a//b", "a/b"),
            ("./a", "a"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("../../a/./b/..", "../../a"),
            ("!dir/../x", "x"),
            ("abc/", "abc"),
        ] {
            assert_eq!(clean_path(input), want, "{input:?}");
        }
        assert_eq!(dir_path("file/"), "file");
        assert_eq!(dir_path("file"), ".");
        assert_eq!(dir_path("/"), "/");
        assert_eq!(dir_path("a/b/c"), "a/b");
    }

    #[test]
    fn clean_relative_paths() {
        for p in ["a", "a/b", "a.b/..c/...", "é/x"] {
            assert!(is_clean_relative(p), "{p:?}");
            assert_eq!(clean_path(p), p);
            let parent = clean_relative_parent(p).unwrap().map_or(".", |i| &p[..i]);
            assert_eq!(parent, dir_path(p), "{p:?}");
        }
        for p in [
            "", "/", "/a", "a/", "a//b", ".", "..", "a/./b", "a/..", "./a",
        ] {
            assert!(!is_clean_relative(p), "{p:?}");
        }
    }

    #[test]
    fn batch_siblings_of_odd_names() {
        // Paths read after a sibling with a clean parent: only clean names take the
        // sibling shortcut; `.`, `..`, empty names and deeper paths do not.
        let paths = [
            "a/b", "a/.", "a/b", "a/..", "a/b", "a/", "a/b", "a/b/c", "a/b/..", "a/b/c", "a/b//c",
            "a/b/c", "a/b/./c", "a/x", "ab/a", "ab/ab", "b/a/b", "a/b/c/d", "a",
        ];
        let lists: [&[&str]; 6] = [
            &["a", "!a/b"],
            &["**/b", "!**/c"],
            &["a/*", "!a/b/c"],
            &["b", "a/b/c/d", "!ab/a"],
            &["*", "!a/b*"],
            &["a/b/*", "**/a/**", "!**/ab/**"],
        ];
        for list in lists {
            let pats: Vec<String> = list.iter().map(|p| p.to_string()).collect();
            let m = PatternMatcher::new(&pats).unwrap();
            let mut batch = m.batch();
            for p in paths {
                let want = m.matches_or_parent_matches(p).unwrap_or(false);
                assert_eq!(batch.matches_or_parent_matches(p), want, "{list:?} {p:?}");
            }
            // The same through `matches_clean`, as `Context::new` asks it: clean paths
            // only, `sibling` when the previous clean path had the same parent.
            let mut batch = m.batch();
            let mut prev: Option<Option<usize>> = None;
            let mut prev_path = "";
            for p in paths {
                let Some(parent) = clean_relative_parent(p) else {
                    continue;
                };
                let sibling = parent.is_some()
                    && prev == Some(parent)
                    && prev_path[..parent.unwrap()] == p[..parent.unwrap()];
                let want = m.matches_or_parent_matches(p).unwrap_or(false);
                assert_eq!(
                    batch.matches_clean(p, parent, sibling),
                    want,
                    "{list:?} {p:?}"
                );
                (prev, prev_path) = (Some(parent), p);
            }
        }
    }

    #[test]
    fn translation_kinds() {
        assert_eq!(translate("**"), ("suffixMatch", "^".to_string()));
        assert_eq!(translate("dir/**"), ("prefixMatch", "^dir/".to_string()));
        assert_eq!(translate("a*/b"), ("regexpMatch", "^a[^/]*/b$".to_string()));
        assert_eq!(translate("a(b)c/def").0, "exactMatch");
    }
}
