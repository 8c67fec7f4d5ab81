use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Posture: one place for every security scanner's findings.
///
/// Ingest reports from SAST, SCA, container, IaC, secret and DAST scanners (format detected from
/// content), deduplicate them across re-scans, and track each finding from first seen to fixed.
///
/// Exit codes: 0 success, 1 a check failed, 2 bad usage, bad input or another error.
#[derive(Debug, Parser)]
#[command(
    name = "posture",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The database: a SQLite file path, created on first use [default: posture.db;
    /// posture-demo.db for `posture demo`].
    #[arg(long, global = true, env = "POSTURE_DATABASE")]
    pub database: Option<String>,

    /// The portfolio configuration (assets, teams, ownership, risk weights) [default:
    /// posture.toml in the current directory, when present].
    #[arg(long, global = true, env = "POSTURE_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest scanner reports for an asset (one transaction: all reports or none).
    Ingest(IngestArgs),
    /// List findings.
    Findings(FindingsArgs),
    /// Show one finding: its occurrences across tools and its history.
    Show(ShowArgs),
    /// Explain one finding: every occurrence with its tool, report and locator, why it belongs
    /// to the finding (the correlation rule, its confidence and reason), suggested duplicates,
    /// and the history.
    Explain(ShowArgs),
    /// Merge one finding into another (a person's decision, kept across re-imports).
    Merge(MergeArgs),
    /// Split an occurrence out of its finding into a finding of its own (kept across
    /// re-imports: Posture never correlates them again).
    Split(SplitArgs),
    /// List suggested duplicates, or accept or reject one.
    Suggestions(SuggestionsArgs),
    /// Measure correlation against labeled data: for each target folder (reports plus a
    /// LABELS.tsv, as in the multiscan corpus), pairwise precision and recall of Posture's
    /// merges, per category, with every false merge and miss. Exits 1 below the targets.
    Evaluate(EvaluateArgs),
    /// Remediation by fix: the open findings grouped into the actions that close them (package
    /// upgrades to the lowest version that fixes them all, base images, code fixes), ranked by
    /// the risk they remove.
    Fixes(FixesArgs),
    /// The component inventory: which assets hold a package, in which versions, with their
    /// open findings (from the findings' packages and the runtime SBOMs).
    Components(ComponentsArgs),
    /// List ingested scans.
    Scans(ScansArgs),
    /// An asset's branches: list them (default branch first), or delete one. Deleting (or a
    /// branch idle for `[branches] retire_after_days`, 30 by default, retiring by itself)
    /// closes its occurrences without counting fixes; a new scan of it brings it back.
    #[command(subcommand)]
    Branches(crate::branches::BranchesCommand),
    /// Threat feeds: import CISA KEV and FIRST EPSS files, list the imports.
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// The risk model: what changes under other weights.
    #[command(subcommand)]
    Risk(RiskCommand),
    /// Who owns what: open findings per team (from posture.toml and CODEOWNERS), and the
    /// unowned findings.
    Owners(OwnersArgs),
    /// The portfolio's assets in the configuration file (--config, default posture.toml): list
    /// them, or add or change one (comments and order of the file are kept).
    #[command(subcommand)]
    Assets(AssetsCommand),
    /// Record a triage decision on a finding (kept across re-imports): the state machine,
    /// risk acceptance with expiry and approver; `triage expire` reopens expired acceptances.
    Triage(TriageArgs),
    /// Programme metrics computed from the event log, as of any date: MTTR by service, team
    /// and severity, open criticals past SLA, finding density, scanner coverage, opened vs
    /// fixed per week and regressions.
    Metrics(MetricsArgs),
    /// The CI gate: ingest the given reports (or read what is stored) for an asset and branch,
    /// evaluate the policy on the findings new relative to the baseline branch (or all), honour
    /// approved exceptions. Exit 0 pass, 1 the policy blocks, 2 error.
    Gate(Box<GateArgs>),
    /// Policies as code: check a policy file, or backtest it over the stored history.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// List the report formats Posture reads.
    Formats(FormatsArgs),
    /// Upload reports to a Posture server in one all-or-nothing upload (token from
    /// POSTURE_TOKEN); --gate then exits with the server's verdict (0 pass, 1 blocks, 2 error).
    Push(Box<crate::push::PushArgs>),
    /// Export findings in a standard format: SARIF, CSV, CycloneDX VEX, OpenVEX or OCSF.
    Export(crate::integrations::ExportArgs),
    /// Queue notifications of new events and send the due outbox entries to the [[webhook]]s
    /// of posture.toml (generic signed JSON, Slack, Teams); failed ones are retried later.
    Notify(crate::integrations::NotifyArgs),
    /// Jira: the reconciling sync of issues with findings, and its conflict log.
    #[command(subcommand)]
    Jira(crate::integrations::JiraCommand),
    /// Generate a realistic demo portfolio (six services, four teams, months of weekly scans
    /// by five scanners), ingest it into a fresh database, then serve the dashboard on
    /// localhost (the URL and a sign-in token are printed; --no-serve to stop after ingest).
    Demo(DemoArgs),
    /// Serve the REST API (/api/v1, bearer tokens) and the web dashboard. On a first start
    /// (no token yet) an admin token is created and printed once.
    Serve(ServeArgs),
    /// Ask a running server whether it is up (`GET /healthz`): exit 0 when it answers 200, 1
    /// otherwise. For container health checks, where no curl is at hand.
    Healthcheck(HealthcheckArgs),
    /// API tokens: create one (printed once; stored only as a hash), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Users of the server: people and service accounts, and the approval roles people hold
    /// (the roles a policy's `require_approval` names: appsec-lead, vp...).
    #[command(subcommand)]
    User(UserCommand),
    /// The four-eyes queue of a Posture server (token from POSTURE_TOKEN): list the decisions
    /// waiting for a role's approval, approve or reject one under your own identity.
    #[command(subcommand)]
    Approvals(crate::approvals::ApprovalsCommand),
    /// Team memberships recorded for access control: list, add, remove (a developer token
    /// acts for a team only while its user is a member).
    #[command(subcommand)]
    Team(TeamCommand),
    /// Bring the database's schema to this posture's version (prints the version found, the
    /// version now, and each migration applied). Every other command refuses a database at
    /// an older or newer schema; a new, empty database needs no migrate.
    Migrate(crate::maintenance::MigrateArgs),
    /// Write a consistent copy of the SQLite database to a new file while it is in use
    /// (SQLite's online backup; PostgreSQL: pg_dump, see the message).
    Backup(crate::maintenance::BackupArgs),
    /// Replace the SQLite database with a backup file (checked first); refused over a
    /// database that holds data unless --force.
    Restore(crate::maintenance::RestoreArgs),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List users with their kind, approval roles, teams and live tokens.
    List(UserListArgs),
    /// Create a user (a person, or a service account with --service-account), optionally
    /// with approval roles and teams; an existing user gets the roles and teams added.
    Create(UserCreateArgs),
    /// Give a person an approval role (`appsec-lead`, `vp`...).
    Grant(UserRoleArgs),
    /// Take an approval role away.
    Ungrant(UserRoleArgs),
}

