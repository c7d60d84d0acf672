//! The playground's share-link decoder (untrusted URL fragments): must never panic or hang;
//! whatever it accepts re-encodes to a link that decodes to the same state.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Raw fragments, and the same bytes behind each known prefix.
    for frag in [
        text.to_string(),
        format!("v1:{text}"),
        format!("json:{text}"),
    ] {
        if let Ok(state) = layerlab_app::share::decode_now(&frag) {
            let again = layerlab_app::share::encode_now(&state);
            let back = layerlab_app::share::decode_now(&again).expect("re-encoded link decodes");
            assert_eq!(back, state, "decode(encode(s)) == s");
        }
    }
});
