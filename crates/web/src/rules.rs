//! The password policy shown per rule, in plain words. The list of rules comes from the
//! server's policy settings, and every verdict from the server's own policy engine (the
//! same one the SOAP and REST APIs use); the script only displays what the server said.

use passgate_core::credential::policy::codes;
use passgate_core::error::PolicyFailure;
use passgate_core::Core;
use serde::Serialize;

use crate::text::{text, text_n};

/// One rule as displayed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct RuleView {
    /// The policy's stable code (`too_short`, ...).
    pub code: &'static str,
    /// Plain words: the requirement, or the policy's explanation of the failure.
    pub text: String,
    /// `pending` (nothing typed yet), `ok` or `fail`.
    pub state: &'static str,
}

/// The rules in force with their state for `failures` (None: nothing checked yet).
/// Failures of rules not listed up front (too long, same as current, reused) are added.
pub(crate) fn view(core: &Core, failures: Option<&[PolicyFailure]>) -> Vec<RuleView> {
    let c = core.policy().config();
    let mut listed: Vec<(&'static str, String)> =
        vec![(codes::TOO_SHORT, text_n("rule_min", c.min_chars))];
    if c.blocklist {
        listed.push((codes::COMMON_PASSWORD, text("rule_common").to_owned()));
    }
    listed.push((codes::CONTEXT_WORD, text("rule_context").to_owned()));
    if c.min_strength > 0 {
        listed.push((codes::TOO_WEAK, text_n("rule_strength", c.min_strength)));
    }
    let comp = c.composition;
    for (min, code, key) in [
        (comp.min_digits, codes::NEEDS_DIGIT, "rule_digits"),
        (comp.min_lowercase, codes::NEEDS_LOWERCASE, "rule_lower"),
        (comp.min_uppercase, codes::NEEDS_UPPERCASE, "rule_upper"),
        (comp.min_special, codes::NEEDS_SPECIAL, "rule_special"),
    ] {
        if min > 0 {
            listed.push((code, text_n(key, min)));
        }
    }
    if core.breach_index().is_some() {
        listed.push((codes::BREACHED, text("rule_breached").to_owned()));
    }
    let mut rules: Vec<RuleView> = listed
        .into_iter()
        .map(|(code, words)| {
            let failed = failures.and_then(|f| f.iter().find(|x| x.code == code));
            match (failures, failed) {
                (None, _) => RuleView {
                    code,
                    text: words,
                    state: "pending",
                },
                (Some(_), Some(f)) => RuleView {
                    code,
                    text: f.message.clone(),
                    state: "fail",
                },
                (Some(_), None) => RuleView {
                    code,
                    text: words,
                    state: "ok",
                },
            }
        })
        .collect();
    for f in failures.unwrap_or_default() {
        if !rules.iter().any(|r| r.code == f.code) {
            rules.push(RuleView {
                code: f.code,
                text: f.message.clone(),
                state: "fail",
            });
        }
    }
    rules
}

/// The label of a strength score (0–4).
pub(crate) fn strength_label(score: u8) -> &'static str {
    match score {
        0 => text("strength_0"),
        1 => text("strength_1"),
        2 => text("strength_2"),
        3 => text("strength_3"),
        _ => text("strength_4"),
    }
}
