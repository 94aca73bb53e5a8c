# Delivery: a CloudFront distribution over the renditions, read through Origin Access Control,
# with a viewer-request function that picks each rendition's format from the Accept header.
# The bucket policy statement is an output: a bucket has one policy, and the bucket module
# writes it.

locals {
  # `processed/` -> `/processed`: CloudFront prepends it to every request's path.
  origin_path = "/${trimsuffix(var.output_prefix, "/")}"
  origin_id   = "renditions"
}

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}-renditions"
  description                       = "Signed reads of ${var.bucket_name}"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_function" "format_router" {
  name    = "${var.name}-format-router"
  runtime = "cloudfront-js-2.0"
  comment = "Serves each rendition in the best format the browser accepts"
  publish = true
  # The same substitution as the CDK construct (cdk/lib/cdn.ts): the setting as a JSON string.
  code = replace(file("${path.module}/format-router.js"), "\"__RENDITIONS__\"", jsonencode(var.renditions))
}

# The cache key is the path alone: the function has already put the chosen format in it, so
# browsers that accept the same format share one cached copy, whatever else their Accept says.
resource "aws_cloudfront_cache_policy" "this" {
  name        = "${var.name}-renditions"
  comment     = "Path only: the format is in the path the function rewrote"
  min_ttl     = 0
  default_ttl = var.max_age_seconds
  max_ttl     = var.max_age_seconds

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = false
    enable_accept_encoding_gzip   = false
    cookies_config {
      cookie_behavior = "none"
    }
    headers_config {
      header_behavior = "none"
    }
    query_strings_config {
      query_string_behavior = "none"
    }
  }
}

# The same URL answers with different bytes by Accept: say so to browsers and shared caches.
resource "aws_cloudfront_response_headers_policy" "this" {
  name    = "${var.name}-renditions"
  comment = "Vary: Accept, and the usual security headers"

  custom_headers_config {
    items {
      header   = "Vary"
      value    = "Accept"
      override = true
    }
  }

  security_headers_config {
    content_type_options {
      override = true
    }
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  # checkov:skip=CKV_AWS_68:A WAF web ACL costs more than most forks' image traffic; attach one (web_acl_id) when the site needs it.
  # checkov:skip=CKV2_AWS_47:Same: no WAF by default, so no Log4j rule set either.
  # checkov:skip=CKV_AWS_86:Access logs need a log bucket; CloudFront's standard metrics cover the template.
  # checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate fixes the TLS policy; a fork with its own domain sets TLSv1.2_2021.
  # checkov:skip=CKV_AWS_310:One origin: a second region's bucket is the fork's choice, as is replication.
  # checkov:skip=CKV_AWS_305:No root object: the distribution serves renditions, not a site.
  # checkov:skip=CKV_AWS_374:No geo restriction: a template cannot choose the countries.
  # checkov:skip=CKV2_AWS_42:The default *.cloudfront.net certificate; a custom domain needs an ACM certificate the fork owns.
  # checkov:skip=CKV2_AWS_46:Origin Access Control, the successor of the origin access identity this check looks for.
  enabled         = true
  comment         = "${var.name} renditions"
  is_ipv6_enabled = true
  http_version    = "http2and3"
  price_class     = var.price_class
  tags            = var.tags

  origin {
    origin_id                = local.origin_id
    domain_name              = var.bucket_regional_domain_name
    origin_path              = local.origin_path
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = false
    cache_policy_id            = aws_cloudfront_cache_policy.this.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.format_router.arn
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}

data "aws_iam_policy_document" "read_by_distribution" {
  statement {
    sid       = "ReadRenditionsByDistribution"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/${var.output_prefix}*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }
}
