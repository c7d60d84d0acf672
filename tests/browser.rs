//! Component tests in headless Chromium: the real app (real engine) mounted into the test page,
//! driven through DOM events. `scripts/test.sh` runs them with wasm-bindgen-test-runner:
//! `cargo test --target wasm32-unknown-unknown -p layerlab-app --test browser`.
#![cfg(target_arch = "wasm32")]

use layerlab_app::examples;
use layerlab_app::share::{self, SharedState, SharedUi};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Sets the page URL (query + fragment) the app reads at mount, without navigating.
fn set_url(query_and_fragment: &str) {
    let w = web_sys::window().unwrap();
    let path = w.location().pathname().unwrap();
    w.history()
        .unwrap()
        .replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query_and_fragment}")),
        )
        .unwrap();
}

async fn tick(ms: u64) {
    yew::platform::time::sleep(Duration::from_millis(ms)).await;
}

/// Mounts a fresh app into its own root element.
struct Mounted {
    root: Element,
}

impl Mounted {
    async fn new(url: &str) -> Mounted {
        set_url(url);
        let root = document().create_element("div").unwrap();
        document().body().unwrap().append_child(&root).unwrap();
        layerlab_app::components::app::mount(Some(root.clone())).await;
        tick(50).await;
        Mounted { root }
    }

    fn q(&self, sel: &str) -> Element {
        self.root
            .query_selector(sel)
            .unwrap()
            .unwrap_or_else(|| panic!("no element matches {sel}"))
    }

    fn all(&self, sel: &str) -> Vec<Element> {
        let list = self.root.query_selector_all(sel).unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().dyn_into::<Element>().unwrap())
            .collect()
    }

    fn textarea(&self) -> HtmlTextAreaElement {
        self.q("textarea#dockerfile").dyn_into().unwrap()
    }

    /// The verdict badge text of (line, column) where column is "classic" or "buildkit".
    fn verdict(&self, line: u32, builder: &str) -> String {
        self.q(&format!(
            "table.verdicts tr[data-line='{line}'] td.{builder} .badge"
        ))
        .text_content()
        .unwrap_or_default()
    }

    async fn type_text(&self, text: &str) {
        let ta = self.textarea();
        ta.set_value(text);
        let ev = web_sys::InputEvent::new("input").unwrap();
        ta.dispatch_event(&ev).unwrap();
        // Long enough for a deferred analysis (slow debug builds defer it while typing).
        tick(layerlab_app::components::editor::DEBOUNCE_MS as u64 + 100).await;
    }

    async fn select(&self, sel: &str, value: &str) {
        let s: HtmlSelectElement = self.q(sel).dyn_into().unwrap();
        s.set_value(value);
        s.dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
        tick(30).await;
    }

    async fn click(&self, sel: &str) {
        self.q(sel).dyn_into::<HtmlElement>().unwrap().click();
        tick(30).await;
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // The app stays mounted (Yew has no unmount for a Renderer handle we dropped), but its
        // root leaves the document so the next test's queries cannot see it.
        self.root.remove();
        set_url("");
    }
}

#[wasm_bindgen_test]
async fn share_codec_round_trips_in_the_browser() {
    let st = SharedState::new(examples::default_scenario(), SharedUi::default());
    let frag = share::encode(&st).await;
    assert_eq!(share::decode(&frag).await.unwrap(), st);
}

/// A link made before the browser's compression streams replaced miniz_oxide in the bundle
/// (miniz, level 9): links already shared must keep opening.
const MINIZ_LINK: &str = "v1:eNqlk8Fu00AQhl9ltBdaKV6TSHCwxAFKQVVFUoUiVGGENuuJvXQ9a3bXaaMoEg_BE_IkzNpJEBcuPdm7_uebmX_GO7ERxXQigkZS3jhR7ASpFkUhLrsGW_TKwsUVqBopTiDLtNINZmvvWrAqYohiIioM2psuGkcpjhUp5Ltbge8pgCNQsPYYmhEDiiroVAgY_gW2W9V1xYiVcGFZYjRoRYywW2hVZHJsENaGuKwQGfcsQGNCdH47GbhvemOraxOBEKsAAx1ajKpSUYGhId60HAlnhqwhHDXn8PvnL3gwsXF9BI5PuvcOWlf1FqFyD2Sdqk4d4Qb9NvUokwFO36NfG5t8e7dcfIDaWUV1MZWzGbz-CKtUVUmfF8vrt1dLyIPXJV0sbu5YKDlFeoS-BZmXtPw052NKfMp60EqQp88DETIHOdebs28cq9sqvZVU0liE9tK4vGJ_vLMYQs6WRaOzCldG0XR24GaD_a9G5Ik3oi7nt8u7m8XV_Ba-lGK4E19L4qa1o4iPMW3MIXHeKkOy5iUSndL3yeN0k-pZ96SHw9k57KDzhqKls1JspqU4h_0AHK3g4IPn-KjazqLUrj22xY0nS9Orxx-98Qg1j6xfDaLaudpi3vemgs1UvpTPj1z2lrn_lUIzLaRkg8X-OFBTk_NppJIjx54bniqmltOwwxN7nx1733PKYQsTMLje65T175-RDQubChtmhP5bwNh3rBkLzSpveB-ToDeJkfZaFC_2-z-t4lHS";

