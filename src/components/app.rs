//! The root component: builds the initial state (URL fragment or the default example), keeps
//! the URL in sync with the state, and lays out the playground or the embed view.

use super::changes::changes_panel;
use super::editor::Editor;
use super::embed::embed_view;
use super::export_panel::ExportPanel;
use super::fixes::FixesPanel;
use super::graph::stage_graph_view;
use super::results::{summary, time_estimate, verdict_table, why_panel};
use super::share_panel::SharePanel;
use super::{fixed, on_click_ui, toggle_button, use_fragment, Store};
use crate::examples::{self, Group, EXAMPLES};
use crate::model::{Action, AppState};
use crate::share::{self, EngineChoice, SharedState, SharedUi};
use crate::web::{self, PageOptions};
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use layerlab_engine::report::Builder;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Initial state: the link's state when the fragment holds one, else the default example.
/// Asynchronous because the browser inflates the link ([`share::decode`]); [`mount`] awaits
/// it before the first render, so a link never flashes the default example.
pub async fn initial_state(fragment: &str, opts: &PageOptions) -> AppState {
    let frag = fragment.trim_start_matches('#');
    let (mut st, notice) = if frag.is_empty() {
        (
            SharedState::new(examples::default_scenario(), SharedUi::default()),
            None,
        )
    } else {
        match share::decode(frag).await {
            Ok(st) => (st, None),
            Err(e) => (
                SharedState::new(examples::default_scenario(), SharedUi::default()),
                Some(format!("{e} Showing the default example instead.")),
            ),
        }
    };
    if let Some(b) = opts.builder {
        st.ui.focus = Some(b);
    }
    let mut app = AppState::new(st.scenario, st.ui);
    app.tr.notice = notice;
    app
}

thread_local! {
    /// The state [`mount`] decoded for the next [`App`] to start from.
    static BOOT: RefCell<Option<AppState>> = const { RefCell::new(None) };
}

/// Decodes the page's link state, then renders [`App`] into `root` (or `<body>`).
pub async fn mount(root: Option<web_sys::Element>) {
    let opts = PageOptions::from_query(&web::location_search());
    let state = initial_state(&web::location_hash(), &opts).await;
    BOOT.with(|b| *b.borrow_mut() = Some(state));
    match root {
        Some(root) => yew::Renderer::<App>::with_root(root).render(),
        None => yew::Renderer::<App>::new().render(),
    };
}

/// The pause (ms) after the last edit before the URL fragment follows the state.
const URL_DEBOUNCE_MS: u32 = 700;

