//! Single sign-on against a real OpenID provider (issue 18): panva/oidc-provider from the npm
//! registry, run with the machine's node (`tests/oidc-provider/provider.mjs`), installed with
//! `npm ci` into the target directory on first use. The login is driven over HTTP as a
//! browser would (the provider's interaction form is posted to), the dashboard's side through
//! the in-process router. With POSTURE_REQUIRE_OIDC=1 (scripts/test.sh) a provider that cannot
//! start fails the tests instead of skipping them.

// (the cases need the provider, so they do not use the shared on_both_backends_async!)
#[allow(unused_macros)]
mod common;

use axum::http::{Method, StatusCode};
use common::*;
use posture_server::ServerSettings;
use posture_store::Role;
use posture_store::testing::TestBackend;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

const BASE_URL: &str = "http://posture.test";
const REDIRECT: &str = "http://posture.test/login/oidc/callback";

// ---------------------------------------------------------------------------------------
// The provider

struct Provider {
    issuer: String,
    state_file: PathBuf,
    /// Kept so the provider lives as long as this process (it exits when its stdin closes).
    _child: Mutex<Child>,
    /// Serializes changes of the state file.
    lock: Mutex<()>,
}

fn provider_dir() -> PathBuf {
    std::env::var_os("POSTURE_OIDC_PROVIDER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("oidc-provider"))
}

fn fail_or_skip(why: String) -> Option<&'static Provider> {
    if std::env::var("POSTURE_REQUIRE_OIDC").is_ok_and(|v| v == "1") {
        panic!("POSTURE_REQUIRE_OIDC=1 but the OpenID provider cannot start: {why}");
    }
    eprintln!("NOTICE: OpenID provider unavailable, OIDC sign-in test SKIPPED: {why}");
    None
}

/// Installs (npm ci, once per lock file) and starts the provider, once per test process.
fn provider() -> Option<&'static Provider> {
    static PROVIDER: OnceLock<Result<Provider, String>> = OnceLock::new();
    match PROVIDER.get_or_init(start_provider) {
        Ok(p) => Some(p),
        Err(why) => fail_or_skip(why.clone()),
    }
}

fn start_provider() -> Result<Provider, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider");
    let dir = provider_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lock = std::fs::read(source.join("package-lock.json")).map_err(|e| e.to_string())?;
    let installed = std::fs::read(dir.join("package-lock.json")).ok();
    for file in ["package.json", "package-lock.json", "provider.mjs"] {
        std::fs::copy(source.join(file), dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    }
    if installed.as_deref() != Some(&lock[..]) || !dir.join("node_modules/oidc-provider").exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("npm ci: {e} (is node/npm installed?)"))?;
        if !out.status.success() {
            return Err(format!(
                "npm ci failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let state_file = dir.join(format!("state-{}.json", std::process::id()));
    write_state(
        &state_file,
        &json!({ "redirect_uri": REDIRECT, "published": [], "accounts": {} }),
    );
    let mut child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .arg(&state_file)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(dir.join("provider.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .map_err(|e| format!("node: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep reading: the provider prints notices, and a closed pipe would kill it.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the provider did not start within 30 s".to_string())?;
    let issuer = line
        .trim()
        .strip_prefix("ready ")
        .ok_or_else(|| format!("the provider said `{}`", line.trim()))?
        .to_string();
    Ok(Provider {
        issuer,
        state_file,
        _child: Mutex::new(child),
        lock: Mutex::new(()),
    })
}

fn write_state(path: &Path, state: &Value) {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).unwrap_or_else(|e| panic!("{e}"));
    f.write_all(state.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&tmp, path).unwrap_or_else(|e| panic!("{e}"));
}

impl Provider {
    fn change(&self, edit: impl FnOnce(&mut Value)) {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let text = std::fs::read_to_string(&self.state_file).unwrap_or_else(|e| panic!("{e}"));
        let mut state: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        edit(&mut state);
        write_state(&self.state_file, &state);
    }

    /// Creates or changes an account (its groups, and what its ID tokens become).
    fn account(&self, name: &str, groups: &[&str], mode: &str) {
        self.change(|s| {
            s["accounts"][name] = json!({
                "email": format!("{name}@acme.example"), "groups": groups, "mode": mode,
            });
        });
    }
}

// ---------------------------------------------------------------------------------------
// A browser, over HTTP

/// Follows the provider's redirects and posts its login form as `user` until the provider
/// sends the browser back to Posture; answers that URL.
fn log_in_at_provider(auth_url: &str, user: &str, issuer: &str) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .build()
        .into();
    let mut jar: Vec<(String, String)> = Vec::new();
    let mut url = auth_url.to_string();
    let absolute = |u: &str| {
        if u.starts_with("http") {
            u.to_string()
        } else {
            format!("{issuer}{u}")
        }
    };
    for _ in 0..12 {
        if url.starts_with(BASE_URL) {
            return url;
        }
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut response = agent
            .get(&url)
            .header("Cookie", &cookie)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        absorb(&mut jar, &response);
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            url = absolute(
                response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_else(|| panic!("a redirect without Location from {url}")),
            );
            continue;
        }
        let page = response.body_mut().read_to_string().unwrap_or_default();
        assert!(page.contains("<form"), "{status} at {url}: {page}");
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = agent
            .post(&url)
            .header("Cookie", &cookie)
            .send_form([("login", user)])
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        absorb(&mut jar, &response);
        url = absolute(
            response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("the login form answered {}", response.status())),
        );
    }
    panic!("the provider never sent the browser back (last at {url})")
}

