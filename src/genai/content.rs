//! Redaction of captured message content.

/// Characters trimmed off a word before it is judged (punctuation around an address).
const WRAPPERS: &[char] = &[
    '(', ')', '<', '>', '[', ']', '{', '}', '"', '\'', ',', ';', ':', '.', '!', '?',
];

const SECRET_PREFIXES: [&str; 9] = [
    "sk-", "sk_live_", "sk_test_", "rk_live_", "ghp_", "gho_", "xoxb-", "xoxp-", "AKIA",
];

fn is_email(w: &str) -> bool {
    match w.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

fn is_secret(w: &str) -> bool {
    if w.len() >= 16 && SECRET_PREFIXES.iter().any(|p| w.starts_with(p)) {
        return true;
    }
    // Long random-looking tokens: keys, JWTs, hashes.
    w.len() >= 32
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_+/=.".contains(c))
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars().any(|c| c.is_ascii_alphabetic())
}

/// `text` with e-mail addresses, API keys, bearer tokens and other long secrets
/// replaced, cut to `max_chars` characters (an ellipsis marks the cut).
///
/// ```
/// let r = ferrotel::genai::redact("mail ann@example.com, key sk-abcdef1234567890XYZ, Authorization: Bearer eyJhbGciOi", 1000);
/// assert_eq!(r, "mail [REDACTED_EMAIL], key [REDACTED_SECRET], Authorization: Bearer [REDACTED_SECRET]");
/// assert_eq!(ferrotel::genai::redact("abcdef", 3), "abc…");
/// ```
pub fn redact(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + 8));
    let mut after_bearer = false;
    let mut rest = text;
    while !rest.is_empty() {
        let ws = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..ws]);
        rest = &rest[ws..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        if word.is_empty() {
            continue;
        }
        let core = word.trim_matches(WRAPPERS);
        let start = word.find(core).unwrap_or(0);
        let (pre, post) = (&word[..start], &word[start + core.len()..]);
        let replacement = if after_bearer && !core.is_empty() {
            Some("[REDACTED_SECRET]")
        } else if is_email(core) {
            Some("[REDACTED_EMAIL]")
        } else if is_secret(core) {
            Some("[REDACTED_SECRET]")
        } else {
            None
        };
        after_bearer = core.eq_ignore_ascii_case("bearer");
        match replacement {
            Some(r) => {
                out.push_str(pre);
                out.push_str(r);
                out.push_str(post);
            }
            None => out.push_str(word),
        }
    }
    match out.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn keeps_ordinary_text_and_spacing() {
        assert_eq!(
            redact("What is the weather in  Paris?\nThanks.", 1000),
            "What is the weather in  Paris?\nThanks."
        );
    }

    #[test]
    fn redacts_what_it_should() {
        let r = redact(
            "<bob.smith@corp.example.org> AKIAABCDEFGHIJKLMNOP ghp_0123456789abcdefghij token=abc",
            1000,
        );
        assert_eq!(
            r,
            "<[REDACTED_EMAIL]> [REDACTED_SECRET] [REDACTED_SECRET] token=abc"
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(redact(jwt, 1000), "[REDACTED_SECRET]");
        assert_eq!(redact("a@b", 1000), "a@b", "not an address");
        assert_eq!(redact("", 10), "");
        assert_eq!(redact("ééééé", 2), "éé…");
    }
}
