//! The share popover: link (with its length), Markdown, iframe snippet and scenario JSON, each
//! with a copy button and "Copied!" feedback.

use super::{aria_bool, fixed, use_fragment, with_class, StoreProps};
use crate::share::LONG_LINK_CHARS;
use crate::web;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The iframe snippet for a playground state.
pub fn iframe_snippet(embed_url: &str, title: &str) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"520\" loading=\"lazy\" style=\"border:0\"></iframe>",
        html_attr(embed_url),
        html_attr(title)
    )
}

fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

#[function_component]
pub fn SharePanel(p: &StoreProps) -> Html {
    let store = p.store.clone();
    let open = use_state_eq(|| false);
    let copied = use_state_eq(|| None::<&'static str>);
    let toggle = {
        let open = open.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            open.set(!*open);
            copied.set(None);
        })
    };
    let fragment = use_fragment(&store, *open);
    let body = if let (true, Some(fragment)) = (*open, &fragment) {
        let url = web::share_url(fragment);
        let embed = web::embed_url(fragment);
        let title = store
            .scenario
            .name
            .clone()
            .map(|n| format!("layerlab: {n}"))
            .unwrap_or_else(|| "layerlab scenario".into());
        let markdown = format!("[{title}]({url})");
        let iframe = iframe_snippet(&embed, &title);
        let json = crate::codec::scenario_json_pretty(&store.scenario);
        let item = |key: &'static str, label: &str, value: String, multiline: bool, extra: Html| {
            let onclick = {
                let copied = copied.clone();
                let value = value.clone();
                Callback::from(move |e: MouseEvent| {
                    if !web::copy_text(&value) {
                        // No clipboard API (e.g. an iframe without permission): select the text.
                        if let Some(field) = e
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .and_then(|b| b.parent_element())
                            .and_then(|p| p.query_selector(".share-value").ok().flatten())
                        {
                            if let Some(i) = field.dyn_ref::<web_sys::HtmlInputElement>() {
                                i.select();
                            } else if let Some(t) = field.dyn_ref::<web_sys::HtmlTextAreaElement>()
                            {
                                t.select();
                            }
                        }
                    }
                    copied.set(Some(key));
                })
            };
            let id = format!("share-{key}");
            html! {
                <div class="share-item">
                    <label for={id.clone()}>{ label.to_string() }</label>
                    if multiline {
                        <textarea id={id} class="share-value mono" rows="4" readonly=true value={value} />
                    } else {
                        <input id={id} class="share-value mono" type="text" readonly=true value={value} />
                    }
                    <button type="button" {onclick}>{ "Copy" }</button>
                    if *copied == Some(key) { { fixed(r#"<span class="copied" role="status">Copied!</span>"#) } }
                    { extra }
                </div>
            }
        };
        let len = url.len();
        let length_note = html! {
            <p>
                { format!("{len} characters") }
                if len > LONG_LINK_CHARS { { format!(" — longer than {LONG_LINK_CHARS}; some chat tools cut such links") } }
            </p>
        };
        let length_note = with_class(
            length_note,
            if len > LONG_LINK_CHARS {
                "link-len warn"
            } else {
                "link-len"
            },
        );
        html! {
            <div class="share-pop" role="dialog" aria-label="Share">
                { fixed(r#"<p class="muted">The whole scenario is in the link itself (nothing is uploaded).</p>"#) }
                { item("link", "Link", url, false, length_note) }
                { item("md", "Markdown", markdown, false, Html::default()) }
                { item("iframe", "Embed (iframe)", iframe, true, fixed(r#"<p class="muted">See docs/EMBED.md for auto-height and postMessage.</p>"#)) }
                { item("json", "Scenario JSON (for the CLI)", json, true, Html::default()) }
            </div>
        }
    } else {
        Html::default()
    };
    html! {
        <div class="share">
            <button type="button" class="primary" aria-expanded={aria_bool(*open)} onclick={toggle}>{ "Share" }</button>
            { body }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iframe_snippet_escapes_attributes() {
        let s = iframe_snippet("https://x/?embed=1#v1:ab", "a \"q\" <b>");
        assert!(s.starts_with("<iframe src=\"https://x/?embed=1#v1:ab\""));
        assert!(s.contains("title=\"a &quot;q&quot; &lt;b>\""));
    }
}
