//! Hostile text, route by route. A NUL (or another control character) in
//! any text a route reads — a path parameter, a query parameter, a JSON
//! string however deeply nested, a form field — is refused with a 4xx that
//! names the field, before anything reaches a database; on SQLite and on
//! PostgreSQL, which cannot keep a NUL in text at all.
//!
//! The cases are generated: routes from the service's route table, query
//! parameters and JSON fields from the live OpenAPI document, form fields
//! from the forms the pages themselves show. A new route is covered by
//! construction; one whose form cannot be found fails with a note.

use aftercare_server::{Access, Route, route_table};
use serde_json::{Value, json};

use super::helpers::{
    ClinicFixture, Reply, TestApp, TreatmentFixture, on_every_backend, on_every_backend_with,
};
use super::isolation::{Browser, diary_link, setup_link, sign_in};
use super::{checkin, chest_pain};

/// The text sent in every probe: a NUL between two letters.
const NUL_TEXT: &str = "a\u{0}b";
/// The same, as it goes in a URL.
const NUL_IN_URL: &str = "a%00b";

/// The records a probe's path can name, so that the pages showing forms
/// can be opened for real.
struct Fixture {
    clinic: ClinicFixture,
    treatment: TreatmentFixture,
    setup_link: String,
    diary_link: String,
    reset_link: String,
}

impl Fixture {
    async fn new(app: &TestApp) -> Fixture {
        let clinic = app.clinic("Hostile Clinic").await;
        let treatment = app.treatment(&clinic, 30).await;
        // An open alert, so the dashboard shows its acknowledge form.
        app.post(
            &treatment.link_path("checkins"),
            None,
            &checkin(treatment.at, 2, &chest_pain()),
        )
        .await
        .expect_status(201);
        // A clinic webhook and a client phone, so the course page shows its
        // "send a new link by text message" form (nothing is ever sent).
        app.store
            .put_followup_settings(
                &aftercare_store::ClinicId::parse(&clinic.id).expect("a clinic id"),
                &aftercare_store::Actor::System,
                &aftercare_store::FollowupSettings {
                    webhook_url: Some("https://hooks.example.org/aftercare".to_owned()),
                    webhook_secret: Some(aftercare_store::secret::Secret::from_text(
                        "a-webhook-secret-of-some-length",
                    )),
                    ..aftercare_store::FollowupSettings::default()
                },
                app.now(),
            )
            .await
            .expect("the clinic's webhook");
        Reply::of(
            app.request(
                reqwest::Method::PATCH,
                &format!("/api/v1/clients/{}", treatment.client_id),
                Some(&clinic.owner_token),
            )
            .json(&json!({ "phone": "+44 20 7946 0000" })),
        )
        .await
        .expect_status(200);
        let mut anyone = Browser::new(app);
        let csrf = anyone.csrf("/self-check").await;
        let diary_link = diary_link(app, &mut anyone, &csrf).await;
        // A deactivated therapist, so the team page shows its reactivate
        // form, and a reset link for the active one.
        let clinic_id = aftercare_store::ClinicId::parse(&clinic.id).expect("clinic id");
        let owner = aftercare_store::Actor::Practitioner(
            aftercare_store::PractitionerId::parse(&clinic.owner_id).expect("owner id"),
        );
        let gone = app
            .store
            .create_practitioner(
                &clinic_id,
                &owner,
                "gone@hostile-clinic.test",
                "Gone Therapist",
                aftercare_store::Role::Therapist,
                app.now(),
            )
            .await
            .expect("a therapist");
        app.store
            .set_practitioner_active(&clinic_id, &gone.id, false, &owner, app.now())
            .await
            .expect("deactivate");
        let reset = aftercare_store::secret::Secret::generate("acr_");
        app.store
            .create_password_reset(
                &clinic_id,
                &aftercare_store::PractitionerId::parse(&clinic.therapist_id).expect("id"),
                &reset.hash(),
                &owner,
                app.now(),
                app.now() + 3_600_000,
            )
            .await
            .expect("a reset link");
        Fixture {
            setup_link: setup_link(app).await,
            diary_link,
            reset_link: reset.expose().to_owned(),
            clinic,
            treatment,
        }
    }

