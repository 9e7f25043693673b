"""What the tests share: the Slack stand-ins with faults, the sandbox that crashes and
restarts, real okrbot processes, and data seeded straight into the database."""
