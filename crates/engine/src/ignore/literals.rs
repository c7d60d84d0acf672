//! Which of a fixed set of literal strings occur in a text, in one pass over the text
//! (Aho–Corasick). [`super::BatchMatcher`] uses it to find, for a path, the few patterns
//! whose required literal the path contains, instead of trying every pattern.

/// An Aho–Corasick automaton over bytes, stored as a full transition table over byte
/// classes (bytes that occur in no literal share one class).
#[derive(Debug)]
pub(crate) struct LiteralSet {
    class: [u16; 256],
    classes: usize,
    /// `next[state * classes + class]`: the state after reading a byte of `class`, stored
    /// multiplied by `classes` (the row it starts), with [`REPORTS`] set when the state
    /// reports a literal.
    next: Vec<u32>,
    /// Literal ids that end exactly at each state.
    out: Vec<Vec<u32>>,
    /// The nearest state on the failure chain whose `out` is non-empty (`u32::MAX`: none),
    /// so that every literal ending at a position is reported.
    dict: Vec<u32>,
    /// The state itself when its `out` is non-empty, else `dict`: where reporting starts.
    report: Vec<u32>,
}

const NONE: u32 = u32::MAX;
/// Set in a [`LiteralSet::next`] entry whose state reports a literal.
const REPORTS: u32 = 1 << 31;

impl LiteralSet {
    /// An automaton for `literals` (ids are indices; empty literals are never reported).
    pub(crate) fn new(literals: &[&str]) -> LiteralSet {
        // Class 0: bytes that occur in no literal.
        let mut class = [0u16; 256];
        let mut classes = 1usize;
        for l in literals {
            for &b in l.as_bytes() {
                if class[b as usize] == 0 {
                    class[b as usize] = classes as u16;
                    classes += 1;
                }
            }
        }
        let mut set = LiteralSet {
            class,
            classes,
            next: vec![NONE; classes],
            out: vec![Vec::new()],
            dict: vec![NONE],
            report: Vec::new(),
        };
        // The trie.
        for (id, l) in literals.iter().enumerate() {
            if l.is_empty() {
                continue;
            }
            let mut s = 0usize;
            for &b in l.as_bytes() {
                let i = s * classes + set.class[b as usize] as usize;
                s = match set.next[i] {
                    NONE => {
                        let t = set.out.len();
                        set.next[i] = t as u32;
                        set.next.resize(set.next.len() + classes, NONE);
                        set.out.push(Vec::new());
                        set.dict.push(NONE);
                        t
                    }
                    t => t as usize,
                };
            }
            set.out[s].push(id as u32);
        }
        // Failure links, breadth first; missing transitions become the failure state's.
        // Each row is written in its final form (rows instead of states, flagged when they
        // report: one load per byte and no multiplication when scanning) as the search
        // reaches it; a failure state is nearer the root, so its row is final before any
        // row that copies from it. (A table with 2^31 entries could not be allocated.)
        let n = set.out.len();
        let mut fail = vec![0u32; n];
        set.report = vec![NONE; n];
        let row = |t: usize, report: &[u32]| {
            (t * classes) as u32 | if report[t] == NONE { 0 } else { REPORTS }
        };
        let mut queue: Vec<u32> = Vec::with_capacity(n);
        for c in 0..classes {
            match set.next[c] {
                NONE => set.next[c] = 0,
                t => {
                    // Depth one: the failure state is the root, which reports nothing.
                    let t = t as usize;
                    if !set.out[t].is_empty() {
                        set.report[t] = t as u32;
                    }
                    set.next[c] = row(t, &set.report);
                    queue.push(t as u32);
                }
            }
        }
        let mut head = 0;
        while let Some(&s) = queue.get(head) {
            head += 1;
            let (s, f) = (s as usize, fail[s as usize] as usize);
            for c in 0..classes {
                let via_fail = set.next[f * classes + c];
                let i = s * classes + c;
                match set.next[i] {
                    NONE => set.next[i] = via_fail,
                    t => {
                        let t = t as usize;
                        let f = (via_fail & !REPORTS) as usize / classes;
                        fail[t] = f as u32;
                        set.dict[t] = if set.out[f].is_empty() {
                            set.dict[f]
                        } else {
                            f as u32
                        };
                        set.report[t] = if set.out[t].is_empty() {
                            set.dict[t]
                        } else {
                            t as u32
                        };
                        set.next[i] = row(t, &set.report);
                        queue.push(t as u32);
                    }
                }
            }
        }
        set
    }

