//! Static-analysis findings: rule catalogs (CodeQL- and Semgrep-style, real rule ids), the
//! code they match, and each finding's life over the reference weeks.
//!
//! Identity: a finding's fingerprint depends on the rule, the file and the matched code, never
//! on the line. Files are edited between weeks (lines above the findings are added or
//! removed), so the same finding moves while its fingerprint stays.

use crate::rng::{Rng, hash64};
use crate::story::{Presence, REF_WEEKS};

/// A CodeQL query.
pub(crate) struct CodeQlRule {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// SARIF level (`problem.severity`: error, warning, recommendation→note).
    pub level: &'static str,
    /// GitHub's `security-severity` ("" for quality queries).
    pub security_severity: &'static str,
    pub precision: &'static str,
    pub kind: &'static str,
    pub cwes: &'static [u32],
    pub message: &'static str,
    pub snippets: &'static [&'static str],
}

/// A Semgrep registry rule.
pub(crate) struct SemgrepRule {
    pub id: &'static str,
    /// ERROR, WARNING or INFO.
    pub severity: &'static str,
    pub message: &'static str,
    pub cwe: &'static str,
    pub owasp: &'static [&'static str],
    pub confidence: &'static str,
    pub likelihood: &'static str,
    pub impact: &'static str,
    pub subcategory: &'static str,
    pub technology: &'static [&'static str],
    pub vuln_class: &'static str,
    pub snippets: &'static [&'static str],
}

impl SemgrepRule {
    pub(crate) fn sarif_level(&self) -> &'static str {
        match self.severity {
            "ERROR" => "error",
            "WARNING" => "warning",
            _ => "note",
        }
    }
}

/// Which rule set a service's SAST uses.
#[derive(Clone, Copy)]
pub(crate) enum RuleSet {
    CodeQlJava,
    CodeQlGo,
    SemgrepPython,
    SemgrepJs,
}

impl RuleSet {
    fn len(self) -> usize {
        match self {
            RuleSet::CodeQlJava => CODEQL_JAVA.len(),
            RuleSet::CodeQlGo => CODEQL_GO.len(),
            RuleSet::SemgrepPython => SEMGREP_PYTHON.len(),
            RuleSet::SemgrepJs => SEMGREP_JS.len(),
        }
    }

    pub(crate) fn codeql(self) -> &'static [CodeQlRule] {
        match self {
            RuleSet::CodeQlJava => CODEQL_JAVA,
            RuleSet::CodeQlGo => CODEQL_GO,
            _ => &[],
        }
    }

    pub(crate) fn semgrep(self) -> &'static [SemgrepRule] {
        match self {
            RuleSet::SemgrepPython => SEMGREP_PYTHON,
            RuleSet::SemgrepJs => SEMGREP_JS,
            _ => &[],
        }
    }

    fn snippets(self, rule: usize) -> &'static [&'static str] {
        match self {
            RuleSet::CodeQlJava | RuleSet::CodeQlGo => {
                self.codeql().get(rule).map_or(&[][..], |r| r.snippets)
            }
            _ => self.semgrep().get(rule).map_or(&[][..], |r| r.snippets),
        }
    }

    fn rule_id(self, rule: usize) -> &'static str {
        match self {
            RuleSet::CodeQlJava | RuleSet::CodeQlGo => self.codeql().get(rule).map_or("", |r| r.id),
            _ => self.semgrep().get(rule).map_or("", |r| r.id),
        }
    }

    /// 0 critical, 1 high, 2 medium, 3 low / quality: drives how fast it gets fixed.
    fn urgency(self, rule: usize) -> u32 {
        match self {
            RuleSet::CodeQlJava | RuleSet::CodeQlGo => {
                let s: f64 = self
                    .codeql()
                    .get(rule)
                    .and_then(|r| r.security_severity.parse().ok())
                    .unwrap_or(0.0);
                if s >= 9.0 {
                    0
                } else if s >= 7.0 {
                    1
                } else if s >= 4.0 {
                    2
                } else {
                    3
                }
            }
            _ => match self.semgrep().get(rule).map_or("INFO", |r| r.severity) {
                "ERROR" => 1,
                "WARNING" => 2,
                _ => 3,
            },
        }
    }

    fn find(self, id: &str) -> usize {
        (0..self.len())
            .find(|&i| self.rule_id(i) == id)
            .unwrap_or(0)
    }

    fn vocabulary(self) -> &'static [&'static str] {
        match self {
            RuleSet::CodeQlJava => &[
                "orderId",
                "merchantId",
                "refundRef",
                "accountNo",
                "batchKey",
                "payoutId",
                "currency",
                "statementId",
            ],
            RuleSet::CodeQlGo => &[
                "clientID",
                "redirectURI",
                "username",
                "tenant",
                "state",
                "nonce",
                "subject",
                "keyID",
            ],
            RuleSet::SemgrepPython => &[
                "order_id",
                "sku",
                "customer_ref",
                "warehouse",
                "shipment_id",
                "batch",
                "region",
                "invoice_no",
            ],
            RuleSet::SemgrepJs => &[
                "cartId",
                "promoCode",
                "sku",
                "locale",
                "userId",
                "deviceId",
                "returnTo",
                "campaign",
            ],
        }
    }
}

/// One SAST finding over time.
pub(crate) struct Issue {
    pub rule: usize,
    pub path: &'static str,
    /// The matched code, without indentation.
    pub code: String,
    pub indent: u32,
    pub base_line: u32,
    pub presence: Presence,
    /// Stable identity (rule + file + code + ordinal).
    pub identity: u64,
    /// 1 for the first identical line in a file, 2 for the next... (CodeQL's `:n` suffix).
    pub ordinal: u32,
}

/// The SAST picture of one service: its rule set, files and their edits, and the findings.
pub(crate) struct SastPlan {
    pub rules: RuleSet,
    pub files: &'static [&'static str],
    /// Lines added above the findings of each file, per reference week (cumulative).
    shifts: Vec<[i32; REF_WEEKS as usize]>,
    pub issues: Vec<Issue>,
}

impl SastPlan {
    /// The line of `issue` at reference week `r`.
    pub(crate) fn line(&self, issue: &Issue, r: u32) -> u32 {
        let f = self
            .files
            .iter()
            .position(|p| *p == issue.path)
            .unwrap_or(0);
        let shift = self
            .shifts
            .get(f)
            .and_then(|s| s.get(r.min(REF_WEEKS - 1) as usize))
            .copied()
            .unwrap_or(0);
        let line = i64::from(issue.base_line) + i64::from(shift);
        u32::try_from(line.max(1)).unwrap_or(1)
    }