#[wasm_bindgen_test]
async fn links_made_with_miniz_open_with_the_browsers_zlib() {
    let st = share::decode(MINIZ_LINK).await.unwrap();
    assert_eq!(
        st.scenario,
        examples::by_id("ci-cache-from").unwrap().scenario()
    );
    assert_eq!(st.ui.line, Some(5));
}

#[wasm_bindgen_test]
async fn damaged_and_oversized_links_are_refused_by_the_browsers_zlib() {
    use share::DecodeError;
    // Cut short: the stream ends early, or its Adler-32 is missing.
    for cut in [10, MINIZ_LINK.len() / 2, MINIZ_LINK.len() - 2] {
        assert_eq!(
            share::decode(&MINIZ_LINK[..cut]).await,
            Err(DecodeError::Corrupt),
            "cut at {cut}"
        );
    }
    // One character changed in the middle: inflate or the checksum notices.
    let mut edited = MINIZ_LINK.as_bytes().to_vec();
    let mid = edited.len() / 2;
    edited[mid] = if edited[mid] == b'A' { b'B' } else { b'A' };
    let edited = String::from_utf8(edited).unwrap();
    assert!(share::decode(&edited).await.is_err());
    // A zip bomb: 2 MiB of spaces in a few KB; reading stops at the limit.
    let bomb = vec![b' '; share::MAX_STATE_BYTES * 2];
    let packed = layerlab_app::web::zlib(&bomb, true, usize::MAX)
        .await
        .unwrap();
    assert!(packed.len() < 20_000, "{}", packed.len());
    let mut frag = String::from("v1:");
    share::base64url_encode(&packed, &mut frag);
    assert_eq!(share::decode(&frag).await, Err(DecodeError::TooLarge));
}

#[wasm_bindgen_test]
async fn default_example_renders_with_verdicts_from_the_engine() {
    let app = Mounted::new("").await;
    let expected = examples::default_scenario();
    assert_eq!(app.textarea().value(), expected.dockerfile);
    let n_lines = expected.dockerfile.split('\n').count();
    assert_eq!(app.all(".gutter .g").len(), n_lines);
    assert_eq!(app.all(".hl .ln").len(), n_lines);
    // One table row per instruction (8 in the pip example).
    assert_eq!(app.all("table.verdicts tbody tr").len(), 8);
    // A build-arg change at the top: the FROM stays cached, the RUN after the ARG re-runs.
    assert_eq!(app.verdict(1, "buildkit"), "cached");
    assert_eq!(app.verdict(4, "buildkit"), "rebuilt");
    assert_eq!(app.verdict(4, "classic"), "rebuilt");
    // The gutter marks rebuilt lines for the builder in focus.
    assert!(app
        .q(".gutter .g:nth-child(4)")
        .class_name()
        .split_whitespace()
        .any(|c| c == "v-rebuilt"));
}

#[wasm_bindgen_test]
async fn typing_reanalyses_and_underlines_errors() {
    let app = Mounted::new("").await;
    app.type_text("FROM alpine:3.20\nRUN echo one\nRUN echo two\n")
        .await;
    assert_eq!(app.all("table.verdicts tbody tr").len(), 3);
    assert_eq!(app.all(".hl .ln").len(), 4);
    // Keywords are highlighted in the overlay.
    assert_eq!(app.q(".hl .ln .t-kw").text_content().unwrap(), "FROM");
    // A flag the parser rejects: listed with line and column, underlined in the overlay.
    app.type_text("FROM alpine\nRUN --bogus=1 echo hi\n").await;
    let problems = app.q("ul.diags").text_content().unwrap();
    assert!(problems.contains("line 2, col"), "{problems}");
    assert!(!app.all(".hl .d-err, .hl .d-warn, .hl .eol").is_empty());
}

