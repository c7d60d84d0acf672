//! Worker entry point: answer each request message with one reply message (both JSON strings,
//! see [`layerlab_worker`]). Posts `{"ready":true}` once it listens, because messages sent to a
//! worker before its handler exists are lost.

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let onmessage =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let reply = match ev.data().as_string() {
                Some(text) => layerlab_worker::handle(&text),
                None => layerlab_worker::handle(""),
            };
            let _ = reply_to.post_message(&JsValue::from_str(&reply));
        });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    let _ = scope.post_message(&JsValue::from_str(layerlab_worker::READY));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    // Natively this is a filter, handy for debugging the protocol: one request per line.
    use std::io::BufRead;
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        println!("{}", layerlab_worker::handle(&line));
    }
}