    pub(crate) fn live(&self, r: u32) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(move |i| i.presence.at(r))
    }
}

/// A story event pinned on a service's SAST plan.
struct Pinned {
    rule: &'static str,
    path: &'static str,
    presence: &'static [(u32, u32)],
}

struct Profile {
    service: &'static str,
    rules: RuleSet,
    files: &'static [&'static str],
    count: u32,
    pinned: &'static [Pinned],
}

static PROFILES: &[Profile] = &[
    Profile {
        service: "payments-api",
        rules: RuleSet::CodeQlJava,
        files: &[
            "src/main/java/com/acme/payments/refund/RefundController.java",
            "src/main/java/com/acme/payments/refund/RefundRepository.java",
            "src/main/java/com/acme/payments/ledger/LedgerService.java",
            "src/main/java/com/acme/payments/ledger/LedgerExportJob.java",
            "src/main/java/com/acme/payments/webhook/WebhookDispatcher.java",
            "src/main/java/com/acme/payments/webhook/WebhookSignature.java",
            "src/main/java/com/acme/payments/config/SecurityConfig.java",
            "src/main/java/com/acme/payments/config/DataSourceConfig.java",
            "src/main/java/com/acme/payments/merchant/MerchantController.java",
            "src/main/java/com/acme/payments/merchant/MerchantImportService.java",
            "src/main/java/com/acme/payments/card/TokenizationClient.java",
            "src/main/java/com/acme/payments/report/SettlementReportController.java",
            "src/main/java/com/acme/payments/util/CryptoUtils.java",
            "src/main/java/com/acme/payments/util/XmlParsers.java",
        ],
        count: 60,
        // fixed in week 3, reintroduced by a copy-paste in week 8, fixed again in week 11
        pinned: &[Pinned {
            rule: "java/sql-injection",
            path: "src/main/java/com/acme/payments/refund/RefundRepository.java",
            presence: &[(0, 3), (8, 11)],
        }],
    },
    Profile {
        service: "identity-service",
        rules: RuleSet::CodeQlGo,
        files: &[
            "cmd/identity-service/main.go",
            "internal/oauth/authorize.go",
            "internal/oauth/token.go",
            "internal/oauth/introspect.go",
            "internal/saml/metadata.go",
            "internal/saml/acs.go",
            "internal/session/store.go",
            "internal/users/repository.go",
            "internal/users/handler.go",
            "internal/keys/rotation.go",
            "internal/keys/jwks.go",
            "pkg/httpx/client.go",
            "pkg/logging/audit.go",
        ],
        count: 50,
        // a new SAML metadata fetcher ships with an SSRF in week 5, fixed in week 7
        pinned: &[Pinned {
            rule: "go/request-forgery",
            path: "internal/saml/metadata.go",
            presence: &[(5, 7)],
        }],
    },
    Profile {
        service: "orders-worker",
        rules: RuleSet::SemgrepPython,
        files: &[
            "orders/tasks/fulfilment.py",
            "orders/tasks/refunds.py",
            "orders/integrations/legacy_erp.py",
            "orders/integrations/shipping_api.py",
            "orders/db/queries.py",
            "orders/events/consumer.py",
            "orders/events/serializers.py",
            "orders/pricing/rules.py",
            "orders/utils/hashing.py",
            "orders/utils/xml_import.py",
            "orders/auth/service_tokens.py",
        ],
        count: 50,
        // the stale one: nobody owns the legacy ERP integration
        pinned: &[Pinned {
            rule: "python.requests.security.disabled-cert-validation.disabled-cert-validation",
            path: "orders/integrations/legacy_erp.py",
            presence: &[(0, REF_WEEKS)],
        }],
    },
    Profile {
        service: "checkout-web",
        rules: RuleSet::SemgrepJs,
        files: &[
            "src/server/routes/cart.ts",
            "src/server/routes/checkout.ts",
            "src/server/routes/promo.ts",
            "src/server/middleware/session.ts",
            "src/server/db/orders.ts",
            "src/server/services/pricing.ts",
            "src/server/services/tax-client.ts",
            "src/client/components/PromoBanner.tsx",
            "src/client/components/ProductDescription.tsx",
            "src/client/pages/OrderConfirmation.tsx",
            "src/shared/utils/merge.ts",
            "src/server/app.ts",
        ],
        count: 55,
        // in the code from the start, seen only once Semgrep is onboarded (week 6)
        pinned: &[Pinned {
            rule: "javascript.express.security.injection.tainted-sql-string.tainted-sql-string",
            path: "src/server/db/orders.ts",
            presence: &[(0, 10)],
        }],
    },
    Profile {
        service: "mobile-bff",
        rules: RuleSet::SemgrepJs,
        files: &[
            "src/routes/feed.ts",
            "src/routes/profile.ts",
            "src/routes/auth.ts",
            "src/routes/deeplinks.ts",
            "src/services/catalog-client.ts",
            "src/services/image-proxy.ts",
            "src/lib/jwt.ts",
            "src/lib/config.ts",
            "src/lib/search.ts",
            "src/middleware/session.ts",
            "src/app.ts",
        ],
        count: 45,
        // removed in week 4; the bad merge of week 9 (which also reverts jsonwebtoken) brings
        // it back until week 11
        pinned: &[Pinned {
            rule: "javascript.jsonwebtoken.security.jwt-hardcode.hardcoded-jwt-secret",
            path: "src/lib/jwt.ts",
            presence: &[(0, 4), (9, 11)],
        }],
    },
];

