//! passgate: an owned Argon2 memory backed by transparent huge pages where the OS offers them.
//!
//! Every reference-block access is a random 1 KiB of the memory; with 4 KiB pages a 19 MiB
//! memory needs about 4,900 TLB entries, more than a core's second-level TLB holds, so most
//! accesses also walk the page table. With 2 MiB pages it needs ten. On passgate's build
//! machine that made a hash 5–9% faster (see README.md). The memory is an anonymous mapping
//! aligned to 2 MiB and marked `MADV_HUGEPAGE` before it is first touched, so the kernel backs
//! it with huge pages as it faults it in (with `transparent_hugepage` set to `madvise` or
//! `always`; with `never`, or when no huge page is free, it simply gets ordinary pages).
//! Elsewhere, or if the mapping fails, it is an ordinary `Vec`.

use crate::Block;
use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};

/// Memory for [`crate::Argon2::hash_password_into_with_memory`], allocated once and reused.
pub struct BlockMemory {
    inner: Inner,
}

enum Inner {
    #[cfg(target_os = "linux")]
    Mapped(huge::Mapping),
    Heap(Vec<Block>),
}

impl BlockMemory {
    /// Zeroed memory of `blocks` blocks, on huge pages if the OS offers them. Every page is
    /// touched here, as a `vec!` of blocks would be, so the memory is resident from the start
    /// and the first hash pays no page faults.
    pub fn new(blocks: usize) -> Self {
        #[cfg(target_os = "linux")]
        if let Some(mut mapping) = huge::Mapping::new(blocks) {
            // One write per 4 KiB page (four blocks) faults the whole memory in.
            for block in mapping.blocks_mut().iter_mut().step_by(4) {
                block.as_mut()[0] = 0;
            }
            return BlockMemory {
                inner: Inner::Mapped(mapping),
            };
        }
        Self::on_heap(blocks)
    }

    /// Zeroed memory of `blocks` blocks on the ordinary heap.
    pub fn on_heap(blocks: usize) -> Self {
        BlockMemory {
            inner: Inner::Heap(alloc::vec![Block::default(); blocks]),
        }
    }

    /// Whether the memory was marked for huge pages (the kernel accepted `MADV_HUGEPAGE`).
    /// Whether it is actually backed by them is the kernel's decision at each fault.
    pub fn huge_pages_requested(&self) -> bool {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Mapped(mapping) => mapping.huge,
            Inner::Heap(_) => false,
        }
    }
}

impl Deref for BlockMemory {
    type Target = [Block];

    fn deref(&self) -> &[Block] {
        match &self.inner {
            #[cfg(target_os = "linux")]
            Inner::Mapped(mapping) => mapping.blocks(),
            Inner::Heap(blocks) => blocks,
        }
    }
}

impl DerefMut for BlockMemory {
    fn deref_mut(&mut self) -> &mut [Block] {
        match &mut self.inner {
            #[cfg(target_os = "linux")]
            Inner::Mapped(mapping) => mapping.blocks_mut(),
            Inner::Heap(blocks) => blocks,
        }
    }
}

impl AsMut<[Block]> for BlockMemory {
    fn as_mut(&mut self) -> &mut [Block] {
        self
    }
}

impl core::fmt::Debug for BlockMemory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BlockMemory")
            .field("blocks", &self.len())
            .field("huge_pages_requested", &self.huge_pages_requested())
            .finish()
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // passgate: the one module of the fork that maps memory itself.
mod huge {
    use crate::Block;
    use core::ptr::NonNull;

    /// The huge page size the mapping is aligned to (x86_64 and aarch64 with 4 KiB pages).
    const HUGE_PAGE: usize = 2 << 20;

    /// An anonymous private mapping holding `len` blocks from a 2 MiB-aligned address.
    pub(super) struct Mapping {
        /// Start of the whole mapping (for `munmap`).
        base: NonNull<libc::c_void>,
        /// Length of the whole mapping.
        mapped: usize,
        /// The aligned start of the blocks, inside the mapping.
        blocks: NonNull<Block>,
        /// Number of blocks.
        len: usize,
        /// Whether `MADV_HUGEPAGE` was accepted.
        pub(super) huge: bool,
    }

