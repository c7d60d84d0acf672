//! Advice and export run in a web worker (`crates/worker`), started the first time a panel asks
//! for them: their code (≈90 KB gzip) stays out of the first page load, and advice — which
//! simulates the scenario once per rule and per fix — never blocks typing.
//!
//! The protocol is JSON strings (see `layerlab_worker`); this module owns the one worker of the
//! page, queues requests until it says it is ready, and routes each reply to its callback. The
//! reply types here mirror the engine's `Advice` and `Export` for reading.

use crate::codec::{self, fields, list, opt, or_default, required, string, uint, R};
use layerlab_engine::json::{self, Json, Writer};
use layerlab_engine::Scenario;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The worker's loader (Trunk's `data-loader-shim` for the `layerlab-worker` binary).
pub const WORKER_URL: &str = "./layerlab-worker_loader.js";

/// One piece of advice, as the worker sends it (the engine's `Advice`; other fields are
/// ignored).
#[derive(Clone, Debug, PartialEq)]
pub struct AdviceItem {
    pub rule: String,
    pub title: String,
    /// `high`, `medium` or `low`.
    pub severity: String,
    pub line: Option<u32>,
    pub message: String,
    pub cost: Vec<u32>,
    pub cost_buildkit: Vec<u32>,
    pub cost_classic: Vec<u32>,
    pub fix: String,
    pub equivalent: Option<String>,
    pub rewrite: Option<Scenario>,
}

fn advice_item(v: Json) -> R<AdviceItem> {
    const F: &[&str] = &[
        "rule",
        "title",
        "severity",
        "line",
        "message",
        "cost",
        "cost_buildkit",
        "cost_classic",
        "fix",
        "equivalent",
        "rewrite",
    ];
    let mut f = fields(v, "struct AdviceItem", F, false)?;
    let uints = |v| list(v, uint);
    Ok(AdviceItem {
        rule: required(f.take("rule"), "rule", string)?,
        title: required(f.take("title"), "title", string)?,
        severity: required(f.take("severity"), "severity", string)?,
        line: opt(f.take("line"), uint)?,
        message: required(f.take("message"), "message", string)?,
        cost: or_default(f.take("cost"), uints)?,
        cost_buildkit: or_default(f.take("cost_buildkit"), uints)?,
        cost_classic: or_default(f.take("cost_classic"), uints)?,
        fix: required(f.take("fix"), "fix", string)?,
        equivalent: opt(f.take("equivalent"), string)?,
        rewrite: opt(f.take("rewrite"), codec::scenario)?,
    })
}

/// The generated command and files.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportResult {
    pub buildx_command: String,
    pub files: Vec<(String, String)>,
    pub notes: Vec<String>,
}

fn export_result(v: Json) -> R<ExportResult> {
    const F: &[&str] = &["buildx_command", "files", "notes"];
    let mut f = fields(v, "struct ExportResult", F, false)?;
    Ok(ExportResult {
        buildx_command: required(f.take("buildx_command"), "buildx_command", string)?,
        files: required(f.take("files"), "files", |v| list(v, file_pair))?,
        notes: required(f.take("notes"), "notes", |v| list(v, string))?,
    })
}

/// `["path", "content"]`.
fn file_pair(v: Json) -> R<(String, String)> {
    match v {
        Json::Arr(pair) if pair.len() == 2 => {
            let mut it = pair.into_iter();
            match (it.next(), it.next()) {
                (Some(p), Some(c)) => Ok((string(p)?, string(c)?)),
                _ => Err("expected a tuple of size 2".into()),
            }
        }
        v => Err(codec::invalid(&v, "a tuple of size 2")),
    }
}

/// A value the exporter refuses, with the field it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportRefusal {
    pub field: String,
    pub message: String,
}

fn export_refusal(v: Json) -> R<ExportRefusal> {
    let mut f = fields(v, "struct ExportRefusal", &["field", "message"], false)?;
    Ok(ExportRefusal {
        field: required(f.take("field"), "field", string)?,
        message: required(f.take("message"), "message", string)?,
    })
}

/// A worker reply.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Advice(Vec<AdviceItem>),
    Export(ExportResult),
    ExportRefused(ExportRefusal),
    /// The worker could not be started or could not read the request.
    Failed(String),
}