    /// A real value for a parameter of a page's path, so the page opens.
    fn value(&self, route: &str, parameter: &str) -> String {
        let value = match (route.split('/').nth(1), parameter) {
            (Some("setup"), "token") => &self.setup_link,
            (Some("c"), "link") => &self.treatment.link_token,
            (Some("self-check"), "link") => &self.diary_link,
            (Some("clients"), "id") => &self.treatment.client_id,
            (Some("treatments"), "id") => &self.treatment.id,
            (Some("team"), "id") => &self.clinic.therapist_id,
            (Some("reset"), "token") => &self.reset_link,
            _ => panic!(
                "{route}: no real value for `{{{parameter}}}`; add one in crates/server/tests/api/hostile.rs"
            ),
        };
        value.clone()
    }
}

/// The names of a path pattern's parameters, e.g. `["id"]`.
fn path_parameters(pattern: &str) -> Vec<&str> {
    pattern
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The pattern with each parameter replaced.
fn concrete(pattern: &str, value: impl Fn(&str) -> String) -> String {
    pattern
        .split('/')
        .map(|segment| {
            match segment
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
            {
                Some(name) => value(name),
                None => segment.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a route answers with pages rather than problem documents.
fn is_page(route: &Route) -> bool {
    matches!(
        route.access,
        Access::PublicPage | Access::SignedIn | Access::LinkPage
    )
}

/// Checks that a probe of `field` on `route` was refused and the field
/// named: a problem document listing it, or a page saying it.
#[track_caller]
fn assert_refused(route: &Route, what: &str, field: &str, reply: &Reply) {
    let name = format!("{} {} ({what} `{field}`)", route.method, route.path);
    assert!(
        (400..500).contains(&reply.status),
        "{name}: a 4xx, not {}: {}",
        reply.status,
        reply.text
    );
    if is_page(route) {
        assert_eq!(reply.status, 422, "{name}: {}", reply.text);
        assert!(
            reply.text.contains(field),
            "{name}: the page names the field: {}",
            reply.text
        );
    } else {
        let problem = reply.problem(422, "invalid-input");
        let named = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|error| error["path"] == field);
        assert!(named, "{name}: the problem names the field: {problem}");
    }
}

/// Sends `method path` with a JSON body, a form or nothing.
async fn send(
    app: &TestApp,
    browser: &mut Browser,
    route: &Route,
    path: &str,
    body: Body,
    token: &str,
) -> Reply {
    let method = reqwest::Method::from_bytes(route.method.as_bytes()).expect("a method");
    if is_page(route) {
        let request = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client")
            .request(method, format!("{}{path}", app.address));
        let request = match body {
            Body::Form(text) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(text),
            Body::Json(_) | Body::None => request,
        };
        return browser.send(request).await;
    }
    let request = app.request(method, path, Some(token));
    let request = match body {
        Body::Json(value) => request.json(&value),
        Body::Form(_) | Body::None => request,
    };
    Reply::of(request).await
}

/// What a probe carries.
enum Body {
    None,
    Json(Value),
    Form(String),
}

#[tokio::test]
async fn a_nul_in_any_text_a_route_reads_is_refused_naming_the_field() {
    // With an SMTP server set, so the "forgot password" page shows its
    // form; nothing is sent, as every probe is refused first.
    let settings = aftercare_server::ServerSettings {
        smtp: Some(aftercare_server::SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: 9,
            tls: aftercare_server::SmtpTls::None,
            username: None,
            password: None,
            from: "Aftercare <aftercare@hostile.example>".to_owned(),
        }),
        ..aftercare_server::ServerSettings::default()
    };
    on_every_backend_with(settings, async |app: &TestApp| {
        let fixture = Fixture::new(app).await;
        let token = fixture.clinic.owner_token.clone();
        let document = app
            .get("/api/v1/openapi.json", None)
            .await
            .expect_status(200)
            .json();
        let mut browser = sign_in(app, &fixture.clinic).await;
        let forms = forms_of_every_page(&fixture, &mut browser).await;
        let mut probes = 0;
        for route in route_table() {
            let operation = &document["paths"][route.path][route.method.to_lowercase()];
            // Path parameters: any value; the check comes first.
            for parameter in path_parameters(route.path) {
                let path = concrete(route.path, |name| {
                    if name == parameter {
                        NUL_IN_URL.to_owned()
                    } else {
                        "x".to_owned()
                    }
                });
                let reply = send(app, &mut browser, &route, &path, Body::None, &token).await;
                assert_refused(&route, "path parameter", parameter, &reply);
                probes += 1;
            }
            // Query parameters: those the document lists, and one it does
            // not (every query parameter is checked, read or not).
            let mut query: Vec<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|parameter| parameter["in"] == "query")
                .filter_map(|parameter| parameter["name"].as_str().map(str::to_owned))
                .collect();
            query.push("probe".to_owned());
            for name in &query {
                let path = format!(
                    "{}?limit=1&{name}={NUL_IN_URL}",
                    concrete(route.path, |_| "x".to_owned())
                );
                let reply = send(app, &mut browser, &route, &path, Body::None, &token).await;
                assert_refused(&route, "query parameter", name, &reply);
                probes += 1;
            }
            // JSON bodies: every string field of the request schema.
            if let Some(schema) =
                operation["requestBody"]["content"]["application/json"]["schema"].as_object()
            {
                let mut fields = Vec::new();
                string_fields(
                    &document,
                    &Value::Object(schema.clone()),
                    &mut Vec::new(),
                    &mut fields,
                );
                // A body of numbers only (a plan's hours) has nothing to probe.
                let path = concrete(route.path, |name| match name {
                    "token" => fixture.treatment.link_token.clone(),
                    _ => fixture.treatment.id.clone(),
                });
                for steps in fields {
                    let body = body_with_nul_at(&steps);
                    let field = display_path(&steps);
                    let reply =
                        send(app, &mut browser, &route, &path, Body::Json(body), &token).await;
                    assert_refused(&route, "JSON field", &field, &reply);
                    probes += 1;
                }
            }
            // Forms: every field of every form that posts to this route.
            if is_page(&route) && route.method == "POST" {
                let fields: Vec<&(String, String)> = forms
                    .iter()
                    .filter(|(action, _)| matches_pattern(route.path, action))
                    .collect();
                assert!(
                    !fields.is_empty(),
                    "POST {}: no page shows a form posting here; open it in Fixture::value \
                     (crates/server/tests/api/hostile.rs)",
                    route.path
                );
                for (action, field) in fields {
                    let form: String = form_urlencoded::Serializer::new(String::new())
                        .append_pair("csrf_token", "whatever")
                        .append_pair(field, NUL_TEXT)
                        .finish();
                    let reply =
                        send(app, &mut browser, &route, action, Body::Form(form), &token).await;
                    assert_refused(&route, "form field", field, &reply);
                    probes += 1;
                }
            }
        }
        assert!(probes > 100, "{probes} probes");
        eprintln!("{probes} probes, each refused naming its field");
        // Nothing was stored: the owner's clinic still has its one client.
        let clients = app
            .get("/api/v1/clients", Some(&token))
            .await
            .expect_status(200)
            .json();
        assert_eq!(clients["items"].as_array().map(Vec::len), Some(1));
    })
    .await;
}

/// Every form on every page a signed-in owner (or the holder of a link)
/// can open: (action, field name) pairs.
async fn forms_of_every_page(fixture: &Fixture, browser: &mut Browser) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for route in route_table() {
        if !is_page(&route) || route.method != "GET" {
            continue;
        }
        let path = concrete(route.path, |name| fixture.value(route.path, name));
        let page = browser.get(&path).await;
        assert_eq!(page.status, 200, "GET {path}: {}", page.text);
        found.extend(forms_in(&page.text));
        // A page of several steps (a check-in, a diary's next check-in)
        // shows its first step's form behind a link to `?step=`.
        let step_links: Vec<String> = page
            .text
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|href| href.starts_with(&format!("{path}?step=")))
            .map(|href| href.replace("&amp;", "&"))
            .collect();
        for link in step_links {
            let step = browser.get(&link).await;
            assert_eq!(step.status, 200, "GET {link}: {}", step.text);
            found.extend(forms_in(&step.text));
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The (action, field name) pairs of the forms in a page.
fn forms_in(html: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for form in html.split("<form").skip(1) {
        let form = form.split("</form>").next().unwrap_or_default();
        let Some(action) = attribute(form, "action") else {
            continue;
        };
        let mut rest = form;
        while let Some(at) = rest.find(" name=\"") {
            rest = &rest[at..];
            if let Some(name) = attribute(rest, "name") {
                found.push((action.clone(), name));
            }
            rest = &rest[7..];
        }
    }
    found
}

/// The value of the first `name="…"` attribute in `html`.
fn attribute(html: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

/// Whether a concrete path fits a route's pattern.
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let (pattern, path): (Vec<&str>, Vec<&str>) =
        (pattern.split('/').collect(), path.split('/').collect());
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(expected, sent)| expected.starts_with('{') || expected == sent)
}

/// One step into a JSON document.
#[derive(Clone, Debug)]
enum Step {
    Member(String),
    Item,
}

/// The paths of every string a schema allows, objects and arrays followed
/// (the first item of an array), references resolved.
fn string_fields(document: &Value, schema: &Value, at: &mut Vec<Step>, found: &mut Vec<Vec<Step>>) {
    if at.len() > 8 {
        return;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let resolved = &document["components"]["schemas"][name];
        assert!(!resolved.is_null(), "a schema named {name}");
        string_fields(document, resolved, at, found);
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for alternative in schema[key].as_array().into_iter().flatten() {
            string_fields(document, alternative, at, found);
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"string") && !at.is_empty() {
        found.push(at.clone());
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            at.push(Step::Member(name.clone()));
            string_fields(document, property, at, found);
            at.pop();
        }
    }
    if !schema["items"].is_null() {
        at.push(Step::Item);
        string_fields(document, &schema["items"], at, found);
        at.pop();
    }
}

/// A body holding only the path to one field, with a NUL in it.
fn body_with_nul_at(steps: &[Step]) -> Value {
    match steps.split_first() {
        None => json!(NUL_TEXT),
        Some((Step::Member(name), rest)) => json!({ name: body_with_nul_at(rest) }),
        Some((Step::Item, rest)) => json!([body_with_nul_at(rest)]),
    }
}

/// A path as the service names fields: `symptoms[0].kind`.
fn display_path(steps: &[Step]) -> String {
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Member(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            Step::Item => path.push_str("[0]"),
        }
    }
    path
}

/// The probes that found the outage on PostgreSQL: each is a client's
/// mistake (422, the field named), not "the database is unavailable"
/// (503, try again), and the service stays ready.
#[tokio::test]
async fn the_nul_probes_that_once_answered_503_are_refused_as_input() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Probe Clinic").await;
        let token = Some(clinic.owner_token.as_str());
        for (path, field) in [
            ("/api/v1/clients?after=%C3%99%00", "after"),
            ("/api/v1/treatments?after=abc%00", "after"),
            ("/api/v1/audit?after=%00", "after"),
            ("/api/v1/alerts?after=%00", "after"),
        ] {
            let reply = app.get(path, token).await;
            let problem = reply.field_problem(422, field);
            assert!(reply.header("retry-after").is_none(), "{path}: {problem}");
        }
        // The public sign-in form, with a valid form token.
        let mut anyone = Browser::new(app);
        let csrf = anyone.csrf("/login").await;
        let refused = anyone
            .post(
                "/login",
                &[
                    ("csrf_token", &csrf),
                    ("email", "a\u{0}b@x.y"),
                    ("password", "whatever"),
                ],
            )
            .await
            .expect_status(422);
        assert!(refused.text.contains("email"), "{}", refused.text);
        assert!(!anyone.cookies.contains_key("ac_session"));
        app.get("/readyz", None).await.expect_status(200);
    })
    .await;
}