    // SAFETY: the mapping is owned exclusively by this value (like a `Vec<Block>`); it is
    // only reached through `&self`/`&mut self`, so moving or sharing it between threads is as
    // safe as for a `Vec`.
    unsafe impl Send for Mapping {}
    // SAFETY: as above; shared access only hands out `&[Block]`.
    unsafe impl Sync for Mapping {}

    impl Mapping {
        pub(super) fn new(len: usize) -> Option<Self> {
            let bytes = len.checked_mul(Block::SIZE)?;
            if bytes == 0 {
                return None;
            }
            let mapped = bytes.checked_add(HUGE_PAGE)?;
            // SAFETY: a fresh anonymous private mapping; no existing memory is affected.
            let base = unsafe {
                libc::mmap(
                    core::ptr::null_mut(),
                    mapped,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return None;
            }
            let base = NonNull::new(base)?;
            // The first 2 MiB boundary at or after `base`; `HUGE_PAGE` extra bytes were mapped,
            // so `bytes` bytes from there stay inside the mapping.
            let offset = base.as_ptr().align_offset(HUGE_PAGE);
            if offset >= HUGE_PAGE {
                // SAFETY: unmapping exactly what was mapped above.
                unsafe { libc::munmap(base.as_ptr(), mapped) };
                return None;
            }
            let start = base.as_ptr().cast::<u8>().wrapping_add(offset);
            // SAFETY: `start..start + bytes` lies inside the mapping (see above) and is not
            // yet touched; the advice only changes how the kernel backs it.
            let huge = unsafe {
                libc::madvise(start.cast::<libc::c_void>(), bytes, libc::MADV_HUGEPAGE) == 0
            };
            Some(Mapping {
                base,
                mapped,
                blocks: NonNull::new(start.cast::<Block>())?,
                len,
                huge,
            })
        }

        pub(super) fn blocks(&self) -> &[Block] {
            // SAFETY: `blocks` is 2 MiB-aligned (so aligned for `Block`), points to `len`
            // blocks inside a live read-write mapping owned by `self`, whose bytes are zero
            // (fresh anonymous memory) or were written as blocks; any bit pattern is a valid
            // `Block`.
            unsafe { core::slice::from_raw_parts(self.blocks.as_ptr(), self.len) }
        }

        pub(super) fn blocks_mut(&mut self) -> &mut [Block] {
            // SAFETY: as in `blocks`, and `&mut self` makes this the only reference.
            unsafe { core::slice::from_raw_parts_mut(self.blocks.as_ptr(), self.len) }
        }
    }

    impl Drop for Mapping {
        fn drop(&mut self) {
            // SAFETY: unmapping exactly the mapping made in `new`; no reference into it can
            // outlive `self`.
            unsafe { libc::munmap(self.base.as_ptr(), self.mapped) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_zeroed_writable_and_of_the_asked_size() {
        for blocks in [1, 8, 19_456] {
            for mut memory in [BlockMemory::new(blocks), BlockMemory::on_heap(blocks)] {
                assert_eq!(memory.len(), blocks);
                assert!(memory.iter().all(|b| b.as_ref().iter().all(|&w| w == 0)));
                let last = blocks - 1;
                memory[last].as_mut()[127] = 7;
                memory[0].as_mut()[0] = 9;
                assert_eq!(memory[last].as_ref()[127], 7);
                assert_eq!(memory[0].as_ref()[0], 9);
                assert_eq!(memory.as_ptr() as usize % align_of::<Block>(), 0);
            }
        }
    }

    #[test]
    fn empty_memory_is_an_empty_heap_slice() {
        let memory = BlockMemory::new(0);
        assert_eq!(memory.len(), 0);
        assert!(!memory.huge_pages_requested());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_requested_where_the_kernel_offers_them() {
        let offered = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .map(|s| s.contains("[always]") || s.contains("[madvise]"))
            .unwrap_or(false);
        let memory = BlockMemory::new(19_456);
        if offered {
            assert!(memory.huge_pages_requested());
            assert_eq!(memory.as_ptr() as usize % (2 << 20), 0);
        }
    }
}
