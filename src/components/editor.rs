//! The Dockerfile editor: a plain `<textarea>` over a highlighted `<pre>` (same font, same
//! size, transparent text), a gutter with each instruction's verdict for the builder in
//! focus, and diagnostics underlined and listed with line and column.

use super::{
    class_list, on_click_ui, select_line, status_class, status_mark, status_text, toggle_button,
    with_class, Store,
};
use crate::highlight::{highlight, split_marks, Tok, Token};
use crate::model::{Action, AppState, EditorTab};
use gloo::timers::callback::Timeout;
use layerlab_engine::report::Builder;
use layerlab_engine::syntax::{Diagnostic, Severity};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// Above this analysis time (ms), keystrokes defer the analysis until typing pauses.
pub const SLOW_ANALYSIS_MS: f64 = 12.0;
/// Above this time (ms) from an edit to every panel rendered with its analysis, keystrokes
/// defer the analysis too: a keystroke should be painted within one 16 ms frame.
pub const SLOW_EDIT_MS: f64 = 12.0;

thread_local! {
    /// When the last edit of the text was dispatched (until the app has rendered it).
    static EDIT_T0: std::cell::Cell<Option<f64>> = const { std::cell::Cell::new(None) };
    /// Milliseconds from that dispatch to the end of the render it caused.
    static LAST_EDIT_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    /// A release of replaced states is scheduled after the next paint.
    static RELEASE_SCHEDULED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called by the app after each render: ends the timing of the text edit it rendered, and
/// shows it on the root element as `data-edit-us` (for benchmarks). The states the change
/// replaced are freed after the next paint.
pub fn rendered() {
    if crate::model::has_retired() && !RELEASE_SCHEDULED.replace(true) {
        let release = wasm_bindgen::closure::Closure::once_into_js(|| {
            Timeout::new(0, || {
                RELEASE_SCHEDULED.set(false);
                crate::model::release_retired();
            })
            .forget();
        });
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(release.unchecked_ref());
        }
    }
    if let Some(t0) = EDIT_T0.take() {
        let ms = crate::clock_ms() - t0;
        // An edit that changed nothing renders nothing; the next render (a hover, say) is not
        // its time.
        if ms > 1000.0 {
            return;
        }
        LAST_EDIT_MS.set(ms);
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-edit-us", &((ms * 1000.0) as u64).to_string());
        }
    }
}

/// The last edit's dispatch-to-rendered time (ms).
pub fn last_edit_ms() -> f64 {
    LAST_EDIT_MS.get()
}

/// The pause (ms) after which a deferred analysis runs.
pub const DEBOUNCE_MS: u32 = 150;
/// Editor metrics (must match `.editor` in www/app.css).
const LINE_PX: i32 = 20;
const PAD_TOP_PX: i32 = 8;
/// Files longer than this render only the overlay and gutter lines near the visible part of
/// the editor (the textarea always holds the whole text).
pub const WINDOW_ABOVE_LINES: usize = 200;
/// Lines rendered beyond the visible ones, above and below.
const WINDOW_MARGIN: usize = 60;

/// The 0-based range of lines to render for `n` lines, the editor scrolled to `scroll_top`
/// px with `height` px visible.
pub fn line_window(n: usize, scroll_top: i32, height: i32) -> (usize, usize) {
    if n <= WINDOW_ABOVE_LINES {
        return (0, n);
    }
    let first = ((scroll_top - PAD_TOP_PX).max(0) / LINE_PX) as usize;
    let visible = (height.max(LINE_PX) / LINE_PX) as usize + 1;
    // Snap to the margin so that small scrolls do not re-render.
    let start = (first.saturating_sub(WINDOW_MARGIN) / WINDOW_MARGIN) * WINDOW_MARGIN;
    let end = (first + visible + WINDOW_MARGIN).div_ceil(WINDOW_MARGIN) * WINDOW_MARGIN;
    (start.min(n), end.min(n))
}

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    #[prop_or_default]
    pub readonly: bool,
    pub store: Store,
}

/// Which Dockerfile text is on screen, and whether verdicts (which refer to B) apply to it.
fn shown(state: &crate::model::AppState) -> (String, bool, bool) {
    let b = state.scenario.change.dockerfile.as_ref();
    match (b, state.tr.tab) {
        (Some(b), EditorTab::B) => (b.clone(), true, true),
        (Some(_), EditorTab::A) => (state.scenario.dockerfile.clone(), false, false),
        (None, _) => (state.scenario.dockerfile.clone(), true, false),
    }
}