#[function_component]
pub fn App() -> Html {
    let opts = use_memo((), |_| PageOptions::from_query(&web::location_search()));
    let store = use_reducer({
        let opts = opts.clone();
        move || {
            // Rendered without `mount` (no link decoded): the default example.
            BOOT.with(|b| b.borrow_mut().take()).unwrap_or_else(|| {
                let ui = SharedUi {
                    focus: opts.builder,
                    ..SharedUi::default()
                };
                AppState::new(examples::default_scenario(), ui)
            })
        }
    });
    // Latest state for listeners registered once (the handle: a copy of the scenario on every
    // render took about a millisecond per keystroke on long files).
    let latest: Rc<RefCell<UseReducerHandle<AppState>>> = use_mut_ref(|| store.clone());
    *latest.borrow_mut() = store.clone();

    // After every render: the editor times how long an edit took to reach the screen.
    use_effect(super::editor::rendered);

    // Theme override (embed `mode=`); otherwise CSS follows the system.
    use_effect_with(opts.mode, |mode| {
        web::set_theme(*mode);
    });

    // The fragment the page shows now (as loaded, then as last written): a `hashchange` to
    // anything else is a link pasted into the address bar.
    let written: Rc<RefCell<String>> =
        use_mut_ref(|| web::location_hash().trim_start_matches('#').to_string());

    // URL ← state, once edits pause: history.replaceState is rate-limited by browsers, and
    // with a long scenario in the fragment one call takes milliseconds of the main thread.
    {
        let timer: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);
        let latest = latest.clone();
        let opts = opts.clone();
        let written = written.clone();
        use_effect_with(store.revision, move |rev| {
            if *rev > 0 {
                let latest = latest.clone();
                let rev = *rev;
                let t = Timeout::new(URL_DEBOUNCE_MS, move || {
                    let st = latest.borrow().shared();
                    yew::platform::spawn_local(async move {
                        let fragment = share::encode(&st).await;
                        // An edit while compressing: its own timer writes the newer state.
                        if latest.borrow().revision != rev {
                            return;
                        }
                        web::replace_fragment(&fragment);
                        if opts.embed {
                            post_state(&st, fragment.clone(), opts.origin.as_deref());
                        }
                        *written.borrow_mut() = fragment;
                    });
                });
                *timer.borrow_mut() = Some(t);
            }
        });
    }

    // State ← URL when the user pastes another link into the address bar.
    {
        let dispatcher = store.dispatcher();
        let written = written.clone();
        use_effect_with((), move |_| {
            let listener = EventListener::new(&web::window(), "hashchange", move |_| {
                let frag = web::location_hash();
                let frag = frag.trim_start_matches('#').to_string();
                if frag.is_empty() || frag == *written.borrow() {
                    return;
                }
                *written.borrow_mut() = frag.clone();
                let dispatcher = dispatcher.clone();
                yew::platform::spawn_local(async move {
                    match share::decode(&frag).await {
                        Ok(st) => dispatcher.dispatch(Action::Load(Box::new(st))),
                        Err(e) => {
                            let msg = e.to_string();
                            dispatcher
                                .dispatch(Action::ui(move |_, tr| tr.notice = Some(msg.clone())))
                        }
                    }
                });
            });
            move || drop(listener)
        });
    }

    // Embed protocol: ready, resize, state; accept set-state / get-state from the parent.
    {
        let dispatcher = store.dispatcher();
        let latest = latest.clone();
        let opts = opts.clone();
        use_effect_with((), move |_| {
            let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
            if opts.embed {
                let origin = opts.origin.clone();
                web::post_to_parent(
                    &web::Outgoing::Ready {
                        source: "layerlab",
                        v: 1,
                    },
                    origin.as_deref(),
                );
                let o2 = origin.clone();
                keep.push(Box::new(EventListener::new(
                    &web::window(),
                    "message",
                    move |ev| {
                        let Some(ev) = wasm_bindgen::JsCast::dyn_ref::<web_sys::MessageEvent>(ev)
                        else {
                            return;
                        };
                        if !web::accept_message(ev, o2.as_deref()) {
                            return;
                        }
                        let Some(msg) = web::read_message(ev) else {
                            return;
                        };
                        let (dispatcher, latest, o2) =
                            (dispatcher.clone(), latest.clone(), o2.clone());
                        yew::platform::spawn_local(async move {
                            match msg.command().await {
                                Ok(web::Command::SetState(st)) => {
                                    dispatcher.dispatch(Action::Load(st))
                                }
                                Ok(web::Command::GetState) => {
                                    let st = latest.borrow().shared();
                                    let fragment = share::encode(&st).await;
                                    post_state(&st, fragment, o2.as_deref())
                                }
                                Err(message) => web::post_to_parent(
                                    &web::Outgoing::Error {
                                        source: "layerlab",
                                        v: 1,
                                        message,
                                    },
                                    o2.as_deref(),
                                ),
                            }
                        });
                    },
                )));
                keep.push(Box::new(ResizeReporter::start(origin)));
            }
            move || drop(keep)
        });
    }

    let store = Store(store);
    // The embed view's link to the playground follows the state (compressed by the browser).
    let fragment = use_fragment(&store, opts.embed);
    if opts.embed {
        embed_view(&store, opts.editable, fragment)
    } else {
        playground(&store)
    }
}

