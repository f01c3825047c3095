"""Big-log machinery without Textual: line index, search, ANSI rendering, error lines, fetch."""
