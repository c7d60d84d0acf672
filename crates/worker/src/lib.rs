//! The worker protocol: one JSON request in, one JSON reply out. Pure (no web types), so it is
//! tested natively; `main.rs` only moves strings between the worker's message port and
//! [`handle`].
//!
//! Requests: `{"id": N, "job": "advise", "scenario": {…}}` or
//! `{"id": N, "job": "export", "scenario": {…}, "ci": "github"}`.
//! Replies carry the same `id` and one of `advice` (the engine's advice list), `export` (the
//! command, files and notes), `export_error` (`{field, message}`: a value that cannot be
//! represented) or `error` (a request that could not be read).

use layerlab_engine::export::{export, Ci, ExportOptions};
use layerlab_engine::Scenario;
use serde::Deserialize;
use serde_json::json;
use std::str::FromStr;

/// The first message a started worker posts.
pub const READY: &str = r#"{"ready":true}"#;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    id: u64,
    job: String,
    scenario: Scenario,
    #[serde(default)]
    ci: Option<String>,
}

/// Answers one request.
pub fn handle(text: &str) -> String {
    // Bound the work before parsing: the scenario's own limit, plus room for the envelope.
    if text.len() > layerlab_engine::syntax::MAX_INPUT_BYTES * 4 + 1024 {
        return json!({"id": null, "error": "request is larger than 4 MiB"}).to_string();
    }
    let req: Request = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            // Keep the id when the envelope is readable, so the caller can route the error.
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_u64()));
            return json!({"id": id, "error": format!("unreadable request: {e}")}).to_string();
        }
    };
    match req.job.as_str() {
        "advise" => {
            let advice = layerlab_engine::advice::advise(&req.scenario);
            json!({"id": req.id, "advice": advice}).to_string()
        }
        "export" => {
            let ci = match Ci::from_str(req.ci.as_deref().unwrap_or("github")) {
                Ok(ci) => ci,
                Err(e) => return json!({"id": req.id, "export_error": e}).to_string(),
            };
            let df = layerlab_engine::parse(&req.scenario.dockerfile);
            let options = ExportOptions::from_scenario(&req.scenario);
            match export(&df, &req.scenario, &options, ci) {
                Ok(x) => json!({"id": req.id, "export": x}).to_string(),
                Err(e) => json!({"id": req.id, "export_error": e}).to_string(),
            }
        }
        other => json!({"id": req.id, "error": format!("unknown job {other:?}")}).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn reply(req: Value) -> Value {
        serde_json::from_str(&handle(&req.to_string())).unwrap()
    }

    fn pip_scenario() -> Value {
        json!({
            "dockerfile": "FROM python:3.12-slim\nARG PIP_INDEX_URL\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --index-url \"$PIP_INDEX_URL\" -r requirements.txt\nCOPY . .\n",
            "context": {"requirements.txt": "flask\n", "app.py": "print(1)\n"},
            "args": {"PIP_INDEX_URL": "https://u:t1@pypi.example/simple"},
            "change": {"args": {"PIP_INDEX_URL": "https://u:t2@pypi.example/simple"}}
        })
    }

    #[test]
    fn advise_returns_the_engines_advice_with_the_request_id() {
        let r = reply(json!({"id": 7, "job": "advise", "scenario": pip_scenario()}));
        assert_eq!(r["id"], 7);
        let rules: Vec<&str> = r["advice"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"credential-build-arg"), "{rules:?}");
        // A mechanical fix travels with its rewritten scenario.
        let fix = r["advice"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == "credential-build-arg")
            .unwrap();
        assert!(fix["rewrite"]["dockerfile"]
            .as_str()
            .unwrap()
            .contains("--mount=type=secret"));
    }

    #[test]
    fn export_generates_for_the_named_ci_or_names_the_bad_field() {
        let r = reply(json!({"id": 1, "job": "export", "scenario": pip_scenario(), "ci": "azure"}));
        assert_eq!(r["id"], 1);
        let files = r["export"]["files"].as_array().unwrap();
        assert!(
            files.iter().any(|f| f[0] == "azure-pipelines.yml"),
            "{files:?}"
        );
        assert!(r["export"]["buildx_command"]
            .as_str()
            .unwrap()
            .contains("docker buildx build"));

        let mut s = pip_scenario();
        s["export"] = json!({"registry": "ghcr.io/a,b"});
        let r = reply(json!({"id": 2, "job": "export", "scenario": s}));
        assert_eq!(r["export_error"]["field"], "registry");

        let r =
            reply(json!({"id": 3, "job": "export", "scenario": pip_scenario(), "ci": "teamcity"}));
        assert_eq!(r["export_error"]["field"], "ci");
    }

    #[test]
    fn bad_requests_get_an_error_never_a_panic() {
        for bad in [
            "",
            "null",
            "{",
            r#"{"id": 4}"#,
            r#"{"id": 5, "job": "advise", "scenario": {"dockerfile": 3}}"#,
            r#"{"id": 6, "job": "launch", "scenario": {"dockerfile": ""}}"#,
            r#"{"id": 6, "job": "advise", "scenario": {"dockerfile": ""}, "extra": 1}"#,
        ] {
            let r: Value = serde_json::from_str(&handle(bad)).unwrap();
            assert!(r["error"].is_string(), "{bad}: {r}");
        }
        let r: Value = serde_json::from_str(&handle(r#"{"id": 5, "job": "advise"}"#)).unwrap();
        assert_eq!(r["id"], 5, "the id survives an unreadable body");
        let huge = "x".repeat(layerlab_engine::syntax::MAX_INPUT_BYTES * 4 + 2048);
        let r: Value = serde_json::from_str(&handle(&huge)).unwrap();
        assert!(r["error"].as_str().unwrap().contains("4 MiB"));
    }
}
