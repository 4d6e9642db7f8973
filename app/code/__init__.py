"""Application code: fetch (inline zip or S3), verify, unpack safely, and the job's properties file."""
