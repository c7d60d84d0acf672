//! Results: one-line summaries, the verdict table (classic and BuildKit side by side), the
//! causal chain of the selected instruction, and the time-lost estimate.

use super::{
    aria_bool, badge, class_list, event_value, field_select, fixed, on_click_ui, option,
    select_line, thead, with_class, Store,
};
use crate::analysis::Analysis;
use crate::costs::{format_secs, KINDS};
use crate::model::{Action, AppState};
use layerlab_engine::report::{Builder, Reason, Status};
use layerlab_engine::scenario::RerunOutput;
use std::rc::Rc;
use yew::prelude::*;

/// Short text of an instruction for the table (first line, trimmed).
fn short(text: &str) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    let mut s: String = first.chars().take(60).collect();
    if first.chars().count() > 60 || text.lines().nth(1).is_some() {
        s.push('…');
    }
    s
}

/// `<input type="number">` for a cost in seconds (`label`: its accessible name).
fn secs_input(value: u32, label: String, oninput: Callback<InputEvent>) -> Html {
    html! {
        <input type="number" min="0" step="1" class="secs" value={value.to_string()} {oninput}
               aria-label={label} />
    }
}

fn builder_id(b: Builder) -> &'static str {
    match b {
        Builder::Classic => "classic",
        Builder::Buildkit => "buildkit",
    }
}

#[derive(Properties, Clone)]
struct RowProps {
    line: u32,
    /// The analysis and the index of this row's instruction in B's Dockerfile (its text is
    /// shortened only when the row renders).
    an: Rc<Analysis>,
    index: usize,
    classic: Option<Status>,
    buildkit: Option<Status>,
    /// Seconds re-executing this step costs (0: none shown); `None` in the compact (embed)
    /// table, which has no cost column.
    cost: Option<u32>,
    selected: bool,
    hovered: bool,
    cause: bool,
    dispatcher: UseReducerDispatcher<AppState>,
}

impl RowProps {
    fn text(&self) -> &str {
        self.an
            .df_b
            .instructions
            .get(self.index)
            .map_or("", |i| i.text.as_str())
    }
}

impl PartialEq for RowProps {
    fn eq(&self, o: &Self) -> bool {
        self.line == o.line
            && (self.classic, self.buildkit, self.cost) == (o.classic, o.buildkit, o.cost)
            && (self.selected, self.hovered, self.cause) == (o.selected, o.hovered, o.cause)
            && self.dispatcher == o.dispatcher
            && ((Rc::ptr_eq(&self.an, &o.an) && self.index == o.index) || self.text() == o.text())
    }
}

#[derive(Properties, PartialEq)]
struct RowChunkProps {
    rows: Vec<RowProps>,
}

/// A run of rows (see [`super::editor::chunks`]): unchanged runs are skipped as a whole.
#[function_component]
fn RowChunk(p: &RowChunkProps) -> Html {
    p.rows
        .iter()
        .map(|r| html! { <VerdictRow key={r.line} ..r.clone() /> })
        .collect()
}

/// One table row; a component so unchanged rows skip re-rendering on each keystroke.
#[function_component]
fn VerdictRow(p: &RowProps) -> Html {
    let line = p.line;
    let d = &p.dispatcher;
    let select = on_click_ui(d, select_line(line));
    let enter = on_click_ui(d, Rc::new(move |_, tr| tr.hover = Some(line)));
    let leave = on_click_ui(d, Rc::new(|_, tr| tr.hover = None));
    let class = class_list(
        "",
        &[
            p.selected.then_some("sel"),
            p.hovered.then_some("hov"),
            p.cause.then_some("cause"),
        ],
    );
    let row = html! {
        <tr onmouseenter={enter} onmouseleave={leave} onclick={select} data-line={line.to_string()}>
            <td class="num">
                <button type="button" class="linkish" aria-pressed={aria_bool(p.selected)}
                        aria-label={format!("line {line}: why?")}>{ line }</button>
            </td>
            <td class="ins"><code>{ short(p.text()) }</code></td>
            <td class="classic">{ badge(p.classic) }</td>
            <td class="buildkit">{ badge(p.buildkit) }</td>
            if let Some(cost) = p.cost { <td class="num cost">{ if cost > 0 { format_secs(cost) } else { String::new() } }</td> }
        </tr>
    };
    if class.is_empty() {
        row
    } else {
        with_class(row, class)
    }
}

