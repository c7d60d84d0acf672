//! The layerlab playground (Yew): a [`layerlab_engine::Scenario`] plus UI state, rendered as an
//! editor, a changes panel and side-by-side results. See `docs/EMBED.md` for the embed mode.
//!
//! Pure modules (unit-tested natively): [`share`] (link codec), [`model`] (state and edits),
//! [`analysis`] (engine calls and facts for the UI), [`codec`] (scenario JSON without serde),
//! [`highlight`], [`costs`], [`examples`].
//! Browser-only: [`web`], [`components`] and [`extras`] (the advice/export web worker).

pub mod analysis;
pub mod codec;
pub mod components;
pub mod costs;
pub mod examples;
pub mod extras;
pub mod highlight;
pub mod model;
pub mod share;
pub mod web;

pub use components::app::App;

/// Mounts the app on `<body>`, once a link's state is decoded (see [`components::app::mount`]).
pub fn start() {
    yew::platform::spawn_local(components::app::mount(None));
}

/// Milliseconds from a monotonic clock (the browser's `performance.now()`; 0 natively, where
/// only tests run).
pub fn clock_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or(0.0)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}
