//! The part of Go's `regexp` (RE2 syntax, `Perl` flags) that moby/patternmatcher's generated
//! expressions can reach, without a regex crate.
//!
//! patternmatcher turns a pattern into a regexp by translating `*`, `?` and `**`, escaping
//! `.+()|{}$`, and copying everything else — `[`, `]`, `^` and `\x` escapes — verbatim. A
//! user's `[` therefore opens a real regexp class that may swallow translated text
//! (`[*]` becomes `^[[^/]*]$`), `\d` is a digit class, a lone `^` is a begin-of-text
//! assertion, and an inverted range (`[z-a]`) fails to compile. To give the same answers
//! this module parses that syntax like Go's `regexp/syntax` does:
//!
//! - literals, `.` (not `\n`), `^`/`$` (begin/end of text), groups, `|`, `*`, `+`, `?` (a
//!   repetition of a repetition is an error, a trailing `?` makes it lazy);
//! - classes with ranges, negation (which matches `\n`: Perl flags include `ClassNL`),
//!   escapes, `[:alpha:]`-style ASCII classes and `\d \s \w \D \S \W`;
//! - escapes: punctuation, octal, `\x41`, `\x{41}`, `\a \f \n \r \t \v`, `\A \z \b \B`,
//!   `\Q…\E`.
//!
//! Not supported: Unicode classes (`\pL`, `\p{Greek}`) are reported as a compile error
//! instead of being matched (a divergence only for such patterns); `(?flags)` cannot occur
//! because patternmatcher escapes every `(` of the pattern.
//!
//! Matching is a Thompson NFA simulation: `O(text × program)`, no backtracking.

/// A compile error (the pattern is then reported as `ErrBadPattern`).
#[derive(Debug)]
pub(crate) struct RegexError;

type R<T> = Result<T, RegexError>;

#[derive(Clone, Debug)]
enum CharSet {
    Lit(u32),
    AnyNotNl,
    Class(Vec<(u32, u32)>),
}

