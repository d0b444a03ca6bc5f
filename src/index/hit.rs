//! A matching event as searches return it: its address in the index and its time. Shared by
//! the reader, paging and the columns read for table rows.

use tantivy::DocAddress;

use crate::model::Micros;

/// One matching event: where it is, and its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hit {
    addr: DocAddress,
    pub time: Micros,
}

impl Hit {
    pub(super) fn new(addr: DocAddress, time: Micros) -> Hit {
        Hit { addr, time }
    }

    /// An opaque handle to the event (valid while this reader is open).
    pub fn handle(&self) -> u64 {
        (u64::from(self.addr.segment_ord) << 32) | u64::from(self.addr.doc_id)
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "takes apart the two 32-bit halves `handle` put together"
    )]
    pub fn from_handle(handle: u64) -> Hit {
        Hit {
            addr: DocAddress::new((handle >> 32) as u32, handle as u32),
            time: Micros(0),
        }
    }

    pub(super) fn addr(&self) -> DocAddress {
        self.addr
    }

    pub(super) fn segment_ord(&self) -> u32 {
        self.addr.segment_ord
    }

    pub(super) fn doc_id(&self) -> u32 {
        self.addr.doc_id
    }
}