#[wasm_bindgen_test]
async fn caret_selects_the_instruction_and_shows_why() {
    let app = Mounted::new("").await;
    let ta = app.textarea();
    // Put the caret on line 4 (the RUN) and click: the Why panel follows.
    let offset: usize = examples::default_scenario()
        .dockerfile
        .split('\n')
        .take(3)
        .map(|l| l.len() + 1)
        .sum();
    ta.set_selection_range(offset as u32 + 2, offset as u32 + 2)
        .unwrap();
    ta.click();
    tick(30).await;
    let why = app.q("section.why h2").text_content().unwrap();
    assert_eq!(why, "Why? — line 4");
    assert!(app
        .q(".hl .ln:nth-child(4)")
        .class_name()
        .split_whitespace()
        .any(|c| c == "sel"));
    // The causal chain names the ARG line as the cause, as a link.
    let cause = app.q("section.why .cause-link").text_content().unwrap();
    assert_eq!(cause, "line 2");
    // Hovering the reason highlights the cause line in the editor.
    let reason = app.q("section.why li.reason");
    reason
        .dispatch_event(&web_sys::MouseEvent::new("mouseover").unwrap())
        .unwrap();
    reason
        .dispatch_event(&web_sys::MouseEvent::new("mouseenter").unwrap())
        .unwrap();
    tick(30).await;
    assert!(app
        .q(".hl .ln:nth-child(2)")
        .class_name()
        .split_whitespace()
        .any(|c| c == "cause"));
}

#[wasm_bindgen_test]
async fn changes_panel_edits_the_scenario() {
    let app = Mounted::new("").await;
    // Make the ARG stable: B's value back to "same as A".
    let b_input: HtmlInputElement = app
        .q("input[aria-label='PIP_INDEX_URL in build B']")
        .dyn_into()
        .unwrap();
    b_input.set_value("");
    b_input
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    tick(30).await;
    assert_eq!(app.verdict(4, "buildkit"), "cached");
    assert_eq!(app.verdict(6, "buildkit"), "cached");
    // Edit requirements.txt in B: its COPY and everything after re-run.
    app.select("select[aria-label='requirements.txt in build B']", "edited")
        .await;
    assert_eq!(app.verdict(4, "buildkit"), "cached");
    assert_eq!(app.verdict(5, "buildkit"), "rebuilt");
    assert_eq!(app.verdict(6, "buildkit"), "rebuilt");
    // A fresh CI agent with no cache: even the apt-get RUN re-runs.
    app.click("input[name='cache-source'][value='fresh-agent']")
        .await;
    assert_eq!(app.verdict(4, "buildkit"), "rebuilt");
    assert_eq!(app.verdict(4, "classic"), "rebuilt");
    // A new context file: typed, added to A, the field cleared.
    let path: HtmlInputElement = app
        .q("input[aria-label='new context file path']")
        .dyn_into()
        .unwrap();
    path.set_value(" ./docs/new.md ");
    app.click(".add-file button").await;
    assert_eq!(path.value(), "");
    assert!(app
        .all("ul.files code.path")
        .iter()
        .any(|c| c.text_content().as_deref() == Some("docs/new.md")));
}

#[wasm_bindgen_test]
async fn gallery_loads_an_example_and_the_graph_shows_stages() {
    let app = Mounted::new("").await;
    app.q("details.gallery").set_attribute("open", "").unwrap();
    app.click("button.card[data-example='unused-stage']").await;
    assert!(
        !app.q("details.gallery").has_attribute("open"),
        "picking an example closes the gallery"
    );
    assert!(app
        .textarea()
        .value()
        .starts_with("FROM golang:1.22 AS test"));
    assert_eq!(app.all("svg.stage-graph g.node").len(), 3);
    // BuildKit skips the unused test stage; classic builds it.
    let test_node = app
        .q("svg.stage-graph g.node")
        .get_attribute("aria-label")
        .unwrap();
    assert!(test_node.contains("classic builds it"), "{test_node}");
    assert!(test_node.contains("BuildKit skips it"), "{test_node}");
    assert_eq!(app.verdict(4, "buildkit"), "not built");
    // The COPY --from edge from build to the final stage is drawn.
    assert_eq!(app.all("svg.stage-graph g.e-copy").len(), 1);
}

