"""Who may call: SigV4 verification for ``--auth strict`` over everything served on the port.

:mod:`app.auth.verify` checks a request's signature (Authorization header or presigned URL, with
botocore's own signer: :mod:`app.auth.sigv4`) and its payload; :mod:`app.auth.services` is the
gateway's hook that applies it to the embedded S3, Kinesis, CloudWatch Logs, CloudWatch and
CloudFormation and answers refusals in each one's format.
"""
