//! Redaction of captured message content.

/// Characters trimmed off a word before it is judged (punctuation around an address).
const WRAPPERS: &[char] = &[
    '(', ')', '<', '>', '[', ']', '{', '}', '"', '\'', ',', ';', ':', '.', '!', '?',
];

const SECRET_PREFIXES: [&str; 9] = [
    "sk-", "sk_live_", "sk_test_", "rk_live_", "ghp_", "gho_", "xoxb-", "xoxp-", "AKIA",
];

/// Keys whose value is a secret in `key=value` or `key: value`.
const SECRET_KEYS: [&str; 14] = [
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_token",
    "refresh_token",
    "client_secret",
    "private_key",
    "authorization",
];

fn is_secret_key(k: &str) -> bool {
    SECRET_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s))
}

/// A card number's check digit (Luhn).
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What a run of digits and separators is, if it is something personal.
fn classify_number(run: &str) -> Option<&'static str> {
    let digits: Vec<u8> = run
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let n = digits.len();
    let b = run.as_bytes();
    let is_ssn = n == 9
        && b.len() == 11
        && b[3] == b'-'
        && b[6] == b'-'
        && run.bytes().filter(|c| *c == b'-').count() == 2;
    if is_ssn {
        return Some("[REDACTED_SSN]");
    }
    // Cards have 15 to 19 digits (13-digit epoch milliseconds never match) and a valid
    // check digit.
    if run.as_bytes()[0].is_ascii_digit() && (15..=19).contains(&n) && luhn(&digits) {
        return Some("[REDACTED_CARD]");
    }
    let separators = run.bytes().filter(|c| b" -.()".contains(c)).count();
    let international = run.starts_with('+') || run.starts_with('(');
    if (international && (8..=15).contains(&n)) || (n == 10 && separators >= 2) {
        return Some("[REDACTED_PHONE]");
    }
    None
}

/// An IBAN: a country code, two check digits, then 11 to 30 letters and digits, written
/// together or in groups of four.
fn iban_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 4
        || !b[0].is_ascii_uppercase()
        || !b[1].is_ascii_uppercase()
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
    {
        return None;
    }
    let (mut i, mut alnum, mut last_alnum_end) = (4, 4, 4);
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            alnum += 1;
            last_alnum_end = i + 1;
        } else if c == b' ' && i + 1 < b.len() && b[i + 1].is_ascii_alphanumeric() {
            // a group separator
        } else {
            break;
        }
        i += 1;
        if alnum > 34 {
            return None;
        }
    }
    let ends_at_boundary = b
        .get(last_alnum_end)
        .is_none_or(|c| !c.is_ascii_alphanumeric());
    ((15..=34).contains(&alnum) && ends_at_boundary).then_some(last_alnum_end)
}

/// Masks card numbers, phone numbers, social security numbers and IBANs, which may
/// span several words.
fn mask_numbers(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let at_boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if at_boundary {
            if let Some(len) = iban_len(&text[i..]) {
                out.push_str(&text[copied..i]);
                out.push_str("[REDACTED_IBAN]");
                i += len;
                copied = i;
                continue;
            }
            if b[i].is_ascii_digit() || b[i] == b'+' || b[i] == b'(' {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_digit() || b" -.()".contains(&b[j])) {
                    j += 1;
                }
                // Do not swallow trailing separators or punctuation.
                while j > i && !b[j - 1].is_ascii_digit() {
                    j -= 1;
                }
                let ends_at_boundary = b.get(j).is_none_or(|c| !c.is_ascii_alphanumeric());
                if j > i && ends_at_boundary {
                    if let Some(r) = classify_number(&text[i..j]) {
                        out.push_str(&text[copied..i]);
                        out.push_str(r);
                        i = j;
                        copied = i;
                        continue;
                    }
                }
            }
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    out.push_str(&text[copied..]);
    out
}

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
    // Provider keys are recognised by their prefix, short ones too.
    if SECRET_PREFIXES
        .iter()
        .any(|p| w.starts_with(p) && w.len() >= p.len() + 8)
    {
        return true;
    }
    // Long random-looking tokens: keys, JWTs, hashes.
    w.len() >= 32
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_+/=.".contains(c))
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars().any(|c| c.is_ascii_alphabetic())
}