/// Keeps the cookies a response sets (name and value; paths and expiry do not matter here).
fn absorb(jar: &mut Vec<(String, String)>, r: &ureq::http::Response<ureq::Body>) {
    for v in r.headers().get_all("set-cookie") {
        if let Some((k, rest)) = v.to_str().unwrap_or("").split_once('=') {
            let value = rest.split(';').next().unwrap_or("").to_string();
            jar.retain(|(name, _)| name != k);
            jar.push((k.to_string(), value));
        }
    }
}

/// What came back to Posture's callback.
struct Callback {
    answer: Answer,
    /// `posture_session=...` when a session was opened.
    session: Option<String>,
}

/// A whole sign-in: Posture's /login/oidc, the provider's login, Posture's callback.
async fn sign_in_sso(e: &Env, p: &Provider, user: &str) -> Callback {
    let start = call(&e.app, Method::GET, "/login/oidc", None, None).await;
    assert_eq!(
        start.status,
        StatusCode::SEE_OTHER,
        "{}",
        start
            .text()
            .split("role=\"alert\">")
            .nth(1)
            .unwrap_or(&start.text())
    );
    let flow = cookie_value(&set_cookies(&start), "posture_oidc").unwrap_or_default();
    assert!(!flow.is_empty());
    let auth_url = start.header("location");
    for param in [
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "client_id=posture",
    ] {
        assert!(auth_url.contains(param), "{auth_url}");
    }
    let issuer = p.issuer.clone();
    let user2 = user.to_string();
    let back = on_thread(move || log_in_at_provider(&auth_url, &user2, &issuer));
    let path = back
        .strip_prefix(BASE_URL)
        .unwrap_or_else(|| panic!("{back}"))
        .to_string();
    let answer = get_html(&e.app, &path, &format!("posture_oidc={flow}")).await;
    let session = cookie_value(&set_cookies(&answer), "posture_session")
        .filter(|v| !v.is_empty())
        .map(|v| format!("posture_session={v}"));
    Callback { answer, session }
}

fn session_hash(cookie: &str) -> String {
    posture_server::auth::hash_secret(cookie.trim_start_matches("posture_session="))
}

fn principal_of(e: &Env, cookie: &str) -> Option<posture_store::Principal> {
    let hash = session_hash(cookie);
    let now = e.clock.now();
    e.db(move |s| s.session_principal(&hash, now))
        .unwrap_or_else(|err| panic!("{err}"))
}

