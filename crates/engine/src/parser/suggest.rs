//! "did you mean X?" suggestions, as BuildKit's `util/suggest`: the closest option within
//! Levenshtein distance 2.

/// Levenshtein distance over characters (unit costs). Short second words (every option
/// list here) use stack rows.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let mut bs = ['\0'; 32];
    let mut n = 0;
    for c in b.chars() {
        if n == bs.len() {
            return levenshtein_heap(a, b);
        }
        bs[n] = c;
        n += 1;
    }
    let b = &bs[..n];
    let mut rows = [[0usize; 33]; 2];
    let [r0, r1] = &mut rows;
    // Swap the row references, not the rows.
    let (mut prev, mut cur) = (&mut r0[..=n], &mut r1[..=n]);
    for (j, p) in prev.iter_mut().enumerate() {
        *p = j;
    }
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[n]
}

fn levenshtein_heap(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn match_case(opt: &str, orig: &str) -> String {
    if orig == orig.to_ascii_lowercase() {
        opt.to_ascii_lowercase()
    } else if orig == orig.to_ascii_uppercase() {
        opt.to_ascii_uppercase()
    } else {
        opt.to_string()
    }
}

/// The closest option to `val` (distance < 3), or `None` (also when `val` is an option).
/// Ties go to the first option in the list.
pub(crate) fn search(val: &str, options: &[&str], case_sensitive: bool) -> Option<String> {
    // A word more than 2 characters longer than every option cannot be within distance 2.
    let longest = options.iter().map(|o| o.chars().count()).max().unwrap_or(0);
    if val.len() > 4 * (longest + 2) || val.chars().count() > longest + 2 {
        return None;
    }
    fn fold(s: &str, case_sensitive: bool) -> std::borrow::Cow<'_, str> {
        if case_sensitive || !s.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Borrowed(s)
        } else {
            std::borrow::Cow::Owned(s.to_ascii_lowercase())
        }
    }
    let v = fold(val, case_sensitive);
    let v_len = v.chars().count();
    let mut best: Option<&str> = None;
    let mut mindist = 3;
    let mut lower = [0u8; 32];
    for opt in options {
        // Options are short ASCII words: lower-case them on the stack.
        let o: std::borrow::Cow<str> = if !case_sensitive && opt.is_ascii() && opt.len() <= 32 {
            let b = &mut lower[..opt.len()];
            b.copy_from_slice(opt.as_bytes());
            b.make_ascii_lowercase();
            std::borrow::Cow::Borrowed(std::str::from_utf8(b).unwrap_or(opt))
        } else {
            fold(opt, case_sensitive)
        };
        if v == o {
            return None;
        }
        // Cheap lower bound before the quadratic distance.
        if v_len.abs_diff(o.chars().count()) >= mindist {
            continue;
        }
        let d = levenshtein(&v, &o);
        if d < mindist {
            best = Some(opt);
            mindist = d;
        }
    }
    best.map(|o| {
        if case_sensitive {
            o.to_string()
        } else {
            match_case(o, val)
        }
    })
}

/// `msg` plus ` (did you mean X?)` when there is a close option.
pub(crate) fn wrap(msg: String, val: &str, options: &[&str], case_sensitive: bool) -> String {
    match search(val, options, case_sensitive) {
        Some(m) => format!("{msg} (did you mean {m}?)"),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        let long = "x".repeat(40);
        assert_eq!(levenshtein("x", &long), 39);
        assert_eq!(levenshtein(&long, "x"), 39);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("copy", "copy"), 0);
        assert_eq!(levenshtein("coppy", "copy"), 1);
    }

    #[test]
    fn suggestions_follow_case() {
        let opts = ["COPY", "RUN", "FROM"];
        assert_eq!(search("COPPY", &opts, false).as_deref(), Some("COPY"));
        assert_eq!(search("coppy", &opts, false).as_deref(), Some("copy"));
        assert_eq!(search("Frm", &opts, false).as_deref(), Some("FROM"));
        assert_eq!(search("xyzzy", &opts, false), None);
        assert_eq!(search("copy", &opts, false), None);
    }
}
