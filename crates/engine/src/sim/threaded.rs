//! The native schedule of one large simulation on two threads. The result is exactly what
//! the one-thread path ([`super::simulate_serial`]) gives: the threads share read-only
//! inputs and memos of pure functions of them, every result is put together in a fixed
//! order, and a build B run early is checked against the records build A's whole run gives
//! (and run again if they disagree).
//!
//! One scoped thread ("the other") lives for the whole simulation. Hand-overs are channels:
//! a thread that stops, by panic or otherwise, drops its ends, so the other side never
//! waits for ever. When build B's cache is build A's whole build (`local` cache, or a
//! `mode=max` export on a builder that can export it: [`overlap_builds`]), BuildKit's two
//! builds overlap:
//!
//! | calling thread | other thread |
//! |---|---|
//! | parses both Dockerfiles | resolves build A's context, sends it |
//! | builds A's input, sends it; derives B's context, builds B's input, sends it | |
//! | BuildKit build B, each stage once build A has built as many (waiting, it hashes COPY sources, last first) | BuildKit build A (hashing COPY sources first first), sending each stage's records |
//! | checks B's lookups against A's records | the classic builder (both builds, explained) |
//! | explains ranges of BuildKit's verdicts | explains the ranges left, if any |
//! | assembles the report, hands both executions back, drops the inputs | drops both executions |
//!
//! Otherwise (B's records are a part of A's that only A's whole build tells) the calling
//! thread runs BuildKit's build A then B, while the other thread hashes the COPY sources
//! (last first: BuildKit asks for them first first) and runs the classic builder. Either
//! thread takes the next range of BuildKit's verdicts to explain when it is free.

use super::build::BuildInput;
use super::context::Context;
use super::exec::{Exec, Kind, RecordLookup, Records, Step};
use super::hash::{FxHashMap, Id};
use super::{align, diagnostics, digest_tasks, execute, explain, records_for, run_a, run_b};
use super::{run_builder, SimOptions};
use crate::ast::Dockerfile;
use crate::report::{Builder, BuilderReport, Builders, Report, StepVerdict};
use crate::scenario::{BuilderSetup, CacheSource, RerunOutput, Scenario};
use crate::share::Shared;
use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, TryRecvError};
use std::sync::Arc;
use std::thread::ScopedJoinHandle;

/// Build B's input and how its instructions align with build A's.
struct InputB {
    b: BuildInput,
    align: Vec<Option<usize>>,
}

/// Both builds' parsed Dockerfiles, when the caller keeps them.
pub(super) type Parsed = (Shared<Dockerfile>, Shared<Dockerfile>);

/// Whether BuildKit's build B may run while build A runs: its records are all of A's
/// (so what A has built so far is a part of them), and no RUN is declared to re-run with
/// A's output (that needs A's result). Either way the result is exact: this only says
/// when overlapping is likely to pay.
pub(super) fn overlap_builds(scenario: &Scenario) -> bool {
    let all_of_a = match scenario.cache.source {
        CacheSource::Local => true,
        CacheSource::ExportMax => scenario.builder_setup == BuilderSetup::Container,
        _ => false,
    };
    all_of_a
        && !scenario
            .rerun_output
            .values()
            .any(|r| *r == RerunOutput::Identical)
}

/// The records a stage of build A adds when build B's cache is A's whole build: key →
/// output of each step that ran without error (as [`super::records_for`] takes them).
fn records_of(steps: &[Step]) -> Vec<(Id, Id)> {
    steps
        .iter()
        .filter(|s| matches!(s.kind, Kind::Step | Kind::From) && s.error.is_none())
        .map(|s| (s.key, s.output))
        .collect()
}

/// A key looked up and what it was told: the output, and whether the record is key-only.
type Answer = (Id, Option<(Id, bool)>);

/// Build A's records as build A makes them, one stage at a time, for a build B that runs
/// at the same time: before B runs the n-th stage of its order, A has built n + 1 stages
/// of its own (or all). While B waits, it hashes COPY sources for A (`idle`, taken from
/// the last: A hashes from the first). Every answer is kept, to be checked against the
/// records of A's whole build.
struct Growing<'i> {
    stages_of_a: Receiver<Vec<(Id, Id)>>,
    map: RefCell<FxHashMap<Id, Id>>,
    received: Cell<usize>,
    a_done: Cell<bool>,
    answers: RefCell<Vec<Answer>>,
    idle: RefCell<Vec<DigestTask<'i>>>,
}

