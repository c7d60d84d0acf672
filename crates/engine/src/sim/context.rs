//! The virtual build context: the files a build sends, after `.dockerignore`, and the
//! selection of COPY/ADD sources from it.
//!
//! Both builders hash what a COPY selects by relative name, content and permission bits;
//! mtime and client-side ownership never count (semantics R5). The Dockerfile and the
//! `.dockerignore` are context files like any other (R6).

use super::hash::{FxHashMap, Id, KeyHasher};
use crate::ignore::{self, PatternMatcher};
use crate::scenario::FileSpec;
use crate::scenario::Map;
use crate::share::{Memo, Shared};

/// Digests by (source, `--exclude` patterns). Most sources have no excludes: those are found
/// by the source alone, without building a key per lookup.
#[derive(Clone, Debug, Default)]
struct DigestMemo {
    plain: FxHashMap<String, Result<Id, String>>,
    excluding: FxHashMap<(String, Vec<String>), Result<Id, String>>,
}

impl DigestMemo {
    fn get(&self, source: &str, excludes: &[String]) -> Option<&Result<Id, String>> {
        if excludes.is_empty() {
            self.plain.get(source)
        } else {
            self.excluding.get(&(source.to_string(), excludes.to_vec()))
        }
    }

    fn insert(&mut self, source: &str, excludes: &[String], r: Result<Id, String>) {
        if excludes.is_empty() {
            self.plain.insert(source.to_string(), r);
        } else {
            self.excluding
                .insert((source.to_string(), excludes.to_vec()), r);
        }
    }
}

/// The context a changed copy was derived from: its digests hold for every source that no
/// changed path lies under.
#[derive(Clone, Debug, Default)]
struct Base {
    memo: Shared<Memo<DigestMemo>>,
    /// Clean paths that were replaced, added or removed.
    changed: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub content: Id,
    pub mode: u32,
}

/// Context files by clean relative path: one vector sorted by path, without duplicates
/// (binary search for a path, one contiguous run for a directory). The paths are slices of
/// one shared string: building 20,000 of them is one allocation, not one per path, and a
/// derived context (build B, an edited Dockerfile) shares or copies that string instead of
/// the paths one by one.
#[derive(Clone, Debug, Default)]
pub struct Files {
    names: Names,
    slots: Vec<Slot>,
}

/// The shared names of [`Files`]. Natively an `Shared<String>`: the string is shared as it was
/// built, where making an `Shared<str>` of it copies all of it once more (20,000 paths); in wasm
/// an `Shared<str>` (one load less at every use of a name: a smaller bundle).
#[cfg(not(target_arch = "wasm32"))]
type Names = Shared<String>;
#[cfg(target_arch = "wasm32")]
type Names = Shared<str>;

/// One file of [`Files`]: where its path is in the names, and its entry.
#[derive(Clone, Copy, Debug)]
struct Slot {
    start: u32,
    end: u32,
    entry: FileEntry,
}

fn slot_name<'n>(names: &'n str, s: &Slot) -> &'n str {
    &names[s.start as usize..s.end as usize]
}

/// Inserts or replaces the slot of `s`'s path in `slots`, sorted by name in `names`.
fn insert_slot(slots: &mut Vec<Slot>, names: &str, s: Slot) {
    let path = slot_name(names, &s);
    match slots.binary_search_by(|x| slot_name(names, x).cmp(path)) {
        Ok(i) => slots[i] = s,
        Err(i) => slots.insert(i, s),
    }
}

impl PartialEq for Files {
    fn eq(&self, other: &Files) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Files {}

impl Files {
    fn name(&self, s: &Slot) -> &str {
        slot_name(&self.names, s)
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn get(&self, path: &str) -> Option<&FileEntry> {
        self.slots
            .binary_search_by(|s| self.name(s).cmp(path))
            .ok()
            .map(|i| &self.slots[i].entry)
    }

    pub fn contains_key(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// The paths, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| self.name(s))
    }

    /// The entries, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FileEntry)> {
        self.slots.iter().map(|s| (self.name(s), &s.entry))
    }

    /// The entries whose path starts with `prefix` (with a trailing `/`: the files under a
    /// directory), in order: they are contiguous from the first path not below `prefix`.
    pub fn with_prefix<'s>(
        &'s self,
        prefix: &str,
    ) -> impl Iterator<Item = (&'s str, &'s FileEntry)> + 's {
        self.prefixed(prefix)
            .iter()
            .map(|s| (self.name(s), &s.entry))
    }

    /// The slots of [`Files::with_prefix`].
    fn prefixed(&self, prefix: &str) -> &[Slot] {
        let start = self.slots.partition_point(|s| self.name(s) < prefix);
        let rest = &self.slots[start..];
        let n = rest.partition_point(|s| self.name(s).starts_with(prefix));
        &rest[..n]
    }

    fn has_prefix(&self, prefix: &str) -> bool {
        let start = self.slots.partition_point(|s| self.name(s) < prefix);
        self.slots
            .get(start)
            .is_some_and(|s| self.name(s).starts_with(prefix))
    }
}

/// Sorts `v` by key and keeps, of entries with equal keys, the one that came last (what
/// inserting them into a map in order leaves). Unstable sort on (key, position): one sort
/// shape, no merge buffer.
fn keep_last_sorted<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    use std::cmp::Ordering::{Equal, Less};
    // Usually already sorted and distinct (the scenario's files come from a sorted map).
    if v.windows(2).all(|w| cmp(&w[0], &w[1]) == Less) {
        return;
    }
    let mut idx: Vec<(usize, T)> = std::mem::take(v).into_iter().enumerate().collect();
    crate::order::sort_unstable_by(&mut idx, |a, b| cmp(&a.1, &b.1).then(a.0.cmp(&b.0)));
    // Of a run of equal keys, keep the last (the highest position).
    let mut out: Vec<T> = Vec::with_capacity(idx.len());
    let mut it = idx.into_iter().peekable();
    while let Some((_, x)) = it.next() {
        if it.peek().is_some_and(|(_, y)| cmp(y, &x) == Equal) {
            continue;
        }
        out.push(x);
    }
    *v = out;
}

