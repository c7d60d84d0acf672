//! Yew components, one file per panel. They get the [`Store`] from their parent (a prop, or
//! an argument of the panels that are plain functions) and change it only through
//! [`crate::model::Action`]s.

pub mod app;
pub mod changes;
pub mod editor;
pub mod embed;
pub mod export_panel;
pub mod fixes;
pub mod graph;
pub mod results;
pub mod share_panel;

use crate::model::{Action, AppState, UiEdit};
use layerlab_engine::report::Status;
use layerlab_engine::Scenario;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The app state handle every component gets from its parent. Two handles are equal when they
/// hold the same state (the reducer makes a new one for every change), so a component sees a
/// change without comparing two states field by field: that walked both analyses, reports
/// and parsed Dockerfiles, milliseconds per keystroke on long files. (A prop rather than a
/// context: the app re-renders at every change anyway, and the context provider and its
/// hook cost about 3 KB of bundle.)
#[derive(Clone)]
pub struct Store(pub UseReducerHandle<AppState>);

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq::<AppState>(&*self.0, &*other.0)
    }
}

impl std::ops::Deref for Store {
    type Target = UseReducerHandle<AppState>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Props of a panel that only needs the store.
#[derive(Properties, PartialEq)]
pub struct StoreProps {
    pub store: Store,
}

/// The state's share-link fragment while `active`: `None` until the browser has compressed
/// it ([`crate::share::encode`] is asynchronous), then the latest one, following the state's
/// revision (every shareable change bumps it).
#[hook]
pub fn use_fragment(store: &Store, active: bool) -> Option<String> {
    let fragment = use_state_eq(|| None::<String>);
    let wanted = use_mut_ref(|| 0u64);
    {
        let fragment = fragment.clone();
        let store = store.clone();
        use_effect_with((store.revision, active), move |&(rev, active)| {
            *wanted.borrow_mut() = rev;
            if active {
                let st = store.shared();
                yew::platform::spawn_local(async move {
                    let f = crate::share::encode(&st).await;
                    // A newer revision asked meanwhile: its own encoding will land.
                    if *wanted.borrow() == rev {
                        fragment.set(Some(f));
                    }
                });
            }
        });
    }
    (*fragment).clone()
}

type ValueEdit = std::rc::Rc<dyn Fn(&mut Scenario, String)>;
type CheckEdit = std::rc::Rc<dyn Fn(&mut Scenario, bool)>;

/// A callback that edits the scenario with the event's value (input, textarea or select).
pub fn on_value<E>(store: &Store, f: impl Fn(&mut Scenario, String) + 'static) -> Callback<E>
where
    E: AsRef<web_sys::Event> + 'static,
{
    value_callback(store, std::rc::Rc::new(f))
}

/// The body of [`on_value`], once per event type instead of once per call site: the edit is
/// a `dyn Fn` from here on (about 20 call sites in the changes panel).
fn value_callback<E>(store: &Store, f: ValueEdit) -> Callback<E>
where
    E: AsRef<web_sys::Event> + 'static,
{
    let store = store.clone();
    Callback::from(move |e: E| {
        let v = event_value(e.as_ref());
        let f = f.clone();
        store.dispatch(Action::edit(move |s| f(s, v.clone())));
    })
}

/// A callback that edits the scenario with a checkbox's state.
pub fn on_check(store: &Store, f: impl Fn(&mut Scenario, bool) + 'static) -> Callback<Event> {
    check_callback(store, std::rc::Rc::new(f))
}

fn check_callback(store: &Store, f: CheckEdit) -> Callback<Event> {
    let store = store.clone();
    Callback::from(move |e: Event| {
        let on = event_checked(&e);
        let f = f.clone();
        store.dispatch(Action::edit(move |s| f(s, on)));
    })
}

/// A click callback that dispatches `edit`: one closure type for every such button or row
/// (each `Callback::from` closure is its own code in the bundle).
pub fn on_click_ui(d: &UseReducerDispatcher<AppState>, edit: UiEdit) -> Callback<MouseEvent> {
    let d = d.clone();
    Callback::from(move |_: MouseEvent| d.dispatch(Action::Ui(edit.clone())))
}

/// The edit that selects the instruction starting at `line` (editor, table, graph, fixes).
pub fn select_line(line: u32) -> UiEdit {
    std::rc::Rc::new(move |ui, _| ui.line = Some(line))
}

/// A button of a segmented control (`tab`: of a tab list): class `seg`/`tab`, plus `on`
/// and `aria-pressed`/`aria-selected` when it is the chosen one.
pub fn toggle_button(
    label: &'static str,
    title: Option<&'static str>,
    on: bool,
    tab: bool,
    onclick: Callback<MouseEvent>,
) -> Html {
    let mut node = html! { <button type="button" {title} {onclick}>{ label }</button> };
    if let Html::VTag(t) = &mut node {
        let state = aria_bool(on);
        if tab {
            t.add_attribute("role", "tab");
            t.add_attribute("aria-selected", state);
            t.add_attribute("class", if on { "tab on" } else { "tab" });
        } else {
            t.add_attribute("aria-pressed", state);
            t.add_attribute("class", if on { "seg on" } else { "seg" });
        }
    }
    node
}

/// `"true"` or `"false"` for an ARIA state (a static string: `bool::to_string` allocates).
pub fn aria_bool(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

pub fn event_value(e: &web_sys::Event) -> String {
    let Some(t) = e.target() else {
        return String::new();
    };
    if let Some(i) = t.dyn_ref::<web_sys::HtmlInputElement>() {
        i.value()
    } else if let Some(i) = t.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        i.value()
    } else if let Some(i) = t.dyn_ref::<web_sys::HtmlSelectElement>() {
        i.value()
    } else {
        String::new()
    }
}

pub fn event_checked(e: &web_sys::Event) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|i| i.checked())
        .unwrap_or(false)
}