/// `text` with e-mail addresses, API keys, bearer tokens, `password=…`-style secrets,
/// card numbers, phone numbers, social security numbers, IBANs and other long secrets
/// replaced, cut to `max_chars` characters (an ellipsis marks the cut).
///
/// ```
/// let r = ferrotel::genai::redact("mail ann@example.com, key sk-abcdef1234567890XYZ, Authorization: Bearer eyJhbGciOi", 1000);
/// assert_eq!(r, "mail [REDACTED_EMAIL], key [REDACTED_SECRET], Authorization: Bearer [REDACTED_SECRET]");
/// let r = ferrotel::genai::redact("card 4111 1111 1111 1111, password=hunter2, at 1733157000123", 1000);
/// assert_eq!(r, "card [REDACTED_CARD], password=[REDACTED_SECRET], at 1733157000123");
/// assert_eq!(ferrotel::genai::redact("abcdef", 3), "abc…");
/// ```
pub fn redact(text: &str, max_chars: usize) -> String {
    let masked = mask_numbers(text);
    let text = masked.as_str();
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_add(8)));
    let mut after_bearer = false;
    let mut after_secret_key = false;
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
        // `password=hunter2`, `token:abc`: keep the key, mask the value.
        if let Some((k, v)) = core.split_once(['=', ':']) {
            if is_secret_key(k) && !v.is_empty() {
                out.push_str(pre);
                out.push_str(&core[..k.len() + 1]);
                out.push_str("[REDACTED_SECRET]");
                out.push_str(post);
                after_bearer = false;
                after_secret_key = false;
                continue;
            }
        }
        let replacement = if (after_bearer || after_secret_key) && !core.is_empty() {
            Some("[REDACTED_SECRET]")
        } else if is_email(core) {
            Some("[REDACTED_EMAIL]")
        } else if is_secret(core) {
            Some("[REDACTED_SECRET]")
        } else {
            None
        };
        after_bearer = core.eq_ignore_ascii_case("bearer");
        // `password: hunter2`: the word after a secret key and its colon. (`Authorization:`
        // is followed by a scheme, handled by the bearer rule.)
        after_secret_key = word.ends_with(':')
            && is_secret_key(core)
            && !core.eq_ignore_ascii_case("authorization");
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
            "<[REDACTED_EMAIL]> [REDACTED_SECRET] [REDACTED_SECRET] token=[REDACTED_SECRET]"
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(redact(jwt, 1000), "[REDACTED_SECRET]");
        assert_eq!(redact("a@b", 1000), "a@b", "not an address");
        assert_eq!(redact("", 10), "");
        assert_eq!(redact("ééééé", 2), "éé…");
    }

    /// Each of these came out verbatim before.
    #[test]
    fn redacts_personal_numbers_and_key_values() {
        for (text, want) in [
            ("password=hunter2 ok", "password=[REDACTED_SECRET] ok"),
            ("my password: hunter2", "my password: [REDACTED_SECRET]"),
            ("API_KEY=abc123", "API_KEY=[REDACTED_SECRET]"),
            ("card 4111111111111111.", "card [REDACTED_CARD]."),
            ("card 4111-1111-1111-1111", "card [REDACTED_CARD]"),
            ("amex 3782 822463 10005", "amex [REDACTED_CARD]"),
            ("ssn 123-45-6789", "ssn [REDACTED_SSN]"),
            ("call +1 415 555 0100 now", "call [REDACTED_PHONE] now"),
            ("call (415) 555-0100", "call [REDACTED_PHONE]"),
            ("call 415-555-0100", "call [REDACTED_PHONE]"),
            ("key sk-abc123xyz9", "key [REDACTED_SECRET]"),
            (
                "Authorization: Bearer abc.def",
                "Authorization: Bearer [REDACTED_SECRET]",
            ),
            ("iban DE89370400440532013000", "iban [REDACTED_IBAN]"),
            (
                "iban GB29 NWBK 6016 1331 9268 19 ok",
                "iban [REDACTED_IBAN] ok",
            ),
        ] {
            assert_eq!(redact(text, 1000), want, "{text}");
        }
    }

    /// Numbers that are not personal stay: timestamps, counts, versions, prices.
    #[test]
    fn keeps_ordinary_numbers() {
        for text in [
            "at 1733157000123 ms",
            "order 1234567890123456 shipped", // 16 digits, not a valid card number
            "version 1.42.0, 3 items, $12.50",
            "HTTP 404",
            "tokens: 1200",
        ] {
            assert_eq!(redact(text, 1000), text);
        }
    }

    #[test]
    fn any_length_limit_is_safe() {
        assert_eq!(redact("abc", usize::MAX), "abc");
        assert_eq!(redact("abc", 0), "…");
    }
}