    /// Calls `found` with the id of every literal occurring in `text` (an id may be
    /// reported more than once).
    #[cfg(test)]
    pub(crate) fn find(&self, text: &[u8], found: impl FnMut(u32)) {
        self.scan(START, text, found);
    }

    /// Reads `text` from `state` (the state after some earlier text, [`START`] for none;
    /// states are opaque),
    /// calling `found` with the id of every literal that ends inside `text`, and returns
    /// the state after it. Scanning `a` and then `b` from the state after `a` reports exactly
    /// what scanning `a` followed by `b` does.
    pub(crate) fn scan(&self, state: u32, text: &[u8], mut found: impl FnMut(u32)) -> u32 {
        let (next, report, class) = (&self.next[..], &self.report[..], &self.class);
        let mut s = state as usize;
        for &b in text {
            let t = next[s + class[b as usize] as usize];
            s = (t & !REPORTS) as usize;
            if t & REPORTS == 0 {
                continue;
            }
            let mut t = report[s / self.classes] as usize;
            loop {
                for &id in &self.out[t] {
                    found(id);
                }
                match self.dict[t] {
                    NONE => break,
                    d => t = d as usize,
                }
            }
        }
        s as u32
    }
}

/// The state before any text.
pub(crate) const START: u32 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    fn found(lits: &[&str], text: &str) -> Vec<u32> {
        let set = LiteralSet::new(lits);
        let mut v = Vec::new();
        set.find(text.as_bytes(), |id| v.push(id));
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn finds_exactly_the_contained_literals() {
        let lits = [
            "he", "she", "his", "hers", "", "a/b", "b/", "/", "é", "xyzzy", "s",
        ];
        for text in [
            "", "ushers", "a/b/c", "his/hers", "é/x", "xyzzyx", "zzz", "h", "sheé",
        ] {
            let want: Vec<u32> = lits
                .iter()
                .enumerate()
                .filter(|(_, l)| !l.is_empty() && text.contains(*l))
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(found(&lits, text), want, "{text:?}");
        }
    }

    #[test]
    fn split_scans_report_like_one() {
        let lits = ["he", "she", "his", "hers", "a/b", "b/", "/", "xyzzy", "s"];
        let set = LiteralSet::new(&lits);
        for text in ["ushers", "a/b/c", "his/hers", "xyzzyx", "sheshe", "a/b"] {
            let mut whole = Vec::new();
            set.find(text.as_bytes(), |id| whole.push(id));
            for cut in 0..=text.len() {
                let mut parts = Vec::new();
                let st = set.scan(START, &text.as_bytes()[..cut], |id| parts.push(id));
                set.scan(st, &text.as_bytes()[cut..], |id| parts.push(id));
                assert_eq!(parts, whole, "{text:?} cut at {cut}");
            }
        }
    }

    #[test]
    fn every_byte_value() {
        // 128 two-byte literals use every ASCII byte; text bytes outside them share a class.
        let all: Vec<String> = (0u8..=127)
            .map(|b| format!("{}{}", b as char, (127 - b) as char))
            .collect();
        let lits: Vec<&str> = all.iter().map(String::as_str).collect();
        assert_eq!(found(&lits, "\u{0}\u{7f}é"), vec![0]);
        assert_eq!(found(&lits, "a\u{1e}a"), vec![30, 97]);
    }
}