/// 1-based line of a UTF-16 caret offset.
pub fn line_of_utf16(text: &str, offset: u32) -> u32 {
    let mut units = 0u32;
    let mut line = 1u32;
    for c in text.chars() {
        if units >= offset {
            break;
        }
        units += c.len_utf16() as u32;
        if c == '\n' {
            line += 1;
        }
    }
    line
}

/// UTF-16 offset of a byte offset (for placing the caret on a diagnostic).
pub fn utf16_of_byte(text: &str, byte: usize) -> u32 {
    let mut b = byte.min(text.len());
    while b > 0 && !text.is_char_boundary(b) {
        b -= 1;
    }
    text[..b].encode_utf16().count() as u32
}

#[function_component]
pub fn Editor(props: &EditorProps) -> Html {
    let store = props.store.clone();
    let st = &*store;
    let (store_text, verdicts_apply, showing_b) = shown(st);
    // While typing in a file whose analysis is slow, the text lives here until typing pauses:
    // only the editor re-renders per keystroke, not every panel that reads the store.
    let typed = use_mut_ref(|| None::<(bool, String)>);
    let redraw = use_force_update();
    let text = match &*typed.borrow() {
        Some((b, t)) if *b == showing_b => t.clone(),
        _ => store_text,
    };
    let focus = st.focus();
    let an = &st.analysis;
    let area = use_node_ref();
    // The textarea's value as last typed or set: Yew would read the whole value back from the
    // DOM on every render to compare it (and the caret tracking on every key).
    let dom_text = use_mut_ref(String::new);
    {
        let area = area.clone();
        let dom_text = dom_text.clone();
        let text = text.clone();
        use_effect(move || {
            if *dom_text.borrow() != text {
                if let Some(t) = area.cast::<HtmlTextAreaElement>() {
                    t.set_value(&text);
                    *dom_text.borrow_mut() = text;
                }
            }
        });
    }

    // Diagnostics of the text on screen (+ builder errors, which refer to B).
    let mut diags: Vec<(Diagnostic, Option<Builder>)> = Vec::new();
    if verdicts_apply {
        diags.extend(an.df_b.diagnostics.iter().cloned().map(|d| (d, None)));
        for b in [Builder::Classic, Builder::Buildkit] {
            for d in &an.report.builder(b).errors {
                diags.push((d.clone(), Some(b)));
            }
        }
    } else {
        diags.extend(an.df_a().diagnostics.iter().cloned().map(|d| (d, None)));
    }

    // Highlighted once per text: after a typing pause the edit re-renders the text the last
    // keystroke already highlighted.
    let hl = use_memo(text.clone(), |t| Highlighted::new(t));
    let n = hl.lines.len();
    // (scroll top, visible height) of the editor, for long files.
    let view = use_state_eq(|| (0i32, 1200i32));
    let (w0, w1) = line_window(n, view.0, view.1);
    let onscroll = {
        let view = view.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                view.set((el.scroll_top(), el.client_height()));
            }
        })
    };
    let top_pad = use_node_ref();
    let bottom_pad = use_node_ref();
    let gutter_top = use_node_ref();
    let gutter_bottom = use_node_ref();
    {
        // Spacers stand in for the lines not rendered. Heights are set through the CSSOM:
        // the page's CSP forbids inline style attributes.
        let refs = [
            (top_pad.clone(), w0),
            (bottom_pad.clone(), n - w1),
            (gutter_top.clone(), w0),
            (gutter_bottom.clone(), n - w1),
        ];
        use_effect_with((w0, w1, n), move |_| {
            for (r, lines) in refs {
                if let Some(el) = r.cast::<web_sys::HtmlElement>() {
                    let _ = el
                        .style()
                        .set_property("height", &format!("{}px", lines as i32 * LINE_PX));
                }
            }
        });
    }
    // Spacers and the width sizer exist only for long files, so short ones render exactly one
    // element per line.
    let windowed = n > WINDOW_ABOVE_LINES;
    // Which instruction (by its first line) owns each line, for tinting whole instructions.
    let mut owner: Vec<Option<u32>> = vec![None; n + 1];
    if verdicts_apply {
        for ins in &an.df_b.instructions {
            let (a, b) = (
                ins.span.line as usize,
                ins.span.end_line.max(ins.span.line) as usize,
            );
            for slot in owner.iter_mut().take(b.min(n) + 1).skip(a) {
                *slot = Some(ins.span.line);
            }
        }
    }
    // Per-line diagnostic ranges.
    let mut marks: Vec<Vec<(u32, u32, Severity, usize)>> = vec![Vec::new(); n + 1];
    for (i, (d, _)) in diags.iter().enumerate() {
        let sp = d.span;
        let (l0, l1) = (
            sp.line.max(1) as usize,
            sp.end_line.max(sp.line).max(1) as usize,
        );
        for (l, slot) in marks.iter_mut().enumerate().take(l1.min(n) + 1).skip(l0) {
            let s = if l == l0 { sp.col.max(1) } else { 1 };
            let e = if l == l1 { sp.end_col } else { u32::MAX };
            slot.push((s, e, d.severity, i));
        }
    }

    let selected = st.ui.line;
    let hover = st.tr.hover;
    let causes = &st.tr.causes;

    let dispatcher = store.dispatcher();
    let gutter = (w0 + 1..=w1).map(|l| {
        let l = l as u32;
        let own = owner.get(l as usize).copied().flatten();
        let is_start = own == Some(l);
        let status = own.and_then(|o| an.step(focus, o)).map(|s| s.status);
        GutterProps {
            line: l,
            owner: own,
            status: own.map(|_| status_class(status)),
            sel: own.is_some() && own == selected,
            diag: !marks[l as usize].is_empty(),
            mark: if is_start { status_mark(status) } else { "" },
            title: is_start.then(|| (status_text(status), focus.label())),
            dispatcher: dispatcher.clone(),
        }
    });
    let gutter = chunks(
        gutter,
        w0,
        |lines, k| html! { <GutterChunk key={k} {lines} /> },
    );

    let overlay = (w0..w1).map(|i| {
        let l = (i + 1) as u32;
        let own = owner.get(l as usize).copied().flatten();
        let status = own.and_then(|o| an.step(focus, o)).map(|s| s.status);
        let marks: Vec<(u32, u32, &'static str)> = marks[l as usize]
            .iter()
            .map(|m| {
                let sev = match m.2 {
                    Severity::Error => "d-err",
                    Severity::Warning => "d-warn",
                };
                (m.0, m.1, sev)
            })
            .collect();
        CodeLineProps {
            hl: hl.clone(),
            index: i,
            marks,
            status: own.map(|_| status_class(status)),
            sel: own.is_some() && own == selected,
            hov: own.is_some() && own == hover,
            cause: own.is_some_and(|o| causes.contains(&o)),
        }
    });
    let overlay = chunks(
        overlay,
        w0,
        |lines, k| html! { <CodeChunk key={k} {lines} /> },
    );

    // Small files re-analyse on every keystroke; when the last analysis was slow, the text
    // updates at once and the analysis waits until typing pauses.
    let pending = use_mut_ref(|| None::<Timeout>);
    let oninput = {
        let store = store.clone();
        let slow = an.ms > SLOW_ANALYSIS_MS || last_edit_ms() > SLOW_EDIT_MS;
        let typed = typed.clone();
        let dom_text = dom_text.clone();
        Callback::from(move |e: InputEvent| {
            let v = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            dom_text.borrow_mut().clone_from(&v);
            if slow {
                *typed.borrow_mut() = Some((showing_b, v));
                redraw.force_update();
                let d = store.dispatcher();
                let typed = typed.clone();
                *pending.borrow_mut() = Some(Timeout::new(DEBOUNCE_MS, move || {
                    // Taken first: dispatching re-renders the editor, which reads `typed`.
                    let t = typed.borrow_mut().take();
                    EDIT_T0.set(Some(crate::clock_ms()));
                    match t {
                        Some((b, text)) => d.dispatch(Action::Text {
                            b,
                            text,
                            analyze: true,
                        }),
                        None => d.dispatch(Action::Analyze),
                    }
                }));
            } else {
                // The path can change between two keys (it follows the last edit's time):
                // text held by a key on the deferred path is older than this one, and
                // rendering it (or dispatching it when its timer fires) would undo the keys
                // typed since.
                if matches!(&*typed.borrow(), Some((b, _)) if *b == showing_b) {
                    typed.borrow_mut().take();
                    pending.borrow_mut().take();
                }
                EDIT_T0.set(Some(crate::clock_ms()));
                store.dispatch(Action::edit(move |s| {
                    match (&mut s.change.dockerfile, showing_b) {
                        (Some(b), true) => *b = v.clone(),
                        _ => s.dockerfile = v.clone(),
                    }
                }));
            }
        })
    };
    // Pointing at a line of the editor highlights its row in the table (and vice versa).
    let onmousemove = {
        let store = store.clone();
        let owner = owner.clone();
        Callback::from(move |e: MouseEvent| {
            let line = ((e.offset_y() - PAD_TOP_PX).max(0) / LINE_PX) as usize + 1;
            let own = owner.get(line).copied().flatten();
            if store.tr.hover != own {
                store.dispatch(Action::ui(move |_, tr| tr.hover = own));
            }
        })
    };
    let onmouseleave = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| {
            if store.tr.hover.is_some() {
                store.dispatch(Action::ui(|_, tr| tr.hover = None));
            }
        })
    };
    // Moving the caret selects the instruction under it (linked highlighting from the editor).
    let track_caret = {
        let store = store.clone();
        let owner = owner.clone();
        let dom_text = dom_text.clone();
        Callback::from(move |e: Event| {
            let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
            else {
                return;
            };
            let pos = t.selection_start().ok().flatten().unwrap_or(0);
            let line = line_of_utf16(&dom_text.borrow(), pos);
            if let Some(Some(o)) = owner.get(line as usize) {
                let o = *o;
                store.dispatch(Action::Ui(select_line(o)));
            }
        })
    };
    let on_keyup = {
        let t = track_caret.clone();
        Callback::from(move |e: KeyboardEvent| t.emit(e.into()))
    };
    let on_click = {
        let t = track_caret.clone();
        Callback::from(move |e: MouseEvent| t.emit(e.into()))
    };

    let tabs = if st.scenario.change.dockerfile.is_some() {
        let d = store.dispatcher();
        let tab_btn = |tab: EditorTab, label: &'static str| {
            let onclick = on_click_ui(&d, Rc::new(move |_, tr| tr.tab = tab));
            toggle_button(label, None, st.tr.tab == tab, true, onclick)
        };
        html! {
            <div class="tabs" role="tablist" aria-label="Which Dockerfile">
                { tab_btn(EditorTab::A, "Build A") }
                { tab_btn(EditorTab::B, "Build B (verdicts)") }
            </div>
        }
    } else {
        Html::default()
    };

    let diag_list: Html = diags
        .iter()
        .map(|(d, b)| {
            let goto = {
                let area = area.clone();
                let text = text.clone();
                let start = d.span.start;
                let line = d.span.line;
                let d = store.dispatcher();
                Callback::from(move |_: MouseEvent| {
                    if let Some(t) = area.cast::<HtmlTextAreaElement>() {
                        let u = utf16_of_byte(&text, start);
                        let _ = t.focus();
                        let _ = t.set_selection_range(u, u);
                    }
                    d.dispatch(Action::Ui(select_line(line)));
                })
            };
            let who = b.map(|b| format!("{}: ", b.label())).unwrap_or_default();
            let class = match d.severity {
                Severity::Error => "d-err-item",
                Severity::Warning => "d-warn-item",
            };
            with_class(
                html! {
                    <li>
                        <button type="button" class="linkish" onclick={goto}>
                            { format!("line {}, col {}", d.span.line, d.span.col) }
                        </button>
                        { format!(" {who}{}", d.message) }
                    </li>
                },
                class,
            )
        })
        .collect();

    let label = if showing_b {
        "Dockerfile of build B"
    } else if st.scenario.change.dockerfile.is_some() {
        "Dockerfile of build A"
    } else {
        "Dockerfile"
    };

    html! {
        <section class="editor-wrap" aria-label="Dockerfile editor">
            { tabs }
            <div class="editor" {onscroll}>
                <div class="gutter" aria-hidden="true">
                    if windowed { <div class="pad" ref={gutter_top} /> }
                    { gutter }
                    if windowed { <div class="pad" ref={gutter_bottom} /> }
                </div>
                <div class="code">
                    <div class="hl" aria-hidden="true">
                        if windowed { <div class="pad" ref={top_pad} /> }
                        { overlay }
                        if windowed {
                            <div class="pad" ref={bottom_pad} />
                            <div class="ln sizer">{ hl.longest.clone() }</div>
                        }
                    </div>
                    <textarea ref={area} id="dockerfile" class="ed-input" aria-label={label}
                        spellcheck="false" autocomplete="off" autocapitalize="off" wrap="off"
                        readonly={props.readonly}
                        {oninput} onkeyup={on_keyup} onclick={on_click}
                        {onmousemove} {onmouseleave} />
                </div>
            </div>
            if !diags.is_empty() {
                <ul class="diags" aria-label="Problems">{ diag_list }</ul>
            }
        </section>
    }
}

