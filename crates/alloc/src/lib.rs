//! The native binaries' global allocator.
//!
//! A simulation makes tens of thousands of small, short-lived allocations (strings of
//! explanations, field vectors). The `mimalloc` crate's allocator passes every request through
//! `mi_malloc_aligned`, whose extra layers cost ≈ 30 instructions per call and, in mimalloc
//! v3, fall back to over-allocation whenever the matching small page has no free block.
//! [`Mi`] calls plain `mi_malloc` when mimalloc's own guarantee covers the alignment (every
//! block is at least word-aligned), and the aligned entry points otherwise.

#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;
use libmimalloc_sys as ffi;

/// mimalloc as the global allocator: `#[global_allocator] static A: Mi = Mi;`.
pub struct Mi;

/// The alignment every mimalloc block has: block sizes are multiples of the word.
const WORD: usize = core::mem::size_of::<usize>();

unsafe impl GlobalAlloc for Mi {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            ffi::mi_malloc(layout.size()).cast()
        } else {
            ffi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            ffi::mi_zalloc(layout.size()).cast()
        } else {
            ffi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        ffi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= WORD {
            ffi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            ffi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size and alignment a Rust collection asks for comes back aligned, zeroed when
    /// asked, and keeps its bytes across a reallocation.
    #[test]
    fn allocations_are_aligned_and_keep_their_bytes() {
        let a = Mi;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 8, 15, 16, 24, 48, 100, 1000, 5000, 70_000, 1 << 20] {
                let size = size.max(align);
                let l = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = a.alloc(l);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    for i in 0..size {
                        *p.add(i) = i as u8;
                    }
                    let q = a.realloc(p, l, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc size {size} align {align}");
                    for i in 0..size {
                        assert_eq!(*q.add(i), i as u8);
                    }
                    a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(l);
                    assert_eq!(z as usize % align, 0);
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, l);
                }
            }
        }
    }
}