/// Verdict words: colour is never the only cue.
pub fn status_text(s: Option<Status>) -> &'static str {
    match s {
        Some(Status::Cached) => "cached",
        Some(Status::Rebuilt) => "rebuilt",
        Some(Status::NotRun) => "not built",
        Some(Status::Metadata) => "metadata",
        None => "—",
    }
}

pub fn status_class(s: Option<Status>) -> &'static str {
    match s {
        Some(Status::Cached) => "v-cached",
        Some(Status::Rebuilt) => "v-rebuilt",
        Some(Status::NotRun) => "v-notrun",
        Some(Status::Metadata) => "v-meta",
        None => "v-none",
    }
}

/// A one-character gutter mark per verdict.
pub fn status_mark(s: Option<Status>) -> &'static str {
    match s {
        Some(Status::Cached) => "✓",
        Some(Status::Rebuilt) => "↻",
        Some(Status::NotRun) => "–",
        Some(Status::Metadata) => "·",
        None => "",
    }
}

pub fn badge(s: Option<Status>) -> Html {
    with_class(
        html! { <span>{ status_text(s) }</span> },
        class_list("badge", &[Some(status_class(s))]),
    )
}

/// `<option value={value} selected={selected}>{label}</option>`: one copy of the element
/// code for every option list.
pub fn option(value: &str, selected: bool, label: &str) -> Html {
    html! { <option value={value.to_string()} {selected}>{ label.to_string() }</option> }
}

/// `<label class="field">{text}<select onchange={onchange}>{options}</select></label>`.
pub fn field_select(text: &'static str, onchange: Callback<Event>, options: Html) -> Html {
    html! { <label class="field">{ text }<select {onchange}>{ options }</select></label> }
}

