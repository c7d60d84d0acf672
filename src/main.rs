//! The layerlab playground (Yew). Stub until the app lands.
fn main() {}
