# Plans the root module offline: a real AWS provider that never calls AWS (fake keys, no
# account lookup), with the few values AWS would compute overridden. Checks that each guardrail
# refuses its bad input, that every IAM document is free of wildcards, and what the
# deploy-readiness settings create, in both notification modes.

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

override_resource {
  target          = module.trigger_failures[0].aws_sqs_queue.this
  override_during = plan
  values          = { arn = "arn:aws:sqs:eu-west-1:123456789012:image-pipeline-trigger-failures" }
}

override_resource {
  target          = aws_sns_topic.alarms[0]
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:image-pipeline-alarms" }
}

override_resource {
  target          = aws_iam_openid_connect_provider.github[0]
  override_during = plan
  values          = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
}

override_resource {
  target          = module.cdn[0].aws_cloudfront_distribution.this
  override_during = plan
  values = {
    arn         = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"
    domain_name = "d111111abcdef8.cloudfront.net"
  }
}

run "defaults_follow_aws_guidance_and_fit_a_new_account" {
  command = plan

  assert {
    condition     = aws_lambda_event_source_mapping.processor.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The mapping must report batch item failures."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.processor.scaling_config[0].maximum_concurrency == 5
    error_message = "The default mapping concurrency must fit a new account's limit of 10."
  }
  assert {
    condition     = module.processor.reserved_concurrency == -1
    error_message = "No reservation by default: a new account cannot reserve any concurrency."
  }
  assert {
    condition     = local.visibility_timeout == 6 * 60 + 1
    error_message = "The default visibility timeout is 6x the function timeout plus the batching window."
  }
  assert {
    condition     = output.notification_mode == "direct" && output.trigger_function_name == null && output.trigger_failures_url == null
    error_message = "Direct mode deploys no trigger and no trigger failure queue."
  }
  assert {
    condition     = one(aws_s3_bucket_notification.uploads.queue).filter_prefix == "uploads/"
    error_message = "Notifications must filter on the input prefix so outputs never re-trigger."
  }
  assert {
    condition     = length(terraform_data.destination_propagation) == 1
    error_message = "On AWS the notification waits for the queue policy to propagate."
  }
  assert {
    condition     = length(aws_cloudwatch_dashboard.pipeline) == 1 && length(output.alarm_actions) == 0
    error_message = "The dashboard is made by default; alarms notify nothing until a topic is given."
  }
  assert {
    condition     = module.bucket.tls_policy_actions == toset(["s3:*"]) && module.queue.tls_policy_actions == toset(["sqs:*"])
    error_message = "The bucket and queue deny every action over plain HTTP."
  }
  assert {
    condition     = length(module.cdn) == 0 && output.cdn_domain_name == null && module.bucket.joined_policy_documents == 0
    error_message = "No CloudFront unless cdn_enabled, and then the bucket policy holds only the TLS statement."
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
    condition     = one([for s in module.processor.statements : s if s.sid == "ListUploads"]).conditions[0].values == tolist(["uploads/*"])
    error_message = "The processor may list only the input prefix (to tell a missing upload from a denied read)."
  }
  assert {
    condition     = module.trigger[0].statements[0].actions == tolist(["sqs:SendMessage"])
    error_message = "The trigger may only send to the queue."
  }
}

run "role_names_carry_the_region" {
  command = plan

  assert {
    condition     = module.processor.role_name == "image-pipeline-processor-eu-west-1"
    error_message = "Role names are global: the region must be in them."
  }
}

run "role_names_differ_in_a_second_region" {
  command = plan
  variables {
    region = "us-east-1"
  }
  override_data {
    target = data.aws_region.current
    values = { name = "us-east-1" }
  }

  assert {
    condition     = module.processor.role_name == "image-pipeline-processor-us-east-1"
    error_message = "The same stack in a second region must get other role names."
  }
}