/// What is in the context as the builder sees it.
#[derive(Debug, Default)]
pub struct Context {
    /// Visible files (not excluded by `.dockerignore`), by clean relative path.
    pub files: Files,
    /// Files present on disk but excluded by `.dockerignore`.
    pub ignored: Files,
    /// A `.dockerignore` pattern the matcher rejected (the real build fails on it).
    pub ignore_error: Option<String>,
    /// Digests already computed, by (source, excludes): both builders ask for the same ones.
    memo: Shared<Memo<DigestMemo>>,
    /// For a context made by [`Context::with_changes`]: the original's digests.
    base: Option<Base>,
    /// The `.dockerignore` text this context was matched with and its matcher, for
    /// [`Context::with_changes`] under the same file.
    matcher: Option<Shared<(String, PatternMatcher)>>,
}

impl Clone for Context {
    /// A copy with its own memo (the copy's files may be changed afterwards).
    fn clone(&self) -> Self {
        Context {
            files: self.files.clone(),
            ignored: self.ignored.clone(),
            ignore_error: self.ignore_error.clone(),
            memo: Shared::new(Memo::new(self.memo.with(|m| m.clone()))),
            base: None,
            matcher: self.matcher.clone(),
        }
    }
}

fn is_clean(p: &str) -> bool {
    ignore::is_clean_relative(p)
}

/// Normalises a context path the way both builders do: no leading `/` or `./`, `.` and `..`
/// resolved without escaping the root, no trailing `/`. The root is `""`.
pub fn clean(path: &str) -> String {
    clean_cow(path).into_owned()
}

/// [`clean`], borrowing `path` when it is already clean (or clean but for a trailing `/`).
pub fn clean_cow(path: &str) -> std::borrow::Cow<'_, str> {
    // Most sources are already clean, or clean but for a trailing `/` (`src/`).
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if is_clean(trimmed) {
        return std::borrow::Cow::Borrowed(trimmed);
    }
    // Or an absolute one (`/src` of `COPY --from`): leading `/`s only go away.
    let relative = trimmed.trim_start_matches('/');
    if relative.len() < trimmed.len() && is_clean(relative) {
        return std::borrow::Cow::Borrowed(relative);
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    std::borrow::Cow::Owned(parts.join("/"))
}

/// `path` without `dir` and a `/` (`None` when it does not start with them), comparing
/// eight bytes at a time: directories are short, and a `memcmp` call costs more than them.
fn strip_dir<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    let (p, d) = (path.as_bytes(), dir.as_bytes());
    let n = d.len();
    if p.len() <= n || p[n] != b'/' {
        return None;
    }
    let mut i = 0;
    while i + 8 <= n {
        if word(&p[i..]) != word(&d[i..]) {
            return None;
        }
        i += 8;
    }
    let same = if i == n {
        true
    } else if n >= 8 {
        // The last eight bytes, which overlap bytes already compared.
        word(&p[n - 8..]) == word(&d[n - 8..])
    } else {
        // (A loop, not `==`: that is the `memcmp` call this avoids.)
        d.iter().zip(p).all(|(a, b)| a == b)
    };
    if same {
        path.get(n + 1..)
    } else {
        None
    }
}

/// Whether `path` is `dir`, a `/` and a plain name (not empty, `.` or `..`, without `/`):
/// a clean path of a file directly in `dir`. (`strip_dir` and the name's tests; natively,
/// the usual directory of 8 to 16 bytes is compared as its first and last eight.)
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn is_sibling(path: &str, dir: &str) -> bool {
    let (p, d) = (path.as_bytes(), dir.as_bytes());
    let n = d.len();
    if p.len() < n + 2 || p[n] != b'/' {
        return false;
    }
    let name = &p[n + 1..];
    if matches!(name, [b'.'] | [b'.', b'.']) {
        return false;
    }
    let same = if cfg!(not(target_arch = "wasm32")) && (8..=16).contains(&n) {
        word(p) == word(d) && word(&p[n - 8..]) == word(&d[n - 8..])
    } else {
        strip_dir(path, dir).is_some()
    };
    same && !has_slash(name)
}

/// Appends `p` to `names`. Natively, a path of up to 48 bytes is copied with a length known
/// at compile time (a few moves, not a `memcpy` call: contexts of thousands of short paths).
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn push_name(names: &mut String, p: &str) {
    macro_rules! fixed {
        ($($n:literal)*) => {
            match p.len() {
                $($n => names.push_str(&p[..$n]),)*
                _ => names.push_str(p),
            }
        };
    }
    fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24
        25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48)
}

/// Appends `p` to `names` (in wasm: the general copy, smaller).
#[cfg(target_arch = "wasm32")]
#[inline]
fn push_name(names: &mut String, p: &str) {
    names.push_str(p)
}

/// Whether `b` contains a `/`, eight bytes at a time: names are short, and `memchr`'s
/// setup costs more than their search.
fn has_slash(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero where `w` has a `/` (the classic has-zero-byte test).
    let zero_where_slash = |w: u64| {
        let x = w ^ (LO * u64::from(b'/'));
        x.wrapping_sub(LO) & !x
    };
    let slash_in = |w: u64| zero_where_slash(w) & HI != 0;
    // The usual file name, 8 to 16 bytes: its first and last eight, in one test (natively;
    // wasm keeps the loop alone, smaller).
    if cfg!(not(target_arch = "wasm32")) && (8..=16).contains(&b.len()) {
        let (first, last) = (word(b), word(&b[b.len() - 8..]));
        return (zero_where_slash(first) | zero_where_slash(last)) & HI != 0;
    }
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        if slash_in(word(c)) {
            return true;
        }
    }
    let rest = chunks.remainder();
    if rest.is_empty() {
        return false;
    }
    // The remainder within the last eight bytes, which overlap bytes already read.
    if b.len() >= 8 {
        return slash_in(word(&b[b.len() - 8..]));
    }
    // (A loop, not `contains`: that is the `memchr` call this avoids.)
    for &c in rest {
        if c == b'/' {
            return true;
        }
    }
    false
}

