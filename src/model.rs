//! The app state: a [`Scenario`] plus UI state, and the pure edits the changes panel makes to
//! it. Nothing here touches the DOM, so all of it is unit-tested natively.

use crate::analysis::Analysis;
use crate::share::{SharedState, SharedUi};
use layerlab_engine::report::Builder;
use layerlab_engine::scenario::{CacheSource, FileSpec};
use layerlab_engine::Scenario;
use std::rc::Rc;
use yew::Reducible;

/// What happens to one context file in build B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileChange {
    Unchanged,
    Edited,
    /// mtime only: content and mode stay.
    Touched,
    Chmod,
    /// Not in A's context, present in B's.
    Added,
    Removed,
}

impl FileChange {
    pub const FOR_EXISTING: [FileChange; 5] = [
        FileChange::Unchanged,
        FileChange::Edited,
        FileChange::Touched,
        FileChange::Chmod,
        FileChange::Removed,
    ];

    pub fn id(self) -> &'static str {
        match self {
            FileChange::Unchanged => "unchanged",
            FileChange::Edited => "edited",
            FileChange::Touched => "touched",
            FileChange::Chmod => "chmod",
            FileChange::Added => "added",
            FileChange::Removed => "removed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileChange::Unchanged => "unchanged",
            FileChange::Edited => "edited",
            FileChange::Touched => "mtime touched",
            FileChange::Chmod => "chmod",
            FileChange::Added => "added in B",
            FileChange::Removed => "removed",
        }
    }

    pub fn from_id(id: &str) -> Option<FileChange> {
        [
            FileChange::Unchanged,
            FileChange::Edited,
            FileChange::Touched,
            FileChange::Chmod,
            FileChange::Added,
            FileChange::Removed,
        ]
        .into_iter()
        .find(|c| c.id() == id)
    }
}

/// The current change of a context path in the scenario.
pub fn file_change(s: &Scenario, path: &str) -> FileChange {
    let in_a = s.context.contains_key(path);
    if s.change.removed.iter().any(|p| p == path) {
        FileChange::Removed
    } else if s.change.files.contains_key(path) {
        if in_a {
            FileChange::Edited
        } else {
            FileChange::Added
        }
    } else if s.change.chmod.contains_key(path) {
        FileChange::Chmod
    } else if s.change.touched.iter().any(|p| p == path) {
        FileChange::Touched
    } else {
        FileChange::Unchanged
    }
}

/// Sets how a context path changes in B, replacing whatever was set before. Edits get a
/// visible marker line appended (the content can then be edited by hand); a chmod flips the
/// executable bit.
pub fn set_file_change(s: &mut Scenario, path: &str, change: FileChange) {
    let previous_b = s.change.files.remove(path);
    s.change.removed.retain(|p| p != path);
    s.change.touched.retain(|p| p != path);
    s.change.chmod.remove(path);
    let a = s.context.get(path).cloned();
    match change {
        FileChange::Unchanged => {}
        FileChange::Edited | FileChange::Added => {
            let spec = previous_b.unwrap_or_else(|| match &a {
                Some(spec) => {
                    with_content(spec, format!("{}{}", spec.content(), edit_marker(path)))
                }
                None => FileSpec::Content(format!("new file{}", edit_marker(path))),
            });
            s.change.files.insert(path.to_string(), spec);
        }
        FileChange::Touched => s.change.touched.push(path.to_string()),
        FileChange::Chmod => {
            let mode = a.map(|f| f.mode()).unwrap_or(0o644);
            let new = if mode & 0o111 != 0 {
                mode & !0o111
            } else {
                mode | 0o111
            };
            s.change
                .chmod
                .insert(path.to_string(), format!("{new:04o}"));
        }
        FileChange::Removed => s.change.removed.push(path.to_string()),
    }
}

fn with_content(spec: &FileSpec, content: String) -> FileSpec {
    match spec {
        FileSpec::Content(_) => FileSpec::Content(content),
        FileSpec::Full { mode, .. } => FileSpec::Full {
            content,
            mode: mode.clone(),
        },
    }
}

