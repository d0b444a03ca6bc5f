//! The document kubesift hands tantivy: its values in one flat list, their text in one
//! buffer. tantivy's generic `TantivyDocument` encodes every value into a node buffer as it
//! is added and decodes it again for each of the three writers that read it (terms, fast
//! columns, store): a tenth of indexing time went to that round trip. This document is read
//! where it lies.

use std::net::Ipv6Addr;

use tantivy::DateTime;
use tantivy::schema::Field;
use tantivy::schema::document::{Document, ReferenceValue, ReferenceValueLeaf, Value};

/// The values of one event's document, in the order they were added (tantivy groups them by
/// field itself).
#[derive(Debug, Default)]
pub struct EventDoc {
    values: Vec<(Field, Slot)>,
    /// The stored record (its first `record` bytes), then the text of the other values. The
    /// record is the line as the reader cut it, moved in whole with room behind it for the
    /// rest: one allocation per document where two were (each taken on a parser thread and
    /// freed on an indexing thread, the allocator's slow path).
    text: String,
    record: usize,
    /// The addresses, apart: in a slot of their own they made every slot 32 bytes.
    ips: Vec<Ipv6Addr>,
}

/// A value; text is a range of the document's buffer, an address an index in `ips`. Kept to
/// 24 bytes with its field, so that a document's list of values is a small allocation:
/// larger, it took the allocator's slow path for every document (2 % of ingest).
#[derive(Debug, Clone, Copy)]
enum Slot {
    Str { start: u32, end: u32 },
    Raw,
    U64(u64),
    Date(DateTime),
    Ip(u32),
}

/// Values a document has room for at first: most events have fewer.
const VALUES: usize = 40;

impl EventDoc {
    /// A document holding `record` (added as a value by [`EventDoc::add_record`]), taken as
    /// it is, with room for `text_bytes` of text behind it: none is allocated when the
    /// record's buffer has that room already (the reader cuts records so).
    pub fn with_record(record: String, text_bytes: usize) -> EventDoc {
        let mut text = record;
        let record = text.len();
        text.reserve(text_bytes);
        EventDoc {
            values: Vec::with_capacity(VALUES),
            text,
            record,
            ips: Vec::new(),
        }
    }

    /// Adds the record the document holds as the value of `field`.
    pub fn add_record(&mut self, field: Field) {
        self.values.push((field, Slot::Raw));
    }

    pub fn add_text(&mut self, field: Field, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.push_text(field, start);
    }

    /// Adds the text from `start` to the end of the buffer as a value; a document's text past
    /// 4 GiB is not indexed (a record's values are cut to a kilobyte each long before).
    fn push_text(&mut self, field: Field, start: usize) {
        match (u32::try_from(start), u32::try_from(self.text.len())) {
            (Ok(start), Ok(end)) => self.values.push((field, Slot::Str { start, end })),
            _ => self.text.truncate(start),
        }
    }

    /// Adds the text `build` appends to the buffer (given where it starts), nothing when it
    /// appends none.
    pub fn add_text_built(&mut self, field: Field, build: impl FnOnce(&mut String, usize)) {
        let start = self.text.len();
        build(&mut self.text, start);
        if self.text.len() > start {
            self.push_text(field, start);
        }
    }

    pub fn add_u64(&mut self, field: Field, value: u64) {
        self.values.push((field, Slot::U64(value)));
    }

    /// Sets the number of `field` where it was added (a placeholder), or adds it.
    pub fn set_u64(&mut self, field: Field, value: u64) {
        match self.values.iter_mut().find(|(f, _)| *f == field) {
            Some((_, slot)) => *slot = Slot::U64(value),
            None => self.add_u64(field, value),
        }
    }

    /// The fields of the values, in the order they were added.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.values.iter().map(|(f, _)| *f)
    }

    pub fn add_date(&mut self, field: Field, value: DateTime) {
        self.values.push((field, Slot::Date(value)));
    }

    pub fn add_ip_addr(&mut self, field: Field, value: Ipv6Addr) {
        if let Ok(at) = u32::try_from(self.ips.len()) {
            self.ips.push(value);
            self.values.push((field, Slot::Ip(at)));
        }
    }

    /// The values of `field`.
    pub fn values(&self, field: Field) -> impl Iterator<Item = Leaf<'_>> {
        self.iter_fields_and_values()
            .filter(move |(f, _)| *f == field)
            .map(|(_, v)| v.leaf())
    }
}

/// A value of an [`EventDoc`] as read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Leaf<'a> {
    Str(&'a str),
    U64(u64),
    Date(DateTime),
    Ip(Ipv6Addr),
}

/// A value of an [`EventDoc`] as tantivy reads it: where it lies, resolved when read. Held as
/// a document and an index (tantivy's term writer collects every value of every document with
/// its field and sorts them), so that a field and value take 24 bytes, not 32: a document's
/// list of them stays a small allocation.
#[derive(Clone, Copy)]
pub struct DocValue<'a> {
    doc: &'a EventDoc,
    at: u32,
}

impl<'a> DocValue<'a> {
    /// The value.
    pub fn leaf(self) -> Leaf<'a> {
        let doc = self.doc;
        match doc.values.get(self.at as usize).map(|(_, slot)| *slot) {
            // A range is taken from the buffer as it grew, at char boundaries: always in it.
            Some(Slot::Str { start, end }) => {
                Leaf::Str(doc.text.get(start as usize..end as usize).unwrap_or(""))
            }
            Some(Slot::Raw) => Leaf::Str(doc.text.get(..doc.record).unwrap_or("")),
            Some(Slot::U64(v)) => Leaf::U64(v),
            Some(Slot::Date(d)) => Leaf::Date(d),
            Some(Slot::Ip(at)) => Leaf::Ip(
                doc.ips
                    .get(at as usize)
                    .copied()
                    .unwrap_or(Ipv6Addr::UNSPECIFIED),
            ),
            None => Leaf::Str(""),
        }
    }
}

