//! Equivalent configuration controls across IaC scanners: pairs of rules that test the same
//! property of the same resource. Reviewed like code; a row states a fact about two rule sets,
//! not about any scanned project.
//!
//! Provenance: Semgrep's Terraform rules (semgrep-rules, `terraform/**`) against Checkov's
//! checks, from the rules' patterns and messages (Semgrep's messages mostly copy Checkov's
//! check names) and Checkov's check sources. Rules whose equivalent depends on the finding
//! (Semgrep's `aws-ec2-security-group-allows-public-ingress`, one report per ingress block,
//! which is CKV_AWS_24 for port 22 and CKV_AWS_260 for port 80; `s3-public-rw-bucket`, which
//! is CKV_ALI_1 only on `alicloud_oss_bucket`) are left out: word similarity then suggests.

/// (Semgrep rule id's last segment, canonical control id).
pub const SEMGREP_TO_CONTROL: &[(&str, &str)] = &[
    // Dockerfile: no USER instruction, the container runs as root
    ("missing-user", "CKV_DOCKER_3"),
    ("missing-user-entrypoint", "CKV_DOCKER_3"),
    ("aws-db-instance-no-logging", "CKV_AWS_129"),
    ("aws-ebs-volume-unencrypted", "CKV_AWS_3"),
    (
        "aws-ec2-security-group-rule-missing-description",
        "CKV_AWS_23",
    ),
    ("aws-kms-no-rotation", "CKV_AWS_7"),
    ("aws-lambda-environment-unencrypted", "CKV_AWS_173"),
    ("aws-lambda-x-ray-tracing-not-active", "CKV_AWS_50"),
    ("aws-provider-static-credentials", "CKV_AWS_41"),
    ("aws-rds-backup-no-retention", "CKV_AWS_133"),
    (
        "aws-rds-cluster-iam-authentication-not-enabled",
        "CKV_AWS_162",
    ),
    ("aws-rds-iam-authentication-not-enabled", "CKV_AWS_161"),
    ("aws-rds-multiaz-not-enabled", "CKV_AWS_157"),
    ("aws-s3-bucket-object-encrypted-with-cmk", "CKV_AWS_186"),
    ("aws-s3-bucket-versioning-not-enabled", "CKV_AWS_21"),
    ("aws-subnet-has-public-ip-address", "CKV_AWS_130"),
    ("azure-appgateway-enables-waf", "CKV_AZURE_120"),
    (
        "azure-customrole-definition-subscription-owner",
        "CKV_AZURE_39",
    ),
    ("azure-key-backedby-hsm", "CKV_AZURE_112"),
    ("azure-key-no-expiration-date", "CKV_AZURE_40"),
    (
        "azure-keyvault-enables-firewall-rules-settings",
        "CKV_AZURE_109",
    ),
    ("azure-keyvault-enables-purge-protection", "CKV_AZURE_110"),
    ("azure-keyvault-recovery-enabled", "CKV_AZURE_42"),
    ("azure-managed-disk-encryption", "CKV_AZURE_2"),
    ("azure-managed-disk-encryption-set", "CKV_AZURE_93"),
    ("azure-mysql-geo-backup-enabled", "CKV_AZURE_94"),
    ("azure-mysql-public-access-disabled", "CKV_AZURE_53"),
    ("azure-mysql-server-tlsenforcement-enabled", "CKV_AZURE_28"),
    ("azure-mysql-threat-detection-enabled", "CKV_AZURE_127"),
    ("azure-postgresql-encryption-enabled", "CKV_AZURE_130"),
    ("azure-postgresql-geo-backup-enabled", "CKV_AZURE_102"),
    (
        "azure-postgresql-server-connection-throttling-enabled",
        "CKV_AZURE_32",
    ),
    (
        "azure-postgresql-server-log-checkpoint-enabled",
        "CKV_AZURE_30",
    ),
    (
        "azure-postgresql-server-log-connections-enabled",
        "CKV_AZURE_31",
    ),
    (
        "azure-postgresql-server-public-access-disabled",
        "CKV_AZURE_68",
    ),
    ("azure-postgresql-ssl-enforcement-enabled", "CKV_AZURE_29"),
    ("azure-postgresql-threat-detection-enabled", "CKV_AZURE_128"),
    ("azure-secret-content-type", "CKV_AZURE_114"),
    ("azure-secret-expiration-date", "CKV_AZURE_41"),
    ("azure-sqlserver-email-alerts-enabled", "CKV_AZURE_26"),
    (
        "azure-sqlserver-email-alerts-toadmins-enabled",
        "CKV_AZURE_27",
    ),
    ("azure-sqlserver-public-access-disabled", "CKV_AZURE_113"),
    ("azure-sqlserver-threat-detection-types", "CKV_AZURE_25"),
    ("azure-storage-account-minimum-tlsversion", "CKV_AZURE_44"),
    ("ec2-imdsv1-optional", "CKV_AWS_79"),
    ("elastic-search-encryption-at-rest", "CKV_AWS_5"),
    ("gcp-bigquery-dataset-encrypted-with-cmk", "CKV_GCP_81"),
    ("gcp-cloud-storage-logging", "CKV_GCP_62"),
    ("gcp-compute-boot-disk-encryption", "CKV_GCP_38"),
    ("gcp-compute-disk-encryption", "CKV_GCP_37"),
    ("gcp-compute-ip-forward", "CKV_GCP_36"),
    ("gcp-compute-os-login", "CKV_GCP_34"),
    ("gcp-compute-serial-ports", "CKV_GCP_35"),
    ("gcp-compute-shielded-vm", "CKV_GCP_39"),
    ("gcp-gke-alias-ip-enabled", "CKV_GCP_23"),
    ("gcp-gke-basic-auth", "CKV_GCP_19"),
    ("gcp-gke-binary-authorization", "CKV_GCP_66"),
    ("gcp-gke-client-certificate-disabled", "CKV_GCP_13"),
    ("gcp-gke-cluster-logging", "CKV_GCP_1"),
    ("gcp-gke-enabled-vpc-flow-logs", "CKV_GCP_61"),
    ("gcp-gke-has-labels", "CKV_GCP_21"),
    ("gcp-gke-kubernetes-rbac-google-groups", "CKV_GCP_65"),
    ("gcp-gke-legacy-auth-enabled", "CKV_GCP_7"),
    ("gcp-gke-legacy-instance-metadata-disabled", "CKV_GCP_31"),
    ("gcp-gke-metadata-server-enabled", "CKV_GCP_69"),
    ("gcp-gke-monitoring-enabled", "CKV_GCP_8"),
    ("gcp-gke-nodepool-metadata-server-enabled", "CKV_GCP_69"),
    (
        "gcp-gke-nodepool-secure-boot-for-shielded-nodes",
        "CKV_GCP_68",
    ),
    ("gcp-gke-pod-security-policy-enabled", "CKV_GCP_24"),
    ("gcp-gke-private-cluster-config", "CKV_GCP_25"),
    ("gcp-gke-secure-boot-for-shielded-nodes", "CKV_GCP_68"),
    ("gcp-gke-sql-backup-configuration-enabled", "CKV_GCP_14"),
    ("gcp-gke-use-cos-image", "CKV_GCP_22"),
    ("gcp-ipv6-private-google-enabled", "CKV_GCP_76"),
    ("gcp-sql-database-require-ssl", "CKV_GCP_6"),
    ("gcp-sql-public-database", "CKV_GCP_11"),
    ("gcp-sqlserver-no-public-ip", "CKV_GCP_60"),
    ("gcp-storage-bucket-uniform-access", "CKV_GCP_29"),
    ("gcp-storage-versioning-enabled", "CKV_GCP_78"),
    ("gcp-sub-network-logging-enabled", "CKV_GCP_26"),
    ("gcp-sub-network-private-google-enabled", "CKV_GCP_74"),
    ("keyvault-content-type-for-secret", "CKV_AZURE_114"),
    ("keyvault-ensure-key-expires", "CKV_AZURE_40"),
    ("keyvault-ensure-secret-expires", "CKV_AZURE_41"),
    ("keyvault-purge-enabled", "CKV_AZURE_110"),
    ("keyvault-specify-network-acl", "CKV_AZURE_109"),
    ("no-iam-creds-exposure", "IAM_CREDENTIALS_EXPOSURE"),
    ("no-iam-resource-exposure", "IAM_RESOURCE_EXPOSURE"),
    ("rds-public-access", "CKV_AWS_17"),
    ("storage-allow-microsoft-service-bypass", "CKV_AZURE_36"),
    ("storage-queue-services-logging", "CKV_AZURE_33"),
    ("storage-use-secure-tls-policy", "CKV_AZURE_44"),
];

