//! The native schedule of one large simulation on two threads. The result is exactly what
//! the one-thread path ([`super::simulate_both`]) gives: the threads share read-only inputs
//! and memos of pure functions of them, and every result is put together in a fixed order.
//!
//! One scoped thread ("the other") lives for the whole simulation; the calling thread
//! holds the longest chain of work, and hand-overs are channels (a thread that stops, by
//! panic or otherwise, drops its ends, so the other side never waits for ever):
//!
//! | calling thread | other thread |
//! |---|---|
//! | parses both Dockerfiles | resolves both contexts, sends them |
//! | builds both inputs, sends them | |
//! | BuildKit: build A, then B (B looks up A's records) | COPY sources' digests, last first; then the classic builder (both builds, explained) |
//! | explains BuildKit's first half of the steps | explains BuildKit's second half, sends it |
//! | assembles the report, hands both executions back | drops both executions |
//! | drops the inputs | |
//!
//! BuildKit asks for the COPY sources' digests from the first instruction on, the other
//! thread hashes them from the last one on (into the contexts' memos), so that between
//! them each is hashed about once.

use super::build::BuildInput;
use super::context::Context;
use super::exec::Exec;
use super::{align, diagnostics, digest_tasks, execute, explain, run_builder, SimOptions};
use crate::ast::Dockerfile;
use crate::report::{Builder, BuilderReport, Builders, Report, StepVerdict};
use crate::scenario::Scenario;
use crate::share::Shared;
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread::ScopedJoinHandle;

/// Both builds' inputs and how B's instructions align with A's.
struct Inputs {
    a: BuildInput,
    b: BuildInput,
    align: Vec<Option<usize>>,
}

/// Both builds' parsed Dockerfiles, when the caller keeps them.
pub(super) type Parsed = (Shared<Dockerfile>, Shared<Dockerfile>);

/// Simulates `scenario` on this thread and one more: from the scenario (`given` is `None`)
/// or from inputs already resolved (the editor's cache). With `keep_parsed`, also returns
/// both parsed Dockerfiles (else they are dropped with the inputs, on this thread while the
/// other drops the executions). Falls back to one thread when no thread can be started.
pub(super) fn simulate(
    scenario: &Scenario,
    opts: SimOptions,
    given: Option<(BuildInput, BuildInput)>,
    keep_parsed: bool,
) -> (Report, Option<Parsed>) {
    let resolve = given.is_none();
    let bk = Builder::Buildkit;
    let mut given = given;
    let done = std::thread::scope(|s| {
        let (to_caller_contexts, contexts) = channel::<(Context, Context)>();
        let (to_other_inputs, inputs_rx) = channel::<Arc<Inputs>>();
        let (to_other_execs, execs_rx) = channel::<Arc<(Exec, Exec)>>();
        let (to_caller_half, half_rx) = channel::<(BuilderReport, Vec<StepVerdict>)>();
        let (to_other_drop, drop_rx) = channel::<Arc<(Exec, Exec)>>();
        let other = move || {
            if resolve {
                let a = Context::new(
                    &scenario.context,
                    &scenario.dockerfile,
                    scenario.dockerignore.as_deref(),
                );
                let b = BuildInput::context_b(scenario, &a);
                if to_caller_contexts.send((a, b)).is_err() {
                    return;
                }
            }
            let Ok(inputs) = inputs_rx.recv() else { return };
            let (a, b, align) = (&inputs.a, &inputs.b, &inputs.align[..]);
            for (input, src, exclude) in digest_tasks(a, b).into_iter().rev() {
                let _ = input.context.digest(src, exclude);
            }
            let classic = run_builder(Builder::Classic, opts, scenario, a, b, align);
            let Ok(execs) = execs_rx.recv() else { return };
            let n = b.df.instructions.len();
            let (ea, eb) = (&execs.0, &execs.1);
            let second = explain::explain_steps(bk, scenario, a, b, ea, eb, align, n / 2..n);
            drop(execs);
            // The calling thread drops the inputs (this was not the last reference).
            drop(inputs);
            if to_caller_half.send((classic, second)).is_ok() {
                // The last reference to both executions: they are dropped here while
                // the calling thread drops the inputs.
                drop(drop_rx.recv());
            }
        };
        let Ok(handle) = std::thread::Builder::new().spawn_scoped(s, other) else {
            return None;
        };
        let (a, b) = match given.take() {
            Some(ab) => ab,
            None => {
                let text_b = scenario.dockerfile_b();
                let df_a = crate::parse(&scenario.dockerfile);
                let df_b = (text_b != scenario.dockerfile).then(|| crate::parse(text_b));
                let Ok((ctx_a, ctx_b)) = contexts.recv() else {
                    stopped(handle)
                };
                BuildInput::from_parts(scenario, ctx_a, ctx_b, df_a, df_b)
            }
        };
        let diagnostics = diagnostics(scenario, &a, &b);
        let parsed = keep_parsed.then(|| (Shared::clone(&a.df), Shared::clone(&b.df)));
        let align = align(&a.df, &b.df);
        let inputs = Arc::new(Inputs { a, b, align });
        if to_other_inputs.send(Arc::clone(&inputs)).is_err() {
            stopped(handle)
        }
        let (a, b, align) = (&inputs.a, &inputs.b, &inputs.align[..]);
        let (ea, eb, errors) = execute(bk, opts, scenario, a, b, align);
        let execs = Arc::new((ea, eb));
        if to_other_execs.send(Arc::clone(&execs)).is_err() {
            stopped(handle)
        }
        let n = b.df.instructions.len();
        let (ea, eb) = (&execs.0, &execs.1);
        let mut steps = explain::explain_steps(bk, scenario, a, b, ea, eb, align, 0..n / 2);
        let Ok((classic, second)) = half_rx.recv() else {
            stopped(handle)
        };
        steps.extend(second);
        let mut buildkit = explain::report(bk, steps, eb);
        buildkit.errors = errors;
        let _ = to_other_drop.send(execs);
        drop(inputs);
        if let Err(e) = handle.join() {
            std::panic::resume_unwind(e)
        }
        let builders = Builders { classic, buildkit };
        Some((
            Report {
                builders,
                diagnostics,
            },
            parsed,
        ))
    });
    match done {
        Some(done) => done,
        // No thread could be started: all of it here.
        None => {
            let (a, b) = given.unwrap_or_else(|| {
                let a = BuildInput::a(scenario);
                let b = BuildInput::b_from(scenario, &a);
                (a, b)
            });
            let s = super::simulate_serial(scenario, opts, a, b);
            (s.report, keep_parsed.then_some((s.df_a, s.df_b)))
        }
    }
}

/// The other thread stopped before it sent what this one waits for: its panic is passed on.
fn stopped(handle: ScopedJoinHandle<'_, ()>) -> ! {
    match handle.join() {
        Err(e) => std::panic::resume_unwind(e),
        Ok(()) => unreachable!("the other thread stops early only when this one has"),
    }
}