fn audit(e: &Env) -> Vec<posture_store::AuditRecord> {
    e.db(|s| s.audit_log(500))
        .unwrap_or_else(|err| panic!("{err}"))
}

use posture_app::Clock;

// ---------------------------------------------------------------------------------------
// The environment

fn portfolio(issuer: &str) -> String {
    format!(
        r#"
[[team]]
name = "payments"

[[team]]
name = "identity"

[[asset]]
name = "payments-api"
team = "payments"

[[asset]]
name = "identity-api"
team = "identity"

[oidc]
issuer = "{issuer}"
client_id = "posture"
client_secret_env = "POSTURE_TEST_OIDC_SECRET"
scopes = ["openid", "email", "profile", "groups"]

[[oidc.map]]
group = "payments-devs"
role = "developer"
team = "payments"

[[oidc.map]]
group = "identity-devs"
role = "developer"
team = "identity"

[[oidc.map]]
group = "security"
role = "appsec"

[[oidc.map]]
group = "appsec-leads"
approval_role = "appsec-lead"

[[oidc.map]]
group = "posture-admins"
role = "admin"
"#
    )
}

fn env(backend: TestBackend, issuer: &str) -> Env {
    let e = common::build(
        backend,
        Setup {
            toml: &portfolio(issuer),
            files: Vec::new(),
            ci_assets: &["payments-api"],
            settings: ServerSettings {
                base_url: Some(BASE_URL.into()),
                oidc_client_secret: Some(posture_server::Secret("posture-test-secret".into())),
                ..ServerSettings::default()
            },
        },
    );
    // The provider signs with the real time.
    e.clock.set(jiff::Timestamp::now());
    e
}

macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                use super::*;

                #[test]
                fn sqlite() {
                    let Some(p) = provider() else { return };
                    let e = env(TestBackend::sqlite(), &p.issuer);
                    block_on(super::$case(&e, p));
                }

                #[test]
                fn postgres() {
                    let Some(p) = provider() else { return };
                    if let Some(backend) = TestBackend::postgres(module_path!()) {
                        let e = env(backend, &p.issuer);
                        block_on(super::$case(&e, p));
                    }
                }
            }
        )*
    };
}

cases!(
    a_good_sign_in_creates_the_user_with_the_rights_of_their_groups,
    a_group_removed_at_the_provider_removes_the_right_at_the_next_sign_in,
    a_token_for_another_audience_is_refused,
    an_expired_id_token_is_refused,
    a_bad_signature_is_refused,
    a_rotated_key_is_fetched_and_unknown_keys_are_rate_limited,
    an_admin_signs_a_user_out_everywhere,
    groups_that_give_no_role_are_refused_and_audited,
    a_forged_state_is_refused,
);

/// A user name unique to the case and back end (cases share one provider).
fn user(e: &Env, name: &str) -> String {
    format!("{name}-{}", e.backend.kind())
}

