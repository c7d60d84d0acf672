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

const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HI: u64 = 0x8080_8080_8080_8080;

/// Eight bytes as a little-endian word (byte `i` in bits `8i..8i+8`).
#[inline]
pub(crate) fn word(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(c);
    u64::from_le_bytes(w)
}

/// The high bit of every byte of `w` that equals `b`: a byte of `x = w ^ b..` is zero
/// exactly where `(x & 0x7f) + 0x7f` and `x` both lack the high bit (no carries cross
/// bytes, so there are no false matches).
#[inline]
pub(crate) fn eq_mask(w: u64, b: u8) -> u64 {
    let x = w ^ (u64::from(b) * 0x0101_0101_0101_0101);
    !(((x & LO7) + LO7) | x | LO7)
}

/// `s.chars().count()`: the bytes that are not UTF-8 continuation bytes (`10xxxxxx`),
/// counted eight at a time.
pub(crate) fn count_chars(s: &str) -> usize {
    let b = s.as_bytes();
    // Per-byte counts, added up (by one multiplication, into the top byte) before their
    // total can pass 255: per block of 31 words.
    let mut cont = 0;
    for block in b.chunks(8 * 31) {
        let mut chunks = block.chunks_exact(8);
        let mut lanes = 0u64;
        for c in &mut chunks {
            let w = word(c);
            lanes += (w & !(w << 1) & HI) >> 7;
        }
        cont += (lanes.wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize;
        cont += chunks
            .remainder()
            .iter()
            .filter(|&&c| c & 0xc0 == 0x80)
            .count();
    }
    b.len() - cont
}

/// Pushes the offset after every `\n` of `b`, eight bytes at a time.
pub(crate) fn push_line_starts(b: &[u8], out: &mut Vec<usize>) {
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let mut m = eq_mask(word(c), b'\n');
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

    /// Start offset of every line.
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
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
            Some(s) => count_chars(s) as u32 + 1,
            None => 1,
        }
    }

    /// [`Source::span`] of `start..end` within the content of line `li` (0-based), without
    /// looking the line up.
    pub fn span_on_line(&self, li: usize, start: usize, end: usize) -> Span {
        let ls = self.line_starts[li];
        let col = count_chars(&self.text[ls..start]) as u32 + 1;
        let line = li as u32 + 1;
        let s = Span {
            start,
            end,
            line,
            col,
            end_line: line,
            end_col: col + count_chars(&self.text[start..end]) as u32,
        };
        debug_assert_eq!(s, self.span(start, end));
        s
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
        let mut last = end - 1;
        while !self.text.is_char_boundary(last) {
            last -= 1;
        }
        let last = last.max(start);
        let next_line = self.line_starts.get(li + 1).copied().unwrap_or(usize::MAX);
        let (eli, end_col) = if last < next_line {
            // Same line: count only the range's own characters.
            (li, col + count_chars(&self.text[start..end]) as u32)
        } else {
            let eli = self.line_index(last);
            (eli, self.col(eli, end))
        };
        Span {
            start,
            end,
            line,
            col,
            end_line: (eli + 1) as u32,
            end_col,
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
