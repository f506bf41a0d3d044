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

    /// The route's template, as the API description writes it.
    pub fn template(&self) -> &'static str {
        match self {
            Route::Root => "/",
            Route::Providers => "/resource_providers",
            Route::Provider(_) => "/resource_providers/{uuid}",
            Route::Inventories(_) => "/resource_providers/{uuid}/inventories",
            Route::Inventory(..) => "/resource_providers/{uuid}/inventories/{resource_class}",
            Route::ProviderUsages(_) => "/resource_providers/{uuid}/usages",
            Route::Aggregates(_) => "/resource_providers/{uuid}/aggregates",
            Route::ProviderAllocations(_) => "/resource_providers/{uuid}/allocations",
            Route::ProviderTraits(_) => "/resource_providers/{uuid}/traits",
            Route::Allocations => "/allocations",
            Route::ConsumerAllocations(_) => "/allocations/{consumer_uuid}",
            Route::AllocationCandidates => "/allocation_candidates",
            Route::Traits => "/traits",
            Route::Trait(_) => "/traits/{name}",
            Route::Usages => "/usages",
            Route::Reshaper => "/reshaper",
            Route::ResourceClasses => "/resource_classes",
            Route::ResourceClass(_) => "/resource_classes/{name}",
        }
    }

    /// Whether the route has `method` (otherwise a 405).
    pub fn allows(&self, method: &Method) -> bool {
        placement_api::route::has(self.template(), method.as_str())
    }

    /// The methods the route has, in Placement's `Allow` order, as the API
    /// description lists its operations.
    pub fn methods(&self) -> Vec<Method> {
        placement_api::route::methods(self.template())
            .into_iter()
            .filter_map(|m| Method::from_bytes(m.as_bytes()).ok())
            .collect()
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

    /// The router and the API description have the same routes: every
    /// route of the description, its parameters filled in, routes here to
    /// itself, with methods; and the router has no route the description
    /// lacks.
    #[test]
    fn routes_are_the_api_descriptions() {
        let described = placement_api::route::routes();
        for template in described {
            let path = template
                .split('/')
                .map(|seg| if seg.starts_with('{') { "x" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let path = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            let route = Route::of(&path).unwrap_or_else(|| panic!("{path} is not routed"));
            assert_eq!(route.template(), *template, "{path}");
            assert!(!route.methods().is_empty(), "{template} has no method");
        }
        let every = [
            Route::Root,
            Route::Providers,
            Route::Provider(String::new()),
            Route::Inventories(String::new()),
            Route::Inventory(String::new(), String::new()),
            Route::ProviderUsages(String::new()),
            Route::Aggregates(String::new()),
            Route::ProviderAllocations(String::new()),
            Route::ProviderTraits(String::new()),
            Route::Allocations,
            Route::ConsumerAllocations(String::new()),
            Route::AllocationCandidates,
            Route::Traits,
            Route::Trait(String::new()),
            Route::Usages,
            Route::Reshaper,
            Route::ResourceClasses,
            Route::ResourceClass(String::new()),
        ];
        assert_eq!(every.len(), described.len());
        for r in every {
            assert!(described.contains(&r.template()), "{r:?} is not described");
        }
    }
}
