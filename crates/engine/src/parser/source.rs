//! Physical lines of the input and byte-offset → line/column mapping.
//!
//! BuildKit reads the Dockerfile with a line scanner that keeps line endings; we do the same
//! over the `&str`, and remember where every line starts so any byte range can be turned
//! into a [`Span`] in O(log lines + line length).

use crate::syntax::Span;

/// One physical line of the input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    /// Byte offset of the first byte (after the UTF-8 BOM on line 1).
    pub start: usize,
    /// Byte offset where the content ends: the line ending (`\n`, plus any `\r` before it)
    /// is excluded, like BuildKit's `trimNewline`.
    pub content_end: usize,
    /// Byte offset of the next line (just past the `\n`, or the end of the input).
    pub end: usize,
}

pub(crate) struct Source<'a> {
    pub text: &'a str,
    /// Start offset of every line (line 1 starts after the BOM).
    line_starts: Vec<usize>,
    /// Last line found by [`Source::line_index`]: lookups are mostly in source order.
    hint: std::cell::Cell<usize>,
}

/// Pushes the offset after every `\n` of `b`, eight bytes at a time: a byte of
/// `x = word ^ 0x0a..` is zero exactly where `(x & 0x7f) + 0x7f` and `x` both lack the high
/// bit (no carries cross bytes, so there are no false matches).
pub(crate) fn push_line_starts(b: &[u8], out: &mut Vec<usize>) {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NL: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w) ^ NL;
        let mut m = !(((x & LO7) + LO7) | x | LO7);
        while m != 0 {
            out.push(base + (m.trailing_zeros() / 8) as usize + 1);
            m &= m - 1;
        }
        base += 8;
    }
    for (j, &c) in chunks.remainder().iter().enumerate() {
        if c == b'\n' {
            out.push(base + j + 1);
        }
    }
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str, bom_len: usize) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(bom_len);
        push_line_starts(text.as_bytes(), &mut line_starts);
        // A final `\n` starts no line.
        if line_starts.len() > 1 && line_starts.last() == Some(&text.len()) {
            line_starts.pop();
        }
        Source {
            text,
            line_starts,
            hint: std::cell::Cell::new(0),
        }
    }

    /// The physical line with 0-based index `idx`.
    pub fn line(&self, idx: usize) -> Option<Line> {
        let start = *self.line_starts.get(idx)?;
        if start >= self.text.len() {
            return None;
        }
        let end = self
            .line_starts
            .get(idx + 1)
            .copied()
            .unwrap_or(self.text.len());
        let bytes = self.text.as_bytes();
        let mut content_end = end;
        if content_end > start && bytes[content_end - 1] == b'\n' {
            content_end -= 1;
        }
        while content_end > start && bytes[content_end - 1] == b'\r' {
            content_end -= 1;
        }
        Some(Line {
            start,
            content_end,
            end,
        })
    }

    /// Byte offset where line `idx` starts (the end of the text past the last line).
    pub fn line_start(&self, idx: usize) -> usize {
        self.line_starts
            .get(idx)
            .copied()
            .unwrap_or(self.text.len())
            .min(self.text.len())
    }

    /// 0-based index of the line containing byte offset `off`.
    fn line_index(&self, off: usize) -> usize {
        let ls = &self.line_starts;
        let in_line = |i: usize| ls[i] <= off && ls.get(i + 1).is_none_or(|&n| off < n);
        let h = self.hint.get().min(ls.len() - 1);
        if in_line(h) {
            return h;
        }
        if h + 1 < ls.len() && in_line(h + 1) {
            self.hint.set(h + 1);
            return h + 1;
        }
        let p = ls.partition_point(|&s| s <= off).saturating_sub(1);
        self.hint.set(p);
        p
    }

    fn col(&self, line_idx: usize, off: usize) -> u32 {
        let ls = self.line_starts[line_idx];
        if off <= ls {
            return 1;
        }
        let end = off.min(self.text.len());
        match self.text.get(ls..end) {
            Some(s) => s.chars().count() as u32 + 1,
            None => 1,
        }
    }

    /// The span of the byte range `start..end` (both on char boundaries).
    pub fn span(&self, start: usize, end: usize) -> Span {
        let start = self.floor_boundary(start.max(self.line_starts[0]));
        let end = self.floor_boundary(end.max(start));
        let li = self.line_index(start);
        let line = (li + 1) as u32;
        let col = self.col(li, start);
        if end == start {
            return Span {
                start,
                end,
                line,
                col,
                end_line: line,
                end_col: col,
            };
        }
        // The last character of the range decides the end line.
        let last = self.text[..end]
            .char_indices()
            .next_back()
            .map(|(i, _)| i)
            .unwrap_or(start);
        let eli = self.line_index(last.max(start));
        Span {
            start,
            end,
            line,
            col,
            end_line: (eli + 1) as u32,
            end_col: self.col(eli, end),
        }
    }

    /// `off` clamped to the text and moved back to a char boundary (defensive: callers pass
    /// boundaries already).
    fn floor_boundary(&self, off: usize) -> usize {
        let mut o = off.min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    /// A zero-width span at the very end of the input (for "file with no instructions").
    pub fn end_span(&self) -> Span {
        // Point at the end of the last non-empty content, or 1:1.
        let t = self.text.trim_end_matches(['\n', '\r']);
        let off = t.len().max(self.line_starts[0]);
        self.span(off, off)
    }
}
