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
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str, bom_len: usize) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(bom_len);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' && i + 1 < text.len() {
                line_starts.push(i + 1);
            }
        }
        Source { text, line_starts }
    }

    /// The physical line starting at byte offset `start` (which must be a line start).
    pub fn line_at(&self, start: usize) -> Option<Line> {
        if start >= self.text.len() {
            return None;
        }
        let rest = &self.text[start..];
        let (nl, end) = match rest.find('\n') {
            Some(i) => (start + i, start + i + 1),
            None => (self.text.len(), self.text.len()),
        };
        let bytes = self.text.as_bytes();
        let mut content_end = nl;
        while content_end > start && (bytes[content_end - 1] == b'\r') {
            content_end -= 1;
        }
        Some(Line {
            start,
            content_end,
            end,
        })
    }

    /// 0-based index of the line containing byte offset `off`.
    fn line_index(&self, off: usize) -> usize {
        let p = self.line_starts.partition_point(|&s| s <= off);
        p.saturating_sub(1)
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
        let start = start.max(self.line_starts[0]).min(self.text.len());
        let end = end.max(start).min(self.text.len());
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

    /// A zero-width span at the very end of the input (for "file with no instructions").
    pub fn end_span(&self) -> Span {
        // Point at the end of the last non-empty content, or 1:1.
        let t = self.text.trim_end_matches(['\n', '\r']);
        let off = t.len().max(self.line_starts[0]);
        self.span(off, off)
    }
}
