//! The dashboard's daily-work pages (a child of [`crate::web`]): bulk triage from the
//! findings list (the checked findings, one decision, all or nothing) and the component
//! inventory (`/components`).

use super::*;

/// Decodes an `application/x-www-form-urlencoded` body into its pairs, in order (a key may
/// repeat: every checked finding sends an `ids`).
fn form_pairs(body: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Where to go back to after a bulk decision: the findings list the form was on (a path of
/// this dashboard, never another site).
fn back_to(given: &str) -> String {
    let given = given.trim();
    let safe = given.starts_with("/findings")
        && !given.starts_with("/findings/")
        && !given.contains("//")
        && !given.contains('\\')
        && given.chars().all(|c| c.is_ascii_graphic());
    if safe {
        given.to_string()
    } else {
        "/findings".to_string()
    }
}

/// `POST /findings/triage`: the bulk form of the findings list.
pub(super) async fn bulk_triage_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    headers: HeaderMap,
    body: String,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        let mut page = error_page(
            &state,
            Some(&viewer),
            &ApiError::BadRequest("the bulk triage form is sent as a form".into()),
        );
        *page.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return page;
    }
    let pairs = form_pairs(&body);
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if let Err(e) = check_csrf(&viewer, &field("csrf")) {
        return error_page(&state, Some(&viewer), &e);
    }
    let mut ids = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "ids") {
        match v.trim().parse::<i64>() {
            Ok(id) => ids.push(id),
            Err(_) => {
                return error_page(
                    &state,
                    Some(&viewer),
                    &ApiError::BadRequest(format!("ids: `{v}` is not a finding id")),
                );
            }
        }
    }
    if ids.is_empty() {
        return error_page(
            &state,
            Some(&viewer),
            &ApiError::BadRequest(
                "no finding is checked: check the findings to decide on, then apply".into(),
            ),
        );
    }
    let back = back_to(&field("back"));
    let request = api::BulkTriageRequest {
        ids,
        state: field("state"),
        reason: field("reason"),
        expires: Some(field("expires")),
    };
    let principal = viewer.principal.clone();
    let done = state
        .blocking(move |s| api::apply_bulk_triage(s, &principal, client, request))
        .await;
    match done {
        Ok(outcome) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            let to = format!(
                "{back}{sep}decided={}&waiting={}",
                outcome.decided.len(),
                outcome.pending.len()
            );
            let mut r = Redirect::to(&at(&state, &to)).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

/// The notice of the findings list after a bulk decision.
pub(super) fn bulk_notice(decided: &str, waiting: &str) -> Option<String> {
    let decided: usize = decided.trim().parse().ok()?;
    let waiting: usize = waiting.trim().parse().unwrap_or(0);
    Some(match waiting {
        0 => format!("Decision recorded on {decided} finding(s)."),
        w => format!(
            "Decision recorded on {decided} finding(s); {w} wait(s) for approval by a holder of the role the policy names (nothing changes on those until then)."
        ),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ComponentsPageParams {
    #[serde(default)]
    q: String,
}

/// `GET /components`: the inventory, searchable.
pub(super) async fn components_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ComponentsPageParams>,
) -> Response {
    let principal = viewer.principal.clone();
    let q = params.q.trim().to_string();
    let search = (!q.is_empty()).then(|| q.clone());
    let data = state
        .blocking(move |s| api::components_for(s, &principal, search.as_deref(), 200))
        .await;
    match data {
        Ok(page) => render(
            &state,
            "components.html",
            minijinja::context! {
                nav => "components",
                viewer => viewer_context(&state, &viewer),
                csrf => viewer.csrf.clone(),
                components => sv(&page.components),
                total => page.total,
                q => q,
            },
        ),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_repeated_keys_and_escapes() {
        let pairs = form_pairs("ids=1&ids=22&reason=a+b%2Fc&csrf=x%3Dy");
        assert_eq!(
            pairs,
            vec![
                ("ids".to_string(), "1".to_string()),
                ("ids".to_string(), "22".to_string()),
                ("reason".to_string(), "a b/c".to_string()),
                ("csrf".to_string(), "x=y".to_string()),
            ]
        );
    }

    #[test]
    fn the_way_back_stays_on_the_findings_list() {
        assert_eq!(back_to("/findings?asset=a%2Fb"), "/findings?asset=a%2Fb");
        assert_eq!(back_to("https://evil.example/"), "/findings");
        assert_eq!(back_to("//evil.example/findings"), "/findings");
        assert_eq!(back_to("/findings/1"), "/findings");
        assert_eq!(back_to(""), "/findings");
    }
}