/// The SAST plan of a service, or `None` when it runs no SAST.
pub(crate) fn plan(seed: u64, service: &str) -> Option<SastPlan> {
    let p = PROFILES.iter().find(|p| p.service == service)?;
    let mut rng = Rng::stream(seed, &["sast", service]);
    let shifts = p
        .files
        .iter()
        .map(|f| {
            let mut frng = Rng::stream(seed, &["shift", service, f]);
            let mut acc = 0i32;
            let mut out = [0i32; REF_WEEKS as usize];
            for (r, slot) in out.iter_mut().enumerate() {
                if r > 0 && frng.chance(35) {
                    let d = i32::try_from(frng.range(0, 18)).unwrap_or(0) - 4;
                    acc += if d == 0 { 3 } else { d };
                }
                *slot = acc;
            }
            out
        })
        .collect();
    let mut issues: Vec<Issue> = Vec::new();
    let vocab = p.rules.vocabulary();
    let mut add = |rule: usize, path: &'static str, presence: Presence, rng: &mut Rng| {
        let snippets = p.rules.snippets(rule);
        let (mut code, mut indent) = (String::new(), 4);
        let mut ordinal = 1;
        for attempt in 0..8 {
            let raw = if snippets.is_empty() {
                ""
            } else {
                *rng.pick(snippets)
            };
            let v = *rng.pick(vocab);
            let t = *rng.pick(vocab);
            code = raw.replace("$V", v).replace("$T", &t.to_ascii_lowercase());
            indent = 4 * rng.range(1, 3);
            let dup = issues
                .iter()
                .filter(|i| i.rule == rule && i.path == path && i.code == code)
                .count();
            if dup == 0 || attempt == 7 {
                ordinal = u32::try_from(dup).unwrap_or(0) + 1;
                break;
            }
        }
        let ordinal_s = ordinal.to_string();
        let identity = hash64(&[service, p.rules.rule_id(rule), path, &code, &ordinal_s]);
        let base_line = rng.range(24, 420);
        issues.push(Issue {
            rule,
            path,
            code,
            indent,
            base_line,
            presence,
            identity,
            ordinal,
        });
    };
    for pin in p.pinned {
        let rule = p.rules.find(pin.rule);
        add(rule, pin.path, Presence(pin.presence.to_vec()), &mut rng);
    }
    let n_rules = u32::try_from(p.rules.len()).unwrap_or(1);
    for _ in 0..p.count {
        let rule = rng.below(n_rules) as usize;
        let path = *rng.pick(p.files);
        let presence = lifecycle(&mut rng, p.rules.urgency(rule));
        add(rule, path, presence, &mut rng);
    }
    Some(SastPlan {
        rules: p.rules,
        files: p.files,
        shifts,
        issues,
    })
}

/// When a finding of this urgency appears, gets fixed, and maybe regresses.
fn lifecycle(rng: &mut Rng, urgency: u32) -> Presence {
    let start = if rng.chance(45) {
        0
    } else {
        rng.range(1, REF_WEEKS - 2)
    };
    let delay = match urgency {
        0 => rng.range(1, 2),
        1 => rng.range(2, 4),
        2 => rng.range(3, 8),
        _ => rng.range(6, 24),
    };
    let end = start + delay;
    if end >= REF_WEEKS {
        return Presence::between(start, REF_WEEKS);
    }
    let mut spans = vec![(start, end)];
    if rng.chance(10) {
        let back = end + rng.range(2, 4);
        if back < REF_WEEKS {
            let again = if rng.chance(50) {
                REF_WEEKS
            } else {
                (back + rng.range(1, 4)).min(REF_WEEKS)
            };
            spans.push((back, again));
        }
    }
    Presence(spans)
}

// ---------------------------------------------------------------------------------------------
// CodeQL queries (ids, names and security-severity as in the CodeQL query packs)

