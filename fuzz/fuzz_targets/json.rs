//! Differential: the engine's small JSON reader (which the playground uses instead of serde)
//! must accept exactly what `serde_json` accepts, read the same value, and its writer must
//! produce text that reads back to the same value. Numbers are compared as `serde_json`
//! reads them (u64, i64, then f64).
#![no_main]

use layerlab_engine::json::{self, Json};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn same(a: &Json, b: &Value) -> bool {
    match (a, b) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(x), Value::Bool(y)) => x == y,
        (Json::Str(x), Value::String(y)) => x == y,
        (Json::Num(n), Value::Number(m)) => match serde_json::from_str::<Value>(n) {
            Ok(Value::Number(k)) => k == *m,
            _ => false,
        },
        (Json::Arr(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Json::Obj(fields), Value::Object(map)) => {
            // serde_json keeps the last of repeated keys; `Json::get` does too.
            let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.len() == map.len()
                && keys
                    .iter()
                    .all(|k| map.get(*k).is_some_and(|v| same(a.get(k).unwrap(), v)))
        }
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = json::parse(text);
    let theirs = serde_json::from_str::<Value>(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert!(same(a, b), "different values for {text:?}");
            let back = json::parse(&a.to_text()).expect("our writer's text reads back");
            assert!(same(&back, b), "writer round trip differs for {text:?}");
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("accepted what serde_json refuses ({e}): {text:?}"),
        (Err(e), Ok(_)) => panic!("refused what serde_json accepts ({e}): {text:?}"),
    }
});
