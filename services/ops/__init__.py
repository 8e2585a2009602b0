"""Operations on a deployed stack (dead letters, status), driven by the CLI with boto3 clients."""
