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
        upload_scan, get_upload_job, list_scans, list_findings, get_finding, explain_finding, finding_events,
        triage_finding, list_fixes, list_assets, list_teams, list_suggestions, list_tokens,
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
        ApprovalView, ApprovalDecision, VexSuggestionView,
        crate::branches_api::BranchView, crate::branches_api::RetiredBranchView,
        MetricsJson, GateJson, SarifJson, crate::governance::PolicyView,
        crate::governance::PolicyRuleView, crate::governance::PolicyDiagnostic,
        crate::governance::PolicyCheck, crate::sso::SessionsEnded
    )),
    modifiers(&BearerAuth),
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

/// The OpenAPI document (no token needed).
pub(crate) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
