//! Shared ownership that is thread-safe natively and single-threaded in wasm.
//!
//! Natively, for large inputs, the simulator parses the Dockerfiles while it resolves the
//! contexts, and simulates the classic builder while it simulates BuildKit (then explains
//! BuildKit's verdicts in two halves), each pair on two threads ([`crate::sim`]): what both
//! read must be `Sync` and what a thread hands back `Send`.
//! In `wasm32-unknown-unknown` there are no threads, and `Rc`/`RefCell` keep the bundle as
//! it was. The results are the same either way: the threads share only read-only inputs
//! and a memo of pure functions of them.

/// A reference-counted pointer: `Arc` natively, `Rc` in wasm.
#[cfg(not(target_arch = "wasm32"))]
pub type Shared<T> = std::sync::Arc<T>;
/// A reference-counted pointer: `Arc` natively, `Rc` in wasm.
#[cfg(target_arch = "wasm32")]
pub type Shared<T> = std::rc::Rc<T>;

/// A value behind a lock natively (a `Mutex`), a `RefCell` in wasm: reached only through
/// [`Memo::with`], which holds it for one closure call.
#[derive(Debug, Default)]
pub(crate) struct Memo<T> {
    #[cfg(not(target_arch = "wasm32"))]
    cell: std::sync::Mutex<T>,
    #[cfg(target_arch = "wasm32")]
    cell: std::cell::RefCell<T>,
}

impl<T> Memo<T> {
    pub(crate) fn new(value: T) -> Memo<T> {
        Memo { cell: value.into() }
    }

    /// Runs `f` on the value. `f` must not reach the same memo again.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        #[cfg(not(target_arch = "wasm32"))]
        {
            // A panic while the lock was held leaves a memo whose entries are each
            // complete (inserts are single calls): keep using it.
            let mut guard = self
                .cell
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        }
        #[cfg(target_arch = "wasm32")]
        {
            f(&mut self.cell.borrow_mut())
        }
    }
}

/// Whether this build can run work on a second thread (natively; not in wasm).
pub(crate) const THREADS: bool = cfg!(not(target_arch = "wasm32"));

/// Runs `a` and `b` and returns both results, which are what calling them in turn gives.
/// Natively, when `parallel` is set (the work is large enough to pay for a thread, tens of
/// microseconds), `a` runs on a new thread while `b` runs on this one; otherwise one after
/// the other.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn join<A, B, RA, RB>(parallel: bool, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB,
    RA: Send,
{
    if !parallel {
        let ra = a();
        return (ra, b());
    }
    // `a` waits in a slot so that, if no thread can be started, it still runs here.
    let slot = std::sync::Mutex::new(Some(a));
    let take = || {
        slot.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    };
    std::thread::scope(|s| {
        let spawned = std::thread::Builder::new().spawn_scoped(s, || take().map(|a| a()));
        let rb = b();
        let ra = match spawned {
            Ok(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
            Err(_) => None,
        };
        // `None`: no thread started, so `a` is still in the slot.
        let ra = ra.unwrap_or_else(|| take().map(|a| a()).expect("`a` runs exactly once"));
        (ra, rb)
    })
}

/// In wasm: `a`, then `b` (no threads).
#[cfg(target_arch = "wasm32")]
pub(crate) fn join<RA, RB>(
    _parallel: bool,
    a: impl FnOnce() -> RA,
    b: impl FnOnce() -> RB,
) -> (RA, RB) {
    let ra = a();
    (ra, b())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_gives_both_results_in_order() {
        for parallel in [false, true] {
            let (a, b) = join(parallel, || vec![1, 2], || "b".to_string());
            assert_eq!((a, b.as_str()), (vec![1, 2], "b"));
        }
    }

    #[test]
    fn join_runs_the_first_on_another_thread_only_when_parallel() {
        let here = std::thread::current().id();
        let (ta, tb) = join(
            true,
            || std::thread::current().id(),
            || std::thread::current().id(),
        );
        assert_ne!(ta, here);
        assert_eq!(tb, here);
        let (ta, _) = join(false, || std::thread::current().id(), || ());
        assert_eq!(ta, here);
    }

    #[test]
    fn a_panic_on_the_thread_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| join(true, || panic!("in a"), || 1));
        assert!(r.is_err());
    }

    #[test]
    fn memo_keeps_what_was_written() {
        let m = Memo::new(Vec::new());
        m.with(|v| v.push(3));
        m.with(|v| v.push(4));
        assert_eq!(m.with(|v| v.clone()), vec![3, 4]);
    }
}
