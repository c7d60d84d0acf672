//! Shell wildcard patterns of `${V#p}`, `${V%p}`, `${V/p/r}` and `${V//p/r}`.
//!
//! BuildKit turns such a pattern into a Go regular expression (`*` → `.*` or `.*?`, `?` → `.`,
//! every other character literal) and runs Go's `regexp` on the value. Both constructs that
//! matter are reproduced here without a regex engine:
//!
//! - Go's `.` matches any character except `\n`, so `*` and `?` never cross a newline.
//! - Go's matcher is leftmost-first: among the matches starting at the leftmost possible
//!   position it returns the one a backtracking matcher would find first, i.e. with greedy
//!   `*` the longest and with lazy `*?` the shortest.
//!
//! Matching is a Pike VM (a thread list in priority order, one step per input character), so
//! it is `O(value × pattern)` with no backtracking. Every step is charged to a [`Budget`] so a
//! pathological input is stopped instead of hanging.

/// One element of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// A literal character.
    Lit(char),
    /// `?`: any one character except `\n`.
    Any,
    /// `*`: any run of characters without `\n`.
    Star,
}

/// A compiled shell pattern.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    toks: Vec<Tok>,
    /// `*` prefers the longest (true) or the shortest (false) run.
    greedy: bool,
}

/// Work allowance shared by everything one expansion does.
#[derive(Debug)]
pub(crate) struct Budget {
    pub(crate) remaining: u64,
}

/// The budget ran out.
#[derive(Debug)]
pub(crate) struct Exhausted;

impl Budget {
    pub(crate) fn charge(&mut self, units: u64) -> Result<(), Exhausted> {
        if units > self.remaining {
            self.remaining = 0;
            Err(Exhausted)
        } else {
            self.remaining -= units;
            Ok(())
        }
    }
}

/// Error text for a pattern BuildKit's converter rejects (`invalid escape '\x'`).
pub(crate) fn compile(pattern: &str, greedy: bool) -> Result<Pattern, String> {
    // Go's text/scanner skips a byte-order mark at the very start of its input.
    let pattern = pattern.strip_prefix('\u{FEFF}').unwrap_or(pattern);
    let mut toks = Vec::with_capacity(pattern.len());
    let mut it = pattern.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '*' => {
                // `**` matches exactly what `*` matches, with the same preference.
                if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
            }
            '?' => toks.push(Tok::Any),
            '\\' => match it.peek().copied() {
                // `\}` and `\/` protect the ${} delimiters; the escape is not part of the
                // pattern and the character that follows is literal.
                Some('}') | Some('/') => {}
                Some(e @ ('*' | '?' | '\\')) => {
                    it.next();
                    toks.push(Tok::Lit(e));
                }
                Some(e) => return Err(format!("invalid escape '\\{e}'")),
                None => return Err("invalid escape '\\'".to_string()),
            },
            other => toks.push(Tok::Lit(other)),
        }
    }
    Ok(Pattern { toks, greedy })
}