/// A context source whose digest either build may ask for ([`digest_tasks`]).
type DigestTask<'i> = (&'i BuildInput, &'i str, &'i [String]);

impl<'i> Growing<'i> {
    fn new(stages_of_a: Receiver<Vec<(Id, Id)>>, idle: Vec<DigestTask<'i>>) -> Growing<'i> {
        Growing {
            stages_of_a,
            map: RefCell::default(),
            received: Cell::new(0),
            a_done: Cell::new(false),
            answers: RefCell::default(),
            idle: RefCell::new(idle),
        }
    }

    /// Whether every answer given is the one `records` gives.
    fn agrees_with(&self, records: &Records) -> bool {
        self.answers
            .borrow()
            .iter()
            .all(|&(key, answer)| records.get(key) == answer)
    }
}

impl RecordLookup for Growing<'_> {
    fn before_stage(&self, nth: usize) {
        while !self.a_done.get() && self.received.get() <= nth {
            let next = match self.stages_of_a.try_recv() {
                Err(TryRecvError::Empty) => {
                    let task = self.idle.borrow_mut().pop();
                    match task {
                        Some((input, src, exclude)) => {
                            let _ = input.context.digest(src, exclude);
                            continue;
                        }
                        None => self.stages_of_a.recv().map_err(|_| ()),
                    }
                }
                next => next.map_err(|_| ()),
            };
            match next {
                Ok(records) => {
                    self.map.borrow_mut().extend(records);
                    self.received.set(self.received.get() + 1);
                }
                Err(()) => self.a_done.set(true),
            }
        }
    }

    fn get(&self, key: Id) -> Option<(Id, bool)> {
        let answer = self.map.borrow().get(&key).map(|o| (*o, false));
        self.answers.borrow_mut().push((key, answer));
        answer
    }
}

/// BuildKit's verdicts of a range of build B's instructions, with the range's place.
type Explained = (usize, Vec<StepVerdict>);

/// Build B's instructions in ranges that either thread takes when it is free to explain
/// them (the verdict of an instruction depends only on the two builds, so ranges can be
/// explained apart and put back in order).
struct Chunks {
    next: AtomicUsize,
}

impl Chunks {
    /// About this many ranges: few enough that what an explanation remembers per stage is
    /// built again only a few times, enough that one thread can take over the other's rest.
    const RANGES: usize = 16;

