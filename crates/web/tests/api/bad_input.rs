//! Bad input as a permanent test (issue 17): every parameter of every route — path
//! segments, query parameters, JSON body fields, form fields, the tokens — gets NUL bytes,
//! 100 000 characters, bidirectional overrides, zero-width characters, integer overflow,
//! malformed ids and JSON of the wrong type. No answer may be a server error, and the server
//! answers as before afterwards.
//!
//! The routes are the authorization matrix's rows (so a new route is covered once it has its
//! row), each sent as a caller the matrix lets through, so that the input reaches the checks
//! behind the permission; the API's query parameters and body fields come from the OpenAPI
//! document, a page's query parameters from the list below, a form's fields from its row.
//! A few more starting points reach fields that only count in one kind of request (a
//! duplicate's reference, a case's submissions, a vote's offer).

use std::collections::BTreeSet;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::both;
use crate::matrix::{Body, CALLERS, Fixture, Row, Sent, Who, request_to, setup, table};
use crate::support::{Backend, spawn};

/// The query parameters the pages read (any page may be given any of them).
const PAGE_QUERY: [&str; 19] = [
    "status",
    "kind",
    "submitter_role",
    "unit",
    "assignee",
    "handler",
    "vagval",
    "overdue",
    "from",
    "to",
    "q",
    "page",
    "next",
    "code",
    "klart",
    "fran",
    "org",
    "ny",
    "svar",
];

/// Bad text, as (label, value).
fn bad_texts() -> Vec<(&'static str, String)> {
    vec![
        ("NUL", "\u{0}".into()),
        ("NUL+text", "\u{0}abc".into()),
        ("100000 chars", "a".repeat(100_000)),
        ("bidi override", "abc\u{202E}fed\u{202C}".into()),
        ("zero-width", "\u{200B}".into()),
        ("control", "a\u{1}\u{1b}[31m".into()),
        ("i64::MAX", "9223372036854775807".into()),
        ("-1", "-1".into()),
        ("20 digits", "99999999999999999999".into()),
        ("malformed id", "../../etc/passwd'\"--".into()),
        ("uuid-like", "00000000-0000-0000-0000-00000000000g".into()),
        ("FTS syntax", "\"abc OR NEAR( * -".into()),
    ]
}

/// Bad JSON values for a field, as (label, JSON text).
fn bad_json() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = bad_texts()
        .into_iter()
        .map(|(l, v)| (format!("string {l}"), Value::String(v).to_string()))
        .collect();
    for raw in [
        "9223372036854775807",
        "-9223372036854775808",
        "-1",
        "99999999999999999999",
        "1e999",
        "0.5",
        "null",
        "true",
        "[]",
        "{}",
        r#"["\u0000"]"#,
        r#"["a\u202Eb", 9223372036854775807]"#,
        r#"{"a": "\u0000"}"#,
    ] {
        out.push((raw.to_string(), raw.to_string()));
    }
    out
}

/// Percent-encodes every byte but the unreserved ones.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Bad values for a path segment or a query parameter, already encoded.
/// A URI is at most 65 534 bytes (the `http` crate's limit, on both ends), so the overlong
/// value of a path or a query is 60 000 characters.
fn bad_encoded() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = bad_texts()
        .into_iter()
        .map(|(l, v)| match l {
            "100000 chars" => ("60000 chars".to_string(), "a".repeat(60_000)),
            _ => (l.to_string(), enc(&v)),
        })
        .collect();
    out.push(("invalid UTF-8".into(), "%FF%FE".into()));
    out.push(("raw NUL+text".into(), "%00abc".into()));
    out.push(("encoded slash".into(), "a%2F..%2Fb".into()));
    out
}

/// One request to send.
struct Probe {
    label: String,
    who: usize,
    method: &'static str,
    path: String,
    sent: Sent,
    /// A bearer token in place of the caller's.
    bearer: Option<String>,
}

/// The caller the matrix lets through on this row (the first whose cell is not a refusal);
/// the anonymous caller when every one is refused.
fn let_through(r: &Row) -> usize {
    r.expect
        .split_whitespace()
        .position(|c| !matches!(c, "401" | "403" | "404" | "L" | "J"))
        .unwrap_or(0)
}

