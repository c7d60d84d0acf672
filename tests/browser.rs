//! Component tests in headless Chromium (scripts/test.sh runs them with wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;
wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn share_codec_round_trips_in_the_browser() {
    let st = layerlab_app::share::SharedState::new(
        layerlab_engine::Scenario {
            dockerfile: "FROM alpine\n".into(),
            ..Default::default()
        },
        Default::default(),
    );
    let frag = layerlab_app::share::encode(&st);
    assert_eq!(layerlab_app::share::decode(&frag).unwrap(), st);
}
