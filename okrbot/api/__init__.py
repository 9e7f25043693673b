"""The HTTP API under /api/v1: key results' values from dashboards and CI, and the OKRs
read back as `okrbot export --format json` has them. Callers present a token made with
`okrbot token create`."""