/// The OpenAPI document's query parameters and body fields of an API operation.
fn openapi_fields(spec: &Value, method: &str, route: &str) -> (Vec<String>, Vec<String>) {
    let path = route.trim_start_matches("/api/v1");
    let key = if path == "/healthz" { path } else { route };
    let op = &spec["paths"][key][method.to_lowercase()];
    let query = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    let mut schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        schema = spec["components"]["schemas"][name].clone();
    }
    let fields = schema["properties"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    (query, fields)
}

/// Starting points beyond the matrix's rows: requests whose fields count only in one kind
/// of request.
fn more_starts() -> Vec<Row> {
    use Body::{Form, Json};
    let row = |method, route, path, send| Row {
        method,
        route,
        path,
        send,
        // Let through: the advisor (or the participant, for votes).
        expect: "401 403 200 403 200 403 403 403 403 200 200 404 404 403 401",
    };
    let participant = "401 401 401 401 401 401 401 401 401 401 401 401 401 401 200";
    vec![
        // Unit A1's submission is new: a duplicate may be marked of it.
        row(
            "POST",
            "/api/v1/submissions/{id}/actions",
            "/api/v1/submissions/{sub1}/actions",
            Json(json!({ "action": "mark_duplicate", "duplicate_of": "2026/00001" })),
        ),
        row(
            "POST",
            "/api/v1/submissions/{id}/actions",
            "/api/v1/submissions/{sub}/actions",
            Json(json!({ "action": "assign", "assignee": "nej" })),
        ),
        row(
            "POST",
            "/api/v1/cases",
            "/api/v1/cases",
            Json(
                json!({ "title": "Ett ärende", "description": "Något.", "unit": "unit-a2", "template": "spelplanen", "submissions": ["2026/00001"], "handler": "nej" }),
            ),
        ),
        row(
            "POST",
            "/api/v1/cases/{id}/members",
            "/api/v1/cases/{case}/members",
            Json(json!({ "user_id": "nej", "function": "testa" })),
        ),
        row(
            "POST",
            "/api/v1/cases/{id}/details",
            "/api/v1/cases/{case}/details",
            Json(
                json!({ "title": "Ett ärende", "description": "Något.", "unit": "unit-a2", "handler": "nej", "confidential": true, "legal_ground": "OSL 31:16" }),
            ),
        ),
        row(
            "POST",
            "/api/v1/cases/{id}/result",
            "/api/v1/cases/{case}/result",
            Json(json!({ "kind": "adopt", "unit": "unit-a1" })),
        ),
        row(
            "POST",
            "/api/v1/cases/{id}/result",
            "/api/v1/cases/{case}/result",
            Json(
                json!({ "kind": "measure", "name": "Väntetid", "measure_unit": "min", "before": "10", "after": "5" }),
            ),
        ),
        row(
            "POST",
            "/api/v1/campaigns/{code}/ideas/{idea}/status",
            "/api/v1/campaigns/{W}/ideas/{idea}/status",
            Json(json!({ "status": "withdrawn" })),
        ),
        Row {
            expect: participant,
            ..row(
                "POST",
                "/api/v1/campaigns/{code}/votes",
                "/api/v1/campaigns/{W}/votes",
                Json(
                    json!({ "offer_id": "00000000-0000-0000-0000-000000000000", "choice": "skip", "reason": "Vet inte", "response_ms": 1000 }),
                ),
            )
        },
        Row {
            expect: participant,
            ..row(
                "POST",
                "/api/v1/campaigns/{code}/scores",
                "/api/v1/campaigns/{W}/scores",
                Json(json!({ "idea_id": "{idea}", "scores": { "nej": 3 } })),
            )
        },
        row(
            "POST",
            "/inkorg/{id}/dubblett",
            "/inkorg/{sub1}/dubblett",
            Form(vec![("duplicate_of", "2026/00001"), ("assignee", "nej")]),
        ),
        row(
            "POST",
            "/arenden/nytt",
            "/arenden/nytt",
            Form(vec![
                ("title", "Ett ärende"),
                ("description", "Något."),
                ("unit", "unit-a2"),
                ("template", "spelplanen"),
                ("submissions", "2026/00001"),
                ("handler", "nej"),
            ]),
        ),
        row(
            "POST",
            "/arenden/{id}/grupp",
            "/arenden/{case}/grupp",
            Form(vec![("user_id", "nej"), ("function", "testa")]),
        ),
        row(
            "POST",
            "/workshop/{code}/kriterier",
            "/workshop/{W}/kriterier",
            Form(vec![
                ("weight_nej", "3"),
                ("new_name", "Nytt"),
                ("new_weight", "3"),
            ]),
        ),
        Row {
            expect: "401 403 403 403 200 403 403 403 403 403 200 403 403 403 401",
            ..row(
                "POST",
                "/processer/aktivera",
                "/processer/aktivera",
                Form(vec![("region", "region-a"), ("template", "nej")]),
            )
        },
        Row {
            expect: "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200",
            ..row(
                "POST",
                "/logga-in",
                "/logga-in",
                Form(vec![
                    ("email", "ingen@x.se"),
                    ("password", "x"),
                    ("next", "/inkorg"),
                ]),
            )
        },
    ]
}

