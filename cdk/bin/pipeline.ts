/**
 * The CDK app: the settings of config/pipeline.json (context `config` names another file, and
 * `-c name=value` overrides one setting), one PipelineStack, and cdk-nag's AwsSolutions checks.
 */
import * as path from "node:path";

import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";

import { loadConfig } from "../lib/config";
import { PipelineStack } from "../lib/pipeline-stack";

const app = new App();
const root = path.resolve(__dirname, "../../..");
const file = (app.node.tryGetContext("config") as string | undefined) ?? "config/pipeline.json";
// Context values arrive as strings; settings that are numbers or booleans are parsed back.
const overrides: Record<string, unknown> = {};
for (const key of [
  "region",
  "notification_mode",
  "local_endpoint",
  "name",
  "processor_zip",
  "trigger_zip",
  "maximum_concurrency",
  "processor_timeout_seconds",
  "cdn_enabled",
]) {
  const value = app.node.tryGetContext(key) as string | undefined;
  if (value !== undefined) {
    overrides[key] = parseContext(value);
  }
}
function parseContext(value: string): unknown {
  if (value === "true" || value === "false") {
    return value === "true";
  }
  return /^\d+$/.test(value) ? Number(value) : value;
}

const config = loadConfig(path.resolve(root, file), overrides);
// Zip paths in the settings are relative to the repository's terraform/ folder, as Terraform
// reads them; resolved here so the app runs from any folder.
const zips = {
  processor_zip: path.resolve(root, "terraform", config.processor_zip),
  trigger_zip: path.resolve(root, "terraform", config.trigger_zip),
};
new PipelineStack(app, config.name, {
  config: { ...config, ...zips },
  env: { region: config.region, account: process.env.CDK_DEFAULT_ACCOUNT },
  description:
    "Image pipeline: S3 uploads -> SQS -> Rust Lambda renditions (same stack as terraform/)",
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