impl CharSet {
    fn contains(&self, c: u32) -> bool {
        match self {
            CharSet::Lit(l) => *l == c,
            CharSet::AnyNotNl => c != u32::from('\n'),
            CharSet::Class(ranges) => ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Assertion {
    BeginText,
    EndText,
    WordBoundary,
    NoWordBoundary,
}

#[derive(Debug)]
enum Node {
    Empty,
    Char(CharSet),
    Assert(Assertion),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    /// `min` is 0 or 1; `max_one` distinguishes `?` from `*`/`+`.
    Repeat {
        sub: Box<Node>,
        min: u8,
        max_one: bool,
    },
}

#[derive(Clone, Debug)]
enum Inst {
    Char(CharSet),
    Split(usize, usize),
    Jmp(usize),
    Assert(Assertion),
    Match,
}

/// A compiled expression.
#[derive(Debug)]
pub(crate) struct Regex {
    prog: Vec<Inst>,
    /// Runs of consecutive literal characters at the top level of the expression: every
    /// matching text contains each of them, so a cheap substring test can reject a text
    /// before the NFA runs.
    literals: Vec<String>,
}

/// The top-level literal runs of `node` (see [`Regex`]). Anything that is not a plain
/// literal (classes, groups, repetitions, assertions) ends a run, which keeps this sound.
fn required_literals(node: &Node) -> Vec<String> {
    let Node::Concat(items) = node else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut run = String::new();
    for item in items {
        match item {
            Node::Char(CharSet::Lit(c)) if char::from_u32(*c).is_some() => {
                run.extend(char::from_u32(*c));
            }
            _ => {
                if !run.is_empty() {
                    out.push(std::mem::take(&mut run));
                }
            }
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

const MAX_RUNE: u32 = 0x10FFFF;
const MAX_DEPTH: usize = 1000;

fn is_word(c: Option<u32>) -> bool {
    matches!(c.and_then(char::from_u32), Some(c) if c.is_ascii_alphanumeric() || c == '_')
}

fn negate(ranges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut sorted = ranges.to_vec();
    crate::order::sort_unstable(&mut sorted);
    let mut out = Vec::new();
    let mut next = 0u32;
    for (lo, hi) in sorted {
        if lo > next {
            out.push((next, lo - 1));
        }
        if hi >= next {
            next = hi.saturating_add(1);
        }
    }
    if next <= MAX_RUNE {
        out.push((next, MAX_RUNE));
    }
    out
}

fn posix_class(name: &str) -> Option<Vec<(u32, u32)>> {
    let r = |pairs: &[(char, char)]| -> Vec<(u32, u32)> {
        pairs.iter().map(|&(a, b)| (a as u32, b as u32)).collect()
    };
    let (neg, base) = match name.strip_prefix('^') {
        Some(b) => (true, b),
        None => (false, name),
    };
    let ranges = match base {
        "alnum" => r(&[('0', '9'), ('A', 'Z'), ('a', 'z')]),
        "alpha" => r(&[('A', 'Z'), ('a', 'z')]),
        "ascii" => r(&[('\0', '\x7f')]),
        "blank" => r(&[('\t', '\t'), (' ', ' ')]),
        "cntrl" => r(&[('\0', '\x1f'), ('\x7f', '\x7f')]),
        "digit" => r(&[('0', '9')]),
        "graph" => r(&[('!', '~')]),
        "lower" => r(&[('a', 'z')]),
        "print" => r(&[(' ', '~')]),
        "punct" => r(&[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')]),
        "space" => r(&[('\t', '\r'), (' ', ' ')]),
        "upper" => r(&[('A', 'Z')]),
        "word" => r(&[('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')]),
        "xdigit" => r(&[('0', '9'), ('A', 'F'), ('a', 'f')]),
        _ => return None,
    };
    Some(if neg { negate(&ranges) } else { ranges })
}

fn perl_class(c: char) -> Option<Vec<(u32, u32)>> {
    let base = match c.to_ascii_lowercase() {
        'd' => vec![('0' as u32, '9' as u32)],
        's' => vec![(9, 10), (12, 13), (32, 32)],
        'w' => vec![(48, 57), (65, 90), (95, 95), (97, 122)],
        _ => return None,
    };
    Some(if c.is_ascii_uppercase() {
        negate(&base)
    } else {
        base
    })
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

fn hex_val(c: char) -> Option<u32> {
    c.to_digit(16)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }
    fn peek2(&self) -> Option<char> {
        let mut it = self.s[self.pos..].chars();
        it.next();
        it.next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn parse_alt(&mut self) -> R<Node> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(RegexError);
        }
        let mut alts = vec![self.parse_concat()?];
        while self.peek() == Some('|') {
            self.bump();
            alts.push(self.parse_concat()?);
        }
        self.depth -= 1;
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    fn parse_concat(&mut self) -> R<Node> {
        let mut items: Vec<Node> = Vec::new();
        // Whether the last item is a repetition (Perl forbids `a**`).
        let mut last_repeat = false;
        while let Some(c) = self.peek() {
            match c {
                '|' | ')' => break,
                '*' | '+' | '?' => {
                    self.bump();
                    // A trailing `?` makes the repetition lazy; that changes which match is
                    // found, never whether one exists.
                    if self.peek() == Some('?') {
                        self.bump();
                    }
                    if last_repeat {
                        return Err(RegexError);
                    }
                    let sub = items.pop().ok_or(RegexError)?;
                    items.push(Node::Repeat {
                        sub: Box::new(sub),
                        min: u8::from(c == '+'),
                        max_one: c == '?',
                    });
                    last_repeat = true;
                    continue;
                }
                _ => {}
            }
            last_repeat = false;
            match c {
                '(' => {
                    self.bump();
                    if self.peek() == Some('?') {
                        // Flags and named groups: patternmatcher never produces them.
                        return Err(RegexError);
                    }
                    let inner = self.parse_alt()?;
                    if self.bump() != Some(')') {
                        return Err(RegexError);
                    }
                    items.push(inner);
                }
                '^' => {
                    self.bump();
                    items.push(Node::Assert(Assertion::BeginText));
                }
                '$' => {
                    self.bump();
                    items.push(Node::Assert(Assertion::EndText));
                }
                '.' => {
                    self.bump();
                    items.push(Node::Char(CharSet::AnyNotNl));
                }
                '[' => items.push(Node::Char(self.parse_class()?)),
                '\\' => self.parse_backslash(&mut items)?,
                other => {
                    self.bump();
                    items.push(Node::Char(CharSet::Lit(other as u32)));
                }
            }
        }
        Ok(Node::Concat(items))
    }

    fn parse_backslash(&mut self, items: &mut Vec<Node>) -> R<()> {
        match self.peek2() {
            Some('A') => {
                self.pos += 2;
                items.push(Node::Assert(Assertion::BeginText));
            }
            Some('z') => {
                self.pos += 2;
                items.push(Node::Assert(Assertion::EndText));
            }
            Some('b') => {
                self.pos += 2;
                items.push(Node::Assert(Assertion::WordBoundary));
            }
            Some('B') => {
                self.pos += 2;
                items.push(Node::Assert(Assertion::NoWordBoundary));
            }
            Some('C') | Some('p') | Some('P') => return Err(RegexError),
            Some('Q') => {
                self.pos += 2;
                let rest = self.rest();
                let (lit, consumed) = match rest.find("\\E") {
                    Some(i) => (&rest[..i], i + 2),
                    None => (rest, rest.len()),
                };
                items.extend(lit.chars().map(|c| Node::Char(CharSet::Lit(c as u32))));
                self.pos += consumed;
            }
            Some(c) if perl_class(c).is_some() => {
                self.pos += 2;
                items.push(Node::Char(CharSet::Class(
                    perl_class(c).unwrap_or_default(),
                )));
            }
            _ => {
                let c = self.parse_escape()?;
                items.push(Node::Char(CharSet::Lit(c)));
            }
        }
        Ok(())
    }

    /// Go's `parseEscape`, at a `\`.
    fn parse_escape(&mut self) -> R<u32> {
        self.bump();
        let c = self.bump().ok_or(RegexError)?;
        match c {
            '1'..='7' | '0' => {
                if c != '0' && !matches!(self.peek(), Some('0'..='7')) {
                    // A backreference: not supported by RE2.
                    return Err(RegexError);
                }
                let mut r = c as u32 - '0' as u32;
                for _ in 1..3 {
                    match self.peek() {
                        Some(d @ '0'..='7') => {
                            self.bump();
                            r = r * 8 + (d as u32 - '0' as u32);
                        }
                        _ => break,
                    }
                }
                Ok(r)
            }
            'x' => {
                let c = self.bump().ok_or(RegexError)?;
                if c == '{' {
                    let mut r = 0u32;
                    let mut n = 0;
                    loop {
                        let c = self.bump().ok_or(RegexError)?;
                        if c == '}' {
                            break;
                        }
                        r = r * 16 + hex_val(c).ok_or(RegexError)?;
                        if r > MAX_RUNE {
                            return Err(RegexError);
                        }
                        n += 1;
                    }
                    if n == 0 {
                        return Err(RegexError);
                    }
                    return Ok(r);
                }
                let x = hex_val(c);
                let y = self.bump().and_then(hex_val);
                match (x, y) {
                    (Some(x), Some(y)) => Ok(x * 16 + y),
                    _ => Err(RegexError),
                }
            }
            'a' => Ok(7),
            'f' => Ok(12),
            'n' => Ok(10),
            'r' => Ok(13),
            't' => Ok(9),
            'v' => Ok(11),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(c as u32),
            _ => Err(RegexError),
        }
    }

    /// Go's `parseClass`, at a `[`.
    fn parse_class(&mut self) -> R<CharSet> {
        self.bump();
        let mut negated = false;
        if self.peek() == Some('^') {
            self.bump();
            negated = true;
        }
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut first = true;
        loop {
            match self.peek() {
                Some(']') if !first => {
                    self.bump();
                    break;
                }
                None => return Err(RegexError),
                _ => {}
            }
            first = false;
            let rest = self.rest();
            // POSIX class: Go looks for the closing ":]" anywhere in the rest.
            if rest.len() > 2 && rest.starts_with("[:") {
                if let Some(i) = rest[2..].find(":]") {
                    let name = &rest[2..2 + i];
                    let class = posix_class(name).ok_or(RegexError)?;
                    ranges.extend(class);
                    self.pos += 2 + i + 2;
                    continue;
                }
            }
            if rest.starts_with("\\p") || rest.starts_with("\\P") {
                return Err(RegexError);
            }
            if rest.starts_with('\\') {
                if let Some(class) = self.peek2().and_then(perl_class) {
                    ranges.extend(class);
                    self.pos += 2;
                    continue;
                }
            }
            let lo = self.class_char()?;
            let mut hi = lo;
            let rest = self.rest();
            if rest.len() >= 2 && rest.starts_with('-') && !rest[1..].starts_with(']') {
                self.bump();
                hi = self.class_char()?;
                if hi < lo {
                    return Err(RegexError);
                }
            }
            ranges.push((lo, hi));
        }
        // Perl flags include ClassNL: a negated class also matches `\n`.
        Ok(CharSet::Class(if negated {
            negate(&ranges)
        } else {
            ranges
        }))
    }

    fn class_char(&mut self) -> R<u32> {
        match self.peek() {
            None => Err(RegexError),
            Some('\\') => self.parse_escape(),
            Some(c) => {
                self.bump();
                Ok(c as u32)
            }
        }
    }
}

struct Compiler {
    prog: Vec<Inst>,
}

impl Compiler {
    fn emit(&mut self, i: Inst) -> usize {
        self.prog.push(i);
        self.prog.len() - 1
    }

    fn compile(&mut self, node: Node) {
        match node {
            Node::Empty => {}
            Node::Char(c) => {
                self.emit(Inst::Char(c));
            }
            Node::Assert(a) => {
                self.emit(Inst::Assert(a));
            }
            Node::Concat(items) => items.into_iter().for_each(|n| self.compile(n)),
            Node::Alt(alts) => {
                let n = alts.len();
                let mut jumps = Vec::new();
                for (k, alt) in alts.into_iter().enumerate() {
                    if k + 1 < n {
                        let split = self.emit(Inst::Split(0, 0));
                        self.compile(alt);
                        jumps.push(self.emit(Inst::Jmp(0)));
                        let next = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, next);
                    } else {
                        self.compile(alt);
                    }
                }
                let end = self.prog.len();
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat { sub, min, max_one } => {
                if max_one {
                    // x?
                    let split = self.emit(Inst::Split(0, 0));
                    self.compile(*sub);
                    let end = self.prog.len();
                    self.prog[split] = Inst::Split(split + 1, end);
                } else if min == 0 {
                    // x*
                    let split = self.emit(Inst::Split(0, 0));
                    self.compile(*sub);
                    self.emit(Inst::Jmp(split));
                    let end = self.prog.len();
                    self.prog[split] = Inst::Split(split + 1, end);
                } else {
                    // x+
                    let start = self.prog.len();
                    self.compile(*sub);
                    let split = self.emit(Inst::Split(start, 0));
                    self.prog[split] = Inst::Split(start, split + 1);
                }
            }
        }
    }
}

impl Regex {
    pub(crate) fn new(expr: &str) -> R<Regex> {
        let mut p = Parser {
            s: expr,
            pos: 0,
            depth: 0,
        };
        let node = p.parse_alt()?;
        if p.pos != expr.len() {
            // An unmatched `)`.
            return Err(RegexError);
        }
        let literals = required_literals(&node);
        let mut c = Compiler { prog: Vec::new() };
        c.compile(node);
        c.emit(Inst::Match);
        Ok(Regex {
            prog: c.prog,
            literals,
        })
    }

    /// [`Regex::new`] for the expressions patternmatcher builds from a pattern without
    /// `[`, `]`, `\\` or `^` (`None` for any other): `^`, literal characters (punctuation
    /// escaped), `[^/]*`, `[^/]`, `(.*/)?`, `.*` and a final `$` only. Those are read here
    /// as tokens and compiled to the very program the parser and compiler give, in a
    /// fraction of their time (a `.dockerignore` of hundreds of `**/name/**` lines).
    pub(crate) fn new_simple(expr: &str) -> Option<Regex> {
        let not_slash = || Inst::Char(CharSet::Class(vec![(0, 0x2e), (0x30, MAX_RUNE)]));
        let mut rest = expr.strip_prefix('^')?;
        let mut prog = Vec::with_capacity(rest.len() + 4);
        prog.push(Inst::Assert(Assertion::BeginText));
        let (mut literals, mut run) = (Vec::with_capacity(2), String::with_capacity(rest.len()));
        while let Some(c) = rest.chars().next() {
            let pc = prog.len();
            let (token, len): (&[Inst], usize) = match c {
                '[' if rest.starts_with("[^/]*") => (
                    &[Inst::Split(pc + 1, pc + 3), not_slash(), Inst::Jmp(pc)],
                    5,
                ),
                '[' if rest.starts_with("[^/]") => (&[not_slash()], 4),
                '(' if rest.starts_with("(.*/)?") => (
                    &[
                        Inst::Split(pc + 1, pc + 5),
                        Inst::Split(pc + 2, pc + 4),
                        Inst::Char(CharSet::AnyNotNl),
                        Inst::Jmp(pc + 1),
                        Inst::Char(CharSet::Lit(u32::from('/'))),
                    ],
                    6,
                ),
                '.' if rest.starts_with(".*") => (
                    &[
                        Inst::Split(pc + 1, pc + 3),
                        Inst::Char(CharSet::AnyNotNl),
                        Inst::Jmp(pc),
                    ],
                    2,
                ),
                '$' if rest.len() == 1 => (&[Inst::Assert(Assertion::EndText)], 1),
                '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
                    return None
                }
                _ => {
                    // A literal character, or a punctuation character escaped.
                    let (lit, len) = match c {
                        '\\' => match rest[1..].chars().next()? {
                            e @ ('.' | '+' | '(' | ')' | '|' | '{' | '}' | '$') => (e, 2),
                            _ => return None,
                        },
                        c => (c, c.len_utf8()),
                    };
                    run.push(lit);
                    prog.push(Inst::Char(CharSet::Lit(u32::from(lit))));
                    rest = &rest[len..];
                    continue;
                }
            };
            // Anything but a literal ends a run of them.
            if !run.is_empty() {
                literals.push(std::mem::take(&mut run));
            }
            prog.extend(token.iter().map(Inst::clone));
            rest = &rest[len..];
        }
        if !run.is_empty() {
            literals.push(run);
        }
        prog.push(Inst::Match);
        Some(Regex { prog, literals })
    }

    /// Whether `text` contains every required literal run (a necessary condition for a
    /// match, checked before the NFA).
    pub(crate) fn may_match(&self, text: &str) -> bool {
        self.literals.iter().all(|l| text.contains(l.as_str()))
    }

    /// The longest required literal run (`""` when there is none): every matching text
    /// contains it.
    pub(crate) fn longest_literal(&self) -> &str {
        self.literals
            .iter()
            .max_by_key(|l| l.len())
            .map_or("", String::as_str)
    }

    /// Adds `pc` and everything reachable from it without consuming input. `on[pc] == gen`
    /// marks what is already in `list`.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        list: &mut Vec<usize>,
        on: &mut [u32],
        gen: u32,
        stack: &mut Vec<usize>,
        pc: usize,
        prev: Option<u32>,
        next: Option<u32>,
    ) {
        stack.clear();
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if on[pc] == gen {
                continue;
            }
            on[pc] = gen;
            match &self.prog[pc] {
                Inst::Jmp(t) => stack.push(*t),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Assert(a) => {
                    let ok = match a {
                        Assertion::BeginText => prev.is_none(),
                        Assertion::EndText => next.is_none(),
                        Assertion::WordBoundary => is_word(prev) != is_word(next),
                        Assertion::NoWordBoundary => is_word(prev) == is_word(next),
                    };
                    if ok {
                        stack.push(pc + 1);
                    }
                }
                Inst::Char(_) | Inst::Match => list.push(pc),
            }
        }
    }

    /// Whether the expression matches `text`, starting at its beginning (every expression
    /// patternmatcher generates starts with `^`).
    #[cfg(test)]
    pub(crate) fn is_match_at_start(&self, text: &str) -> bool {
        self.is_match_with(text, &mut Scratch::default())
    }

    /// [`Regex::is_match_at_start`] reusing `scratch` between calls. Each step costs only
    /// the live threads, so a long literal pattern is about as cheap as a string comparison.
    pub(crate) fn is_match_with(&self, text: &str, scratch: &mut Scratch) -> bool {
        if !self.may_match(text) {
            return false;
        }
        let Scratch {
            clist,
            nlist,
            stack,
            on,
            gen,
        } = scratch;
        if on.len() < self.prog.len() {
            on.resize(self.prog.len(), 0);
        }
        clist.clear();
        let mut chars = text.chars().map(|c| c as u32).peekable();
        Self::next_gen(on, gen);
        self.add(clist, on, *gen, stack, 0, None, chars.peek().copied());
        loop {
            if clist.is_empty() {
                return false;
            }
            let cur = chars.next();
            let next = chars.peek().copied();
            nlist.clear();
            Self::next_gen(on, gen);
            for &pc in clist.iter() {
                match &self.prog[pc] {
                    Inst::Match => return true,
                    Inst::Char(set) => {
                        if let Some(c) = cur {
                            if set.contains(c) {
                                self.add(nlist, on, *gen, stack, pc + 1, Some(c), next);
                            }
                        }
                    }
                    _ => {}
                }
            }
            if cur.is_none() {
                return false;
            }
            std::mem::swap(clist, nlist);
        }
    }

    /// Starts a new generation of marks (a state is in the list being built iff its mark
    /// equals the generation).
    fn next_gen(on: &mut [u32], gen: &mut u32) {
        *gen = gen.wrapping_add(1);
        if *gen == 0 {
            on.iter_mut().for_each(|m| *m = 0);
            *gen = 1;
        }
    }
}

/// Memory reused across matches (one per matching call of the pattern matcher).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    clist: Vec<usize>,
    nlist: Vec<usize>,
    stack: Vec<usize>,
    on: Vec<u32>,
    gen: u32,
}

#[cfg(test)]
mod tests {
    use super::Regex;

    fn m(re: &str, text: &str) -> bool {
        Regex::new(re).expect(re).is_match_at_start(text)
    }

    #[test]
    fn basics() {
        assert!(m("^a[^/]*b$", "axxb"));
        assert!(!m("^a[^/]*b$", "ax/xb"));
        assert!(m("^(.*/)?file$", "file"));
        assert!(m("^(.*/)?file$", "a/b/file"));
        assert!(!m("^(.*/)?file$", "a/bfile"));
        assert!(!m("^(.*/)?file$", "a\n/file"));
        assert!(m("^[^/]$", "\n"));
        assert!(m("^[[^/]*]$", "]"));
        assert!(m("^[[^/]*]$", "[^]"));
        assert!(!m("^[[^/]*]$", "*"));
        assert!(m("^\\d$", "5"));
        assert!(!m("^\\d$", "d"));
        assert!(m("^a\\*b$", "a*b"));
        assert!(!m("^a^b$", "a^b"));
        assert!(m("^[[:alpha:]]$", "q"));
        assert!(m("^[^[:alpha:]]$", "1"));
        assert!(m("^\\Qa.b\\E$", "a.b"));
        assert!(!m("^\\Qa.b\\E$", "axb"));
        assert!(m("^\\x41\\101$", "AA"));
        assert!(m("^a\\b$", "a"));
        assert!(m("^[]a]$", "]"));
        assert!(m("^[a-]$", "-"));
    }

    #[test]
    fn literal_prefilter_is_sound() {
        let re = Regex::new("^(.*/)?file[^/]*\\.txt$").unwrap();
        assert_eq!(re.literals, vec!["file".to_string(), ".txt".to_string()]);
        assert!(!re.may_match("a/b/c.md"));
        assert!(m("^(.*/)?file[^/]*\\.txt$", "d/file1.txt"));
        // Escapes that are classes, and classes, end a run.
        assert_eq!(
            Regex::new("^a\\db[\\]a]c$").unwrap().literals,
            ["a", "b", "c"]
        );
        assert!(m("^[\\]a]$", "]"));
    }

    #[test]
    fn simple_expressions_compile_like_the_parser() {
        // Patterns from pieces that reach every token of patternmatcher's translation, and
        // the characters that keep a pattern off the fast path.
        let pieces = [
            "a", "é", "*", "**", "**/", "/", "?", ".", "+", "(", ")", "|", "{", "}", "$", "[", "]",
            "\\", "^", "x.txt", "/**",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut fast = 0;
        for _ in 0..5000 {
            let len = 1 + next(6);
            let pattern: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            let (tag, re) = super::super::translate(&pattern);
            if tag != "regexpMatch" {
                continue;
            }
            match Regex::new_simple(&re) {
                Some(simple) => {
                    let parsed = Regex::new(&re).expect(&re);
                    assert_eq!(format!("{simple:?}"), format!("{parsed:?}"), "{pattern:?}");
                    fast += 1;
                }
                // Only patterns with a character copied into the expression verbatim.
                None => assert!(pattern.contains(['[', ']', '\\', '^']), "{pattern:?}"),
            }
        }
        assert!(fast > 1000, "{fast}");
        // Expressions outside the token set are refused, not misread.
        for re in [
            "^a$b", "^a^b$", "^a.b$", "^a\\db$", "^[^/]+$", "^(a)$", "a$", "^a\\",
        ] {
            assert!(Regex::new_simple(re).is_none(), "{re:?}");
        }
    }

    #[test]
    fn compile_errors() {
        for bad in [
            "^[Local-Only]$",
            "^[",
            "^a**",
            "*a",
            "^(a",
            "^a)",
            "^\\",
            "^\\1",
            "^\\q",
            "^[\\b]",
            "^\\pL",
            "^[[:foo:]]",
            "^\\x{}",
            "^(?i)a",
        ] {
            assert!(Regex::new(bad).is_err(), "{bad:?} should not compile");
        }
    }
}
