# A private bucket: no public access, owner-enforced, encrypted, TLS only; other statements
# (a CloudFront distribution's reads) join its one policy through policy_documents.

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_18:Access logging needs a second log bucket; enable it in forks that must audit reads.
  # checkov:skip=CKV_AWS_21:Versioning is left to the fork: renditions are derived data and uploads are the user's source of truth.
  # checkov:skip=CKV_AWS_144:Cross-region replication doubles cost; a template cannot choose the second region.
  # checkov:skip=CKV2_AWS_62:Event notifications are configured by the root module (aws_s3_bucket_notification).
  # checkov:skip=CKV2_AWS_61:The lifecycle configuration is a separate resource below.
  # checkov:skip=CKV2_AWS_6:The public access block is a separate resource below.
  # checkov:skip=CKV_AWS_145:SSE-S3 by default; set kms_key_arn (root variable) for SSE-KMS.
  bucket        = var.name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = var.policy_documents
  dynamic "statement" {
    for_each = var.tls_only ? [1] : []
    content {
      sid     = "DenyInsecureTransport"
      effect  = "Deny"
      actions = ["s3:*"]
      resources = [
        aws_s3_bucket.this.arn,
        "${aws_s3_bucket.this.arn}/*",
      ]
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["false"]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count  = var.tls_only || length(var.policy_documents) > 0 ? 1 : 0
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json
  # The public access block must exist first, or this policy races it.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  dynamic "rule" {
    for_each = var.expiring_prefixes
    content {
      id     = "expire-${trimsuffix(rule.key, "/")}"
      status = "Enabled"
      filter {
        prefix = rule.key
      }
      expiration {
        days = rule.value
      }
    }
  }
}