impl std::fmt::Debug for DocValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.leaf().fmt(f)
    }
}

impl<'a> Value<'a> for DocValue<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match self.leaf() {
            Leaf::Str(s) => ReferenceValueLeaf::Str(s),
            Leaf::U64(v) => ReferenceValueLeaf::U64(v),
            Leaf::Date(d) => ReferenceValueLeaf::Date(d),
            Leaf::Ip(ip) => ReferenceValueLeaf::IpAddr(ip),
        })
    }
}

/// The fields and values of an [`EventDoc`].
pub struct DocValues<'a> {
    doc: &'a EventDoc,
    next: u32,
}

impl<'a> Iterator for DocValues<'a> {
    type Item = (Field, DocValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.next;
        let (field, _) = self.doc.values.get(at as usize)?;
        self.next = at.checked_add(1)?;
        Some((*field, DocValue { doc: self.doc, at }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.doc.values.len().saturating_sub(self.next as usize);
        (left, Some(left))
    }
}

impl Document for EventDoc {
    type Value<'a> = DocValue<'a>;
    type FieldsValuesIter<'a> = DocValues<'a>;

    fn iter_fields_and_values(&self) -> DocValues<'_> {
        DocValues { doc: self, next: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document's list of values stays a small allocation (mimalloc's small sizes end at
    /// 1 KiB): each larger one took the allocator's slow path.
    #[test]
    fn a_new_documents_values_fit_a_small_allocation() {
        assert!(std::mem::size_of::<(Field, Slot)>() <= 24);
        assert!(VALUES * std::mem::size_of::<(Field, Slot)>() <= 1024);
        // tantivy's term writer collects a document's fields and values into one list.
        assert!(std::mem::size_of::<(Field, DocValue<'_>)>() <= 24);
        let (a, b) = (Field::from_field_id(0), Field::from_field_id(1));
        let mut doc = EventDoc::with_record(String::new(), 0);
        let ips: Vec<Ipv6Addr> = (0..5u16)
            .map(|i| Ipv6Addr::new(i, 0, 0, 0, 0, 0, 0, 1))
            .collect();
        for ip in &ips {
            doc.add_ip_addr(a, *ip);
            doc.add_text(b, "x");
        }
        let back: Vec<_> = doc.values(a).collect();
        assert_eq!(back, ips.iter().map(|ip| Leaf::Ip(*ip)).collect::<Vec<_>>());
        assert_eq!(doc.values(b).count(), 5);
    }

    #[test]
    fn values_read_back_as_added() {
        let (a, b) = (Field::from_field_id(0), Field::from_field_id(1));
        let mut doc = EventDoc::with_record(String::new(), 4);
        doc.add_text(a, "héllo");
        doc.add_u64(b, 7);
        doc.add_text(a, "");
        doc.add_text(a, "wörld");
        let texts: Vec<_> = doc.values(a).collect();
        assert_eq!(
            texts,
            [Leaf::Str("héllo"), Leaf::Str(""), Leaf::Str("wörld")]
        );
        assert_eq!(doc.values(b).collect::<Vec<_>>(), [Leaf::U64(7)]);
        assert_eq!(doc.iter_fields_and_values().count(), 4);
        doc.add_text_built(b, |t, start| {
            assert_eq!(t.len(), start);
            t.push_str("a b c");
        });
        doc.add_text_built(b, |_, _| {});
        assert_eq!(
            doc.values(b).collect::<Vec<_>>(),
            [Leaf::U64(7), Leaf::Str("a b c")]
        );
        doc.set_u64(b, 9);
        doc.set_u64(Field::from_field_id(5), 1);
        assert_eq!(
            doc.values(b).collect::<Vec<_>>(),
            [Leaf::U64(9), Leaf::Str("a b c")]
        );
        assert_eq!(doc.values(Field::from_field_id(5)).count(), 1);
        assert_eq!(doc.iter_fields_and_values().count(), 6);
    }

    #[test]
    fn the_record_is_held_in_front_of_the_text_without_a_copy() {
        let (a, c) = (Field::from_field_id(0), Field::from_field_id(2));
        let mut line = String::with_capacity(64);
        line.push_str("{\"kept\":2}");
        let at = line.as_ptr();
        let mut doc = EventDoc::with_record(line, 32);
        doc.add_text(a, "before");
        doc.add_record(c);
        doc.add_text(a, "after");
        assert_eq!(
            doc.text.as_ptr(),
            at,
            "the record's buffer is the document's"
        );
        assert_eq!(
            doc.values(c).collect::<Vec<_>>(),
            [Leaf::Str("{\"kept\":2}")]
        );
        assert_eq!(
            doc.values(a).collect::<Vec<_>>(),
            [Leaf::Str("before"), Leaf::Str("after")]
        );
        // Without room behind it, the record is moved to a larger buffer, whole.
        let mut doc = EventDoc::with_record("{}".to_owned(), 4096);
        doc.add_record(c);
        doc.add_text(a, &"x".repeat(5000));
        assert_eq!(doc.values(c).collect::<Vec<_>>(), [Leaf::Str("{}")]);
        assert_eq!(doc.values(a).next(), Some(Leaf::Str(&"x".repeat(5000))));
    }
}