#[wasm_bindgen_test]
async fn link_state_round_trips_and_bad_links_say_why() {
    let mut s = examples::by_id("save-load-buildkit").unwrap().scenario();
    s.dockerfile.push_str("LABEL round=trip\n");
    let st = SharedState::new(s.clone(), SharedUi::default());
    let app = Mounted::new(&format!("#{}", share::encode(&st).await)).await;
    assert_eq!(app.textarea().value(), s.dockerfile);
    let checked: HtmlInputElement = app
        .q("input[name='cache-source']:checked")
        .dyn_into()
        .unwrap();
    assert_eq!(checked.value(), "save-load");
    drop(app);

    let app = Mounted::new("#v1:AAAA-broken").await;
    let notice = app.q(".notice").text_content().unwrap();
    assert!(notice.contains("damaged"), "{notice}");
    assert_eq!(
        app.textarea().value(),
        examples::default_scenario().dockerfile
    );
}

#[wasm_bindgen_test]
async fn embed_view_is_compact_and_read_only() {
    let st = SharedState::new(
        examples::by_id("ci-cache-from").unwrap().scenario(),
        SharedUi::default(),
    );
    let app = Mounted::new(&format!("?embed=1#{}", share::encode(&st).await)).await;
    assert!(app
        .q(".app")
        .class_name()
        .split_whitespace()
        .any(|c| c == "embed"));
    assert!(app.textarea().read_only());
    assert!(
        app.all(".changes").is_empty(),
        "no changes panel in the embed"
    );
    // The link's fragment is compressed asynchronously (the browser's CompressionStream).
    let mut href = None;
    for _ in 0..100 {
        href = app.q("a.open-full").get_attribute("href");
        if href.is_some() {
            break;
        }
        tick(20).await;
    }
    let open = href.expect("the open-in-playground link gets its URL");
    assert!(!open.contains("embed=1"));
    let frag = open.split_once('#').unwrap().1;
    assert_eq!(share::decode(frag).await.unwrap().scenario, st.scenario);
}

// The fixes and export panels talk to the advice/export web worker, which only exists in the
// built dist/: their working paths are tested end to end (tests/e2e/app.test.mjs). Here, where
// the test page has no worker file, they must say so instead of hanging.

#[wasm_bindgen_test]
async fn fixes_and_export_say_so_when_the_worker_cannot_load() {
    let app = Mounted::new("").await;
    app.click("section.fixes > button").await;
    let mut msg = String::new();
    for _ in 0..100 {
        if let Some(e) = app.root.query_selector("section.fixes .error").unwrap() {
            msg = e.text_content().unwrap_or_default();
            break;
        }
        tick(50).await;
    }
    assert!(msg.contains("worker"), "fixes panel: {msg:?}");
    // The button is usable again (not stuck in "Finding fixes…").
    assert!(!app.q("section.fixes > button").has_attribute("disabled"));
    app.click("section.export summary").await;
    // The export is requested once edits pause.
    for _ in 0..40 {
        if app
            .root
            .query_selector("section.export .error")
            .unwrap()
            .is_some()
        {
            break;
        }
        tick(25).await;
    }
    let err = app.q("section.export .error").text_content().unwrap();
    assert!(err.contains("worker"), "export panel: {err}");
    // The form is still there, so the user keeps their parameters.
    app.q("#export-ci");
}

#[wasm_bindgen_test]
async fn engine_switch_simulates_docker_20_10() {
    let app = Mounted::new("").await;
    app.type_text("FROM alpine\nCOPY --link requirements.txt /r.txt\nRUN cat /r.txt\n")
        .await;
    assert_eq!(app.verdict(2, "buildkit"), "cached");
    app.click(".engine button:nth-of-type(2)").await;
    assert_eq!(
        app.q(".engine button[aria-pressed='true']")
            .text_content()
            .unwrap(),
        "20.10"
    );
    // Docker 20.10's frontend does not know COPY --link: the build fails there.
    assert_eq!(app.verdict(2, "buildkit"), "not built");
    let summary = app.q(".summary").text_content().unwrap();
    assert!(summary.contains("unknown flag: link"), "{summary}");
    app.click(".engine button:nth-of-type(1)").await;
    assert_eq!(app.verdict(2, "buildkit"), "cached");
}