/// Reverses a `${V%p}` pattern so that suffix removal can run as prefix removal, keeping each
/// `\x` pair in order (`a\*c` → `c\*a`), exactly like BuildKit's `reversePattern`.
pub(crate) fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let n = chars.len();
    let mut out = vec!['\0'; n];
    let mut i = 0;
    while i < n {
        let out_idx = n - 1 - i;
        if chars[i] == '\\' && i + 1 < n {
            out[out_idx - 1] = '\\';
            out[out_idx] = chars[i + 1];
            i += 2;
        } else {
            out[out_idx] = chars[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// Reverses a string character by character.
pub(crate) fn reverse_str(s: &str) -> String {
    s.chars().rev().collect()
}

#[derive(Clone, Copy)]
struct Thread {
    state: usize,
    start: usize,
}

/// Thread list of one step, deduplicated by state, kept in priority order.
struct ThreadList {
    threads: Vec<Thread>,
    /// `mark[state] == generation` ⇔ the state is in the list.
    mark: Vec<u32>,
    generation: u32,
}

impl ThreadList {
    fn new(states: usize) -> Self {
        ThreadList {
            threads: Vec::new(),
            mark: vec![0; states],
            generation: 1,
        }
    }

    fn clear(&mut self) {
        self.threads.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.generation = 1;
        }
    }

    fn marked(&self, state: usize) -> bool {
        self.mark[state] == self.generation
    }
}

impl Pattern {
    /// Number of VM states: one per token plus the final match state.
    fn states(&self) -> usize {
        self.toks.len() + 1
    }

    /// Adds `state` and the states reachable from it without consuming input (skipping
    /// stars), in the priority order of Go's backtracking semantics.
    fn add(&self, list: &mut ThreadList, state: usize, start: usize, chain: &mut Vec<usize>) {
        chain.clear();
        let mut s = state;
        loop {
            if list.marked(s) {
                break;
            }
            list.mark[s] = list.generation;
            chain.push(s);
            if s < self.toks.len() && self.toks[s] == Tok::Star {
                s += 1;
            } else {
                break;
            }
        }
        // Greedy: a star's "take one more character" thread outranks skipping it; lazy: the
        // reverse. The chain is star, star, ..., final state.
        if self.greedy {
            list.threads
                .extend(chain.iter().map(|&state| Thread { state, start }));
        } else {
            list.threads
                .extend(chain.iter().rev().map(|&state| Thread { state, start }));
        }
    }

    /// Leftmost-first match in `text[from..]`. When `anchored`, only a match starting at
    /// `from` counts. Returns byte offsets `(start, end)`.
    pub(crate) fn find(
        &self,
        text: &str,
        from: usize,
        anchored: bool,
        budget: &mut Budget,
    ) -> Result<Option<(usize, usize)>, Exhausted> {
        self.find_with(&mut Scratch::new(self), text, from, anchored, budget)
    }

    /// [`Pattern::find`] reusing the thread lists of earlier searches.
    fn find_with(
        &self,
        scratch: &mut Scratch,
        text: &str,
        from: usize,
        anchored: bool,
        budget: &mut Budget,
    ) -> Result<Option<(usize, usize)>, Exhausted> {
        let match_state = self.toks.len();
        let Scratch {
            clist,
            nlist,
            chain,
        } = scratch;
        clist.clear();
        let mut matched: Option<(usize, usize)> = None;
        let mut pos = from;
        loop {
            if matched.is_none() && (!anchored || pos == from) {
                // A new attempt starting here ranks below every attempt that started earlier.
                self.add(clist, 0, pos, chain);
            }
            if clist.threads.is_empty() {
                break;
            }
            budget.charge(clist.threads.len() as u64 + 1)?;
            let ch = text[pos..].chars().next();
            nlist.clear();
            for i in 0..clist.threads.len() {
                let t = clist.threads[i];
                if t.state == match_state {
                    // Everything after this thread has lower priority: cut it.
                    matched = Some((t.start, pos));
                    break;
                }
                let Some(c) = ch else { continue };
                match self.toks[t.state] {
                    Tok::Lit(l) if l == c => self.add(nlist, t.state + 1, t.start, chain),
                    Tok::Any if c != '\n' => self.add(nlist, t.state + 1, t.start, chain),
                    Tok::Star if c != '\n' => self.add(nlist, t.state, t.start, chain),
                    _ => {}
                }
            }
            let Some(c) = ch else { break };
            pos += c.len_utf8();
            std::mem::swap(clist, nlist);
        }
        Ok(matched)
    }
}

/// Reusable memory of a [`Pattern`] search.
struct Scratch {
    clist: ThreadList,
    nlist: ThreadList,
    chain: Vec<usize>,
}

impl Scratch {
    fn new(p: &Pattern) -> Self {
        Scratch {
            clist: ThreadList::new(p.states()),
            nlist: ThreadList::new(p.states()),
            chain: Vec::new(),
        }
    }
}

/// Appends Go's `Regexp.Expand` of `template` for a match `text[m.0..m.1]` of a pattern
/// without capture groups: `$$` is `$`, `$0`/`${0}` is the match, any other well-formed
/// `$name`/`${name}` is empty and a malformed `$` is kept literally.
pub(crate) fn expand_template(out: &mut String, template: &str, text: &str, m: (usize, usize)) {
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let (braced, body) = match rest.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let name_len: usize = body
            .chars()
            .take_while(|&c| super::is_go_letter(c) || super::is_go_digit(c) || c == '_')
            .map(char::len_utf8)
            .sum();
        if name_len == 0 || (braced && !body[name_len..].starts_with('}')) {
            out.push('$');
            continue;
        }
        let name = &body[..name_len];
        rest = &body[name_len + usize::from(braced)..];
        // Only group 0 exists; a name with a leading zero ("00") is not a number.
        if name == "0" {
            out.push_str(&text[m.0..m.1]);
        }
    }
    out.push_str(rest);
}

/// Go's `Regexp.ReplaceAllString(value, template)` for this pattern.
pub(crate) fn replace_all(
    pat: &Pattern,
    value: &str,
    template: &str,
    budget: &mut Budget,
) -> Result<String, Exhausted> {
    let mut out = String::new();
    let mut scratch = Scratch::new(pat);
    let mut last_end = 0;
    let mut search = 0;
    while search <= value.len() {
        let Some((a0, a1)) = pat.find_with(&mut scratch, value, search, false, budget)? else {
            break;
        };
        out.push_str(&value[last_end..a0]);
        if a1 > last_end || a0 == 0 {
            let before = out.len();
            expand_template(&mut out, template, value, (a0, a1));
            // Charge scanning the template and what it produced (it may copy the match).
            budget.charge((out.len() - before + template.len()) as u64 + 1)?;
        }
        last_end = a1;
        let width = value[search..].chars().next().map_or(0, char::len_utf8);
        if search + width > a1 {
            search += width;
        } else if search + 1 > a1 {
            search += 1;
        } else {
            search = a1;
        }
    }
    out.push_str(&value[last_end..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget { remaining: 1 << 30 }
    }

    fn find(p: &str, greedy: bool, text: &str, anchored: bool) -> Option<(usize, usize)> {
        compile(p, greedy)
            .unwrap()
            .find(text, 0, anchored, &mut budget())
            .unwrap()
    }

    /// Reference: every (start, end) pair the pattern can match, by brute force.
    fn all_matches(toks: &[Tok], text: &[char], i: usize) -> Vec<usize> {
        // returns possible end indices (in chars) when matching toks from char index i
        let Some((&first, rest)) = toks.split_first() else {
            return vec![i];
        };
        match first {
            Tok::Lit(l) => {
                if i < text.len() && text[i] == l {
                    all_matches(rest, text, i + 1)
                } else {
                    vec![]
                }
            }
            Tok::Any => {
                if i < text.len() && text[i] != '\n' {
                    all_matches(rest, text, i + 1)
                } else {
                    vec![]
                }
            }
            Tok::Star => {
                let mut ends = Vec::new();
                let mut j = i;
                loop {
                    ends.extend(all_matches(rest, text, j));
                    if j < text.len() && text[j] != '\n' {
                        j += 1;
                    } else {
                        break;
                    }
                }
                ends
            }
        }
    }

    #[test]
    fn lazy_is_shortest_greedy_is_longest_leftmost_start() {
        // Exhaustive small alphabet check against a brute-force reference.
        let alphabet = ['a', 'b', '\n'];
        let pats = [
            "a*b", "*a", "?", "*", "a?*b", "*b*", "ab", "", "b*a*b", "?*?",
        ];
        let mut texts = vec![String::new()];
        for len in 1..=5 {
            let mut next = Vec::new();
            for t in texts.iter().filter(|t| t.chars().count() == len - 1) {
                for c in alphabet {
                    next.push(format!("{t}{c}"));
                }
            }
            texts.extend(next);
        }
        for p in pats {
            for greedy in [false, true] {
                let compiled = compile(p, greedy).unwrap();
                for t in &texts {
                    let chars: Vec<char> = t.chars().collect();
                    let mut expected = None;
                    for s in 0..=chars.len() {
                        let ends = all_matches(&compiled.toks, &chars, s);
                        if let Some(e) = if greedy {
                            ends.iter().max()
                        } else {
                            ends.iter().min()
                        } {
                            expected = Some((s, *e));
                            break;
                        }
                    }
                    // text is ASCII here, so char index == byte offset
                    assert_eq!(find(p, greedy, t, false), expected, "{p:?} {greedy} {t:?}");
                    let anchored_expected = expected.filter(|m| m.0 == 0);
                    let anchored = find(p, greedy, t, true);
                    if anchored_expected.is_some() {
                        assert_eq!(anchored, anchored_expected, "{p:?} {greedy} {t:?}");
                    } else {
                        // the leftmost match may start later; anchored must then be None
                        let ends = all_matches(&compiled.toks, &chars, 0);
                        assert_eq!(anchored.is_some(), !ends.is_empty(), "{p:?} {t:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn escapes() {
        assert!(compile("\\", true).is_err());
        assert!(compile("\\x", true).is_err());
        assert!(compile("\\\\\\", true).is_err());
        assert_eq!(find("\\*", true, "*x", true), Some((0, 1)));
        assert_eq!(find("a\\}", true, "a}", true), Some((0, 2)));
        assert_eq!(find("\\/", true, "/", true), Some((0, 1)));
    }

    #[test]
    fn reverse() {
        assert_eq!(reverse_pattern("a\\*c"), "c\\*a");
        assert_eq!(reverse_pattern("\\\\\\ab"), "b\\a\\\\");
        assert_eq!(reverse_pattern("ab\\"), "\\ba");
        assert_eq!(reverse_pattern("👽\\🚀🖖"), "🖖\\🚀👽");
        assert_eq!(reverse_pattern("\\\\b"), "b\\\\");
        assert_eq!(reverse_str("🖖🚀👽"), "👽🚀🖖");
    }

    #[test]
    fn template() {
        let mut out = String::new();
        expand_template(&mut out, "<$0|${0}|$$|$1|$x|${x|$|$00|$0x>", "abc", (1, 2));
        assert_eq!(out, "<b|b|$|||${x|$||>");
    }

    #[test]
    fn replace_all_empty_pattern_like_go() {
        let p = compile("", true).unwrap();
        assert_eq!(replace_all(&p, "ab", "-", &mut budget()).unwrap(), "-a-b-");
        let p = compile("*", true).unwrap();
        // Go: regexp.MustCompile(".*").ReplaceAllString("ab\ncd", "X") == "X\nX"
        assert_eq!(
            replace_all(&p, "ab\ncd", "X", &mut budget()).unwrap(),
            "X\nX"
        );
    }

    #[test]
    fn budget_stops_work() {
        let p = compile(&"a".repeat(1000), true).unwrap();
        let text = "a".repeat(100_000);
        let mut b = Budget { remaining: 10_000 };
        assert!(p.find(&text, 0, false, &mut b).is_err());
    }
}