/// Every probe for one row.
fn probes_of(spec: &Value, fx: &Fixture, callers: &[Who], r: &Row) -> Vec<Probe> {
    let who = let_through(r);
    let filled = fx.fill(r.path);
    let (path, query) = match filled.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (filled.clone(), None),
    };
    let with_query = |p: &str, extra: &str| match &query {
        Some(q) => format!("{p}?{q}&{extra}"),
        None => format!("{p}?{extra}"),
    };
    let plain = |p: &str| match &query {
        Some(q) => format!("{p}?{q}"),
        None => p.to_string(),
    };
    let api = path.starts_with("/api/");
    let (api_query, api_fields) = if api {
        openapi_fields(spec, r.method, r.route)
    } else {
        (Vec::new(), Vec::new())
    };
    let base_sent = || match &r.send {
        Body::Nothing => Sent::Nothing,
        Body::Json(v) => Sent::Json(fx.fill(&v.to_string())),
        Body::Form(f) => Sent::Form(f.iter().map(|(k, v)| (k.to_string(), fx.fill(v))).collect()),
        Body::Multipart(f, name, bytes) => Sent::Multipart(
            f.iter().map(|(k, v)| (k.to_string(), fx.fill(v))).collect(),
            name.to_string(),
            bytes.clone(),
        ),
    };
    let mut out = Vec::new();
    let name = format!("{} {}", r.method, r.path);

    // Path segments: each one the route names with braces.
    let route_segments: Vec<&str> = r.route.split('/').collect();
    let path_segments: Vec<&str> = path.split('/').collect();
    if route_segments.len() == path_segments.len() {
        for (i, seg) in route_segments.iter().enumerate() {
            if !seg.starts_with('{') {
                continue;
            }
            for (label, v) in bad_encoded() {
                let mut s = path_segments.clone();
                s[i] = &v;
                out.push(Probe {
                    label: format!("{name}: path {seg} = {label}"),
                    who,
                    method: r.method,
                    path: plain(&s.join("/")),
                    sent: base_sent(),
                    bearer: None,
                });
            }
        }
    }

    // Query parameters.
    if r.method == "GET" {
        let names: Vec<String> = if api {
            api_query
        } else {
            PAGE_QUERY.iter().map(|s| s.to_string()).collect()
        };
        for q in &names {
            for (label, v) in bad_encoded() {
                out.push(Probe {
                    label: format!("{name}: ?{q}= {label}"),
                    who,
                    method: r.method,
                    path: with_query(&path, &format!("{q}={v}")),
                    sent: Sent::Nothing,
                    bearer: None,
                });
            }
        }
    }

    // JSON body fields, and bodies that are not what they should be.
    if api && r.method == "POST" {
        let base: Value = match &r.send {
            Body::Json(v) => serde_json::from_str(&fx.fill(&v.to_string())).unwrap_or(json!({})),
            _ => json!({}),
        };
        let mut fields: BTreeSet<String> = api_fields.into_iter().collect();
        if let Some(o) = base.as_object() {
            fields.extend(o.keys().cloned());
        }
        for f in &fields {
            for (label, raw) in bad_json() {
                let mut b = base.clone();
                b[f.as_str()] = json!("__BAD__");
                let text = b.to_string().replace("\"__BAD__\"", &raw);
                out.push(Probe {
                    label: format!("{name}: {f} = {label}"),
                    who,
                    method: r.method,
                    path: plain(&path),
                    sent: Sent::Json(text),
                    bearer: None,
                });
            }
        }
        for (label, bytes) in [
            ("not JSON", b"not json".to_vec()),
            ("an array", b"[]".to_vec()),
            ("a NUL string", br#""\u0000""#.to_vec()),
            ("cut off", br#"{"a":"#.to_vec()),
            ("invalid UTF-8", b"{\"text\":\"\xff\xfe\"}".to_vec()),
            ("deep", "[".repeat(10_000).into_bytes()),
        ] {
            out.push(Probe {
                label: format!("{name}: body {label}"),
                who,
                method: r.method,
                path: plain(&path),
                sent: Sent::Raw(bytes, "application/json"),
                bearer: None,
            });
        }
    }

    // Form fields, one at a time; also as bytes that are not UTF-8.
    if let Body::Form(fields) = &r.send {
        let base: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), fx.fill(v)))
            .collect();
        for (i, (f, _)) in base.iter().enumerate() {
            for (label, v) in bad_texts() {
                let mut form = base.clone();
                form[i].1 = v;
                out.push(Probe {
                    label: format!("{name}: form {f} = {label}"),
                    who,
                    method: r.method,
                    path: plain(&path),
                    sent: Sent::Form(form),
                    bearer: None,
                });
            }
            let mut body = format!("_csrf={}", callers[who].csrf);
            for (j, (k, v)) in base.iter().enumerate() {
                let v = if i == j { "%FF%FE".to_string() } else { enc(v) };
                body.push_str(&format!("&{}={v}", enc(k)));
            }
            out.push(Probe {
                label: format!("{name}: form {f} = invalid UTF-8"),
                who,
                method: r.method,
                path: plain(&path),
                sent: Sent::Raw(body.into_bytes(), "application/x-www-form-urlencoded"),
                bearer: None,
            });
        }
    }

    // The bearer token.
    if api {
        for (label, v) in [
            ("i64::MAX", "9223372036854775807".to_string()),
            ("-1", "-1".to_string()),
            ("long", "a".repeat(100_000)),
            ("malformed", "sluss_'\"--".to_string()),
        ] {
            out.push(Probe {
                label: format!("{name}: bearer {label}"),
                who,
                method: r.method,
                path: plain(&path),
                sent: base_sent(),
                bearer: Some(v),
            });
        }
    }
    out
}