fn edit_marker(path: &str) -> String {
    let comment = match path.rsplit('.').next() {
        Some("js" | "ts" | "go" | "rs" | "c" | "java" | "kt" | "swift") => "// ",
        Some("json") => return "\n".to_string(),
        _ => "# ",
    };
    format!("\n{comment}edited for build B\n")
}

/// The plain-language cache source choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheChoice {
    SameMachine,
    FreshAgent,
    CacheFromImage,
    InlineCache,
    Export,
    SaveLoad,
}

impl CacheChoice {
    pub const ALL: [CacheChoice; 6] = [
        CacheChoice::SameMachine,
        CacheChoice::FreshAgent,
        CacheChoice::CacheFromImage,
        CacheChoice::InlineCache,
        CacheChoice::Export,
        CacheChoice::SaveLoad,
    ];

    pub fn id(self) -> &'static str {
        match self {
            CacheChoice::SameMachine => "same-machine",
            CacheChoice::FreshAgent => "fresh-agent",
            CacheChoice::CacheFromImage => "cache-from",
            CacheChoice::InlineCache => "inline",
            CacheChoice::Export => "export",
            CacheChoice::SaveLoad => "save-load",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CacheChoice::SameMachine => "Same machine (warm local cache)",
            CacheChoice::FreshAgent => "Fresh CI agent, no cache",
            CacheChoice::CacheFromImage => "--cache-from the last image",
            CacheChoice::InlineCache => {
                "Inline cache (--cache-from an image built with BUILDKIT_INLINE_CACHE=1)"
            }
            CacheChoice::Export => "Registry / GHA / local cache export (--cache-to, mode=min|max)",
            CacheChoice::SaveLoad => "docker save / docker load, then --cache-from",
        }
    }

    pub fn of(s: &Scenario) -> CacheChoice {
        match s.cache.source {
            CacheSource::Local => CacheChoice::SameMachine,
            CacheSource::None => CacheChoice::FreshAgent,
            CacheSource::CacheFromImage if s.cache.inline_cache => CacheChoice::InlineCache,
            CacheSource::CacheFromImage => CacheChoice::CacheFromImage,
            CacheSource::ExportMin | CacheSource::ExportMax => CacheChoice::Export,
            CacheSource::SaveLoad => CacheChoice::SaveLoad,
        }
    }

    /// Applies the choice; keeps compatible sub-settings (export mode, inline flag for
    /// save/load) and drops the ones that no longer apply.
    pub fn apply(self, s: &mut Scenario) {
        let c = &mut s.cache;
        let keep_mode_max = c.source == CacheSource::ExportMax;
        match self {
            CacheChoice::SameMachine => c.source = CacheSource::Local,
            CacheChoice::FreshAgent => c.source = CacheSource::None,
            CacheChoice::CacheFromImage => {
                c.source = CacheSource::CacheFromImage;
                c.inline_cache = false;
            }
            CacheChoice::InlineCache => {
                c.source = CacheSource::CacheFromImage;
                c.inline_cache = true;
            }
            CacheChoice::Export => {
                c.source = if keep_mode_max {
                    CacheSource::ExportMax
                } else {
                    CacheSource::ExportMin
                };
            }
            CacheChoice::SaveLoad => c.source = CacheSource::SaveLoad,
        }
        if !matches!(
            c.source,
            CacheSource::CacheFromImage | CacheSource::SaveLoad
        ) {
            c.inline_cache = false;
            c.cache_from_stages.clear();
        }
        if !matches!(c.source, CacheSource::ExportMin | CacheSource::ExportMax) {
            c.backend = None;
        }
    }
}

/// A build arg's value in B, relative to A.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgB {
    Same,
    Value(String),
    Unset,
}

pub fn arg_b(s: &Scenario, name: &str) -> ArgB {
    match s.change.args.get(name) {
        None => ArgB::Same,
        Some(None) => ArgB::Unset,
        Some(Some(v)) => ArgB::Value(v.clone()),
    }
}