/// Posts `state` to the embedding page (`fragment`: the state's link fragment).
fn post_state(st: &SharedState, fragment: String, origin: Option<&str>) {
    let url = web::share_url(&fragment);
    web::post_to_parent(
        &web::Outgoing::State {
            source: "layerlab",
            v: 1,
            state: Box::new(st.clone()),
            fragment,
            url,
        },
        origin,
    );
}

/// Posts `resize` whenever the document height changes (ResizeObserver on <html>).
struct ResizeReporter {
    observer: Option<web_sys::ResizeObserver>,
    _callback: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

impl ResizeReporter {
    fn start(origin: Option<String>) -> ResizeReporter {
        let last = Rc::new(RefCell::new(0u32));
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let h = web::document_height();
            if h != *last.borrow() {
                *last.borrow_mut() = h;
                web::post_to_parent(
                    &web::Outgoing::Resize {
                        source: "layerlab",
                        v: 1,
                        height: h,
                    },
                    origin.as_deref(),
                );
            }
        });
        let observer =
            web_sys::ResizeObserver::new(wasm_bindgen::JsCast::unchecked_ref(callback.as_ref()))
                .ok();
        if let (Some(o), Some(el)) = (
            &observer,
            web::window().document().and_then(|d| d.document_element()),
        ) {
            o.observe(&el);
        }
        ResizeReporter {
            observer,
            _callback: callback,
        }
    }
}

impl Drop for ResizeReporter {
    fn drop(&mut self) {
        if let Some(o) = &self.observer {
            o.disconnect();
        }
    }
}

