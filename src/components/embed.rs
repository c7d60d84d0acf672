//! The embed view (`?embed=1`): compact and read-mostly, for iframes in docs and blog posts.
//! The Dockerfile is read-only unless `readonly=0`; a link opens the full playground.

use super::app::{focus_toggle, notice};
use super::editor::Editor;
use super::results::{summary, verdict_table, why_panel};
use super::Store;
use crate::web;
use yew::prelude::*;

/// The embed view of `store`; `fragment`: the state's link fragment once the browser has
/// compressed it (the "open in playground" link has no `href` until then).
pub fn embed_view(store: &Store, editable: bool, fragment: Option<String>) -> Html {
    let url = fragment.map(|f| web::share_url(&f));
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
                <Editor readonly={!editable} store={store.clone()} />
                <div>
                    { verdict_table(store, true) }
                    { why_panel(store) }
                </div>
            </div>
        </div>
    }
}