/// The first eight bytes of `b` as a word (one bounds check, then one load).
#[inline]
fn word(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap_or_default())
}

/// The identity of a file's content. Identities are only compared and hashed into keys,
/// never shown: a content shorter than 16 bytes is its own identity (its bytes, its length
/// and the top bit set), which costs a fraction of hashing it (contexts of thousands of
/// small files); a longer one is hashed, with the top bit clear, so no two differ.
#[inline]
fn file_id(content: &str) -> Id {
    #[inline(never)]
    fn hashed(content: &str) -> Id {
        const FILE: KeyHasher = KeyHasher::new("file");
        let mut h = FILE;
        Id(h.str(content).finish().0 & !(1 << 127))
    }
    let b = content.as_bytes();
    let n = b.len();
    if n >= 16 {
        return hashed(content);
    }
    let bytes = if n >= 8 {
        // Bytes 8.. from the last eight (which overlap the first eight when `n < 16`).
        let high = word(&b[n - 8..])
            .checked_shr(8 * (16 - n as u32))
            .unwrap_or(0);
        u128::from(word(b)) | (u128::from(high) << 64)
    } else {
        b.iter()
            .enumerate()
            .fold(0u128, |x, (i, &c)| x | (u128::from(c) << (8 * i)))
    };
    Id(bytes | ((n as u128) << 120) | (1 << 127))
}

/// Appends `p` to `names`, and returns its slot with `entry`.
#[inline(always)]
fn push(names: &mut String, p: &str, entry: FileEntry) -> Slot {
    let start = names.len() as u32;
    push_name(names, p);
    Slot {
        start,
        end: names.len() as u32,
        entry,
    }
}

/// The files at the start of `files` that are directly in `dir` (see [`is_sibling`]), with
/// their paths appended to `names` and their slots to `out`; returns how many. (A function
/// of its own: the loop keeps its few values in registers.)
#[inline(never)]
fn push_siblings(
    files: &[(String, FileSpec)],
    dir: &str,
    names: &mut String,
    out: &mut Vec<Slot>,
) -> usize {
    let mut n = 0;
    for (p, spec) in files {
        if !is_sibling(p, dir) {
            break;
        }
        let entry = FileEntry {
            content: file_id(spec.content()),
            mode: spec.mode(),
        };
        out.push(push(names, p, entry));
        n += 1;
    }
    n
}

impl Context {
    /// Builds the context from the scenario's files, plus the Dockerfile and `.dockerignore`
    /// themselves (both are context files unless ignored).
    pub fn new(
        files: &Map<String, FileSpec>,
        dockerfile: &str,
        dockerignore: Option<&str>,
    ) -> Context {
        let mut ctx = Context::default();
        let matcher = match dockerignore {
            Some(text) => match PatternMatcher::new(&ignore::read_ignore_file(text)) {
                Ok(m) => Some(m),
                Err(e) => {
                    ctx.ignore_error = Some(e.message);
                    None
                }
            },
            None => None,
        };
        let mut batch = matcher.as_ref().map(PatternMatcher::batch);
        // Collected in the scenario's (sorted) order, then built in bulk; every path is
        // appended to one string of names.
        let mut names = String::with_capacity(files.keys().map(|p| p.len()).sum::<usize>() + 24);
        let (mut visible, mut ignored) = (Vec::with_capacity(files.len() + 2), Vec::new());

        // Every path so far was clean as given: the names are the map's keys, sorted and
        // distinct, and need no sorting.
        let mut all_clean = true;
        // The parent of the previous clean path: a path that starts with it and a `/`, and
        // whose name is a plain name, is clean and a sibling (paths come sorted, so most
        // are), without reading its directories again.
        let mut prev_parent: Option<&str> = None;
        // The matcher's answer for every file of `prev_parent`, when the directory alone
        // decides it.
        let mut dir_verdict: Option<bool> = None;
        // The generated files replace context files of the same name. They are placed
        // where they belong in the scenario's order as the loop passes there (inserting
        // them afterwards would move every slot after them): by name, each with the index
        // of the first context path not before it and whether that path is its own name.
        let mut generated: Vec<(&str, &str, usize, bool)> = [(".dockerignore", dockerignore)]
            .into_iter()
            .filter_map(|(p, t)| Some((p, t?)))
            .chain([("Dockerfile", dockerfile)])
            .map(|(p, text)| match files.find_index(p) {
                Ok(i) => (p, text, i, true),
                Err(i) => (p, text, i, false),
            })
            .collect();
        // (Names sort before their index does: `.dockerignore` < `Dockerfile`.)
        crate::order::sort_by_key(&mut generated, |g| g.2);
        // The generated files' excluded flags and slots, for the unsorted case.
        let mut placed: Vec<(bool, Slot)> = Vec::with_capacity(2);
        let all: &[(String, FileSpec)] = files.as_slice();
        let mut at = 0;
        // The context files before each generated file (and after the last one), then it.
        for next in 0..=generated.len() {
            let until = generated.get(next).map_or(files.len(), |g| g.2);
            while at < until {
                // A run of files directly in a directory the matcher decided as a whole: each
                // one's path is copied and its slot goes to the directory's list.
                // (Natively; wasm takes the files one by one below, a smaller bundle.)
                if let (false, Some(d), Some(excluded)) =
                    (cfg!(target_arch = "wasm32"), prev_parent, dir_verdict)
                {
                    let out = if excluded { &mut ignored } else { &mut visible };
                    at += push_siblings(&all[at..until], d, &mut names, out);
                    if at == until {
                        break;
                    }
                }
                let (p, spec) = &all[at];
                at += 1;
                let sibling = prev_parent.and_then(|d| is_sibling(p, d).then_some(d.len()));
                if let (true, Some(_), Some(excluded)) =
                    (cfg!(target_arch = "wasm32"), sibling, dir_verdict)
                {
                    let entry = FileEntry {
                        content: file_id(spec.content()),
                        mode: spec.mode(),
                    };
                    let slot = push(&mut names, p, entry);
                    if excluded {
                        ignored.push(slot);
                    } else {
                        visible.push(slot);
                    }
                    continue;
                }
                let clean_parent = match sibling {
                    Some(i) => Some(Some(i)),
                    None => ignore::clean_relative_parent(p),
                };
                let entry = FileEntry {
                    content: file_id(spec.content()),
                    mode: spec.mode(),
                };
                let (slot, excluded) = match clean_parent {
                    Some(parent) => {
                        prev_parent = parent.map(|i| &p[..i]);
                        let excluded = match batch.as_mut() {
                            Some(m) => {
                                let x = m.matches_clean(p, parent, sibling.is_some());
                                dir_verdict = parent.and(m.parent_verdict());
                                x
                            }
                            None => {
                                dir_verdict = Some(false);
                                false
                            }
                        };
                        (push(&mut names, p, entry), excluded)
                    }
                    None => {
                        prev_parent = None;
                        dir_verdict = None;
                        all_clean = false;
                        let p = clean(p);
                        if p.is_empty() {
                            continue;
                        }
                        let excluded = batch
                            .as_mut()
                            .is_some_and(|m| m.matches_or_parent_matches(&p));
                        (push(&mut names, &p, entry), excluded)
                    }
                };
                if excluded {
                    ignored.push(slot);
                } else {
                    visible.push(slot);
                }
            }
            let Some(&(g, text, _, same)) = generated.get(next) else {
                break;
            };
            let excluded = batch
                .as_mut()
                .is_some_and(|m| m.matches_or_parent_matches(g));
            let slot = push(&mut names, g, Context::text_entry(text));
            placed.push((excluded, slot));
            if excluded {
                ignored.push(slot);
            } else {
                visible.push(slot);
            }
            if same {
                // The context file of its name is replaced. (The generated file has no `/`:
                // the matcher's parent is unchanged, and the next path's sibling test
                // against `prev_parent` still holds.)
                at += 1;
            }
        }
        drop(batch);
        if !all_clean {
            // A cleaned path may land anywhere: sort, keeping the last of equal names, then
            // put the generated files back over any context file of their name.
            let by_name = |a: &Slot, b: &Slot| slot_name(&names, a).cmp(slot_name(&names, b));
            keep_last_sorted(&mut visible, by_name);
            keep_last_sorted(&mut ignored, by_name);
            for &(excluded, slot) in &placed {
                insert_slot(
                    if excluded { &mut ignored } else { &mut visible },
                    &names,
                    slot,
                );
            }
        }
        let names = Names::from(names);
        ctx.files = Files {
            names: Shared::clone(&names),
            slots: visible,
        };
        ctx.ignored = Files {
            names,
            slots: ignored,
        };
        ctx.matcher = dockerignore
            .zip(matcher)
            .map(|(t, m)| Shared::new((t.to_string(), m)));
        ctx
    }

