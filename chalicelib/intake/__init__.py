"""The API function: what it does with a request, up to the one S3 write."""