fn no_secrets_in_audit(e: &Env, session: &str) {
    let text = serde_json::to_string(
        &audit(e)
            .iter()
            .map(|a| json!([a.action, a.target, a.detail]))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    assert!(!text.contains("eyJ"), "a JWT in the audit log: {text}");
    assert!(!text.contains("posture-test-secret"));
    let value = session.trim_start_matches("posture_session=");
    assert!(!value.is_empty() && !text.contains(value));
}

async fn a_good_sign_in_creates_the_user_with_the_rights_of_their_groups(e: &Env, p: &Provider) {
    // The login page offers SSO.
    let login = call(&e.app, Method::GET, "/login", None, None).await;
    assert!(
        login.text().contains("Sign in with SSO"),
        "{}",
        login.text()
    );

    let alice = user(e, "alice");
    p.account(
        &alice,
        &["payments-devs", "appsec-leads", "unrelated"],
        "normal",
    );
    let cb = sign_in_sso(e, p, &alice).await;
    assert_eq!(cb.answer.status, StatusCode::OK, "{}", cb.answer.text());
    let session = cb.session.unwrap_or_else(|| panic!("no session cookie"));
    let cookies = set_cookies(&cb.answer);
    assert!(
        cookies.iter().any(|c| c.starts_with("posture_session=")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Strict")),
        "{cookies:?}"
    );
    // The dashboard opens for the session, as the user.
    let home = get_html(&e.app, "/", &session).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.text());
    let email = format!("{alice}@acme.example");
    assert!(home.text().contains(&email));

    let principal = principal_of(e, &session).unwrap_or_else(|| panic!("no principal"));
    assert_eq!(principal.user, email);
    assert_eq!(principal.role, Role::Developer);
    assert_eq!(principal.teams, vec!["payments".to_string()]);
    assert_eq!(principal.user_roles, vec!["appsec-lead".to_string()]);
    assert_eq!(principal.user_kind, "person");

    // The user is a record of its own, and the sign-in is audited.
    let users = call(&e.app, Method::GET, "/api/v1/users", Some(&e.admin), None)
        .await
        .json();
    let record = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["name"] == email.as_str()))
        .cloned()
        .unwrap_or_else(|| panic!("{users}"));
    assert_eq!(record["kind"], "person");
    assert_eq!(record["roles"], json!(["appsec-lead"]));
    assert_eq!(record["teams"], json!(["payments"]));
    let entry = audit(e)
        .into_iter()
        .find(|a| a.action == "session.sso")
        .unwrap_or_else(|| panic!("no session.sso audit entry"));
    assert_eq!(entry.actor, email);
    assert_eq!(entry.detail["role"], "developer");
    assert_eq!(entry.detail["user_created"], true);
    assert_eq!(entry.detail["issuer"], p.issuer.as_str());
    no_secrets_in_audit(e, &session);
}

async fn a_group_removed_at_the_provider_removes_the_right_at_the_next_sign_in(
    e: &Env,
    p: &Provider,
) {
    let bob = user(e, "bob");
    p.account(&bob, &["payments-devs", "appsec-leads"], "normal");
    let first = sign_in_sso(e, p, &bob).await.session.unwrap_or_default();
    let before = principal_of(e, &first).unwrap_or_else(|| panic!("no principal"));
    assert_eq!(before.teams, vec!["payments".to_string()]);
    assert_eq!(before.user_roles, vec!["appsec-lead".to_string()]);

    // The IdP moves bob from payments to identity and takes his appsec-lead group away.
    p.account(&bob, &["identity-devs"], "normal");
    let second = sign_in_sso(e, p, &bob).await;
    assert_eq!(
        second.answer.status,
        StatusCode::OK,
        "{}",
        second.answer.text()
    );
    let second = second.session.unwrap_or_default();
    let after = principal_of(e, &second).unwrap_or_else(|| panic!("no principal"));
    assert_eq!(after.user, before.user, "the same user record");
    assert_eq!(after.teams, vec!["identity".to_string()]);
    assert!(after.user_roles.is_empty(), "{:?}", after.user_roles);
    // ... for the first session too: the right is gone, not only from the new session.
    let first_now = principal_of(e, &first).unwrap_or_else(|| panic!("first session ended"));
    assert_eq!(first_now.teams, vec!["identity".to_string()]);
    assert!(first_now.user_roles.is_empty());
    // The payments team page no longer lists bob, and the audit says what was removed.
    let entry = audit(e)
        .into_iter()
        .find(|a| a.action == "session.sso")
        .unwrap_or_else(|| panic!("no audit"));
    assert_eq!(entry.detail["user_created"], false);
    assert_eq!(
        entry.detail["removed"],
        json!(["team payments", "approval role appsec-lead"])
    );
    let users = call(&e.app, Method::GET, "/api/v1/users", Some(&e.admin), None)
        .await
        .json();
    let record = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["name"] == before.user.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(record["teams"], json!(["identity"]));
    assert_eq!(record["roles"], json!([]));

    // Promoted to the security group: appsec, every team, no team needed.
    p.account(&bob, &["security"], "normal");
    let third = sign_in_sso(e, p, &bob).await.session.unwrap_or_default();
    let promoted = principal_of(e, &third).unwrap_or_else(|| panic!("no principal"));
    assert_eq!(promoted.role, Role::Appsec);
    assert!(promoted.token_teams.is_empty());
}