/// Cursors are read as what they are: an id (or, for alerts, a position);
/// anything else is refused rather than handed to the store.
#[tokio::test]
async fn a_cursor_that_no_page_gave_is_refused_and_a_real_one_pages_on() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Cursor Clinic").await;
        let token = Some(clinic.owner_token.as_str());
        for after in [
            "abc",
            "01a22bfb-ba1f-77f2-869e-6a278ce432c",
            "1%20OR%201=1",
            "%E2%82%AC",
        ] {
            app.get(&format!("/api/v1/clients?after={after}"), token)
                .await
                .field_problem(422, "after");
        }
        app.get("/api/v1/alerts?after=-1", token)
            .await
            .field_problem(422, "after");
        for name in ["Ann", "Bea", "Cy"] {
            app.post(
                "/api/v1/clients",
                token,
                &json!({ "name": name, "follow_up_consent": true }),
            )
            .await
            .expect_status(201);
        }
        let first = app
            .get("/api/v1/clients?limit=2", token)
            .await
            .expect_status(200)
            .json();
        let next = first["next"].as_str().expect("a next cursor");
        // An upper-case cursor is the same id.
        let second = app
            .get(
                &format!("/api/v1/clients?limit=2&after={}", next.to_uppercase()),
                token,
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(second["items"][0]["name"], "Cy");
        // An empty cursor is the first page.
        app.get("/api/v1/clients?after=", token)
            .await
            .expect_status(200);
    })
    .await;
}