/// Lines per chunk of the overlay and the gutter (a divisor of [`WINDOW_MARGIN`], so that
/// chunks keep their lines when the window moves).
const CHUNK: usize = 20;

/// Groups line props into chunk components (`chunk` gets a chunk's props and its first
/// 0-based line, to key it by; `first`: the first item's). Yew then compares a few chunks
/// per render instead of scheduling an update of every line component; a chunk whose lines
/// are all equal is skipped. Used by the gutter, the overlay and the verdict table.
pub(crate) fn chunks<P>(
    items: impl Iterator<Item = P>,
    first: usize,
    mut chunk: impl FnMut(Vec<P>, usize) -> Html,
) -> Html {
    let mut items = items.peekable();
    let mut out = Vec::new();
    let mut start = first;
    while items.peek().is_some() {
        let lines: Vec<P> = items.by_ref().take(CHUNK).collect();
        out.push(chunk(lines, start));
        start += CHUNK;
    }
    Html::from_iter(out)
}

#[derive(Properties, PartialEq)]
struct GutterChunkProps {
    lines: Vec<GutterProps>,
}

#[function_component]
fn GutterChunk(p: &GutterChunkProps) -> Html {
    p.lines
        .iter()
        .map(|g| html! { <GutterLine key={g.line} ..g.clone() /> })
        .collect()
}