/// Checkov ids that are one policy under two ids (resources vs data sources).
pub const CONTROL_ALIASES: &[(&str, &str)] = &[
    ("CKV_AWS_107", "IAM_CREDENTIALS_EXPOSURE"),
    ("CKV_AWS_287", "IAM_CREDENTIALS_EXPOSURE"),
    ("CKV_AWS_109", "IAM_RESOURCE_EXPOSURE"),
    ("CKV_AWS_289", "IAM_RESOURCE_EXPOSURE"),
];

/// The canonical control a rule tests, when Posture knows it.
pub fn control_of(tool: &str, rule_id: &str) -> Option<String> {
    let upper = rule_id.trim();
    if upper.starts_with("CKV") {
        let canonical = CONTROL_ALIASES
            .iter()
            .find(|(id, _)| *id == upper)
            .map(|(_, c)| (*c).to_string())
            .unwrap_or_else(|| upper.to_string());
        return Some(canonical);
    }
    if tool == "semgrep" {
        let name = rule_id.rsplit('.').next().unwrap_or(rule_id);
        return SEMGREP_TO_CONTROL
            .iter()
            .find(|(r, _)| *r == name)
            .map(|(_, c)| {
                CONTROL_ALIASES
                    .iter()
                    .find(|(id, _)| id == c)
                    .map(|(_, canon)| (*canon).to_string())
                    .unwrap_or_else(|| (*c).to_string())
            });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_semgrep_rules_and_checkov_aliases() {
        assert_eq!(
            control_of(
                "semgrep",
                "opt.rules.terraform.aws.security.aws-kms-no-rotation"
            )
            .as_deref(),
            Some("CKV_AWS_7")
        );
        assert_eq!(
            control_of("checkov", "CKV_AWS_287").as_deref(),
            Some("IAM_CREDENTIALS_EXPOSURE")
        );
        assert_eq!(
            control_of("semgrep", "python.lang.security.audit.eval").as_deref(),
            None
        );
        let mut seen = std::collections::HashSet::new();
        for (r, _) in SEMGREP_TO_CONTROL {
            assert!(seen.insert(*r), "{r} listed twice");
        }
    }
}