    /// A copy of this context with some files replaced (`Some`) or removed (`None`), under
    /// the same `.dockerignore`: only the changed paths are matched again. This keeps
    /// build B cheap when the context is large and the change is small.
    pub fn with_changes(
        &self,
        dockerignore: Option<&str>,
        changes: &[(String, Option<FileEntry>)],
    ) -> Context {
        // The original's matcher when the text is the same (build B under A's file).
        let matcher = match (dockerignore, &self.matcher) {
            (Some(t), Some(m)) if m.0 == t => Some(Shared::clone(m)),
            (Some(t), _) => PatternMatcher::new(&ignore::read_ignore_file(t))
                .ok()
                .map(|m| Shared::new((t.to_string(), m))),
            (None, _) => None,
        };
        let mut changed = Vec::with_capacity(changes.len());
        let cleaned: Vec<String> = changes.iter().map(|(p, _)| clean(p)).collect();
        // Where a path already is in the names (a changed file that existed before).
        let existing = |p: &str| -> Option<(u32, u32)> {
            [&self.files, &self.ignored].into_iter().find_map(|f| {
                let i = f.slots.binary_search_by(|s| f.name(s).cmp(p)).ok()?;
                Some((f.slots[i].start, f.slots[i].end))
            })
        };
        // When every changed path was in the context already (build B's changed file, an
        // edited Dockerfile), the new context shares the original's names; otherwise the new
        // names are the old ones (the ignored files' too when they are kept apart), then the
        // changed paths.
        let reuse = Shared::ptr_eq(&self.files.names, &self.ignored.names)
            && cleaned
                .iter()
                .all(|p| p.is_empty() || existing(p).is_some());
        let mut own = String::new();
        let mut ignored_at = 0;
        if !reuse {
            own.reserve(self.files.names.len() + self.ignored.names.len() + changes.len() * 16);
            own.push_str(&self.files.names);
            if !Shared::ptr_eq(&self.files.names, &self.ignored.names) {
                ignored_at = own.len() as u32;
                own.push_str(&self.ignored.names);
            }
        }
        // The last change of each path, with its verdict: (slot of the path, entry, excluded).
        let mut last: Vec<(Slot, Option<FileEntry>, bool)> = Vec::with_capacity(changes.len());
        for (p, (_, e)) in cleaned.into_iter().zip(changes) {
            if p.is_empty() {
                continue;
            }
            let excluded = e.is_some()
                && matcher
                    .as_ref()
                    .is_some_and(|m| m.1.matches_or_parent_matches(&p).unwrap_or(false));
            let (start, end) = match reuse {
                true => existing(&p).expect("checked above"),
                false => {
                    let start = own.len() as u32;
                    own.push_str(&p);
                    (start, own.len() as u32)
                }
            };
            let slot = Slot {
                start,
                end,
                entry: e.unwrap_or(FileEntry {
                    content: Id::default(),
                    mode: 0,
                }),
            };
            last.push((slot, *e, excluded));
            changed.push(p);
        }
        let names: &str = if reuse { &self.files.names } else { &own };
        keep_last_sorted(&mut last, |a, b| {
            slot_name(names, &a.0).cmp(slot_name(names, &b.0))
        });
        // One merge per list: the unchanged entries in order, each changed path where it
        // belongs (or nowhere when removed).
        let merge = |old: &Files, shift: u32, want_excluded: bool| {
            let moved = |s: &Slot| Slot {
                start: s.start + shift,
                end: s.end + shift,
                entry: s.entry,
            };
            let mut out = Vec::with_capacity(old.len() + last.len());
            let mut rest = &old.slots[..];
            for (slot, e, excluded) in &last {
                let p = slot_name(names, slot);
                let at = rest.partition_point(|k| old.name(k) < p);
                out.extend(rest[..at].iter().map(moved));
                rest = &rest[at..];
                if rest.first().is_some_and(|k| old.name(k) == p) {
                    rest = &rest[1..];
                }
                if e.is_some() && *excluded == want_excluded {
                    out.push(*slot);
                }
            }
            out.extend(rest.iter().map(moved));
            out
        };
        let files = merge(&self.files, 0, false);
        let ignored = merge(&self.ignored, ignored_at, true);
        let names: Names = if reuse {
            Shared::clone(&self.files.names)
        } else {
            own.into()
        };
        // The memo is sized for what the original (or its own original) holds: the same
        // sources are asked for again, and a memo grown one insert at a time rehashes often.
        let mut memo = DigestMemo::default();
        let mut known = self.memo.with(|m| m.plain.len());
        if let Some(b) = &self.base {
            known = known.max(b.memo.with(|m| m.plain.len()));
        }
        memo.plain.reserve(known);
        let mut ctx = Context {
            files: Files {
                names: Shared::clone(&names),
                slots: files,
            },
            ignored: Files {
                names,
                slots: ignored,
            },
            ignore_error: self.ignore_error.clone(),
            memo: Shared::new(Memo::new(memo)),
            base: None,
            matcher: None,
        };
        ctx.base = Some(Base {
            memo: Shared::clone(&self.memo),
            changed,
        });
        ctx.matcher = matcher;
        ctx
    }

