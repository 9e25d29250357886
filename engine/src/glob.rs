//! Glob-style pattern matching with Redis's exact rules (`stringmatchlen`), for KEYS.
//!
//! `*` any run, `?` any byte, `[abc]` / `[^abc]` / `[a-z]` classes (a reversed range is
//! swapped; bytes compare as C's signed `char`), `\x` escapes. A `[` class without a
//! closing `]` ends at the pattern's end. Nesting of `*` is capped as in Redis.

/// Whether `s` matches `pattern`.
pub fn matches(pattern: &[u8], s: &[u8]) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, 0, s, 0, &mut skip_longer, 0)
}

/// The byte at `i`, or 0 past the end (Redis reads the C string's terminator there).
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

/// A byte as C's signed `char`, widened.
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

fn match_impl(
    pat: &[u8],
    mut pi: usize,
    s: &[u8],
    mut si: usize,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    if nesting > 1000 {
        return false;
    }
    let plen = pat.len();
    let slen = s.len();
    while pi < plen && si < slen {
        match pat[pi] {
            b'*' => {
                while pi + 1 < plen && pat[pi + 1] == b'*' {
                    pi += 1;
                }
                if pi + 1 == plen {
                    return true;
                }
                while si < slen {
                    if match_impl(pat, pi + 1, s, si, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                pi += 1;
                let not = at(pat, pi) == b'^';
                if not {
                    pi += 1;
                }
                let mut matched = false;
                let c = s[si];
                loop {
                    let left = plen.saturating_sub(pi);
                    if at(pat, pi) == b'\\' && left >= 2 {
                        pi += 1;
                        if at(pat, pi) == c {
                            matched = true;
                        }
                    } else if at(pat, pi) == b']' {
                        break;
                    } else if left == 0 {
                        pi -= 1;
                        break;
                    } else if left >= 3 && at(pat, pi + 1) == b'-' {
                        let (mut start, mut end) = (signed(at(pat, pi)), signed(at(pat, pi + 2)));
                        if start > end {
                            core::mem::swap(&mut start, &mut end);
                        }
                        pi += 2;
                        let ch = signed(c);
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if at(pat, pi) == c {
                        matched = true;
                    }
                    pi += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            b => {
                let mut lit = b;
                if b == b'\\' && plen - pi >= 2 {
                    pi += 1;
                    lit = pat[pi];
                }
                if lit != s[si] {
                    return false;
                }
                si += 1;
            }
        }
        pi += 1;
        if si == slen {
            while at(pat, pi) == b'*' && pi < plen {
                pi += 1;
            }
            break;
        }
    }
    pi >= plen && si == slen
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns() {
        let m = |p: &str, s: &str| matches(p.as_bytes(), s.as_bytes());
        assert!(m("*", "anything"));
        // stringmatchlen never matches an empty string against a non-empty pattern;
        // KEYS special-cases the pattern `*` itself.
        assert!(!m("*", ""));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("s*", "s"));
        assert!(m("s**", "s"));
        assert!(!m("s?", "s"));
        assert!(m("[abc", "a"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
    }
}
