output "pipeline" {
  description = "Every output of the root module."
  value       = module.pipeline
}
