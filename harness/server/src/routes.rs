//! Placement's URL map (`placement/handler.py` `ROUTE_DECLARATIONS`): which
//! path is which route, and which methods each route has.
//!
//! Path parameters are percent-decoded here and checked by the handlers
//! (strict UUIDs, class and trait names), so that a malformed one is a 400
//! naming the parameter rather than a 404.

use axum::http::Method;

/// One route of the API, with its raw path parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`.
    Root,
    /// `/resource_providers`.
    Providers,
    /// `/resource_providers/{uuid}`.
    Provider(String),
    /// `/resource_providers/{uuid}/inventories`.
    Inventories(String),
    /// `/resource_providers/{uuid}/inventories/{resource_class}`.
    Inventory(String, String),
    /// `/resource_providers/{uuid}/usages`.
    ProviderUsages(String),
    /// `/resource_providers/{uuid}/aggregates`.
    Aggregates(String),
    /// `/resource_providers/{uuid}/allocations`.
    ProviderAllocations(String),
    /// `/resource_providers/{uuid}/traits`.
    ProviderTraits(String),
    /// `/allocations`.
    Allocations,
    /// `/allocations/{consumer_uuid}`.
    ConsumerAllocations(String),
    /// `/allocation_candidates`.
    AllocationCandidates,
    /// `/traits`.
    Traits,
    /// `/traits/{name}`.
    Trait(String),
    /// `/usages`.
    Usages,
    /// `/reshaper`.
    Reshaper,
    /// `/resource_classes`.
    ResourceClasses,
    /// `/resource_classes/{name}`.
    ResourceClass(String),
}

impl Route {
    /// The route of a request path, if any; `None` also for a path whose
    /// percent-encoding is not UTF-8.
    pub fn of(path: &str) -> Option<Route> {
        let rest = path.strip_prefix('/')?;
        if rest.is_empty() {
            return Some(Route::Root);
        }
        let raw: Vec<&str> = rest.split('/').collect();
        let mut parts = Vec::with_capacity(raw.len());
        for p in raw {
            if p.is_empty() {
                return None;
            }
            parts.push(percent_decode(p)?);
        }
        let p: Vec<&str> = parts.iter().map(String::as_str).collect();
        let own = |s: &str| s.to_owned();
        Some(match p.as_slice() {
            ["resource_providers"] => Route::Providers,
            ["resource_providers", u] => Route::Provider(own(u)),
            ["resource_providers", u, "inventories"] => Route::Inventories(own(u)),
            ["resource_providers", u, "inventories", rc] => Route::Inventory(own(u), own(rc)),
            ["resource_providers", u, "usages"] => Route::ProviderUsages(own(u)),
            ["resource_providers", u, "aggregates"] => Route::Aggregates(own(u)),
            ["resource_providers", u, "allocations"] => Route::ProviderAllocations(own(u)),
            ["resource_providers", u, "traits"] => Route::ProviderTraits(own(u)),
            ["allocations"] => Route::Allocations,
            ["allocations", c] => Route::ConsumerAllocations(own(c)),
            ["allocation_candidates"] => Route::AllocationCandidates,
            ["traits"] => Route::Traits,
            ["traits", n] => Route::Trait(own(n)),
            ["usages"] => Route::Usages,
            ["reshaper"] => Route::Reshaper,
            ["resource_classes"] => Route::ResourceClasses,
            ["resource_classes", n] => Route::ResourceClass(own(n)),
            _ => return None,
        })
    }

    /// The methods the route has, in Placement's `Allow` order.
    pub fn methods(&self) -> &'static [Method] {
        const GET: &[Method] = &[Method::GET];
        const GET_POST: &[Method] = &[Method::GET, Method::POST];
        const GET_PUT: &[Method] = &[Method::GET, Method::PUT];
        const GET_PUT_DELETE: &[Method] = &[Method::GET, Method::PUT, Method::DELETE];
        const GET_DELETE_PUT: &[Method] = &[Method::GET, Method::DELETE, Method::PUT];
        const ALL_FOUR: &[Method] = &[Method::GET, Method::POST, Method::PUT, Method::DELETE];
        const POST: &[Method] = &[Method::POST];
        match self {
            Route::Root
            | Route::ProviderUsages(_)
            | Route::ProviderAllocations(_)
            | Route::AllocationCandidates
            | Route::Traits
            | Route::Usages => GET,
            Route::Providers | Route::ResourceClasses => GET_POST,
            Route::Provider(_) | Route::ResourceClass(_) => GET_DELETE_PUT,
            Route::Inventories(_) => ALL_FOUR,
            Route::Inventory(..) | Route::ConsumerAllocations(_) => GET_PUT_DELETE,
            Route::Aggregates(_) => GET_PUT,
            Route::ProviderTraits(_) | Route::Trait(_) => GET_PUT_DELETE,
            Route::Allocations | Route::Reshaper => POST,
        }
    }
}

/// Decodes `%XX` escapes; `None` when they do not make UTF-8 or are cut.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_paths() {
        assert_eq!(Route::of("/"), Some(Route::Root));
        assert_eq!(
            Route::of("/resource_providers/x/inventories/VCPU"),
            Some(Route::Inventory("x".into(), "VCPU".into()))
        );
        assert_eq!(
            Route::of("/traits/CUSTOM%5FA"),
            Some(Route::Trait("CUSTOM_A".into()))
        );
        assert_eq!(Route::of("/resource_providers/"), None);
        assert_eq!(Route::of("/nope"), None);
        assert_eq!(Route::of("/traits/%ff"), None);
        assert_eq!(Route::of("/traits/%f"), None);
        assert_eq!(Route::of("nope"), None);
    }
}
