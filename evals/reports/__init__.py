"""Suite reports: JUnit XML for CI, HTML with per-metric charts for people."""