#[derive(Properties, PartialEq)]
struct CodeChunkProps {
    lines: Vec<CodeLineProps>,
}

#[function_component]
fn CodeChunk(p: &CodeChunkProps) -> Html {
    p.lines
        .iter()
        .map(|c| html! { <CodeLine key={c.index + 1} ..c.clone() /> })
        .collect()
}

#[derive(Properties, PartialEq, Clone)]
struct GutterProps {
    line: u32,
    /// First line of the instruction this line belongs to.
    owner: Option<u32>,
    /// The verdict's class, on the lines of an instruction.
    status: Option<&'static str>,
    sel: bool,
    diag: bool,
    mark: &'static str,
    /// (verdict, builder) on an instruction's first line.
    title: Option<(&'static str, &'static str)>,
    dispatcher: UseReducerDispatcher<AppState>,
}

/// One gutter line. A component so that unchanged lines skip re-rendering while typing; its
/// props are plain values, cheap to build and compare for every line on every render.
#[function_component]
fn GutterLine(p: &GutterProps) -> Html {
    let onclick = p.owner.map(|o| on_click_ui(&p.dispatcher, select_line(o)));
    let class = class_list(
        "g",
        &[p.status, p.sel.then_some("sel"), p.diag.then_some("g-diag")],
    );
    let title = p
        .title
        .map(|(verdict, builder)| format!("line {}: {verdict} ({builder})", p.line))
        .unwrap_or_default();
    with_class(
        html! {
            <div {title} {onclick}>
                <span class="g-num">{ p.line }</span>
                <span class="g-mark">{ p.mark }</span>
            </div>
        },
        class,
    )
}