    /// Explains ranges of build B's `len` instructions with `f` until none is left.
    fn explain(&self, len: usize, f: impl Fn(Range<usize>) -> Vec<StepVerdict>) -> Vec<Explained> {
        let size = len.div_ceil(Self::RANGES).max(64);
        let mut out = Vec::new();
        loop {
            let nth = self.next.fetch_add(1, Ordering::Relaxed);
            let start = nth.saturating_mul(size);
            if start >= len {
                return out;
            }
            out.push((nth, f(start..(start + size).min(len))));
        }
    }
}

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
    let overlap = overlap_builds(scenario);
    let bk = Builder::Buildkit;
    let mut given = given;
    let chunks = Chunks {
        next: AtomicUsize::new(0),
    };
    let done = std::thread::scope(|s| {
        let (to_caller_context, context_a) = channel::<Context>();
        let (to_other_a, input_a) = channel::<Arc<BuildInput>>();
        let (to_other_b, input_b) = channel::<Arc<InputB>>();
        let (to_b, stages_of_a) = channel::<Vec<(Id, Id)>>();
        let (to_caller_a, exec_a_rx) = channel::<Exec>();
        let (to_other_execs, execs_rx) = channel::<Arc<(Exec, Exec)>>();
        let (to_caller_rest, rest_rx) = channel::<(BuilderReport, Vec<Explained>)>();
        let chunks = &chunks;
        let (to_other_drop, drop_rx) = channel::<Arc<(Exec, Exec)>>();
        let other = move || {
            if resolve {
                let a = Context::new(
                    &scenario.context,
                    &scenario.dockerfile,
                    scenario.dockerignore.as_deref(),
                );
                if to_caller_context.send(a).is_err() {
                    return;
                }
            }
            let Ok(input_a) = input_a.recv() else { return };
            let a = &*input_a;
            if overlap {
                let publish = |steps: &[Step]| {
                    let _ = to_b.send(records_of(steps));
                };
                let exec_a = run_a(bk, opts, scenario, a, Some(&publish));
                // Build B learns that A is done.
                drop(to_b);
                if to_caller_a.send(exec_a).is_err() {
                    return;
                }
            } else {
                drop(to_b);
            }
            let Ok(input_b) = input_b.recv() else { return };
            let (b, align) = (&input_b.b, &input_b.align[..]);
            if !overlap {
                for (input, src, exclude) in digest_tasks(a, b).into_iter().rev() {
                    let _ = input.context.digest(src, exclude);
                }
            }
            let classic = run_builder(Builder::Classic, opts, scenario, a, b, align);
            let Ok(execs) = execs_rx.recv() else { return };
            let (ea, eb) = (&execs.0, &execs.1);
            let explained = chunks.explain(b.df.instructions.len(), |r| {
                explain::explain_steps(bk, scenario, a, b, ea, eb, align, r)
            });
            drop(execs);
            // The calling thread drops the inputs (these were not the last references).
            drop((input_a, input_b));
            if to_caller_rest.send((classic, explained)).is_ok() {
                // The last reference to both executions: they are dropped here while
                // the calling thread drops the inputs.
                drop(drop_rx.recv());
            }
        };
        let Ok(handle) = std::thread::Builder::new().spawn_scoped(s, other) else {
            return None;
        };
        // Build A's input goes to the other thread as soon as it exists (build A starts
        // there), then build B's.
        let (input_a, b) = match given.take() {
            Some((a, b)) => {
                let a = Arc::new(a);
                if to_other_a.send(Arc::clone(&a)).is_err() {
                    stopped(handle)
                }
                (a, b)
            }
            None => {
                let text_b = scenario.dockerfile_b();
                let df_a = crate::parse(&scenario.dockerfile);
                let mut df_b = (text_b != scenario.dockerfile).then(|| crate::parse(text_b));
                let Ok(ctx_a) = context_a.recv() else {
                    stopped(handle)
                };
                let a = Arc::new(BuildInput::a_with_parsed(
                    scenario,
                    Shared::new(ctx_a),
                    Shared::new(df_a),
                ));
                if to_other_a.send(Arc::clone(&a)).is_err() {
                    stopped(handle)
                }
                // B's Dockerfile is parsed already (or is A's).
                let b = BuildInput::b_from_with(scenario, &a, &mut |t| {
                    df_b.take().unwrap_or_else(|| crate::parse(t))
                });
                (a, b)
            }
        };
        let a = &*input_a;
        let diagnostics = diagnostics(scenario, a, &b);
        let parsed = keep_parsed.then(|| (Shared::clone(&a.df), Shared::clone(&b.df)));
        let align = align(&a.df, &b.df);
        let input_b = Arc::new(InputB { b, align });
        if to_other_b.send(Arc::clone(&input_b)).is_err() {
            stopped(handle)
        }
        let (b, align) = (&input_b.b, &input_b.align[..]);
        let (ea, eb, errors) = if overlap {
            let growing = Growing::new(stages_of_a, digest_tasks(a, b));
            let eb = run_b(bk, opts, scenario, b, &growing, None);
            let Ok(ea) = exec_a_rx.recv() else {
                stopped(handle)
            };
            let (records, mut errors) = records_for(bk, scenario, a, &ea);
            let eb = if growing.agrees_with(&records) {
                eb
            } else {
                run_b(bk, opts, scenario, b, &records, Some((&ea, align)))
            };
            errors.extend(eb.errors.iter().cloned());
            (ea, eb, errors)
        } else {
            drop(stages_of_a);
            execute(bk, opts, scenario, a, b, align)
        };
        let execs = Arc::new((ea, eb));
        if to_other_execs.send(Arc::clone(&execs)).is_err() {
            stopped(handle)
        }
        let (ea, eb) = (&execs.0, &execs.1);
        let mut explained = chunks.explain(b.df.instructions.len(), |r| {
            explain::explain_steps(bk, scenario, a, b, ea, eb, align, r)
        });
        let Ok((classic, theirs)) = rest_rx.recv() else {
            stopped(handle)
        };
        explained.extend(theirs);
        explained.sort_unstable_by_key(|(nth, _)| *nth);
        let steps = explained.into_iter().flat_map(|(_, steps)| steps).collect();
        let mut buildkit = explain::report(bk, steps, eb);
        buildkit.errors = errors;
        let _ = to_other_drop.send(execs);
        drop((input_a, input_b));
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
