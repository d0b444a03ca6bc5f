//! What can fail in the workbench's background work — the case file, an export, the
//! findings of a reload — as carried by actions and worker answers to the status line and
//! dialogs. Typed, so the reducer can tell one failure from another; shown by its message.

use std::sync::Arc;

use crate::case::CaseError;
use crate::export::ExportError;

/// A failure the workbench reports (cheap to clone: actions and answers are cloned).
#[derive(Debug, Clone, thiserror::Error)]
pub enum TuiError {
    /// The case file could not be read or written.
    #[error(transparent)]
    Case(Arc<CaseError>),
    /// An export could not be written.
    #[error(transparent)]
    Export(Arc<ExportError>),
    /// The findings could not be loaded or computed on a reload.
    #[error("findings: {0}")]
    Findings(String),
}

impl From<CaseError> for TuiError {
    fn from(e: CaseError) -> Self {
        TuiError::Case(Arc::new(e))
    }
}

impl From<ExportError> for TuiError {
    fn from(e: ExportError) -> Self {
        TuiError::Export(Arc::new(e))
    }
}

/// Failures are equal when they are of the same kind and say the same (the I/O errors inside
/// have no equality of their own).
impl PartialEq for TuiError {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.to_string() == other.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_as_the_message_of_what_failed() {
        let case = TuiError::from(CaseError::Corrupt {
            path: "/x/case.json".into(),
            message: "line 1".into(),
        });
        assert!(
            case.to_string()
                .starts_with("case file /x/case.json is not a valid case")
        );
        let export = TuiError::from(ExportError::Other("refusing to write x".into()));
        assert_eq!(export.to_string(), "refusing to write x");
        let findings = TuiError::Findings("cannot read the index".into());
        assert_eq!(findings.to_string(), "findings: cannot read the index");
        assert_ne!(findings, TuiError::Findings("other".into()));
        assert_ne!(
            TuiError::Findings("refusing to write x".into()),
            TuiError::from(ExportError::Other("refusing to write x".into()))
        );
    }
}