/// A table head row: a `<th scope="col">` per column, then `last` (more cells, or nothing).
pub fn thead(cols: &[&'static str], last: Html) -> Html {
    let cells: Html = cols
        .iter()
        .map(|c| html! { <th scope="col">{ *c }</th> })
        .collect();
    html! { <thead><tr>{ cells }{ last }</tr></thead> }
}

/// Markup that never changes (no handler, no computed value) as one string, parsed by the
/// browser when it is first shown: an `html!` element costs about 150-250 bytes of bundle
/// code to build, this a call. The page's CSP forbids inline scripts, styles and handlers, so
/// such markup has none (checked by a test over every call's string), and its elements are
/// ones the HTML parser keeps outside a table (no `<caption>`, `<thead>`, `<tr>`...).
#[inline(never)]
pub fn fixed(markup: &'static str) -> Html {
    Html::from_html_unchecked(AttrValue::Static(markup))
}

/// `node` (one element made by `html!`) with its `class` attribute set to `class`.
///
/// Yew turns a computed `class={..}` into `Classes`, a set of the words built on every
/// render; every such site also linked that set's code into the bundle. Here a class is one
/// string, and the same helper works for SVG elements (whose `className` is read-only).
pub fn with_class(mut node: Html, class: impl Into<AttrValue>) -> Html {
    if let Html::VTag(tag) = &mut node {
        tag.add_attribute("class", class);
    }
    node
}

/// `base` followed by the words that are set, space-separated (what `classes!` renders).
pub fn class_list(base: &str, words: &[Option<&str>]) -> String {
    let mut c = String::from(base);
    for w in words.iter().flatten() {
        if !c.is_empty() {
            c.push(' ');
        }
        c.push_str(w);
    }
    c
}

#[cfg(test)]
mod tests {
    /// The string literals inside every `fixed(...)` call of the components, joined per call.
    fn fixed_markup() -> Vec<String> {
        let sources = [
            include_str!("app.rs"),
            include_str!("changes.rs"),
            include_str!("editor.rs"),
            include_str!("embed.rs"),
            include_str!("export_panel.rs"),
            include_str!("fixes.rs"),
            include_str!("graph.rs"),
            include_str!("results.rs"),
            include_str!("share_panel.rs"),
        ];
        let mut out = Vec::new();
        for src in sources {
            let mut rest = src;
            while let Some(i) = rest.find("fixed(") {
                rest = &rest[i + "fixed(".len()..];
                if rest.starts_with("markup") {
                    continue; // the definition
                }
                // Up to the call's closing parenthesis, skipping string contents.
                let (mut depth, mut markup, mut chars) = (1, String::new(), rest.char_indices());
                while let Some((j, c)) = chars.next() {
                    match c {
                        '(' => depth += 1,
                        ')' if depth == 1 => {
                            rest = &rest[j..];
                            break;
                        }
                        ')' => depth -= 1,
                        'r' if rest[j..].starts_with("r#\"") => {
                            let body = &rest[j + 3..];
                            let end = body.find("\"#").expect("raw string ends");
                            markup.push_str(&body[..end]);
                            let stop = j + 3 + end + 2;
                            while chars.next().is_some_and(|(k, _)| k + 1 < stop) {}
                        }
                        '"' => {
                            for (_, c) in chars.by_ref() {
                                if c == '"' {
                                    break;
                                }
                                assert_ne!(c, '\\', "no escapes in fixed markup: {markup}");
                                markup.push(c);
                            }
                        }
                        _ => {}
                    }
                }
                out.push(markup);
            }
        }
        out
    }

    #[test]
    fn fixed_markup_is_balanced_and_csp_safe() {
        let all = fixed_markup();
        assert!(all.len() > 30, "{}", all.len());
        for m in &all {
            assert!(m.starts_with('<') && m.ends_with('>'), "{m:?}");
            assert!(!m.contains('&'), "no entities: {m:?}");
            // Elements only (no table parts, which the parser drops outside a table), every
            // one closed in order.
            let mut open: Vec<&str> = Vec::new();
            for tag in m.split('<').skip(1) {
                let name_end = tag.find([' ', '>']).expect("tag ends");
                // No inline handler or style attribute (the CSP would refuse them).
                let attrs = &tag[name_end..tag.find('>').expect("tag ends")].to_ascii_lowercase();
                assert!(
                    !attrs.contains(" on") && !attrs.contains("style") && !attrs.contains(':'),
                    "{attrs:?} in {m:?}"
                );
                let (closing, name) = match tag.strip_prefix('/') {
                    Some(n) => (true, &n[..name_end - 1]),
                    None => (false, &tag[..name_end]),
                };
                assert!(
                    [
                        "div", "p", "span", "h1", "h2", "h3", "strong", "legend", "summary",
                        "fieldset"
                    ]
                    .contains(&name),
                    "<{name}> in {m:?}"
                );
                if closing {
                    assert_eq!(open.pop(), Some(name), "{m:?}");
                } else {
                    open.push(name);
                }
            }
            assert!(open.is_empty(), "{m:?}");
        }
    }
}
