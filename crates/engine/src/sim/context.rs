//! The virtual build context: the files a build sends, after `.dockerignore`, and the
//! selection of COPY/ADD sources from it.
//!
//! Both builders hash what a COPY selects by relative name, content and permission bits;
//! mtime and client-side ownership never count (semantics R5). The Dockerfile and the
//! `.dockerignore` are context files like any other (R6).

use super::hash::{FxHashMap, Id, KeyHasher};
use crate::ignore::{self, PatternMatcher};
use crate::scenario::FileSpec;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

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
    memo: Rc<RefCell<DigestMemo>>,
    /// Clean paths that were replaced, added or removed.
    changed: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub content: Id,
    pub mode: u32,
}

/// Context files by clean relative path. The paths are shared: a derived context (build B,
/// an edited Dockerfile) copies the maps without copying 20,000 path strings.
pub type Files = BTreeMap<Rc<str>, FileEntry>;

/// The entries of `files` from `prefix` on, in order (the ones under a directory come first).
fn from_prefix<'a>(
    files: &'a Files,
    prefix: &str,
) -> std::collections::btree_map::Range<'a, Rc<str>, FileEntry> {
    use std::ops::Bound;
    files.range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
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
    memo: Rc<RefCell<DigestMemo>>,
    /// For a context made by [`Context::with_changes`]: the original's digests.
    base: Option<Base>,
    /// The `.dockerignore` text this context was matched with and its matcher, for
    /// [`Context::with_changes`] under the same file.
    matcher: Option<Rc<(String, PatternMatcher)>>,
}

