//! `auth_required` (CWE-306): every route but the public ones (`/`, the
//! version document) answers 401 to a request without credentials or with
//! an empty or garbage token, and that 401 reveals nothing: no internals,
//! no echo of the token, no hint about the object asked for.

use crate::cause::Cause;
use crate::exchange::{Credentials, Exchange};
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::{Context, leak};

/// Requests without valid credentials to a route that needs them.
pub fn judges(ex: &Exchange, ctx: &Context) -> bool {
    let req = ex.request();
    req.credentials != Credentials::Valid && !ctx.public_routes.contains(&req.route)
}

/// Judges requests sent without valid credentials.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    let req = ex.request();
    let status = ex.status();
    let how = match req.credentials {
        Credentials::None => "no credentials",
        Credentials::Empty => "an empty token",
        _ => "a garbage token",
    };
    // Rule: under noauth2 every non-empty token names a user (that is the
    // mode: `user:project`, or the token itself as user and project), so a
    // made-up token is a role-less user and its 403 is the policy speaking,
    // not a missing authentication. A 2xx is still judged below: no route
    // of Placement lets a role-less user in.
    if ctx.tokens_name_users
        && req.credentials == Credentials::Garbage
        && matches!(status, 403 | 404)
    {
        return Vec::new();
    }
    // The cause is the authentication rule that let the request on: what
    // credentials it carried and how far it got, whatever the route.
    let (severity, evidence, cause) = if (200..300).contains(&status) {
        (
            Severity::Critical,
            format!("answered {status} to {how}"),
            Cause::new(
                format!("{how}:2xx"),
                format!("Requests with {how} are answered as if authenticated"),
            ),
        )
    } else if status != 401 {
        // 403 or 404 before 401 means the request reached authorization or
        // routing logic as somebody.
        (
            Severity::Medium,
            format!("answered {status} instead of 401 to {how}"),
            Cause::new(
                format!("{how}:{status}"),
                format!("Requests with {how} reach past authentication ({status}, not 401)"),
            ),
        )
    } else {
        let mut leaks: Vec<String> = leak::scan(&ex.body_text())
            .into_iter()
            .map(|s| s.what.to_owned())
            .collect();
        leaks.extend(
            ex.echoed_secrets()
                .iter()
                .map(|n| format!("the {n} echoed")),
        );
        let named = req.object.as_deref().filter(|o| ex.body_text().contains(o));
        if named.is_some() {
            leaks.push("the object named".to_owned());
        }
        if leaks.is_empty() {
            return Vec::new();
        }
        let mut evidence = leaks.clone();
        if let Some(obj) = named {
            if let Some(last) = evidence.last_mut() {
                *last = format!("the object {obj} named");
            }
        }
        (
            Severity::Medium,
            format!("the 401 body reveals {}", evidence.join("; ")),
            Cause::new(
                format!("{how}:401-reveals:{}", leaks.join("+")),
                format!("The 401 for {how} reveals {}", leaks.join("; ")),
            ),
        )
    };
    vec![
        Finding::from_exchange(
            CheckId::AuthRequired,
            severity,
            format!("{} {} without valid credentials", req.method, req.route),
            evidence,
            ex,
        )
        .because(cause),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    #[test]
    fn real_placement_401_passes() {
        let e = from_fixture("GET", "/resource_providers", "no_token")
            .persona("anonymous")
            .creds(Credentials::None)
            .build();
        assert!(check(&e, &Context::default()).is_empty());
    }

    #[test]
    fn answering_without_credentials_trips() {
        let e = ex("GET", "/resource_providers", 200, "{}")
            .persona("anonymous")
            .creds(Credentials::Garbage)
            .build();
        assert_eq!(
            check(&e, &Context::default())[0].severity,
            Severity::Critical
        );
        let nf = ex("GET", "/resource_providers/{uuid}", 404, "{}")
            .creds(Credentials::Empty)
            .build();
        assert_eq!(
            check(&nf, &Context::default())[0].severity,
            Severity::Medium
        );
    }

    #[test]
    fn root_is_public_and_leaky_401_trips() {
        let root = from_fixture("GET", "/", "root")
            .creds(Credentials::None)
            .build();
        assert!(check(&root, &Context::default()).is_empty());
        let leaky = ex("GET", "/traits", 401, "Traceback (most recent call last):")
            .creds(Credentials::None)
            .build();
        assert!(
            check(&leaky, &Context::default())[0]
                .evidence
                .contains("traceback")
        );
    }
}

#[cfg(test)]
mod noauth2_tests {
    use super::*;
    use crate::oracle::testutil::ex;

    #[test]
    fn a_made_up_token_is_a_user_under_noauth2_only() {
        let denied = ex("GET", "/resource_providers", 403, r#"{"errors": []}"#)
            .creds(Credentials::Garbage)
            .build();
        assert_eq!(check(&denied, &Context::default()).len(), 1);
        let noauth2 = Context {
            tokens_name_users: true,
            ..Context::default()
        };
        assert!(check(&denied, &noauth2).is_empty());
        let let_in = ex("GET", "/resource_providers", 200, "{}")
            .creds(Credentials::Garbage)
            .build();
        assert_eq!(check(&let_in, &noauth2).len(), 1);
        let empty = ex("GET", "/resource_providers", 403, "{}")
            .creds(Credentials::Empty)
            .build();
        assert_eq!(check(&empty, &noauth2).len(), 1);
    }
}
