//! Parse arbitrary text as a Dockerfile and dump it: must never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let df = layerlab_engine::parse(&text);
    let dump = layerlab_engine::dump::dump(&df);
    // The dump is one line per top-level node.
    assert_eq!(
        dump.lines().count(),
        df.nodes.len(),
        "dump/node count mismatch"
    );
    for d in &df.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "bad span {d:?}"
        );
    }
});