pub fn set_arg_b(s: &mut Scenario, name: &str, v: ArgB) {
    match v {
        ArgB::Same => {
            s.change.args.remove(name);
        }
        ArgB::Unset => {
            s.change.args.insert(name.to_string(), None);
        }
        ArgB::Value(v) => {
            s.change.args.insert(name.to_string(), Some(v));
        }
    }
}

/// The "changes every run" shortcut: B gets a value that differs from A's (or the default).
pub fn next_run_value(a: Option<&str>) -> String {
    match a {
        Some(v) if !v.is_empty() => format!("{v}-next"),
        _ => "next-run".to_string(),
    }
}

/// Which Dockerfile the editor shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EditorTab {
    #[default]
    A,
    B,
}

/// UI state that does not travel in links.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transient {
    /// A line hovered in the results or editor (linked highlighting).
    pub hover: Option<u32>,
    /// Lines named as causes by the reason under the pointer.
    pub causes: Vec<u32>,
    pub tab: EditorTab,
    /// A message for the user (e.g. a link that could not be opened).
    pub notice: Option<String>,
}

/// The whole app state.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub scenario: Scenario,
    pub ui: SharedUi,
    pub tr: Transient,
    pub analysis: Rc<Analysis>,
    /// Bumped on every scenario edit (the URL and postMessage watchers key on it).
    pub revision: u64,
    /// The Dockerfile text changed since `analysis` was computed (typing into a large file
    /// defers the analysis until typing pauses; see [`Action::Text`]).
    pub stale: bool,
    /// Counts analyses (benchmarks wait for it to change).
    pub analyses: u64,
    /// Bumped when the scenario may have changed other than in its Dockerfile texts
    /// ([`Action::Text`] changes only those): panels that do not show the texts compare it.
    pub setup_revision: u64,
}

impl AppState {
    pub fn new(scenario: Scenario, ui: SharedUi) -> AppState {
        let analysis = Rc::new(Analysis::run(&scenario, engine_of(&ui)));
        AppState {
            scenario,
            ui,
            tr: Transient::default(),
            analysis,
            revision: 0,
            stale: false,
            analyses: 1,
            setup_revision: 0,
        }
    }

    pub fn shared(&self) -> SharedState {
        SharedState::new(self.scenario.clone(), self.ui.clone())
    }

    pub fn focus(&self) -> Builder {
        self.ui.focus.unwrap_or(Builder::Buildkit)
    }
}

/// The engine profile the UI asks for (a current engine unless the user picks Docker 20.10).
pub fn engine_of(ui: &SharedUi) -> layerlab_engine::Engine {
    ui.engine.unwrap_or_default().engine()
}

type ScenarioEdit = Rc<dyn Fn(&mut Scenario)>;
pub type UiEdit = Rc<dyn Fn(&mut SharedUi, &mut Transient)>;

pub enum Action {
    /// Edit the scenario (re-analyses).
    Edit(ScenarioEdit),
    /// Edit UI state only.
    Ui(UiEdit),
    /// Replace everything (example, link, postMessage).
    Load(Box<SharedState>),
    /// Set the Dockerfile text (B's when `b`): for files whose analysis is slow, the editor
    /// holds the typed text and sends it when typing pauses, with `analyze` so that the text
    /// and its analysis arrive in one state change (one render of every panel, not two).
    /// Without `analyze` the state is left stale until an [`Action::Analyze`].
    Text {
        b: bool,
        text: String,
        analyze: bool,
    },
    /// Re-run the analysis if the text changed since the last one.
    Analyze,
}

impl Action {
    pub fn edit(f: impl Fn(&mut Scenario) + 'static) -> Action {
        Action::Edit(Rc::new(f))
    }
    pub fn ui(f: impl Fn(&mut SharedUi, &mut Transient) + 'static) -> Action {
        Action::Ui(Rc::new(f))
    }
}