async fn no_server_error_on_bad_input(backend: Backend) {
    let t = spawn(backend).await;
    let spec: Value = serde_json::from_str(web::api::openapi_json()).expect("valid JSON");
    let (callers, fx) = setup(&t).await;
    // Signing out would end a caller's session for the rows after it.
    let rows: Vec<Row> = table()
        .into_iter()
        .filter(|r| r.route != "/logga-ut")
        .chain(more_starts())
        .collect();
    let probes: Vec<Probe> = rows
        .iter()
        .flat_map(|r| probes_of(&spec, &fx, &callers, r))
        .collect();
    assert!(probes.len() > 5_000, "only {} probes", probes.len());
    let tr = &t;
    let callers = &callers;
    let answers: Vec<(String, Result<u16, String>)> = futures_util::stream::iter(probes)
        .map(|p| async move {
            let who = &callers[p.who];
            let mut req = request_to(tr, who, p.method, &p.path, p.sent);
            if let Some(b) = &p.bearer {
                req = req.bearer_auth(b);
            }
            let res = req.send().await;
            (
                p.label,
                res.map(|r| r.status().as_u16()).map_err(|e| e.to_string()),
            )
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut problems: Vec<String> = answers
        .into_iter()
        .filter_map(|(label, r)| match r {
            Ok(s) if s < 500 => None,
            Ok(s) => Some(format!("{label}: {s}")),
            Err(e) => Some(format!(
                "{label}: no answer ({})",
                e.to_string().chars().take(160).collect::<String>()
            )),
        })
        .collect();
    problems.sort();
    // The server still answers, as before.
    let health = t
        .http
        .get(t.url("/healthz"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    if !matches!(health, Ok(200)) {
        problems.push(format!("/healthz afterwards: {health:?}"));
    }
    let admin = CALLERS.iter().position(|c| *c == "admin").expect("admin");
    let list = t
        .api_get(
            callers[admin].token.as_deref().unwrap_or_default(),
            "/api/v1/submissions",
        )
        .await
        .status();
    if list != 200 {
        problems.push(format!("GET /api/v1/submissions afterwards: {list}"));
    }
    t.finish().await;
    assert!(
        problems.is_empty(),
        "{} server errors on bad input ({backend:?}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
both!(no_server_error_on_bad_input);
