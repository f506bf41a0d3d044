//! Route templates: a concrete URL path mapped to the Placement route it
//! hits (`/resource_providers/{uuid}/inventories/{resource_class}`), so that
//! findings hash the template, not the concrete URL: one bug found with a
//! hundred malformed UUIDs is one finding per input class, not a hundred.
//!
//! The table is Placement's own route list (`placement/handler.py`,
//! `ROUTE_DECLARATIONS`), which has not changed shape up to microversion
//! 1.39, as the request model has it. A path outside it keeps its own
//! text as its route.

/// Every route of Placement 1.39, in `handler.py`'s order: the routes of
/// the request model's operations ([`crate::surface`]), each once.
pub fn routes() -> &'static [&'static str] {
    static ROUTES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        let mut routes: Vec<&'static str> = Vec::new();
        for op in crate::operations() {
            if !routes.contains(&op.route) {
                routes.push(op.route);
            }
        }
        routes
    })
}

/// Whether `route` has `method`: what a server asks of every request,
/// answered without building the list [`methods`] gives.
pub fn has(route: &str, method: &str) -> bool {
    crate::operations()
        .iter()
        .any(|op| op.route == route && op.method == method)
}

/// The methods `route` has, in the order of its operations in the model
/// (`handler.py`'s, which Placement's `Allow` header keeps); empty for a
/// route the model does not have.
pub fn methods(route: &str) -> Vec<&'static str> {
    crate::operations()
        .iter()
        .filter(|op| op.route == route)
        .map(|op| op.method)
        .collect()
}

/// A path matched to its route, with the values of its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteMatch {
    /// The template, or the path itself when no route matched.
    pub template: String,
    /// `(parameter name, raw segment)` in path order, still percent-encoded.
    pub params: Vec<(String, String)>,
    /// Whether a route of [`routes`] matched.
    pub known: bool,
}

impl RouteMatch {
    /// The raw value of the parameter whose name is `uuid` or ends in `_uuid`.
    pub fn uuid_param(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == "uuid" || n.ends_with("_uuid"))
            .map(|(_, v)| v.as_str())
    }
}

/// The path of a URL or path: scheme, host, query and fragment removed.
pub fn path_of(url: &str) -> &str {
    let after_scheme = match url.find("://") {
        Some(i) => {
            let rest = url.get(i + 3..).unwrap_or("");
            match rest.find('/') {
                Some(j) => rest.get(j..).unwrap_or("/"),
                None => "/",
            }
        }
        None => url,
    };
    let end = after_scheme.find(['?', '#']).unwrap_or(after_scheme.len());
    after_scheme.get(..end).unwrap_or(after_scheme)
}

/// Matches `url` (a full URL or a path) to a route. `prefix` is the path
/// of the target's base URL (`/placement` behind a proxy), removed first.
pub fn match_route(url: &str, prefix: &str) -> RouteMatch {
    let path = path_of(url);
    let prefix = prefix.trim_end_matches('/');
    let rel = match path.strip_prefix(prefix) {
        Some(r) if !prefix.is_empty() && (r.is_empty() || r.starts_with('/')) => r,
        _ => path,
    };
    let rel = if rel.is_empty() { "/" } else { rel };
    // Placement's router (selector) ignores one trailing slash on no route
    // but `/`; keep the exact path when it does not match.
    let segments: Vec<&str> = rel.trim_start_matches('/').split('/').collect();
    for route in routes() {
        let parts: Vec<&str> = route.trim_start_matches('/').split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        let mut ok = true;
        for (part, seg) in parts.iter().zip(&segments) {
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if seg.is_empty() {
                    ok = false;
                    break;
                }
                params.push((name.to_owned(), (*seg).to_owned()));
            } else if part != seg {
                ok = false;
                break;
            }
        }
        if ok {
            return RouteMatch {
                template: (*route).to_owned(),
                params,
                known: true,
            };
        }
    }
    RouteMatch {
        template: rel.to_owned(),
        params: Vec::new(),
        known: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `handler.py` declares `/resource_providers/{uuid}` as GET, DELETE,
    /// PUT and `/resource_classes/{name}` as GET, PUT, DELETE; Placement's
    /// `Allow` header lists them so.
    #[test]
    fn methods_keep_handler_py_order() {
        assert_eq!(
            methods("/resource_providers/{uuid}"),
            ["GET", "DELETE", "PUT"]
        );
        assert_eq!(
            methods("/resource_classes/{name}"),
            ["GET", "PUT", "DELETE"]
        );
        assert_eq!(methods("/reshaper"), ["POST"]);
        assert!(methods("/nope").is_empty());
        for route in routes() {
            for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] {
                assert_eq!(has(route, method), methods(route).contains(&method));
            }
        }
    }

    #[test]
    fn the_decoding_order_holds_every_operation_once() {
        let decoding = crate::decoding_order();
        let mut a: Vec<_> = decoding.iter().map(|o| (o.method, o.route)).collect();
        let mut b: Vec<_> = crate::surface()
            .iter()
            .map(|o| (o.method, o.route))
            .collect();
        assert_eq!(a.len(), b.len());
        a.sort();
        b.sort();
        assert_eq!(a, b);
        // By route first: a route's operations are next to each other.
        let routes: Vec<&str> = decoding.iter().map(|o| o.route).collect();
        let mut deduped = routes.clone();
        deduped.dedup();
        assert_eq!(deduped, routes_of_order());
    }

    fn routes_of_order() -> Vec<&'static str> {
        routes().to_vec()
    }

    #[test]
    fn concrete_paths_map_to_templates() {
        let m = match_route(
            "http://127.0.0.1:8/resource_providers/abc/inventories/VCPU?x=1",
            "",
        );
        assert_eq!(
            m.template,
            "/resource_providers/{uuid}/inventories/{resource_class}"
        );
        assert_eq!(m.uuid_param(), Some("abc"));
        assert_eq!(match_route("/", "").template, "/");
        assert_eq!(match_route("http://h:1", "").template, "/");
        assert_eq!(
            match_route("/allocations/x%0A", "").template,
            "/allocations/{consumer_uuid}"
        );
        assert_eq!(
            match_route("http://h/placement/traits/T", "/placement").template,
            "/traits/{name}"
        );
        let unknown = match_route("/nope/1", "");
        assert!(!unknown.known);
        assert_eq!(unknown.template, "/nope/1");
        assert!(!match_route("/resource_providers/", "").known);
    }
}