    /// The entry a file spec gets in the context.
    pub fn entry(spec: &FileSpec) -> FileEntry {
        FileEntry {
            content: file_id(spec.content()),
            mode: spec.mode(),
        }
    }

    /// The entry of a generated context file (the Dockerfile, `.dockerignore`).
    pub fn text_entry(text: &str) -> FileEntry {
        FileEntry {
            content: file_id(text),
            mode: 0o644,
        }
    }

    fn is_dir(files: &Files, dir: &str) -> bool {
        if dir.is_empty() {
            return true;
        }
        files.has_prefix(&format!("{dir}/"))
    }

    /// Selects the files a COPY/ADD source names. `excludes` are `--exclude` patterns
    /// (BuildKit only), matched against the selected relative paths.
    pub fn select(&self, source: &str, excludes: &[String]) -> Result<Selection, String> {
        let mut sel = select_from(&self.files, source)?;
        if !excludes.is_empty() {
            if let Ok(m) = PatternMatcher::new(excludes) {
                let mut m = m.batch();
                sel.files
                    .retain(|(rel, _)| !m.matches_or_parent_matches(rel));
            }
        }
        Ok(sel)
    }

    /// The content digest of what a source selects; equal to `select(..).digest()` but
    /// without building the selection (this runs for every COPY of every build).
    pub fn digest(&self, source: &str, excludes: &[String]) -> Result<Id, String> {
        if let Some(r) = self.memo.with(|m| m.get(source, excludes).cloned()) {
            return r;
        }
        // What a source selects depends only on the files at or under it: when no changed
        // path is there, the original context's digest holds (build B reuses build A's).
        // A digest computed here for such a source holds there too: it is written back,
        // so contexts derived from the same original one after another (a Dockerfile
        // edited key by key) share it.
        let unaffected_base = self.base.as_ref().filter(|b| {
            let src = clean_cow(source);
            !has_glob(&src)
                && !b.changed.iter().any(|p| {
                    src.is_empty()
                        || p.strip_prefix(&*src)
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
        });
        let inherited =
            unaffected_base.and_then(|b| b.memo.with(|m| m.get(source, excludes).cloned()));
        let r = match inherited {
            Some(r) => r,
            None => {
                let r = self.digest_uncached(source, excludes);
                if let Some(b) = unaffected_base {
                    b.memo.with(|m| m.insert(source, excludes, r.clone()));
                }
                r
            }
        };
        self.memo.with(|m| m.insert(source, excludes, r.clone()));
        r
    }

    fn digest_uncached(&self, source: &str, excludes: &[String]) -> Result<Id, String> {
        let src = clean_cow(source);
        if !excludes.is_empty() || has_glob(&src) || self.files.contains_key(&src) {
            return self.select(source, excludes).map(|s| s.digest());
        }
        if !Context::is_dir(&self.files, &src) {
            return Err(format!("'{source}' not found in the build context"));
        }
        let prefix = if src.is_empty() {
            String::new()
        } else {
            format!("{src}/")
        };
        // `Selection::digest` of the directory's files (relative names as bytes: slicing the
        // names as `str` checks character boundaries, a fifth of the cost per file).
        const SELECTION: KeyHasher = KeyHasher::new("selection");
        let mut h = SELECTION;
        let names = self.files.names.as_bytes();
        for s in self.files.prefixed(&prefix) {
            let rel = names
                .get(s.start as usize + prefix.len()..s.end as usize)
                .unwrap_or_default();
            h.bytes(rel).id(s.entry.content).u64(s.entry.mode as u64);
        }
        Ok(h.finish())
    }

    /// Whether a source selects the context file at `path`.
    pub fn selects(&self, source: &str, excludes: &[String], path: &str) -> bool {
        self.select(source, excludes)
            .map(|s| s.files.iter().any(|(_, f)| f.path == path))
            .unwrap_or(false)
    }

    /// Where a source would have matched had `.dockerignore` not excluded it.
    pub fn ignored_matches(&self, source: &str) -> Vec<String> {
        match select_from(&self.ignored, source) {
            Ok(s) => s.files.into_iter().map(|(_, f)| f.path).collect(),
            Err(_) => Vec::new(),
        }
    }
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// One selected file: its context path and the name it gets under the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    pub path: String,
    pub entry: FileEntry,
}

/// The files a source selects, by relative name under the destination: sorted by that
/// name, each name once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub files: Vec<(String, Selected)>,
}

impl Selection {
    pub fn digest(&self) -> Id {
        let mut h = KeyHasher::new("selection");
        for (rel, s) in &self.files {
            h.str(rel).id(s.entry.content).u64(s.entry.mode as u64);
        }
        h.finish()
    }

