//! The `html` report: one self-contained page (no script, no external
//! resource) with issues grouped by check, each with its fix and a
//! reproducer, and its findings as expandable instances, each with its
//! evidence, the response excerpt and a curl reproducer. Everything that came from the
//! server or the request is HTML-escaped: the page shows hostile input, it
//! must never run it.

use std::fmt::Write as _;

use crate::finding::CheckId;
use crate::report::Report;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}\
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}\
.critical{color:#fff;background:#8b0000}.high{color:#fff;background:#c0392b}\
.medium{background:#f39c12}.low{background:#f7dc6f}.info{background:#d6eaf8}\
.sev{padding:0 .4em;border-radius:.2em;font-size:.9em}";

/// Renders the page.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let title = format!("placement-harness findings: {}", report.run_id);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let _ = writeln!(
        s,
        "<p>Target <code>{}</code> ({}), {} {}, {} requests, {} issues ({} findings).</p>",
        escape(&report.target.url),
        escape(&report.target.profile),
        escape(&report.tool.name),
        escape(&report.tool.version),
        report.requests,
        report.issues.len(),
        report.findings.len()
    );
    s.push_str(
        "<table>\n<tr><th>check</th><th>CWE</th><th>judged</th><th>issues</th><th>findings</th></tr>\n",
    );
    for check in CheckId::ALL {
        let n = report.findings_of(check).count();
        let issues = report.issues.iter().filter(|i| i.check == check).count();
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#{0}\">{0}</a></td><td>CWE-{1}</td><td>{2}</td><td>{3}</td><td>{4}</td></tr>",
            check.as_str(),
            check.cwe(),
            report.judged(check),
            issues,
            n
        );
    }
    s.push_str("</table>\n");
    if !report.claims.is_empty() {
        s.push_str(
            "<h2 id=\"claims\">claims</h2>\n<table>\n<tr><th>claim</th><th>verdict</th><th>evidence</th></tr>\n",
        );
        for c in &report.claims {
            let evidence: Vec<String> = if c.issues.is_empty() {
                c.steps
                    .iter()
                    .map(|st| {
                        let why = st
                            .reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default();
                        format!("{} {}{why}", escape(&st.place), st.outcome)
                    })
                    .collect()
            } else {
                c.issues
                    .iter()
                    .map(|i| format!("<a href=\"#i-{0}\">{0}</a>", escape(i)))
                    .collect()
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.claim),
                c.verdict.as_str(),
                evidence.join("<br>")
            );
        }
        s.push_str("</table>\n");
    }
    if !report.errors.is_empty() {
        // What the run could not do: a clean table above means nothing for
        // the steps listed here.
        s.push_str("<h2 id=\"not-done\">not done</h2>\n<ul>\n");
        for e in &report.errors {
            let _ = writeln!(
                s,
                "<li>{} <code>{}</code>: {}</li>",
                escape(e.kind),
                escape(&e.place),
                escape(&e.message)
            );
        }
        s.push_str("</ul>\n");
    }
    let by_id: std::collections::BTreeMap<&str, &crate::finding::Finding> =
        report.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    for check in CheckId::ALL {
        let issues: Vec<_> = report.issues.iter().filter(|i| i.check == check).collect();
        if issues.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "<h2 id=\"{0}\">{0}</h2>\n<p>{1}</p>",
            check.as_str(),
            escape(check.description())
        );
        for issue in issues {
            let _ = writeln!(
                s,
                "<section id=\"i-{id}\">\n<h3><span class=\"sev {sev}\">{sev}</span> {title}</h3>\n\
                 <p>{cwe} &middot; issue <code>{id}</code> &middot; fingerprint <code>{fp}</code>{source}</p>\n\
                 <p>Fix: {fix}</p>\n<pre>{curl}</pre>\n<details><summary>{n} instance{s}</summary>",
                id = escape(&issue.id),
                sev = issue.severity.as_str(),
                title = escape(&issue.title),
                cwe = escape(&issue.cwe),
                fp = escape(&issue.fingerprint),
                source = issue
                    .source
                    .as_deref()
                    .map(|src| format!(" &middot; <code>{}</code>", escape(src)))
                    .unwrap_or_default(),
                fix = escape(&issue.fix),
                curl = escape(&issue.reproducer),
                n = issue.instances.len(),
                s = if issue.instances.len() == 1 { "" } else { "s" },
            );
            for f in issue
                .instances
                .iter()
                .filter_map(|i| by_id.get(i.finding_id.as_str()))
            {
                let _ = writeln!(
                    s,
                    "<section id=\"f-{id}\">\n<h4><span class=\"sev {sev}\">{sev}</span> {title}</h4>\n\
                     <p>{check} &middot; {cwe} &middot; <code>{method} {route}</code> as <b>{persona}</b> &middot; status {status} &middot; id <code>{id}</code></p>\n\
                     <p>{evidence}</p>\n<pre>{curl}</pre>\n<details><summary>response body{cut}</summary><pre>{body}</pre></details>\n</section>",
                    id = escape(&f.id),
                    sev = f.severity.as_str(),
                    title = escape(&f.title),
                    check = f.check.as_str(),
                    cwe = escape(&f.cwe),
                    method = escape(&f.method),
                    route = escape(&f.route),
                    persona = escape(&f.persona),
                    status = f.response.status,
                    evidence = escape(&f.evidence),
                    curl = escape(&f.curl),
                    cut = if f.response.body_excerpt.truncated {
                        " (cut)"
                    } else {
                        ""
                    },
                    body = escape(&f.response.body_excerpt.text),
                );
            }
            s.push_str("</details>\n</section>\n");
        }
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn escapes_everything_from_the_wire() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let page = render(&fixture::report());
        // The fixture's hostile input and response carry a <script>.
        assert!(!page.contains("<script"), "unescaped script in the page");
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&fixture::report()));
    }

    #[test]
    fn lists_what_was_not_done_escaped() {
        let page = render(&fixture::report());
        assert!(!page.contains("not done"), "no error, no section");
        let report = fixture::report().with_errors(vec![crate::report::RunError {
            kind: "cleanup",
            place: "consumer <c>".into(),
            message: "the target stopped answering".into(),
        }]);
        let page = render(&report);
        assert!(page.contains(
            "<li>cleanup <code>consumer &lt;c&gt;</code>: the target stopped answering</li>"
        ));
    }
}
