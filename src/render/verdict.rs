//! A verdict in words: `CORRECT`, `PROBLEM: <note of the first failing
//! check>` or `NOTHING FOUND`, the same in the text and in the JSON.

use serde::{Serialize, Serializer};

use crate::analyze::Verdict;

/// The verdict as printed and as serialized.
pub fn verdict_text(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Correct => "CORRECT".to_string(),
        Verdict::Problem { note, .. } => format!("PROBLEM: {note}"),
        Verdict::NothingFound => "NOTHING FOUND".to_string(),
    }
}

/// The JSON carries the verdict's words (see [`verdict_text`]).
impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&verdict_text(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_worded_by_its_note() {
        let problem = Verdict::Problem {
            check: "route",
            note: "the mail left by h3".into(),
        };
        assert_eq!(verdict_text(&problem), "PROBLEM: the mail left by h3");
        assert_eq!(verdict_text(&Verdict::Correct), "CORRECT");
        assert_eq!(
            serde_json::to_value(Verdict::NothingFound).ok(),
            Some(serde_json::json!("NOTHING FOUND"))
        );
    }
}