/// The gutter's builder switch. The panels below are plain functions of the store, rendered
/// with their parent (the app re-renders at every change of the state anyway): a component
/// per panel cost about a kilobyte of bundle each.
pub fn focus_toggle(store: &Store) -> Html {
    let focus = store.focus();
    let d = store.dispatcher();
    let btn = |b: Builder, label: &'static str| {
        let onclick = on_click_ui(&d, Rc::new(move |ui, _| ui.focus = Some(b)));
        toggle_button(label, None, focus == b, false, onclick)
    };
    html! {
        <div class="focus" role="group" aria-label="Builder shown in the editor gutter">
            { fixed(r#"<span class="muted">Gutter: </span>"#) }
            { btn(Builder::Classic, "classic") }
            { btn(Builder::Buildkit, "BuildKit") }
        </div>
    }
}

/// Which Docker engine is simulated: a current one (23+, recorded on 26.1) or 20.10, whose
/// older frontend rejects `COPY --link` and heredocs and keys some steps differently.
fn engine_toggle(store: &Store) -> Html {
    let cur = store.ui.engine.unwrap_or_default();
    let d = store.dispatcher();
    let btn = |e: EngineChoice, label: &'static str, title: &'static str| {
        let onclick = on_click_ui(
            &d,
            Rc::new(move |ui, _| ui.engine = (e != EngineChoice::Current).then_some(e)),
        );
        toggle_button(label, Some(title), cur == e, false, onclick)
    };
    html! {
        <div class="focus engine" role="group" aria-label="Docker engine simulated">
            { fixed(r#"<span class="muted">Engine: </span>"#) }
            { btn(EngineChoice::Current, "Docker 23+", "Docker 23 and later (recorded on 26.1 with BuildKit 0.13)") }
            { btn(EngineChoice::Docker2010, "20.10", "Docker 20.10 (classic builder and BuildKit 0.8)") }
        </div>
    }
}

thread_local! {
    /// The examples, parsed once: the gallery re-renders with every change of the state.
    static GALLERY: Rc<Vec<layerlab_engine::Scenario>> =
        Rc::new(EXAMPLES.iter().map(|e| e.scenario()).collect());
}

fn gallery(store: &Store) -> Html {
    let scenarios = GALLERY.with(Rc::clone);
    let group = |g: Group, title: Html| {
        let cards: Html = EXAMPLES
            .iter()
            .enumerate()
            .filter(|(_, e)| e.group == g)
            .map(|(i, e)| {
                let sc = &scenarios[i];
                let onclick = {
                    let store = store.clone();
                    let scenarios = scenarios.clone();
                    Callback::from(move |e: MouseEvent| {
                        let details = e
                            .target()
                            .and_then(|t| {
                                wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok()
                            })
                            .and_then(|t| t.closest("details").ok().flatten());
                        let ui = SharedUi {
                            focus: store.ui.focus,
                            ..Default::default()
                        };
                        store.dispatch(Action::Load(Box::new(SharedState::new(
                            scenarios[i].clone(),
                            ui,
                        ))));
                        if let Some(d) = details {
                            let _ = d.remove_attribute("open");
                        }
                    })
                };
                html! {
                    <li>
                        <button type="button" class="card" data-example={e.id} {onclick}>
                            <strong>{ sc.name.clone().unwrap_or_default() }</strong>
                            <span>{ sc.description.clone().unwrap_or_default() }</span>
                        </button>
                    </li>
                }
            })
            .collect();
        html! {
            <div class="gallery-group">
                { title }
                <ul class="cards plain">{ cards }</ul>
            </div>
        }
    };
    let stories = group(Group::Story, fixed("<h3>Stories</h3>"));
    let pitfalls = group(Group::Pitfall, fixed("<h3>Classic pitfalls</h3>"));
    html! {
        <details class="gallery">
            { fixed("<summary>Examples</summary>") }
            <div class="gallery-pop">
                { stories }
                { pitfalls }
            </div>
        </details>
    }
}

pub fn notice(store: &Store) -> Html {
    let Some(msg) = store.tr.notice.clone() else {
        return Html::default();
    };
    let dismiss = on_click_ui(&store.dispatcher(), Rc::new(|_, tr| tr.notice = None));
    html! {
        <div class="notice" role="alert">
            <span>{ msg }</span>
            <button type="button" onclick={dismiss} aria-label="dismiss">{ "×" }</button>
        </div>
    }
}

fn scenario_intro(store: &Store) -> Html {
    let s = &store.scenario;
    let name = s.name.clone().unwrap_or_else(|| "Your scenario".into());
    html! {
        <section class="intro">
            <h2 class="scenario-name">{ name }</h2>
            if let Some(d) = &s.description { <p class="muted">{ d }</p> }
        </section>
    }
}

fn playground(store: &Store) -> Html {
    html! {
        <div class="app">
            <header class="top">
                { fixed(r#"<div class="brand"><h1>layerlab</h1><p class="tagline">Why did my Docker build not use the cache?</p></div>"#) }
                <nav class="actions" aria-label="Playground">
                    { gallery(store) }
                    { focus_toggle(store) }
                    { engine_toggle(store) }
                    <SharePanel store={store.clone()} />
                </nav>
            </header>
            { notice(store) }
            { scenario_intro(store) }
            <main class="grid">
                <div class="col col-left">
                    <Editor store={store.clone()} />
                    { changes_panel(store) }
                </div>
                <div class="col col-right">
                    { summary(store) }
                    { verdict_table(store, false) }
                    { why_panel(store) }
                    <FixesPanel store={store.clone()} />
                    <ExportPanel store={store.clone()} />
                    { stage_graph_view(store) }
                    { time_estimate(store) }
                </div>
            </main>
            <footer class="foot muted">
                { fixed("<span>Runs entirely in your browser; nothing is uploaded.</span>") }
                <span class="timing" data-analysis-us={micros(store.analysis.ms).to_string()}
                      data-analyses={store.analyses.to_string()}>
                    { format!(" Analysis: {} ms.", millis_text(store.analysis.ms)) }
                </span>
            </footer>
        </div>
    }
}

/// Whole microseconds (integer formatting keeps float formatting code out of the bundle).
fn micros(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        (ms * 1000.0) as u64
    } else {
        0
    }
}

/// `12.3` style milliseconds from microseconds.
fn millis_text(ms: f64) -> String {
    let us = micros(ms);
    format!("{}.{}", us / 1000, (us % 1000) / 100)
}
