//! Route templates resolved once: the `http.route` value and the span name of every
//! method on it are built the first time a route is served and shared from then on, so
//! a request formats no span name and allocates no label string.
//!
//! Templates come from the application's route table (axum's `MatchedPath`), never from
//! raw paths, so there are as many as the application has routes; past [`LIMIT`] (a
//! router built per request, say) a route is resolved per request instead, as before.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

use http::Method;
use opentelemetry::StringValue;

/// The `http.request.method` values: the known methods, then `_OTHER`.
const METHODS: [&str; 10] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "_OTHER",
];

/// Route templates kept for the life of the process.
pub(crate) const LIMIT: usize = 1024;

/// `http.request.method` (the known methods as themselves, anything else `_OTHER`) and
/// its place in the method table, read once per request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verb {
    pub(crate) label: &'static str,
    pub(crate) index: usize,
}

impl Verb {
    pub(crate) fn of(m: &Method) -> Verb {
        let index = method_index(m);
        Verb {
            label: METHODS[index],
            index,
        }
    }
}

/// The index of `m` in [`METHODS`].
fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::DELETE => 3,
        Method::PATCH => 4,
        Method::HEAD => 5,
        Method::OPTIONS => 6,
        Method::CONNECT => 7,
        Method::TRACE => 8,
        _ => 9,
    }
}

/// A route template and the span name of each method on it.
#[derive(Debug)]
struct Resolved {
    template: &'static str,
    names: [&'static str; METHODS.len()],
}

static ROUTES: LazyLock<RwLock<HashMap<&'static str, &'static Resolved>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

/// The route a request matched: its `http.route` value and its span name.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) template: StringValue,
    pub(crate) name: Cow<'static, str>,
    /// Identifies a shared template (its address); 0 for one resolved per request.
    pub(crate) id: usize,
}

/// `template` served with `method`: shared values for the first [`LIMIT`] templates.
pub(crate) fn resolve(method: Verb, template: &str) -> Route {
    let i = method.index;
    if let Some(r) = lookup(template) {
        return Route {
            template: StringValue::from(r.template),
            name: Cow::Borrowed(r.names[i]),
            id: r.template.as_ptr() as usize,
        };
    }
    Route {
        template: StringValue::from(template.to_string()),
        name: Cow::Owned(format!("{} {template}", METHODS[i])),
        id: 0,
    }
}

fn lookup(template: &str) -> Option<&'static Resolved> {
    if let Some(r) = ROUTES.read().ok()?.get(template) {
        return Some(r);
    }
    let mut routes = ROUTES.write().ok()?;
    if let Some(r) = routes.get(template) {
        return Some(r);
    }
    if routes.len() >= LIMIT {
        return None;
    }
    // Kept for the process's life, on purpose: bounded by LIMIT.
    let template: &'static str = Box::leak(template.into());
    let names = METHODS.map(|m| &*Box::leak(format!("{m} {template}").into_boxed_str()));
    let r: &'static Resolved = Box::leak(Box::new(Resolved { template, names }));
    routes.insert(template, r);
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_is_resolved_once_and_named_per_method() {
        let get = resolve(Verb::of(&Method::GET), "/orders/{id}");
        let post = resolve(Verb::of(&Method::POST), "/orders/{id}");
        assert_eq!(get.template.as_str(), "/orders/{id}");
        assert_eq!(get.name, "GET /orders/{id}");
        assert_eq!(post.name, "POST /orders/{id}");
        assert!(
            matches!(get.name, Cow::Borrowed(_)),
            "shared, not formatted"
        );
        let odd = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(
            resolve(Verb::of(&odd), "/orders/{id}").name,
            "_OTHER /orders/{id}"
        );
        assert_eq!(Verb::of(&odd).label, "_OTHER");
        // The same template twice is one entry.
        let a = lookup("/orders/{id}").unwrap() as *const Resolved;
        let b = lookup("/orders/{id}").unwrap() as *const Resolved;
        assert_eq!(a, b);

        // Past the limit (a route table without end) a route is resolved per request.
        for i in 0..LIMIT {
            resolve(Verb::of(&Method::GET), &format!("/fill/{i}"));
        }
        let late = resolve(Verb::of(&Method::GET), "/late/{id}");
        assert_eq!(late.name, "GET /late/{id}");
        assert_eq!(late.template.as_str(), "/late/{id}");
        assert!(matches!(late.name, Cow::Owned(_)));
        assert_eq!(late.id, 0);
        assert_ne!(get.id, 0);
        assert_eq!(get.id, post.id);
        assert!(lookup("/late/{id}").is_none());
        assert!(matches!(
            resolve(Verb::of(&Method::GET), "/orders/{id}").name,
            Cow::Borrowed(_)
        ));
    }
}