async fn refused_sign_in(e: &Env, p: &Provider, name: &str, mode: &str) -> String {
    let who = user(e, name);
    p.account(&who, &["payments-devs"], mode);
    let cb = sign_in_sso(e, p, &who).await;
    assert_eq!(
        cb.answer.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        cb.answer.text()
    );
    assert!(cb.session.is_none(), "a session for a refused token");
    // Nobody was created or signed in.
    let users = call(&e.app, Method::GET, "/api/v1/users", Some(&e.admin), None)
        .await
        .json();
    assert!(
        !users.to_string().contains(&who),
        "a user was created: {users}"
    );
    assert!(!audit(e).iter().any(|a| a.action == "session.sso"));
    cb.answer.text()
}

async fn a_token_for_another_audience_is_refused(e: &Env, p: &Provider) {
    let page = refused_sign_in(e, p, "mallory-aud", "wrong-aud").await;
    assert!(page.contains("another audience"), "{page}");
}

async fn an_expired_id_token_is_refused(e: &Env, p: &Provider) {
    let page = refused_sign_in(e, p, "erin-exp", "expired").await;
    assert!(page.contains("expired"), "{page}");
}

async fn a_bad_signature_is_refused(e: &Env, p: &Provider) {
    let page = refused_sign_in(e, p, "mallory-sig", "bad-sig").await;
    assert!(page.contains("signature is wrong"), "{page}");
}

async fn a_rotated_key_is_fetched_and_unknown_keys_are_rate_limited(e: &Env, p: &Provider) {
    let carol = user(e, "carol");
    p.account(&carol, &["payments-devs"], "normal");
    let first = sign_in_sso(e, p, &carol).await;
    assert_eq!(
        first.answer.status,
        StatusCode::OK,
        "{}",
        first.answer.text()
    );
    let fetched = e.state.oidc.key_set_fetches();
    assert_eq!(fetched, 1, "one key set fetch for the first sign-in");

    // The provider rotates: new tokens are signed with a key Posture has not seen.
    let kid = format!("rotated-{}", e.backend.kind());
    p.change(|s| {
        if let Some(list) = s["published"].as_array_mut() {
            list.push(json!(kid));
        }
    });
    p.account(&carol, &["payments-devs"], &format!("rotated:{kid}"));
    let rotated = sign_in_sso(e, p, &carol).await;
    assert_eq!(
        rotated.answer.status,
        StatusCode::OK,
        "{}",
        rotated.answer.text()
    );
    assert_eq!(
        e.state.oidc.key_set_fetches(),
        2,
        "the unknown kid fetched the set again"
    );
    // A third sign-in with the rotated key uses the cache.
    let again = sign_in_sso(e, p, &carol).await;
    assert_eq!(again.answer.status, StatusCode::OK);
    assert_eq!(e.state.oidc.key_set_fetches(), 2);

    // A kid nobody publishes is refused, and does not make Posture fetch again right away.
    let mallory = user(e, "mallory-kid");
    p.account(&mallory, &["payments-devs"], "unknown-kid");
    for _ in 0..3 {
        let cb = sign_in_sso(e, p, &mallory).await;
        assert_eq!(
            cb.answer.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            cb.answer.text()
        );
        assert!(
            cb.answer.text().contains("does not publish"),
            "{}",
            cb.answer.text()
        );
    }
    assert_eq!(
        e.state.oidc.key_set_fetches(),
        2,
        "refetches are rate-limited (one per 30 s)"
    );
}