static CODEQL_JAVA: &[CodeQlRule] = &[
    CodeQlRule {
        id: "java/sql-injection",
        name: "Query built from user-controlled sources",
        description: "Building a SQL or Java Persistence query from user-controlled sources is vulnerable to insertion of malicious code by the user.",
        level: "error",
        security_severity: "8.8",
        precision: "high",
        kind: "path-problem",
        cwes: &[89, 564],
        message: "This query depends on a [user-provided value](1).",
        snippets: &[
            "jdbcTemplate.queryForList(\"SELECT * FROM refunds WHERE merchant_id = '\" + $V + \"'\");",
            "em.createQuery(\"from Refund r where r.reference = '\" + $V + \"'\").getResultList();",
            "stmt.executeQuery(\"SELECT amount FROM ledger WHERE $T = \" + $V);",
        ],
    },
    CodeQlRule {
        id: "java/path-injection",
        name: "Uncontrolled data used in path expression",
        description: "Accessing paths influenced by users can allow an attacker to access unexpected resources.",
        level: "error",
        security_severity: "7.5",
        precision: "high",
        kind: "path-problem",
        cwes: &[22, 23, 36, 73],
        message: "This path depends on a [user-provided value](1).",
        snippets: &[
            "byte[] body = Files.readAllBytes(Paths.get(exportDir, $V));",
            "File statement = new File(settlementRoot, $V + \".csv\");",
        ],
    },
    CodeQlRule {
        id: "java/ssrf",
        name: "Server-side request forgery",
        description: "Making web requests based on unvalidated user-input may cause the server to communicate with malicious servers.",
        level: "error",
        security_severity: "9.1",
        precision: "high",
        kind: "path-problem",
        cwes: &[918],
        message: "Potential server-side request forgery due to a [user-provided value](1).",
        snippets: &[
            "restTemplate.postForEntity(merchant.getCallbackUrl() + $V, event, Void.class);",
            "HttpRequest req = HttpRequest.newBuilder(URI.create($V)).build();",
        ],
    },
    CodeQlRule {
        id: "java/log-injection",
        name: "Log Injection",
        description: "Building log entries from user-controlled data may allow insertion of forged log entries by malicious users.",
        level: "error",
        security_severity: "7.8",
        precision: "medium",
        kind: "path-problem",
        cwes: &[117],
        message: "This log entry depends on a [user-provided value](1).",
        snippets: &[
            "log.info(\"Refund requested for \" + $V);",
            "log.warn(\"Unknown $T in webhook: {}\", request.getParameter(\"$T\"));",
        ],
    },
    CodeQlRule {
        id: "java/unsafe-deserialization",
        name: "Deserialization of user-controlled data",
        description: "Deserializing user-controlled data may allow attackers to execute arbitrary code.",
        level: "error",
        security_severity: "9.8",
        precision: "high",
        kind: "path-problem",
        cwes: &[502],
        message: "Unsafe deserialization depends on a [user-provided value](1).",
        snippets: &[
            "Object payload = new ObjectInputStream(request.getInputStream()).readObject();",
            "PaymentEvent evt = (PaymentEvent) new XStream().fromXML($V);",
        ],
    },
    CodeQlRule {
        id: "java/weak-cryptographic-algorithm",
        name: "Use of a broken or risky cryptographic algorithm",
        description: "Using broken or weak cryptographic algorithms can allow an attacker to compromise security.",
        level: "warning",
        security_severity: "7.5",
        precision: "high",
        kind: "path-problem",
        cwes: &[327, 328],
        message: "Cryptographic algorithm [DES](1) is weak and should not be used.",
        snippets: &[
            "Cipher cipher = Cipher.getInstance(\"DES/ECB/PKCS5Padding\");",
            "MessageDigest md = MessageDigest.getInstance(\"MD5\");",
        ],
    },
    CodeQlRule {
        id: "java/insecure-cookie",
        name: "Failure to use secure cookies",
        description: "Cookies that are sent in plaintext can be intercepted by an attacker.",
        level: "error",
        security_severity: "5.0",
        precision: "high",
        kind: "problem",
        cwes: &[614],
        message: "Cookie is added to response without the 'secure' flag being set.",
        snippets: &["response.addCookie(new Cookie(\"$T\", $V));"],
    },
    CodeQlRule {
        id: "java/stack-trace-exposure",
        name: "Information exposure through a stack trace",
        description: "Information from a stack trace propagates to an external user. Stack traces can unintentionally reveal implementation details that are useful to an attacker for developing a subsequent exploit.",
        level: "error",
        security_severity: "5.4",
        precision: "high",
        kind: "problem",
        cwes: &[209, 497],
        message: "[Error information](1) can be exposed to an external user.",
        snippets: &[
            "return ResponseEntity.status(500).body(ExceptionUtils.getStackTrace(e));",
            "e.printStackTrace(response.getWriter());",
        ],
    },
    CodeQlRule {
        id: "java/spring-disabled-csrf-protection",
        name: "Disabled Spring CSRF protection",
        description: "Disabling CSRF protection makes the application vulnerable to a Cross-Site Request Forgery (CSRF) attack.",
        level: "error",
        security_severity: "8.8",
        precision: "high",
        kind: "problem",
        cwes: &[352],
        message: "CSRF vulnerability due to protection being disabled.",
        snippets: &[
            "http.csrf().disable();",
            "http.csrf(csrf -> csrf.disable());",
        ],
    },
    CodeQlRule {
        id: "java/insecure-randomness",
        name: "Insecure randomness",
        description: "Using a cryptographically Insecure pseudo-random number generator to generate a security-sensitive value may allow an attacker to predict what value will be generated.",
        level: "warning",
        security_severity: "7.8",
        precision: "high",
        kind: "path-problem",
        cwes: &[330, 338],
        message: "This uses a cryptographically insecure random number generated at [Random()](1) in a security context.",
        snippets: &[
            "String resetToken = Long.toHexString(new Random().nextLong());",
            "int otp = new Random().nextInt(900000) + 100000;",
        ],
    },
    CodeQlRule {
        id: "java/xxe",
        name: "Resolving XML external entity in user-controlled data",
        description: "Parsing user-controlled XML documents and allowing expansion of external entity references may lead to disclosure of confidential data or denial of service.",
        level: "error",
        security_severity: "9.1",
        precision: "high",
        kind: "path-problem",
        cwes: &[611, 776, 827],
        message: "XML parsing depends on a [user-provided value](1) without guarding against external entity expansion.",
        snippets: &[
            "Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(upload.getInputStream());",
        ],
    },
    CodeQlRule {
        id: "java/hardcoded-credential-api-call",
        name: "Hard-coded credential in API call",
        description: "Using a hard-coded credential in a call to a sensitive Java API may compromise security.",
        level: "error",
        security_severity: "9.8",
        precision: "medium",
        kind: "path-problem",
        cwes: &[798],
        message: "Hard-coded value flows to [sensitive API call](1).",
        snippets: &["DriverManager.getConnection(jdbcUrl, \"payments\", \"changeme-$T\");"],
    },
    CodeQlRule {
        id: "java/unsafe-hostname-verification",
        name: "Unsafe hostname verification",
        description: "Marking a certificate as valid for a host without checking the certificate hostname allows an attacker to perform a machine-in-the-middle attack.",
        level: "error",
        security_severity: "7.5",
        precision: "high",
        kind: "path-problem",
        cwes: &[297],
        message: "The [hostname verifier](1) always accepts any hostname, which allows an attacker to intercept the connection.",
        snippets: &["connection.setHostnameVerifier((hostname, session) -> true);"],
    },
    CodeQlRule {
        id: "java/inconsistent-equals-and-hashcode",
        name: "Inconsistent equals and hashCode",
        description: "If a class overrides only one of 'equals' and 'hashCode', it may mean that 'equals' and 'hashCode' are inconsistent.",
        level: "error",
        security_severity: "",
        precision: "very-high",
        kind: "problem",
        cwes: &[581],
        message: "This class overrides equals but not hashCode.",
        snippets: &["public boolean equals(Object other) {"],
    },
    CodeQlRule {
        id: "java/useless-null-check",
        name: "Useless null check",
        description: "Checking whether an expression is null when that expression cannot possibly be null is useless.",
        level: "note",
        security_severity: "",
        precision: "very-high",
        kind: "problem",
        cwes: &[561],
        message: "This check is useless. [This variable](1) cannot be null at this check, since it is guarded by [this check](2).",
        snippets: &[
            "if ($V != null && $V.isEmpty()) {",
            "if ($V == null) return Optional.empty();",
        ],
    },
];

