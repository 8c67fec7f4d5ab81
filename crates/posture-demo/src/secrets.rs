//! Leaked credentials for the Gitleaks reports. Every value is an obviously fake, documented
//! example (`AKIAIOSFODNN7EXAMPLE` is AWS's own documentation key) or spells EXAMPLE.
//!
//! Gitleaks runs in directory mode (`gitleaks dir`) on the checked-out tree, so a leak is
//! reported while the file holds it and disappears when it is removed.

use crate::story::Presence;

pub(crate) struct Leak {
    pub service: &'static str,
    pub rule: &'static str,
    pub description: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// Lines the file grows by every four reference weeks (code above the leak moves it).
    pub drift: u32,
    /// The whole source line; `{S}` stands for the secret.
    pub line_text: &'static str,
    /// What the rule's regex matched; `{S}` stands for the secret.
    pub matched: &'static str,
    pub secret: &'static str,
    pub presence: &'static [(u32, u32)],
}

impl Leak {
    pub(crate) fn presence(&self) -> Presence {
        Presence(self.presence.to_vec())
    }

    pub(crate) fn line_at(&self, r: u32) -> u32 {
        self.line + self.drift * (r / 4)
    }

    pub(crate) fn matched_text(&self) -> String {
        self.matched.replace("{S}", self.secret)
    }

    /// 1-based start column of the match in its line.
    pub(crate) fn start_column(&self) -> u32 {
        let line = self.line_text.replace("{S}", self.secret);
        let m = self.matched_text();
        let first = m.lines().next().unwrap_or("");
        line.find(first)
            .and_then(|i| u32::try_from(i + 1).ok())
            .unwrap_or(1)
    }

    pub(crate) fn extra_lines(&self) -> u32 {
        u32::try_from(self.secret.lines().count().saturating_sub(1)).unwrap_or(0)
    }
}

const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAEXAMPLEKEYdoNotUseEXAMPLEKEYdoNotUseEXAMPLEKEY0000\n-----END RSA PRIVATE KEY-----";

pub(crate) static LEAKS: &[Leak] = &[
    Leak {
        service: "payments-api",
        rule: "aws-access-token",
        description: "Identified a pattern that may indicate AWS credentials, risking unauthorized cloud resource access and data breaches on AWS platforms.",
        file: "deploy/terraform/staging.tfvars",
        line: 14,
        drift: 0,
        line_text: "aws_access_key_id     = \"{S}\"",
        matched: "{S}",
        secret: "AKIAIOSFODNN7EXAMPLE",
        presence: &[(4, 5)],
    },
    Leak {
        service: "payments-api",
        rule: "generic-api-key",
        description: "Detected a Generic API Key, potentially exposing access to various services and sensitive operations.",
        file: "deploy/terraform/staging.tfvars",
        line: 15,
        drift: 0,
        line_text: "aws_secret_access_key = \"{S}\"",
        matched: "aws_secret_access_key = \"{S}\"",
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        presence: &[(4, 5)],
    },
    Leak {
        service: "checkout-web",
        rule: "stripe-access-token",
        description: "Found a Stripe Access Token, posing a risk to payment processing services and sensitive financial data.",
        file: "src/server/config/payments.ts",
        line: 9,
        drift: 1,
        line_text: "  secretKey: process.env.STRIPE_SECRET_KEY ?? \"{S}\",",
        matched: "{S}",
        secret: "sk_test_EXAMPLE0000000000000000notreal",
        presence: &[(7, 8)],
    },
    Leak {
        service: "checkout-web",
        rule: "generic-api-key",
        description: "Detected a Generic API Key, potentially exposing access to various services and sensitive operations.",
        file: "tests/fixtures/tax-client.json",
        line: 4,
        drift: 0,
        line_text: "  \"apiKey\": \"{S}\",",
        matched: "apiKey\": \"{S}\"",
        secret: "EXAMPLE-fixture-9f8e7d6c5b4a3210",
        presence: &[(0, 16)],
    },
    Leak {
        service: "identity-service",
        rule: "private-key",
        description: "Identified a Private Key, which may compromise cryptographic security and sensitive data encryption.",
        file: "internal/keys/testdata/dev-signing.pem",
        line: 1,
        drift: 0,
        line_text: "{S}",
        matched: "{S}",
        secret: PEM,
        presence: &[(0, 16)],
    },
    Leak {
        service: "identity-service",
        rule: "jwt",
        description: "Uncovered a JSON Web Token, which may lead to unauthorized access to web applications and sensitive user data.",
        file: "docs/api/token-exchange.md",
        line: 42,
        drift: 3,
        line_text: "curl -H \"Authorization: Bearer {S}\" https://id.acme.example/oauth/introspect",
        matched: "{S}",
        secret: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJFWEFNUExFIiwibmFtZSI6IkRlbW8gVXNlciIsImlhdCI6MTUxNjIzOTAyMn0.EXAMPLEsignatureNotReal0000000000000000000",
        presence: &[(3, 6)],
    },
    Leak {
        service: "mobile-bff",
        rule: "github-pat",
        description: "Uncovered a GitHub Personal Access Token, potentially leading to unauthorized repository access and sensitive content exposure.",
        file: ".github/workflows/release.yml",
        line: 23,
        drift: 0,
        line_text: "          GH_TOKEN: {S}",
        matched: "{S}",
        secret: "ghp_EXAMPLE00000000000000000000000000000",
        // removed in week 3; the bad merge of week 9 brings it back until week 12
        presence: &[(2, 3), (10, 12)],
    },
    Leak {
        service: "mobile-bff",
        rule: "slack-webhook-url",
        description: "Discovered a Slack Webhook, which could lead to unauthorized message posting and data leakage in Slack channels.",
        file: "src/lib/config.ts",
        line: 17,
        drift: 2,
        line_text: "  alertsWebhook: \"{S}\",",
        matched: "{S}",
        secret: "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        presence: &[(5, 9)],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaks_are_fake_and_located() {
        for l in LEAKS {
            let fake = l.secret.contains("EXAMPLE") || l.secret.contains("XXXXXXXX");
            assert!(fake, "{} is not obviously fake", l.rule);
            assert!(l.start_column() >= 1);
            assert!(l.line_text.contains("{S}"));
        }
        assert_eq!(LEAKS[0].start_column(), 26);
    }
}