/// Headers: a NUL cannot even arrive (the HTTP parser refuses the request
/// before the service sees it), and a header the service reads is checked
/// before use.
#[tokio::test]
async fn a_header_with_a_control_character_never_reaches_a_store() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Header Clinic").await;
        let treatment = app.treatment(&clinic, 3).await;
        let body = checkin(treatment.at, 1, &chest_pain()).to_string();
        let path = treatment.link_path("checkins");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Idempotency-Key: a\u{0}b\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let answer = app.raw_http(&request).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        // Bytes above ASCII reach the service, which refuses them by name.
        let reply = Reply::of(
            app.request(reqwest::Method::POST, &path, None)
                .header(
                    "idempotency-key",
                    reqwest::header::HeaderValue::from_bytes(b"key-\xc2\x85").expect("a value"),
                )
                .json(&checkin(treatment.at, 1, &chest_pain())),
        )
        .await;
        reply.field_problem(422, "Idempotency-Key");
        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200)
            .json();
        assert_eq!(course["checkins"].as_array().map(Vec::len), Some(0));
    })
    .await;
}

/// A NUL deep inside a JSON body is named by its path, and several are
/// named together.
#[tokio::test]
async fn nuls_deep_in_a_json_body_are_each_named_by_path() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Json Clinic").await;
        let treatment = app.treatment(&clinic, 3).await;
        let body = json!({
            "at": super::rfc3339(treatment.at + 3_600_000),
            "symptoms": [
                { "kind": "soreness", "severity": "mild" },
                { "kind": "cramp", "regions": ["calves", "lower\u{0}back"] }
            ],
            "note": "fine\u{0}",
        });
        let reply = app
            .post(&treatment.link_path("checkins"), None, &body)
            .await;
        let problem = reply.problem(422, "invalid-input");
        let paths: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|error| error["path"].as_str())
            .collect();
        assert_eq!(paths, ["note", "symptoms[1].regions[1]"], "{problem}");
        // Tabs and line breaks are text; the note is stored.
        let body = json!({
            "at": super::rfc3339(treatment.at + 3_600_000),
            "symptoms": [],
            "note": "line one\r\n\tline two",
        });
        app.post(&treatment.link_path("checkins"), None, &body)
            .await
            .expect_status(201);
    })
    .await;
}
