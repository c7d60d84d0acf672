//! Minimal text edits on a Dockerfile: delete, insert and replace whole lines or byte ranges,
//! all expressed in the coordinates of the original text and applied in one pass, so a rule
//! can describe a move (delete here, insert there) without recomputing offsets.

use crate::ast::Instruction;

/// A set of non-overlapping edits on one text.
#[derive(Debug, Default)]
pub struct Edits {
    /// (start byte, end byte, replacement); `start == end` is an insertion.
    ops: Vec<(usize, usize, String)>,
}

/// Byte offset of the start of each line (1-based line `l` starts at `starts[l - 1]`).
pub fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' && i + 1 < text.len() {
            v.push(i + 1);
        }
    }
    v
}

/// The line ending the text uses (`\r\n` when its first line ends that way).
pub fn newline(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Byte range of lines `first..=last` (1-based), including the final line break.
pub fn lines_range(text: &str, first: u32, last: u32) -> Option<(usize, usize)> {
    let starts = line_starts(text);
    let a = *starts.get(first.checked_sub(1)? as usize)?;
    let b = starts.get(last as usize).copied().unwrap_or(text.len());
    (a <= b).then_some((a, b))
}

impl Edits {
    pub fn new() -> Self {
        Edits::default()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Replaces bytes `start..end`.
    pub fn replace(&mut self, start: usize, end: usize, with: impl Into<String>) {
        self.ops.push((start, end, with.into()));
    }

    /// Inserts `text` at byte `at`.
    pub fn insert(&mut self, at: usize, text: impl Into<String>) {
        self.ops.push((at, at, text.into()));
    }

    /// Deletes the whole lines of an instruction (heredoc bodies included).
    pub fn delete_instruction(&mut self, text: &str, ins: &Instruction) -> bool {
        match lines_range(text, ins.span.line, ins.span.end_line) {
            Some((a, b)) => {
                self.ops.push((a, b, String::new()));
                true
            }
            None => false,
        }
    }

    /// Inserts full lines (`lines` without trailing line break) before 1-based `line`;
    /// `line` past the end appends at the end of the file.
    pub fn insert_lines_before(&mut self, text: &str, line: u32, lines: &[String]) {
        let nl = newline(text);
        let starts = line_starts(text);
        let mut block: String = lines.iter().map(|l| format!("{l}{nl}")).collect();
        let at = match line.checked_sub(1).and_then(|i| starts.get(i as usize)) {
            Some(&a) => a,
            None => {
                if !text.is_empty() && !text.ends_with('\n') {
                    block.insert_str(0, nl);
                }
                text.len()
            }
        };
        self.ops.push((at, at, block));
    }

    /// The original source lines of an instruction (heredoc bodies included), without the
    /// final line break, for moving it elsewhere.
    pub fn instruction_lines(text: &str, ins: &Instruction) -> Option<Vec<String>> {
        let (a, b) = lines_range(text, ins.span.line, ins.span.end_line)?;
        let chunk = text.get(a..b)?;
        let chunk = chunk.strip_suffix('\n').unwrap_or(chunk);
        let chunk = chunk.strip_suffix('\r').unwrap_or(chunk);
        Some(
            chunk
                .split('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
                .collect(),
        )
    }

    /// Applies every edit; `None` when two edits overlap or a range is out of bounds.
    pub fn apply(mut self, text: &str) -> Option<String> {
        // Stable sort: insertions at the same offset keep their order and come before a
        // deletion that starts there.
        self.ops.sort_by_key(|(a, b, _)| (*a, *b));
        let mut out = String::with_capacity(text.len() + 64);
        let mut pos = 0usize;
        for (a, b, with) in &self.ops {
            if *a < pos || *b < *a || *b > text.len() {
                return None;
            }
            out.push_str(text.get(pos..*a)?);
            out.push_str(with);
            pos = *b;
        }
        out.push_str(text.get(pos..)?);
        Some(out)
    }
}

/// Byte offset just after an instruction's keyword (e.g. after `RUN`), checked against the
/// text so an insertion there is always well placed.
pub fn after_keyword(text: &str, ins: &Instruction) -> Option<usize> {
    let kw = ins.keyword.len();
    let start = ins.span.start;
    let word = text.get(start..start + kw)?;
    word.eq_ignore_ascii_case(&ins.keyword)
        .then_some(start + kw)
}

/// Byte offset where a RUN's command starts: after the keyword and its `--flags`.
pub fn command_start(text: &str, ins: &Instruction) -> Option<usize> {
    let mut i = after_keyword(text, ins)?;
    let bytes = text.as_bytes();
    let end = ins.span.end.min(text.len());
    loop {
        while i < end && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        if i + 1 < end && bytes[i] == b'-' && bytes[i + 1] == b'-' {
            while i < end && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            continue;
        }
        return (i < end).then_some(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn move_a_line_in_one_pass() {
        let text = "FROM a\nARG X\nRUN one\nRUN two\n";
        let df = crate::parse(text);
        let arg = &df.instructions[1];
        let mut e = Edits::new();
        let lines = Edits::instruction_lines(text, arg).unwrap();
        assert!(e.delete_instruction(text, arg));
        e.insert_lines_before(text, 4, &lines);
        assert_eq!(e.apply(text).unwrap(), "FROM a\nRUN one\nARG X\nRUN two\n");
    }

    #[test]
    fn append_without_final_newline_and_crlf() {
        let text = "FROM a\r\nRUN one";
        let mut e = Edits::new();
        e.insert_lines_before(text, 99, &["LABEL x=1".to_string()]);
        assert_eq!(e.apply(text).unwrap(), "FROM a\r\nRUN one\r\nLABEL x=1\r\n");
    }

    #[test]
    fn overlapping_edits_are_refused() {
        let mut e = Edits::new();
        e.replace(0, 4, "x");
        e.replace(2, 6, "y");
        assert!(e.apply("abcdefgh").is_none());
    }

    #[test]
    fn command_start_skips_flags() {
        let text = "FROM a\nRUN --mount=type=cache,target=/x  --network=none  echo hi\n";
        let df = crate::parse(text);
        let at = command_start(text, &df.instructions[1]).unwrap();
        assert!(text[at..].starts_with("echo hi"));
    }
}