pub fn summary(store: &Store) -> Html {
    let an = &store.analysis;
    let costs = &store.ui.costs;
    let line = |b: Builder| {
        let r = an.report.builder(b);
        let text = if r.summary.is_empty() {
            "no verdicts yet".to_string()
        } else {
            r.summary.clone()
        };
        let lost = costs.time_lost(r);
        // The engine's summary names its builder; say it only when there is no summary yet.
        let prefix = if text.starts_with(b.label()) {
            String::new()
        } else {
            format!("{}: ", b.label())
        };
        let line = html! {
            <li>
                <span class="summary-text">{ prefix }{ text }</span>
                if lost > 0 { <span class="lost">{ format!(" ≈ {} lost", format_secs(lost)) }</span> }
            </li>
        };
        with_class(line, format!("summary-line sum-{}", builder_id(b)))
    };
    let errors: Html = [Builder::Classic, Builder::Buildkit]
        .into_iter()
        .flat_map(|b| {
            an.report
                .builder(b)
                .errors
                .iter()
                .map(move |d| (b, d.clone()))
                .collect::<Vec<_>>()
        })
        .map(|(b, d)| {
            html! { <li class="d-err-item">{ format!("{} fails at line {}: {}", b.label(), d.span.line, d.message) }</li> }
        })
        .collect();
    html! {
        <section class="summary" aria-live="polite" aria-label="Summary">
            <ul class="plain">
                { line(Builder::Classic) }
                { line(Builder::Buildkit) }
                { errors }
            </ul>
        </section>
    }
}

/// The verdict table; `compact` (embed): no cost column.
pub fn verdict_table(store: &Store, compact: bool) -> Html {
    let st = &**store;
    let an = &st.analysis;
    let selected = st.ui.line;
    let hover = st.tr.hover;
    let causes = &st.tr.causes;

    let dispatcher = store.dispatcher();
    let rows = an.df_b.instructions.iter().enumerate().map(|(index, ins)| {
        let line = ins.span.line;
        let c = an.step(Builder::Classic, line).map(|s| s.status);
        let k = an.step(Builder::Buildkit, line).map(|s| s.status);
        let rebuilt = c == Some(Status::Rebuilt) || k == Some(Status::Rebuilt);
        // Only rebuilt steps show a cost.
        let cost = (!compact).then(|| {
            if rebuilt {
                st.ui.costs.cost(line, &ins.keyword)
            } else {
                0
            }
        });
        RowProps {
            line,
            an: an.clone(),
            index,
            classic: c,
            buildkit: k,
            cost,
            selected: selected == Some(line),
            hovered: hover == Some(line),
            cause: causes.contains(&line),
            dispatcher: dispatcher.clone(),
        }
    });
    let rows = super::editor::chunks(rows, 0, |rows, k| html! { <RowChunk key={k} {rows} /> });

    const COLS: [&str; 5] = ["Line", "Instruction", "Classic", "BuildKit", "Cost"];
    html! {
        <table class="verdicts">
            <caption>{ "Each instruction of build B, per builder (select a line to see why)" }</caption>
            { thead(
                if compact { &COLS[..4] } else { &COLS },
                Html::default(),
            ) }
            <tbody>{ rows }</tbody>
        </table>
    }
}

fn reason_item(store: &Store, r: &Reason) -> Html {
    let line = r.line;
    let d = store.dispatcher();
    let enter = on_click_ui(
        &d,
        Rc::new(move |_, tr| tr.causes = line.into_iter().collect()),
    );
    let leave = on_click_ui(&d, Rc::new(|_, tr| tr.causes.clear()));
    let jump = line.map(|l| {
        let focus_in = {
            let store = store.clone();
            Callback::from(move |_: FocusEvent| {
                store.dispatch(Action::ui(move |_, tr| tr.causes = vec![l]))
            })
        };
        let onclick = on_click_ui(
            &d,
            Rc::new(move |ui, tr| {
                ui.line = Some(l);
                tr.causes.clear();
            }),
        );
        html! { <button type="button" class="linkish cause-link" {onclick} onfocus={focus_in}>{ format!("line {l}") }</button> }
    });
    html! {
        <li class="reason" onmouseenter={enter} onmouseleave={leave}>
            <span class="reason-msg">{ &*r.message }</span>
            { " " }
            { jump.unwrap_or_default() }
            <span class="reason-code">{ &r.code }</span>
        </li>
    }
}