impl Clone for Context {
    /// A copy with its own memo (the copy's files may be changed afterwards).
    fn clone(&self) -> Self {
        Context {
            files: self.files.clone(),
            ignored: self.ignored.clone(),
            ignore_error: self.ignore_error.clone(),
            memo: Rc::new(RefCell::new(self.memo.borrow().clone())),
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

fn file_id(content: &str) -> Id {
    KeyHasher::new("file").str(content).finish()
}

impl Context {
    /// Builds the context from the scenario's files, plus the Dockerfile and `.dockerignore`
    /// themselves (both are context files unless ignored).
    pub fn new(
        files: &BTreeMap<String, FileSpec>,
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
        // Collected, then built in bulk: inserting 20,000 keys one by one costs a tree
        // search each.
        let (mut visible, mut ignored) = (Vec::new(), Vec::new());
        let mut put = |p: Rc<str>, e: FileEntry| {
            let excluded = batch
                .as_mut()
                .is_some_and(|m| m.matches_or_parent_matches(&p));
            if excluded {
                ignored.push((p, e));
            } else {
                visible.push((p, e));
            }
        };
        for (p, spec) in files {
            let p: Rc<str> = if is_clean(p) {
                p.as_str().into()
            } else {
                clean(p).into()
            };
            if p.is_empty() {
                continue;
            }
            put(p, Context::entry(spec));
        }
        put("Dockerfile".into(), Context::text_entry(dockerfile));
        if let Some(text) = dockerignore {
            put(".dockerignore".into(), Context::text_entry(text));
        }
        ctx.files = sorted_map(visible);
        ctx.ignored = sorted_map(ignored);
        drop(batch);
        ctx.matcher = dockerignore
            .zip(matcher)
            .map(|(t, m)| Rc::new((t.to_string(), m)));
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
            (Some(t), Some(m)) if m.0 == t => Some(Rc::clone(m)),
            (Some(t), _) => PatternMatcher::new(&ignore::read_ignore_file(t))
                .ok()
                .map(|m| Rc::new((t.to_string(), m))),
            (None, _) => None,
        };
        let mut changed = Vec::with_capacity(changes.len());
        let mut ctx = Context {
            files: self.files.clone(),
            ignored: self.ignored.clone(),
            ignore_error: self.ignore_error.clone(),
            memo: Rc::default(),
            base: None,
            matcher: None,
        };
        for (p, e) in changes {
            let p = clean(p);
            if p.is_empty() {
                continue;
            }
            changed.push(p.clone());
            ctx.files.remove(p.as_str());
            ctx.ignored.remove(p.as_str());
            if let Some(e) = e {
                let excluded = matcher
                    .as_ref()
                    .is_some_and(|m| m.1.matches_or_parent_matches(&p).unwrap_or(false));
                if excluded {
                    ctx.ignored.insert(p.into(), *e);
                } else {
                    ctx.files.insert(p.into(), *e);
                }
            }
        }
        ctx.base = Some(Base {
            memo: Rc::clone(&self.memo),
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
        let prefix = format!("{dir}/");
        from_prefix(files, &prefix)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    /// Selects the files a COPY/ADD source names. `excludes` are `--exclude` patterns
    /// (BuildKit only), matched against the selected relative paths.
    pub fn select(&self, source: &str, excludes: &[String]) -> Result<Selection, String> {
        let mut sel = select_from(&self.files, source)?;
        if !excludes.is_empty() {
            if let Ok(m) = PatternMatcher::new(excludes) {
                let mut m = m.batch();
                sel.files.retain(|rel, _| !m.matches_or_parent_matches(rel));
            }
        }
        Ok(sel)
    }

    /// The content digest of what a source selects; equal to `select(..).digest()` but
    /// without building the selection (this runs for every COPY of every build).
    pub fn digest(&self, source: &str, excludes: &[String]) -> Result<Id, String> {
        if let Some(r) = self.memo.borrow().get(source, excludes) {
            return r.clone();
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
            unaffected_base.and_then(|b| b.memo.borrow().get(source, excludes).cloned());
        let r = match inherited {
            Some(r) => r,
            None => {
                let r = self.digest_uncached(source, excludes);
                if let Some(b) = unaffected_base {
                    b.memo.borrow_mut().insert(source, excludes, r.clone());
                }
                r
            }
        };
        self.memo.borrow_mut().insert(source, excludes, r.clone());
        r
    }

    fn digest_uncached(&self, source: &str, excludes: &[String]) -> Result<Id, String> {
        let src = clean_cow(source);
        if !excludes.is_empty() || has_glob(&src) || self.files.contains_key(&*src) {
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
        let mut h = KeyHasher::new("selection");
        for (p, e) in from_prefix(&self.files, &prefix) {
            if !p.starts_with(&prefix) {
                break;
            }
            h.str(&p[prefix.len()..]).id(e.content).u64(e.mode as u64);
        }
        Ok(h.finish())
    }

    /// Whether a source selects the context file at `path`.
    pub fn selects(&self, source: &str, excludes: &[String], path: &str) -> bool {
        self.select(source, excludes)
            .map(|s| s.files.values().any(|f| f.path == path))
            .unwrap_or(false)
    }

    /// Where a source would have matched had `.dockerignore` not excluded it.
    pub fn ignored_matches(&self, source: &str) -> Vec<String> {
        match select_from(&self.ignored, source) {
            Ok(s) => s.files.values().map(|f| f.path.clone()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The map that inserting `entries` in order gives (a later entry replaces an earlier one
/// with the same path), built in bulk.
fn sorted_map(mut entries: Vec<(Rc<str>, FileEntry)>) -> Files {
    // Stable: equal paths stay in insertion order, and the last one's entry is kept.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 = later.1;
        }
        same
    });
    entries.into_iter().collect()
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

/// The files a source selects, by relative name under the destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub files: BTreeMap<String, Selected>,
}

impl Selection {
    pub fn digest(&self) -> Id {
        let mut h = KeyHasher::new("selection");
        for (rel, s) in &self.files {
            h.str(rel).id(s.entry.content).u64(s.entry.mode as u64);
        }
        h.finish()
    }
}

fn select_from(files: &Files, source: &str) -> Result<Selection, String> {
    let src = clean(source);
    let mut sel = Selection::default();
    let add_dir = |sel: &mut Selection, dir: &str, rel_base: &str| {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        for (p, e) in from_prefix(files, &prefix) {
            if !p.starts_with(&prefix) {
                break;
            }
            let rest = &p[prefix.len()..];
            let rel = if rel_base.is_empty() {
                rest.to_string()
            } else {
                format!("{rel_base}/{rest}")
            };
            sel.files.insert(
                rel,
                Selected {
                    path: p.to_string(),
                    entry: *e,
                },
            );
        }
    };
    if has_glob(&src) {
        // Match the pattern against every file and every implicit directory.
        let mut dirs: std::collections::BTreeSet<String> = Default::default();
        for p in files.keys() {
            let mut cur: &str = p;
            while let Some(i) = cur.rfind('/') {
                cur = &cur[..i];
                dirs.insert(cur.to_string());
            }
        }
        for d in &dirs {
            if ignore::filepath_match(&src, d).unwrap_or(false) {
                let base = d.rsplit('/').next().unwrap_or(d).to_string();
                add_dir(&mut sel, d, &base);
            }
        }
        for (p, e) in files {
            if ignore::filepath_match(&src, p).unwrap_or(false) {
                let base = p.rsplit('/').next().unwrap_or(p).to_string();
                sel.files.insert(
                    base,
                    Selected {
                        path: p.to_string(),
                        entry: *e,
                    },
                );
            }
        }
        if sel.files.is_empty() {
            return Err(format!(
                "no source files were specified: '{source}' matches nothing"
            ));
        }
        return Ok(sel);
    }
    if let Some(e) = files.get(src.as_str()) {
        let base = src.rsplit('/').next().unwrap_or(&src).to_string();
        sel.files.insert(
            base,
            Selected {
                path: src.clone(),
                entry: *e,
            },
        );
        return Ok(sel);
    }
    if Context::is_dir(files, &src) {
        // One directory: the relative names come sorted and distinct, so build in bulk.
        let prefix = if src.is_empty() {
            String::new()
        } else {
            format!("{src}/")
        };
        sel.files = from_prefix(files, &prefix)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, e)| {
                let selected = Selected {
                    path: p.to_string(),
                    entry: *e,
                };
                (p[prefix.len()..].to_string(), selected)
            })
            .collect();
        return Ok(sel);
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
    fn under(files: &Files, prefix: String) -> impl Iterator<Item = (&str, &Rc<str>, FileEntry)> {
        let n = prefix.len();
        from_prefix(files, &prefix)
            .take_while(move |(p, _)| p.starts_with(&prefix))
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
        match a.files.get(rel) {
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
        if !b.files.contains_key(rel) {
            out.push(FileChange::Removed(sa.path.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert_eq!(clean(p), reference(p), "{p:?}");
        }
    }

    #[test]
    fn changed_copies_reuse_digests_and_diff_like_their_selections() {
        let mut files: BTreeMap<String, FileSpec> = BTreeMap::new();
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
