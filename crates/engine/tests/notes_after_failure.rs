//! A step that does not run because an earlier one failed still carries the notes the
//! report shows for it: `COPY --from=<stage>:tag` names an image, not the stage. The
//! executor skips such a step's key inputs (nothing reads them), so this checks that the
//! note survives that shortcut, for both builders.

use layerlab_engine::report::{Builder, Status};
use layerlab_engine::{simulate, Scenario};

fn copy_from_image_note(json: &str, builder: Builder, line: u32) {
    let s = Scenario::from_json(json).expect("scenario");
    let report = simulate(&s);
    let steps = &report.builder(builder).steps;
    let step = steps
        .iter()
        .find(|v| v.line == line)
        .unwrap_or_else(|| panic!("no verdict for line {line}"));
    assert_eq!(
        step.status,
        Status::NotRun,
        "{builder:?} line {line}: {step:?}"
    );
    assert!(
        step.reasons.iter().any(|r| r.code == "from-is-image"
            && r.message
                .contains("--from=builder-base:latest names an image")),
        "{builder:?} line {line}: {:?}",
        step.reasons
    );
}

#[test]
fn classic_after_a_rejected_run_mount() {
    // Classic rejects `RUN --mount` (line 3); line 6 is never built.
    let json = r#"{
      "dockerfile": "FROM alpine:3.19 AS builder-base\nWORKDIR /app\nRUN --mount=type=cache,target=/root/.cache echo hi\n\nFROM alpine:3.19\nCOPY --from=builder-base:latest /app /app\n",
      "context": {},
      "cache": {"source": "local"}
    }"#;
    copy_from_image_note(json, Builder::Classic, 6);
}

#[test]
fn buildkit_after_a_missing_copy_source() {
    // BuildKit fails on the missing COPY source (line 6); line 7 is never built.
    let json = r#"{
      "dockerfile": "FROM alpine:3.19 AS builder-base\nWORKDIR /app\nRUN echo hi > /app/x\n\nFROM alpine:3.19\nCOPY missing.txt /\nCOPY --from=builder-base:latest /app /app\n",
      "context": {},
      "cache": {"source": "local"}
    }"#;
    copy_from_image_note(json, Builder::Buildkit, 7);
}