run "trigger_mode_loses_no_upload" {
  command = plan
  variables {
    notification_mode                 = "trigger"
    trigger_maximum_event_age_seconds = 3600
    architecture                      = "x86_64"
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
  assert {
    condition     = module.trigger[0].event_invoke_config.on_failure_destination == "arn:aws:sqs:eu-west-1:123456789012:image-pipeline-trigger-failures"
    error_message = "The trigger's failed events must go to its failure queue."
  }
  assert {
    condition     = module.trigger[0].event_invoke_config.maximum_event_age_in_seconds == 3600 && module.trigger[0].event_invoke_config.maximum_retry_attempts == 2
    error_message = "The event age and retry settings must reach Lambda."
  }
  assert {
    condition     = contains(flatten([for s in module.trigger[0].statements : s.resources if s.sid == "SendFailedEvents"]), "arn:aws:sqs:eu-west-1:123456789012:image-pipeline-trigger-failures")
    error_message = "The trigger's role must be allowed to send failed events to the failure queue."
  }
  assert {
    condition     = contains(output.alarm_names, "image-pipeline-trigger-failures-not-empty") && contains(output.alarm_names, "image-pipeline-trigger-async-events-dropped")
    error_message = "The failure queue and dropped events must each have an alarm."
  }
  assert {
    condition     = module.trigger_failures[0].sse_managed || module.trigger_failures[0].kms_key != null
    error_message = "The failure queue must be encrypted."
  }
}

run "every_alarm_notifies_the_topic" {
  command = plan
  variables {
    notification_mode  = "trigger"
    create_alarm_topic = true
    alarm_emails       = ["oncall@example.com"]
  }

  assert {
    condition     = output.alarm_actions == tolist(["arn:aws:sns:eu-west-1:123456789012:image-pipeline-alarms"])
    error_message = "The created topic must be what alarms notify."
  }
  assert {
    condition = alltrue(concat(
      [for actions in values(module.processor.alarm_actions) : actions == toset(output.alarm_actions)],
      [for actions in values(module.trigger[0].alarm_actions) : actions == toset(output.alarm_actions)],
      [module.queue.backlog_alarm_actions == toset(output.alarm_actions)],
      [module.queue.dlq_alarm_actions == toset(output.alarm_actions)],
      [module.trigger_failures[0].alarm_actions == toset(output.alarm_actions)],
    ))
    error_message = "Every alarm must notify the alarm topic."
  }
  assert {
    condition     = length(output.alarm_names) == 8
    error_message = "Trigger mode has eight alarms: backlog, DLQ, processor errors and throttles, trigger errors, throttles and dropped events, the failure queue."
  }
  assert {
    condition     = aws_sns_topic_subscription.alarm_emails["oncall@example.com"].protocol == "email"
    error_message = "alarm_emails must be subscribed to the topic."
  }
}

run "a_passed_topic_is_used_as_is" {
  command = plan
  variables {
    alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:team-pager"
  }

  assert {
    condition     = output.alarm_actions == tolist(["arn:aws:sns:eu-west-1:123456789012:team-pager"]) && length(aws_sns_topic.alarms) == 0
    error_message = "A topic passed in is notified, and none is created."
  }
}

run "production_settings_reach_every_resource" {
  command = plan
  variables {
    notification_mode            = "trigger"
    kms_key_arn                  = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    cloudwatch_logs_skip_destroy = true
    role_path                    = "/pipelines/"
    role_permissions_boundary    = "arn:aws:iam::123456789012:policy/boundary"
  }

  assert {
    condition = alltrue([for m in [module.processor, module.trigger[0]] :
    m.role_settings.path == "/pipelines/" && m.role_settings.permissions_boundary == "arn:aws:iam::123456789012:policy/boundary"])
    error_message = "The role path and permissions boundary must reach every role."
  }
  assert {
    condition = alltrue([for m in [module.processor, module.trigger[0]] :
    m.log_group_settings.skip_destroy && m.log_group_settings.kms_key_id == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"])
    error_message = "Log groups must be kept on destroy and encrypted with the key."
  }
  assert {
    condition     = module.bucket.kms_key == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" && module.trigger_failures[0].kms_key == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" && module.queue.kms_key == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    error_message = "The key must encrypt the bucket and every queue."
  }
  assert {
    condition     = contains(flatten([for s in module.processor.statements : s.actions if s.sid == "UseEncryptionKey"]), "kms:GenerateDataKey")
    error_message = "The functions must be allowed to use the key."
  }
}

run "github_deploys_are_scoped_to_the_repository" {
  command = plan
  variables {
    github_repository      = "acme/photos"
    terraform_state_bucket = "acme-terraform-state"
  }

  assert {
    condition     = flatten([jsondecode(data.aws_iam_policy_document.github_trust["deploy"].json).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]]) == ["repo:acme/photos:ref:refs/heads/main"]
    error_message = "Only the main branch of acme/photos may assume the deploy role."
  }
  assert {
    condition     = toset(flatten([jsondecode(data.aws_iam_policy_document.github_trust["plan"].json).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]])) == toset(["repo:acme/photos:pull_request", "repo:acme/photos:ref:refs/heads/main"])
    error_message = "Pull requests of acme/photos (and main) may assume only the plan role."
  }
  assert {
    condition     = flatten([jsondecode(data.aws_iam_policy_document.github_trust["deploy"].json).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"]]) == ["sts.amazonaws.com"]
    error_message = "The token's audience must be STS."
  }
  assert {
    condition = alltrue([for s in jsondecode(data.aws_iam_policy_document.github["deploy"].json).Statement :
    alltrue([for r in flatten([s.Resource]) : r != "*"]) && alltrue([for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")])])
    error_message = "The deploy role must have no wildcard resource and no service-wide action."
  }
  assert {
    condition     = !anytrue([for s in jsondecode(data.aws_iam_policy_document.github["plan"].json).Statement : anytrue([for a in flatten([s.Action]) : can(regex(":(Create|Delete|Put|Update|Set|Add|Remove|Tag|Pass)", a))])])
    error_message = "The plan role must only read."
  }
  assert {
    condition     = output.github_role_arns == {} || length(output.github_role_arns) == 2
    error_message = "Two roles: plan and deploy."
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

run "mapping_concurrency_below_the_mappings_minimum_is_refused" {
  command = plan
  variables {
    maximum_concurrency = 1
  }
  expect_failures = [var.maximum_concurrency]
}

run "a_negative_reservation_other_than_none_is_refused" {
  command = plan
  variables {
    processor_reserved_concurrency = -5
  }
  expect_failures = [var.processor_reserved_concurrency]
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

run "an_event_age_beyond_lambdas_limit_is_refused" {
  command = plan
  variables {
    trigger_maximum_event_age_seconds = 30000
  }
  expect_failures = [var.trigger_maximum_event_age_seconds]
}

run "more_retries_than_lambda_allows_are_refused" {
  command = plan
  variables {
    trigger_maximum_retry_attempts = 3
  }
  expect_failures = [var.trigger_maximum_retry_attempts]
}

run "alarm_emails_without_a_topic_are_refused" {
  command = plan
  variables {
    alarm_emails = ["oncall@example.com"]
  }
  expect_failures = [var.alarm_emails]
}

run "a_role_path_without_slashes_is_refused" {
  command = plan
  variables {
    role_path = "pipelines"
  }
  expect_failures = [var.role_path]
}

run "a_repository_that_is_not_owner_slash_repo_is_refused" {
  command = plan
  variables {
    github_repository = "https://github.com/acme/photos"
  }
  expect_failures = [var.github_repository]
}

run "an_aws_metrics_namespace_is_refused" {
  command = plan
  variables {
    metrics_namespace = "AWS/Lambda"
  }
  expect_failures = [var.metrics_namespace]
}

run "cdn_reads_only_renditions_and_only_through_its_distribution" {
  command = plan
  variables {
    cdn_enabled = true
    renditions  = "thumb:200x200:cover:q75:jpeg+webp,large:1600x1600"
  }

  assert {
    condition     = output.cdn_domain_name == "d111111abcdef8.cloudfront.net"
    error_message = "The stack outputs the distribution's domain."
  }
  assert {
    condition     = module.bucket.joined_policy_documents == 1 && module.bucket.tls_policy_actions == toset(["s3:*"])
    error_message = "The bucket's one policy holds the distribution's read and the TLS statement."
  }
  assert {
    condition = (
      module.cdn[0].bucket_policy_statement.actions == toset(["s3:GetObject"])
      && module.cdn[0].bucket_policy_statement.resources == toset(["arn:aws:s3:::image-pipeline-123456789012-eu-west-1/processed/*"])
      && one(module.cdn[0].bucket_policy_statement.principals).identifiers == toset(["cloudfront.amazonaws.com"])
      && one(module.cdn[0].bucket_policy_statement.condition).variable == "AWS:SourceArn"
      && one(module.cdn[0].bucket_policy_statement.condition).values == tolist(["arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"])
    )
    error_message = "CloudFront may read renditions only, and only for this distribution."
  }
  assert {
    condition     = strcontains(module.cdn[0].function_code, "var RENDITIONS = \"thumb:200x200:cover:q75:jpeg+webp,large:1600x1600\";")
    error_message = "The function's code carries the RENDITIONS setting as a string."
  }
}

run "cdn_on_a_separate_output_bucket_grants_reads_there" {
  command = plan
  variables {
    cdn_enabled            = true
    separate_output_bucket = true
  }

  override_resource {
    target          = module.output_bucket[0].aws_s3_bucket.this
    override_during = plan
    values          = { arn = "arn:aws:s3:::image-pipeline-123456789012-eu-west-1-out", id = "image-pipeline-123456789012-eu-west-1-out" }
  }

  assert {
    condition     = module.bucket.joined_policy_documents == 0 && module.output_bucket[0].joined_policy_documents == 1
    error_message = "The distribution reads the output bucket, and nothing of the upload bucket."
  }
  assert {
    condition     = module.cdn[0].bucket_policy_statement.resources == toset(["arn:aws:s3:::image-pipeline-123456789012-eu-west-1-out/processed/*"])
    error_message = "The read is scoped to the output prefix of the output bucket."
  }
}

run "cdn_on_the_local_emulator_is_refused" {
  command = plan
  variables {
    cdn_enabled    = true
    local_endpoint = "http://127.0.0.1:5000"
  }
  expect_failures = [var.cdn_enabled]
}

run "an_unknown_price_class_is_refused" {
  command = plan
  variables {
    cdn_price_class = "PriceClass_1"
  }
  expect_failures = [var.cdn_price_class]
}

run "the_local_emulator_gets_no_tls_statements" {
  command = plan
  variables {
    local_endpoint = "http://127.0.0.1:5000"
  }
  assert {
    condition     = module.bucket.tls_policy_actions == toset([])
    error_message = "The emulator speaks plain HTTP: no TLS-only statement, and the output still reads."
  }
}
