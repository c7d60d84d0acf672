//! Suggested fixes: the engine's advice for the scenario (each rule judged by the simulator),
//! computed on demand because it simulates the scenario several times. A mechanical fix can be
//! applied in one click: the rewritten scenario replaces the current one, so the verdicts show
//! what the fix keeps cached.

use super::use_store;
use crate::model::Action;
use crate::share::SharedState;
use layerlab_engine::advice::{advise, Advice, Severity};
use std::rc::Rc;
use yew::prelude::*;

fn lines_text(lines: &[u32]) -> String {
    lines
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[function_component]
pub fn FixesPanel() -> Html {
    let store = use_store();
    // (revision the advice was computed for, the advice)
    let result = use_state(|| None::<(u64, Rc<Vec<Advice>>)>);
    let run = {
        let store = store.clone();
        let result = result.clone();
        Callback::from(move |_: MouseEvent| {
            result.set(Some((store.revision, Rc::new(advise(&store.scenario)))));
        })
    };
    let fresh = result
        .as_ref()
        .is_some_and(|(rev, _)| *rev == store.revision);
    let list = match result.as_ref() {
        None => html! { <p class="muted">{ "Look for cache-hostile patterns in this scenario; each one is measured with the simulator (which steps it makes rebuild)." }</p> },
        Some((_, advice)) if advice.is_empty() => html! { <p class="ok">{ "No cache problems found in this scenario." }</p> },
        Some((_, advice)) => advice
            .iter()
            .map(|a| {
                let sev = match a.severity {
                    Severity::High => "sev-high",
                    Severity::Medium => "sev-medium",
                    Severity::Low => "sev-low",
                };
                let goto = a.line.map(|l| {
                    let store = store.clone();
                    let onclick = Callback::from(move |_: MouseEvent| store.dispatch(Action::ui(move |ui, _| ui.line = Some(l))));
                    html! { <button type="button" class="linkish" {onclick}>{ format!("line {l}") }</button> }
                });
                let apply = a.rewrite.clone().filter(|_| fresh).map(|rw| {
                    let store = store.clone();
                    let onclick = Callback::from(move |_: MouseEvent| {
                        let ui = store.ui.clone();
                        store.dispatch(Action::Load(Box::new(SharedState::new(rw.clone(), ui))));
                    });
                    html! { <button type="button" class="primary apply-fix" data-rule={a.rule} {onclick}>{ "Apply fix" }</button> }
                });
                let cost = if a.cost.is_empty() {
                    String::new()
                } else {
                    format!(
                        "Rebuilds because of it: classic {}; BuildKit {}.",
                        if a.cost_classic.is_empty() { "none".into() } else { format!("lines {}", lines_text(&a.cost_classic)) },
                        if a.cost_buildkit.is_empty() { "none".into() } else { format!("lines {}", lines_text(&a.cost_buildkit)) },
                    )
                };
                html! {
                    <li class={classes!("fix", sev)} data-rule={a.rule}>
                        <div class="fix-head">
                            <span class={classes!("badge", sev)}>{ a.severity.as_str() }</span>
                            <strong>{ &a.title }</strong>
                            { goto.unwrap_or_default() }
                        </div>
                        <p>{ &a.message }</p>
                        if !cost.is_empty() { <p class="muted">{ cost }</p> }
                        <p><strong>{ "Fix: " }</strong>{ &a.fix }</p>
                        if let Some(eq) = &a.equivalent { <p class="muted">{ format!("Also reported by: {eq}") }</p> }
                        { apply.unwrap_or_default() }
                    </li>
                }
            })
            .collect(),
    };
    html! {
        <section class="fixes" aria-live="polite" aria-label="Suggested fixes">
            <h2>{ "What do I change?" }</h2>
            <button type="button" onclick={run} class={classes!((!fresh).then_some("primary"))}>
                { if result.is_none() { "Find fixes" } else if fresh { "Find fixes again" } else { "Scenario changed: find fixes again" } }
            </button>
            if result.is_some() && !fresh { <p class="muted">{ "These results are for an earlier version of the scenario." }</p> }
            if let Some((_, a)) = result.as_ref() {
                if !a.is_empty() { <ol class="plain fix-list">{ list }</ol> } else { { list } }
            } else {
                { list }
            }
        </section>
    }
}
