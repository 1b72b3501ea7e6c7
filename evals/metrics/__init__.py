"""Copy metrics: small pure functions, one module per family, each returning a ``MetricResult``."""