/// Reads one reply message: `Ok(None)` for the ready signal, `Ok(Some((id, reply)))` otherwise.
pub fn parse_reply(text: &str) -> Result<Option<(Option<u64>, Reply)>, String> {
    read_reply(text).map_err(|e| format!("unreadable worker reply: {e}"))
}

fn read_reply(text: &str) -> R<Option<(Option<u64>, Reply)>> {
    const F: &[&str] = &["id", "ready", "advice", "export", "export_error", "error"];
    let mut f = fields(json::parse(text)?, "a worker reply", F, false)?;
    let id = opt(f.take("id"), |v| {
        v.as_u64().ok_or_else(|| codec::invalid(&v, "u64"))
    })?;
    if or_default(f.take("ready"), codec::boolean)? {
        return Ok(None);
    }
    let reply = if let Some(a) = opt(f.take("advice"), |v| list(v, advice_item))? {
        Reply::Advice(a)
    } else if let Some(x) = opt(f.take("export"), export_result)? {
        Reply::Export(x)
    } else if let Some(r) = opt(f.take("export_error"), export_refusal)? {
        Reply::ExportRefused(r)
    } else {
        let error = opt(f.take("error"), string)?;
        Reply::Failed(error.unwrap_or_else(|| "empty worker reply".into()))
    };
    Ok(Some((id, reply)))
}

/// The request message for a job: `{"id":…,"job":"advise"|"export","scenario":{…}[,"ci":…]}`.
pub fn request_text(id: u64, job: &Job) -> String {
    let (kind, scenario, ci) = match job {
        Job::Advise(s) => ("advise", s, None),
        Job::Export { scenario, ci } => ("export", scenario, Some(ci.as_str())),
    };
    let mut w = Writer::new(false);
    w.open('{');
    w.key("id");
    w.num(id);
    w.key("job");
    w.str(kind);
    w.key("scenario");
    codec::write_scenario(&mut w, scenario);
    codec::key_opt(&mut w, "ci", ci);
    w.close('}');
    w.finish()
}

/// What to ask the worker.
pub enum Job {
    Advise(Scenario),
    Export { scenario: Scenario, ci: String },
}

/// Callbacks waiting for the worker's reply, by request id, oldest first. A few at a time:
/// a vector (a `BTreeMap` here cost ~4 KB of wasm for its node code).
type Pending = Vec<(u64, Box<dyn FnOnce(Reply)>)>;

/// The page's worker: started on first use, shared by every panel.
#[derive(Default)]
pub struct Extras {
    worker: RefCell<Option<web_sys::Worker>>,
    ready: Cell<bool>,
    /// Requests written before the worker said it is ready.
    queue: RefCell<Vec<String>>,
    pending: Rc<RefCell<Pending>>,
    next_id: Cell<u64>,
    failed: RefCell<Option<String>>,
    _handlers: RefCell<Vec<Box<dyn std::any::Any>>>,
}

thread_local! {
    static EXTRAS: Rc<Extras> = Rc::new(Extras::default());
}

/// Runs `job` in the worker and calls `done` with its reply (once).
pub fn run(job: Job, done: impl FnOnce(Reply) + 'static) {
    EXTRAS.with(|x| Extras::run(x, job, Box::new(done)));
}

impl Extras {
    fn run(this: &Rc<Extras>, job: Job, done: Box<dyn FnOnce(Reply)>) {
        if let Some(msg) = this.failed.borrow().clone() {
            done(Reply::Failed(msg));
            return;
        }
        let id = this.next_id.get() + 1;
        this.next_id.set(id);
        this.pending.borrow_mut().push((id, done));
        let text = request_text(id, &job);
        if let Err(msg) = Extras::start(this) {
            Extras::fail_all(this, msg);
            return;
        }
        if this.ready.get() {
            Extras::post(this, &text);
        } else {
            this.queue.borrow_mut().push(text);
        }
    }

    fn post(this: &Rc<Extras>, text: &str) {
        let sent = this
            .worker
            .borrow()
            .as_ref()
            .map(|w| {
                w.post_message(&wasm_bindgen::JsValue::from_str(text))
                    .is_ok()
            })
            .unwrap_or(false);
        if !sent {
            Extras::fail_all(this, "could not send the request to the worker".into());
        }
    }