pub fn why_panel(store: &Store) -> Html {
    let st = &**store;
    let an = &st.analysis;
    let Some(line) = st.ui.line else {
        return html! {
            <section class="why" aria-live="polite" aria-label="Why">
                { fixed(r#"<h2>Why?</h2><p class="muted">Select an instruction (click a line in the editor or the table) to see the causal chain behind each builder's verdict.</p>"#) }
            </section>
        };
    };
    let ins = an.df_b.instructions.iter().find(|i| i.span.line == line);
    let per_builder: Html = [Builder::Classic, Builder::Buildkit]
        .into_iter()
        .map(|b| {
            let step = an.step(b, line);
            let reasons: Html = step
                .map(|s| s.reasons.iter().map(|r| reason_item(store, r)).collect())
                .unwrap_or_default();
            html! {
                <div class="why-builder">
                    <h3>{ b.label() }{ " " }{ badge(step.map(|s| s.status)) }</h3>
                    if step.is_some_and(|s| !s.reasons.is_empty()) {
                        <ol class="chain">{ reasons }</ol>
                    } else {
                        { fixed(if step.is_some() { r#"<p class="muted">No reasons given.</p>"# } else { r#"<p class="muted">No verdict for this line.</p>"# }) }
                    }
                </div>
            }
        })
        .collect();

    // For a re-executed RUN: does its output stay byte-identical? (drives content-keyed steps)
    let rerun = ins
        .filter(|i| i.keyword.eq_ignore_ascii_case("RUN"))
        .filter(|_| {
            [Builder::Classic, Builder::Buildkit].iter().any(|b| {
                an.step(*b, line)
                    .is_some_and(|s| s.status == Status::Rebuilt)
            })
        })
        .map(|_| {
            let key = line.to_string();
            let cur = st.scenario.rerun_output.get(&key).copied();
            let onchange = super::on_value(store, move |s, v| {
                match v.as_str() {
                    "identical" => s.rerun_output.insert(key.clone(), RerunOutput::Identical),
                    "different" => s.rerun_output.insert(key.clone(), RerunOutput::Different),
                    _ => s.rerun_output.remove(&key),
                };
            });
            field_select(
                "When this RUN re-executes, its output is ",
                onchange,
                html! { <>
                    { option("", cur.is_none(), "different (assumed)") }
                    { option("identical", cur == Some(RerunOutput::Identical), "byte-identical") }
                    { option("different", cur == Some(RerunOutput::Different), "different") }
                </> },
            )
        })
        .unwrap_or_default();

    let cost_editor = ins
        .map(|i| {
            let kw = i.keyword.clone();
            let cur = st.ui.costs.cost(line, &kw);
            let overridden = st.ui.costs.lines.contains_key(&line);
            let oninput = {
                let store = store.clone();
                Callback::from(move |e: InputEvent| {
                    let v = event_value(&e);
                    let secs = v.trim().parse::<u32>().ok();
                    store.dispatch(Action::ui(move |ui, _| ui.costs.set_line(line, secs)))
                })
            };
            html! {
                <label class="field">
                    { "This step takes " }
                    { secs_input(cur, format!("seconds for line {line}"), oninput) }
                    { if overridden { " s (set for this line)" } else { " s (default for its kind)" } }
                </label>
            }
        })
        .unwrap_or_default();

    html! {
        <section class="why" aria-live="polite" aria-label="Why">
            <h2>{ format!("Why? — line {line}") }</h2>
            if let Some(i) = ins { <pre class="why-ins"><code>{ &i.text }</code></pre> }
            <div class="why-grid">{ per_builder }</div>
            { rerun }
            { cost_editor }
        </section>
    }
}

pub fn time_estimate(store: &Store) -> Html {
    let st = &**store;
    let an = &st.analysis;
    let costs = &st.ui.costs;
    let full = costs.full_build(&an.df_b);
    let kinds: Html = KINDS
        .iter()
        .map(|k| {
            let k = *k;
            let oninput = {
                let store = store.clone();
                Callback::from(move |e: InputEvent| {
                    if let Ok(v) = event_value(&e).trim().parse::<u32>() {
                        store.dispatch(Action::ui(move |ui, _| ui.costs.set_kind(k, v)))
                    }
                })
            };
            html! {
                <label class="cost-kind">
                    <span>{ k }</span>
                    { secs_input(costs.kind_cost(k), format!("seconds per {k} step"), oninput) }
                    { " s" }
                </label>
            }
        })
        .collect();
    let row = |b: Builder| {
        let lost = costs.time_lost(an.report.builder(b));
        html! {
            <tr>
                <th scope="row">{ b.label() }</th>
                <td class="num">{ format_secs(lost) }</td>
                <td class="num">{ if full > 0 { format!("{}%", (lost as u64 * 100 / full as u64)) } else { String::new() } }</td>
            </tr>
        }
    };
    let reset = on_click_ui(
        &store.dispatcher(),
        Rc::new(|ui, _| ui.costs = Default::default()),
    );
    html! {
        <section class="time" aria-label="Time lost">
            { fixed(r#"<h2>Time lost in build B</h2>"#) }
            <table class="lost-table">
                { thead(&["Builder", "Re-executed", "of a full build"], Html::default()) }
                <tbody>{ row(Builder::Classic) }{ row(Builder::Buildkit) }</tbody>
            </table>
            <details class="costs">
                { fixed(r#"<summary>Step costs</summary><p class="muted">Seconds a step takes when it re-executes, by kind. Set one line's cost in its Why panel.</p>"#) }
                <div class="cost-kinds">{ kinds }</div>
                if !costs.is_default() { <button type="button" onclick={reset}>{ "Reset to defaults" }</button> }
            </details>
        </section>
    }
}
