// Tests for the trivy parser.