thread_local! {
    /// States replaced by a change, kept until [`release_retired`] (after the change is on
    /// screen): freeing a long file's state (scenario, parse tree, report) took about a
    /// millisecond, in the middle of the re-render the change caused.
    static RETIRED: std::cell::RefCell<Vec<Rc<AppState>>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn retire(old: Rc<AppState>) {
    RETIRED.with(|r| {
        let mut r = r.borrow_mut();
        // Never more than a few (nothing releases them in native tests).
        if r.len() >= 4 {
            r.clear();
        }
        r.push(old);
    });
}

/// Frees the states replaced since the last call (whatever no component still holds).
pub fn release_retired() {
    let old = RETIRED.with(|r| std::mem::take(&mut *r.borrow_mut()));
    drop(old);
}

/// Whether replaced states wait for [`release_retired`].
pub fn has_retired() -> bool {
    RETIRED.with(|r| !r.borrow().is_empty())
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::Edit(f) => {
                let mut scenario = self.scenario.clone();
                f(&mut scenario);
                if scenario == self.scenario {
                    return self;
                }
                let mut next = (*self).clone();
                // Export parameters do not enter the simulation: keep the analysis.
                // (Compared only when the export section changed, and without cloning the
                // scenario: this runs on every keystroke of a small file.)
                let only_export = !self.stale && scenario.export != self.scenario.export && {
                    let new = std::mem::replace(&mut scenario.export, self.scenario.export.clone());
                    let same = scenario == self.scenario;
                    scenario.export = new;
                    same
                };
                if !only_export {
                    next.analysis = Rc::new(Analysis::run(&scenario, engine_of(&next.ui)));
                    next.stale = false;
                    next.analyses += 1;
                }
                next.scenario = scenario;
                next.revision += 1;
                next.setup_revision += 1;
                retire(self);
                Rc::new(next)
            }
            Action::Text { b, text, analyze } => {
                let same = match (&self.scenario.change.dockerfile, b) {
                    (Some(df), true) => *df == text,
                    _ => self.scenario.dockerfile == text,
                };
                if same {
                    return if analyze {
                        self.reduce(Action::Analyze)
                    } else {
                        self
                    };
                }
                // One copy of the state, analysed in place (not a stale copy, then another).
                let mut next = (*self).clone();
                match (&mut next.scenario.change.dockerfile, b) {
                    (Some(df), true) => *df = text,
                    _ => next.scenario.dockerfile = text,
                }
                next.revision += 1;
                if analyze {
                    next.analysis = Rc::new(Analysis::run(&next.scenario, engine_of(&next.ui)));
                    next.stale = false;
                    next.analyses += 1;
                } else {
                    next.stale = true;
                }
                retire(self);
                Rc::new(next)
            }
            Action::Analyze => {
                if !self.stale {
                    return self;
                }
                let mut next = (*self).clone();
                next.analysis = Rc::new(Analysis::run(&next.scenario, engine_of(&next.ui)));
                next.stale = false;
                next.analyses += 1;
                retire(self);
                Rc::new(next)
            }
            Action::Ui(f) => {
                // The UI parts first: most of these actions (the caret staying on the same
                // instruction at each key) change nothing, and the whole state is a copy of
                // the scenario.
                let (mut ui, mut tr) = (self.ui.clone(), self.tr.clone());
                f(&mut ui, &mut tr);
                if ui == self.ui && tr == self.tr {
                    return self;
                }
                let mut next = (*self).clone();
                next.ui = ui;
                next.tr = tr;
                if next.ui != self.ui {
                    next.revision += 1;
                }
                if next.ui.engine != self.ui.engine {
                    next.analysis = Rc::new(Analysis::run(&next.scenario, engine_of(&next.ui)));
                    next.stale = false;
                    next.analyses += 1;
                }
                retire(self);
                Rc::new(next)
            }
            Action::Load(st) => {
                let st = *st;
                let mut next = AppState::new(st.scenario, st.ui);
                next.revision = self.revision + 1;
                next.analyses = self.analyses + 1;
                next.setup_revision = self.setup_revision + 1;
                next.tr.tab = EditorTab::A;
                retire(self);
                Rc::new(next)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let mut s = Scenario {
            dockerfile: "FROM alpine\nCOPY . .\n".into(),
            ..Default::default()
        };
        s.context
            .insert("app.sh".into(), FileSpec::Content("echo 1\n".into()));
        s.context.insert(
            "run.sh".into(),
            FileSpec::Full {
                content: "x".into(),
                mode: Some("0755".into()),
            },
        );
        s
    }

    #[test]
    fn switching_the_engine_reanalyses_with_that_engine_profile() {
        use crate::share::EngineChoice;
        let mut s = Scenario {
            dockerfile: "FROM alpine\nCOPY --link a.txt /a.txt\nRUN cat /a.txt\n".into(),
            ..Default::default()
        };
        s.context
            .insert("a.txt".into(), FileSpec::Content("a".into()));
        let st = Rc::new(AppState::new(s, SharedUi::default()));
        let current_errors = st.analysis.report.builders.buildkit.errors.len();
        let before = st.analyses;
        let st = st.reduce(Action::ui(|ui, _| {
            ui.engine = Some(EngineChoice::Docker2010)
        }));
        assert_eq!(
            st.analyses,
            before + 1,
            "an engine switch re-runs the analysis"
        );
        // Docker 20.10's built-in frontend rejects COPY --link (recorded); a current one accepts it.
        assert_eq!(current_errors, 0);
        assert!(
            !st.analysis.report.builders.buildkit.errors.is_empty(),
            "20.10 reports --link as unsupported: {:?}",
            st.analysis.report.builders.buildkit
        );
        let same = st.clone().reduce(Action::ui(|ui, _| ui.line = Some(2)));
        assert_eq!(
            same.analyses, st.analyses,
            "other UI edits do not re-simulate"
        );
    }

    #[test]
    fn export_parameters_do_not_re_simulate() {
        let st = Rc::new(AppState::new(scenario(), SharedUi::default()));
        let n = st.analyses;
        let st = st.reduce(Action::edit(|s| {
            s.export = Some(layerlab_engine::scenario::ExportParams {
                image: Some("acme/web".into()),
                ..Default::default()
            })
        }));
        assert_eq!(st.analyses, n);
        assert_eq!(st.revision, 1, "the link still updates");
        let st = st.reduce(Action::edit(|s| s.dockerfile.push_str("RUN true\n")));
        assert_eq!(st.analyses, n + 1);
    }

    #[test]
    fn file_changes_round_trip_through_the_scenario() {
        let mut s = scenario();
        for c in FileChange::FOR_EXISTING {
            set_file_change(&mut s, "app.sh", c);
            assert_eq!(file_change(&s, "app.sh"), c);
        }
        set_file_change(&mut s, "new.txt", FileChange::Added);
        assert_eq!(file_change(&s, "new.txt"), FileChange::Added);
        set_file_change(&mut s, "new.txt", FileChange::Unchanged);
        set_file_change(&mut s, "app.sh", FileChange::Unchanged);
        assert_eq!(s.change, Default::default(), "back to no change at all");
    }

    #[test]
    fn edited_content_differs_and_is_kept_when_toggling() {
        let mut s = scenario();
        set_file_change(&mut s, "app.sh", FileChange::Edited);
        let edited = s.change.files.get("app.sh").unwrap().content().to_string();
        assert!(
            edited.starts_with("echo 1\n") && edited.len() > 7,
            "{edited}"
        );
        s.change
            .files
            .insert("app.sh".into(), FileSpec::Content("by hand".into()));
        set_file_change(&mut s, "app.sh", FileChange::Edited);
        assert_eq!(s.change.files.get("app.sh").unwrap().content(), "by hand");
    }

    #[test]
    fn chmod_flips_the_executable_bit() {
        let mut s = scenario();
        set_file_change(&mut s, "app.sh", FileChange::Chmod);
        assert_eq!(s.change.chmod.get("app.sh").unwrap(), "0755");
        set_file_change(&mut s, "run.sh", FileChange::Chmod);
        assert_eq!(s.change.chmod.get("run.sh").unwrap(), "0644");
    }

    #[test]
    fn cache_choices_map_both_ways() {
        let mut s = scenario();
        for c in CacheChoice::ALL {
            c.apply(&mut s);
            assert_eq!(CacheChoice::of(&s), c);
        }
        CacheChoice::Export.apply(&mut s);
        s.cache.source = CacheSource::ExportMax;
        s.cache.backend = Some("gha".into());
        CacheChoice::Export.apply(&mut s);
        assert_eq!(s.cache.source, CacheSource::ExportMax, "mode kept");
        CacheChoice::SaveLoad.apply(&mut s);
        assert_eq!(s.cache.backend, None, "export-only settings dropped");
        s.cache.inline_cache = true;
        CacheChoice::SaveLoad.apply(&mut s);
        assert!(s.cache.inline_cache, "save/load keeps its inline flag");
        CacheChoice::FreshAgent.apply(&mut s);
        assert!(!s.cache.inline_cache);
    }

    #[test]
    fn args_in_b() {
        let mut s = scenario();
        assert_eq!(arg_b(&s, "X"), ArgB::Same);
        set_arg_b(&mut s, "X", ArgB::Value(next_run_value(Some("1"))));
        assert_eq!(arg_b(&s, "X"), ArgB::Value("1-next".into()));
        set_arg_b(&mut s, "X", ArgB::Unset);
        assert_eq!(*s.change.args.get("X").unwrap(), None);
        set_arg_b(&mut s, "X", ArgB::Same);
        assert!(s.change.args.is_empty());
        assert_ne!(next_run_value(None), "");
    }

    #[test]
    fn reducer_reanalyses_only_on_scenario_edits() {
        let st = Rc::new(AppState::new(scenario(), SharedUi::default()));
        let same = st.clone().reduce(Action::edit(|_| {}));
        assert!(Rc::ptr_eq(&st, &same), "no-op edit keeps the state");
        let ui = st.clone().reduce(Action::ui(|_, tr| tr.hover = Some(2)));
        assert!(Rc::ptr_eq(&st.analysis, &ui.analysis));
        assert_eq!(ui.revision, st.revision, "hover is not shareable state");
        let edited = ui.reduce(Action::edit(|s| s.dockerfile.push_str("RUN true\n")));
        assert_eq!(edited.revision, st.revision + 1);
        assert!(edited.scenario.dockerfile.ends_with("RUN true\n"));
        assert_eq!(edited.tr.hover, Some(2));
    }

    #[test]
    fn deferred_text_edits_analyse_once_typing_pauses() {
        let st = Rc::new(AppState::new(scenario(), SharedUi::default()));
        let typed = st.clone().reduce(Action::Text {
            b: false,
            text: "FROM alpine\nRUN true\n".into(),
            analyze: false,
        });
        assert!(typed.stale);
        assert!(
            Rc::ptr_eq(&typed.analysis, &st.analysis),
            "not analysed yet"
        );
        assert_eq!(typed.revision, st.revision + 1, "the URL follows the text");
        let analysed = typed.reduce(Action::Analyze);
        assert!(!analysed.stale);
        assert_eq!(analysed.analysis.df_b.instructions.len(), 2);
        let again = analysed.clone().reduce(Action::Analyze);
        assert!(Rc::ptr_eq(&again, &analysed), "nothing to do when fresh");
        // What the editor sends when typing pauses: text and analysis in one state.
        let once = st.clone().reduce(Action::Text {
            b: false,
            text: "FROM alpine\nRUN true\nRUN false\n".into(),
            analyze: true,
        });
        assert!(!once.stale);
        assert_eq!(once.revision, st.revision + 1);
        assert_eq!(once.analyses, st.analyses + 1);
        assert_eq!(once.analysis.df_b.instructions.len(), 3);
        // The same text again: nothing new to analyse, the state is kept.
        let same = once.clone().reduce(Action::Text {
            b: false,
            text: "FROM alpine\nRUN true\nRUN false\n".into(),
            analyze: true,
        });
        assert!(Rc::ptr_eq(&same, &once));
    }
}