    /// The file selected under the relative name `rel`.
    pub fn get(&self, rel: &str) -> Option<&Selected> {
        self.files
            .binary_search_by(|(k, _)| k.as_str().cmp(rel))
            .ok()
            .map(|i| &self.files[i].1)
    }
}

fn select_from(files: &Files, source: &str) -> Result<Selection, String> {
    let src = clean(source);
    let selected = |p: &str, e: &FileEntry| Selected {
        path: p.to_string(),
        entry: *e,
    };
    if has_glob(&src) {
        // Match the pattern against every file and every implicit directory; in that order
        // a later match replaces an earlier one of the same name.
        let mut out: Vec<(String, Selected)> = Vec::new();
        let mut dirs: Vec<&str> = Vec::new();
        for p in files.keys() {
            let mut cur: &str = p;
            while let Some(i) = cur.rfind('/') {
                cur = &cur[..i];
                dirs.push(cur);
            }
        }
        crate::order::sort_unstable(&mut dirs);
        dirs.dedup();
        for d in dirs {
            if ignore::filepath_match(&src, d).unwrap_or(false) {
                let base = d.rsplit('/').next().unwrap_or(d);
                for (p, e) in files.with_prefix(&format!("{d}/")) {
                    let rest = &p[d.len() + 1..];
                    out.push((format!("{base}/{rest}"), selected(p, e)));
                }
            }
        }
        for (p, e) in files.iter() {
            if ignore::filepath_match(&src, p).unwrap_or(false) {
                let base = p.rsplit('/').next().unwrap_or(p).to_string();
                out.push((base, selected(p, e)));
            }
        }
        if out.is_empty() {
            return Err(format!(
                "no source files were specified: '{source}' matches nothing"
            ));
        }
        keep_last_sorted(&mut out, |a, b| a.0.cmp(&b.0));
        return Ok(Selection { files: out });
    }
    if let Some(e) = files.get(src.as_str()) {
        let base = src.rsplit('/').next().unwrap_or(&src).to_string();
        let one = Selected {
            path: src.clone(),
            entry: *e,
        };
        return Ok(Selection {
            files: vec![(base, one)],
        });
    }
    if Context::is_dir(files, &src) {
        // One directory: the relative names come sorted and distinct.
        let prefix = if src.is_empty() {
            String::new()
        } else {
            format!("{src}/")
        };
        let files = files
            .with_prefix(&prefix)
            .map(|(p, e)| (p[prefix.len()..].to_string(), selected(p, e)))
            .collect();
        return Ok(Selection { files });
    }
    Err(format!("'{source}' not found in the build context"))
}

/// How one selected file differs between two builds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
    Content(String),
    Mode(String, u32, u32),
    Added(String),
    Removed(String),
}

impl FileChange {
    pub fn describe(&self) -> String {
        match self {
            FileChange::Content(p) => format!("{p} changed"),
            FileChange::Mode(p, a, b) => format!("{p} changed mode {a:04o} → {b:04o}"),
            FileChange::Added(p) => format!("{p} was added"),
            FileChange::Removed(p) => format!("{p} was removed"),
        }
    }
}

/// The per-file differences between what a source selects in `a` and in `b`: the same as
/// [`diff`] of the two selections. When both sources are plain directories of their
/// contexts, the two sorted ranges are walked side by side instead of building the
/// selections (a COPY of a large directory whose one file changed).
pub fn diff_sources(
    a: &Context,
    a_src: &str,
    a_ex: &[String],
    b: &Context,
    b_src: &str,
    b_ex: &[String],
) -> Vec<FileChange> {
    let dir_prefix = |ctx: &Context, src: &str, ex: &[String]| {
        let c = clean(src);
        let plain_dir = ex.is_empty()
            && !has_glob(&c)
            && !ctx.files.contains_key(c.as_str())
            && Context::is_dir(&ctx.files, &c);
        plain_dir.then(|| if c.is_empty() { c } else { c + "/" })
    };
    let (Some(pa), Some(pb)) = (dir_prefix(a, a_src, a_ex), dir_prefix(b, b_src, b_ex)) else {
        return diff(
            &a.select(a_src, a_ex).unwrap_or_default(),
            &b.select(b_src, b_ex).unwrap_or_default(),
        );
    };
    fn under(files: &Files, prefix: String) -> impl Iterator<Item = (&str, &str, FileEntry)> {
        let n = prefix.len();
        files
            .with_prefix(&prefix)
            .map(move |(p, e)| (&p[n..], p, *e))
    }
    let mut ia = under(&a.files, pa).peekable();
    let mut ib = under(&b.files, pb).peekable();
    let (mut out, mut removed) = (Vec::new(), Vec::new());
    loop {
        let order = match (ia.peek(), ib.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => x.0.cmp(y.0),
        };
        match order {
            std::cmp::Ordering::Less => {
                let (_, p, _) = ia.next().expect("peeked");
                removed.push(FileChange::Removed(p.to_string()));
            }
            std::cmp::Ordering::Greater => {
                let (_, p, _) = ib.next().expect("peeked");
                out.push(FileChange::Added(p.to_string()));
            }
            std::cmp::Ordering::Equal => {
                let (_, _, ea) = ia.next().expect("peeked");
                let (_, p, eb) = ib.next().expect("peeked");
                if ea.content != eb.content {
                    out.push(FileChange::Content(p.to_string()));
                } else if ea.mode != eb.mode {
                    out.push(FileChange::Mode(p.to_string(), ea.mode, eb.mode));
                }
            }
        }
    }
    out.extend(removed);
    out
}