static CODEQL_GO: &[CodeQlRule] = &[
    CodeQlRule {
        id: "go/sql-injection",
        name: "Database query built from user-controlled sources",
        description: "Building a database query from user-controlled sources is vulnerable to insertion of malicious code by the user.",
        level: "error",
        security_severity: "8.8",
        precision: "high",
        kind: "path-problem",
        cwes: &[89],
        message: "This query depends on a [user-provided value](1).",
        snippets: &[
            "rows, err := db.Query(\"SELECT id FROM users WHERE email = '\" + $V + \"'\")",
            "q := fmt.Sprintf(\"DELETE FROM sessions WHERE $T = '%s'\", $V)",
        ],
    },
    CodeQlRule {
        id: "go/path-injection",
        name: "Uncontrolled data used in path expression",
        description: "Accessing paths influenced by users can allow an attacker to access unexpected resources.",
        level: "error",
        security_severity: "7.5",
        precision: "high",
        kind: "path-problem",
        cwes: &[22, 23, 36, 73, 99],
        message: "This path depends on a [user-provided value](1).",
        snippets: &["data, err := os.ReadFile(filepath.Join(keyDir, $V))"],
    },
    CodeQlRule {
        id: "go/request-forgery",
        name: "Uncontrolled data used in network request",
        description: "Sending network requests with user-controlled data allows for request forgery attacks.",
        level: "error",
        security_severity: "9.1",
        precision: "high",
        kind: "path-problem",
        cwes: &[918],
        message: "The [URL](1) of this request depends on a [user-provided value](2).",
        snippets: &[
            "resp, err := http.Get(idpMetadataURL + $V)",
            "req, _ := http.NewRequest(http.MethodGet, $V, nil)",
        ],
    },
    CodeQlRule {
        id: "go/log-injection",
        name: "Log entries created from user input",
        description: "Building log entries from user-controlled sources is vulnerable to insertion of forged log entries by a malicious user.",
        level: "error",
        security_severity: "7.8",
        precision: "medium",
        kind: "path-problem",
        cwes: &[117],
        message: "This log entry depends on a [user-provided value](1).",
        snippets: &[
            "log.Printf(\"login failed for %s\", $V)",
            "logger.Infof(\"authorize: unknown $T %q\", r.FormValue(\"$T\"))",
        ],
    },
    CodeQlRule {
        id: "go/disabled-certificate-check",
        name: "Disabled TLS certificate check",
        description: "If an application disables TLS certificate checking, it may be vulnerable to man-in-the-middle attacks.",
        level: "warning",
        security_severity: "7.5",
        precision: "high",
        kind: "problem",
        cwes: &[295],
        message: "InsecureSkipVerify should not be used in production code.",
        snippets: &["TLSClientConfig: &tls.Config{InsecureSkipVerify: true},"],
    },
    CodeQlRule {
        id: "go/clear-text-logging",
        name: "Clear-text logging of sensitive information",
        description: "Logging sensitive information without encryption or hashing can expose it to an attacker.",
        level: "error",
        security_severity: "7.5",
        precision: "high",
        kind: "path-problem",
        cwes: &[312, 315, 359],
        message: "[Sensitive data returned by an access to password](1) flows to a logging call.",
        snippets: &[
            "logger.Debugf(\"issued token %s for %s\", token, $V)",
            "log.Printf(\"password reset for %s: %s\", $V, password)",
        ],
    },
    CodeQlRule {
        id: "go/incomplete-hostname-regexp",
        name: "Incomplete regular expression for hostnames",
        description: "Matching a URL or hostname against a regular expression that contains an unescaped dot as part of the hostname might match more hostnames than expected.",
        level: "warning",
        security_severity: "7.8",
        precision: "high",
        kind: "path-problem",
        cwes: &[20],
        message: "This regular expression has an unescaped dot before 'acme.example', so it might match more hosts than expected when [this regular expression](1) is used.",
        snippets: &["redirectRe := regexp.MustCompile(\"^https://$T.acme.example/\")"],
    },
    CodeQlRule {
        id: "go/reflected-xss",
        name: "Reflected cross-site scripting",
        description: "Writing user input directly to an HTTP response allows for a cross-site scripting vulnerability.",
        level: "error",
        security_severity: "6.1",
        precision: "high",
        kind: "path-problem",
        cwes: &[79, 116],
        message: "Cross-site scripting vulnerability due to [user-provided value](1).",
        snippets: &["w.Write([]byte(\"<p>Unknown client \" + $V + \"</p>\"))"],
    },
    CodeQlRule {
        id: "go/weak-crypto-key",
        name: "Use of a weak cryptographic key",
        description: "Using a weak cryptographic key can allow an attacker to compromise security.",
        level: "error",
        security_severity: "7.5",
        precision: "high",
        kind: "path-problem",
        cwes: &[326],
        message: "The size of this RSA key should be at least 2048 bits.",
        snippets: &["key, err := rsa.GenerateKey(rand.Reader, 1024)"],
    },
    CodeQlRule {
        id: "go/allocation-size-overflow",
        name: "Size computation for allocation may overflow",
        description: "When computing the size of an allocation based on the size of a large object, the result may overflow and cause a runtime panic.",
        level: "warning",
        security_severity: "8.1",
        precision: "high",
        kind: "path-problem",
        cwes: &[190],
        message: "This operation, which is used in an [allocation](1), involves a [potentially large value](2) and might overflow.",
        snippets: &["buf := make([]byte, len($V)+headerLen)"],
    },
    CodeQlRule {
        id: "go/unhandled-writable-file-close",
        name: "Writable file handle closed without error handling",
        description: "Errors which occur when closing a writable file handle may result in data loss if the data could not be successfully flushed. Such errors should be handled explicitly.",
        level: "warning",
        security_severity: "",
        precision: "very-high",
        kind: "path-problem",
        cwes: &[252],
        message: "File handle may be writable as a result of data flow from a [call to OpenFile](1) and closing it may result in data loss upon failure, which is not handled explicitly.",
        snippets: &["defer f.Close()"],
    },
    CodeQlRule {
        id: "go/useless-assignment-to-local",
        name: "Useless assignment to local variable",
        description: "An assignment to a local variable that is not used later on, or whose value is always overwritten, has no effect.",
        level: "note",
        security_severity: "",
        precision: "very-high",
        kind: "problem",
        cwes: &[563],
        message: "This definition of err is never used.",
        snippets: &["$V := \"\"", "err = nil"],
    },
];

// ---------------------------------------------------------------------------------------------
// Semgrep registry rules

const OWASP_INJ: &[&str] = &["A01:2017 - Injection", "A03:2021 - Injection"];
const OWASP_XSS: &[&str] = &[
    "A07:2017 - Cross-Site Scripting (XSS)",
    "A03:2021 - Injection",
];
const OWASP_CRYPTO: &[&str] = &[
    "A03:2017 - Sensitive Data Exposure",
    "A02:2021 - Cryptographic Failures",
];
const OWASP_AUTH: &[&str] = &[
    "A02:2017 - Broken Authentication",
    "A07:2021 - Identification and Authentication Failures",
];
const OWASP_ACCESS: &[&str] = &[
    "A05:2017 - Broken Access Control",
    "A01:2021 - Broken Access Control",
];
const OWASP_INTEGRITY: &[&str] = &[
    "A08:2017 - Insecure Deserialization",
    "A08:2021 - Software and Data Integrity Failures",
];
const OWASP_SSRF: &[&str] = &["A10:2021 - Server-Side Request Forgery (SSRF)"];