    fn fail_all(this: &Rc<Extras>, msg: String) {
        *this.failed.borrow_mut() = Some(msg.clone());
        this.queue.borrow_mut().clear();
        let pending = std::mem::take(&mut *this.pending.borrow_mut());
        for (_, done) in pending {
            done(Reply::Failed(msg.clone()));
        }
    }

    /// Starts the worker once.
    fn start(this: &Rc<Extras>) -> Result<(), String> {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        if this.worker.borrow().is_some() {
            return Ok(());
        }
        let worker = web_sys::Worker::new(WORKER_URL).map_err(|e| {
            format!(
                "could not start the advice and export worker ({})",
                e.as_string().unwrap_or_else(|| "blocked".into())
            )
        })?;
        let weak = Rc::downgrade(this);
        let onmessage =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let Some(this) = weak.upgrade() else { return };
                let text = ev.data().as_string().unwrap_or_default();
                match parse_reply(&text) {
                    Ok(None) => {
                        this.ready.set(true);
                        let queued = std::mem::take(&mut *this.queue.borrow_mut());
                        for q in queued {
                            Extras::post(&this, &q);
                        }
                    }
                    Ok(Some((Some(id), reply))) => {
                        let done = {
                            let mut pending = this.pending.borrow_mut();
                            let at = pending.iter().position(|(i, _)| *i == id);
                            at.map(|at| pending.remove(at).1)
                        };
                        if let Some(done) = done {
                            done(reply);
                        }
                    }
                    Ok(Some((None, reply))) => {
                        let msg = match reply {
                            Reply::Failed(m) => m,
                            _ => "worker reply without an id".into(),
                        };
                        Extras::fail_all(&this, msg);
                    }
                    Err(msg) => Extras::fail_all(&this, msg),
                }
            });
        let weak = Rc::downgrade(this);
        let onerror = Closure::<dyn Fn(web_sys::Event)>::new(move |_ev: web_sys::Event| {
            if let Some(this) = weak.upgrade() {
                Extras::fail_all(
                    &this,
                    format!("the advice and export worker failed to load ({WORKER_URL})"),
                );
            }
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        this._handlers.borrow_mut().push(Box::new(onmessage));
        this._handlers.borrow_mut().push(Box::new(onerror));
        *this.worker.borrow_mut() = Some(worker);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_and_routed_by_id() {
        assert_eq!(parse_reply(r#"{"ready":true}"#).unwrap(), None);
        let (id, r) = parse_reply(
            r#"{"id":3,"export":{"buildx_command":"docker buildx build .","files":[["build.sh","x"]],"notes":["n"]}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(id, Some(3));
        assert!(matches!(r, Reply::Export(x) if x.files[0].0 == "build.sh"));
        let (_, r) = parse_reply(r#"{"id":4,"export_error":{"field":"registry","message":"m"}}"#)
            .unwrap()
            .unwrap();
        assert!(matches!(r, Reply::ExportRefused(x) if x.field == "registry"));
        let (id, r) = parse_reply(r#"{"id":null,"error":"too big"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(id, None);
        assert_eq!(r, Reply::Failed("too big".into()));
        assert!(parse_reply("<html>").is_err());
    }

    #[test]
    fn the_app_reads_what_the_worker_writes() {
        // The real worker protocol end to end, natively: request text → handle → reply.
        let mut s = crate::examples::default_scenario();
        let advice = layerlab_worker::handle(&request_text(1, &Job::Advise(s.clone())));
        let (id, r) = parse_reply(&advice).unwrap().unwrap();
        assert_eq!(id, Some(1));
        let Reply::Advice(items) = r else {
            panic!("{advice}")
        };
        assert!(items.iter().any(|a| a.rule == "credential-build-arg"));
        assert!(items.iter().any(|a| a.rewrite.is_some()));
        s.export = Some(layerlab_engine::scenario::ExportParams {
            image: Some("acme/web".into()),
            ..Default::default()
        });
        let out = layerlab_worker::handle(&request_text(
            2,
            &Job::Export {
                scenario: s,
                ci: "gitlab".into(),
            },
        ));
        let (_, r) = parse_reply(&out).unwrap().unwrap();
        let Reply::Export(x) = r else { panic!("{out}") };
        assert!(x.buildx_command.contains("acme/web"));
        assert!(x.files.iter().any(|(p, _)| p == ".gitlab-ci.yml"));
    }
}
