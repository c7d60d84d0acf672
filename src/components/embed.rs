//! The embed view (`?embed=1`): compact and read-mostly, for iframes in docs and blog posts.
//! The Dockerfile is read-only unless `readonly=0`; a link opens the full playground.

use super::app::{focus_toggle, notice};
use super::editor::Editor;
use super::results::{summary, verdict_table, why_panel};
use super::{use_fragment, Store};
use crate::web;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EmbedProps {
    pub editable: bool,
    pub store: Store,
}

#[function_component]
pub fn EmbedView(props: &EmbedProps) -> Html {
    let store = &props.store;
    // The playground link of this state: no `href` (not a link yet) until the browser has
    // compressed the state, a moment after it changes.
    let url = use_fragment(store, true).map(|f| web::share_url(&f));
    let name = store
        .scenario
        .name
        .clone()
        .unwrap_or_else(|| "layerlab".into());
    html! {
        <div class="app embed">
            <header class="embed-top">
                <strong class="scenario-name">{ name }</strong>
                { focus_toggle(store) }
                <a class="open-full" href={url} target="_blank" rel="noopener">{ "Open in playground ↗" }</a>
            </header>
            { notice(store) }
            { summary(store) }
            <div class="embed-grid">
                <Editor readonly={!props.editable} store={store.clone()} />
                <div>
                    { verdict_table(store, true) }
                    { why_panel(store) }
                </div>
            </div>
        </div>
    }
}
