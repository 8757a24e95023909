//! IAM wildcards and policy variables.
//!
//! `*` matches any run of characters (the empty one too) and `?` exactly
//! one, in actions, resources and the `*Like` condition operators. The
//! match is iterative with one backtrack point, so a hostile pattern
//! (`*a*a*a*...`) costs O(pattern × text), never exponential time.
//!
//! Policy variables (`${aws:username}`) are substituted in Resource
//! elements and in the values of string conditions before matching; the
//! escapes `${*}`, `${?}` and `${$}` stand for the literal characters,
//! so a policy can match a real `*`.

/// Whether `text` matches `pattern`; `fold` compares ASCII
/// case-insensitively (actions), otherwise case-sensitively (resources).
pub fn matches(pattern: &str, text: &str, fold: bool) -> bool {
    let p: Vec<Tok> = tokens(pattern);
    let t: Vec<char> = text.chars().collect();
    let eq = |a: char, b: char| if fold { a.eq_ignore_ascii_case(&b) } else { a == b };
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Tok::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(Tok::One) => {
                pi += 1;
                ti += 1;
            }
            Some(Tok::Lit(c)) if eq(*c, t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|tok| *tok == Tok::Any)
}

/// Whether `pattern` holds a wildcard (an escaped `${*}` is no wildcard).
pub fn has_wildcard(pattern: &str) -> bool {
    tokens(pattern).iter().any(|t| !matches!(t, Tok::Lit(_)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Any,
    One,
    Lit(char),
}

/// The pattern as tokens; `${*}`, `${?}`, `${$}` are literals.
fn tokens(pattern: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut rest = pattern;
    'next: while let Some(c) = rest.chars().next() {
        for (esc, lit) in [("${*}", '*'), ("${?}", '?'), ("${$}", '$')] {
            if let Some(r) = rest.strip_prefix(esc) {
                out.push(Tok::Lit(lit));
                rest = r;
                continue 'next;
            }
        }
        out.push(match c {
            '*' => Tok::Any,
            '?' => Tok::One,
            c => Tok::Lit(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Resolves a policy variable's name to its value; `None` where
/// variables do not apply (a 2008-10-17 policy keeps `${...}` literally).
pub type Vars<'a> = Option<&'a dyn Fn(&str) -> Option<String>>;

/// `text` with each `${name}` replaced by `lookup(name)` (names compared
/// case-insensitively by the caller). The escapes `${*}`, `${?}`, `${$}`
/// are left in place for [`matches`]. `None` when a variable has no
/// value: AWS then treats the element as not matching. A `${` without a
/// closing `}` is kept literally.
pub fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Some(out);
        };
        let name = &after[..end];
        if matches!(name, "*" | "?" | "$") {
            out.push_str(&rest[start..start + 3 + end]);
        } else {
            out.push_str(&lookup(name)?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}
