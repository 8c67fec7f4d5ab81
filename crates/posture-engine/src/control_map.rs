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
    // Dockerfile instructions (semgrep-rules `dockerfile/**` against checkov's dockerfile
    // checks): the instruction each rule tests
    ("prefer-copy-over-add", "CKV_DOCKER_4"),
    ("maintainer-is-deprecated", "CKV_DOCKER_6"),
    ("missing-image-version", "CKV_DOCKER_7"),
    ("last-user-is-root", "CKV_DOCKER_8"),
    ("prefer-apt-get", "CKV_DOCKER_9"),
    ("use-absolute-workdir", "CKV_DOCKER_10"),
    ("alias-must-be-unique", "CKV_DOCKER_11"),
    // Kubernetes workloads (semgrep-rules `yaml/kubernetes/**` against checkov's CKV_K8S
    // checks): the pod or container setting each rule tests. Several semgrep rules test one
    // setting in different shapes (missing securityContext, explicit `true`...): one control.
    ("privileged-container", "CKV_K8S_16"),
    ("hostpid-pod", "CKV_K8S_17"),
    ("hostipc-pod", "CKV_K8S_18"),
    ("hostnetwork-pod", "CKV_K8S_19"),
    ("allow-privilege-escalation", "CKV_K8S_20"),
    ("allow-privilege-escalation-true", "CKV_K8S_20"),
    (
        "allow-privilege-escalation-no-securitycontext",
        "CKV_K8S_20",
    ),
    ("writable-filesystem-container", "CKV_K8S_22"),
    ("run-as-non-root", "CKV_K8S_23"),
    ("run-as-non-root-container-level", "CKV_K8S_23"),
    (
        "run-as-non-root-container-level-missing-security-context",
        "CKV_K8S_23",
    ),
    ("run-as-non-root-security-context-pod-level", "CKV_K8S_23"),
    ("run-as-non-root-unsafe-value", "CKV_K8S_23"),
    ("exposing-docker-socket-hostpath", "CKV_K8S_27"),
    ("seccomp-confinement-disabled", "CKV_K8S_31"),
    // Terraform rules written twice in semgrep-rules (a `best-practice` and a `security`
    // rule with one pattern), both the checkov check of that attribute
    ("missing-cloudwatch-log-group-kms-key", "CKV_AWS_158"),
    ("aws-cloudwatch-log-group-unencrypted", "CKV_AWS_158"),
    ("missing-cloudwatch-log-group-retention", "CKV_AWS_66"),
    ("aws-cloudwatch-log-group-no-retention", "CKV_AWS_66"),
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

