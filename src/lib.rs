//! The layerlab playground (Yew). See `docs/EMBED.md` for the embed protocol.
pub mod costs;
pub mod share;

use yew::prelude::*;

#[function_component]
pub fn App() -> Html {
    let df = layerlab_engine::parse("FROM alpine\nRUN echo hi\n");
    html! { <main><h1>{ "layerlab" }</h1><p>{ format!("{} instructions", df.instructions.len()) }</p></main> }
}

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