/// The editor text split into highlighted lines, and its longest line (the width sizer of
/// long files).
#[derive(PartialEq)]
pub struct Highlighted {
    lines: Vec<Vec<Token>>,
    longest: String,
}

impl Highlighted {
    fn new(text: &str) -> Highlighted {
        let lines = highlight(text);
        let longest = if lines.len() > WINDOW_ABOVE_LINES {
            text.split('\n')
                .max_by_key(|l| l.chars().count())
                .unwrap_or("")
                .to_string()
        } else {
            String::new()
        };
        Highlighted { lines, longest }
    }
}

#[derive(Properties, Clone)]
struct CodeLineProps {
    /// The whole text's highlighting, shared by every line (no copy of the tokens per line).
    hl: Rc<Highlighted>,
    /// 0-based line in `hl`.
    index: usize,
    /// Diagnostic ranges on this line: (start col, end col, class).
    marks: Vec<(u32, u32, &'static str)>,
    status: Option<&'static str>,
    sel: bool,
    hov: bool,
    cause: bool,
}

impl PartialEq for CodeLineProps {
    fn eq(&self, o: &Self) -> bool {
        let same_tokens = (Rc::ptr_eq(&self.hl, &o.hl) && self.index == o.index)
            || self.hl.lines.get(self.index) == o.hl.lines.get(o.index);
        same_tokens
            && self.marks == o.marks
            && self.status == o.status
            && (self.sel, self.hov, self.cause) == (o.sel, o.hov, o.cause)
    }
}

/// One highlighted line of the overlay (memoised like [`GutterLine`]).
#[function_component]
fn CodeLine(p: &CodeLineProps) -> Html {
    let tokens: &[Token] = p.hl.lines.get(p.index).map_or(&[], |t| t.as_slice());
    let line_marks: Vec<(u32, u32)> = p.marks.iter().map(|m| (m.0, m.1)).collect();
    let body: Html = split_marks(tokens, &line_marks)
        .into_iter()
        .map(|piece| {
            let tok = (piece.tok != Tok::Plain).then_some(piece.tok.class());
            let mark = piece.mark.map(|m| p.marks[m].2);
            match (tok, mark) {
                (None, None) => html! { { piece.text } },
                (Some(c), None) | (None, Some(c)) => {
                    with_class(html! { <span>{ piece.text }</span> }, c)
                }
                (Some(t), Some(m)) => {
                    with_class(html! { <span>{ piece.text }</span> }, format!("{t} {m}"))
                }
            }
        })
        .collect();
    // A mark past the line's last character (e.g. an unterminated heredoc) shows as a marker
    // after the text.
    let width: usize = tokens.iter().map(|t| t.text.chars().count()).sum();
    let eol = p.marks.iter().find(|m| m.0 as usize > width).map(|m| m.2);
    let class = class_list(
        "ln",
        &[
            p.status,
            p.sel.then_some("sel"),
            p.hov.then_some("hov"),
            p.cause.then_some("cause"),
        ],
    );
    let eol = eol.map(|c| with_class(html! { <span>{ " " }</span> }, format!("eol {c}")));
    with_class(
        html! {
            <div>
                { body }
                { eol.unwrap_or_default() }
            </div>
        },
        class,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_files_render_a_window_around_the_visible_lines() {
        assert_eq!(
            line_window(150, 5000, 400),
            (0, 150),
            "short files render every line"
        );
        let (a, b) = line_window(2000, 0, 400);
        assert_eq!(a, 0);
        assert!((21..200).contains(&b), "{b}");
        // Scrolled to line ~500 with 20 lines visible: those lines and a margin are rendered.
        let top = PAD_TOP_PX + 500 * LINE_PX;
        let (a, b) = line_window(2000, top, 400);
        assert!(
            a <= 500 - WINDOW_MARGIN / 2 && b >= 521 + WINDOW_MARGIN / 2,
            "{a}..{b}"
        );
        assert!(b - a < 300);
        // Small scrolls keep the same window (no re-render).
        assert_eq!(line_window(2000, top + LINE_PX, 400), (a, b));
        // Never past the end.
        assert_eq!(line_window(2000, 1_000_000, 400).1, 2000);
    }

    #[test]
    fn caret_offsets_count_utf16_units() {
        let t = "FROM a\nRUN ü😀\nCOPY . .";
        assert_eq!(line_of_utf16(t, 0), 1);
        assert_eq!(line_of_utf16(t, 7), 2);
        // "RUN ü😀\n" is 4 + 1 + 2 + 1 = 8 UTF-16 units.
        assert_eq!(line_of_utf16(t, 7 + 7), 2);
        assert_eq!(line_of_utf16(t, 7 + 8), 3);
        assert_eq!(line_of_utf16(t, 1000), 3);
        assert_eq!(utf16_of_byte(t, t.find("COPY").unwrap()), 15);
        assert_eq!(
            utf16_of_byte(t, 12),
            utf16_of_byte(t, 11),
            "inside a char rounds down"
        );
    }
}
