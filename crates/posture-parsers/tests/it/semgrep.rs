// Tests for the semgrep parser.