#[derive(Debug, Args)]
pub struct UserListArgs {
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// The user's name (as their tokens and sign-in name them).
    pub name: String,
    /// A service account (a pipeline), not a person: it holds no approval role.
    #[arg(long)]
    pub service_account: bool,
    /// An approval role to give; repeat or comma-separate.
    #[arg(long, value_delimiter = ',')]
    pub role: Vec<String>,
    /// A team to record the user as a member of; repeat or comma-separate.
    #[arg(long, value_delimiter = ',')]
    pub team: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UserRoleArgs {
    /// The user.
    pub name: String,
    /// The approval role.
    pub role: String,
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// List the recorded members of every team (or of one).
    Members(TeamMembersArgs),
    /// Record a user as a member of a team.
    Add(TeamMemberArgs),
    /// End a membership: none of the user's tokens acts for the team any more.
    Remove(TeamMemberArgs),
}

#[derive(Debug, Args)]
pub struct TeamMembersArgs {
    /// Only this team.
    pub team: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct TeamMemberArgs {
    pub team: String,
    pub user: String,
}

/// `posture serve`'s options; each can also come from the environment variable it names, so
/// that a container or a unit file configures the server without a command line.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free port).
    #[arg(long, env = "POSTURE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The address people and notifications reach the server at (`https://posture.example/`,
    /// or with a path, `https://tools.example/posture/`, to serve under that sub-path). An
    /// https:// base URL marks cookies Secure.
    #[arg(long, env = "POSTURE_BASE_URL")]
    pub base_url: Option<String>,
    /// Refuse uploads larger than this many bytes (413).
    #[arg(long, env = "POSTURE_MAX_UPLOAD_SIZE", default_value_t = posture_server::DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_size: u64,
    /// Uploads taken at once; beyond, 429 with Retry-After (each upload may hold a few times
    /// its size in memory while it is parsed).
    #[arg(long, env = "POSTURE_MAX_CONCURRENT_UPLOADS", default_value_t = posture_server::DEFAULT_MAX_CONCURRENT_UPLOADS)]
    pub max_concurrent_uploads: usize,
    /// Uploads larger than this many bytes are taken as jobs: `POST /api/v1/scans` answers 202
    /// Accepted with the job's address (`GET /api/v1/uploads/{id}`), where the result (or the
    /// error) is read once the ingest ends; smaller uploads are answered when stored.
    #[arg(long, env = "POSTURE_ASYNC_UPLOAD_ABOVE", default_value_t = posture_server::DEFAULT_ASYNC_UPLOAD_ABOVE)]
    pub async_upload_above: u64,
    /// Connections served at once; beyond, 503 with Retry-After and the connection closed.
    #[arg(long, env = "POSTURE_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// The longest wait for a request's head, and the longest a kept-alive connection may
    /// stay idle (e.g. 30s, 500ms, 2m).
    #[arg(long, env = "POSTURE_HEADER_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub header_timeout: std::time::Duration,
    /// The longest a request body may send nothing (a stalled upload is refused).
    #[arg(long, env = "POSTURE_BODY_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub body_timeout: std::time::Duration,
    /// On SIGTERM or Ctrl-C: how long requests in flight may take to finish before the
    /// server exits anyway.
    #[arg(long, env = "POSTURE_SHUTDOWN_TIMEOUT", default_value = "25s", value_parser = parse_duration)]
    pub shutdown_timeout: std::time::Duration,
    /// How long a dashboard sign-in lasts.
    #[arg(long, env = "POSTURE_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: i64,
    /// Mark cookies Secure (when served behind HTTPS; implied by an https:// --base-url).
    #[arg(long, env = "POSTURE_SECURE_COOKIES", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    pub secure_cookies: bool,
    /// A proxy (address or CIDR network) whose X-Forwarded-For and X-Forwarded-Proto are
    /// believed, so that the audit log records the client rather than the proxy. Repeat it,
    /// or give a comma-separated list in the environment.
    #[arg(long = "trusted-proxy", env = "POSTURE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<posture_server::ops::Cidr>,
    /// Require `Authorization: Bearer <this>` on /metrics (otherwise /metrics is open: keep
    /// it on the internal network).
    #[arg(long, env = "POSTURE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// PostgreSQL: connections in each of the server's two pools (ingests, everything else).
    #[arg(long, env = "POSTURE_POOL_SIZE", default_value_t = posture_store::DEFAULT_POOL_SIZE)]
    pub pool_size: usize,
    /// The log's format on stderr: text, or json (one object per line). `POSTURE_LOG` filters
    /// it (`info` by default; e.g. `warn`, or `posture::request=off` for no request lines).
    #[arg(long, env = "POSTURE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Bring the database's schema up to date before serving (as `posture migrate`);
    /// without it the server refuses a database at an older schema.
    #[arg(long)]
    pub migrate: bool,
    /// Webhook delivery (the outbox) runs this often when posture.toml has [[webhook]]s
    /// (`30s`, `5m`, `1h`; `0`: off).
    #[arg(long, default_value = "1m", value_parser = parse_interval)]
    pub notify_every: std::time::Duration,
    /// The Jira sync runs this often when posture.toml has [jira] and POSTURE_JIRA_TOKEN is
    /// set (`0`: off).
    #[arg(long, default_value = "15m", value_parser = parse_interval)]
    pub jira_every: std::time::Duration,
    /// A threat feed file (CISA KEV JSON/CSV, FIRST EPSS CSV) imported again every
    /// --feeds-every (kept fresh by whatever downloads it); repeat for several.
    #[arg(long = "feed")]
    pub feeds: Vec<std::path::PathBuf>,
    #[arg(long, default_value = "24h", value_parser = parse_interval)]
    pub feeds_every: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The probe's URL [default: /healthz on POSTURE_LISTEN's port, under POSTURE_BASE_URL's
    /// path].
    #[arg(long)]
    pub url: Option<String>,
    /// Ask /readyz (the database answers, the schema is current) instead.
    #[arg(long)]
    pub ready: bool,
    /// Give up after this long.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

/// The server log's format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_cidr(text: &str) -> Result<posture_server::ops::Cidr, String> {
    text.parse()
}

/// `30s`, `500ms`, `2m`, `1h`, or a number of seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 30s, 500ms, 2m)"))?;
    let seconds = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("`{text}`: unknown unit `{other}` (ms, s, m or h)")),
    };
    if !(seconds > 0.0 && seconds < 1e9) {
        return Err(format!("`{text}`: a duration is positive"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// An interval: a number of seconds, or a number with a unit (`s`, `m`, `h`, `d`).
pub fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an interval such as 30s, 5m, 1h or 1d"))?;
    let seconds = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("`{text}`: the unit is s, m, h or d")),
    };
    Ok(std::time::Duration::from_secs(n.saturating_mul(seconds)))
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once (stdout; the details go to stderr).
    Create(TokenCreateArgs),
    /// List tokens (never their values).
    List(TokenListArgs),
    /// Revoke a token (its dashboard sessions end too).
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// admin, appsec, developer (needs --team), reader, or ci (needs --asset).
    #[arg(long)]
    pub role: String,
    /// The team a developer token acts for (the token carries it; also recorded as a
    /// membership of the user, ended when the token is revoked); repeat or comma-separate.
    #[arg(long, value_delimiter = ',')]
    pub team: Vec<String>,
    /// An asset a ci token may upload to; repeat or comma-separate for several.
    #[arg(long, value_delimiter = ',')]
    pub asset: Vec<String>,
    /// A label for the token (default: the role).
    #[arg(long)]
    pub name: Option<String>,
    /// The person or service account it belongs to (default: the name).
    #[arg(long)]
    pub user: Option<String>,
    /// The user is a service account, not a person (ci tokens always belong to one).
    #[arg(long)]
    pub service_account: bool,
    /// Expiry: YYYY-MM-DD (00:00 UTC that day), RFC 3339, or `never`; default 90 days.
    #[arg(long)]
    pub expires: Option<String>,
    /// `json` prints the token with its record; otherwise the bare token (details on stderr).
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token id (see `posture token list`).
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed gives the same portfolio.
    #[arg(long, default_value_t = posture_demo::DEFAULT_SEED)]
    pub seed: u64,
    /// Weeks of history.
    #[arg(long, default_value_t = posture_demo::DEFAULT_WEEKS)]
    pub weeks: u32,
    /// End of the history (RFC 3339); default now.
    #[arg(long)]
    pub until: Option<String>,
    /// Replace the database file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Also write the generated reports to this folder (to try `posture ingest` on them).
    #[arg(long)]
    pub write_reports: Option<std::path::PathBuf>,
    /// Stop after ingesting (do not serve the dashboard).
    #[arg(long)]
    pub no_serve: bool,
    /// Where to serve the dashboard.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

#[cfg(test)]
mod serve_args_tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let d = |t| parse_duration(t).map(|d| d.as_millis());
        assert_eq!(d("30s"), Ok(30_000));
        assert_eq!(d("500ms"), Ok(500));
        assert_eq!(d("2m"), Ok(120_000));
        assert_eq!(d("1.5"), Ok(1_500));
        assert!(d("soon").is_err());
        assert!(d("0s").is_err());
        assert!(d("3 weeks").is_err());
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum KindArg {
    /// A scanner's findings.
    Findings,
    /// Runtime evidence: a runtime inventory (SBOM) of a running workload, or code coverage
    /// and execution counts (lcov, JaCoCo XML, Cobertura XML, coverage.py JSON, Go
    /// coverprofile), which never create findings.
    Runtime,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CoverageEnvironmentArg {
    /// Sampled in production: the strongest evidence.
    Production,
    Staging,
    /// A test suite's coverage: the weakest evidence.
    Test,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Report files (any supported format, detected from content).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The asset (application or service) the reports belong to.
    #[arg(long)]
    pub asset: String,
    /// The branch that was scanned.
    #[arg(long, default_value = "main")]
    pub branch: String,
    /// The commit that was scanned.
    #[arg(long)]
    pub commit: Option<String>,
    /// What was scanned, when it is only part of the asset (a manifest such as
    /// `services/api/requirements.txt`, an image): scans of different targets do not close each
    /// other's findings, and findings whose report names no file get this path.
    #[arg(long)]
    pub target: Option<String>,
    /// The reports' format instead of detecting it (see `posture formats`): `FORMAT` for every
    /// report, `FILE=FORMAT` for one of them (repeatable; it wins over `FORMAT`). A format
    /// given is checked against the content. An empty output that cannot name its tool (`[]`,
    /// `null`, an empty file) needs its format, or a file name that names the tool
    /// (`trufflehog3.json`).
    #[arg(long, value_name = "[FILE=]FORMAT")]
    pub format: Vec<String>,
    /// What the reports are.
    #[arg(long, value_enum, default_value = "findings")]
    pub kind: KindArg,
    /// Where coverage reports (`--kind runtime`) were recorded; default test (the weakest
    /// evidence: say production for production sampling). Their time is `--at`, else the
    /// report's own, else now.
    #[arg(long, value_enum)]
    pub environment: Option<CoverageEnvironmentArg>,
    /// Refuse reports larger than this many bytes.
    #[arg(long, default_value_t = posture_app::DEFAULT_MAX_REPORT_BYTES)]
    pub max_report_size: u64,
    /// Compare again even if the reports are identical to the last scan of their scope.
    #[arg(long)]
    pub force: bool,
    /// The scan time (RFC 3339), for back-filling history; default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Summary format (default: table on a terminal, JSON otherwise).
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct ComponentsArgs {
    /// Text, any case, in the package's name or purl (`--search glibc`).
    #[arg(long)]
    pub search: Option<String>,
    /// Only this asset's packages.
    #[arg(long)]
    pub asset: Option<String>,
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct FixesArgs {
    /// Only this asset's findings.
    #[arg(long)]
    pub asset: Option<String>,
    /// Only findings this team owns (needs a portfolio configuration).
    #[arg(long)]
    pub team: Option<String>,
    /// Show at most this many actions (tables and CSV; JSON is always whole).
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct FindingsArgs {
    #[arg(long)]
    pub asset: Option<String>,
    /// A branch view: the findings open on this branch (a merge request's), whatever the
    /// default branch says of them; the status then filters by triage state. Without it, the
    /// default branch's findings (their status follows it).
    #[arg(long)]
    pub branch: Option<String>,
    /// Comma-separated severities: critical, high, medium, low, info.
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// open (default), fixed, all, or a triage state (confirmed, in-progress, false-positive,
    /// accepted, not-affected); comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "open")]
    pub status: Vec<String>,
    /// Only findings reported by this tool.
    #[arg(long)]
    pub tool: Option<String>,
    /// sast, sca, dast, iac, secret, container or runtime.
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub limit: Option<usize>,
    /// Order: by risk score, highest first (default: the store's order).
    #[arg(long, value_enum)]
    pub sort: Option<SortArg>,
    /// Only findings in these risk bands (P1, P2, P3, P4), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub band: Vec<String>,
    /// Only findings with a vulnerability in the CISA KEV catalog (see `posture feeds`).
    #[arg(long)]
    pub kev: bool,
    /// Only findings owned by this team (needs a portfolio configuration).
    #[arg(long)]
    pub team: Option<String>,
    /// Only findings with these SSVC decisions (track, track*, attend, act), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub ssvc: Vec<String>,
    /// Only findings whose vulnerable code is known to be reachable (a scanner's call-graph
    /// verdict, or the package is in the asset's runtime inventory).
    #[arg(long)]
    pub reachable: bool,
    /// Only findings in these SLA states (within, due-soon, breached, paused, none),
    /// comma-separated; shows the due date, most overdue first.
    #[arg(long, value_delimiter = ',')]
    pub sla: Vec<String>,
    /// Search: text, any case, in the title, rule id, vulnerability ids and their aliases
    /// (CVE, GHSA, ...), package name and purl, and path (`--search glibc`).
    #[arg(long)]
    pub search: Option<String>,
    /// Only findings of this vulnerability id (CVE, GHSA, ...), the primary id or an alias.
    #[arg(long)]
    pub cve: Option<String>,
    /// Only findings of this package: its name, or a purl prefix (`pkg:deb/debian/glibc`).
    #[arg(long)]
    pub package: Option<String>,
    /// Only findings whose path contains this text (`--path tests/`).
    #[arg(long)]
    pub path: Option<String>,
    /// Only findings changed (new, fixed, reopened, triaged, rescored) at or after this time
    /// (YYYY-MM-DD or RFC 3339): for incremental sync.
    #[arg(long)]
    pub updated_after: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SortArg {
    /// Risk score, highest first.
    Risk,
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Import feed files: CISA KEV (JSON or CSV) and FIRST EPSS (CSV, plain or gzip), detected
    /// by content. Each import replaces the previous data of its feed.
    Import(FeedsImportArgs),
    /// Import the feeds posture.toml's `[feeds]` names (`kev`, `epss`: a URL, or a file
    /// relative to posture.toml), then rescore: what moved is in each finding's history.
    Update(FeedsImportOutput),
    /// How fresh each feed is: last import, age, and whether it is older than `[feeds]
    /// max_age_days` (default 7). Exit 1 when a feed is stale.
    Status(FeedsListArgs),
    /// List the feed imports, newest first.
    List(FeedsListArgs),
}

#[derive(Debug, Args)]
pub struct FeedsImportOutput {
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct FeedsImportArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct FeedsListArgs {
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Score the open findings under the current weights (posture.toml `[risk]`, else the
    /// defaults) and under a file of overrides (`--weights`), or under an earlier model
    /// version and the current one (`--from posture-risk/2`), and list those whose score or
    /// band moves, largest move first.
    Diff(RiskDiffArgs),
    /// Check the ranking: the share of KEV-listed findings in the top 10%, of the top 20 with
    /// exploitation evidence, the low-severity findings in the top 10 and 20, quality results
    /// in P1-P3; for the current model and an earlier one (`--from`, default posture-risk/2).
    Evaluate(RiskEvaluateArgs),
}

#[derive(Debug, Args)]
pub struct RiskEvaluateArgs {
    /// The earlier model to compare with.
    #[arg(long, value_name = "MODEL", default_value = "posture-risk/2")]
    pub from: String,
    #[arg(long)]
    pub asset: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("other").required(true).args(["weights", "from"])))]
pub struct RiskDiffArgs {
    /// A TOML file of risk weight overrides: the keys of `[risk]` (at the top level or under
    /// `[risk]`); what it does not name keeps its default.
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// An earlier model version to compare the current one with: `posture-risk/2`.
    #[arg(long, value_name = "MODEL")]
    pub from: Option<String>,
    #[arg(long)]
    pub asset: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct OwnersArgs {
    #[arg(long)]
    pub asset: Option<String>,
    /// A CODEOWNERS file to use for the asset(s) listed, instead of the ones posture.toml names.
    #[arg(long)]
    pub codeowners: Option<std::path::PathBuf>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The finding id.
    pub id: i64,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The finding that goes away.
    pub from: i64,
    /// The finding it joins.
    pub into: i64,
    #[arg(long)]
    pub reason: String,
    #[arg(long, env = "POSTURE_ACTOR")]
    pub actor: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The occurrence id (see `posture explain`).
    pub occurrence: i64,
    #[arg(long)]
    pub reason: String,
    #[arg(long, env = "POSTURE_ACTOR")]
    pub actor: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct SuggestionsArgs {
    #[arg(long)]
    pub asset: Option<String>,
    /// Also list decided suggestions.
    #[arg(long)]
    pub all: bool,
    /// Accept (merge) this suggestion.
    #[arg(long, conflicts_with = "reject")]
    pub accept: Option<i64>,
    /// Reject this suggestion (the pair is never suggested or merged again).
    #[arg(long)]
    pub reject: Option<i64>,
    #[arg(long, env = "POSTURE_ACTOR")]
    pub actor: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Target folders, or a folder of target folders.
    #[arg(required = true)]
    pub dirs: Vec<std::path::PathBuf>,
    /// Least pairwise precision per target.
    #[arg(long, default_value_t = 0.97)]
    pub min_precision: f64,
    /// Least pairwise recall per target.
    #[arg(long, default_value_t = 0.90)]
    pub min_recall: f64,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct ScansArgs {
    #[arg(long)]
    pub asset: Option<String>,
    #[arg(long)]
    pub tool: Option<String>,
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

/// Allowed moves (see `posture_app::workflow::allowed_transitions`): open -> any decision;
/// confirmed/in-progress -> each other, open, false-positive, accepted, not-affected;
/// accepted -> any (accepted again renews it); false-positive -> open, confirmed;
/// not-affected -> open, confirmed, in-progress; fixed (decided by scans) -> false-positive,
/// not-affected.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TriageArgs {
    #[command(subcommand)]
    pub command: Option<TriageCommand>,
    /// The finding ids: one, or several for one decision on all of them (all or nothing).
    /// Without ids, the findings the filter flags select (`--asset`, `--search`, ...).
    pub ids: Vec<i64>,
    #[command(flatten)]
    pub filter: TriageFilter,
    /// confirmed, in-progress, false-positive, accepted (risk accepted), deferred (an
    /// acceptance whose reason is recorded as `deferral: ...`), not-affected, or open to clear
    /// the decision.
    #[arg(long, required = true)]
    pub state: Option<String>,
    /// Why (kept in the audit trail).
    #[arg(long, required = true)]
    pub reason: Option<String>,
    /// For accepted (required): when the acceptance expires and the finding opens again
    /// (YYYY-MM-DD = 00:00 UTC that day, or RFC 3339).
    #[arg(long)]
    pub until: Option<String>,
    /// Who approved the decision (required when a policy asks for a role's approval).
    #[arg(long)]
    pub approver: Option<String>,
    /// The approver's role.
    #[arg(long)]
    pub role: Option<String>,
    /// When the decision was made (RFC 3339 or date), for back-filling; default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Who decides (default: $USER).
    #[arg(long, env = "POSTURE_ACTOR")]
    pub actor: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

/// Which findings a bulk `posture triage` decides on, as `posture findings` filters them
/// (the default branches' findings; status open unless `--status` says otherwise).
#[derive(Debug, Args, Default)]
pub struct TriageFilter {
    /// Only this asset's findings.
    #[arg(long)]
    pub asset: Option<String>,
    /// Comma-separated severities: critical, high, medium, low, info.
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// open (default with a filter), or triage states, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<String>,
    /// Only findings reported by this tool.
    #[arg(long)]
    pub tool: Option<String>,
    /// sast, sca, dast, iac, secret, container or runtime.
    #[arg(long)]
    pub category: Option<String>,
    /// Text in the title, rule id, vulnerability ids and aliases, package or path.
    #[arg(long)]
    pub search: Option<String>,
    /// A vulnerability id (CVE, GHSA, ...), the primary id or an alias.
    #[arg(long)]
    pub cve: Option<String>,
    /// A package name, or a purl prefix.
    #[arg(long)]
    pub package: Option<String>,
    /// Text in the finding's path (`--path tests/`).
    #[arg(long)]
    pub path: Option<String>,
    /// Show the findings the filter selects, and decide nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl TriageFilter {
    pub fn is_given(&self) -> bool {
        self.asset.is_some()
            || !self.severity.is_empty()
            || !self.status.is_empty()
            || self.tool.is_some()
            || self.category.is_some()
            || self.search.is_some()
            || self.cve.is_some()
            || self.package.is_some()
            || self.path.is_some()
    }
}

#[derive(Debug, Subcommand)]
pub enum TriageCommand {
    /// Reopen every risk acceptance whose expiry has passed (an `expired` event each) and
    /// record the SLA breaches not recorded yet. Ingest and `findings` do the expiry too.
    Expire(TriageExpireArgs),
}

#[derive(Debug, Args)]
pub struct TriageExpireArgs {
    /// As of this time (RFC 3339 or date); default now.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// The date (YYYY-MM-DD: the end of that day UTC) or time (RFC 3339) the metrics are
    /// computed as of, from the event log; default now.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Scanner coverage window: scans in the N days before the date count.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    #[arg(long)]
    pub asset: Option<String>,
    /// Only this team's findings and services (needs a portfolio configuration).
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct FormatsArgs {
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// List the assets of the configuration file.
    List(AssetsListArgs),
    /// Add an asset, or change the given fields of one (the others stay). The file is created
    /// if absent and written atomically; if the result would be invalid (an unknown team, a
    /// repository another asset lists), nothing is written and the command exits 2. An empty
    /// value (`--team ""`, `--data ""`) removes the field.
    Set(Box<AssetsSetArgs>),
}

#[derive(Debug, Args)]
pub struct AssetsListArgs {
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct AssetsSetArgs {
    /// The asset's name.
    pub name: String,
    /// The owning team (declared by a `[[team]]`).
    #[arg(long)]
    pub team: Option<String>,
    /// tier-1, tier-2 or tier-3.
    #[arg(long)]
    pub criticality: Option<String>,
    /// production, staging, development or test.
    #[arg(long)]
    pub environment: Option<String>,
    /// internet-facing or internal.
    #[arg(long)]
    pub exposure: Option<String>,
    /// Data classes (pci, customer-data...), comma-separated; replaces the list.
    #[arg(long, value_delimiter = ',')]
    pub data: Option<Vec<String>>,
    /// Compliance scopes, comma-separated; replaces the list.
    #[arg(long, value_delimiter = ',')]
    pub compliance: Option<Vec<String>>,
    /// Tags, comma-separated; replaces the list.
    #[arg(long, value_delimiter = ',')]
    pub tags: Option<Vec<String>>,
    /// A source repository; repeat for several; replaces the list.
    #[arg(long = "repository")]
    pub repositories: Option<Vec<String>>,
    /// A container image (without tag); repeat for several; replaces the list.
    #[arg(long = "image")]
    pub images: Option<Vec<String>>,
    /// A base URL of a deployed instance; repeat for several; replaces the list.
    #[arg(long = "url")]
    pub urls: Option<Vec<String>>,
    /// Path of a CODEOWNERS file, relative to the configuration file.
    #[arg(long)]
    pub codeowners: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// Reports to ingest first (any supported format); none: evaluate what is stored.
    pub reports: Vec<PathBuf>,
    /// The asset (application or service).
    #[arg(long)]
    pub asset: String,
    /// The branch under test.
    #[arg(long, default_value = "main")]
    pub branch: String,
    /// The branch findings are compared with: a finding is new when the baseline has no open
    /// occurrence of it.
    #[arg(long, default_value = "main")]
    pub baseline: String,
    /// Evaluate every finding open on the branch, not only the new ones.
    #[arg(long)]
    pub all: bool,
    /// Gate an asset that has no scans and that posture.toml does not declare (a first run).
    /// Without it such a name exits 2: a typo must not pass the gate.
    #[arg(long)]
    pub allow_new_asset: bool,
    /// The policy file [default: `[policy] file` of posture.toml].
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Write a Markdown summary (for a pull-request comment).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// The Posture server's address: the Markdown summary links each finding to its page
    /// there (`URL/findings/ID`) instead of writing `#ID`, which GitHub reads as an issue.
    #[arg(long, env = "POSTURE_BASE_URL")]
    pub base_url: Option<String>,
    /// Post the Markdown summary as a comment on the pull request (GitHub Actions) or merge
    /// request (GitLab CI) this pipeline runs for, editing the same comment on every rerun.
    /// Reads GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN, GITHUB_EVENT_PATH, or
    /// CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, POSTURE_GITLAB_TOKEN. A comment
    /// that cannot be posted exits 2.
    #[arg(long)]
    pub pr_comment: bool,
    /// Write SARIF 2.1.0 (for code scanning upload).
    #[arg(long)]
    pub sarif: Option<PathBuf>,
    /// Write JUnit XML (one failing test case per blocked finding).
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// The commit of the reports.
    #[arg(long)]
    pub commit: Option<String>,
    /// What the reports cover when it is part of the asset (see `posture ingest --target`).
    #[arg(long)]
    pub target: Option<String>,
    /// Read the reports as this format instead of detecting it.
    #[arg(long)]
    pub format: Option<String>,
    /// Refuse reports larger than this many bytes.
    #[arg(long, default_value_t = posture_app::DEFAULT_MAX_REPORT_BYTES)]
    pub max_report_size: u64,
    /// The time of the scan and of the evaluation (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// `json` for the whole outcome; default a text report, finding by finding.
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file: every error at once, with file, line and column (exit 2 on errors).
    Check(PolicyCheckArgs),
    /// Replay a policy over the stored history: which past gate runs would have failed, which
    /// findings would have been escalated, and how SLA figures would change.
    Test(PolicyTestArgs),
}

#[derive(Debug, Args)]
pub struct PolicyCheckArgs {
    /// The policy file [default: `[policy] file` of posture.toml].
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// The policy file [default: `[policy] file` of posture.toml].
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Only this asset's history.
    #[arg(long)]
    pub asset: Option<String>,
    /// The baseline branch of the replayed gate runs.
    #[arg(long, default_value = "main")]
    pub baseline: String,
    /// "Now" for the SLA figures (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}
