"""What a user watches while a job runs: CloudWatch metrics, lifecycle events, dashboard links."""
