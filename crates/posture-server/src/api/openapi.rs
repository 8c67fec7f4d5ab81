//! The OpenAPI 3 document of the API, generated from the handlers' annotations and served
//! at `/api/v1/openapi.json` (no token needed).

use super::*;
use crate::error::ErrorBody;
use crate::schemas::*;
use axum::Json;
use utoipa::OpenApi;

/// The OpenAPI 3 document of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Posture API",
        description = "Upload scanner reports, list and triage findings, plan their remediation by fix, read assets, teams and scans, run the CI gate, read the policy and programme metrics. Every request needs `Authorization: Bearer <token>` (`posture token create`). 401: no valid token; 403: the token's role or scope does not allow it.",
        license(name = "Apache-2.0")
    ),
    paths(
        upload_scan, get_upload_job, list_scans, list_findings, get_finding, explain_finding,
        finding_events, triage_finding, bulk_triage, list_fixes, list_assets, list_components,
        list_teams, list_suggestions, list_tokens,
        create_token, revoke_token, audit_log, me, list_feeds, team_members, add_team_member,
        remove_team_member, list_users, create_user, grant_role, revoke_role, list_approvals,
        approve_request, reject_request, list_vex_suggestions, apply_vex_suggestion,
        dismiss_vex_suggestion,
        crate::branches_api::list_branches, crate::branches_api::delete_branch,
        crate::sso::end_sessions_api,
        crate::governance::get_metrics, crate::governance::run_gate,
        crate::governance::get_policy, crate::governance::check_policy
    ),
    components(schemas(
        ErrorBody, UploadJobView, FindingJson, OccurrenceJson, RiskJson, EventJson, SuggestionJson,
        ExplanationJson, ScanJson, IngestSummaryJson, SeverityJson, StatusJson, FindingPage,
        TriageRequest, AssetView, TeamView, TokenView, TokenCreateRequest, TokenCreated,
        AuditView, Me, UploadForm, FeedView, FixPlanJson, UserView, UserCreateRequest,
        ApprovalView, ApprovalDecision, VexSuggestionView, BulkTriageRequest, BulkTriageOutcome,
        PendingDecision, ComponentPage, ComponentJson, ComponentAssetJson,
        crate::branches_api::BranchView, crate::branches_api::RetiredBranchView,
        MetricsJson, GateJson, SarifJson, crate::governance::PolicyView,
        crate::governance::PolicyRuleView, crate::governance::PolicyDiagnostic,
        crate::governance::PolicyCheck, crate::sso::SessionsEnded
    )),
    modifiers(&BearerAuth, &Contract),
    security(("bearer" = [])),
    tags(
        (name = "scans", description = "Report uploads and the scan history"),
        (name = "findings", description = "Findings, their evidence, history and triage"),
        (name = "portfolio", description = "Assets, teams, suggested duplicates"),
        (name = "access", description = "Tokens, users, their approval roles and team memberships, and the audit log (admin)"),
        (name = "governance", description = "The policy, the CI gate and programme metrics (as `posture policy check`, `posture gate`, `posture metrics`)")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A Posture API token (pst_...)"))
                    .build(),
            ),
        );
    }
}

/// What makes the document valid OpenAPI whatever a handler's annotation forgot: every
/// response has a description (a required field: 34 of 75 lacked one, and validators refuse
/// the document), and a raw body (`application/octet-stream`) is a string of bytes, not an
/// array of numbers (generated clients sent a JSON array).
struct Contract;

/// The description of a response whose annotation gives none.
fn describe(status: &str) -> &'static str {
    match status {
        "200" => "Success",
        "201" => "Created",
        "202" => "Accepted, waiting",
        "204" => "Done, nothing to answer",
        "400" => "A bad parameter or body; the message names it",
        "401" => "No valid token",
        "403" => "The token's role or scope does not allow this",
        "404" => "Not found, or not readable by this token",
        "405" => "Not a method of this path",
        "409" => "In conflict with the current state or the server's configuration",
        "413" => "Over the size cap",
        "415" => "A Content-Type this endpoint does not take",
        "422" => "Not a report Posture reads, or a body of the wrong shape",
        "429" => "Too many requests at once; retry after Retry-After",
        "507" => "The database's disk is full; nothing was stored",
        _ => "An error, in the documented shape",
    }
}

impl utoipa::Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ];
            for op in operations.into_iter().flatten() {
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(r) = response
                        && r.description.trim().is_empty()
                    {
                        r.description = describe(status).to_string();
                    }
                }
                if let Some(RefOr::T(body)) = &mut op.request_body
                    && let Some(RefOr::T(content)) =
                        body.content.get_mut("application/octet-stream")
                {
                    content.schema = Some(RefOr::T(Schema::Object(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                            .build(),
                    )));
                }
            }
        }
    }
}

/// The OpenAPI document (no token needed).
pub(crate) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
