#!/usr/bin/env bash
# tests/it/sigv2.sh -- SigV2 (AWS CLI v1 presign, boto3's default presigned URLs, s3cmd
# signurl, boto3 with signature_version='s3'), the region hint (curl, s3cmd with a default
# configuration) and CreateBucket's LocationConstraint against the real binary
# (tests/it/s3_sigv2_test.py says what each check asserts).
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_sigv2_test.py
