//! Shared ownership that is thread-safe natively and single-threaded in wasm.
//!
//! Natively, for large inputs, the simulator runs on two threads (`sim/threaded.rs`): what
//! both read must be `Sync` and what one hands to the other `Send`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_keeps_what_was_written() {
        let m = Memo::new(Vec::new());
        m.with(|v| v.push(3));
        m.with(|v| v.push(4));
        assert_eq!(m.with(|v| v.clone()), vec![3, 4]);
    }
}
