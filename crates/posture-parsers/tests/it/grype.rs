// Tests for the grype parser.
