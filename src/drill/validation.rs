//! The drill's validation, bounded. The user's validation function may
//! answer anything up to Lambda's 6 MB; Step Functions refuses a result over
//! 256 KB with `States.DataLimitExceeded`, which `States.ALL` does not catch,
//! and the drill would end without its cleanup. So the workflow never
//! invokes that function: this action does, and returns at most
//! [`MAX_ANSWER_BYTES`].

use serde_json::{Value, json};

/// The most this action returns, as JSON.
pub const MAX_ANSWER_BYTES: usize = 4096;

/// The most of the function's `detail` (or of its error) that is kept.
const MAX_DETAIL_BYTES: usize = 3000;

/// The most of `detail` a platform's validation keeps: 40 answers stay a
/// small part of the workflow's 256 KB state.
pub const BRIEF_DETAIL_BYTES: usize = 300;

/// `answer` (of [`bounded`]) with its detail cut to [`BRIEF_DETAIL_BYTES`].
pub fn brief(mut answer: Value) -> Value {
    if let Some(detail) = answer.get("detail").and_then(Value::as_str) {
        let (kept, was_cut) = cut(detail, BRIEF_DETAIL_BYTES);
        answer["detail"] = Value::from(kept);
        if was_cut {
            answer["detail_cut"] = Value::Bool(true);
        }
    }
    answer
}

/// How long the validation function may take (it may warm up the restored
/// storage): below the drill function's own time-out, 900 s in the template.
pub const TIMEOUT_SECONDS: u64 = 840;

/// `text` cut to at most `max` bytes at a character boundary, and whether
/// it was cut.
fn cut(text: &str, max: usize) -> (String, bool) {
    if text.len() <= max {
        return (text.to_owned(), false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (
        format!("{} [cut: {} bytes in all]", &text[..end], text.len()),
        true,
    )
}

/// The bounded answer to a validation function's `payload` (its error name
/// when it failed): `{valid, detail, detail_cut, newest_record_at}`. Only a
/// JSON `true` is valid; `newest_record_at` is kept only as an RFC 3339 time.
pub fn bounded(payload: &[u8], function_error: Option<&str>) -> Value {
    let text = String::from_utf8_lossy(payload);
    if let Some(error) = function_error {
        return answer(
            false,
            &format!("the validation function failed ({error}): {text}"),
            None,
        );
    }
    let Ok(given) = serde_json::from_slice::<Value>(payload) else {
        return answer(
            false,
            &format!("the validation function's answer is not JSON: {text}"),
            None,
        );
    };
    let valid = given.get("valid") == Some(&Value::Bool(true));
    let detail = match given.get("detail") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let newest = given
        .get("newest_record_at")
        .and_then(Value::as_str)
        .filter(|t| {
            t.len() <= 64
                && aws_sdk_rds::primitives::DateTime::from_str(
                    t,
                    aws_sdk_rds::primitives::DateTimeFormat::DateTimeWithOffset,
                )
                .is_ok()
        });
    answer(valid, &detail, newest)
}

/// The answer, its `detail` cut until the whole is at most
/// [`MAX_ANSWER_BYTES`] as JSON: escapes (a control character is 6 bytes in
/// JSON) can make a detail of `MAX_DETAIL_BYTES` far longer on the wire.
fn answer(valid: bool, detail: &str, newest: Option<&str>) -> Value {
    let mut budget = MAX_DETAIL_BYTES;
    loop {
        let (kept, was_cut) = cut(detail, budget);
        let out = json!({"valid": valid, "detail": kept, "detail_cut": was_cut, "newest_record_at": newest});
        if out.to_string().len() <= MAX_ANSWER_BYTES || budget == 0 {
            return out;
        }
        budget /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_brief_answer_keeps_300_bytes_of_detail_and_says_it_was_cut() {
        let out = brief(bounded_detail("x".repeat(5000)));
        let detail = out["detail"].as_str().unwrap_or_default();
        // The kept bytes, then the cut's own note of the whole length.
        assert!(
            detail.starts_with(&format!("{} [cut:", "x".repeat(BRIEF_DETAIL_BYTES))),
            "{detail}"
        );
        assert!(detail.len() < BRIEF_DETAIL_BYTES + 40, "{detail}");
        assert_eq!(out["detail_cut"], true);
    }

    #[test]
    fn a_valid_answer_is_passed_on() {
        let out = bounded(
            br#"{"valid": true, "detail": "ok", "newest_record_at": "2026-12-01T03:59:00Z"}"#,
            None,
        );
        assert_eq!(
            out,
            json!({"valid": true, "detail": "ok", "detail_cut": false, "newest_record_at": "2026-12-01T03:59:00Z"})
        );
    }

    /// The answer to a valid function's `detail`, asserted cut to the bound.
    fn bounded_detail(detail: String) -> Value {
        let huge = json!({"valid": true, "detail": detail}).to_string();
        let out = bounded(huge.as_bytes(), None);
        let bytes = out.to_string().len();
        assert!(bytes <= MAX_ANSWER_BYTES, "{bytes}");
        assert_eq!(out["detail_cut"], true);
        out
    }

    #[test]
    fn a_300_kb_answer_comes_back_under_4_kb_marked_as_cut() {
        let out = bounded_detail("x".repeat(300 * 1024));
        assert_eq!(out["valid"], true);
    }

    #[test]
    fn a_detail_of_control_characters_still_comes_back_under_4_kb() {
        bounded_detail("\u{1}".repeat(100_000));
    }

    #[test]
    fn only_a_json_true_is_valid() {
        for answer in [r#"{"valid": "true"}"#, r#"{"valid": 1}"#, r#"{}"#, "[]"] {
            assert_eq!(bounded(answer.as_bytes(), None)["valid"], false, "{answer}");
        }
    }

    #[test]
    fn a_function_error_is_an_invalid_answer_that_names_it() {
        let out = bounded(br#"{"errorType": "Timeout"}"#, Some("Unhandled"));
        assert_eq!(out["valid"], false);
        assert!(
            out["detail"]
                .as_str()
                .unwrap()
                .starts_with("the validation function failed (Unhandled)")
        );
    }

    #[test]
    fn a_newest_record_that_is_not_a_time_is_dropped() {
        let out = bounded(br#"{"valid": true, "newest_record_at": "yesterday"}"#, None);
        assert_eq!(out["newest_record_at"], Value::Null);
    }

    #[test]
    fn a_multibyte_detail_is_cut_at_a_character_boundary() {
        let (text, was_cut) = cut(&"é".repeat(2000), 3001);
        assert!(was_cut);
        assert!(text.starts_with(&"é".repeat(1500)));
    }
}