static SEMGREP_PYTHON: &[SemgrepRule] = &[
    SemgrepRule {
        id: "python.lang.security.audit.formatted-sql-query.formatted-sql-query",
        severity: "WARNING",
        message: "Detected possible formatted SQL query. Use parameterized queries instead.",
        cwe: "CWE-89: Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
        owasp: OWASP_INJ,
        confidence: "LOW",
        likelihood: "LOW",
        impact: "HIGH",
        subcategory: "audit",
        technology: &["python"],
        vuln_class: "SQL Injection",
        snippets: &[
            "cursor.execute(\"UPDATE orders SET status = '%s' WHERE id = %s\" % (status, $V))",
            "cursor.execute(f\"SELECT * FROM shipments WHERE $T = '{$V}'\")",
        ],
    },
    SemgrepRule {
        id: "python.sqlalchemy.security.sqlalchemy-execute-raw-query.sqlalchemy-execute-raw-query",
        severity: "ERROR",
        message: "Avoiding SQL string concatenation: untrusted input concatenated with raw SQL query can result in SQL Injection. In order to execute raw query safely, prepared statement should be used. SQLAlchemy provides TextualSQL to easily used prepared statement with named parameters.",
        cwe: "CWE-89: Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
        owasp: OWASP_INJ,
        confidence: "LOW",
        likelihood: "LOW",
        impact: "HIGH",
        subcategory: "audit",
        technology: &["sqlalchemy"],
        vuln_class: "SQL Injection",
        snippets: &["session.execute(\"DELETE FROM reservations WHERE $T = \" + $V)"],
    },
    SemgrepRule {
        id: "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true",
        severity: "ERROR",
        message: "Found 'subprocess' function 'run' with 'shell=True'. This is dangerous because this call will spawn the command using a shell process. Doing so propagates current shell settings and variables, which makes it much easier for a malicious actor to execute commands. Use 'shell=False' instead.",
        cwe: "CWE-78: Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
        owasp: OWASP_INJ,
        confidence: "MEDIUM",
        likelihood: "HIGH",
        impact: "LOW",
        subcategory: "vuln",
        technology: &["python"],
        vuln_class: "Command Injection",
        snippets: &["subprocess.run(f\"gzip -9 /exports/{$V}.csv\", shell=True, check=True)"],
    },
    SemgrepRule {
        id: "python.lang.security.deserialization.pickle.avoid-pickle",
        severity: "WARNING",
        message: "Avoid using `pickle`, which is known to lead to code execution vulnerabilities. When unpickling, the serialized data could be manipulated to run arbitrary code. Instead, consider serializing the relevant data as JSON or a similar text-based serialization format.",
        cwe: "CWE-502: Deserialization of Untrusted Data",
        owasp: OWASP_INTEGRITY,
        confidence: "LOW",
        likelihood: "LOW",
        impact: "MEDIUM",
        subcategory: "audit",
        technology: &["python"],
        vuln_class: "Insecure Deserialization ",
        snippets: &[
            "event = pickle.loads(message.body)",
            "state = pickle.loads(redis_client.get($V))",
        ],
    },
    SemgrepRule {
        id: "python.requests.security.disabled-cert-validation.disabled-cert-validation",
        severity: "ERROR",
        message: "Certificate verification has been explicitly disabled. This permits insecure connections to insecure servers. Re-enable certification validation.",
        cwe: "CWE-295: Improper Certificate Validation",
        owasp: OWASP_AUTH,
        confidence: "LOW",
        likelihood: "LOW",
        impact: "LOW",
        subcategory: "vuln",
        technology: &["requests"],
        vuln_class: "Improper Authentication",
        snippets: &["resp = requests.post(ERP_URL + \"/orders\", json=payload, verify=False)"],
    },
    SemgrepRule {
        id: "python.lang.security.insecure-hash-algorithms.insecure-hash-algorithm-md5",
        severity: "WARNING",
        message: "Detected MD5 hash algorithm which is considered insecure. MD5 is not collision resistant and is therefore not suitable as a cryptographic signature. Use SHA256 or SHA3 instead.",
        cwe: "CWE-327: Use of a Broken or Risky Cryptographic Algorithm",
        owasp: OWASP_CRYPTO,
        confidence: "MEDIUM",
        likelihood: "LOW",
        impact: "MEDIUM",
        subcategory: "vuln",
        technology: &["python"],
        vuln_class: "Cryptographic Issues",
        snippets: &["digest = hashlib.md5($V.encode()).hexdigest()"],
    },
    SemgrepRule {
        id: "python.lang.security.use-defused-xml.use-defused-xml",
        severity: "ERROR",
        message: "The Python documentation recommends using `defusedxml` instead of `xml` because the native Python `xml` library is vulnerable to XML External Entity (XXE) attacks. These attacks can leak confidential data and \"XML bombs\" can cause denial of service.",
        cwe: "CWE-611: Improper Restriction of XML External Entity Reference",
        owasp: &[
            "A04:2017 - XML External Entities (XXE)",
            "A05:2021 - Security Misconfiguration",
        ],
        confidence: "LOW",
        likelihood: "LOW",
        impact: "MEDIUM",
        subcategory: "audit",
        technology: &["python"],
        vuln_class: "XML Injection",
        snippets: &["import xml.etree.ElementTree as ET"],
    },
    SemgrepRule {
        id: "python.lang.security.audit.eval-detected.eval-detected",
        severity: "WARNING",
        message: "Detected the use of eval(). eval() can be dangerous if used to evaluate dynamic content. If this content can be input from outside the program, this may be a code injection vulnerability. Ensure evaluated content is not definable by external sources.",
        cwe: "CWE-95: Improper Neutralization of Directives in Dynamically Evaluated Code ('Eval Injection')",
        owasp: OWASP_INJ,
        confidence: "LOW",
        likelihood: "LOW",
        impact: "HIGH",
        subcategory: "audit",
        technology: &["python"],
        vuln_class: "Code Injection",
        snippets: &["discount = eval(rule.expression, {}, {\"order\": $V})"],
    },
    SemgrepRule {
        id: "python.jwt.security.unverified-jwt-decode.unverified-jwt-decode",
        severity: "ERROR",
        message: "Detected JWT token decoded with 'verify=False'. This bypasses any integrity checks for the token which means the token could be tampered with by malicious actors. Ensure that the JWT token is verified.",
        cwe: "CWE-287: Improper Authentication",
        owasp: OWASP_AUTH,
        confidence: "MEDIUM",
        likelihood: "MEDIUM",
        impact: "MEDIUM",
        subcategory: "vuln",
        technology: &["jwt"],
        vuln_class: "Improper Authentication",
        snippets: &["claims = jwt.decode(token, options={\"verify_signature\": False})"],
    },
    SemgrepRule {
        id: "python.lang.security.audit.logging.logger-credential-leak.python-logger-credential-disclosure",
        severity: "WARNING",
        message: "Detected a python logger call with a potential hardcoded secret being logged. This may lead to secret credentials being exposed. Make sure that the logger is not logging  sensitive information.",
        cwe: "CWE-532: Insertion of Sensitive Information into Log File",
        owasp: &["A09:2021 - Security Logging and Monitoring Failures"],
        confidence: "MEDIUM",
        likelihood: "LOW",
        impact: "MEDIUM",
        subcategory: "vuln",
        technology: &["python"],
        vuln_class: "Mishandled Sensitive Information",
        snippets: &["logger.info(\"using ERP token %s for %s\", token, $V)"],
    },
    SemgrepRule {
        id: "python.lang.security.audit.insecure-transport.requests.request-with-http.request-with-http",
        severity: "INFO",
        message: "Detected a request using 'http://'. This request will be unencrypted, and attackers could listen into traffic on the network and be able to obtain sensitive information. Use 'https://' instead.",
        cwe: "CWE-319: Cleartext Transmission of Sensitive Information",
        owasp: OWASP_CRYPTO,
        confidence: "MEDIUM",
        likelihood: "LOW",
        impact: "LOW",
        subcategory: "audit",
        technology: &["requests"],
        vuln_class: "Mishandled Sensitive Information",
        snippets: &["requests.get(\"http://inventory.internal/api/$T\", timeout=5)"],
    },
    SemgrepRule {
        id: "python.lang.correctness.tempfile.flush.tempfile-without-flush",
        severity: "ERROR",
        message: "Using 'tmp.name' without '.flush()' or '.close()' may cause an error because the file may not exist when 'tmp.name' is used. Use '.flush()' or close the file before using 'tmp.name'.",
        cwe: "",
        owasp: &[],
        confidence: "",
        likelihood: "",
        impact: "",
        subcategory: "",
        technology: &[],
        vuln_class: "",
        snippets: &["upload_label(tmp.name, $V)"],
    },
];

