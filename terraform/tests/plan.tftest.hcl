# Plans the root module offline: a real AWS provider that never calls AWS (fake keys, no
# account lookup), with the few values AWS would compute overridden. Checks the guardrails
# reject bad inputs with their messages and that every IAM document is free of wildcards.

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

variables {
  processor_zip = "tests/fixtures/bootstrap.zip"
  trigger_zip   = "tests/fixtures/bootstrap.zip"
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = data.aws_region.current
  values = { name = "eu-west-1" }
}

override_data {
  target = data.aws_partition.current
  values = { partition = "aws" }
}

override_resource {
  target          = module.bucket.aws_s3_bucket.this
  override_during = plan
  values          = { arn = "arn:aws:s3:::image-pipeline-123456789012-eu-west-1", id = "image-pipeline-123456789012-eu-west-1" }
}

override_resource {
  target          = module.queue.aws_sqs_queue.this
  override_during = plan
  values          = { arn = "arn:aws:sqs:eu-west-1:123456789012:image-pipeline-jobs" }
}

override_resource {
  target          = module.trigger[0].aws_cloudwatch_log_group.this
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/image-pipeline-trigger" }
}

override_resource {
  target          = module.processor.aws_cloudwatch_log_group.this
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/image-pipeline-processor" }
}

run "defaults_follow_aws_guidance" {
  command = plan

  assert {
    condition     = aws_lambda_event_source_mapping.processor.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The mapping must report batch item failures."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.processor.scaling_config[0].maximum_concurrency == 20
    error_message = "maximum_concurrency must reach the mapping."
  }
  assert {
    condition     = local.visibility_timeout == 6 * 60 + 1
    error_message = "The default visibility timeout is 6x the function timeout plus the batching window."
  }
  assert {
    condition     = output.notification_mode == "direct" && output.trigger_function_name == null
    error_message = "Direct mode deploys no trigger."
  }
  assert {
    condition     = one(aws_s3_bucket_notification.uploads.queue).filter_prefix == "uploads/"
    error_message = "Notifications must filter on the input prefix so outputs never re-trigger."
  }
}

run "iam_has_no_wildcard_actions_or_resources" {
  command = plan
  variables {
    notification_mode = "trigger"
  }

  assert {
    condition = alltrue([
      for statement in concat(module.processor.statements, module.trigger[0].statements) :
      alltrue([for action in statement.actions : !strcontains(action, "*")])
    ])
    error_message = "A function's policy has a wildcard action."
  }
  assert {
    condition = alltrue([
      for statement in concat(module.processor.statements, module.trigger[0].statements) :
      alltrue([for resource in statement.resources : resource != "*" && !startswith(resource, "arn:aws:s3:::*")])
    ])
    error_message = "A function's policy has a wildcard resource."
  }
  assert {
    condition = toset(flatten([
      for statement in module.processor.statements : statement.resources if contains(statement.actions, "s3:PutObject")
      ])) == toset([
      "arn:aws:s3:::image-pipeline-123456789012-eu-west-1/processed/*",
      "arn:aws:s3:::image-pipeline-123456789012-eu-west-1/rejected/*",
    ])
    error_message = "The processor may write only under the output and rejected prefixes."
  }
  assert {
    condition = toset(flatten([
      for statement in module.processor.statements : statement.resources if contains(statement.actions, "s3:GetObject")
    ])) == toset(["arn:aws:s3:::image-pipeline-123456789012-eu-west-1/uploads/*"])
    error_message = "The processor may read only the input prefix."
  }
  assert {
    condition     = module.trigger[0].statements[0].actions == tolist(["sqs:SendMessage"])
    error_message = "The trigger may only send to the queue."
  }
}

run "visibility_timeout_below_six_function_timeouts_is_refused" {
  command = plan
  variables {
    queue_visibility_timeout_seconds = 120
  }
  expect_failures = [var.queue_visibility_timeout_seconds]
}

run "mapping_concurrency_above_reserved_concurrency_is_refused" {
  command = plan
  variables {
    processor_reserved_concurrency = 5
    maximum_concurrency            = 10
  }
  expect_failures = [var.maximum_concurrency]
}

run "output_prefix_inside_input_prefix_is_refused" {
  command = plan
  variables {
    output_prefix = "uploads/processed/"
  }
  expect_failures = [var.output_prefix]
}

run "rejected_prefix_overlapping_outputs_is_refused" {
  command = plan
  variables {
    rejected_prefix = "processed/rejected/"
  }
  expect_failures = [var.rejected_prefix]
}

run "too_few_receives_before_the_dlq_is_refused" {
  command = plan
  variables {
    max_receive_count = 2
  }
  expect_failures = [var.max_receive_count]
}

run "trigger_mode_invokes_the_trigger_from_s3" {
  command = plan
  variables {
    notification_mode = "trigger"
    architecture      = "x86_64"
  }

  assert {
    condition     = output.trigger_function_name == "image-pipeline-trigger"
    error_message = "Trigger mode deploys the trigger."
  }
  assert {
    condition     = length(aws_s3_bucket_notification.uploads.queue) == 0 && length(aws_s3_bucket_notification.uploads.lambda_function) == 1
    error_message = "In trigger mode S3 invokes the function instead of notifying the queue."
  }
  assert {
    condition = (aws_lambda_permission.s3_invokes_trigger[0].source_arn == "arn:aws:s3:::image-pipeline-123456789012-eu-west-1"
    && aws_lambda_permission.s3_invokes_trigger[0].source_account == "123456789012")
    error_message = "Only this bucket, in this account, may invoke the trigger."
  }
}
