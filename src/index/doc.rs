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
    text: String,
    /// The stored record, moved in whole rather than copied into `text`.
    raw: String,
}

/// A value; text is a range of the document's buffer.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Str { start: usize, end: usize },
    Raw,
    U64(u64),
    Date(DateTime),
    Ip(Ipv6Addr),
}

impl EventDoc {
    /// A document with room for `text_bytes` of text and a typical number of values.
    pub fn with_capacity(text_bytes: usize) -> EventDoc {
        EventDoc {
            values: Vec::with_capacity(48),
            text: String::with_capacity(text_bytes),
            raw: String::new(),
        }
    }

    /// Adds the record as stored, taking it as it is (kilobytes, where the other values of a
    /// document are a few bytes each). A second record replaces the first.
    pub fn add_raw(&mut self, field: Field, raw: String) {
        self.values.retain(|(_, slot)| !matches!(slot, Slot::Raw));
        self.raw = raw;
        self.values.push((field, Slot::Raw));
    }

    pub fn add_text(&mut self, field: Field, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.values.push((
            field,
            Slot::Str {
                start,
                end: self.text.len(),
            },
        ));
    }

    /// Adds the non-empty `parts` as one text, a space between each; nothing when all are
    /// empty.
    pub fn add_text_joined(&mut self, field: Field, parts: &[&str]) {
        let start = self.text.len();
        for part in parts.iter().filter(|p| !p.is_empty()) {
            if self.text.len() > start {
                self.text.push(' ');
            }
            self.text.push_str(part);
        }
        if self.text.len() > start {
            let end = self.text.len();
            self.values.push((field, Slot::Str { start, end }));
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
        self.values.push((field, Slot::Ip(value)));
    }

    /// The values of `field`, as tantivy reads them.
    pub fn values(&self, field: Field) -> impl Iterator<Item = DocValue<'_>> {
        self.iter_fields_and_values()
            .filter(move |(f, _)| *f == field)
            .map(|(_, v)| v)
    }
}

/// A value of an [`EventDoc`] as tantivy reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DocValue<'a> {
    Str(&'a str),
    U64(u64),
    Date(DateTime),
    Ip(Ipv6Addr),
}

impl<'a> Value<'a> for DocValue<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match *self {
            DocValue::Str(s) => ReferenceValueLeaf::Str(s),
            DocValue::U64(v) => ReferenceValueLeaf::U64(v),
            DocValue::Date(d) => ReferenceValueLeaf::Date(d),
            DocValue::Ip(ip) => ReferenceValueLeaf::IpAddr(ip),
        })
    }
}

/// The fields and values of an [`EventDoc`].
pub struct DocValues<'a> {
    values: std::slice::Iter<'a, (Field, Slot)>,
    text: &'a str,
    raw: &'a str,
}

impl<'a> Iterator for DocValues<'a> {
    type Item = (Field, DocValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let (field, slot) = self.values.next()?;
        let value = match *slot {
            // A range is taken from the buffer as it grew, at char boundaries: always in it.
            Slot::Str { start, end } => DocValue::Str(self.text.get(start..end).unwrap_or("")),
            Slot::Raw => DocValue::Str(self.raw),
            Slot::U64(v) => DocValue::U64(v),
            Slot::Date(d) => DocValue::Date(d),
            Slot::Ip(ip) => DocValue::Ip(ip),
        };
        Some((*field, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.values.size_hint()
    }
}

impl Document for EventDoc {
    type Value<'a> = DocValue<'a>;
    type FieldsValuesIter<'a> = DocValues<'a>;

    fn iter_fields_and_values(&self) -> DocValues<'_> {
        DocValues {
            values: self.values.iter(),
            text: &self.text,
            raw: &self.raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_added() {
        let (a, b) = (Field::from_field_id(0), Field::from_field_id(1));
        let mut doc = EventDoc::with_capacity(4);
        doc.add_text(a, "héllo");
        doc.add_u64(b, 7);
        doc.add_text(a, "");
        doc.add_text(a, "wörld");
        let texts: Vec<_> = doc.values(a).collect();
        assert_eq!(
            texts,
            [
                DocValue::Str("héllo"),
                DocValue::Str(""),
                DocValue::Str("wörld")
            ]
        );
        assert_eq!(doc.values(b).collect::<Vec<_>>(), [DocValue::U64(7)]);
        assert_eq!(doc.iter_fields_and_values().count(), 4);
        doc.add_text_joined(b, &["", "a", "", "b c"]);
        doc.add_text_joined(b, &["", ""]);
        assert_eq!(
            doc.values(b).collect::<Vec<_>>(),
            [DocValue::U64(7), DocValue::Str("a b c")]
        );
        doc.set_u64(b, 9);
        doc.set_u64(Field::from_field_id(5), 1);
        assert_eq!(
            doc.values(b).collect::<Vec<_>>(),
            [DocValue::U64(9), DocValue::Str("a b c")]
        );
        assert_eq!(doc.values(Field::from_field_id(5)).count(), 1);
        let c = Field::from_field_id(2);
        doc.add_raw(c, "{\"first\":1}".to_owned());
        doc.add_raw(c, "{\"kept\":2}".to_owned());
        doc.add_text(a, "after");
        assert_eq!(
            doc.values(c).collect::<Vec<_>>(),
            [DocValue::Str("{\"kept\":2}")]
        );
        assert_eq!(doc.values(a).last(), Some(DocValue::Str("after")));
        assert_eq!(doc.iter_fields_and_values().count(), 8);
    }
}