static SEMGREP_JS: &[SemgrepRule] = &[
    SemgrepRule {
        id: "javascript.express.security.injection.tainted-sql-string.tainted-sql-string",
        severity: "ERROR",
        message: "Detected user input used to manually construct a SQL string. This is usually bad practice because manual construction could accidentally result in a SQL injection. An attacker could use a SQL injection to steal or modify contents of the database. Instead, use a parameterized query which is available by default in most database engines.",
        cwe: "CWE-89: Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
        owasp: OWASP_INJ,
        confidence: "MEDIUM",
        likelihood: "HIGH",
        impact: "HIGH",
        subcategory: "vuln",
        technology: &["express"],
        vuln_class: "SQL Injection",
        snippets: &[
            "const rows = await db.query(`SELECT * FROM orders WHERE $T = '${req.params.$V}'`);",
        ],
    },
    SemgrepRule {
        id: "javascript.express.security.audit.xss.direct-response-write.direct-response-write",
        severity: "WARNING",
        message: "Detected directly writing to a Response object from user-defined input. This bypasses any HTML escaping and may expose your application to a Cross-Site-scripting (XSS) vulnerability. Instead, use 'resp.render()' to render safely escaped HTML.",
        cwe: "CWE-79: Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
        owasp: OWASP_XSS,
        confidence: "MEDIUM",
        likelihood: "MEDIUM",
        impact: "MEDIUM",
        subcategory: "vuln",
        technology: &["express"],
        vuln_class: "Cross-Site-Scripting (XSS)",
        snippets: &["res.send(`<h1>No results for ${req.query.$V}</h1>`);"],
    },
    SemgrepRule {
        id: "javascript.lang.security.audit.path-traversal.path-join-resolve-traversal.path-join-resolve-traversal",
        severity: "WARNING",
        message: "Detected possible user input going into a `path.join` or `path.resolve` function. This could possibly lead to a path traversal vulnerability,  where the attacker can access arbitrary files stored in the file system. Instead, be sure to sanitize or validate user input first.",
        cwe: "CWE-22: Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
        owasp: &[
            "A05:2017 - Broken Access Control",
            "A01:2021 - Broken Access Control",
        ],
        confidence: "LOW",
        likelihood: "HIGH",
        impact: "MEDIUM",
        subcategory: "audit",
        technology: &["javascript"],
        vuln_class: "Path Traversal",
        snippets: &["const file = path.join(ASSET_DIR, $V);"],
    },
    SemgrepRule {
        id: "javascript.express.security.audit.express-open-redirect.express-open-redirect",
        severity: "WARNING",
        message: "The application redirects to a URL specified by user-supplied input `req` that is not validated. This could redirect users to malicious locations. Consider using an allow-list approach to validate URLs, or warn users they are being redirected to a third-party website.",
        cwe: "CWE-601: URL Redirection to Untrusted Site ('Open Redirect')",
        owasp: OWASP_ACCESS,
        confidence: "HIGH",
        likelihood: "HIGH",
        impact: "MEDIUM",
        subcategory: "vuln",
        technology: &["express"],
        vuln_class: "Open Redirect",
        snippets: &["return res.redirect(req.query.$V);"],
    },
    SemgrepRule {
        id: "javascript.jsonwebtoken.security.jwt-hardcode.hardcoded-jwt-secret",
        severity: "WARNING",
        message: "A hard-coded credential was detected. It is not recommended to store credentials in source-code, as this risks secrets being leaked and used by either an internal or external malicious adversary. It is recommended to use environment variables to securely provide credentials or retrieve credentials from a secure vault or HSM (Hardware Security Module).",
        cwe: "CWE-798: Use of Hard-coded Credentials",
        owasp: OWASP_AUTH,
        confidence: "HIGH",
        likelihood: "HIGH",
        impact: "MEDIUM",
        subcategory: "vuln",
        technology: &["jwt", "javascript", "secrets"],
        vuln_class: "Hard-coded Secrets",
        snippets: &["return jwt.sign(claims, \"dev-only-not-a-secret\", { expiresIn: \"1h\" });"],
    },
    SemgrepRule {
        id: "javascript.lang.security.audit.detect-non-literal-regexp.detect-non-literal-regexp",
        severity: "WARNING",
        message: "RegExp() called with a `term` function argument, this might allow an attacker to cause a Regular Expression Denial-of-Service (ReDoS) within your application as RegExP blocks the main thread. For this reason, it is recommended to use hardcoded regexes instead. If your regex is run on user-controlled input, consider performing input validation or use a regex checking/sanitization library such as https://www.npmjs.com/package/recheck to verify that the regex does not appear vulnerable to ReDoS.",
        cwe: "CWE-1333: Inefficient Regular Expression Complexity",
        owasp: &[
            "A05:2021 - Security Misconfiguration",
            "A06:2017 - Security Misconfiguration",
        ],
        confidence: "LOW",
        likelihood: "LOW",
        impact: "LOW",
        subcategory: "audit",
        technology: &["javascript"],
        vuln_class: "Denial-of-Service (DoS)",
        snippets: &["const matcher = new RegExp(`^${$V}`, \"i\");"],
    },
    SemgrepRule {
        id: "javascript.browser.security.insecure-document-method.insecure-document-method",
        severity: "ERROR",
        message: "User controlled data in methods like `innerHTML`, `outerHTML` or `document.write` is an anti-pattern that can lead to XSS vulnerabilities",
        cwe: "CWE-79: Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
        owasp: OWASP_XSS,
        confidence: "LOW",
        likelihood: "LOW",
        impact: "LOW",
        subcategory: "audit",
        technology: &["browser"],
        vuln_class: "Cross-Site-Scripting (XSS)",
        snippets: &["banner.innerHTML = campaign.$V;"],
    },
    SemgrepRule {
        id: "javascript.express.security.audit.express-cookie-settings.express-cookie-session-no-httponly",
        severity: "WARNING",
        message: "Default session middleware settings: `httpOnly` not set. It ensures the cookie is sent only over HTTP(S), not client JavaScript, helping to protect against cross-site scripting attacks.",
        cwe: "CWE-522: Insufficiently Protected Credentials",
        owasp: OWASP_AUTH,
        confidence: "MEDIUM",
        likelihood: "LOW",
        impact: "LOW",
        subcategory: "audit",
        technology: &["express"],
        vuln_class: "Cryptographic Issues",
        snippets: &["app.use(session({ secret: config.sessionSecret, name: \"sid\" }));"],
    },
    SemgrepRule {
        id: "javascript.lang.security.audit.prototype-pollution.prototype-pollution-loop.prototype-pollution-loop",
        severity: "WARNING",
        message: "Possibility of prototype polluting function detected. By adding or modifying attributes of an object prototype, it is possible to create attributes that exist on every object, or replace critical attributes with malicious ones. This can be problematic if the software depends on existence or non-existence of certain attributes, or uses pre-defined attributes of object prototype (such as hasOwnProperty, toString or valueOf). Possible mitigations might be: freezing the object prototype, using an object without prototypes (via Object.create(null) ), blocking modifications of attributes that resolve to object prototype, using Map instead of object.",
        cwe: "CWE-915: Improperly Controlled Modification of Dynamically-Determined Object Attributes",
        owasp: &["A08:2021 - Software and Data Integrity Failures"],
        confidence: "LOW",
        likelihood: "LOW",
        impact: "HIGH",
        subcategory: "audit",
        technology: &["typescript"],
        vuln_class: "Prototype Pollution",
        snippets: &["target = target[key];"],
    },
    SemgrepRule {
        id: "typescript.react.security.audit.react-dangerouslysetinnerhtml.react-dangerouslysetinnerhtml",
        severity: "WARNING",
        message: "Detection of dangerouslySetInnerHTML from non-constant definition. This can inadvertently expose users to cross-site scripting (XSS) attacks if this comes from user-provided input. If you have to use dangerouslySetInnerHTML, consider using a sanitization library such as DOMPurify to sanitize your HTML.",
        cwe: "CWE-79: Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
        owasp: OWASP_XSS,
        confidence: "MEDIUM",
        likelihood: "LOW",
        impact: "MEDIUM",
        subcategory: "vuln",
        technology: &["react"],
        vuln_class: "Cross-Site-Scripting (XSS)",
        snippets: &["<div dangerouslySetInnerHTML={{ __html: product.$V }} />"],
    },
    SemgrepRule {
        id: "javascript.express.security.audit.express-ssrf.express-ssrf",
        severity: "WARNING",
        message: "The following request request.get() was found to be crafted from user-input `req` which can lead to Server-Side Request Forgery (SSRF) vulnerabilities. It is recommended where possible to not allow user-input to craft the base request, but to be treated as part of the path or query parameter. When user-input is necessary to craft the request, it is recommeneded to follow OWASP best practices to prevent abuse. ",
        cwe: "CWE-918: Server-Side Request Forgery (SSRF)",
        owasp: OWASP_SSRF,
        confidence: "MEDIUM",
        likelihood: "MEDIUM",
        impact: "HIGH",
        subcategory: "vuln",
        technology: &["express"],
        vuln_class: "Server-Side Request Forgery (SSRF)",
        snippets: &[
            "const upstream = await axios.get(req.query.$V, { responseType: \"stream\" });",
        ],
    },
    SemgrepRule {
        id: "javascript.lang.security.detect-child-process.detect-child-process",
        severity: "ERROR",
        message: "Detected calls to child_process from a function argument `cmd`. This could lead to a command injection if the input is user controllable. Try to avoid calls to child_process, and if it is needed ensure user input is correctly sanitized or sandboxed. ",
        cwe: "CWE-78: Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
        owasp: OWASP_INJ,
        confidence: "LOW",
        likelihood: "LOW",
        impact: "HIGH",
        subcategory: "audit",
        technology: &["javascript"],
        vuln_class: "Command Injection",
        snippets: &["exec(`convert ${$V} -resize 640x640 out.webp`);"],
    },
    SemgrepRule {
        id: "javascript.lang.security.audit.unsafe-formatstring.unsafe-formatstring",
        severity: "INFO",
        message: "Detected string concatenation with a non-literal variable in a util.format / console.log function. If an attacker injects a format specifier in the string, it will forge the log message. Try to use constant values for the format string.",
        cwe: "CWE-134: Use of Externally-Controlled Format String",
        owasp: OWASP_INJ,
        confidence: "LOW",
        likelihood: "MEDIUM",
        impact: "LOW",
        subcategory: "audit",
        technology: &["javascript"],
        vuln_class: "Other",
        snippets: &["console.log(\"pricing miss for \" + $V, err);"],
    },
    SemgrepRule {
        id: "javascript.express.security.audit.express-check-csurf-middleware-usage.express-check-csurf-middleware-usage",
        severity: "INFO",
        message: "A CSRF middleware was not detected in your express application. Ensure you are either using one such as `csurf` or `csrf` (see rule references) and/or you are properly doing CSRF validation in your routes with a token or cookies.",
        cwe: "CWE-352: Cross-Site Request Forgery (CSRF)",
        owasp: OWASP_ACCESS,
        confidence: "LOW",
        likelihood: "HIGH",
        impact: "HIGH",
        subcategory: "audit",
        technology: &["javascript", "typescript", "express"],
        vuln_class: "Cross-Site Request Forgery (CSRF)",
        snippets: &["const app = express();"],
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_deterministic_and_pinned_events_exist() {
        let a = plan(7, "payments-api").unwrap();
        let b = plan(7, "payments-api").unwrap();
        assert_eq!(a.issues.len(), b.issues.len());
        assert!(
            a.issues
                .iter()
                .zip(&b.issues)
                .all(|(x, y)| x.identity == y.identity && x.presence == y.presence)
        );
        let sqli = &a.issues[0];
        assert_eq!(a.rules.rule_id(sqli.rule), "java/sql-injection");
        assert!(sqli.presence.at(0) && !sqli.presence.at(5) && sqli.presence.at(8));
        assert!(plan(7, "reporting-batch").is_none());
        for p in PROFILES {
            for pin in p.pinned {
                assert_eq!(p.rules.rule_id(p.rules.find(pin.rule)), pin.rule);
            }
        }
    }
}
