// Tests for the sarif parser.
