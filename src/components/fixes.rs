//! Suggested fixes: the engine's advice for the scenario (each rule judged by the simulator),
//! computed on demand in the advice/export worker ([`crate::extras`]) because it simulates the
//! scenario several times. A mechanical fix can be applied in one click: the rewritten scenario
//! replaces the current one, so the verdicts show what the fix keeps cached.

use super::{aria_bool, fixed, on_click_ui, select_line, with_class, StoreProps};
use crate::extras::{self, AdviceItem, Job, Reply};
use crate::model::Action;
use crate::share::SharedState;
use std::rc::Rc;
use yew::prelude::*;

fn lines_text(lines: &[u32]) -> String {
    lines
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the advice for the scenario stands.
#[derive(Clone, PartialEq)]
enum Found {
    Nothing,
    /// Asked the worker, for this revision.
    Running(u64),
    Done(u64, Rc<Vec<AdviceItem>>),
    Failed(String),
}

#[function_component]
pub fn FixesPanel(p: &StoreProps) -> Html {
    let store = p.store.clone();
    let result = use_state(|| Found::Nothing);
    let run = {
        let store = store.clone();
        let result = result.clone();
        Callback::from(move |_: MouseEvent| {
            let rev = store.revision;
            result.set(Found::Running(rev));
            let result = result.clone();
            extras::run(Job::Advise(store.scenario.clone()), move |reply| {
                result.set(match reply {
                    Reply::Advice(a) => Found::Done(rev, Rc::new(a)),
                    Reply::Failed(m) => Found::Failed(m),
                    _ => Found::Failed("unexpected reply from the worker".into()),
                })
            });
        })
    };
    let fresh = matches!(&*result, Found::Done(rev, _) if *rev == store.revision);
    let running = matches!(&*result, Found::Running(_));
    let list = match &*result {
        Found::Nothing => fixed(
            r#"<p class="muted">Look for cache-hostile patterns in this scenario; each one is measured with the simulator (which steps it makes rebuild).</p>"#,
        ),
        Found::Running(_) => {
            fixed(r#"<p class="muted" role="status">Measuring each rule with the simulator…</p>"#)
        }
        Found::Failed(m) => {
            html! { <p class="error" role="alert">{ format!("Could not look for fixes: {m}") }</p> }
        }
        Found::Done(_, advice) if advice.is_empty() => {
            fixed(r#"<p class="ok">No cache problems found in this scenario.</p>"#)
        }
        Found::Done(_, advice) => {
            let items: Html = advice
                .iter()
                .map(|a| {
                    let (item_class, badge_class) = match a.severity.as_str() {
                        "high" => ("fix sev-high", "badge sev-high"),
                        "medium" => ("fix sev-medium", "badge sev-medium"),
                        _ => ("fix sev-low", "badge sev-low"),
                    };
                    let goto = a.line.map(|l| {
                        let onclick = on_click_ui(&store.dispatcher(), select_line(l));
                        html! { <button type="button" class="linkish" {onclick}>{ format!("line {l}") }</button> }
                    });
                    let apply = a.rewrite.clone().filter(|_| fresh).map(|rw| {
                        let store = store.clone();
                        let onclick = Callback::from(move |_: MouseEvent| {
                            let ui = store.ui.clone();
                            store.dispatch(Action::Load(Box::new(SharedState::new(rw.clone(), ui))));
                        });
                        html! { <button type="button" class="primary apply-fix" data-rule={a.rule.clone()} {onclick}>{ "Apply fix" }</button> }
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
                    let item = html! {
                        <li data-rule={a.rule.clone()}>
                            <div class="fix-head">
                                { with_class(html! { <span>{ a.severity.clone() }</span> }, badge_class) }
                                <strong>{ &a.title }</strong>
                                { goto.unwrap_or_default() }
                            </div>
                            <p>{ &a.message }</p>
                            if !cost.is_empty() { <p class="muted">{ cost }</p> }
                            <p>{ fixed("<strong>Fix: </strong>") }{ &a.fix }</p>
                            if let Some(eq) = &a.equivalent { <p class="muted">{ format!("Also reported by: {eq}") }</p> }
                            { apply.unwrap_or_default() }
                        </li>
                    };
                    with_class(item, item_class)
                })
                .collect();
            html! { <ol class="plain fix-list">{ items }</ol> }
        }
    };
    let stale = matches!(&*result, Found::Done(rev, _) if *rev != store.revision);
    let label = match &*result {
        Found::Nothing | Found::Failed(_) => "Find fixes",
        Found::Running(_) => "Finding fixes…",
        _ if fresh => "Find fixes again",
        _ => "Scenario changed: find fixes again",
    };
    let button =
        html! { <button type="button" onclick={run} disabled={running}>{ label }</button> };
    let button = if fresh {
        button
    } else {
        with_class(button, "primary")
    };
    html! {
        <section class="fixes" aria-live="polite" aria-label="Suggested fixes" aria-busy={aria_bool(running)}>
            { fixed(r#"<h2>What do I change?</h2>"#) }
            { button }
            if stale { { fixed(r#"<p class="muted">These results are for an earlier version of the scenario.</p>"#) } }
            { list }
        </section>
    }
}