/// Derived pairs (semgrep Terraform rule, checkov check), made by `scripts/derive-control-map.py`
/// from the two rule sets alone: the rule's pattern names resource type(s) and attributes, the
/// check names its supported resource types and the attribute it inspects
/// (`get_inspected_key()`); a pair is kept when the types and the attribute meet and exactly one
/// check does (ambiguous rules, such as a rule testing two attributes two checks test, are left
/// to word similarity). Semgrep-rules @157ae47 (2024-10-24), checkov 3.x. The reviewed table
/// above wins where both list a rule.
pub const DERIVED_SEMGREP_TO_CONTROL: &[(&str, &str)] = &[
    ("appservice-enable-https-only", "CKV_AZURE_14"),
    ("aws-backup-vault-unencrypted", "CKV_AWS_166"),
    ("aws-cloudtrail-encrypted-with-cmk", "CKV_AWS_35"),
    ("aws-docdb-encrypted-with-cmk", "CKV_AWS_182"),
    ("aws-documentdb-storage-unencrypted", "CKV_AWS_74"),
    ("aws-ebs-snapshot-encrypted-with-cmk", "CKV_AWS_183"),
    ("aws-ebs-unencrypted", "CKV_AWS_106"),
    ("aws-ecr-mutable-image-tags", "CKV_AWS_51"),
    (
        "aws-elasticache-automatic-backup-not-enabled",
        "CKV_AWS_134",
    ),
    (
        "aws-fsx-lustre-filesystem-encrypted-with-cmk",
        "CKV_AWS_190",
    ),
    ("aws-fsx-ontapfs-encrypted-with-cmk", "CKV_AWS_178"),
    ("aws-fsx-windows-encrypted-with-cmk", "CKV_AWS_179"),
    (
        "aws-imagebuilder-component-encrypted-with-cmk",
        "CKV_AWS_180",
    ),
    ("aws-insecure-api-gateway-tls-version", "CKV_AWS_206"),
    ("aws-kinesis-stream-encrypted-with-cmk", "CKV_AWS_185"),
    ("aws-kinesis-stream-unencrypted", "CKV_AWS_43"),
    ("aws-kinesis-video-stream-encrypted-with-cmk", "CKV_AWS_177"),
    (
        "aws-lambda-permission-unrestricted-source-arn",
        "CKV_AWS_301",
    ),
    ("aws-qldb-inadequate-ledger-permissions-mode", "CKV_AWS_170"),
    ("aws-redshift-cluster-encrypted-with-cmk", "CKV_AWS_142"),
    ("aws-s3-object-copy-encrypted-with-cmk", "CKV_AWS_181"),
    ("aws-sagemaker-domain-encrypted-with-cmk", "CKV_AWS_187"),
    ("aws-sns-topic-unencrypted", "CKV_AWS_26"),
    ("aws-timestream-database-encrypted-with-cmk", "CKV_AWS_160"),
    ("aws-transfer-server-is-public", "CKV_AWS_164"),
    ("aws-workspaces-root-volume-unencrypted", "CKV_AWS_156"),
    ("aws-workspaces-user-volume-unencrypted", "CKV_AWS_155"),
    ("azure-aks-private-clusters-enabled", "CKV_AZURE_115"),
    ("azure-aks-uses-disk-encryptionset", "CKV_AZURE_117"),
    ("azure-appservice-https-only", "CKV_AZURE_14"),
    ("azure-automation-encrypted", "CKV_AZURE_73"),
    (
        "azure-cognitiveservices-disables-public-network",
        "CKV_AZURE_134",
    ),
    ("azure-cosmosdb-accounts-restricted-access", "CKV_AZURE_101"),
    ("azure-cosmosdb-disable-access-key-write", "CKV_AZURE_132"),
    ("azure-cosmosdb-disables-public-network", "CKV_AZURE_101"),
    ("azure-cosmosdb-have-cmk", "CKV_AZURE_100"),
    (
        "azure-dataexplorer-double-encryption-enabled",
        "CKV_AZURE_75",
    ),
    (
        "azure-datafactory-no-public-network-access",
        "CKV_AZURE_104",
    ),
    ("azure-datalake-store-encryption", "CKV_AZURE_105"),
    ("azure-defenderon-appservices", "CKV_AZURE_19"),
    ("azure-defenderon-container-registry", "CKV_AZURE_19"),
    ("azure-defenderon-keyvaults", "CKV_AZURE_19"),
    ("azure-defenderon-kubernetes", "CKV_AZURE_19"),
    ("azure-defenderon-servers", "CKV_AZURE_19"),
    ("azure-defenderon-sqlservers", "CKV_AZURE_19"),
    ("azure-defenderon-sqlservers-vms", "CKV_AZURE_19"),
    ("azure-defenderon-storage", "CKV_AZURE_19"),
    ("azure-eventgrid-domain-network-access", "CKV_AZURE_106"),
    ("azure-functionapps-accessible-over-https", "CKV_AZURE_14"),
    ("azure-instance-extensions", "CKV_AZURE_50"),
    ("azure-iot-no-public-network-access", "CKV_AZURE_108"),
    ("azure-keyvault-enables-soft-delete", "CKV_AZURE_111"),
    ("azure-mariadb-geo-backup-enabled", "CKV_AZURE_129"),
    ("azure-mariadb-public-access-disabled", "CKV_AZURE_48"),
    ("azure-mariadb-sslenforcement-enabled", "CKV_AZURE_47"),
    ("azure-mysql-encryption-enabled", "CKV_AZURE_96"),
    (
        "azure-networkinterface-enable-ip-forwarding",
        "CKV_AZURE_118",
    ),
    (
        "azure-postgresql-flexi-server-geo-backup-enabled",
        "CKV_AZURE_136",
    ),
    ("azure-redis-cache-enable-non-ssl-port", "CKV_AZURE_91"),
    (
        "azure-redis-cache-public-network-access-enabled",
        "CKV_AZURE_89",
    ),
    (
        "azure-search-publicnetwork-access-disabled",
        "CKV_AZURE_124",
    ),
    ("azure-securitcenter-email-alert", "CKV_AZURE_21"),
    ("azure-securitycenter-contact-emails", "CKV_AZURE_131"),
    ("azure-securitycenter-contact-phone", "CKV_AZURE_20"),
    ("azure-securitycenter-email-alert-admins", "CKV_AZURE_22"),
    ("azure-securitycenter-standard-pricing", "CKV_AZURE_19"),
    (
        "azure-storage-account-enables-secure-transfer",
        "CKV_AZURE_3",
    ),
    (
        "azure-storage-blob-service-container-private-access",
        "CKV_AZURE_34",
    ),
    ("azure-storage-sync-public-access-disabled", "CKV_AZURE_64"),
    (
        "azure-synapse-workscape-enables-managed-virtual-network",
        "CKV_AZURE_58",
    ),
    ("azure-vmencryption-at-host-enabled", "CKV_AZURE_97"),
    ("gcp-artifact-registry-encrypted-with-cmk", "CKV_GCP_84"),
    ("gcp-compute-project-os-login", "CKV_GCP_33"),
    ("gcp-compute-template-ip-forward", "CKV_GCP_36"),
    ("gcp-dataflow-job-encrypted-with-cmk", "CKV_GCP_90"),
    ("gcp-dataflow-private-job", "CKV_GCP_94"),
    ("gcp-datafusion-private-instance", "CKV_GCP_87"),
    ("gcp-datafusion-stack-driver-logging", "CKV_GCP_104"),
    ("gcp-datafusion-stack-driver-monitoring", "CKV_GCP_105"),
    ("gcp-gke-enable-shielded-nodes", "CKV_GCP_71"),
    ("gcp-memory-store-for-redis-auth-enabled", "CKV_GCP_95"),
    (
        "gcp-memory-store-for-redis-intransit-encryption",
        "CKV_GCP_97",
    ),
    ("gcp-project-default-network", "CKV_GCP_27"),
    ("gcp-pubsub-encrypted-with-cmk", "CKV_GCP_83"),
    ("gcp-vertexai-private-instance", "CKV_GCP_89"),
    ("missing-alb-drop-http-headers", "CKV_AWS_131"),
    ("missing-api-gateway-cache-cluster", "CKV_AWS_120"),
    ("missing-aws-cross-zone-lb", "CKV_AWS_152"),
    ("missing-aws-lb-deletion-protection", "CKV_AWS_150"),
    ("missing-aws-qldb-deletion-protection", "CKV_AWS_172"),
    ("storage-enforce-https", "CKV_AZURE_3"),
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
            .chain(DERIVED_SEMGREP_TO_CONTROL)
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