async fn an_admin_signs_a_user_out_everywhere(e: &Env, p: &Provider) {
    let dave = user(e, "dave");
    p.account(&dave, &["payments-devs"], "normal");
    let laptop = sign_in_sso(e, p, &dave).await.session.unwrap_or_default();
    let phone = sign_in_sso(e, p, &dave).await.session.unwrap_or_default();
    assert!(principal_of(e, &laptop).is_some() && principal_of(e, &phone).is_some());
    let email = format!("{dave}@acme.example");
    let path = format!("/api/v1/users/{email}/sessions");

    // Only an admin may.
    let refused = call(&e.app, Method::DELETE, &path, Some(&e.appsec), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(principal_of(e, &laptop).is_some());

    let done = call(&e.app, Method::DELETE, &path, Some(&e.admin), None).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(done.json()["sessions_ended"], 2);
    assert!(principal_of(e, &laptop).is_none() && principal_of(e, &phone).is_none());
    let home = get_html(&e.app, "/", &laptop).await;
    assert_eq!(
        home.status,
        StatusCode::SEE_OTHER,
        "back to the sign-in page"
    );
    let entry = audit(e)
        .into_iter()
        .find(|a| a.action == "user.sessions.end")
        .unwrap_or_else(|| panic!("not audited"));
    assert_eq!(entry.actor, "ada");
    assert_eq!(entry.target, format!("user {email}"));
    assert_eq!(entry.detail["sessions_ended"], 2);
    // Unknown user: 404.
    let unknown = call(
        &e.app,
        Method::DELETE,
        "/api/v1/users/nobody@acme.example/sessions",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // A new sign-in works again.
    let back = sign_in_sso(e, p, &dave).await;
    assert!(back.session.is_some());
}

async fn groups_that_give_no_role_are_refused_and_audited(e: &Env, p: &Provider) {
    let eve = user(e, "eve");
    // An approval role alone gives no access role.
    p.account(&eve, &["marketing", "appsec-leads"], "normal");
    let cb = sign_in_sso(e, p, &eve).await;
    assert_eq!(
        cb.answer.status,
        StatusCode::FORBIDDEN,
        "{}",
        cb.answer.text()
    );
    assert!(cb.session.is_none());
    assert!(
        cb.answer.text().contains("[[oidc.map]]"),
        "{}",
        cb.answer.text()
    );
    let entry = audit(e)
        .into_iter()
        .find(|a| a.action == "session.sso.refused")
        .unwrap_or_else(|| panic!("not audited"));
    assert_eq!(entry.detail["groups"], json!(["marketing", "appsec-leads"]));
}

async fn a_forged_state_is_refused(e: &Env, p: &Provider) {
    let frank = user(e, "frank");
    p.account(&frank, &["payments-devs"], "normal");
    let start = call(&e.app, Method::GET, "/login/oidc", None, None).await;
    let flow = cookie_value(&set_cookies(&start), "posture_oidc").unwrap_or_default();
    let auth_url = start.header("location");
    let issuer = p.issuer.clone();
    let frank2 = frank.clone();
    let back = on_thread(move || log_in_at_provider(&auth_url, &frank2, &issuer));
    let path = back.strip_prefix(BASE_URL).unwrap_or_default().to_string();
    // Another browser's flow cookie (a login CSRF): refused, the code is not redeemed.
    let other = call(&e.app, Method::GET, "/login/oidc", None, None).await;
    let other_flow = cookie_value(&set_cookies(&other), "posture_oidc").unwrap_or_default();
    let forged = get_html(&e.app, &path, &format!("posture_oidc={other_flow}")).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{}", forged.text());
    assert!(cookie_value(&set_cookies(&forged), "posture_session").is_none());
    // No flow cookie at all.
    let bare = get_html(&e.app, &path, "").await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    // The right browser still finishes.
    let good = get_html(&e.app, &path, &format!("posture_oidc={flow}")).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text());
}