/// The per-file differences between A's and B's selections.
pub fn diff(a: &Selection, b: &Selection) -> Vec<FileChange> {
    let mut out = Vec::new();
    for (rel, sb) in &b.files {
        match a.get(rel) {
            None => out.push(FileChange::Added(sb.path.clone())),
            Some(sa) if sa.entry.content != sb.entry.content => {
                out.push(FileChange::Content(sb.path.clone()))
            }
            Some(sa) if sa.entry.mode != sb.entry.mode => out.push(FileChange::Mode(
                sb.path.clone(),
                sa.entry.mode,
                sb.entry.mode,
            )),
            _ => {}
        }
    }
    for (rel, sa) in &a.files {
        if b.get(rel).is_none() {
            out.push(FileChange::Removed(sa.path.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_identities_differ_for_different_contents() {
        // Every length around the short/hashed boundary, contents that differ in one byte,
        // in their length only (trailing NULs) or between a short and a hashed form.
        let mut contents: Vec<String> = Vec::new();
        for n in 0..=20 {
            let base: String = (0..n).map(|i| char::from(b'a' + i as u8)).collect();
            for at in 0..n {
                let mut b = base.clone().into_bytes();
                b[at] = b'Z';
                contents.push(String::from_utf8(b).unwrap());
            }
            contents.push(base.clone() + "\0");
            contents.push("\0".repeat(n));
            contents.push(base);
        }
        contents.push("\u{ff}".repeat(7));
        contents.sort();
        contents.dedup();
        let mut ids: Vec<Id> = contents.iter().map(|c| file_id(c)).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), contents.len());
    }

    #[test]
    fn context_files_are_the_cleaned_paths_and_the_generated_files() {
        // The reference: every path cleaned (the last of equal names wins), then the
        // Dockerfile and `.dockerignore` over any context file of their name, each kept or
        // ignored as the plain matcher says.
        type Listed = Vec<(String, FileEntry)>;
        fn reference(
            files: &Map<String, FileSpec>,
            df: &str,
            ignore: Option<&str>,
        ) -> (Listed, Listed) {
            let m = ignore.and_then(|t| PatternMatcher::new(&ignore::read_ignore_file(t)).ok());
            let mut all: std::collections::BTreeMap<String, FileEntry> = Default::default();
            for (p, spec) in files {
                let c = clean(p);
                if !c.is_empty() {
                    all.insert(c, Context::entry(spec));
                }
            }
            all.insert("Dockerfile".into(), Context::text_entry(df));
            if let Some(t) = ignore {
                all.insert(".dockerignore".into(), Context::text_entry(t));
            }
            let excluded = |p: &str| {
                m.as_ref()
                    .is_some_and(|m| m.matches_or_parent_matches(p).unwrap_or(false))
            };
            let (ignored, visible) = all.into_iter().partition(|(p, _)| excluded(p));
            (visible, ignored)
        }
        let listed = |f: &Files| {
            f.iter()
                .map(|(p, e)| (p.to_string(), *e))
                .collect::<Vec<_>>()
        };
        let sets: [&[&str]; 7] = [
            &["a", "b/c", "z"],
            &["Dockerfile", ".dockerignore", "A", "E", "src/x"],
            &[".a", ".dockerignore/x", "Dockerfile.dev", "Dockerfilf", "D"],
            &["./Dockerfile", "a/../.dockerignore", "b", "./c/d", "c/d"],
            &["Dockerfile", "./Dockerfile", "x/./y", "x/y"],
            &[],
            &["zz/Dockerfile", "Dockerfile/x"],
        ];
        let ignores = [
            None,
            Some(""),
            Some("Dockerfile\n"),
            Some(".dockerignore\nsrc\n"),
            Some("*\n!Dockerfile\n"),
            Some("**/x\n!b\n"),
            Some("[\n"),
        ];
        for set in sets {
            let files: Map<String, FileSpec> = set
                .iter()
                .map(|p| (p.to_string(), FileSpec::Content(format!("{p} content"))))
                .collect();
            for ignore in ignores {
                let ctx = Context::new(&files, "FROM scratch", ignore);
                let (visible, ignored) = reference(&files, "FROM scratch", ignore);
                assert_eq!(listed(&ctx.files), visible, "{set:?} {ignore:?}");
                assert_eq!(listed(&ctx.ignored), ignored, "{set:?} {ignore:?}");
            }
        }
    }

    #[test]
    fn strip_dir_is_strip_prefix_and_slash() {
        // Directories shorter than, as long as and longer than a word, differing anywhere.
        let paths = [
            "",
            "a",
            "a/",
            "a/b",
            "ab/c",
            "abcdefgh/x",
            "abcdefgh",
            "abcdefghi/x/y",
            "abcdefghijklmnopq/r",
        ];
        let dirs = [
            "abcdefgX",
            "abcdefgh/x",
            "abcdefghi",
            "abcdefghX",
            "Xbcdefghi",
            "abcdefghijklmnopq",
            "abcdefghijklmnopX",
            "abcdefghijkXmnopq",
        ];
        for p in paths {
            for d in paths.iter().chain(&dirs) {
                let want = p.strip_prefix(d).and_then(|r| r.strip_prefix('/'));
                assert_eq!(strip_dir(p, d), want, "{p:?} {d:?}");
            }
        }
    }

    #[test]
    fn is_sibling_is_strip_dir_and_a_plain_name() {
        // Directories and names shorter than, as long as, between one and two words and
        // longer than two words; differing in the first and the last eight bytes.
        let dirs = [
            "a",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "Xbcdefghijklmnop",
            "abcdefghijklmnoX",
        ];
        let names = [
            "",
            ".",
            "..",
            "...",
            ".a",
            "x",
            "x/",
            "/x",
            "file.txt",
            "file1234.txt",
            "file12345678.txt",
            "file12345678.txt2",
            "a/b",
            "abcdefgh/ijklmnop",
        ];
        let reference = |p: &str, d: &str| {
            strip_dir(p, d)
                .is_some_and(|name| !matches!(name, "" | "." | "..") && !name.contains('/'))
        };
        for d in dirs {
            for p in dirs.iter().chain(&names) {
                for name in names {
                    let path = format!("{p}/{name}");
                    assert_eq!(is_sibling(&path, d), reference(&path, d), "{path:?} {d:?}");
                }
                assert_eq!(is_sibling(p, d), reference(p, d), "{p:?} {d:?}");
            }
        }
        assert!(is_sibling("abcdefghi/file.txt", "abcdefghi"));
        assert!(!is_sibling("abcdefghi/a/file.txt", "abcdefghi"));
    }

    #[test]
    fn push_name_appends_every_length() {
        let base: String = ('a'..='z').cycle().take(70).collect();
        let mut names = String::from("x");
        let mut want = String::from("x");
        for len in 0..=base.len() {
            for part in [&base[..len], &base[len / 3..len]] {
                push_name(&mut names, part);
                want.push_str(part);
            }
            assert_eq!(names, want, "{len}");
        }
        push_name(&mut names, "d\u{e9}j\u{e0}/vu");
        want.push_str("d\u{e9}j\u{e0}/vu");
        assert_eq!(names, want);
    }

    #[test]
    fn has_slash_finds_every_slash() {
        let base = "abcdefghijklmnopqrstu.txt";
        for len in 0..base.len() {
            let name = &base[..len];
            assert!(!has_slash(name.as_bytes()), "{name:?}");
            for at in 0..len {
                let mut with = name.as_bytes().to_vec();
                with[at] = b'/';
                assert!(has_slash(&with), "{with:?}");
            }
        }
        // Bytes next to `/` in value (`.` is 0x2e, `0` is 0x30) and high bytes.
        assert!(!has_slash("..00\u{e9}..00..".as_bytes()));
    }

    #[test]
    fn clean_fast_path_matches_the_segment_walk() {
        let reference = |path: &str| {
            let mut parts: Vec<&str> = Vec::new();
            for seg in path.split('/') {
                match seg {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    s => parts.push(s),
                }
            }
            parts.join("/")
        };
        for p in [
            "",
            "/",
            "//",
            ".",
            "./",
            "..",
            "../",
            "a",
            "a/",
            "a//",
            "/a",
            "./a",
            "a/.",
            "a/..",
            "a/b/",
            "a/./b",
            "a/../b",
            ".a/..b/...",
            "a/b/c",
            "src/",
            "pkg1//",
            "...",
            "/src",
            "//src/a/",
            "/src/",
            "/src//",
            "//",
            "/./a",
            "/../a",
            "/a/../b",
        ] {
            assert_eq!(clean(p), reference(p), "{p:?}");
        }
    }

    #[test]
    fn digests_equal_the_digests_of_the_selections() {
        // `digest` hashes a directory's files straight from the names; `select` builds the
        // selection whose digest it must equal (names with multi-byte characters too).
        let mut files: Map<String, FileSpec> = Map::new();
        for p in [
            "a/x",
            "a/y",
            "a/sub/deep/f.txt",
            "ab/z",
            "b/c/d",
            "b/e",
            "top",
            "é/ü",
            "é/ü2/x",
            "dir/file-with-a-longer-name.txt",
            "dir/f",
        ] {
            files.insert(p.into(), FileSpec::Content(format!("{p} content")));
        }
        let ctx = Context::new(&files, "FROM x", None);
        for s in [
            ".",
            "",
            "/",
            "a",
            "a/",
            "./a",
            "a/sub",
            "a/sub/deep",
            "ab",
            "b",
            "b/c",
            "top",
            "é",
            "é/ü2",
            "dir",
            "missing",
            "a/x",
        ] {
            assert_eq!(
                ctx.digest(s, &[]),
                ctx.select(s, &[]).map(|x| x.digest()),
                "{s:?}"
            );
        }
    }

    #[test]
    fn changed_copies_reuse_digests_and_diff_like_their_selections() {
        let mut files: Map<String, FileSpec> = Map::new();
        for p in ["a/x", "a/y", "ab/z", "b/c/d", "b/e", "top"] {
            files.insert(p.into(), FileSpec::Content(format!("{p} content")));
        }
        let sources = [
            ".", "a", "a/", "./a/x", "ab", "b", "b/c", "top", "new", "new/f", "a*", "b/*",
        ];
        let excludes = [vec![], vec!["*/d".to_string()]];
        let original = Context::new(&files, "FROM x", None);
        for s in sources {
            for ex in &excludes {
                let _ = original.digest(s, ex);
            }
        }
        let change = |p: &str, content: Option<&str>| {
            let mut changed = files.clone();
            match content {
                Some(c) => changed.insert(clean(p), FileSpec::Content(c.into())),
                None => changed.remove(&clean(p)),
            };
            let entry = content.map(|c| Context::entry(&FileSpec::Content(c.into())));
            (changed, vec![(p.to_string(), entry)])
        };
        for (changed, changes) in [
            change("a/x", Some("edited")),
            change("b/c/d", None),
            change("new/f", Some("added")),
            change("top", Some("edited")),
            change("./ab/z", Some("edited")),
            {
                // Same content, new mode.
                let spec = FileSpec::Full {
                    content: "a/y content".into(),
                    mode: Some("0755".into()),
                };
                let mut changed = files.clone();
                changed.insert("a/y".into(), spec.clone());
                (
                    changed,
                    vec![("a/y".to_string(), Some(Context::entry(&spec)))],
                )
            },
        ] {
            let derived = original.with_changes(None, &changes);
            let fresh = Context::new(&changed, "FROM x", None);
            for s in sources {
                for ex in &excludes {
                    assert_eq!(
                        derived.digest(s, ex),
                        fresh.digest(s, ex),
                        "{s} {ex:?} after {changes:?}"
                    );
                }
            }
            // Walking two directories' ranges gives what diffing their selections gives.
            for (sa, sb) in sources
                .iter()
                .flat_map(|a| sources.iter().map(move |b| (a, b)))
            {
                for ex in &excludes {
                    let slow = diff(
                        &original.select(sa, ex).unwrap_or_default(),
                        &fresh.select(sb, ex).unwrap_or_default(),
                    );
                    let fast = diff_sources(&original, sa, ex, &fresh, sb, ex);
                    assert_eq!(fast, slow, "{sa} -> {sb} {ex:?} after {changes:?}");
                }
            }
        }
    }
}
