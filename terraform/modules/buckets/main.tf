locals {
  buckets = {
    config      = var.bucket_names.config
    data        = var.bucket_names.data
    newsletters = var.bucket_names.newsletters
    artifacts   = var.bucket_names.artifacts
  }

  # Versioning protects what cannot be rebuilt: hand-edited configuration, published newsletters and the
  # packages that rollbacks point at. Ingested data is re-fetched from the sources, so it is not versioned.
  # (A plain map rather than a filtered one, so static analysis can follow each bucket.)
  versioned_buckets = {
    config      = var.bucket_names.config
    newsletters = var.bucket_names.newsletters
    artifacts   = var.bucket_names.artifacts
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Object-level access is audited through CloudTrail data events, not per-bucket server access logs.
  #checkov:skip=CKV_AWS_144:Every object is either rebuildable (data, cache) or kept as a version; cross-region replication is not worth its cost for a weekly newsletter.
  #checkov:skip=CKV2_AWS_62:No consumer reacts to object events; the engine is driven by its schedule.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES-256) meets the need; a customer-managed KMS key would add cost and key-policy management for no extra control here.
  #checkov:skip=CKV_AWS_21:Only the data bucket is unversioned, deliberately: it holds ingestion output that is re-fetched from the sources.
  for_each = local.buckets

  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Purpose = each.key })
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.versioned_buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = var.deny_insecure_transport ? local.buckets : {}

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this[each.key].arn,
      "${aws_s3_bucket.this[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = var.deny_insecure_transport ? local.buckets : {}

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # S3 refuses a bucket policy while the public access block is being written.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# Every bucket drops abandoned multipart uploads and, once replaced or deleted, old object versions (a no-op on
# the unversioned data bucket); the newsletters bucket also expires its editorial cache, and both it and the data
# bucket expire, sooner, what check runs (smoke tests, rollback drills, benchmarks) leave under `checks/`.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = var.lifecycle_rules ? local.buckets : {}

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  dynamic "rule" {
    for_each = each.key == "newsletters" ? [var.cache_prefix] : []

    content {
      id     = "expire-editorial-cache"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = var.cache_expiration_days
      }
    }
  }

  dynamic "rule" {
    # Check runs keep files in the newsletters bucket and their own feed state and items in the data bucket.
    for_each = contains(["newsletters", "data"], each.key) ? [var.checks_prefix] : []

    content {
      id     = "expire-check-runs"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = var.checks_expiration_days
      }
    }
  }

  # The data bucket's shared store (feeds and normalizations every client reuses, vectora_core/shared_store.py):
  # a record older than the feed window is refetched and an item older than any run's window is not read again,
  # so old records only cost storage. Claims and write leases live a few minutes; any left by a crashed run go too.
  dynamic "rule" {
    for_each = each.key == "data" ? { (var.shared_prefix) = var.shared_store_expiration_days, "locks/" = 1 } : {}

    content {
      id     = rule.key == "locks/" ? "expire-stale-locks" : "expire-shared-store"
      status = "Enabled"

      filter {
        prefix = rule.key
      }

      expiration {
        days = rule.value
      }
    }
  }

  # Versioning must be settled first, or S3 may evaluate the rules against a half-configured bucket.
  depends_on = [aws_s3_bucket_versioning.this]
}
